-- OAuth2 authorization-code connections (docs/connections.md). Times are Unix milliseconds.

-- One row per (instance, connection key) once authorised. Tokens are sealed, bound to the row
-- (`connection:{instance_id}/{key}`); `status` is not_connected, connected, expired or error.
CREATE TABLE connections (
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'not_connected',
    sealed_tokens BYTEA,
    scopes TEXT NOT NULL DEFAULT '[]',
    expires_at BIGINT,
    has_refresh_token BIGINT NOT NULL DEFAULT 0,
    connected_at BIGINT,
    error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (instance_id, key)
);
CREATE INDEX connections_due ON connections (status, expires_at);

-- Authorizations in flight: the SHA-256 of the `state` parameter, what it is bound to, the
-- sealed PKCE verifier and the origin the callback page posts to. Single use, 10 minutes.
CREATE TABLE connection_states (
    state_hash TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    sealed_verifier BYTEA NOT NULL,
    user_id TEXT,
    origin TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX connection_states_expiry ON connection_states (expires_at);
