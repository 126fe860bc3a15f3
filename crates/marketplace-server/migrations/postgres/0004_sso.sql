-- Single sign-on: the service as an OpenID Provider. Its signing keys (sealed), the relying
-- parties' client secrets (SHA-256), and the short-lived grants of a sign-in: launch tickets,
-- browser sessions, authorization codes and access tokens, each stored as the SHA-256 of its
-- value. Times are Unix milliseconds.
CREATE TABLE sso_signing_keys (
    kid TEXT PRIMARY KEY,
    sealed_private_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- `client_id` is an instance id (per-instance clients) or an event configuration id (shared).
CREATE TABLE sso_clients (
    client_id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- `kind`: ticket (single use), session (the `mp_sso` cookie), code (single use), access.
CREATE TABLE sso_grants (
    grant_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    instance_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    client_id TEXT,
    redirect_uri TEXT,
    code_challenge TEXT,
    nonce TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_grants_expiry ON sso_grants (expires_at);
