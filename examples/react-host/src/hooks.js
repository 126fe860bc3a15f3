// The two hooks a React app needs around the npm package: `useMarketplace` mounts the service's
// marketplace page (`mountMarketplace`) into an element and disposes of it on unmount;
// `useMarketplaceClient` gives a `Marketplace` client of the embedded API once the package's
// WebAssembly module is initialised (the client checks writes with it before sending them).
import { useEffect, useRef, useState } from 'react';
import init, { Marketplace, mountMarketplace } from 'marketplace-wasm';

/**
 * Mounts the marketplace into the element `ref` is given to, with `options` as
 * `mountMarketplace` takes them; returns `[ref, marketplace]` (`marketplace` is null until
 * mounted: then `navigate`, `open`, `close`...). The callbacks (`getToken`, `onEvent`, `onOpen`,
 * `onClose`) may change on each render: the latest ones are called. A change of service,
 * organization, marketplace or mode mounts it again; a change of view navigates.
 */
export function useMarketplace(options) {
  const ref = useRef(null);
  const latest = useRef(options);
  latest.current = options;
  const [marketplace, setMarketplace] = useState(null);
  const { baseUrl, organizationId, marketplace: key, mode, lang, height } = options;
  useEffect(() => {
    if (!ref.current) return undefined;
    const { view, integrationId, filters, theme, phrases, title } = latest.current;
    const mounted = mountMarketplace(ref.current, {
      baseUrl, organizationId, marketplace: key, mode, lang, height, view, integrationId, filters, theme, phrases, title,
      getToken: () => latest.current.getToken(),
      onEvent: (event) => latest.current.onEvent?.(event),
      onOpen: () => latest.current.onOpen?.(),
      onClose: () => latest.current.onClose?.(),
    });
    setMarketplace(mounted);
    return () => {
      mounted.dispose();
      setMarketplace(null);
    };
  }, [baseUrl, organizationId, key, mode, lang, height]);
  const { view, integrationId } = options;
  const filters = JSON.stringify(options.filters ?? {});
  const mountedView = useRef(null);
  useEffect(() => {
    if (!marketplace) return;
    const next = `${view}|${integrationId}|${filters}`;
    // The first view went with the mount; later ones navigate.
    if (mountedView.current !== null && mountedView.current !== next) {
      marketplace.navigate(view ?? 'catalog', { integrationId, filters: JSON.parse(filters) });
    }
    mountedView.current = next;
  }, [marketplace, view, integrationId, filters]);
  return [ref, marketplace];
}

/** The package's WebAssembly module, initialised once for the whole app. */
let initialised = null;

/**
 * A `Marketplace` client for `{baseUrl, getToken}` (the latest `getToken` is called), or null
 * while the WebAssembly module loads; a new client when the service changes.
 */
export function useMarketplaceClient({ baseUrl, getToken }) {
  const latest = useRef(getToken);
  latest.current = getToken;
  const [client, setClient] = useState(null);
  useEffect(() => {
    let live = true;
    initialised ??= init();
    initialised.then(() => {
      if (live) setClient(new Marketplace({ baseUrl, getToken: () => latest.current() }));
    });
    return () => {
      live = false;
    };
  }, [baseUrl]);
  return client;
}
