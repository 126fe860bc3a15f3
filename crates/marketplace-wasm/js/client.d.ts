import type {
  ActivateOptions, Cancellation, CatalogEntry, CatalogQuery, ConfigValues, Execution, FieldError, Instance,
  InstanceChanges, IntegrationDetail, LaunchUrl, ListPage, LogEntry, MarketplaceOptions, PageQuery, TestRun,
  Review, ReviewInput, Subscription, ValidationResult,
} from './marketplace_wasm.js';
import type { Mapping, MappingResult } from './mappings.js';

/** The answer of `authorizeConnection`: the provider's URL and when it lapses (RFC 3339). */
export interface ConnectionAuthorization {
  authorize_url: string;
  expires_at: string;
}

/** What the service's OAuth callback page posts to its opener (at the recorded origin only). */
export type ConnectionMessage =
  | { type: 'CONNECTION_AUTHORIZED'; instance_id: string; key: string; status: 'connected' }
  | { type: 'CONNECTION_FAILED'; instance_id: string; key: string; error: string; error_description?: string | null };

/** An instance's mappings of a collection: its overrides and the mappings in effect. */
export interface InstanceMappings {
  collection: string;
  overrides: Mapping[];
  effective: Mapping[];
}

/** The `exp` claim of a JWT in seconds, read without checking the signature; null if none. */
export function tokenExpiry(token: string): number | null;

/** The client of the embedded API for one signed-in user of the host app. Promises reject with
 * a `MarketplaceError` (`code`, `status`, `errors`, `reasons`). */
export class Marketplace {
  constructor(options: MarketplaceOptions);
  /** The marketplace, filtered and paged. */
  catalog(query?: CatalogQuery): Promise<ListPage<CatalogEntry>>;
  /** One integration with its overview, spec and flows. */
  integration(integrationId: string): Promise<IntegrationDetail>;
  /** The service's verdict on values, nothing stored. */
  validate(integrationId: string, config: ConfigValues): Promise<ValidationResult>;
  /** The field errors of values checked locally against the listed spec, as the customer (the
   * integration is read only when its listed spec is not known from an earlier answer). */
  check(integrationId: string, config: ConfigValues): Promise<FieldError[]>;
  /** Activates an integration after a local check (`validation_failed`: nothing was sent). */
  activate(integrationId: string, config: ConfigValues, options?: ActivateOptions): Promise<Instance>;
  /** The customer's instances, paged. */
  instances(page?: PageQuery): Promise<ListPage<Instance>>;
  /** One of the customer's instances. */
  instance(instanceId: string): Promise<Instance>;
  /** Renames and/or reconfigures an instance; omitted secrets keep their values. Checked locally
   * first against the instance as last seen (read only when never seen). */
  reconfigure(instanceId: string, changes: InstanceChanges): Promise<Instance>;
  /** Pauses an instance. */
  pause(instanceId: string): Promise<Instance>;
  /** Resumes a paused instance. */
  resume(instanceId: string): Promise<Instance>;
  /** Deactivates an instance; with a `cancellation`, saying why (its subscription ends,
   * cancelled by the customer with that reason). */
  deactivate(instanceId: string, cancellation?: Cancellation): Promise<Instance>;
  /** The customer's subscriptions, paged. */
  subscriptions(page?: PageQuery): Promise<ListPage<Subscription>>;
  /** An integration's reviews (the customer's own one is `mine`). */
  reviews(integrationId: string): Promise<ListPage<Review>>;
  /** Reviews an integration the customer subscribed to (once; the detail's `review_prompt`
   * says when to ask). */
  review(integrationId: string, review: ReviewInput): Promise<Review>;
  /** Edits the customer's own review, or adds its `follow_up` once the customer came back. */
  editReview(reviewId: string, changes: ReviewInput): Promise<Review>;
  /** A short-lived sign-in link to the vendor's product, for an instance with a `launch_url`. */
  launchInstance(instanceId: string): Promise<LaunchUrl>;
  /** Starts authorising an OAuth2 authorization-code connection: the provider's URL to open in
   * a popup (single use, 10 minutes); the callback page posts `CONNECTION_AUTHORIZED` or
   * `CONNECTION_FAILED` to the opener. */
  authorizeConnection(instanceId: string, key: string): Promise<ConnectionAuthorization>;
  /** Disconnects a connection: its tokens are forgotten (`not_connected`). */
  disconnectConnection(instanceId: string, key: string): Promise<void>;
  /** Runs a flow once with a test input. */
  test(instanceId: string, run?: TestRun): Promise<Execution>;
  /** The instance's logs, newest first, paged. */
  logs(instanceId: string, page?: PageQuery): Promise<ListPage<LogEntry>>;
  /** The instance's executions, newest first, paged. */
  executions(instanceId: string, page?: PageQuery): Promise<ListPage<Execution>>;
  /** Activates an approved workflow template in one click, given only its connections by key. */
  activateTemplate(integrationId: string, templateId: string, connections: ConfigValues, options?: ActivateOptions): Promise<Instance>;
  /** An instance's mappings of a collection. */
  mappings(instanceId: string, collection: string): Promise<InstanceMappings>;
  /** Replaces the instance's overrides of a collection (overridable mappings only). */
  setMappings(instanceId: string, collection: string, overrides: Mapping[]): Promise<InstanceMappings>;
  /** What the effective mappings (with `overrides` in place of the saved ones) make of `input`. */
  previewMappings(instanceId: string, collection: string, preview: { input: unknown; overrides?: Mapping[] }): Promise<MappingResult>;
}
