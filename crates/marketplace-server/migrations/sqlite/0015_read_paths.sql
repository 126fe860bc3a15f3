-- The instances of a version: the scheduler reads the active instances of the versions that
-- have a scheduled flow through it (instead of matching every instance's version).
CREATE INDEX instances_version ON instances (integration_id, version);

-- A customer's subscriptions of an integration with their status and who cancelled, from the
-- index alone (what an activation reads to know whether it is a return).
DROP INDEX subscriptions_customer;
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, integration_id, status, cancelled_by);
