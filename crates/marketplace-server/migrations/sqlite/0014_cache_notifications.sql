-- Cache notifications are PostgreSQL's (several processes share its database; see the
-- PostgreSQL migration of the same name). One process owns a SQLite file and drops its own
-- copies after each write, so there is nothing to notify: this migration keeps the two folders
-- in step.
SELECT 1;
