// The React host app of the demo: the marketplace inline (`useMarketplace`), a side panel drawn
// from the embedded API with the client (`useMarketplaceClient`): the customer's integrations
// and a button per listing opening it in a popover, the events the page posted.
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import config from '/demo/config.js';
import { useMarketplace, useMarketplaceClient } from './hooks.js';

/** The host's backend signs a token for its signed-in user (here the demo host's login stub). */
const getToken = async () => (await (await fetch(`/demo/token${location.search}`)).json()).token;

function Catalog({ client, onOpen }) {
  const [entries, setEntries] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!client) return;
    client.catalog().then((page) => setEntries(page.items), setError);
  }, [client]);
  if (error) return <p role="alert">{error.message}</p>;
  if (!entries) return <p className="muted">Loading…</p>;
  return (
    <ul aria-label="Set up from the host">
      {entries.map((entry) => (
        <li key={entry.integration_id}>
          <button type="button" onClick={() => onOpen(entry.integration_id)}>Set up {entry.name}</button>
          {entry.activated ? <span className="muted"> (activated)</span> : null}
        </li>
      ))}
    </ul>
  );
}

function App() {
  const client = useMarketplaceClient({ baseUrl: config.baseUrl, getToken });
  const [events, setEvents] = useState([]);
  /** The events of one of the two mounts, RESIZE left out (the iframe follows it by itself). */
  const logged = useCallback((from) => (event) => {
    if (event.type !== 'RESIZE') setEvents((list) => [...list, { from, type: event.type }]);
  }, []);
  const [inline] = useMarketplace({
    baseUrl: config.baseUrl, organizationId: config.organizationId, getToken, onEvent: logged('inline'),
    theme: { theme: 'light', accent: '#1d4ed8' },
  });
  const [popoverRef, popover] = useMarketplace({
    baseUrl: config.baseUrl, organizationId: config.organizationId, getToken, onEvent: logged('popover'), mode: 'popover',
    title: 'Set up an integration',
  });
  return (
    <>
      <header>Acme Cloud · the host app in React (its own origin)</header>
      <div className="layout">
        <main>
          <h1>Integrations</h1>
          <div className="marketplace" ref={inline} />
          <div ref={popoverRef} />
        </main>
        <aside className="panel">
          <h2>Quick setup</h2>
          <Catalog client={client} onOpen={(integrationId) => popover?.open('integration', { integrationId })} />
          <h2>Events</h2>
          <ol aria-label="Events">{events.map((event, index) => <li key={index}>{event.type} <span className="muted">({event.from})</span></li>)}</ol>
        </aside>
      </div>
    </>
  );
}

createRoot(document.getElementById('root')).render(<App />);
