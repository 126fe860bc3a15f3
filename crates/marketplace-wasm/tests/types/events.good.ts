// Compiles under `tsc --strict` (`cargo xtask test --only wasm-pkg`): each event's payload is
// known from its `type`, and each view takes the options it needs.
import { mountMarketplace } from '../../pkg/index.js';
import type { EventOf, MarketplaceEvent, MountedMarketplace } from '../../pkg/index.js';

declare const element: HTMLElement;

function describe(event: MarketplaceEvent): string {
  switch (event.type) {
    case 'INSTANCE_ACTIVATED':
    case 'INSTANCE_DEACTIVATED':
      return `${event.payload.instance_id} ${event.payload.integration_id}@${event.payload.version}`;
    case 'INSTANCE_STATUS_CHANGED':
      return `${event.payload.status}: ${event.payload.message ?? ''}`;
    case 'CONFIGURATION_LOADED':
      return event.payload.integration_id;
    case 'RESIZE':
      return `${event.payload.height.toFixed(0)}px`;
    case 'ERROR': {
      const code: 'token_refused' | 'token_missing' | 'network_error' | 'server_error' = event.payload.code;
      return `${code}: ${event.payload.message}`;
    }
    case 'CONNECTION_AUTHORIZED':
      return `${event.payload.key} ${event.payload.status}`;
    case 'CONNECTION_FAILED':
      return `${event.payload.error} ${event.payload.error_description ?? ''}`;
    case 'TOKEN_ERROR':
      return event.payload.message;
    default:
      return event.type;
  }
}

const resize: EventOf<'RESIZE'>['payload'] = { height: 320 };

const inline: MountedMarketplace = mountMarketplace(element, {
  baseUrl: 'https://marketplace.example.com',
  organizationId: 'org_1',
  getToken: async () => 'token',
  view: 'catalog',
  filters: { category: 'CRM', q: 'sync' },
  onEvent: (event) => console.log(describe(event), resize.height),
});
inline.navigate('integration', { integrationId: 'int_1' });
inline.navigate('catalog', { filters: { label: 'new' } });
inline.navigate('instances');

const popover = mountMarketplace(element, {
  baseUrl: 'https://marketplace.example.com',
  organizationId: 'org_1',
  getToken: () => 'token',
  view: 'integration',
  integrationId: 'int_1',
  mode: 'popover',
  lang: 'de',
  phrases: { 'catalog.title': 'Erweiterungen' },
  onOpen: () => undefined,
  onClose: () => undefined,
});
popover.open();
popover.open('instances');
popover.close();
const open: boolean = popover.isOpen;
console.log(open, popover.dialog?.open);
