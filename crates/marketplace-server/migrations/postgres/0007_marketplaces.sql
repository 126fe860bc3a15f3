-- Several marketplaces per organization, tenants, partners (registration tokens, client
-- credentials, marketplace-bound signing keys), providers, applications, certification tiers
-- and requests. Times are Unix milliseconds; JSON is TEXT.

-- Tenants: customer segments or resellers. `app_management` is `all` (every listing of a
-- marketplace is visible to its customers) or `tenant` (only the listings assigned to it).
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    app_management TEXT NOT NULL DEFAULT 'all',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organization_id, key)
);

-- Marketplaces (per brand, region or environment). Exactly one per organization is the
-- default; `partner` ones were registered by a partner with a registration token and carry
-- the partner's tenant. `allowed_origins` is a JSON array; `min_tier` null means any tier.
CREATE TABLE marketplaces (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_default BIGINT NOT NULL DEFAULT 0,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    front_end_url TEXT,
    tenant_id TEXT REFERENCES tenants (id),
    min_tier TEXT,
    partner BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organization_id, key)
);
CREATE UNIQUE INDEX marketplaces_one_default ON marketplaces (organization_id) WHERE is_default = 1;

-- Every existing organization gets its default marketplace, which takes every listing.
INSERT INTO marketplaces (id, organization_id, key, name, description, is_default, created_at, updated_at)
SELECT 'mkt_' || substr(id, 5), id, 'default', name, '', 1, created_at, created_at FROM organizations;

-- Listings become per (marketplace, integration). `partner_brief` is JSON `{market,
-- buyer_profile, positioning}` (partners only); `visibility` is `visible`,
-- `hidden_from_external_search` or `delisted`.
CREATE TABLE listings_by_marketplace (
    marketplace_id TEXT NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL,
    version TEXT NOT NULL,
    overview TEXT NOT NULL,
    customer_deployable BIGINT NOT NULL,
    allow_multiple_instances BIGINT NOT NULL,
    partner_brief TEXT NOT NULL DEFAULT '{}',
    visibility TEXT NOT NULL DEFAULT 'visible',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (marketplace_id, integration_id)
);
INSERT INTO listings_by_marketplace (marketplace_id, integration_id, organization_id, version, overview, customer_deployable, allow_multiple_instances, updated_at)
SELECT 'mkt_' || substr(l.organization_id, 5), l.integration_id, l.organization_id, l.version, l.overview, l.customer_deployable, l.allow_multiple_instances, l.updated_at FROM listings l;
DROP TABLE listings;
ALTER TABLE listings_by_marketplace RENAME TO listings;
CREATE INDEX listings_org ON listings (organization_id, marketplace_id);
CREATE INDEX listings_integration ON listings (integration_id);

-- Listings assigned to a tenant (meaningful when its `app_management` is `tenant`); a deleted
-- listing takes its assignments.
CREATE TABLE tenant_listings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    marketplace_id TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, marketplace_id, integration_id),
    FOREIGN KEY (marketplace_id, integration_id) REFERENCES listings (marketplace_id, integration_id) ON DELETE CASCADE
);
CREATE INDEX tenant_listings_listing ON tenant_listings (marketplace_id, integration_id);

-- A customer belongs to at most one tenant.
ALTER TABLE customers ADD COLUMN tenant_id TEXT REFERENCES tenants (id);
CREATE INDEX customers_tenant ON customers (tenant_id);

-- Instances remember the marketplace they were activated from (null: before marketplaces, or
-- activated by the vendor); a deleted marketplace leaves its instances.
ALTER TABLE instances ADD COLUMN marketplace_id TEXT;

-- Partner credentials of a marketplace: the secret is stored as its SHA-256 only.
CREATE TABLE marketplace_credentials (
    client_id TEXT PRIMARY KEY,
    marketplace_id TEXT NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    last_used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX marketplace_credentials_marketplace ON marketplace_credentials (marketplace_id);

-- Single-use registration tokens (stored as SHA-256) with which a partner registers its
-- marketplace for a tenant.
CREATE TABLE marketplace_registrations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    marketplace_id TEXT,
    created_at BIGINT NOT NULL
);

-- A signing key registered by a partner signs only for its marketplace (null: the vendor's own
-- keys, valid for every marketplace).
ALTER TABLE signing_keys ADD COLUMN marketplace_id TEXT REFERENCES marketplaces (id) ON DELETE CASCADE;

-- Providers (the third parties) and their applications with released versions.
CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    url TEXT,
    logo_url TEXT,
    support TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX providers_org ON providers (organization_id, id);
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    name TEXT NOT NULL,
    product_url TEXT,
    logo_url TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX applications_org ON applications (organization_id, id);
CREATE INDEX applications_provider ON applications (provider_id);
-- `released_on` is an ISO date `YYYY-MM-DD`.
CREATE TABLE application_versions (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    released_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, name)
);

-- An integration's profile: JSON `{event_services, hosting, api}`.
ALTER TABLE integrations ADD COLUMN profile TEXT NOT NULL DEFAULT '{"event_services":[],"hosting":[],"api":null}';

-- A version's supported applications (JSON `[{application_id, versions}]`, editable after
-- publish), its documentation (markdown) and the `manual` flow that tests the connection.
ALTER TABLE versions ADD COLUMN applications TEXT NOT NULL DEFAULT '[]';
ALTER TABLE versions ADD COLUMN documentation TEXT NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN connection_test TEXT;

-- Connection test runs of a version: the latest decides the `connection_test` check.
CREATE TABLE connection_test_runs (
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    passed BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX connection_test_runs_version ON connection_test_runs (integration_id, version, at);

-- Certification requests of a published version; `requested_by` is the API key id; `decision`
-- is JSON `{decision, notes, decided_by, decided_at}` once decided. One pending per version.
CREATE TABLE certification_requests (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL,
    decision TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX certification_requests_org ON certification_requests (organization_id, id);
CREATE UNIQUE INDEX certification_requests_one_pending ON certification_requests (integration_id, version) WHERE status = 'pending';
