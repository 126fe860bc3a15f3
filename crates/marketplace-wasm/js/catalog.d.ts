import type { IntegrationDetail } from './marketplace_wasm.js';
import type { Tier } from './mappings.js';

/** A tier with its badge text and its option in the tier filter. */
export interface TierOption {
  tier: Tier;
  /** The badge's text (`Certified`). */
  label: string;
  /** The filter's option (`Certified+`: at least this tier). */
  filter: string;
}

/** The tiers, lowest first. */
export const TIERS: readonly TierOption[];

/** The label of a tier (a tier unknown to this package reads as sent); null without a tier. */
export function tierLabel(tier: string | null | undefined): string | null;

/** A listing's tier badge (text and accessible label), or null when it has no tier. */
export function tierBadge(tier: string | null | undefined): HTMLElement | null;

/** The catalog's tier filter: a `<select>` whose value is the catalog's `tier` query (empty: any). */
export function tierFilter(options?: { id?: string; value?: string }): HTMLSelectElement;

/** The detail's sections that it holds, in reading order: provider, supported applications,
 * documentation (the service's sanitised HTML), mapping collections. */
export function certificationSections(detail: IntegrationDetail): HTMLElement[];
