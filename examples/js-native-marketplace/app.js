// A fully native marketplace in the host's own page, from the npm package: the catalog and the
// instances through the `Marketplace` client (the service's embedded API, over CORS), forms
// generated from each spec, and field errors computed in the browser by core's rules
// (`CompiledSpec`, WebAssembly) before any request. Approved workflow templates activate in one
// click (`activateTemplate`, only their connections asked); an instance's mappings are previewed
// and overridden through the service (`previewMappings`, `setMappings`). Listings show their
// certification tier and filter by it (`tierBadge`, `tierFilter`: the service filters), and the
// detail its provider, applications, documentation and collections (`certificationSections`).
import config from '/demo/config.js';
import init, { CompiledSpec, Marketplace, certificationSections, h, renderConfigForm, tierBadge, tierFilter } from '/pkg/index.js';

await init();

const client = new Marketplace({
  baseUrl: config.baseUrl,
  // The host's backend signs a token for its signed-in user (here, the demo host's stub).
  getToken: async () => (await (await fetch(`/demo/token${location.search}`)).json()).token,
});
const app = document.getElementById('app');

/** Shows a view: the nodes given, skipping the absent ones. */
const view = (...nodes) => app.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined));

const webhooks = (instance) => h('ul', {}, instance.webhook_urls.map((w) => h('li', {}, `${w.flow}: `, h('code', { text: w.url }))));

async function catalog(params) {
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const tier = params.get('tier') ?? '';
  const all = await client.catalog();
  const page = q || category || tier
    ? await client.catalog({ q: q || undefined, category: category || undefined, tier: tier || undefined }) : all;
  const categories = [...new Set(all.items.map((e) => e.category))].sort();
  const search = h('input', { id: 'search', type: 'search', value: q });
  const select = h('select', { id: 'category' }, h('option', { value: '', text: 'All categories' }),
    categories.map((c) => h('option', { value: c, selected: c === category, text: c })));
  const tiers = tierFilter({ id: 'tier', value: tier });
  const apply = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (search.value) next.set('q', search.value);
    if (select.value) next.set('category', select.value);
    if (tiers.value) next.set('tier', tiers.value);
    location.hash = `#/?${next}`;
  };
  select.addEventListener('change', apply);
  tiers.addEventListener('change', apply);
  view(h('h1', { text: 'Integrations' }),
    h('form', { class: 'filters', role: 'search', onsubmit: apply },
      h('label', { for: 'search', text: 'Search' }), search, h('label', { for: 'category', text: 'Category' }), select,
      h('label', { for: 'tier', text: 'Tier' }), tiers,
      h('button', { type: 'submit', text: 'Filter' })),
    page.items.length === 0 ? h('p', { text: 'No integration matches.' }) : null,
    h('ul', { class: 'cards' }, page.items.map((entry) => h('li', { class: 'card', 'data-integration-id': entry.integration_id },
      h('h3', {}, h('a', { href: `#/integration/${encodeURIComponent(entry.integration_id)}`, text: entry.name }), ' ',
        entry.activated ? h('span', { class: 'mark', text: 'Activated' }) : null),
      h('p', { text: entry.description }), h('p', { class: 'meta' }, h('small', { text: entry.category }), tierBadge(entry.tier))))));
}

async function integration(id) {
  const detail = await client.integration(id);
  const overview = h('div', { class: 'overview' });
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
  const onsubmit = async (event) => {
    event.preventDefault();
    const values = form.read();
    if (form.showErrors(check(values)) > 0) return;
    try {
      const instance = await client.activate(id, values, { name: name.value, idempotencyKey });
      result.replaceChildren(h('div', { class: 'notice', role: 'status' },
        h('strong', { text: `${instance.name} is active.` }), h('p', { text: 'Webhook URLs:' }), webhooks(instance),
        h('a', { href: `#/instance/${encodeURIComponent(instance.id)}`, text: 'Manage it' })));
    } catch (error) {
      if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
      result.replaceChildren(h('div', { class: 'alert', role: 'alert', text: error.message }));
    }
  };
  const deployable = detail.deployability.status === 'deployable';
  view(h('h1', { text: detail.name }), h('p', { class: 'meta' }, h('small', { text: `version ${detail.version}` }), tierBadge(detail.tier)),
    overview, ...certificationSections(detail), templates(detail),
    deployable ? null : h('div', { class: 'alert', role: 'note' }, detail.deployability.reasons.map((r) => h('p', { text: r.message }))),
    h('form', { onsubmit, novalidate: true, 'aria-label': `Configure ${detail.name}` },
      h('div', { class: 'mk-field' }, h('label', { for: 'instance-name', text: 'Instance name' }), name),
      container, h('button', { type: 'submit', class: 'primary', disabled: !deployable, text: 'Activate' })),
    result);
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
    const onsubmit = async (event) => {
      event.preventDefault();
      try {
        const instance = await client.activateTemplate(detail.integration_id, template.id, form ? form.read() : {});
        result.replaceChildren(h('div', { class: 'notice', role: 'status' }, h('strong', { text: `${instance.name} is active.` }), webhooks(instance),
          h('a', { href: `#/instance/${encodeURIComponent(instance.id)}`, text: 'Manage it' })));
      } catch (error) {
        if (error.errors?.length) form?.showErrors(error.errors, { prefix: '/connections' });
        result.replaceChildren(h('div', { class: 'alert', role: 'alert', text: error.message }));
      }
    };
    return h('li', { class: 'card' }, h('h3', { text: template.name }), h('p', { text: template.description ?? '' }),
      h('form', { onsubmit, novalidate: true, 'aria-label': `Connect ${template.name}` }, container,
        h('button', { type: 'submit', class: 'primary', text: `Activate ${template.name}` })), result);
  };
  return h('section', {}, h('h2', { text: 'Ready-made setups' }), h('ul', { class: 'cards' }, detail.workflow_templates.map(item)));
}

/** An instance's mappings of a collection: overridable ones editable, previewed and saved through the service. */
async function mappingPanel(id, collection) {
  const current = await client.mappings(id, collection);
  const edits = [];
  const rows = current.effective.map((mapping) => {
    const part = mapping.formula !== undefined ? 'formula' : mapping.value !== undefined ? 'value' : 'from';
    const text = part === 'value' ? JSON.stringify(mapping.value) : mapping[part];
    let cell = h('code', { text: `${part}: ${text}` });
    if (mapping.overridable) {
      const input = h('input', { type: 'text', value: text, 'aria-label': `${mapping.to} ${part}` });
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
  const sample = h('textarea', { rows: 4, 'aria-label': `Sample input for ${collection}`, text: '{}' });
  const result = h('div', { 'aria-live': 'polite' });
  const failed = (error) => result.replaceChildren(h('div', { class: 'alert', role: 'alert', text: error.message }));
  const preview = async () => {
    try {
      const { output, errors } = await client.previewMappings(id, collection, { input: JSON.parse(sample.value), overrides: overrides() });
      result.replaceChildren(h('pre', { text: JSON.stringify(output, null, 2) }),
        h('ul', {}, errors.map((e) => h('li', { class: 'alert' }, h('code', { text: e.path }), ` ${e.message}`))));
    } catch (error) { failed(error); }
  };
  const save = async () => {
    try {
      await client.setMappings(id, collection, overrides());
      result.replaceChildren(h('div', { class: 'notice', role: 'status', text: 'Mappings saved.' }));
    } catch (error) { failed(error); }
  };
  return h('section', {}, h('h3', { text: collection }), h('table', {}, h('tbody', {}, rows)), sample,
    h('button', { type: 'button', onclick: preview, text: 'Preview' }), edits.length ? h('button', { type: 'button', onclick: save, text: 'Save mappings' }) : null, result);
}

async function instances() {
  const page = await client.instances();
  view(h('h1', { text: 'My integrations' }), page.items.length === 0 ? h('p', { text: 'None yet.' })
    : h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Integration', 'Status'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, page.items.map((i) => h('tr', {},
        h('td', {}, h('a', { href: `#/instance/${encodeURIComponent(i.id)}`, text: i.name })),
        h('td', { text: i.integration_id }), h('td', { text: i.status_message ? `${i.status}: ${i.status_message}` : i.status }))))));
}

async function instance(id) {
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
      reconfigure = h('form', { novalidate: true, 'aria-label': 'Reconfigure', onsubmit: async (event) => {
        event.preventDefault();
        try {
          await client.reconfigure(id, { config: form.read() });
          message.replaceChildren(h('div', { class: 'notice', role: 'status', text: 'Saved.' }));
        } catch (error) {
          if (error.errors?.length) form.showErrors(error.errors, { prefix: '/config' });
          message.replaceChildren(h('div', { class: 'alert', role: 'alert', text: error.message }));
        }
      } }, h('h2', { text: 'Configuration' }), container, h('button', { type: 'submit', class: 'primary', text: 'Save' }));
    }
  }
  const deactivate = async () => {
    await client.deactivate(id);
    route();
  };
  // Single sign-on into the vendor's product: a fresh launch URL per click, opened in a new tab.
  const open = async () => {
    try {
      const { url } = await client.launchInstance(id);
      window.open(url, '_blank', 'noopener');
    } catch (error) {
      message.replaceChildren(h('div', { class: 'alert', role: 'alert', text: error.message }));
    }
  };
  view(h('h1', { text: current.name }), h('p', { text: `${current.integration_id} · ${current.status} · version ${current.version}` }),
    current.status_message ? h('div', { class: 'alert', role: 'alert', text: current.status_message }) : null,
    settled && current.launch_url ? h('button', { type: 'button', onclick: open, text: 'Open' }) : null,
    h('h2', { text: 'Webhook URLs' }), webhooks(current), reconfigure, message,
    settled && current.collections?.length ? h('section', {}, h('h2', { text: 'Mappings' }),
      await Promise.all(current.collections.map((collection) => mappingPanel(id, collection)))) : null,
    live ? h('button', { type: 'button', onclick: deactivate, text: 'Deactivate' }) : null);
}

async function route() {
  const [path, search] = (location.hash.slice(1) || '/').split('?');
  try {
    if (path.startsWith('/integration/')) await integration(decodeURIComponent(path.slice(13)));
    else if (path.startsWith('/instance/')) await instance(decodeURIComponent(path.slice(10)));
    else if (path === '/instances') await instances();
    else await catalog(new URLSearchParams(search ?? ''));
  } catch (error) {
    app.replaceChildren(h('div', { class: 'alert', role: 'alert', text: error.message }));
  }
}

window.addEventListener('hashchange', route);
route();
