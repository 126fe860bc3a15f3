-- A customer's cache version: bumped by triggers on every write of what the catalog shows per
-- customer (its instances' integration and status, and the vendor's values for it), so a process
-- serving the catalog can tell with one indexed read whether its kept copy is current. PostgreSQL
-- reads it (several processes share a database); on SQLite one process sees every write and
-- invalidates locally, and the column is kept true all the same.
ALTER TABLE customers ADD COLUMN cache_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER instances_insert_customer_cache AFTER INSERT ON instances
BEGIN
    UPDATE customers SET cache_version = cache_version + 1 WHERE id = NEW.customer_id;
END;
CREATE TRIGGER instances_update_customer_cache AFTER UPDATE OF status, integration_id, customer_id ON instances
BEGIN
    UPDATE customers SET cache_version = cache_version + 1 WHERE id IN (OLD.customer_id, NEW.customer_id);
END;
CREATE TRIGGER instances_delete_customer_cache AFTER DELETE ON instances
BEGIN
    UPDATE customers SET cache_version = cache_version + 1 WHERE id = OLD.customer_id;
END;
CREATE TRIGGER customer_configs_insert_customer_cache AFTER INSERT ON customer_configs
BEGIN
    UPDATE customers SET cache_version = cache_version + 1 WHERE id = NEW.customer_id;
END;
CREATE TRIGGER customer_configs_update_customer_cache AFTER UPDATE ON customer_configs
BEGIN
    UPDATE customers SET cache_version = cache_version + 1 WHERE id IN (OLD.customer_id, NEW.customer_id);
END;
CREATE TRIGGER customer_configs_delete_customer_cache AFTER DELETE ON customer_configs
BEGIN
    UPDATE customers SET cache_version = cache_version + 1 WHERE id = OLD.customer_id;
END;
