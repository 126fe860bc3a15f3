-- The whole schema of the service (SQLite). Times are Unix milliseconds; JSON is TEXT;
-- configs are sealed (AES-256-GCM) blobs: nothing secret is stored in clear.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    theme TEXT NOT NULL DEFAULT '{}',
    catalog_version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE signing_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kid TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, kid)
);
CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    labels TEXT NOT NULL,
    icon_url TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX integrations_org ON integrations (organization_id, id);
CREATE TABLE versions (
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    state TEXT NOT NULL,
    config TEXT NOT NULL,
    flows TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    PRIMARY KEY (integration_id, version)
);
CREATE TABLE listings (
    integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL,
    version TEXT NOT NULL,
    overview TEXT NOT NULL,
    customer_deployable BIGINT NOT NULL,
    allow_multiple_instances BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX listings_org ON listings (organization_id);
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    labels TEXT NOT NULL,
    avatar_url TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (organization_id, external_id)
);
CREATE INDEX customers_org ON customers (organization_id, id);
CREATE TABLE customer_users (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT,
    email TEXT,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, id)
);
CREATE TABLE customer_configs (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    sealed_values BLOB NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, integration_id)
);
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id),
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    sealed_config BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX instances_customer ON instances (customer_id, integration_id);
CREATE INDEX instances_org ON instances (organization_id, id);
CREATE TABLE webhook_urls (
    token TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    flow TEXT NOT NULL
);
CREATE INDEX webhook_urls_instance ON webhook_urls (instance_id);
CREATE TABLE idempotency_keys (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, key)
);
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    type TEXT NOT NULL,
    at BIGINT NOT NULL,
    customer_id TEXT,
    integration_id TEXT,
    instance_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX events_org ON events (organization_id, id);
CREATE TABLE executions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    version TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    flow TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    steps TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    sealed_input BLOB,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX executions_org ON executions (organization_id, id);
CREATE INDEX executions_instance ON executions (instance_id, id);
CREATE TABLE logs (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    version TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    severity TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX logs_org ON logs (organization_id, id);
CREATE INDEX logs_instance ON logs (instance_id, id);
