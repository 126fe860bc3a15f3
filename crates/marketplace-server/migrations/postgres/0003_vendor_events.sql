-- Vendor event notifications: event configurations (a working snapshot and published revisions),
-- the outbox of deliveries with their attempts, the inbound vendor client, and the state an
-- instance gains when the vendor confirms activations. Times are Unix milliseconds; snapshots are
-- JSON without their client secret, which is sealed beside them.
ALTER TABLE instances ADD COLUMN status_message TEXT;
ALTER TABLE instances ADD COLUMN account_identifier TEXT;

CREATE TABLE event_configurations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    working TEXT NOT NULL,
    sealed_working_secret BYTEA,
    revision BIGINT NOT NULL,
    published_at BIGINT,
    -- sealed JSON list of {secret, expires_at}: the current signing secret and, for 24 h after a
    -- rotation, the previous one
    sealed_signing_secrets BYTEA NOT NULL,
    inbound_client_id TEXT UNIQUE,
    inbound_secret_hash TEXT,
    inbound_created_at BIGINT,
    -- {"working": {<type>: last_test}, "published": {...}}
    last_tests TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX event_configurations_org ON event_configurations (organization_id, id);

CREATE TABLE event_configuration_revisions (
    event_configuration_id TEXT NOT NULL REFERENCES event_configurations (id) ON DELETE CASCADE,
    revision BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    sealed_secret BYTEA,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (event_configuration_id, revision)
);

-- An integration has at most one event configuration.
CREATE TABLE event_configuration_links (
    integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    event_configuration_id TEXT NOT NULL REFERENCES event_configurations (id),
    linked_at BIGINT NOT NULL
);
CREATE INDEX event_configuration_links_config ON event_configuration_links (event_configuration_id);

-- One delivery per (event, configuration), inserted in the event's transaction. `order_key` is the
-- configuration and the instance (else the customer): nothing goes while an earlier `seq` of the
-- same key is pending. A claim sets `lease_until` and `lease_token`; only the holder may settle it.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_configuration_id TEXT NOT NULL REFERENCES event_configurations (id) ON DELETE CASCADE,
    customer_id TEXT,
    instance_id TEXT,
    order_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    dead_reason TEXT,
    attempt_count BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    lease_token TEXT,
    url TEXT,
    last_attempt TEXT,
    result TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (event_id, event_configuration_id)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_order ON deliveries (order_key, status, seq);
CREATE INDEX deliveries_org ON deliveries (organization_id, id);

CREATE TABLE delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    n BIGINT NOT NULL,
    at BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    url TEXT NOT NULL,
    http_status BIGINT,
    latency_ms BIGINT NOT NULL,
    error TEXT,
    response_excerpt TEXT,
    PRIMARY KEY (delivery_id, n)
);

-- Access tokens of inbound vendor clients, stored as the SHA-256 of the token.
CREATE TABLE vendor_tokens (
    token_hash TEXT PRIMARY KEY,
    event_configuration_id TEXT NOT NULL REFERENCES event_configurations (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
