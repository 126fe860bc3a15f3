import type { JsonValue } from './marketplace_wasm.js';

/** The types of the messages the marketplace page posts to its host. */
export type PageEventType =
  | 'MARKETPLACE_READY' | 'CONFIGURATION_LOADED' | 'INSTANCE_ACTIVATED' | 'INSTANCE_RECONFIGURED'
  | 'INSTANCE_PAUSED' | 'INSTANCE_RESUMED' | 'INSTANCE_DEACTIVATED' | 'INSTANCE_STATUS_CHANGED'
  | 'TOKEN_EXPIRED';

/** The message types the page posts, in order of the handshake. */
export const PAGE_EVENTS: readonly PageEventType[];

/** The page's theme: light or dark, and an accent colour `#rrggbb`. */
export interface EmbedTheme {
  theme?: 'light' | 'dark';
  accent?: string;
}

/** An event of the page, or `TOKEN_ERROR` when `getToken` failed. */
export interface MarketplaceEvent {
  type: PageEventType | 'TOKEN_ERROR';
  /** `{instance_id, integration_id, version}` for the instance events, plus `status` (`active` or
   * `failed`) and `message` (the vendor's, or null) for `INSTANCE_STATUS_CHANGED` (a pending
   * activation settled); `{integration_id}` for `CONFIGURATION_LOADED`, `{message}` for
   * `TOKEN_ERROR`. */
  payload: { [key: string]: JsonValue };
}

/** Options of `mountMarketplace`. */
export interface MountOptions {
  /** The service, e.g. `https://marketplace.example.com`. */
  baseUrl: string;
  organizationId: string;
  /** The key of the marketplace to show (default: the organization's default one); the tokens
   * `getToken` gives must name the same one in their `marketplace` claim. */
  marketplace?: string;
  /** Gives a token signed by the host's backend (on MARKETPLACE_READY and TOKEN_EXPIRED). */
  getToken: () => string | Promise<string>;
  theme?: EmbedTheme;
  onEvent?: (event: MarketplaceEvent) => void;
  /** The iframe's CSS height (default `720px`). */
  height?: string;
}

/** A mounted marketplace. */
export interface MountedMarketplace {
  iframe: HTMLIFrameElement;
  /** Sends a fresh token now. */
  refreshToken(): Promise<void>;
  /** Changes the page's theme. */
  setTheme(theme: EmbedTheme): void;
  /** Removes the iframe and stops listening. */
  dispose(): void;
}

/** Embeds the service's marketplace page in `element` and runs the handshake. */
export function mountMarketplace(element: HTMLElement, options: MountOptions): MountedMarketplace;
