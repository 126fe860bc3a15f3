// `Marketplace`: the client of the embedded API for JavaScript apps, mirroring the Rust SDK
// (`marketplace-embedded`): one method per endpoint, each a Promise of plain objects; tokens
// from the host refreshed 30 s before `exp` and once after a 401; writes checked locally with
// core's rules (`CompiledSpec`, from the WebAssembly module) before any request, with no read
// when the spec and the instance are known from earlier answers.
import { CompiledSpec } from './values.js';

const PREFIX = '/api/v1/embedded';
const REFRESH_MARGIN_SECONDS = 30;

/** A `MarketplaceError`, as the WebAssembly functions throw, with the client's fields. */
function failure(code, message, { status = 0, errors = [], reasons = [], requestId = null } = {}) {
  const error = new Error(message);
  error.name = 'MarketplaceError';
  error.code = code;
  error.status = status;
  error.errors = errors;
  error.reasons = reasons;
  error.requestId = requestId;
  return error;
}

/** The key of an integration version's compiled spec. */
const specKey = (integrationId, version) => `${integrationId}@${version}`;

/** The `exp` claim of a JWT (seconds), read without checking the signature; null if none. */
export function tokenExpiry(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(payload.padEnd(payload.length + ((4 - payload.length % 4) % 4), '='))).exp;
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}

export class Marketplace {
  #base;
  #getToken;
  #token;
  /** Compiled specs by `specKey` (a version's spec never changes once published). */
  #specs = new Map();
  /** The listed version of each integration, as last seen (catalog entries, details). */
  #listed = new Map();
  /** Each instance as last seen (its integration, version and masked config), by id. */
  #instances = new Map();

  /** @param {import('./marketplace_wasm.js').MarketplaceOptions} options */
  constructor(options) {
    const { baseUrl, getToken, token } = options ?? {};
    if (typeof baseUrl !== 'string') {
      throw failure('invalid_argument', 'invalid options: /baseUrl: expected a string',
        { errors: [{ path: '/baseUrl', code: 'invalid', message: 'expected a string' }] });
    }
    if (typeof getToken !== 'function' && typeof token !== 'string') {
      throw failure('invalid_argument', 'invalid options: expected getToken (a function) or token (a string)',
        { errors: [{ path: '/getToken', code: 'invalid', message: 'expected getToken or token' }] });
    }
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#getToken = typeof getToken === 'function' ? getToken : null;
    this.#token = typeof token === 'string' ? token : null;
  }

  /** The marketplace, filtered (`category`, `label`, `q`) and paged (`limit`, `cursor`). */
  async catalog(query = {}) {
    const page = await this.#call('GET', '/marketplace', { query });
    for (const entry of page.items) this.#listed.set(entry.integration_id, entry.version);
    return page;
  }

  /** One integration with its overview, the spec the customer fills in and its flows. */
  async integration(integrationId) {
    const detail = await this.#call('GET', `/marketplace/${encodeURIComponent(integrationId)}`);
    this.#listed.set(detail.integration_id, detail.version);
    const key = specKey(detail.integration_id, detail.version);
    if (!this.#specs.has(key)) this.#specs.set(key, new CompiledSpec(detail.config));
    return detail;
  }

  /** The service's verdict on values (`{valid, errors}`), nothing stored. */
  validate(integrationId, config) {
    return this.#call('POST', `/marketplace/${encodeURIComponent(integrationId)}/validate`, { body: { config } });
  }

  /** Checks values locally against the listed spec, as the customer: the field errors (read
   * from the service only when the integration's listed spec is not known yet). */
  async check(integrationId, config) {
    return (await this.#listedSpec(integrationId)).validate(config, 'customer').errors;
  }

  /** Activates an integration, after a local check (code `validation_failed`, nothing sent). */
  async activate(integrationId, config, { name, idempotencyKey } = {}) {
    const errors = await this.check(integrationId, config);
    if (errors.length > 0) throw failure('validation_failed', `invalid config: ${errors.length} error(s)`, { errors });
    const body = { integration_id: integrationId, config };
    if (name !== undefined) body.name = name;
    return this.#seen(await this.#call('POST', '/instances', { body, idempotencyKey }));
  }

  /** The customer's instances, paged. */
  async instances(page = {}) {
    const list = await this.#call('GET', '/instances', { query: page });
    list.items.forEach((instance) => this.#seen(instance));
    return list;
  }

  /** One of the customer's instances. */
  async instance(instanceId) {
    return this.#seen(await this.#call('GET', this.#instancePath(instanceId)));
  }

  /** Renames and/or reconfigures an instance (omitted secrets keep their values), checked
   * locally first (core's rule of reconfiguration, over the instance's masked values as last
   * seen) when its version's spec is known or still listed; read only what was never seen. */
  async reconfigure(instanceId, { name, config } = {}) {
    if (config !== undefined) {
      const instance = this.#instances.get(instanceId) ?? await this.instance(instanceId);
      const spec = await this.#specOf(instance.integration_id, instance.version);
      const errors = spec ? spec.validateUpdate(instance.config, config, 'customer').errors : [];
      if (errors.length > 0) throw failure('validation_failed', `invalid config: ${errors.length} error(s)`, { errors });
    }
    const body = {};
    if (name !== undefined) body.name = name;
    if (config !== undefined) body.config = config;
    return this.#seen(await this.#call('PATCH', this.#instancePath(instanceId), { body }));
  }

  /** Pauses an instance. */
  async pause(instanceId) {
    return this.#seen(await this.#call('POST', this.#instancePath(instanceId, '/pause')));
  }

  /** Resumes a paused instance. */
  async resume(instanceId) {
    return this.#seen(await this.#call('POST', this.#instancePath(instanceId, '/resume')));
  }

  /** Deactivates an instance; with a `cancellation` (`{reason, comment}`), saying why. */
  async deactivate(instanceId, cancellation) {
    const changed = cancellation === undefined
      ? await this.#call('DELETE', this.#instancePath(instanceId))
      : await this.#call('POST', this.#instancePath(instanceId, '/deactivate'), { body: cancellation });
    return this.#seen(changed);
  }

  /** The customer's subscriptions, paged (`limit`, `cursor`). */
  subscriptions(page = {}) {
    return this.#call('GET', '/subscriptions', { query: page });
  }

  /** An integration's reviews (the customer's own one is `mine`). */
  reviews(integrationId) {
    return this.#call('GET', `/marketplace/${encodeURIComponent(integrationId)}/reviews`);
  }

  /** Reviews an integration the customer subscribed to (`{rating, text}`). */
  review(integrationId, review) {
    return this.#call('POST', `/marketplace/${encodeURIComponent(integrationId)}/reviews`, { body: review });
  }

  /** Edits the customer's own review, or adds its `follow_up` once the customer came back. */
  editReview(reviewId, changes) {
    return this.#call('PATCH', `/reviews/${encodeURIComponent(reviewId)}`, { body: changes });
  }

  /** A short-lived link signing the customer in to the vendor's product (`{url}`), for an
   * instance whose `launch_url` is set; open it with `window.open(url, '_blank', 'noopener')`. */
  launchInstance(instanceId) {
    return this.#call('POST', this.#instancePath(instanceId, '/launch'));
  }

  /** Starts authorising an OAuth2 authorization-code connection of an instance:
   * `{authorize_url, expires_at}`. Open `authorize_url` in a popup; the service's callback page
   * posts `CONNECTION_AUTHORIZED` or `CONNECTION_FAILED` to the opener (docs/connections.md). */
  authorizeConnection(instanceId, key) {
    return this.#call('POST', this.#instancePath(instanceId, `/connections/${encodeURIComponent(key)}/authorize`));
  }

  /** Disconnects a connection of an instance: its tokens are forgotten (`not_connected`). */
  async disconnectConnection(instanceId, key) {
    await this.#call('DELETE', this.#instancePath(instanceId, `/connections/${encodeURIComponent(key)}`));
  }

  /** Runs a flow (default: the first) with a test input; resolves to the execution. */
  test(instanceId, { flow, input = null } = {}) {
    const body = { input };
    if (flow !== undefined) body.flow = flow;
    return this.#call('POST', this.#instancePath(instanceId, '/test'), { body });
  }

  /** The instance's logs, newest first, paged. */
  logs(instanceId, page = {}) {
    return this.#call('GET', this.#instancePath(instanceId, '/logs'), { query: page });
  }

  /** The instance's executions, newest first, paged. */
  executions(instanceId, page = {}) {
    return this.#call('GET', this.#instancePath(instanceId, '/executions'), { query: page });
  }

  /** Activates a vendor-approved workflow template of an integration in one click: only the
   * template's connections (`connections`, by key) are given, the rest is the template's. */
  async activateTemplate(integrationId, templateId, connections, { name, idempotencyKey } = {}) {
    const body = { integration_id: integrationId, template_id: templateId, connections };
    if (name !== undefined) body.name = name;
    return this.#seen(await this.#call('POST', '/instances', { body, idempotencyKey }));
  }

  /** An instance's mappings of a collection: `{collection, overrides, effective}`. */
  mappings(instanceId, collection) {
    return this.#call('GET', this.#instancePath(instanceId, `/mappings/${encodeURIComponent(collection)}`));
  }

  /** Replaces the instance's overrides of a collection (overridable mappings only). */
  setMappings(instanceId, collection, overrides) {
    return this.#call('PUT', this.#instancePath(instanceId, `/mappings/${encodeURIComponent(collection)}`), { body: { overrides } });
  }

  /** What the instance's effective mappings of a collection (with `overrides`, if given, in
   * place of the saved ones) make of `input`: `{output, errors}`, nothing stored. */
  previewMappings(instanceId, collection, { input, overrides } = {}) {
    const body = { input: input ?? null };
    if (overrides !== undefined) body.overrides = overrides;
    return this.#call('POST', this.#instancePath(instanceId, `/mappings/${encodeURIComponent(collection)}/preview`), { body });
  }

  #instancePath(instanceId, suffix = '') {
    return `/instances/${encodeURIComponent(instanceId)}${suffix}`;
  }

  /** Remembers an instance from an answer (what a later reconfiguration is checked against). */
  #seen(instance) {
    this.#instances.set(instance.id, instance);
    return instance;
  }

  /** The listed spec of an integration, read only when not known yet. */
  async #listedSpec(integrationId) {
    const version = this.#listed.get(integrationId);
    const spec = version === undefined ? undefined : this.#specs.get(specKey(integrationId, version));
    if (spec) return spec;
    const detail = await this.integration(integrationId);
    return this.#specs.get(specKey(detail.integration_id, detail.version));
  }

  /** The compiled spec of a version, if cached or still the listed one. */
  async #specOf(integrationId, version) {
    const key = specKey(integrationId, version);
    if (this.#specs.has(key)) return this.#specs.get(key);
    try {
      const detail = await this.integration(integrationId);
      return detail.version === version ? this.#specs.get(key) : null;
    } catch (error) {
      if (error.status === 404) return null;
      throw error;
    }
  }

  /** The token to send: the cached one unless due for a refresh (or `fresh` is asked). */
  async #tokenFor(fresh) {
    if (!this.#getToken) return this.#token;
    const exp = this.#token ? tokenExpiry(this.#token) : null;
    const due = exp !== null && Date.now() / 1000 + REFRESH_MARGIN_SECONDS >= exp;
    if (fresh || !this.#token || due) {
      let token;
      try {
        token = await this.#getToken();
      } catch (error) {
        throw failure('token', `no token: ${error?.message ?? error}`);
      }
      if (typeof token !== 'string') throw failure('token', 'no token: getToken did not give a string');
      this.#token = token;
    }
    return this.#token;
  }

  /** Sends a request with a token, retried once with a fresh one after a 401. */
  async #call(method, path, { query, body, idempotencyKey } = {}) {
    const url = new URL(this.#base + PREFIX + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    for (let fresh = false; ; fresh = true) {
      const headers = { authorization: `Bearer ${await this.#tokenFor(fresh)}`, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      let response;
      try {
        response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (error) {
        throw failure('transport', `transport failed: ${error?.message ?? error}`);
      }
      if (response.status === 401 && !fresh && this.#getToken) continue;
      const text = await response.text();
      let json;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        throw failure('decode', `unexpected response: ${response.status} is not JSON`, { status: response.status });
      }
      if (!response.ok) {
        const problem = json ?? {};
        throw failure(problem.code ?? 'http_error', `${response.status} ${problem.code ?? ''}: ${problem.detail ?? response.statusText}`,
          { status: response.status, errors: problem.errors ?? [], reasons: problem.reasons ?? [],
            requestId: problem.request_id ?? response.headers.get('x-request-id') });
      }
      return json;
    }
  }
}
