-- Tokens issued before a customer user or a customer was deleted are refused (token_revoked).
-- `user_id` is '' for a revocation of every user of the customer. Times are Unix milliseconds.
CREATE TABLE revocations (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_external_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, customer_external_id, user_id)
);
