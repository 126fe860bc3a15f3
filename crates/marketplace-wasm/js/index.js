// The package's browser entry: core's rules (initialize once with the default export), the
// `Marketplace` client, `mountMarketplace`, the form, the catalog's cards, chips, empty state,
// tier badge, tier filter, certification sections, price, rating, reviews, cancellation reasons, OAuth connections (Connect in a popup) and feedback (loading, errors with a retry),
// the phrase table (`t`, `setLanguage`, `Intl` formats), and the mapping functions (async: they
// load the second WebAssembly module on their first call), `visible` and `tier` (the same
// module). The stylesheet shipped beside them is `marketplace.css`.
export { default, initSync, parseSpec, validateConfig, toJsonSchema, deployability, rules } from './marketplace_wasm.js';
export { CompiledSpec } from './values.js';
export { Marketplace, tokenExpiry } from './client.js';
export { mountMarketplace, MODES, PAGE_EVENTS, VIEWS } from './mount.js';
export { h, renderConfigForm } from './form.js';
export {
  TIERS, busy, cancellationPicker, catalogCard, cardNavigation, categoryChips, certificationSections, connectInPopup, connectionsPanel, emptyState,
  failurePanel, icon, loading, priceTag, priceText, ratingBadge, reviewsSection, stars, tierBadge, tierFilter, tierLabel,
} from './catalog.js';
export { PHRASES, fieldErrorText, formatDate, formatMoney, formatNumber, hasPhrase, language, pickLanguage, problemText, setLanguage, t, valueLabel } from './phrases.js';
export { validateCollection, applyMappings, visible, tier, score } from './mappings.js';
