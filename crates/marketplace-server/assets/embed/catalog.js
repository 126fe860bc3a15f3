// What the catalog and the detail show, drawn the same way by the iframe page and by apps using
// the npm package: a listing's card (icon, name, description, category, tier and state), the
// category chips, the empty state, keyboard navigation between cards, the tier badge and
// filter, the detail's provider, supported applications, documentation and mapping collections,
// a listing's price and rating, its reviews with the form the detail's `review_prompt` asks for,
// the reason picker of a deactivation, and the feedback of every view (loading, an error with a
// retry, a busy button). It holds no rule: a listing's tier is the service's (core's `tier`),
// which listings are "at least" a tier is the service's filtering (`?tier=`), the documentation
// comes sanitised by the service, when to ask for a review is the detail's `review_prompt`, and
// the reasons offered are core's (`rules().cancellation_reasons`); the service judges the rest.
// Every string is a phrase (`phrases.js`).
//
// One file, two homes, as `form.js`: the service serves it to its iframe page, and
// `cargo xtask wasm` copies it into the npm package.
import { h } from './form.js';
import { fieldErrorText, formatDate, formatMoney, formatNumber, problemText, t, valueLabel } from './phrases.js';
import { rules } from './rules.js';

/** A tier of the wire with its badge's text and its filter option, in the current language. */
const tierOption = (tier) => Object.freeze({
  tier,
  get label() { return t(`tier.${tier}`); },
  get filter() { return t(`tier.atLeast.${tier}`); },
});

/** The tiers of the wire (`tier`), lowest first: the badge's text and the filter's option. */
export const TIERS = Object.freeze(['compatible', 'ready', 'certified', 'one_click'].map(tierOption));

/** The label of a tier; a tier this file does not know yet (a newer service) reads as sent. */
export function tierLabel(tier) {
  if (typeof tier !== 'string') return null;
  return TIERS.find((t) => t.tier === tier)?.label ?? tier.replace(/_/g, ' ');
}

/** A listing's tier badge (text and accessible label), or null when it has no tier. */
export function tierBadge(tier) {
  const label = tierLabel(tier);
  if (label === null) return null;
  const described = t('tier.badge', { tier: label });
  return h('span', { class: `mk-tier mk-tier-${tier}`, 'data-tier': tier, title: described, 'aria-label': described, text: label });
}

/** The catalog's tier filter: a `<select>` whose value is the `tier` query (empty: any tier). */
export function tierFilter({ id = 'mk-tier', value = '' } = {}) {
  return h('select', { id, name: 'tier' },
    h('option', { value: '', text: t('tier.any'), selected: !value }),
    TIERS.map((tier) => h('option', { value: tier.tier, text: tier.filter, selected: tier.tier === value })));
}

// ---- cards ----------------------------------------------------------------------------

/** Up to two initials of a name (`Google Sheets`: `GS`), for an icon's placeholder. */
const initials = (name) => String(name ?? '').split(/[\s_-]+/).filter(Boolean).slice(0, 2)
  .map((word) => [...word][0].toUpperCase()).join('') || '?';

/** Sets an icon's size (through the CSSOM: the page's CSP refuses `style` attributes). */
const sized = (node, size) => {
  node.style.setProperty('--mk-icon-size', `${size}px`);
  return node;
};

/** A neutral placeholder: the listing's initials (hidden from screen readers: the name is beside it). */
const placeholder = (name, size) => sized(h('span', { class: 'mk-icon mk-icon-initials', 'aria-hidden': 'true', text: initials(name) }), size);

/**
 * A listing's icon at a fixed size: its `icon_url` as a lazily loaded image with an alt text, or
 * the placeholder of its initials when it has none or the image does not load.
 */
export function icon(entry, { size = 40 } = {}) {
  if (!entry.icon_url) return placeholder(entry.name, size);
  const image = sized(h('img', { class: 'mk-icon', src: entry.icon_url, alt: t('catalog.icon', { name: entry.name }), width: size, height: size,
    loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer' }), size);
  image.addEventListener('error', () => image.replaceWith(placeholder(entry.name, size)), { once: true });
  return image;
}

/**
 * A catalog card (`<li class="mk-card">`): icon, name (a link to `href`), description, category,
 * tier badge, and whether it is activated or needs the vendor. The card itself is focusable
 * (see [`cardNavigation`]); Enter on it opens the link.
 */
export function catalogCard(entry, { href }) {
  const link = h('a', { href, tabindex: '-1', text: entry.name });
  const card = h('li', { class: 'mk-card', 'data-integration-id': entry.integration_id, tabindex: '-1' },
    h('div', { class: 'mk-card-head' }, icon(entry), h('h3', {}, link)),
    entry.description ? h('p', { class: 'mk-description', text: entry.description }) : null,
    h('p', { class: 'mk-meta' }, h('span', { class: 'mk-tag', text: entry.category }), tierBadge(entry.tier),
      priceTag(entry.pricing), ratingBadge(entry.rating),
      entry.activated ? h('span', { class: 'mk-badge mk-active', text: t('catalog.activated') }) : null,
      entry.deployability?.status !== 'deployable' ? h('span', { class: 'mk-badge mk-paused', text: t('catalog.contactVendor') }) : null));
  card.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target === card) {
      event.preventDefault();
      link.click();
    }
  });
  card.addEventListener('click', (event) => {
    if (event.target === card || !event.target.closest('a, button')) link.click();
  });
  return card;
}

/**
 * Keyboard navigation between the cards of `list` (a roving focus: one card in the tab order):
 * arrow keys move the focus (up and down by a row of the grid), Home and End to the first and
 * last card. Cards appended later ("Show more") join. Returns `list`.
 */
export function cardNavigation(list) {
  const cards = () => [...list.querySelectorAll(':scope > .mk-card')];
  const rove = (target) => cards().forEach((card) => card.setAttribute('tabindex', card === target ? '0' : '-1'));
  rove(cards()[0]);
  new MutationObserver(() => {
    if (!cards().some((card) => card.tabIndex === 0)) rove(cards()[0]);
  }).observe(list, { childList: true });
  list.addEventListener('focusin', (event) => {
    const card = event.target.closest?.('.mk-card');
    if (card && card.parentElement === list) rove(card);
  });
  list.addEventListener('keydown', (event) => {
    const all = cards();
    const at = all.indexOf(event.target);
    if (at < 0) return;
    const top = all[0].offsetTop;
    const columns = Math.max(1, all.filter((card) => card.offsetTop === top).length);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + columns, ArrowUp: at - columns, Home: 0, End: all.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = all[Math.max(0, Math.min(next, all.length - 1))];
    rove(target);
    target.focus();
  });
  return list;
}

/**
 * The category chips beside the search box: "All" and each category, the current one pressed;
 * `onSelect(category)` runs on a click (an empty string for "All").
 */
export function categoryChips({ categories, current = '', onSelect }) {
  const chip = (value, text) => h('button', { type: 'button', class: 'mk-chip', 'data-category': value, 'aria-pressed': String(value === current),
    text, onclick: () => onSelect(value) });
  return h('div', { class: 'mk-chips', role: 'group', 'aria-label': t('catalog.category') },
    chip('', t('catalog.allCategories')), categories.map((category) => chip(category, category)));
}

/** The empty state of a filtered catalog: what happened and a button clearing the filters. */
export const emptyState = ({ onClear }) => h('div', { class: 'mk-empty' },
  h('p', { class: 'mk-empty-title', text: t('catalog.empty') }),
  h('p', { class: 'mk-muted', text: t('catalog.emptyHint') }),
  h('button', { type: 'button', class: 'mk-secondary', text: t('catalog.clearFilters'), onclick: onClear }));

// ---- feedback -------------------------------------------------------------------------

/** A loading indicator (the text for screen readers, a spinner for the eyes). */
export const loading = (text = t('app.loading')) => h('p', { class: 'mk-loading', 'aria-busy': 'true' },
  h('span', { class: 'mk-spinner', 'aria-hidden': 'true' }), text);

/** An error shown inline, with a Retry button running `retry` (none without it). */
export const failurePanel = (error, retry = null) => h('div', { class: 'mk-alert mk-failure', role: 'alert' },
  h('strong', { text: `${t('app.error')} ` }), h('span', { text: problemText(error) }),
  retry ? h('button', { type: 'button', class: 'mk-secondary mk-retry', text: t('app.retry'), onclick: retry }) : null);

/**
 * Runs `work()` with `buttons` disabled and marked busy (the first one's text replaced by
 * `text` meanwhile), then restores them; resolves to what `work` resolves to.
 */
export async function busy(buttons, work, text = null) {
  const list = [buttons].flat().filter(Boolean);
  const before = list.map((button) => ({ button, disabled: button.disabled, text: button.textContent }));
  for (const button of list) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
  if (text && list[0]) list[0].textContent = text;
  try {
    return await work();
  } finally {
    for (const { button, disabled, text: original } of before) {
      button.disabled = disabled;
      button.removeAttribute('aria-busy');
      button.textContent = original;
    }
  }
}

// ---- detail ---------------------------------------------------------------------------

/** A link opening in a new tab, or the text alone when there is no URL. */
const link = (url, text) => (url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text }) : text);

/** The provider: its name (a link to its site), logo and support contacts. */
function providerSection(provider) {
  const support = provider.support ?? {};
  const contacts = [
    support.email ? h('li', {}, t('detail.email'), h('a', { href: `mailto:${support.email}`, text: support.email })) : null,
    support.url ? h('li', {}, t('detail.helpCentre'), link(support.url, support.url)) : null,
  ].filter(Boolean);
  return h('section', { class: 'mk-provider', 'aria-label': t('detail.provider') },
    h('h3', { text: t('detail.provider') }),
    h('p', { class: 'mk-meta' },
      provider.logo_url ? h('img', { class: 'mk-logo', src: provider.logo_url, alt: '', width: 24, height: 24,
        onerror: (event) => event.target.remove() }) : null, // a logo that does not load leaves no broken image
      h('strong', {}, link(provider.url, provider.name))),
    contacts.length ? h('ul', { class: 'mk-support', 'aria-label': t('detail.support') }, contacts) : null);
}

/** The supported applications, each with its supported versions. */
const applicationsSection = (applications) => h('section', { class: 'mk-applications', 'aria-label': t('detail.applications') },
  h('h3', { text: t('detail.applications') }),
  h('ul', {}, applications.map((a) => h('li', { 'data-application': a.name }, h('strong', { text: a.name }),
    a.versions?.length ? h('span', { class: 'mk-muted', text: t('detail.versions', { versions: a.versions.join(', ') }) }) : null))));

/** The version's documentation, as the service rendered and sanitised it. */
function documentationSection(html) {
  const body = h('div', { class: 'mk-documentation' });
  body.innerHTML = html; // rendered and sanitised by the service
  return h('section', { 'aria-label': t('detail.documentation') }, h('h3', { text: t('detail.documentation') }), body);
}

/** The mapping collections (shown from the certified tier on): what data goes where. */
const collectionsSection = (collections) => h('section', { class: 'mk-collections', 'aria-label': t('detail.collections') },
  h('h3', { text: t('detail.collections') }),
  h('table', { class: 'mk-table' },
    h('thead', {}, h('tr', {}, ['detail.collection', 'detail.recordType', 'detail.direction', 'detail.notes'].map((key) => h('th', { scope: 'col', text: t(key) })))),
    h('tbody', {}, collections.map((c) => h('tr', { 'data-collection': c.name },
      [c.name, c.record_type, valueLabel('direction', c.direction), c.notes ?? ''].map((text) => h('td', { text })))))));

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

/**
 * Runs an OAuth connection's popup (docs/connections.md): opens the window at once (before any
 * await, so that popup blockers let it through), asks `authorize()` for `{authorize_url}`, sends
 * the popup there, and resolves to the callback page's message (`{type, instance_id, key, ...}`,
 * CONNECTION_AUTHORIZED or CONNECTION_FAILED), accepted only from `origin` (the service's: the
 * callback page is the service's) and from that popup; resolves to null when the user closes
 * the popup without answering. Rejects when the popup is blocked or `authorize()` fails.
 */
export function connectInPopup({ authorize, origin }) {
  const popup = window.open('', 'mk-connect', 'popup,width=520,height=680');
  // Blocked: nothing to authorise for.
  if (!popup) return Promise.reject(new Error(t('connection.popupBlocked')));
  return new Promise((resolve, reject) => {
    let watch = null;
    const settle = (outcome) => {
      clearInterval(watch);
      window.removeEventListener('message', listener);
      resolve(outcome);
    };
    const listener = (event) => {
      const type = event.data?.type;
      if (event.origin !== origin || event.source !== popup) return;
      if (type !== 'CONNECTION_AUTHORIZED' && type !== 'CONNECTION_FAILED') return;
      settle(event.data);
    };
    authorize().then(({ authorize_url: url }) => {
      window.addEventListener('message', listener);
      popup.location.href = url;
      // Closed without an answer: given a second for a message the callback sent as it closed.
      watch = setInterval(() => {
        if (!popup.closed) return;
        clearInterval(watch);
        setTimeout(() => settle(null), 1000);
      }, 500);
    }).catch((error) => {
      popup.close();
      reject(error);
    });
  });
}

/**
 * An instance's OAuth connections (`connections` of the instance view), each with its status and
 * Connect (or Reconnect). `connect(key)` runs the popup ([`connectInPopup`]); a refusal or a
 * failure is shown in the panel, and `onOutcome(message)` hears every callback message.
 */
export function connectionsPanel(connections, { connect, onOutcome }) {
  const message = h('div', { 'aria-live': 'polite' });
  const run = (key, button) => busy(button, () => connect(key).then((outcome) => {
    if (!outcome) return;
    if (outcome.type === 'CONNECTION_FAILED') {
      message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: t('connection.failed', { reason: outcome.error_description || outcome.error }) }));
    } else {
      message.replaceChildren();
    }
    onOutcome(outcome);
  }, (error) => message.replaceChildren(failurePanel(error))));
  const rows = connections.map((c) => {
    const button = h('button', { type: 'button', class: c.status === 'connected' ? 'mk-secondary' : 'mk-primary',
      text: t(c.status === 'not_connected' ? 'connection.connect' : 'connection.reconnect') });
    button.addEventListener('click', () => run(c.key, button));
    return h('li', { class: 'mk-connection-status', 'data-key': c.key, 'data-status': c.status },
      h('strong', { text: c.key }), ' ', h('span', { class: 'mk-badge', text: t(`connection.status.${c.status}`) }),
      c.error ? h('span', { class: 'mk-muted', text: ` ${c.error}` }) : null, ' ', button);
  });
  return h('section', { 'aria-label': t('connection.title') }, h('h3', { text: t('connection.title') }), h('ul', { class: 'mk-list' }, rows), message);
}

// ---- commerce: price, rating, reviews, cancellation ------------------------------------

/** Whether an amount (exact decimal text, `"0.00"`) is more than nothing, for the price's text. */
const charged = (amount) => typeof amount === 'string' && /[1-9]/.test(amount);

/** Whether a listing's price asks for anything (what "Free" and its tag's `data-paid` say). */
const paid = (pricing) => Boolean(pricing) && (charged(pricing.monthly) || charged(pricing.up_front));

/**
 * A listing's price in the current language: "Free" without one (or with nothing to pay), else
 * the monthly price and what is paid once. Amounts stay decimal text on the way to `Intl`.
 */
export function priceText(pricing) {
  if (!paid(pricing)) return t('price.free');
  const monthly = formatMoney(pricing.monthly, pricing.currency);
  const once = formatMoney(pricing.up_front, pricing.currency);
  if (charged(pricing.monthly) && charged(pricing.up_front)) return t('price.monthlyAndOnce', { monthly, once });
  return charged(pricing.monthly) ? t('price.monthly', { monthly }) : t('price.once', { once });
}

/** A listing's price as a tag. */
export const priceTag = (pricing) => h('span', { class: 'mk-price', 'data-paid': String(paid(pricing)), text: priceText(pricing) });

/** A rating (1 to 5) as five stars, with its accessible text. */
export const stars = (rating) => h('span', { class: 'mk-stars', role: 'img', 'aria-label': t('reviews.stars', { rating }),
  text: '★'.repeat(rating) + '☆'.repeat(Math.max(0, 5 - rating)) });

/** A listing's rating (`{average, count}`) as a star, the average and the count; null without reviews. */
export function ratingBadge(rating) {
  if (!rating?.count) return null;
  const [average, count] = [formatNumber(Number(rating.average)), formatNumber(rating.count)];
  const described = t('rating.label', { average, count });
  return h('span', { class: 'mk-rating', title: described, 'aria-label': described },
    h('span', { class: 'mk-star', 'aria-hidden': 'true', text: '★' }), ` ${average} (${count})`);
}

/** The service's refusal of a form: its text, and each field error with its path. */
const refusal = (error) => [failurePanel(error), error.errors?.length
  ? h('ul', { class: 'mk-errors' }, error.errors.map((e) => h('li', { 'data-path': e.path, 'data-code': e.code }, h('code', { text: e.path || '/' }), ` ${fieldErrorText(e)}`)))
  : null];

/** A labelled field of the commerce forms. */
const field = (id, label, input) => h('div', { class: 'mk-field' }, h('label', { for: id, text: label }), input);

/**
 * The form the detail's `review_prompt` asks for: `review` (a rating and a text) or `follow_up`
 * (what changed, once the customer came back); null for no prompt. `send(body)` posts it.
 */
function reviewForm(detail, send) {
  const prompt = detail.review_prompt;
  if (prompt !== 'review' && prompt !== 'follow_up') return null;
  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'mk-primary', text: t(prompt === 'review' ? 'reviews.post' : 'reviews.postFollowUp') });
  let read;
  let inputs;
  if (prompt === 'review') {
    const choices = [1, 2, 3, 4, 5].map((n) => h('label', { class: 'mk-star-choice' },
      h('input', { type: 'radio', name: 'mk-review-rating', value: String(n) }), ` ${t('reviews.starCount', { count: n })}`));
    const text = h('textarea', { id: 'mk-review-text', rows: 4 });
    inputs = [h('fieldset', { class: 'mk-field mk-rating-choices' }, h('legend', { text: t('reviews.yourRating') }), choices),
      field('mk-review-text', t('reviews.yourReview'), text)];
    read = () => {
      const checked = choices.map((c) => c.querySelector('input')).find((input) => input.checked);
      return { rating: checked ? Number(checked.value) : undefined, text: text.value };
    };
  } else {
    const text = h('textarea', { id: 'mk-review-follow-up', rows: 3 });
    inputs = [field('mk-review-follow-up', t('reviews.whatChanged'), text)];
    read = () => ({ follow_up: text.value });
  }
  const onsubmit = (event) => {
    event.preventDefault();
    return busy(submit, async () => {
      try {
        await send(read());
      } catch (error) {
        result.replaceChildren(...refusal(error));
      }
    }, t('app.working'));
  };
  return h('form', { class: 'mk-review-form', 'data-prompt': prompt, 'aria-label': t(`reviews.prompt.${prompt}`, { name: detail.name }), novalidate: true, onsubmit },
    h('p', { class: 'mk-prompt', text: t(`reviews.prompt.${prompt}`, { name: detail.name }) }), inputs, submit, result);
}

/** One review: its stars and date, its text, the author's follow-up and the vendor's response. */
const reviewItem = (review) => h('li', { class: 'mk-review', 'data-review-id': review.id },
  h('p', { class: 'mk-meta' }, stars(review.rating), review.mine ? h('span', { class: 'mk-tag', text: t('reviews.yours') }) : null,
    h('time', { class: 'mk-muted', datetime: review.created_at, text: formatDate(review.created_at) })),
  review.text ? h('p', { text: review.text }) : null,
  review.follow_up ? h('p', { class: 'mk-follow-up' }, h('strong', { text: `${t('reviews.followUp')} ` }), review.follow_up) : null,
  review.vendor_response ? h('blockquote', { class: 'mk-response' }, h('strong', { text: `${t('reviews.response')} ` }), review.vendor_response.text) : null);

/**
 * An integration's reviews on its detail: the rating, the form the detail's `review_prompt` asks
 * for, and the reviews (the customer's own one marked). `send(body, own)` posts a review (`own`
 * null) or edits the customer's own one (`{follow_up}`); `onSaved()` runs after it is stored.
 */
export function reviewsSection(detail, reviews, { send, onSaved }) {
  const own = reviews.find((review) => review.mine) ?? null;
  const form = reviewForm(detail, async (body) => {
    await send(body, detail.review_prompt === 'follow_up' ? own : null);
    onSaved();
  });
  return h('section', { class: 'mk-reviews', 'aria-label': t('reviews.title') },
    h('h3', { text: t('reviews.title') }),
    h('p', { class: 'mk-meta' }, ratingBadge(detail.rating) ?? h('span', { class: 'mk-muted', text: t('reviews.none') })),
    form,
    reviews.length ? h('ul', { class: 'mk-review-list' }, reviews.map(reviewItem)) : null);
}

/**
 * The reason picker of a deactivation: one of core's reasons (`rules().cancellation_reasons`)
 * and an optional comment. `read()` is the body of the deactivation (`{reason, comment}`; the
 * service refuses a missing reason); `showError(error)` shows its refusal.
 */
export function cancellationPicker({ id = 'mk-cancel' } = {}) {
  const reason = h('select', { id: `${id}-reason`, name: 'reason' },
    h('option', { value: '', text: t('cancel.choose') }),
    rules().cancellation_reasons.map((value) => h('option', { value, text: valueLabel('cancel.reason', value) })));
  const comment = h('textarea', { id: `${id}-comment`, name: 'comment', rows: 2 });
  const result = h('div', { 'aria-live': 'polite' });
  return {
    node: h('div', { class: 'mk-cancellation' },
      field(`${id}-reason`, t('cancel.why'), reason), field(`${id}-comment`, t('cancel.comment'), comment), result),
    read: () => ({ reason: reason.value || undefined, comment: comment.value.trim() || undefined }),
    showError: (error) => result.replaceChildren(...refusal(error)),
  };
}
