/** The views a host can open. */
export type MarketplaceView = 'catalog' | 'integration' | 'instances';

/** The views, as `mountMarketplace` checks them. */
export const VIEWS: readonly MarketplaceView[];

/** How the marketplace is shown: in `element` (`inline`), or as a modal dialog over the host page
 * (`popover`, opened with `open()`). */
export type MarketplaceMode = 'inline' | 'popover';

/** The modes, as `mountMarketplace` checks them. */
export const MODES: readonly MarketplaceMode[];

/** The catalog's filters: a category, a label, a search text. */
export interface CatalogFilters {
  category?: string;
  label?: string;
  q?: string;
}

/** Where the page opens, or goes with `navigate`: the catalog (filtered), one integration (its
 * detail and form), or the customer's instances. */
export type ViewOptions =
  | { view?: 'catalog'; integrationId?: undefined; filters?: CatalogFilters }
  | { view: 'integration'; integrationId: string; filters?: undefined }
  | { view: 'instances'; integrationId?: undefined; filters?: undefined };

/** An object without properties (reading one is a compile error). */
export type EmptyPayload = Record<never, never>;

/** The payload of the instance events: which instance, of which integration, at which version. */
export interface InstancePayload {
  instance_id: string;
  integration_id: string;
  version: string;
}

/** The failures the page reports with ERROR: a fresh token refused too, no fresh token from the
 * host within 10 s, the service unreachable, a 5xx. */
export type PageErrorCode = 'token_refused' | 'token_missing' | 'network_error' | 'server_error';

/** A connection's status (OAuth2 authorization code, see docs/connections.md). */
export type ConnectionStatus = 'not_connected' | 'connected' | 'expired' | 'error';

/** What `onEvent` receives: each page event with its own payload, and `TOKEN_ERROR` when
 * `getToken` failed. Narrow on `type`: `if (event.type === 'RESIZE') event.payload.height`. */
export type MarketplaceEvent =
  | { type: 'MARKETPLACE_READY'; payload: EmptyPayload }
  | { type: 'CONFIGURATION_LOADED'; payload: { integration_id: string } }
  | { type: 'INSTANCE_ACTIVATED'; payload: InstancePayload }
  | { type: 'INSTANCE_RECONFIGURED'; payload: InstancePayload }
  | { type: 'INSTANCE_PAUSED'; payload: InstancePayload }
  | { type: 'INSTANCE_RESUMED'; payload: InstancePayload }
  | { type: 'INSTANCE_DEACTIVATED'; payload: InstancePayload }
  /** A pending activation settled: `active`, or `failed` with the vendor's message (or null). */
  | { type: 'INSTANCE_STATUS_CHANGED'; payload: InstancePayload & { status: 'active' | 'failed'; message: string | null } }
  /** The page asked for a fresh token (`getToken` is called again). */
  | { type: 'TOKEN_EXPIRED'; payload: EmptyPayload }
  /** The page's content height in CSS pixels (the iframe follows it unless `height` is given). */
  | { type: 'RESIZE'; payload: { height: number } }
  /** A failure the host should know of. */
  | { type: 'ERROR'; payload: { code: PageErrorCode; message: string } }
  /** The customer authorised an OAuth2 connection in the popup. */
  | { type: 'CONNECTION_AUTHORIZED'; payload: { instance_id: string; key: string; status: ConnectionStatus } }
  /** The provider refused, or the code exchange failed; the connection is unchanged. */
  | { type: 'CONNECTION_FAILED'; payload: { instance_id: string; key: string; error: string; error_description: string | null } }
  /** `getToken` threw or rejected. */
  | { type: 'TOKEN_ERROR'; payload: { message: string } };

/** The type of each event. */
export type MarketplaceEventType = MarketplaceEvent['type'];

/** The types of the messages the marketplace page posts to its host. */
export type PageEventType = Exclude<MarketplaceEventType, 'TOKEN_ERROR'>;

/** The event of one type: `EventOf<'ERROR'>['payload']` is `{code, message}`. */
export type EventOf<T extends MarketplaceEventType> = Extract<MarketplaceEvent, { type: T }>;

/** The message types the page posts. */
export const PAGE_EVENTS: readonly PageEventType[];

/** The page's theme: light or dark, and an accent colour `#rrggbb`. */
export interface EmbedTheme {
  theme?: 'light' | 'dark';
  accent?: string;
}

/** Options of `mountMarketplace` besides the view. */
export interface MountBaseOptions {
  /** The service, e.g. `https://marketplace.example.com`. */
  baseUrl: string;
  organizationId: string;
  /** The key of the marketplace to show (default: the organization's default one); the tokens
   * `getToken` gives must name the same one in their `marketplace` claim. */
  marketplace?: string;
  /** Gives a token signed by the host's backend (on MARKETPLACE_READY and TOKEN_EXPIRED). */
  getToken: () => string | Promise<string>;
  theme?: EmbedTheme;
  /** Every event of the page (and TOKEN_ERROR). */
  onEvent?: (event: MarketplaceEvent) => void;
  /** A fixed CSS height of the iframe; without it, the iframe is as tall as the page's content. */
  height?: string;
  /** `inline` (default) or `popover`. */
  mode?: MarketplaceMode;
  /** The page's language (a BCP 47 tag, e.g. `de`). */
  lang?: string;
  /** The host's own wording: phrases by key, over the page's. */
  phrases?: Record<string, string>;
  /** The popover opened. */
  onOpen?: () => void;
  /** The popover closed (close button, Escape, `close()`). */
  onClose?: () => void;
  /** The iframe's (and popover's) accessible name (default `Integration marketplace`). */
  title?: string;
}

/** Options of `mountMarketplace`: where to show what, and the view to open. */
export type MountOptions = MountBaseOptions & ViewOptions;

/** A mounted marketplace. */
export interface MountedMarketplace {
  iframe: HTMLIFrameElement;
  /** The popover's dialog; null inline. */
  dialog: HTMLDialogElement | null;
  /** Sends a fresh token now. */
  refreshToken(): Promise<void>;
  /** Changes the page's theme. */
  setTheme(theme: EmbedTheme): void;
  /** Shows another view (a TypeError for `integration` without an id). */
  navigate(view: 'catalog', options?: { filters?: CatalogFilters }): void;
  navigate(view: 'integration', options: { integrationId: string }): void;
  navigate(view: 'instances'): void;
  /** Opens the popover, at another view if one is given (`onOpen` runs); nothing inline. */
  open(): void;
  open(view: 'catalog', options?: { filters?: CatalogFilters }): void;
  open(view: 'integration', options: { integrationId: string }): void;
  open(view: 'instances'): void;
  /** Closes the popover (`onClose` runs); nothing inline. */
  close(): void;
  /** Whether the popover is open (inline: always true). */
  readonly isOpen: boolean;
  /** Removes the iframe (and the popover) and stops listening. */
  dispose(): void;
}

/** Embeds the service's marketplace page in `element` and runs the handshake. */
export function mountMarketplace(element: HTMLElement, options: MountOptions): MountedMarketplace;
