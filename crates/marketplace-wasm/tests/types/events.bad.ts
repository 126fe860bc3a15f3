// Must NOT compile under `tsc --strict`: each line ending in an error marker (`error TS` and the
// code, after `//`) is an error tsc must report there, and no other line may be one
// (`cargo xtask test --only wasm-pkg` checks both).
import { mountMarketplace } from '../../pkg/index.js';
import type { MarketplaceEvent } from '../../pkg/index.js';

declare const element: HTMLElement;

function wrong(event: MarketplaceEvent): unknown {
  if (event.type === 'RESIZE') {
    return event.payload.instance_id; // error TS2339
  }
  if (event.type === 'INSTANCE_ACTIVATED') {
    return event.payload.height; // error TS2339
  }
  if (event.type === 'ERROR') {
    const code: 'token_refused' = event.payload.code; // error TS2322
    return code;
  }
  if (event.type === 'MARKETPLACE_READY') {
    return event.payload.token; // error TS2339
  }
  return event.payload.instance_id; // error TS2339
}

const base = { baseUrl: 'https://marketplace.example.com', organizationId: 'org_1', getToken: () => 'token', onEvent: wrong };
mountMarketplace(element, { ...base, view: 'integration' }); // error TS2345
mountMarketplace(element, { ...base, view: 'settings' }); // error TS2322
mountMarketplace(element, { ...base, mode: 'modal' }); // error TS2322
const mounted = mountMarketplace(element, base);
mounted.navigate('integration'); // error TS2769
