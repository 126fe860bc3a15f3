-- The instances of a version: the scheduler reads the active instances of the versions that
-- have a scheduled flow through it (instead of matching every instance's version).
CREATE INDEX instances_version ON instances (integration_id, version);
