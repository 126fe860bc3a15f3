// `mountMarketplace`: embeds the service's marketplace page in an iframe and speaks its
// postMessage handshake (see ARCHITECTURE.md and docs/embedding.md): the page says
// MARKETPLACE_READY, the host answers SET_OPTIONS (the view to open, the language) and SET_TOKEN
// (and SET_THEME); the page asks again with TOKEN_EXPIRED, reports its content height (RESIZE),
// the failures the host should know (ERROR), what the customer did (INSTANCE_ACTIVATED, ...) and
// what the vendor decided about a pending activation (INSTANCE_STATUS_CHANGED). The host moves
// the page with NAVIGATE. Messages are only sent to, and only accepted from, the service's origin
// and the iframe's own window.
//
// Two modes: `inline` (the iframe in `element`, as tall as its content) and `popover` (a modal
// `<dialog>` over the host page, opened with `open()`, closed by its close button, Escape or
// `close()`, focus going back where it was).

/** The event types the page posts to its host (each reaches `onEvent`). */
export const PAGE_EVENTS = Object.freeze([
  'MARKETPLACE_READY', 'CONFIGURATION_LOADED', 'INSTANCE_ACTIVATED', 'INSTANCE_RECONFIGURED',
  'INSTANCE_PAUSED', 'INSTANCE_RESUMED', 'INSTANCE_DEACTIVATED', 'INSTANCE_STATUS_CHANGED', 'TOKEN_EXPIRED',
  'RESIZE', 'ERROR', 'CONNECTION_AUTHORIZED', 'CONNECTION_FAILED',
]);

/** The views a host can open. */
export const VIEWS = Object.freeze(['catalog', 'integration', 'instances']);

/** How the marketplace is shown. */
export const MODES = Object.freeze(['inline', 'popover']);

/** The catalog filters a host can pass. */
const FILTERS = ['category', 'label', 'q'];

/** The largest height taken from RESIZE, in CSS pixels (a page gone wrong cannot grow the host
 * page without end). */
const MAX_HEIGHT = 100000;

/** `{view, integration_id, filters}` as the page reads it, from a view and its options; a
 * TypeError when they do not fit (`integration` without an id, an unknown view or filter). */
function viewMessage(where, view = 'catalog', { integrationId, filters } = {}) {
  if (!VIEWS.includes(view)) throw new TypeError(`${where}: view must be one of ${VIEWS.join(', ')}`);
  if (view === 'integration' && (typeof integrationId !== 'string' || integrationId === '')) {
    throw new TypeError(`${where}: view 'integration' needs integrationId (a string)`);
  }
  if (filters !== undefined && (filters === null || typeof filters !== 'object')) throw new TypeError(`${where}: filters must be an object`);
  const picked = {};
  for (const [key, value] of Object.entries(filters ?? {})) {
    if (!FILTERS.includes(key)) throw new TypeError(`${where}: unknown filter ${key} (expected ${FILTERS.join(', ')})`);
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`${where}: filters.${key} must be a string`);
    if (value) picked[key] = value;
  }
  return view === 'integration' ? { view, integration_id: integrationId } : view === 'catalog' ? { view, filters: picked } : { view };
}

const optional = (value, type) => value === undefined || typeof value === type;

export function mountMarketplace(element, options) {
  const {
    baseUrl, organizationId, marketplace, getToken, theme, onEvent, height, view, integrationId, filters,
    mode = 'inline', lang, phrases, onOpen, onClose, title = 'Integration marketplace',
  } = options ?? {};
  if (!element || typeof element.appendChild !== 'function') throw new TypeError('mountMarketplace: element must be a DOM element');
  if (typeof baseUrl !== 'string' || typeof organizationId !== 'string') throw new TypeError('mountMarketplace: baseUrl and organizationId must be strings');
  if (typeof getToken !== 'function') throw new TypeError('mountMarketplace: getToken must be a function');
  if (marketplace !== undefined && typeof marketplace !== 'string') throw new TypeError('mountMarketplace: marketplace must be a string (a key)');
  if (!MODES.includes(mode)) throw new TypeError(`mountMarketplace: mode must be one of ${MODES.join(', ')}`);
  if (!optional(height, 'string')) throw new TypeError('mountMarketplace: height must be a CSS length (a string)');
  if (!optional(lang, 'string')) throw new TypeError('mountMarketplace: lang must be a language tag (a string)');
  if (phrases !== undefined && (phrases === null || typeof phrases !== 'object')) throw new TypeError('mountMarketplace: phrases must be an object');
  for (const [name, callback] of [['onEvent', onEvent], ['onOpen', onOpen], ['onClose', onClose]]) {
    if (!optional(callback, 'function')) throw new TypeError(`mountMarketplace: ${name} must be a function`);
  }
  let current = viewMessage('mountMarketplace', view, { integrationId, filters });

  const origin = new URL(baseUrl).origin;
  const src = new URL(`/embed/${encodeURIComponent(organizationId)}/marketplace`, baseUrl);
  // A marketplace other than the default: the page lets its origins frame it too.
  if (marketplace) src.searchParams.set('marketplace', marketplace);
  if (theme?.theme) src.searchParams.set('theme', theme.theme);
  if (theme?.accent) src.searchParams.set('accent', theme.accent);
  // The first paint in the host's language; the overrides follow by message.
  if (lang) src.searchParams.set('lang', lang);

  const iframe = document.createElement('iframe');
  iframe.src = src.href;
  iframe.title = title;
  Object.assign(iframe.style, { display: 'block', width: '100%', border: '0' });
  // A fixed height when the host gives one; else the page's own (RESIZE).
  if (height) iframe.style.height = height;

  const popover = mode === 'popover' ? dialogFor(iframe, title) : null;
  element.appendChild(popover ? popover.dialog : iframe);

  let disposed = false;
  let ready = false;
  const post = (type, payload) => {
    if (!disposed && iframe.contentWindow) iframe.contentWindow.postMessage({ type, payload }, origin);
  };
  const emit = (event) => {
    try {
      onEvent?.(event);
    } catch (error) {
      setTimeout(() => { throw error; }); // the host's bug, reported without breaking the handshake
    }
  };
  const sendToken = async () => {
    try {
      const token = await getToken();
      post('SET_TOKEN', { token });
    } catch (error) {
      emit({ type: 'TOKEN_ERROR', payload: { message: String(error?.message ?? error) } });
    }
  };
  const close = () => popover?.close();
  const onMessage = (event) => {
    if (event.origin !== origin || event.source !== iframe.contentWindow) return;
    const { type, payload } = event.data ?? {};
    if (type === 'CLOSE_REQUESTED') { close(); return; }
    if (!PAGE_EVENTS.includes(type)) return;
    if (type === 'MARKETPLACE_READY') {
      ready = true;
      // Before the token, so the page's first view is the one asked for.
      post('SET_OPTIONS', { ...current, lang, phrases });
      sendToken();
      if (theme) post('SET_THEME', { theme: theme.theme, accent: theme.accent });
    } else if (type === 'TOKEN_EXPIRED') {
      sendToken();
    } else if (type === 'RESIZE') {
      const next = Number(payload?.height);
      if (!Number.isFinite(next) || next < 0) return;
      if (!height) iframe.style.height = `${Math.min(Math.ceil(next), MAX_HEIGHT)}px`;
    }
    emit({ type, payload: payload ?? {} });
  };
  window.addEventListener('message', onMessage);

  const navigate = (nextView, nextOptions) => {
    current = viewMessage('navigate', nextView, nextOptions);
    // Before MARKETPLACE_READY: the first view SET_OPTIONS will carry.
    if (ready) post('NAVIGATE', current);
  };

  if (popover) {
    popover.dialog.addEventListener('close', () => {
      popover.restoreFocus();
      onClose?.();
    });
  }

  return {
    iframe,
    /** The popover's `<dialog>` (null inline). */
    dialog: popover?.dialog ?? null,
    /** Sends a fresh token now (say, after the host's own login refreshed). */
    refreshToken: sendToken,
    /** Changes the theme of the page. */
    setTheme(next) {
      post('SET_THEME', { theme: next.theme, accent: next.accent });
    },
    /** Shows another view: `navigate('integration', {integrationId})`, `navigate('catalog',
     * {filters})`, `navigate('instances')`. */
    navigate,
    /** Opens the popover (at another view if one is given); nothing inline. */
    open(nextView, nextOptions) {
      if (nextView !== undefined) navigate(nextView, nextOptions);
      if (!popover || popover.dialog.open || disposed) return;
      popover.show();
      onOpen?.();
    },
    /** Closes the popover (`onClose` runs); nothing inline. */
    close,
    /** Whether the popover is open (inline: always true). */
    get isOpen() {
      return popover ? popover.dialog.open : true;
    },
    /** Removes the iframe (and the popover) and stops listening. */
    dispose() {
      disposed = true;
      window.removeEventListener('message', onMessage);
      if (popover) {
        popover.dialog.close();
        popover.dialog.remove();
      } else {
        iframe.remove();
      }
    },
  };
}

/** The popover: a modal `<dialog>` holding a close button and the iframe; styled inline, so the
 * host needs no stylesheet (and no `style-src 'unsafe-inline'`: these are CSSOM writes). */
function dialogFor(iframe, title) {
  dimBackdrop();
  const dialog = document.createElement('dialog');
  dialog.className = 'mk-popover';
  dialog.setAttribute('aria-label', title);
  Object.assign(dialog.style, {
    width: 'min(960px, calc(100vw - 32px))', maxWidth: 'none', maxHeight: 'calc(100vh - 32px)', padding: '0',
    border: '0', borderRadius: '12px', boxShadow: '0 20px 50px rgba(0, 0, 0, 0.35)', overflow: 'auto',
  });
  const closeButton = document.createElement('button');
  closeButton.type = 'button';
  closeButton.className = 'mk-popover-close';
  closeButton.setAttribute('aria-label', 'Close');
  closeButton.textContent = '×';
  Object.assign(closeButton.style, {
    position: 'sticky', top: '8px', float: 'right', margin: '8px 8px 0 0', width: '32px', height: '32px',
    font: '20px/1 system-ui, sans-serif', border: '0', borderRadius: '16px', background: 'rgba(0, 0, 0, 0.08)',
    cursor: 'pointer', zIndex: '1',
  });
  closeButton.addEventListener('click', () => dialog.close());
  dialog.append(closeButton, iframe);
  let opener = null;
  return {
    dialog,
    show() {
      opener = document.activeElement;
      dialog.showModal();
    },
    close() {
      if (dialog.open) dialog.close();
    },
    restoreFocus() {
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      opener = null;
    },
  };
}

/** The documents whose popovers' backdrop is dimmed already. */
const dimmed = new WeakSet();

/** Dims the page behind popovers: `::backdrop` takes no inline style, so a constructed stylesheet
 * (adopted by the document: no `<style>` element, which a strict CSP would refuse), once. */
function dimBackdrop() {
  if (dimmed.has(document) || typeof CSSStyleSheet !== 'function' || !Array.isArray(document.adoptedStyleSheets)) return;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync('dialog.mk-popover::backdrop { background: rgba(15, 23, 42, 0.55); }');
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    dimmed.add(document);
  } catch {
    // the browser's default backdrop
  }
}
