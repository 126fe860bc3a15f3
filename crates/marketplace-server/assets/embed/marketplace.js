// The iframe marketplace page: browse, open, configure and activate integrations, then manage
// instances, logs and executions. The token arrives by postMessage from an allowed origin only
// (never in the URL); events go back to that origin only. Field errors come from the service's
// validate endpoint and are shown by the package's form (form.js); no rule is written here: the
// theme names and the accent pattern are core's, written into the page by the service (rules.js),
// and the actions offered follow the status the service answered (a `pending` or `failed`
// instance can only be deactivated, and the service refuses the rest anyway). A pending instance
// on screen is re-read every few seconds until it settles, and the host is told
// (INSTANCE_STATUS_CHANGED). The vendor's approved workflow templates activate in one click
// (only their connections asked); an instance's mappings are previewed and overridden through
// the service, which applies and checks them. Listings show their price and rating, the detail
// lists the reviews with the form its `review_prompt` asks for (`review` or `follow_up`), and a
// deactivation asks for one of core's cancellation reasons. Each listing shows its certification tier, the
// catalog filters by tier (the service's `?tier=`: at least that tier), and the detail shows the
// provider, supported applications, documentation and collections (`catalog.js`, shared with
// the npm package). Cards show the listing's icon (its initials without one), category chips
// filter beside the search box, arrow keys move between cards, and the detail puts the overview
// beside the form. Every string is a phrase (`phrases.js`) of the language of `?lang=` (or
// `applyLanguage`), dates and numbers through `Intl`; every navigation and submit shows its
// progress, buttons wait for their request, and errors show inline with a Retry.
//
// Opened directly at `/portal/{organization_id}` (`data-mode="portal"`), the same page is the
// customer portal: no host and no token, a session cookie instead (portal.js draws sign-in,
// users and attachments), and the CSRF token of the session on every unsafe request.
import { h, renderConfigForm } from './form.js';
import {
  busy, cancellationPicker, cardNavigation, catalogCard, categoryChips, certificationSections, connectInPopup, connectionsPanel, emptyState, failurePanel,
  icon, loading, priceTag, ratingBadge, reviewsSection, tierBadge, tierFilter,
} from './catalog.js';
import { fieldErrorText, formatDate, formatNumber, language, problemText, setLanguage, t, valueLabel } from './phrases.js';
import { rules } from './rules.js';
import { accountBar, attachmentsView, signedOutView, takeAcceptToken, usersView } from './portal.js';

const body = document.body;
const allowed = JSON.parse(body.dataset.origins || '[]');
const app = document.getElementById('app');
const portal = body.dataset.mode === 'portal';
body.classList.add('mk-root'); // the package's stylesheet styles what is inside `.mk-root`
/** The portal's session (`{user, customer, csrf_token, ...}`), once signed in. */
let session = null;
let token = null;
let hostOrigin = null;
let tokenWaiters = [];

// ---- host handshake -------------------------------------------------------------------
function post(type, payload = {}) {
  if (portal) return; // no host to tell
  for (const origin of hostOrigin ? [hostOrigin] : allowed) {
    try { window.parent.postMessage({ type, payload }, origin); } catch { /* a malformed origin */ }
  }
}

function applyTheme({ theme, accent } = {}) {
  const { theme_names: themes, accent_pattern: accentPattern } = rules();
  if (themes.includes(theme)) document.documentElement.dataset.theme = theme;
  if (typeof accent === 'string' && new RegExp(accentPattern).test(accent)) document.documentElement.style.setProperty('--mk-accent', accent);
}

// ---- host controls: the view to show, language, size, escape -----------------------------
/** The views a host may open (`mountMarketplace`'s `view`), as the routes of this page. */
function viewRoute({ view = 'catalog', integration_id: integrationId, filters } = {}) {
  if (view === 'integration') return typeof integrationId === 'string' && integrationId ? `#/integration/${encodeURIComponent(integrationId)}` : null;
  if (view === 'instances') return '#/instances';
  if (view !== 'catalog') return null;
  const query = new URLSearchParams();
  for (const key of ['q', 'category', 'label']) {
    if (typeof filters?.[key] === 'string' && filters[key]) query.set(key, filters[key]);
  }
  const search = query.toString();
  return search ? `#/?${search}` : '#/';
}

/** Shows the view the host asked for (SET_OPTIONS before the token: the first route; NAVIGATE:
 * now). An unknown view or an integration view without an id is ignored. */
function openView(options) {
  const hash = viewRoute(options);
  if (hash === null) return;
  if (token === null) history.replaceState(null, '', hash); // route() runs on the first token
  else if (location.hash === hash) route();
  else go(hash);
}

/** The language (`lang`, a BCP 47 tag; `?lang=` at start, then SET_OPTIONS) and the host's
 * phrase overrides (`phrases`, `{key: phrase}`); a change redraws the current view. A message
 * without `lang` keeps the language in use. */
function applyLanguage({ lang, phrases } = {}, redraw = true) {
  document.documentElement.lang = setLanguage(typeof lang === 'string' ? lang : language(), phrases);
  if (redraw && token !== null) route();
}
applyLanguage({ lang: new URLSearchParams(location.search).get('lang') ?? document.documentElement.lang }, false);

/** RESIZE {height}: the page's content height, each time it changes, so the host sizes the iframe
 * to it (no scrollbar inside, no empty space). The styles must not size the page from the
 * viewport (`vh`, `height: 100%` on html or body): iframe and page would then grow each other. */
function watchHeight() {
  let last = -1;
  new ResizeObserver(() => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) post('RESIZE', { height: (last = height) });
  }).observe(document.documentElement);
}

/** Failures the host should know of: ERROR {code, message} (`token_refused`: a fresh token was
 * refused too; `token_missing`: the host sent none; `network_error`; `server_error`: a 5xx). */
function postError(code, message) {
  post('ERROR', { code, message });
}

window.addEventListener('message', (event) => {
  if (event.source !== window.parent || !allowed.includes(event.origin)) return;
  const { type, payload } = event.data ?? {};
  hostOrigin = event.origin;
  if (type === 'SET_TOKEN' && typeof payload?.token === 'string') {
    const first = token === null;
    token = payload.token;
    tokenWaiters.splice(0).forEach((resolve) => resolve());
    if (first) route();
  } else if (type === 'SET_THEME') {
    applyTheme(payload);
  } else if (type === 'SET_OPTIONS' && payload && typeof payload === 'object') {
    applyLanguage({ lang: payload.lang, phrases: payload.phrases });
    openView(payload);
  } else if (type === 'NAVIGATE' && payload && typeof payload === 'object') {
    openView(payload);
  }
});

applyTheme({ theme: body.dataset.theme, accent: body.dataset.accent });
if (!portal) {
  post('MARKETPLACE_READY');
  watchHeight();
  // Escape asks the host to close a popover (the host's own dialog never sees keys typed here).
  window.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented) post('CLOSE_REQUESTED');
  });
}

/** Posts an instance event (`INSTANCE_ACTIVATED`...) with its documented payload. */
function postInstance(type, instance) {
  post(type, { instance_id: instance.id, integration_id: instance.integration_id, version: instance.version });
}

function freshToken() {
  post('TOKEN_EXPIRED');
  return new Promise((resolve, reject) => {
    tokenWaiters.push(resolve);
    setTimeout(() => {
      postError('token_missing', 'the host sent no fresh token');
      reject(new Error('the host sent no fresh token'));
    }, 10000);
  });
}

// ---- API ------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code;
    this.errors = problem.errors ?? [];
    this.reasons = problem.reasons ?? [];
    this.retryAfter = retryAfter;
  }
}

const UNSAFE = ['POST', 'PUT', 'PATCH', 'DELETE'];

/** One request to the service: JSON `body` or multipart `form`; the token (iframe) or the
 * session's CSRF token (portal, on unsafe methods); the raw response. */
async function send(method, url, { body: payload, form, headers = {} } = {}) {
  const auth = portal ? (session && UNSAFE.includes(method) ? { 'x-csrf-token': session.csrf_token } : {}) : { authorization: `Bearer ${token}` };
  return fetch(url, {
    method,
    headers: { accept: 'application/json', ...auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: form ?? (payload === undefined ? undefined : JSON.stringify(payload)),
  });
}

/** The JSON of an answer, or an ApiError with its problem. */
async function answer(response) {
  const json = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, json, Number(response.headers.get('retry-after')) || undefined);
  return json;
}

/** A request outside the embedded API (the portal's sign-in endpoints). */
const request = async (method, url, options) => answer(await send(method, url, options));

async function api(method, path, options = {}) {
  for (let retried = false; ; retried = true) {
    let response;
    try {
      response = await send(method, `/api/v1/embedded${path}`, options);
    } catch (error) {
      postError('network_error', `the service could not be reached: ${error.message}`);
      throw error;
    }
    if (response.status === 401 && !retried) {
      if (portal) { signedOut(t('portal.sessionEnded')); throw new ApiError(401, { detail: 'Signed out' }); }
      await freshToken();
      continue;
    }
    try {
      return await answer(response);
    } catch (error) {
      if (error.status === 401) postError('token_refused', error.message);
      else if (error.status >= 500) postError('server_error', error.message);
      throw error;
    }
  }
}

/** Downloads a file of the embedded API (the session or token goes with the request). */
async function download(path, name) {
  const response = await send('GET', `/api/v1/embedded${path}`, { headers: { accept: '*/*' } });
  if (!response.ok) await answer(response);
  const url = URL.createObjectURL(await response.blob());
  h('a', { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- portal session -------------------------------------------------------------------
const portalContext = () => ({ app, organizationId: body.dataset.organization, request, onSession: (opened) => { session = opened; if (location.hash === '#/') route(); else go('#/'); } });

function signedOut(notice = null) {
  session = null;
  signedOutView(portalContext(), { notice });
}

async function signOut() {
  await request('POST', '/api/v1/portal/logout').catch(() => null);
  signedOut(t('portal.signedOut'));
}

async function startPortal() {
  const acceptToken = takeAcceptToken();
  if (acceptToken) { signedOutView(portalContext(), { acceptToken }); return; }
  try {
    session = await request('GET', '/api/v1/portal/session');
    route();
  } catch {
    signedOut();
  }
}

// ---- helpers --------------------------------------------------------------------------
const go = (hash) => { location.hash = hash; };

/** A "Show more" button appending the next pages of a list to `list` while there are more; a
 * page that fails to load shows its error beside the button, which retries. */
function more(page, path, render, list) {
  let cursor = page.next_cursor;
  const button = h('button', { type: 'button', class: 'mk-secondary', text: t('app.showMore') });
  const problem = h('div', { class: 'mk-more-error' });
  const load = () => busy(button, async () => {
    const separator = path.includes('?') ? '&' : '?';
    try {
      const next = await api('GET', `${path}${separator}cursor=${encodeURIComponent(cursor)}`);
      problem.replaceChildren();
      cursor = next.next_cursor;
      wrapper.hidden = !cursor;
      list.append(...next.items.map(render));
    } catch (error) {
      problem.replaceChildren(failurePanel(error, load));
    }
  }, t('app.loading'));
  button.addEventListener('click', load);
  const wrapper = h('div', { class: 'mk-more', hidden: !cursor }, button, problem);
  return wrapper;
}

/** Marks the page busy while the next view loads: a progress bar over the current view, which
 * stays until `show` draws the next one (or the failure with its Retry). */
function loadingView() {
  app.setAttribute('aria-busy', 'true');
  if (!app.querySelector(':scope > .mk-progress')) app.prepend(h('div', { class: 'mk-progress', 'aria-hidden': 'true' }));
  if (!app.querySelector('h2, .mk-signin')) app.replaceChildren(loading());
}
const seg = encodeURIComponent;
const statusBadge = (status) => h('span', { class: `mk-badge mk-${status}`, text: valueLabel('status', status) });

/** Statuses waiting on the vendor or refused by it: only deactivation is offered. */
const UNSETTLED = ['pending', 'failed'];

/** An instance's badge, with what a `pending` or `failed` one means for the customer. */
function statusNote(instance) {
  const note = instance.status === 'pending' ? t('instance.waiting')
    : instance.status === 'failed' ? (instance.status_message || t('instance.refused')) : null;
  return h('span', { class: 'mk-status', 'data-instance-id': instance.id }, statusBadge(instance.status),
    note ? h('span', { class: 'mk-muted', text: note }) : null);
}

// ---- pending instances ----------------------------------------------------------------
/** How often a pending instance on screen is re-read. */
const PENDING_POLL_MS = 3000;

/**
 * `render(instance)`, drawn again when a pending instance settles (active or failed): while the
 * node is shown, the instance is re-read every few seconds; when its status changes, the host
 * gets INSTANCE_STATUS_CHANGED and `onSettled` (if any) runs. A node no longer shown stops it.
 */
function tracked(instance, render, onSettled = null) {
  let node = render(instance);
  if (instance.status !== 'pending') return node;
  const tick = async () => {
    if (!node.isConnected) return;
    const current = await api('GET', `/instances/${seg(instance.id)}`).catch(() => instance);
    if (!node.isConnected) return;
    if (current.status === 'pending') {
      setTimeout(tick, PENDING_POLL_MS);
      return;
    }
    post('INSTANCE_STATUS_CHANGED', { instance_id: current.id, integration_id: current.integration_id, version: current.version, status: current.status, message: current.status_message ?? null });
    const next = render(current);
    node.replaceWith(next);
    node = next;
    onSettled?.(current);
  };
  setTimeout(tick, PENDING_POLL_MS);
  return node;
}

/** An "Open" button for an instance with a `launch_url` (SSO): asks the service for a fresh
 * sign-in link and opens it in a new tab; null when there is nothing to open. */
function openButton(instance, message) {
  if (!instance.launch_url || UNSETTLED.includes(instance.status) || instance.status === 'deactivated') return null;
  const button = h('button', { type: 'button', class: 'mk-secondary', 'aria-label': t('instance.openNamed', { name: instance.name }), text: t('instance.open'), onclick: () => busy(button, async () => {
    try {
      const { url } = await api('POST', `/instances/${seg(instance.id)}/launch`);
      window.open(url, '_blank', 'noopener');
    } catch (error) {
      message?.replaceChildren(failurePanel(error));
    }
  }) });
  return button;
}

function show(...nodes) {
  const at = (prefix) => (location.hash.startsWith(prefix) ? 'page' : null);
  const elsewhere = ['#/instance', '#/users', '#/attachments'].some((prefix) => location.hash.startsWith(prefix));
  app.removeAttribute('aria-busy');
  app.replaceChildren(
    h('nav', { class: 'mk-nav', 'aria-label': t('nav.label') },
      h('a', { href: '#/', 'aria-current': elsewhere ? null : 'page', text: t('nav.catalog') }),
      h('a', { href: '#/instances', 'aria-current': at('#/instance'), text: t('nav.instances') }),
      portal ? [h('a', { href: '#/users', 'aria-current': at('#/users'), text: t('nav.users') }),
        h('a', { href: '#/attachments', 'aria-current': at('#/attachments'), text: t('nav.attachments') }),
        accountBar(session, signOut)] : null),
    ...nodes.flat().filter((node) => node !== null && node !== undefined));
  app.querySelector('h2')?.focus();
}

/** A view that failed to load: its error, and a Retry loading it again. */
function failure(error) {
  show(failurePanel(error, () => { loadingView(); route(); }));
}

function webhookList(instance) {
  if (!instance.webhook_urls?.length) return h('p', { class: 'mk-muted', text: t('instance.noWebhook') });
  return h('ul', { class: 'mk-webhooks' }, instance.webhook_urls.map((w) => h('li', {}, h('span', { class: 'mk-muted', text: `${w.flow}: ` }), h('code', { text: w.url }))));
}

// ---- views ----------------------------------------------------------------------------
let categories = null;

async function catalogView(params) {
  loadingView();
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const tier = params.get('tier') ?? '';
  const label = params.get('label') ?? ''; // a host's filter (`filters.label`), kept while filtering
  const query = new URLSearchParams();
  if (q) query.set('q', q);
  if (category) query.set('category', category);
  if (tier) query.set('tier', tier);
  if (label) query.set('label', label);
  const path = `/marketplace?${query}`;
  const page = await api('GET', path);
  if (categories === null || (!q && !category && !tier)) categories = [...new Set(page.items.map((e) => e.category))].sort();
  const search = h('input', { id: 'mk-search', type: 'search', value: q, placeholder: t('catalog.searchPlaceholder') });
  const tiers = tierFilter({ id: 'mk-tier', value: tier });
  const filter = (next) => {
    const query = new URLSearchParams();
    if (next.q) query.set('q', next.q);
    if (next.category) query.set('category', next.category);
    if (next.tier) query.set('tier', next.tier);
    if (label) query.set('label', label);
    go(`#/?${query}`);
  };
  const apply = (event) => {
    event.preventDefault();
    filter({ q: search.value, category, tier: tiers.value });
  };
  tiers.addEventListener('change', apply);
  const chips = categoryChips({ categories, current: category, onSelect: (chosen) => filter({ q: search.value, category: chosen, tier: tiers.value }) });
  const card = (entry) => catalogCard(entry, { href: `#/integration/${seg(entry.integration_id)}` });
  const cards = cardNavigation(h('ul', { class: 'mk-cards', 'aria-label': t('catalog.title') }, page.items.map(card)));
  show(h('h2', { tabindex: '-1', text: t('catalog.title') }),
    h('form', { class: 'mk-filters', role: 'search', onsubmit: apply },
      h('label', { for: 'mk-search', class: 'mk-visually-hidden', text: t('catalog.search') }), search,
      h('button', { type: 'submit', text: t('catalog.filter') }),
      chips,
      h('span', { class: 'mk-filter' }, h('label', { for: 'mk-tier', text: t('tier.label') }), tiers)),
    page.items.length ? cards : emptyState({ onClear: () => go('#/') }),
    more(page, path, card, cards));
}

/** A generated form; with `validateAll`, a changed field shows its errors from the service. */
function formPanel(spec, values, validateAll = null) {
  const container = h('div', { class: 'mk-form' });
  const touched = new Set();
  const form = renderConfigForm(container, spec, {
    values,
    onChange: validateAll && (async (key) => {
      touched.add(key);
      const result = await validateAll(form.read()).catch(() => null); // the submit reports a failure
      if (result) form.showErrors(result.errors.filter((e) => touched.has(e.path.split('/')[1])));
    }),
  });
  return { container, form };
}

/** The activation's success notice: the instance's status, its webhook URLs, a link to manage it. */
const activated = (current) => h('div', { class: current.status === 'failed' ? 'mk-alert' : 'mk-success', role: 'status' },
  h('strong', { text: current.status === 'active' ? t('detail.isActive', { name: current.name }) : `${current.name}: ` }),
  current.status === 'active' ? null : statusNote(current),
  current.status === 'failed' ? null : [h('p', { text: t('detail.webhookUrls') }), webhookList(current)],
  h('a', { href: `#/instance/${seg(current.id)}`, text: t('detail.manage') }));

/** The part of a spec holding only the variables `keys` names (a template's connections), in the
 * spec's order, for the package's form. */
const onlyVariables = (spec, keys) => ({ pages: spec.pages
  .map((page) => ({ ...page, elements: page.elements.filter((element) => keys.includes(element.key)) }))
  .filter((page) => page.elements.length > 0) });

/** The vendor's approved workflow templates of an integration: each activated in one click,
 * asking only for its connections (the service fills in the rest from the template). */
function templateList(detail, deployable) {
  const templates = detail.workflow_templates ?? [];
  if (templates.length === 0) return null;
  const item = (template) => {
    const panel = h('div', { class: 'mk-template-form', hidden: true });
    const open = h('button', { type: 'button', class: 'mk-secondary', disabled: !deployable, 'aria-label': t('templates.activateNamed', { name: template.name }), text: t('templates.activate'), onclick: () => {
      open.hidden = true;
      panel.hidden = false;
      const container = h('div', { class: 'mk-form' });
      const form = template.connections.length ? renderConfigForm(container, onlyVariables(detail.config, template.connections)) : null;
      const result = h('div', { 'aria-live': 'polite' });
      const idempotencyKey = crypto.randomUUID();
      const submit = h('button', { type: 'submit', class: 'mk-primary', text: t('templates.activateNamed', { name: template.name }) });
      panel.replaceChildren(h('form', { class: 'mk-activate', 'aria-label': t('templates.connect', { name: template.name }), novalidate: true, onsubmit: async (event) => {
        event.preventDefault();
        const done = await busy(submit, async () => {
          try {
            const body = { integration_id: detail.integration_id, template_id: template.id, connections: form ? form.read() : {} };
            const instance = await api('POST', '/instances', { body, headers: { 'idempotency-key': idempotencyKey } });
            postInstance('INSTANCE_ACTIVATED', instance);
            result.replaceChildren(tracked(instance, activated));
            return true;
          } catch (error) {
            if (error.errors?.length) form?.showErrors(error.errors, { prefix: '/connections' });
            result.replaceChildren(failurePanel(error));
            return false;
          }
        }, t('detail.activating'));
        submit.disabled = done; // activated: not twice
      } }, form ? container : h('p', { class: 'mk-muted', text: t('templates.nothingToConnect') }), submit), result);
    } });
    return h('li', { class: 'mk-card', 'data-template-id': template.id },
      h('h4', { text: template.name }),
      template.description ? h('p', { text: template.description }) : null,
      h('p', { class: 'mk-muted', text: t('templates.flows', { flows: template.flows.join(', ') }) }),
      open, panel);
  };
  return h('section', { class: 'mk-templates', 'aria-label': t('templates.title') },
    h('h3', { text: t('templates.title') }),
    h('p', { class: 'mk-muted', text: t('templates.intro') }),
    h('ul', { class: 'mk-cards' }, templates.map(item)));
}

async function integrationView(integrationId) {
  loadingView();
  const [detail, reviews] = await Promise.all([api('GET', `/marketplace/${seg(integrationId)}`), api('GET', `/marketplace/${seg(integrationId)}/reviews`)]);
  post('CONFIGURATION_LOADED', { integration_id: detail.integration_id });
  const validate = (config) => api('POST', `/marketplace/${seg(integrationId)}/validate`, { body: { config } });
  const { container, form } = formPanel(detail.config, {}, validate);
  const name = h('input', { id: 'mk-instance-name', type: 'text', value: detail.name });
  const result = h('div', { 'aria-live': 'polite' });
  const idempotencyKey = crypto.randomUUID();
  const deployable = detail.deployability.status === 'deployable';
  const submit = h('button', { type: 'submit', class: 'mk-primary', disabled: !deployable, text: t('detail.activate') });
  const overview = h('div', { class: 'mk-overview' });
  overview.innerHTML = detail.overview_html; // rendered and sanitised by the service
  const onsubmit = async (event) => {
    event.preventDefault();
    const done = await busy(submit, async () => {
      try {
        const config = form.read();
        const verdict = await validate(config);
        if (form.showErrors(verdict.errors) > 0) {
          result.replaceChildren();
          return false;
        }
        const instance = await api('POST', '/instances', { body: { integration_id: integrationId, name: name.value || undefined, config }, headers: { 'idempotency-key': idempotencyKey } });
        postInstance('INSTANCE_ACTIVATED', instance);
        result.replaceChildren(tracked(instance, activated));
        return true;
      } catch (error) {
        if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
        result.replaceChildren(failurePanel(error));
        return false;
      }
    }, t('detail.activating'));
    submit.disabled = done; // activated: not twice (the idempotency key would answer the same)
  };
  show(h('header', { class: 'mk-detail-head' }, icon(detail, { size: 56 }),
    h('div', {}, h('h2', { tabindex: '-1', text: detail.name }),
      h('p', { class: 'mk-meta' }, h('span', { class: 'mk-tag', text: detail.category }), tierBadge(detail.tier),
        priceTag(detail.pricing), ratingBadge(detail.rating),
        h('span', { class: 'mk-muted', text: t('detail.version', { version: detail.version }) })))),
    h('div', { class: 'mk-detail' },
      h('div', { class: 'mk-detail-main' },
        h('section', { class: 'mk-overview-section', 'aria-label': t('detail.overview') }, overview),
        certificationSections(detail),
        reviewsSection(detail, reviews.items, {
          send: (body, own) => (own ? api('PATCH', `/reviews/${seg(own.id)}`, { body }) : api('POST', `/marketplace/${seg(integrationId)}/reviews`, { body })),
          onSaved: () => route(),
        })),
      h('div', { class: 'mk-detail-side' },
        deployable ? null : h('div', { class: 'mk-alert', role: 'note' }, detail.deployability.reasons.map((r) => h('p', { text: r.message }))),
        h('form', { class: 'mk-activate', 'aria-label': t('detail.configure', { name: detail.name }), onsubmit, novalidate: true },
          h('div', { class: 'mk-field' }, h('label', { for: 'mk-instance-name', text: t('detail.instanceName') }), name),
          container, submit),
        result,
        templateList(detail, deployable))));
}

async function instancesView() {
  loadingView();
  const page = await api('GET', '/instances');
  const row = (i) => h('tr', {},
    h('td', {}, h('a', { href: `#/instance/${seg(i.id)}`, text: i.name })),
    h('td', { text: i.integration_id }), h('td', {}, tracked(i, statusNote)), h('td', { text: i.version }),
    h('td', {}, openButton(i, null)));
  const rows = h('tbody', {}, page.items.map(row));
  const heads = [t('instances.name'), t('instances.integration'), t('instances.status'), t('instances.version'), ''];
  show(h('h2', { tabindex: '-1', text: t('instances.title') }),
    page.items.length ? h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, heads.map((text) => h('th', { scope: 'col', text })))), rows)
      : h('p', { class: 'mk-muted', text: t('instances.none') }),
    more(page, '/instances', row, rows));
}

const EVENT_OF = { pause: 'INSTANCE_PAUSED', resume: 'INSTANCE_RESUMED', deactivate: 'INSTANCE_DEACTIVATED' };

/** A mapping's rule as read-only text: where its value comes from. */
function ruleText(mapping) {
  const otherwise = mapping.default === undefined ? '' : t('mappings.else', { value: JSON.stringify(mapping.default) });
  if (mapping.formula !== undefined) return t('mappings.ruleFormula', { formula: mapping.formula });
  if (mapping.table !== undefined) return t('mappings.ruleTable', { from: mapping.from, table: JSON.stringify(mapping.table) }) + otherwise;
  if (mapping.value !== undefined) return t('mappings.ruleValue', { value: JSON.stringify(mapping.value) });
  return t('mappings.ruleField', { from: mapping.from }) + otherwise;
}

/** The part of a mapping a customer edits: its formula, its value (static) or its source. */
const editedPart = (mapping) => (mapping.formula !== undefined ? 'formula' : mapping.value !== undefined && mapping.table === undefined ? 'value' : 'from');

/** The label of an editable mapping's part (`formula`, `value`, `from`). */
const partLabel = (part) => t(`mappings.${part}`);

/** A value as typed in a text box: strings as they are, the rest as JSON. */
const valueText = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

/** JSON typed by the user, else the text itself (the service judges it). */
function typedValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A list of field errors: each with its path. */
const errorList = (errors) => h('ul', { class: 'mk-errors', role: 'alert' },
  errors.map((e) => h('li', { 'data-code': e.code }, h('code', { text: e.path || '/' }), ` ${fieldErrorText(e)}`)));

/**
 * An instance's mappings of one collection: the mappings in effect, the overridable ones editable
 * (their formula, value or source), a sample input previewed by the service with the edits, and
 * the edits saved as the instance's overrides. The service applies and checks; nothing here does.
 */
async function mappingPanel(instanceId, collection) {
  const path = `/instances/${seg(instanceId)}/mappings/${seg(collection)}`;
  const current = await api('GET', path);
  const saved = new Map(current.overrides.map((mapping) => [mapping.to, mapping]));
  const editors = [];
  const rows = current.effective.map((mapping, index) => {
    let cell;
    if (mapping.overridable) {
      const part = editedPart(mapping);
      const id = `mk-map-${seg(collection)}-${index}`;
      const text = part === 'value' ? valueText(mapping.value) : mapping[part];
      const input = part === 'formula' ? h('textarea', { id, rows: 2, text }) : h('input', { id, type: 'text', value: text });
      editors.push({ mapping, part, input, initial: text });
      cell = h('div', { class: 'mk-field' }, h('label', { for: id, text: partLabel(part) }), input);
    } else {
      cell = h('code', { class: 'mk-readonly', text: ruleText(mapping) });
    }
    return h('tr', { 'data-to': mapping.to }, h('td', {}, h('code', { text: mapping.to })), h('td', {}, cell),
      h('td', { class: 'mk-muted', text: mapping.notes ?? '' }));
  });
  /** The overrides: saved ones, replaced or joined by the edited mappings. */
  const overrides = () => {
    const next = new Map(saved);
    for (const { mapping, part, input, initial } of editors) {
      if (input.value === initial && !saved.has(mapping.to)) continue;
      next.set(mapping.to, { ...mapping, [part]: part === 'value' ? typedValue(input.value) : input.value });
    }
    return [...next.values()];
  };
  const sampleId = `mk-sample-${seg(collection)}`;
  const sample = h('textarea', { id: sampleId, rows: 5, class: 'mk-sample', text: '{}' });
  const result = h('div', { class: 'mk-preview', 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'button', text: t('mappings.preview') });
  const saveButton = editors.length ? h('button', { type: 'button', class: 'mk-primary', text: t('mappings.save') }) : null;
  const buttons = [previewButton, saveButton];
  const failed = (error) => result.replaceChildren(failurePanel(error), error.errors?.length ? errorList(error.errors) : null);
  const preview = () => busy(buttons, async () => {
    let input;
    try {
      input = JSON.parse(sample.value);
    } catch {
      result.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: t('mappings.notJson') }));
      return;
    }
    try {
      const { output, errors } = await api('POST', `${path}/preview`, { body: { input, overrides: overrides() } });
      result.replaceChildren(h('h4', { text: t('mappings.output') }), h('pre', { class: 'mk-output', text: JSON.stringify(output, null, 2) }),
        errors.length ? errorList(errors) : h('p', { class: 'mk-muted', text: t('mappings.noErrors') }));
    } catch (error) {
      failed(error);
    }
  });
  const save = () => busy(buttons, async () => {
    try {
      const changed = await api('PUT', path, { body: { overrides: overrides() } });
      saved.clear();
      changed.overrides.forEach((mapping) => saved.set(mapping.to, mapping));
      result.replaceChildren(h('div', { class: 'mk-success', role: 'status', text: t('mappings.saved') }));
    } catch (error) {
      failed(error);
    }
  });
  previewButton.addEventListener('click', preview);
  saveButton?.addEventListener('click', save);
  const heads = [t('mappings.to'), t('mappings.rule'), t('mappings.notes')];
  return h('section', { class: 'mk-mappings', 'aria-label': t('mappings.of', { collection }) },
    h('h4', { text: collection }),
    h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, heads.map((text) => h('th', { scope: 'col', text })))), h('tbody', {}, rows)),
    h('div', { class: 'mk-field' }, h('label', { for: sampleId, text: t('mappings.sample') }), sample),
    h('div', { class: 'mk-actions' }, previewButton, saveButton),
    result);
}

/** The mapping panels of the collections an instance's flows use (none: nothing shown). */
async function mappingsSection(instance) {
  const collections = instance.collections ?? [];
  if (collections.length === 0) return null;
  const panels = await Promise.all(collections.map((collection) => mappingPanel(instance.id, collection)
    .catch((error) => h('div', { class: 'mk-alert', role: 'alert', text: `${collection}: ${problemText(error)}` }))));
  return h('section', { class: 'mk-mapping-list' }, h('h3', { text: t('mappings.title') }), panels);
}

/** The instance's OAuth2 connections (docs/connections.md), each with Connect / Reconnect: the
 * callback page's message is forwarded to the host, and a connection re-reads the instance. */
function connectionsSection(instance) {
  if (!instance.connections?.length || instance.status === 'deactivated') return null;
  return connectionsPanel(instance.connections, {
    connect: (key) => connectInPopup({
      origin: location.origin,
      authorize: () => api('POST', `/instances/${seg(instance.id)}/connections/${seg(key)}/authorize`),
    }),
    onOutcome: ({ type, ...payload }) => {
      post(type, payload);
      if (type === 'CONNECTION_AUTHORIZED') route();
    },
  });
}

async function instanceView(instanceId) {
  loadingView();
  const instance = await api('GET', `/instances/${seg(instanceId)}`);
  const [logs, executions] = await Promise.all([api('GET', `/instances/${seg(instanceId)}/logs?limit=20`), api('GET', `/instances/${seg(instanceId)}/executions?limit=20`)]);
  const launchMessage = h('div', { 'aria-live': 'polite' });
  /** The action buttons, disabled while one of them runs. */
  const buttons = [];
  // Deactivation says why (core's reasons): its refusal shows beside the picker.
  const picker = cancellationPicker();
  const act = (action) => busy(buttons, async () => {
    try {
      const body = action === 'deactivate' ? picker.read() : undefined;
      const changed = await api('POST', `/instances/${seg(instanceId)}/${action}`, { body });
      postInstance(EVENT_OF[action], changed);
      route();
    } catch (error) {
      if (action === 'deactivate') picker.showError(error);
      else launchMessage.replaceChildren(failurePanel(error));
    }
  });
  const button = (text, onclick, attributes = {}) => {
    const node = h('button', { type: 'button', text, onclick, ...attributes });
    buttons.push(node);
    return node;
  };
  const live = instance.status !== 'deactivated';
  // Pending and failed instances wait on the vendor or were refused: only deactivation.
  const settled = live && !UNSETTLED.includes(instance.status);
  // Deactivation asks for a second click in the page (hosts may sandbox the iframe without modals).
  const confirmation = h('div', { class: 'mk-alert', role: 'alert', hidden: true },
    h('p', { text: t('instance.confirmDeactivate', { name: instance.name }) }),
    picker.node,
    button(t('instance.yesDeactivate'), () => act('deactivate'), { class: 'mk-danger' }), ' ',
    h('button', { type: 'button', onclick: () => { confirmation.hidden = true; }, text: t('instance.keep') }));
  const actions = h('div', { class: 'mk-actions' },
    openButton(instance, launchMessage),
    instance.status === 'active' ? button(t('instance.pause'), () => act('pause')) : null,
    instance.status === 'paused' ? button(t('instance.resume'), () => act('resume')) : null,
    live ? h('button', { type: 'button', class: 'mk-danger', onclick: () => { confirmation.hidden = false; }, text: t('instance.deactivate') }) : null);
  let reconfigure = null;
  if (settled) {
    const detail = await api('GET', `/marketplace/${seg(instance.integration_id)}`).catch(() => null);
    if (detail && detail.version === instance.version) {
      // Stored secrets come back masked, so the service judges the merged config on save.
      const { container, form } = formPanel(detail.config, instance.config);
      const message = h('div', { 'aria-live': 'polite' });
      const save = h('button', { type: 'submit', class: 'mk-primary', text: t('instance.save') });
      reconfigure = h('form', { class: 'mk-activate', 'aria-label': t('instance.reconfigure'), novalidate: true, onsubmit: (event) => {
        event.preventDefault();
        return busy(save, async () => {
          try {
            const changed = await api('PATCH', `/instances/${seg(instanceId)}`, { body: { config: form.read() } });
            postInstance('INSTANCE_RECONFIGURED', changed);
            message.replaceChildren(h('div', { class: 'mk-success', role: 'status', text: t('instance.saved') }));
          } catch (error) {
            if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
            message.replaceChildren(failurePanel(error));
          }
        }, t('instance.saving'));
      } }, h('h3', { text: t('instance.configuration') }), container, save, message);
    }
  }
  const mappings = settled ? await mappingsSection(instance) : null;
  const table = (title, heads, rows) => h('section', {}, h('h3', { text: title }), rows.length
    ? h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, heads.map((key) => h('th', { scope: 'col', text: t(key) })))), h('tbody', {}, rows))
    : h('p', { class: 'mk-muted', text: t('app.nothingYet') }));
  const row = (cells) => h('tr', {}, cells.map(([text, datetime]) => h('td', {}, datetime ? h('time', { datetime, text }) : text)));
  show(h('h2', { tabindex: '-1', text: instance.name }),
    h('p', { class: 'mk-meta' }, tracked(instance, statusNote, () => route()), h('span', { class: 'mk-muted', text: ` ${t('instance.summary', { integration: instance.integration_id, version: instance.version })}` })),
    actions, launchMessage, confirmation, connectionsSection(instance), h('h3', { text: t('instance.webhooks') }), webhookList(instance), reconfigure, mappings,
    table(t('instance.executions'), ['instance.started', 'instance.flow', 'instance.trigger', 'instances.status', 'instance.attempts'],
      executions.items.map((e) => row([[formatDate(e.started_at), e.started_at], [e.flow], [e.trigger], [e.status], [formatNumber(e.attempts)]]))),
    table(t('instance.logs'), ['instance.at', 'instance.severity', 'instance.type', 'instance.message'],
      logs.items.map((l) => row([[formatDate(l.at), l.at], [l.severity], [l.type], [l.message]]))));
}

async function route() {
  if (portal ? session === null : token === null) return;
  const [path, search] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(search ?? '');
  const ctx = { api, download, show, session, route };
  try {
    if (portal && path === '/users') await usersView(ctx);
    else if (portal && path === '/attachments') await attachmentsView(ctx, params);
    else if (path.startsWith('/integration/')) await integrationView(decodeURIComponent(path.slice(13)));
    else if (path.startsWith('/instance/')) await instanceView(decodeURIComponent(path.slice(10)));
    else if (path === '/instances') await instancesView();
    else await catalogView(params);
  } catch (error) {
    if (portal && session === null) return; // signed out meanwhile: the sign-in form is shown
    failure(error);
  }
}

window.addEventListener('hashchange', route);
if (portal) startPortal();
