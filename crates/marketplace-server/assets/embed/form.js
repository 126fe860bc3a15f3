// `renderConfigForm`: a form generated from a config spec, page by page, for every variable type
// and connection kind, with labelled controls and inline errors. It holds no rule: the errors it
// shows come from core (this package's `CompiledSpec`) or the service's validate endpoint, and
// the connection inputs and the masked placeholder are core's data, from `./rules.js`. Its
// strings are phrases (`./phrases.js`), field errors phrased from their stable `code`.
//
// One file, two homes: the service serves it to its iframe page, where `./rules.js` reads the
// data the service wrote into the page; `cargo xtask wasm` copies it into the npm package, where
// `./rules.js` asks the WebAssembly module (initialised before a form is drawn).
import { rules } from './rules.js';
import { fieldErrorText, t, valueLabel } from './phrases.js';

let forms = 0;

/** Whether a value is the masked placeholder of a stored secret (core's, compared as JSON). */
const isMasked = (value) => value !== null && typeof value === 'object' && !Array.isArray(value)
  && JSON.stringify(value) === JSON.stringify(rules().masked);

/** The masked placeholder, sent back to keep a stored secret. */
const masked = () => structuredClone(rules().masked);

/**
 * A DOM element: `on<event>` attributes become listeners, `text` the text content, other
 * non-string values the element's properties (`checked`, `hidden`...), strings attributes; absent
 * and `false` values are skipped. Children may be nodes, strings or arrays of them.
 */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = value;
    else if (name in node && typeof value !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return node;
}

/** A text for a JSON-ish value in a textarea. */
const asText = (value) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** Parses JSON typed by the user; what does not parse is sent as text for the rules to judge. */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A number typed by the user; what is not one is sent as typed, for the rules to judge. */
const asNumber = (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

/** The control(s) of one variable: `{node, read}`; `read()` gives the value or undefined. */
function control(variable, id, value) {
  const { type, collection } = variable;
  const wasMasked = isMasked(value);
  if (type === 'picklist') {
    const multiple = collection === 'value_list';
    const chosen = new Set(multiple ? (Array.isArray(value) ? value : []) : [value]);
    const options = (multiple ? [] : [h('option', { value: '', text: t('form.choose') })])
      .concat((variable.options ?? []).map((o) => h('option', { value: o, text: o, selected: chosen.has(o) })));
    const select = h('select', { id, multiple }, options);
    return { node: select, read: () => (multiple ? [...select.selectedOptions].map((o) => o.value) : select.value || undefined) };
  }
  if (collection === 'value_list') {
    const area = h('textarea', { id, rows: 3, placeholder: t('form.oneValuePerLine') });
    area.value = Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n') : '';
    const numeric = type === 'integer' || type === 'number';
    return { node: area, read: () => { const lines = area.value.split('\n').map((l) => l.trim()).filter(Boolean); return lines.length ? lines.map((l) => (numeric ? asNumber(l) : l)) : undefined; } };
  }
  if (collection === 'key_value_list') {
    const area = h('textarea', { id, rows: 3, placeholder: t('form.pairsPerLine') });
    area.value = Array.isArray(value) ? value.map((p) => `${p.key}=${p.value}`).join('\n') : '';
    return { node: area, read: () => { const pairs = area.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => { const at = l.indexOf('='); return at < 0 ? { key: l, value: '' } : { key: l.slice(0, at).trim(), value: l.slice(at + 1).trim() }; }); return pairs.length ? pairs : undefined; } };
  }
  switch (type) {
    case 'boolean': {
      const box = h('input', { id, type: 'checkbox', checked: value === true });
      return { node: box, read: () => box.checked };
    }
    case 'text': case 'code': case 'json': case 'object_field_map': {
      const area = h('textarea', { id, rows: type === 'text' ? 3 : 5, spellcheck: type === 'text' });
      area.value = type === 'json' || type === 'object_field_map' ? asText(value) : (value ?? '');
      return { node: area, read: () => (area.value.trim() === '' ? undefined : (type === 'json' || type === 'object_field_map' ? parseJson(area.value) : area.value)) };
    }
    case 'schedule': {
      const cron = h('input', { id, type: 'text', placeholder: '*/15 * * * *', 'aria-label': t('form.cron', { label: variable.label }) });
      const zone = h('input', { id: `${id}-timezone`, type: 'text', placeholder: 'Europe/Paris', 'aria-label': t('form.timezone', { label: variable.label }) });
      cron.value = value?.cron ?? '';
      zone.value = value?.timezone ?? '';
      return { node: h('span', { class: 'mk-pair' }, [cron, zone]), read: () => (cron.value || zone.value ? { cron: cron.value, timezone: zone.value } : undefined) };
    }
    case 'connection': {
      // The vendor's OAuth app: the customer connects in a popup from the instance, types nothing.
      if (variable.connection?.app) return { node: h('span', { id, class: 'mk-muted', text: t('connection.fromInstance') }), read: () => undefined };
      const inputs = rules().connection_inputs[variable.connection?.kind] ?? [];
      const fields = inputs.map(({ name, secret }, i) => {
        const inputId = i === 0 ? id : `${id}-${name}`;
        const input = h('input', { id: inputId, type: secret ? 'password' : 'text', autocomplete: 'off', placeholder: secret && isMasked(value?.[name]) ? t('form.unchanged') : '' });
        if (typeof value?.[name] === 'string') input.value = value[name];
        return { name, secret, input, node: h('label', { class: 'mk-sub', for: inputId }, [h('span', { text: valueLabel('connection', name) }), input]) };
      });
      return {
        node: h('span', { class: 'mk-connection' }, fields.map((f) => f.node)),
        read: () => {
          const out = {};
          for (const f of fields) {
            if (f.input.value !== '') out[f.name] = f.input.value;
            else if (f.secret && isMasked(value?.[f.name])) out[f.name] = masked();
          }
          return Object.keys(out).length ? out : undefined;
        },
      };
    }
    default: {
      const kinds = { integer: 'number', number: 'number', url: 'url', email: 'email', date: 'date', secret: 'password' };
      const input = h('input', { id, type: kinds[type] ?? 'text', step: type === 'number' ? 'any' : undefined, autocomplete: type === 'secret' ? 'off' : undefined, placeholder: wasMasked ? t('form.unchanged') : (type === 'timestamp' ? '2026-01-31T09:00:00Z' : undefined) });
      if (!wasMasked && value !== undefined && value !== null) input.value = String(value);
      return {
        node: input,
        read: () => (input.value === '' ? (wasMasked ? masked() : undefined) : (type === 'integer' || type === 'number' ? asNumber(input.value) : input.value)),
      };
    }
  }
}

/**
 * Renders a spec's pages into `container`, one page at a time. `values` pre-fills the form
 * (defaults otherwise; masked secrets stay unchanged unless typed). Returns the form's handle.
 */
export function renderConfigForm(container, spec, { values = {}, onChange } = {}) {
  const prefix = `mk${++forms}`;
  const fields = new Map();
  const pages = spec.pages.map((page, index) => {
    const section = h('section', { class: 'mk-page', 'aria-label': page.title, hidden: index > 0 }, [
      h('h3', { text: `${index + 1}. ${page.title}` }),
    ]);
    if (page.tagline) section.append(h('p', { class: 'mk-tagline', text: page.tagline }));
    for (const item of page.elements) {
      if ('header' in item) {
        section.append(h('h4', { text: item.header }));
        continue;
      }
      const id = `${prefix}-${item.key}`;
      const { node, read } = control(item, id, values[item.key] ?? item.default);
      const error = h('p', { id: `${id}-error`, class: 'mk-error', role: 'alert', hidden: true });
      const help = item.description ? h('p', { id: `${id}-help`, class: 'mk-help', text: item.description }) : null;
      const label = h('label', { for: id, text: item.required ? t('form.required', { label: item.label }) : item.label });
      const field = h('div', { class: 'mk-field', 'data-key': item.key }, [label, node, help ?? '', error]);
      const described = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ');
      for (const input of field.querySelectorAll('input, select, textarea')) input.setAttribute('aria-describedby', described);
      field.addEventListener('change', () => onChange?.(item.key));
      section.append(field);
      fields.set(item.key, { field, read, error, page: index, variable: item });
    }
    return section;
  });
  let current = 0;
  const back = h('button', { type: 'button', class: 'mk-secondary', text: t('app.back') });
  const next = h('button', { type: 'button', class: 'mk-secondary', text: t('app.next') });
  const step = h('span', { class: 'mk-step', 'aria-live': 'polite' });
  const show = (index) => {
    current = Math.max(0, Math.min(index, pages.length - 1));
    pages.forEach((page, i) => { page.hidden = i !== current; });
    back.hidden = current === 0;
    next.hidden = current === pages.length - 1;
    step.textContent = pages.length > 1 ? t('app.page', { page: current + 1, pages: pages.length }) : '';
  };
  back.addEventListener('click', () => show(current - 1));
  next.addEventListener('click', () => show(current + 1));
  const nav = h('div', { class: 'mk-pages-nav' }, [back, step, next]);
  container.replaceChildren(...pages, nav);
  show(0);

  return {
    /** The values typed, by key (empty fields left out). */
    read() {
      const out = {};
      for (const [key, { read }] of fields) {
        const value = read();
        if (value !== undefined) out[key] = value;
      }
      return out;
    },
    /** Shows field errors (`{path, code, message}`) inline, phrased from their `code` in the
     * current language; returns how many were shown. With `prefix` (`/config`), paths into a
     * request body are read relative to its config. */
    showErrors(errors, { prefix = '' } = {}) {
      for (const { field, error } of fields.values()) {
        error.hidden = true;
        error.textContent = '';
        for (const input of field.querySelectorAll('input, select, textarea')) input.removeAttribute('aria-invalid');
      }
      let first = null;
      for (const e of errors) {
        const path = prefix && e.path.startsWith(prefix) ? e.path.slice(prefix.length) : e.path;
        const key = path.split('/')[1] ?? '';
        const target = fields.get(key);
        if (!target) continue;
        target.error.hidden = false;
        const message = fieldErrorText({ ...e, path }, target.variable);
        target.error.textContent = (target.error.textContent ? `${target.error.textContent} ` : '') + message;
        target.error.dataset.code = e.code;
        for (const input of target.field.querySelectorAll('input, select, textarea')) input.setAttribute('aria-invalid', 'true');
        if (first === null || target.page < first.page) first = target;
      }
      if (first) show(first.page);
      return errors.length;
    },
    /** Shows page `index` (0-based). */
    showPage: show,
  };
}
