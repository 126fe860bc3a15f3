-- A listing's subscriptions by kind: scoring counts the uncancelled first subscriptions begun
-- by a time from the index alone, and reads only the returning or cancelled ones.
DROP INDEX subscriptions_listing;
CREATE INDEX subscriptions_listing ON subscriptions (marketplace_id, integration_id, is_return, cancelled_at, subscribed_at);
