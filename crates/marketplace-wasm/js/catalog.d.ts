import type { Cancellation, CatalogEntry, FieldError, IntegrationDetail, Review, ReviewInput } from './marketplace_wasm.js';
import type { Tier } from './mappings.js';
import type { ConnectionMessage } from './client.js';
import type { ConnectionStatus } from './mount.js';

/** A tier with its badge text and its option in the tier filter (in the current language). */
export interface TierOption {
  tier: Tier;
  /** The badge's text (`Certified`). */
  readonly label: string;
  /** The filter's option (`Certified+`: at least this tier). */
  readonly filter: string;
}

/** The tiers, lowest first. */
export const TIERS: readonly TierOption[];

/** The label of a tier (a tier unknown to this package reads as sent); null without a tier. */
export function tierLabel(tier: string | null | undefined): string | null;

/** A listing's tier badge (text and accessible label), or null when it has no tier. */
export function tierBadge(tier: string | null | undefined): HTMLElement | null;

/** The catalog's tier filter: a `<select>` whose value is the catalog's `tier` query (empty: any). */
export function tierFilter(options?: { id?: string; value?: string }): HTMLSelectElement;

/** What a card and an icon need of a listing (a catalog entry or a detail). */
export type Listed = Pick<CatalogEntry, 'name'> & Partial<Pick<CatalogEntry, 'icon_url'>>;

/** A listing's icon at a fixed size (default 40 px): its `icon_url`, lazily loaded with an alt
 * text, or a neutral placeholder of its initials (also when the image fails). */
export function icon(entry: Listed, options?: { size?: number }): HTMLElement;

/** A catalog card (`li.mk-card`): icon, name linking to `href`, description, category, tier,
 * activation state. Focusable; Enter opens the link. */
export function catalogCard(entry: CatalogEntry, options: { href: string }): HTMLLIElement;

/** Keyboard navigation between the cards of a list (roving focus; arrows, Home, End); returns the list. */
export function cardNavigation<T extends HTMLElement>(list: T): T;

/** The category chips ("All" and each category; the current one pressed). */
export function categoryChips(options: { categories: string[]; current?: string; onSelect: (category: string) => void }): HTMLElement;

/** The empty state of a filtered catalog, with a button clearing the filters. */
export function emptyState(options: { onClear: () => void }): HTMLElement;

/** A loading indicator. */
export function loading(text?: string): HTMLElement;

/** An error shown inline (its problem phrased when the table knows its code), with a Retry
 * button running `retry` when given. */
export function failurePanel(error: { code?: string; message?: string; errors?: FieldError[] }, retry?: (() => unknown) | null): HTMLElement;

/** Runs `work` with the buttons disabled and marked busy (the first one showing `text`), then
 * restores them. */
export function busy<T>(buttons: HTMLButtonElement | (HTMLButtonElement | null | undefined)[], work: () => Promise<T>, text?: string | null): Promise<T>;

/** The detail's sections that it holds, in reading order: provider, supported applications,
 * documentation (the service's sanitised HTML), mapping collections. */
export function certificationSections(detail: IntegrationDetail): HTMLElement[];

/** Runs an OAuth connection's popup (docs/connections.md): opens the window at once, sends it to
 * what `authorize()` answers, and resolves to the callback page's message, accepted only from
 * `origin` (the service's) and from that popup; null when the user closes the popup unanswered.
 * Rejects when the popup is blocked or `authorize()` fails. */
export function connectInPopup(options: {
  authorize: () => Promise<{ authorize_url: string }>;
  origin: string;
}): Promise<ConnectionMessage | null>;

/** An instance's OAuth connections with their status and Connect / Reconnect; `connect(key)`
 * runs the popup (`connectInPopup`), refusals and failures are shown in the panel, and
 * `onOutcome` hears every callback message. */
export function connectionsPanel(
  connections: { key: string; status: ConnectionStatus; error?: string | null }[],
  options: { connect: (key: string) => Promise<ConnectionMessage | null>; onOutcome: (message: ConnectionMessage) => void },
): HTMLElement;

/** A listing's price in the current language ("Free", "$29.00 / month", ...). */
export function priceText(pricing: CatalogEntry['pricing']): string;

/** A listing's price as a tag. */
export function priceTag(pricing: CatalogEntry['pricing']): HTMLElement;

/** A rating (1 to 5) as five stars with an accessible text. */
export function stars(rating: number): HTMLElement;

/** A listing's rating as a star, its average and count; null without reviews. */
export function ratingBadge(rating: CatalogEntry['rating'] | null | undefined): HTMLElement | null;

/** An integration's reviews on its detail, with the form its `review_prompt` asks for: `send(body,
 * own)` posts a review (`own` null) or edits the customer's own one; `onSaved` runs after. */
export function reviewsSection(detail: IntegrationDetail, reviews: Review[], handlers: {
  send(body: ReviewInput, own: Review | null): Promise<unknown>;
  onSaved(): void;
}): HTMLElement;

/** The reason picker of a deactivation (core's reasons): `read()` is the body of `deactivate`. */
export function cancellationPicker(options?: { id?: string }): {
  node: HTMLElement;
  read(): Partial<Cancellation>;
  showError(error: { message: string; code?: string; errors?: FieldError[] }): void;
};
