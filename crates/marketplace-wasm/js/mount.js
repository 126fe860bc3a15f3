// `mountMarketplace`: embeds the service's marketplace page in an iframe and speaks its
// postMessage handshake (see ARCHITECTURE.md): the page says MARKETPLACE_READY, the host answers
// SET_TOKEN (and SET_THEME), the page asks again with TOKEN_EXPIRED and reports what the
// customer did (INSTANCE_ACTIVATED, ...) and what the vendor decided about a pending activation
// (INSTANCE_STATUS_CHANGED). Messages are only sent to, and only accepted from,
// the service's origin and the iframe's own window.

/** The event types the page posts to its host. */
export const PAGE_EVENTS = Object.freeze([
  'MARKETPLACE_READY', 'CONFIGURATION_LOADED', 'INSTANCE_ACTIVATED', 'INSTANCE_RECONFIGURED',
  'INSTANCE_PAUSED', 'INSTANCE_RESUMED', 'INSTANCE_DEACTIVATED', 'INSTANCE_STATUS_CHANGED', 'TOKEN_EXPIRED',
]);

export function mountMarketplace(element, options) {
  const { baseUrl, organizationId, marketplace, getToken, theme, onEvent, height = '720px' } = options ?? {};
  if (!element || typeof element.appendChild !== 'function') throw new TypeError('mountMarketplace: element must be a DOM element');
  if (typeof baseUrl !== 'string' || typeof organizationId !== 'string') throw new TypeError('mountMarketplace: baseUrl and organizationId must be strings');
  if (typeof getToken !== 'function') throw new TypeError('mountMarketplace: getToken must be a function');
  if (marketplace !== undefined && typeof marketplace !== 'string') throw new TypeError('mountMarketplace: marketplace must be a string (a key)');
  const origin = new URL(baseUrl).origin;
  const src = new URL(`/embed/${encodeURIComponent(organizationId)}/marketplace`, baseUrl);
  // A marketplace other than the default: the page lets its origins frame it too.
  if (marketplace) src.searchParams.set('marketplace', marketplace);
  if (theme?.theme) src.searchParams.set('theme', theme.theme);
  if (theme?.accent) src.searchParams.set('accent', theme.accent);

  const iframe = document.createElement('iframe');
  iframe.src = src.href;
  iframe.title = 'Integration marketplace';
  iframe.style.width = '100%';
  iframe.style.height = height;
  iframe.style.border = '0';
  element.appendChild(iframe);

  let disposed = false;
  const post = (type, payload) => {
    if (!disposed && iframe.contentWindow) iframe.contentWindow.postMessage({ type, payload }, origin);
  };
  const sendToken = async () => {
    try {
      const token = await getToken();
      post('SET_TOKEN', { token });
    } catch (error) {
      onEvent?.({ type: 'TOKEN_ERROR', payload: { message: String(error?.message ?? error) } });
    }
  };
  const onMessage = (event) => {
    if (event.origin !== origin || event.source !== iframe.contentWindow) return;
    const { type, payload } = event.data ?? {};
    if (!PAGE_EVENTS.includes(type)) return;
    if (type === 'MARKETPLACE_READY') {
      sendToken();
      if (theme) post('SET_THEME', { theme: theme.theme, accent: theme.accent });
    } else if (type === 'TOKEN_EXPIRED') {
      sendToken();
    }
    onEvent?.({ type, payload: payload ?? {} });
  };
  window.addEventListener('message', onMessage);

  return {
    iframe,
    /** Sends a fresh token now (say, after the host's own login refreshed). */
    refreshToken: sendToken,
    /** Changes the theme of the page. */
    setTheme(next) {
      post('SET_THEME', { theme: next.theme, accent: next.accent });
    },
    /** Removes the iframe and stops listening. */
    dispose() {
      disposed = true;
      window.removeEventListener('message', onMessage);
      iframe.remove();
    },
  };
}
