-- Flow executions are leased like deliveries: the process running one holds its lease and renews
-- it; when a process dies, another takes over the execution once the lease ends.
ALTER TABLE executions ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN lease_token TEXT;
CREATE INDEX executions_unfinished ON executions (status, lease_until);
