-- Commerce: a listing's price, the subscriptions activations start and deactivations end, and
-- each organization's scoring policy.

-- `{currency, up_front, monthly}` as JSON (amounts as strings); NULL is free.
ALTER TABLE listings ADD COLUMN pricing TEXT;

-- A subscription outlives its instance and its customer (history is scored): no foreign keys to
-- them. `pricing` is the listing's price when it began.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    marketplace_id TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    instance_id TEXT,
    pricing TEXT,
    status TEXT NOT NULL,
    is_return BIGINT NOT NULL,
    imported BIGINT NOT NULL,
    subscribed_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    cancelled_by TEXT,
    cancellation_reason TEXT,
    cancellation_comment TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_org ON subscriptions (organization_id, id);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, integration_id);
CREATE INDEX subscriptions_listing ON subscriptions (marketplace_id, integration_id);
CREATE UNIQUE INDEX subscriptions_instance ON subscriptions (instance_id) WHERE instance_id IS NOT NULL;

-- The organization's scoring policy as JSON; no row is the default policy.
CREATE TABLE scoring_policies (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Reviews, one per customer and integration (`negative` is core's verdict on the rating, for
-- filtering); they go with their customer. The dispute is the
-- vendor's (filed by an API key), decided by a reviewer's key.
CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    rating BIGINT NOT NULL,
    negative BIGINT NOT NULL,
    body TEXT NOT NULL,
    returned BIGINT NOT NULL,
    follow_up TEXT,
    response_text TEXT,
    response_at BIGINT,
    dispute_status TEXT,
    dispute_reason TEXT,
    dispute_notes TEXT,
    dispute_filed_by TEXT,
    dispute_filed_at BIGINT,
    dispute_decided_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (customer_id, integration_id)
);
CREATE INDEX reviews_org ON reviews (organization_id, id);
CREATE INDEX reviews_integration ON reviews (integration_id);
