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
// the service, which applies and checks them. Each listing shows its certification tier, the
// catalog filters by tier (the service's `?tier=`: at least that tier), and the detail shows the
// provider, supported applications, documentation and collections (`catalog.js`, shared with
// the npm package).
//
// Opened directly at `/portal/{organization_id}` (`data-mode="portal"`), the same page is the
// customer portal: no host and no token, a session cookie instead (portal.js draws sign-in,
// users and attachments), and the CSRF token of the session on every unsafe request.
import { h, renderConfigForm } from './form.js';
import { certificationSections, tierBadge, tierFilter } from './catalog.js';
import { rules } from './rules.js';
import { accountBar, attachmentsView, signedOutView, takeAcceptToken, usersView } from './portal.js';

const body = document.body;
const allowed = JSON.parse(body.dataset.origins || '[]');
const app = document.getElementById('app');
const portal = body.dataset.mode === 'portal';
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
  if (typeof accent === 'string' && new RegExp(accentPattern).test(accent)) document.documentElement.style.setProperty('--accent', accent);
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
  }
});

applyTheme({ theme: body.dataset.theme, accent: body.dataset.accent });
if (!portal) post('MARKETPLACE_READY');

/** Posts an instance event (`INSTANCE_ACTIVATED`...) with its documented payload. */
function postInstance(type, instance) {
  post(type, { instance_id: instance.id, integration_id: instance.integration_id, version: instance.version });
}

function freshToken() {
  post('TOKEN_EXPIRED');
  return new Promise((resolve, reject) => {
    tokenWaiters.push(resolve);
    setTimeout(() => reject(new Error('the host sent no fresh token')), 10000);
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
    const response = await send(method, `/api/v1/embedded${path}`, options);
    if (response.status === 401 && !retried) {
      if (portal) { signedOut('Your session ended. Sign in again.'); throw new ApiError(401, { detail: 'Signed out' }); }
      await freshToken();
      continue;
    }
    return answer(response);
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
  signedOut('You are signed out.');
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

/** A "Show more" button appending the next pages of a list to `list` while there are more. */
function more(page, path, render, list) {
  let cursor = page.next_cursor;
  const button = h('button', { type: 'button', class: 'mk-secondary', hidden: !cursor, text: 'Show more' });
  button.addEventListener('click', async () => {
    const separator = path.includes('?') ? '&' : '?';
    const next = await api('GET', `${path}${separator}cursor=${encodeURIComponent(cursor)}`);
    list.append(...next.items.map(render));
    cursor = next.next_cursor;
    button.hidden = !cursor;
  });
  return button;
}
const seg = encodeURIComponent;
const statusBadge = (status) => h('span', { class: `mk-badge mk-${status}`, text: status.replace('_', ' ') });

/** Statuses waiting on the vendor or refused by it: only deactivation is offered. */
const UNSETTLED = ['pending', 'failed'];

/** An instance's badge, with what a `pending` or `failed` one means for the customer. */
function statusNote(instance) {
  const note = instance.status === 'pending' ? 'Waiting for the vendor to confirm'
    : instance.status === 'failed' ? (instance.status_message || 'The vendor refused the activation') : null;
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
  return h('button', { type: 'button', class: 'mk-secondary', 'aria-label': `Open ${instance.name}`, text: 'Open', onclick: async () => {
    try {
      const { url } = await api('POST', `/instances/${seg(instance.id)}/launch`);
      window.open(url, '_blank', 'noopener');
    } catch (error) {
      message?.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.message }));
    }
  } });
}

function show(...nodes) {
  const at = (prefix) => (location.hash.startsWith(prefix) ? 'page' : null);
  const elsewhere = ['#/instance', '#/users', '#/attachments'].some((prefix) => location.hash.startsWith(prefix));
  app.replaceChildren(
    h('nav', { class: 'mk-nav', 'aria-label': 'Marketplace' },
      h('a', { href: '#/', 'aria-current': elsewhere ? null : 'page', text: 'Marketplace' }),
      h('a', { href: '#/instances', 'aria-current': at('#/instance'), text: 'My integrations' }),
      portal ? [h('a', { href: '#/users', 'aria-current': at('#/users'), text: 'Users' }),
        h('a', { href: '#/attachments', 'aria-current': at('#/attachments'), text: 'Attachments' }),
        accountBar(session, signOut)] : null),
    ...nodes.flat().filter((node) => node !== null && node !== undefined));
  app.querySelector('h2')?.focus();
}

function failure(error) {
  show(h('div', { class: 'mk-alert', role: 'alert' }, h('strong', { text: 'Something went wrong. ' }), error.message));
}

function webhookList(instance) {
  if (!instance.webhook_urls?.length) return h('p', { class: 'mk-muted', text: 'No webhook URL.' });
  return h('ul', { class: 'mk-webhooks' }, instance.webhook_urls.map((w) => h('li', {}, h('span', { class: 'mk-muted', text: `${w.flow}: ` }), h('code', { text: w.url }))));
}

// ---- views ----------------------------------------------------------------------------
let categories = null;

async function catalogView(params) {
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const tier = params.get('tier') ?? '';
  const query = new URLSearchParams();
  if (q) query.set('q', q);
  if (category) query.set('category', category);
  if (tier) query.set('tier', tier);
  const path = `/marketplace?${query}`;
  const page = await api('GET', path);
  if (categories === null || (!q && !category && !tier)) categories = [...new Set(page.items.map((e) => e.category))].sort();
  const search = h('input', { id: 'mk-search', type: 'search', value: q, placeholder: 'Search integrations' });
  const select = h('select', { id: 'mk-category' }, h('option', { value: '', text: 'All categories' }), categories.map((c) => h('option', { value: c, selected: c === category, text: c })));
  const tiers = tierFilter({ id: 'mk-tier', value: tier });
  const apply = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (search.value) next.set('q', search.value);
    if (select.value) next.set('category', select.value);
    if (tiers.value) next.set('tier', tiers.value);
    go(`#/?${next}`);
  };
  select.addEventListener('change', apply);
  tiers.addEventListener('change', apply);
  const card = (entry) => h('li', { class: 'mk-card', 'data-integration-id': entry.integration_id },
    h('h3', {}, h('a', { href: `#/integration/${seg(entry.integration_id)}`, text: entry.name })),
    h('p', { text: entry.description }),
    h('p', { class: 'mk-meta' }, h('span', { class: 'mk-tag', text: entry.category }), tierBadge(entry.tier),
      entry.activated ? h('span', { class: 'mk-badge mk-active', text: 'Activated' }) : null,
      entry.deployability.status !== 'deployable' ? h('span', { class: 'mk-badge mk-paused', text: 'Contact your vendor' }) : null));
  const cards = h('ul', { class: 'mk-cards' }, page.items.map(card));
  show(h('h2', { tabindex: '-1', text: 'Integrations' }),
    h('form', { class: 'mk-filters', role: 'search', onsubmit: apply },
      h('label', { for: 'mk-search', text: 'Search' }), search,
      h('label', { for: 'mk-category', text: 'Category' }), select,
      h('label', { for: 'mk-tier', text: 'Tier' }), tiers,
      h('button', { type: 'submit', text: 'Filter' })),
    page.items.length ? cards : h('p', { class: 'mk-muted', text: 'No integration matches.' }),
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
      const result = await validateAll(form.read());
      form.showErrors(result.errors.filter((e) => touched.has(e.path.split('/')[1])));
    }),
  });
  return { container, form };
}

/** The activation's success notice: the instance's status, its webhook URLs, a link to manage it. */
const activated = (current) => h('div', { class: current.status === 'failed' ? 'mk-alert' : 'mk-success', role: 'status' },
  h('strong', { text: current.status === 'active' ? `${current.name} is active.` : `${current.name}: ` }),
  current.status === 'active' ? null : statusNote(current),
  current.status === 'failed' ? null : [h('p', { text: 'Webhook URLs:' }), webhookList(current)],
  h('a', { href: `#/instance/${seg(current.id)}`, text: 'Manage this instance' }));

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
    const open = h('button', { type: 'button', class: 'mk-secondary', disabled: !deployable, 'aria-label': `Activate ${template.name}`, text: 'Activate', onclick: () => {
      open.hidden = true;
      panel.hidden = false;
      const container = h('div', { class: 'mk-form' });
      const form = template.connections.length ? renderConfigForm(container, onlyVariables(detail.config, template.connections)) : null;
      const result = h('div', { 'aria-live': 'polite' });
      const idempotencyKey = crypto.randomUUID();
      const submit = h('button', { type: 'submit', class: 'mk-primary', text: `Activate ${template.name}` });
      panel.replaceChildren(h('form', { class: 'mk-activate', 'aria-label': `Connect ${template.name}`, novalidate: true, onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        try {
          const body = { integration_id: detail.integration_id, template_id: template.id, connections: form ? form.read() : {} };
          const instance = await api('POST', '/instances', { body, headers: { 'idempotency-key': idempotencyKey } });
          postInstance('INSTANCE_ACTIVATED', instance);
          result.replaceChildren(tracked(instance, activated));
        } catch (error) {
          submit.disabled = false;
          if (error.errors?.length) form?.showErrors(error.errors, { prefix: '/connections' });
          result.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.message }));
        }
      } }, form ? container : h('p', { class: 'mk-muted', text: 'Nothing to connect: the template has everything it needs.' }), submit), result);
    } });
    return h('li', { class: 'mk-card', 'data-template-id': template.id },
      h('h4', { text: template.name }),
      template.description ? h('p', { text: template.description }) : null,
      h('p', { class: 'mk-muted', text: `Flows: ${template.flows.join(', ')}` }),
      open, panel);
  };
  return h('section', { class: 'mk-templates', 'aria-label': 'Ready-made setups' },
    h('h3', { text: 'Ready-made setups' }),
    h('p', { class: 'mk-muted', text: 'Set up by the vendor: activate one in one click, with only your connections to give.' }),
    h('ul', { class: 'mk-cards' }, templates.map(item)));
}

async function integrationView(integrationId) {
  const detail = await api('GET', `/marketplace/${seg(integrationId)}`);
  post('CONFIGURATION_LOADED', { integration_id: detail.integration_id });
  const validate = (config) => api('POST', `/marketplace/${seg(integrationId)}/validate`, { body: { config } });
  const { container, form } = formPanel(detail.config, {}, validate);
  const name = h('input', { id: 'mk-instance-name', type: 'text', value: detail.name });
  const result = h('div', { 'aria-live': 'polite' });
  const idempotencyKey = crypto.randomUUID();
  const deployable = detail.deployability.status === 'deployable';
  const submit = h('button', { type: 'submit', class: 'mk-primary', disabled: !deployable, text: 'Activate' });
  const overview = h('div', { class: 'mk-overview' });
  overview.innerHTML = detail.overview_html; // rendered and sanitised by the service
  const onsubmit = async (event) => {
    event.preventDefault();
    const config = form.read();
    const verdict = await validate(config);
    if (form.showErrors(verdict.errors) > 0) return;
    submit.disabled = true;
    try {
      const instance = await api('POST', '/instances', { body: { integration_id: integrationId, name: name.value || undefined, config }, headers: { 'idempotency-key': idempotencyKey } });
      postInstance('INSTANCE_ACTIVATED', instance);
      result.replaceChildren(tracked(instance, activated));
    } catch (error) {
      submit.disabled = false;
      if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
      result.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.message }));
    }
  };
  show(h('h2', { tabindex: '-1', text: detail.name }),
    h('p', { class: 'mk-meta' }, h('span', { class: 'mk-tag', text: detail.category }), tierBadge(detail.tier), h('span', { class: 'mk-muted', text: ` version ${detail.version}` })),
    overview,
    certificationSections(detail),
    deployable ? null : h('div', { class: 'mk-alert', role: 'note' }, detail.deployability.reasons.map((r) => h('p', { text: r.message }))),
    templateList(detail, deployable),
    h('form', { class: 'mk-activate', 'aria-label': `Configure ${detail.name}`, onsubmit, novalidate: true },
      h('div', { class: 'mk-field' }, h('label', { for: 'mk-instance-name', text: 'Instance name' }), name),
      container, submit),
    result);
}

async function instancesView() {
  const page = await api('GET', '/instances');
  const row = (i) => h('tr', {},
    h('td', {}, h('a', { href: `#/instance/${seg(i.id)}`, text: i.name })),
    h('td', { text: i.integration_id }), h('td', {}, tracked(i, statusNote)), h('td', { text: i.version }),
    h('td', {}, openButton(i, null)));
  const rows = h('tbody', {}, page.items.map(row));
  show(h('h2', { tabindex: '-1', text: 'My integrations' }),
    page.items.length ? h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, ['Name', 'Integration', 'Status', 'Version', ''].map((t) => h('th', { scope: 'col', text: t })))), rows)
      : h('p', { class: 'mk-muted', text: 'No integration activated yet.' }),
    more(page, '/instances', row, rows));
}

const EVENT_OF = { pause: 'INSTANCE_PAUSED', resume: 'INSTANCE_RESUMED', deactivate: 'INSTANCE_DEACTIVATED' };

/** A mapping's rule as read-only text: where its value comes from. */
function ruleText(mapping) {
  if (mapping.formula !== undefined) return `formula: ${mapping.formula}`;
  if (mapping.table !== undefined) return `translation of ${mapping.from}: ${JSON.stringify(mapping.table)}${mapping.default === undefined ? '' : `, else ${JSON.stringify(mapping.default)}`}`;
  if (mapping.value !== undefined) return `value: ${JSON.stringify(mapping.value)}`;
  return `field ${mapping.from}${mapping.default === undefined ? '' : `, else ${JSON.stringify(mapping.default)}`}`;
}

/** The part of a mapping a customer edits: its formula, its value (static) or its source. */
const editedPart = (mapping) => (mapping.formula !== undefined ? 'formula' : mapping.value !== undefined && mapping.table === undefined ? 'value' : 'from');

/** The label of an editable mapping's part. */
const PART_LABELS = { formula: 'Formula', value: 'Value', from: 'Source field' };

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
  errors.map((e) => h('li', { 'data-code': e.code }, h('code', { text: e.path || '/' }), ` ${e.message}`)));

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
      cell = h('div', { class: 'mk-field' }, h('label', { for: id, text: PART_LABELS[part] }), input);
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
  const preview = async () => {
    let input;
    try {
      input = JSON.parse(sample.value);
    } catch {
      result.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: 'The sample input is not JSON.' }));
      return;
    }
    try {
      const { output, errors } = await api('POST', `${path}/preview`, { body: { input, overrides: overrides() } });
      result.replaceChildren(h('h4', { text: 'Output' }), h('pre', { class: 'mk-output', text: JSON.stringify(output, null, 2) }),
        errors.length ? errorList(errors) : h('p', { class: 'mk-muted', text: 'No errors.' }));
    } catch (error) {
      result.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.message }), error.errors?.length ? errorList(error.errors) : null);
    }
  };
  const save = async () => {
    try {
      const changed = await api('PUT', path, { body: { overrides: overrides() } });
      saved.clear();
      changed.overrides.forEach((mapping) => saved.set(mapping.to, mapping));
      result.replaceChildren(h('div', { class: 'mk-success', role: 'status', text: 'Mappings saved.' }));
    } catch (error) {
      result.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.message }), error.errors?.length ? errorList(error.errors) : null);
    }
  };
  return h('section', { class: 'mk-mappings', 'aria-label': `Mappings of ${collection}` },
    h('h4', { text: collection }),
    h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, ['To', 'Rule', 'Notes'].map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, rows)),
    h('div', { class: 'mk-field' }, h('label', { for: sampleId, text: 'Sample input (JSON)' }), sample),
    h('div', { class: 'mk-actions' },
      h('button', { type: 'button', onclick: preview, text: 'Preview' }),
      editors.length ? h('button', { type: 'button', class: 'mk-primary', onclick: save, text: 'Save mappings' }) : null),
    result);
}

/** The mapping panels of the collections an instance's flows use (none: nothing shown). */
async function mappingsSection(instance) {
  const collections = instance.collections ?? [];
  if (collections.length === 0) return null;
  const panels = await Promise.all(collections.map((collection) => mappingPanel(instance.id, collection)
    .catch((error) => h('div', { class: 'mk-alert', role: 'alert', text: `${collection}: ${error.message}` }))));
  return h('section', { class: 'mk-mapping-list' }, h('h3', { text: 'Mappings' }), panels);
}

/** The instance's OAuth2 connections (docs/connections.md), each with Connect / Reconnect:
 * the provider's page opens in a popup; the service's callback page posts
 * CONNECTION_AUTHORIZED or CONNECTION_FAILED here (accepted only from this page's own origin and
 * that popup), which is forwarded to the host before the instance is read again. */
function connectionsSection(instance) {
  if (!instance.connections?.length || instance.status === 'deactivated') return null;
  const message = h('div', { 'aria-live': 'polite' });
  const connect = async (key) => {
    const popup = window.open('', 'mk-connect', 'popup,width=520,height=680');
    try {
      const { authorize_url: url } = await api('POST', `/instances/${seg(instance.id)}/connections/${seg(key)}/authorize`);
      if (!popup) throw new Error('The popup was blocked: allow popups for this page and try again.');
      popup.location.href = url;
    } catch (error) {
      popup?.close();
      message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.message }));
      return;
    }
    const listener = (event) => {
      const type = event.data?.type;
      if (event.origin !== location.origin || event.source !== popup) return;
      if (type !== 'CONNECTION_AUTHORIZED' && type !== 'CONNECTION_FAILED') return;
      window.removeEventListener('message', listener);
      const { type: _, ...payload } = event.data;
      post(type, payload);
      if (type === 'CONNECTION_FAILED') {
        message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: `Not connected: ${payload.error_description || payload.error}` }));
      } else {
        route();
      }
    };
    window.addEventListener('message', listener);
  };
  const rows = instance.connections.map((c) => h('li', { class: 'mk-connection-status', 'data-key': c.key, 'data-status': c.status },
    h('strong', { text: c.key }), ' ',
    h('span', { class: 'mk-badge', text: c.status.replace(/_/g, ' ') }),
    c.error ? h('span', { class: 'mk-muted', text: ` ${c.error}` }) : null, ' ',
    h('button', { type: 'button', class: c.status === 'connected' ? 'mk-secondary' : 'mk-primary', onclick: () => connect(c.key),
      text: c.status === 'not_connected' ? 'Connect' : 'Reconnect' })));
  return h('section', { 'aria-label': 'Connections' }, h('h3', { text: 'Connections' }), h('ul', { class: 'mk-list' }, rows), message);
}

async function instanceView(instanceId) {
  const instance = await api('GET', `/instances/${seg(instanceId)}`);
  const [logs, executions] = await Promise.all([api('GET', `/instances/${seg(instanceId)}/logs?limit=20`), api('GET', `/instances/${seg(instanceId)}/executions?limit=20`)]);
  const act = async (action) => {
    const path = action === 'deactivate' ? `/instances/${seg(instanceId)}` : `/instances/${seg(instanceId)}/${action}`;
    const changed = await api(action === 'deactivate' ? 'DELETE' : 'POST', path);
    postInstance(EVENT_OF[action], changed);
    route();
  };
  const live = instance.status !== 'deactivated';
  // Pending and failed instances wait on the vendor or were refused: only deactivation.
  const settled = live && !UNSETTLED.includes(instance.status);
  const launchMessage = h('div', { 'aria-live': 'polite' });
  // Deactivation asks for a second click in the page (hosts may sandbox the iframe without modals).
  const confirmation = h('div', { class: 'mk-alert', role: 'alert', hidden: true },
    h('p', { text: `Deactivate ${instance.name}? Its webhooks stop for good.` }),
    h('button', { type: 'button', class: 'mk-danger', onclick: () => act('deactivate'), text: 'Yes, deactivate' }), ' ',
    h('button', { type: 'button', onclick: () => { confirmation.hidden = true; }, text: 'Keep it' }));
  const actions = h('div', { class: 'mk-actions' },
    openButton(instance, launchMessage),
    instance.status === 'active' ? h('button', { type: 'button', onclick: () => act('pause'), text: 'Pause' }) : null,
    instance.status === 'paused' ? h('button', { type: 'button', onclick: () => act('resume'), text: 'Resume' }) : null,
    live ? h('button', { type: 'button', class: 'mk-danger', onclick: () => { confirmation.hidden = false; }, text: 'Deactivate' }) : null);
  let reconfigure = null;
  if (settled) {
    const detail = await api('GET', `/marketplace/${seg(instance.integration_id)}`).catch(() => null);
    if (detail && detail.version === instance.version) {
      // Stored secrets come back masked, so the service judges the merged config on save.
      const { container, form } = formPanel(detail.config, instance.config);
      const message = h('div', { 'aria-live': 'polite' });
      reconfigure = h('form', { class: 'mk-activate', 'aria-label': 'Reconfigure', novalidate: true, onsubmit: async (event) => {
        event.preventDefault();
        try {
          const changed = await api('PATCH', `/instances/${seg(instanceId)}`, { body: { config: form.read() } });
          postInstance('INSTANCE_RECONFIGURED', changed);
          message.replaceChildren(h('div', { class: 'mk-success', role: 'status', text: 'Saved.' }));
        } catch (error) {
          if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
          message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.message }));
        }
      } }, h('h3', { text: 'Configuration' }), container, h('button', { type: 'submit', class: 'mk-primary', text: 'Save' }), message);
    }
  }
  const mappings = settled ? await mappingsSection(instance) : null;
  const table = (title, heads, rows) => h('section', {}, h('h3', { text: title }), rows.length
    ? h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, rows))
    : h('p', { class: 'mk-muted', text: 'Nothing yet.' }));
  show(h('h2', { tabindex: '-1', text: instance.name }),
    h('p', { class: 'mk-meta' }, tracked(instance, statusNote, () => route()), h('span', { class: 'mk-muted', text: ` ${instance.integration_id} · version ${instance.version}` })),
    actions, launchMessage, confirmation, connectionsSection(instance), h('h3', { text: 'Webhook URLs' }), webhookList(instance), reconfigure, mappings,
    table('Executions', ['Started', 'Flow', 'Trigger', 'Status', 'Attempts'], executions.items.map((e) => h('tr', {}, [e.started_at, e.flow, e.trigger, e.status, String(e.attempts)].map((t) => h('td', { text: t }))))),
    table('Logs', ['At', 'Severity', 'Type', 'Message'], logs.items.map((l) => h('tr', {}, [l.at, l.severity, l.type, l.message].map((t) => h('td', { text: t }))))));
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
