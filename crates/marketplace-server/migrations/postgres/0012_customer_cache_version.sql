-- A customer's cache version: bumped by triggers on every write of what the catalog shows per
-- customer (its instances' integration and status, and the vendor's values for it), so a process
-- serving the catalog can tell with one indexed read whether its kept copy is current, whichever
-- process wrote.
ALTER TABLE customers ADD COLUMN cache_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_customer_cache_version() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE customers SET cache_version = cache_version + 1 WHERE id = OLD.customer_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.customer_id <> OLD.customer_id) THEN
        UPDATE customers SET cache_version = cache_version + 1 WHERE id = NEW.customer_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER instances_customer_cache
    AFTER INSERT OR DELETE OR UPDATE OF status, integration_id, customer_id ON instances
    FOR EACH ROW EXECUTE FUNCTION bump_customer_cache_version();
CREATE TRIGGER customer_configs_customer_cache
    AFTER INSERT OR UPDATE OR DELETE ON customer_configs
    FOR EACH ROW EXECUTE FUNCTION bump_customer_cache_version();
