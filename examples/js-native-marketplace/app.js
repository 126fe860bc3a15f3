// A fully native marketplace in the host's own page, from the npm package: the catalog and the
// instances through the `Marketplace` client (the service's embedded API, over CORS), forms
// generated from each spec, and field errors computed in the browser by core's rules
// (`CompiledSpec`, WebAssembly) before any request. Approved workflow templates activate in one
// click (`activateTemplate`, only their connections asked); an instance's mappings are previewed
// and overridden through the service (`previewMappings`, `setMappings`); OAuth connections
// connect in a popup (`connectionsPanel`, `connectInPopup`, `authorizeConnection`); prices,
// ratings and reviews show on the detail (`reviewsSection`, with the form its `review_prompt`
// asks for), and a deactivation asks why (`cancellationPicker`). It looks like the
// iframe page because it is drawn by the same pieces (`catalogCard`, `categoryChips`,
// `cardNavigation`, `emptyState`, `tierFilter`, `certificationSections`, the feedback helpers)
// with the package's stylesheet (`marketplace.css`, themed here through `--mk-*` properties),
// and speaks the same phrases (`t`, `?lang=de` for German).
import config from '/demo/config.js';
import init, {
  CompiledSpec, Marketplace, busy, cancellationPicker, cardNavigation, catalogCard, categoryChips, certificationSections, connectInPopup,
  connectionsPanel, emptyState, failurePanel, h, icon, loading, priceTag, ratingBadge, renderConfigForm, reviewsSection, setLanguage, t,
  tierBadge, tierFilter, valueLabel,
} from '/pkg/index.js';

const query = new URLSearchParams(location.search);
document.documentElement.lang = setLanguage(query.get('lang') ?? 'en');
if (query.get('theme') === 'dark') document.documentElement.dataset.theme = 'dark';
await init();

const client = new Marketplace({
  baseUrl: config.baseUrl,
  // The host's backend signs a token for its signed-in user (here, the demo host's stub).
  getToken: async () => (await (await fetch(`/demo/token${location.search}`)).json()).token,
});
const app = document.getElementById('app');
const nav = document.getElementById('nav');
nav.setAttribute('aria-label', t('nav.label'));
nav.replaceChildren(
  h('a', { href: '#/', text: t('nav.catalog') }), h('a', { href: '#/instances', text: t('nav.instances') }));

/** Shows a view: the nodes given, skipping the absent ones. */
const view = (...nodes) => {
  app.removeAttribute('aria-busy');
  app.replaceChildren(...nodes.flat().filter((node) => node !== null && node !== undefined));
};

/** While a view loads: the current one dimmed, or a loading line when there is none yet. */
const loadingView = () => {
  app.setAttribute('aria-busy', 'true');
  if (!app.querySelector('h1')) app.replaceChildren(loading());
};

const webhooks = (instance) => h('ul', {}, instance.webhook_urls.map((w) => h('li', {}, `${w.flow}: `, h('code', { text: w.url }))));

/** The activation's notice: the instance is active, its webhook URLs, a link to manage it. */
const activeNotice = (instance) => h('div', { class: 'mk-success', role: 'status' },
  h('strong', { text: t('detail.isActive', { name: instance.name }) }), h('p', { text: t('detail.webhookUrls') }), webhooks(instance),
  h('a', { href: `#/instance/${encodeURIComponent(instance.id)}`, text: t('detail.manageShort') }));

let categories = null;

async function catalog(params) {
  loadingView();
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const tier = params.get('tier') ?? '';
  const page = await client.catalog({ q: q || undefined, category: category || undefined, tier: tier || undefined });
  if (categories === null || (!q && !category && !tier)) {
    categories = [...new Set((q || category || tier ? (await client.catalog()) : page).items.map((e) => e.category))].sort();
  }
  const search = h('input', { id: 'search', type: 'search', value: q, placeholder: t('catalog.searchPlaceholder') });
  const tiers = tierFilter({ id: 'tier', value: tier });
  const filter = (next) => {
    const hash = new URLSearchParams();
    for (const [key, value] of Object.entries(next)) if (value) hash.set(key, value);
    location.hash = `#/?${hash}`;
  };
  const apply = (event) => {
    event.preventDefault();
    filter({ q: search.value, category, tier: tiers.value });
  };
  tiers.addEventListener('change', apply);
  const cards = cardNavigation(h('ul', { class: 'mk-cards', 'aria-label': t('catalog.title') },
    page.items.map((entry) => catalogCard(entry, { href: `#/integration/${encodeURIComponent(entry.integration_id)}` }))));
  view(h('h1', { text: t('catalog.title') }),
    h('form', { class: 'mk-filters', role: 'search', onsubmit: apply },
      h('label', { for: 'search', class: 'mk-visually-hidden', text: t('catalog.search') }), search,
      h('button', { type: 'submit', text: t('catalog.filter') }),
      categoryChips({ categories, current: category, onSelect: (chosen) => filter({ q: search.value, category: chosen, tier: tiers.value }) }),
      h('span', { class: 'mk-filter' }, h('label', { for: 'tier', text: t('tier.label') }), tiers)),
    page.items.length ? cards : emptyState({ onClear: () => { location.hash = '#/'; } }));
}

async function integration(id) {
  loadingView();
  const [detail, reviews] = await Promise.all([client.integration(id), client.reviews(id)]);
  const overview = h('div', { class: 'mk-overview' });
  overview.innerHTML = detail.overview_html; // sanitised by the service
  const container = h('div');
  const touched = new Set();
  // Errors are computed here, in the browser, by core's rules: no request while typing.
  const spec = new CompiledSpec(detail.config);
  const check = (values) => spec.validate(values, 'customer').errors;
  const form = renderConfigForm(container, detail.config, {
    onChange: (key) => {
      touched.add(key);
      form.showErrors(check(form.read()).filter((e) => touched.has(e.path.split('/')[1])));
    },
  });
  const name = h('input', { id: 'instance-name', type: 'text', value: detail.name });
  const result = h('div', { 'aria-live': 'polite' });
  const idempotencyKey = crypto.randomUUID();
  const deployable = detail.deployability.status === 'deployable';
  const submit = h('button', { type: 'submit', class: 'mk-primary', disabled: !deployable, text: t('detail.activate') });
  const onsubmit = async (event) => {
    event.preventDefault();
    const values = form.read();
    if (form.showErrors(check(values)) > 0) return;
    const done = await busy(submit, async () => {
      try {
        result.replaceChildren(activeNotice(await client.activate(id, values, { name: name.value, idempotencyKey })));
        return true;
      } catch (error) {
        if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
        result.replaceChildren(failurePanel(error));
        return false;
      }
    }, t('detail.activating'));
    submit.disabled = done; // activated: not twice
  };
  view(h('header', { class: 'mk-detail-head' }, icon(detail, { size: 56 }),
    h('div', {}, h('h1', { text: detail.name }), h('p', { class: 'mk-meta' }, h('span', { class: 'mk-tag', text: detail.category }),
      tierBadge(detail.tier), priceTag(detail.pricing), ratingBadge(detail.rating), h('span', { class: 'mk-muted', text: t('detail.version', { version: detail.version }) })))),
  h('div', { class: 'mk-detail' },
    h('div', { class: 'mk-detail-main' }, overview, certificationSections(detail),
      reviewsSection(detail, reviews.items, {
        send: (body, own) => (own ? client.editReview(own.id, body) : client.review(id, body)),
        onSaved: () => route(),
      })),
    h('div', { class: 'mk-detail-side' },
      deployable ? null : h('div', { class: 'mk-alert', role: 'note' }, detail.deployability.reasons.map((r) => h('p', { text: r.message }))),
      h('form', { onsubmit, novalidate: true, 'aria-label': t('detail.configure', { name: detail.name }) },
        h('div', { class: 'mk-field' }, h('label', { for: 'instance-name', text: t('detail.instanceName') }), name),
        container, submit),
      result, templates(detail))));
}

/** The approved workflow templates: one click, asking only for the template's connections. */
function templates(detail) {
  if (!detail.workflow_templates?.length) return null;
  const item = (template) => {
    const container = h('div');
    const keys = template.connections;
    const spec = { pages: detail.config.pages.map((page) => ({ ...page, elements: page.elements.filter((e) => keys.includes(e.key)) }))
      .filter((page) => page.elements.length > 0) };
    const form = keys.length ? renderConfigForm(container, spec) : null;
    const result = h('div', { 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit', class: 'mk-primary', text: t('templates.activateNamed', { name: template.name }) });
    const onsubmit = (event) => {
      event.preventDefault();
      return busy(submit, async () => {
        try {
          result.replaceChildren(activeNotice(await client.activateTemplate(detail.integration_id, template.id, form ? form.read() : {})));
        } catch (error) {
          if (error.errors?.length) form?.showErrors(error.errors, { prefix: '/connections' });
          result.replaceChildren(failurePanel(error));
        }
      }, t('detail.activating'));
    };
    return h('li', { class: 'mk-card' }, h('h4', { text: template.name }), h('p', { text: template.description ?? '' }),
      h('form', { onsubmit, novalidate: true, 'aria-label': t('templates.connect', { name: template.name }) }, container, submit), result);
  };
  return h('section', { class: 'mk-templates' }, h('h2', { text: t('templates.title') }), h('ul', { class: 'mk-cards' }, detail.workflow_templates.map(item)));
}

/** An instance's mappings of a collection: overridable ones editable, previewed and saved through the service. */
async function mappingPanel(id, collection) {
  const current = await client.mappings(id, collection);
  const edits = [];
  const rows = current.effective.map((mapping) => {
    const part = mapping.formula !== undefined ? 'formula' : mapping.value !== undefined ? 'value' : 'from';
    const text = part === 'value' ? JSON.stringify(mapping.value) : mapping[part];
    let cell = h('code', { text: `${t(`mappings.${part}`)}: ${text}` });
    if (mapping.overridable) {
      const input = h('input', { type: 'text', value: text, 'aria-label': `${mapping.to} ${t(`mappings.${part}`)}` });
      edits.push({ mapping, part, input, text });
      cell = input;
    }
    return h('tr', {}, h('td', {}, h('code', { text: mapping.to })), h('td', {}, cell));
  });
  const overrides = () => {
    const byTo = new Map(current.overrides.map((m) => [m.to, m]));
    for (const { mapping, part, input, text } of edits) {
      if (input.value === text && !byTo.has(mapping.to)) continue;
      let value = input.value;
      if (part === 'value') try { value = JSON.parse(value); } catch { /* sent as text, for the service to judge */ }
      byTo.set(mapping.to, { ...mapping, [part]: value });
    }
    return [...byTo.values()];
  };
  const sample = h('textarea', { rows: 4, class: 'mk-sample', 'aria-label': t('mappings.sampleFor', { collection }), text: '{}' });
  const result = h('div', { 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'button', text: t('mappings.preview') });
  const saveButton = edits.length ? h('button', { type: 'button', class: 'mk-primary', text: t('mappings.save') }) : null;
  const buttons = [previewButton, saveButton];
  previewButton.addEventListener('click', () => busy(buttons, async () => {
    try {
      const { output, errors } = await client.previewMappings(id, collection, { input: JSON.parse(sample.value), overrides: overrides() });
      result.replaceChildren(h('pre', { class: 'mk-output', text: JSON.stringify(output, null, 2) }),
        h('ul', { class: 'mk-errors' }, errors.map((e) => h('li', {}, h('code', { text: e.path }), ` ${e.message}`))));
    } catch (error) { result.replaceChildren(failurePanel(error)); }
  }));
  saveButton?.addEventListener('click', () => busy(buttons, async () => {
    try {
      await client.setMappings(id, collection, overrides());
      result.replaceChildren(h('div', { class: 'mk-success', role: 'status', text: t('mappings.saved') }));
    } catch (error) { result.replaceChildren(failurePanel(error)); }
  }));
  return h('section', { class: 'mk-mappings' }, h('h3', { text: collection }), h('table', { class: 'mk-table' }, h('tbody', {}, rows)), sample,
    h('div', { class: 'mk-actions' }, previewButton, saveButton), result);
}

async function instances() {
  loadingView();
  const page = await client.instances();
  const heads = [t('instances.name'), t('instances.integration'), t('instances.status')];
  view(h('h1', { text: t('instances.title') }), page.items.length === 0 ? h('p', { class: 'mk-muted', text: t('instances.none') })
    : h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, heads.map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, page.items.map((i) => h('tr', {},
        h('td', {}, h('a', { href: `#/instance/${encodeURIComponent(i.id)}`, text: i.name })),
        h('td', { text: i.integration_id }),
        h('td', { text: i.status_message ? `${valueLabel('status', i.status)}: ${i.status_message}` : valueLabel('status', i.status) }))))));
}

async function instance(id) {
  loadingView();
  const current = await client.instance(id);
  const live = current.status !== 'deactivated';
  // Pending (the vendor has not confirmed) and failed (the vendor refused) only deactivate.
  const settled = live && current.status !== 'pending' && current.status !== 'failed';
  const message = h('div', { 'aria-live': 'polite' });
  let reconfigure = null;
  if (settled) {
    const detail = await client.integration(current.integration_id).catch(() => null);
    if (detail && detail.version === current.version) {
      const container = h('div');
      const form = renderConfigForm(container, detail.config, { values: current.config });
      const save = h('button', { type: 'submit', class: 'mk-primary', text: t('instance.save') });
      reconfigure = h('form', { novalidate: true, 'aria-label': t('instance.reconfigure'), onsubmit: (event) => {
        event.preventDefault();
        return busy(save, async () => {
          try {
            await client.reconfigure(id, { config: form.read() });
            message.replaceChildren(h('div', { class: 'mk-success', role: 'status', text: t('instance.saved') }));
          } catch (error) {
            if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
            message.replaceChildren(failurePanel(error));
          }
        }, t('instance.saving'));
      } }, h('h2', { text: t('instance.configuration') }), container, save);
    }
  }
  // Deactivation asks why first (core's reasons, `cancellationPicker`), then confirms.
  const picker = cancellationPicker();
  const confirm = h('button', { type: 'button', class: 'mk-danger', text: t('instance.yesDeactivate') });
  confirm.addEventListener('click', () => busy(confirm, async () => {
    try {
      await client.deactivate(id, picker.read());
      route();
    } catch (error) { picker.showError(error); }
  }));
  const confirmation = h('div', { class: 'mk-alert', role: 'alert', hidden: true },
    h('p', { text: t('instance.confirmDeactivate', { name: current.name }) }), picker.node, confirm);
  const deactivate = h('button', { type: 'button', class: 'mk-danger', text: t('instance.deactivate'), onclick: () => { confirmation.hidden = false; } });
  // Single sign-on into the vendor's product: a fresh launch URL per click, opened in a new tab.
  const open = h('button', { type: 'button', text: t('instance.open') });
  open.addEventListener('click', () => busy(open, async () => {
    try {
      const { url } = await client.launchInstance(id);
      window.open(url, '_blank', 'noopener');
    } catch (error) { message.replaceChildren(failurePanel(error)); }
  }));
  // OAuth connections: the service's callback page posts to this page (the origin that asked).
  const connections = live && current.connections?.length ? connectionsPanel(current.connections, {
    connect: (key) => connectInPopup({ origin: new URL(config.baseUrl).origin, authorize: () => client.authorizeConnection(id, key) }),
    onOutcome: (outcome) => { if (outcome.type === 'CONNECTION_AUTHORIZED') route(); },
  }) : null;
  view(h('h1', { text: current.name }),
    h('p', { text: t('instance.line', { integration: current.integration_id, status: valueLabel('status', current.status), version: current.version }) }),
    current.status_message ? h('div', { class: 'mk-alert', role: 'alert', text: current.status_message }) : null,
    settled && current.launch_url ? open : null,
    connections,
    h('h2', { text: t('instance.webhooks') }), webhooks(current), reconfigure, message,
    settled && current.collections?.length ? h('section', {}, h('h2', { text: t('mappings.title') }),
      await Promise.all(current.collections.map((collection) => mappingPanel(id, collection)))) : null,
    live ? [deactivate, confirmation] : null);
}

async function route() {
  const [path, search] = (location.hash.slice(1) || '/').split('?');
  try {
    if (path.startsWith('/integration/')) await integration(decodeURIComponent(path.slice(13)));
    else if (path.startsWith('/instance/')) await instance(decodeURIComponent(path.slice(10)));
    else if (path === '/instances') await instances();
    else await catalog(new URLSearchParams(search ?? ''));
  } catch (error) {
    view(failurePanel(error, route));
  }
}

window.addEventListener('hashchange', route);
route();
