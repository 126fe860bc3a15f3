-- The customer portal and the rest of customer management: password sign-in of customer users
-- (invitations, sessions, lockout), pinned roles, avatars, attachments, alert monitors, the outbox
-- of notifications (emails and monitor webhooks), shared webhook triggers and scheduled flow ticks.
-- Secrets (passwords, session and invitation tokens, webhook keys) are stored hashed; signing
-- secrets sealed. Times are Unix milliseconds.

-- Sign-in ------------------------------------------------------------------------------------
-- `pinned_role`: the role the vendor pinned (the effective role is the lower of it and the
-- token's); `password_hash`: argon2id PHC string, null until an invitation is accepted.
ALTER TABLE customer_users ADD COLUMN pinned_role TEXT;
ALTER TABLE customer_users ADD COLUMN password_hash TEXT;
ALTER TABLE customer_users ADD COLUMN last_login_at BIGINT;
CREATE INDEX customer_users_email ON customer_users (email);

-- Invitations and password resets: single use, stored as the SHA-256 of their token. A customer
-- has at most one open invitation per email (re-inviting replaces it).
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT,
    role TEXT NOT NULL,
    user_id TEXT,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (customer_id, email, purpose)
);

-- Consecutive failed sign-ins per (organization, lower-cased email), known emails or not.
CREATE TABLE login_failures (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    failures BIGINT NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (organization_id, email)
);

-- Portal sessions (the `mp_session` cookie), stored as the SHA-256 of the cookie's value.
CREATE TABLE portal_sessions (
    token_hash TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_user ON portal_sessions (customer_id, user_id);

-- Files --------------------------------------------------------------------------------------
-- A customer's avatar: 500x500 PNG, served at /avatars/{sha256}.png.
CREATE TABLE avatars (
    customer_id TEXT PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    png BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX avatars_sha256 ON avatars (sha256);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by_kind TEXT NOT NULL,
    uploaded_by_user_id TEXT,
    content BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_customer ON attachments (customer_id, id);

-- Alert monitors -----------------------------------------------------------------------------
-- `triggers` and `targets` are JSON lists; `scope_kind` organization | customer | instance;
-- `enabled` 0 or 1.
CREATE TABLE alert_monitors (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_customer_id TEXT REFERENCES customers (id) ON DELETE CASCADE,
    scope_instance_id TEXT REFERENCES instances (id) ON DELETE CASCADE,
    triggers TEXT NOT NULL,
    targets TEXT NOT NULL,
    dedup_window_s BIGINT NOT NULL,
    sealed_signing_secret BLOB NOT NULL,
    last_triggered TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX alert_monitors_org ON alert_monitors (organization_id, id);

-- One alert per (monitor, trigger, instance or customer) per window; later firings are counted.
CREATE TABLE alert_windows (
    monitor_id TEXT NOT NULL REFERENCES alert_monitors (id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    suppressed_count BIGINT NOT NULL,
    PRIMARY KEY (monitor_id, trigger, subject)
);

-- Notifications: the outbox of emails and monitor webhooks, retried like event deliveries.
-- `kind` email | webhook; `recipient` the JSON list of addresses or the URL; `monitor_id` signs a
-- webhook with its monitor's secret. A claim sets `lease_until` and `lease_token`.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    monitor_id TEXT REFERENCES alert_monitors (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    dead_reason TEXT,
    attempt_count BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    lease_token TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);

-- Flows --------------------------------------------------------------------------------------
-- A shared webhook trigger per integration; the key is stored as its SHA-256.
CREATE TABLE shared_webhooks (
    integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    route_by TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per run of a scheduled flow: only the process that inserts it runs the tick.
CREATE TABLE schedule_ticks (
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    flow TEXT NOT NULL,
    tick_at BIGINT NOT NULL,
    execution_id TEXT NOT NULL,
    PRIMARY KEY (instance_id, flow, tick_at)
);
