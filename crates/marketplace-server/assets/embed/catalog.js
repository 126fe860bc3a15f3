// What the catalog and the detail show of certification, drawn the same way by the iframe page
// and by apps using the npm package: a listing's tier badge, the catalog's tier filter, and the
// detail's provider, supported applications, documentation and mapping collections. It holds no
// rule: a listing's tier is the service's (core's `tier`), which listings are "at least" a tier
// is the service's filtering (`?tier=`), and the documentation comes sanitised by the service.
//
// One file, two homes, as `form.js`: the service serves it to its iframe page, and
// `cargo xtask wasm` copies it into the npm package.
import { h } from './form.js';

/** The tiers of the wire (`tier`), lowest first: the badge's text and the filter's option. */
export const TIERS = Object.freeze([
  Object.freeze({ tier: 'compatible', label: 'Compatible', filter: 'Compatible+' }),
  Object.freeze({ tier: 'ready', label: 'Ready', filter: 'Ready+' }),
  Object.freeze({ tier: 'certified', label: 'Certified', filter: 'Certified+' }),
  Object.freeze({ tier: 'one_click', label: 'One-click', filter: 'One-click' }),
]);

/** The label of a tier; a tier this file does not know yet (a newer service) reads as sent. */
export function tierLabel(tier) {
  if (typeof tier !== 'string') return null;
  return TIERS.find((t) => t.tier === tier)?.label ?? tier.replace(/_/g, ' ');
}

/** A listing's tier badge (text and accessible label), or null when it has no tier. */
export function tierBadge(tier) {
  const label = tierLabel(tier);
  if (label === null) return null;
  return h('span', { class: `mk-tier mk-tier-${tier}`, 'data-tier': tier, title: `Certification tier: ${label}`,
    'aria-label': `Certification tier: ${label}`, text: label });
}

/** The catalog's tier filter: a `<select>` whose value is the `tier` query (empty: any tier). */
export function tierFilter({ id = 'mk-tier', value = '' } = {}) {
  return h('select', { id, name: 'tier' },
    h('option', { value: '', text: 'Any tier', selected: !value }),
    TIERS.map((t) => h('option', { value: t.tier, text: t.filter, selected: t.tier === value })));
}

/** A link opening in a new tab, or the text alone when there is no URL. */
const link = (url, text) => (url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text }) : text);

/** The provider: its name (a link to its site), logo and support contacts. */
function providerSection(provider) {
  const support = provider.support ?? {};
  const contacts = [
    support.email ? h('li', {}, 'Email: ', h('a', { href: `mailto:${support.email}`, text: support.email })) : null,
    support.url ? h('li', {}, 'Help centre: ', link(support.url, support.url)) : null,
  ].filter(Boolean);
  return h('section', { class: 'mk-provider', 'aria-label': 'Provider' },
    h('h3', { text: 'Provider' }),
    h('p', { class: 'mk-meta' },
      provider.logo_url ? h('img', { class: 'mk-logo', src: provider.logo_url, alt: '', width: 24, height: 24,
        onerror: (event) => event.target.remove() }) : null, // a logo that does not load leaves no broken image
      h('strong', {}, link(provider.url, provider.name))),
    contacts.length ? h('ul', { class: 'mk-support', 'aria-label': 'Support' }, contacts) : null);
}

/** The supported applications, each with its supported versions. */
const applicationsSection = (applications) => h('section', { class: 'mk-applications', 'aria-label': 'Supported applications' },
  h('h3', { text: 'Supported applications' }),
  h('ul', {}, applications.map((a) => h('li', { 'data-application': a.name }, h('strong', { text: a.name }),
    a.versions?.length ? h('span', { class: 'mk-muted', text: ` versions ${a.versions.join(', ')}` }) : null))));

/** The version's documentation, as the service rendered and sanitised it. */
function documentationSection(html) {
  const body = h('div', { class: 'mk-documentation' });
  body.innerHTML = html; // rendered and sanitised by the service
  return h('section', { 'aria-label': 'Documentation' }, h('h3', { text: 'Documentation' }), body);
}

/** The mapping collections (shown from the certified tier on): what data goes where. */
const collectionsSection = (collections) => h('section', { class: 'mk-collections', 'aria-label': 'Data mappings' },
  h('h3', { text: 'Data mappings' }),
  h('table', { class: 'mk-table' },
    h('thead', {}, h('tr', {}, ['Collection', 'Record type', 'Direction', 'Notes'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, collections.map((c) => h('tr', { 'data-collection': c.name },
      [c.name, c.record_type, c.direction, c.notes ?? ''].map((t) => h('td', { text: t })))))));

/**
 * The detail's certification sections, in reading order, for those the detail holds: provider,
 * supported applications, documentation, mapping collections (an empty list when none).
 */
export function certificationSections(detail) {
  return [
    detail.provider ? providerSection(detail.provider) : null,
    detail.applications?.length ? applicationsSection(detail.applications) : null,
    detail.documentation_html ? documentationSection(detail.documentation_html) : null,
    detail.collections?.length ? collectionsSection(detail.collections) : null,
  ].filter(Boolean);
}
