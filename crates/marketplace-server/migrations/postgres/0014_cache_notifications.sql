-- Cache notifications: each process keeps catalog snapshots, customers' parts of the catalog and
-- verified tokens in memory. Every write that changes one of them (an organization's catalog
-- version, a customer's cache version, a customer's tenant, a user's pinned role, a revocation)
-- notifies the channel `marketplace_cache`;
-- PostgreSQL delivers the notification at commit to every process listening, which drops its
-- copy (`service::cache_notifications`). A process that listens needs no per-read version or
-- revocation check. Identical notifications of one transaction are delivered once.
-- One function for the catalog, customer and identity notifications: the kind is the trigger's
-- argument, followed by what changed (the row's id, or a user's customer).
CREATE FUNCTION notify_cache_change() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'customer_users' THEN
        PERFORM pg_notify('marketplace_cache', TG_ARGV[0] || ':' || NEW.customer_id);
    ELSE
        PERFORM pg_notify('marketplace_cache', TG_ARGV[0] || ':' || NEW.id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER organizations_catalog_notify
    AFTER UPDATE OF catalog_version ON organizations
    FOR EACH ROW WHEN (NEW.catalog_version IS DISTINCT FROM OLD.catalog_version)
    EXECUTE FUNCTION notify_cache_change('catalog');

CREATE TRIGGER customers_cache_notify
    AFTER UPDATE OF cache_version ON customers
    FOR EACH ROW WHEN (NEW.cache_version IS DISTINCT FROM OLD.cache_version)
    EXECUTE FUNCTION notify_cache_change('customer');

-- A customer's tenant or a user's pinned role: what processes keep of the customer's identity
-- (not of its catalog, so its cache version stays).
CREATE TRIGGER customers_tenant_notify
    AFTER UPDATE OF tenant_id ON customers
    FOR EACH ROW WHEN (NEW.tenant_id IS DISTINCT FROM OLD.tenant_id)
    EXECUTE FUNCTION notify_cache_change('identity');

CREATE TRIGGER customer_users_pin_notify
    AFTER UPDATE OF pinned_role ON customer_users
    FOR EACH ROW WHEN (NEW.pinned_role IS DISTINCT FROM OLD.pinned_role)
    EXECUTE FUNCTION notify_cache_change('identity');

CREATE FUNCTION notify_revocation() RETURNS trigger AS $$
BEGIN
    -- A payload is at most 8000 bytes: past that, the whole organization's tokens.
    IF octet_length(NEW.customer_external_id) > 7000 THEN
        PERFORM pg_notify('marketplace_cache', 'revoked:' || NEW.organization_id);
    ELSE
        PERFORM pg_notify('marketplace_cache', 'revoked:' || NEW.organization_id || ':' || NEW.customer_external_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER revocations_notify
    AFTER INSERT OR UPDATE ON revocations
    FOR EACH ROW EXECUTE FUNCTION notify_revocation();
