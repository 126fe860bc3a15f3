-- Mapping collections and workflow templates: the vendor's record types, collections in version
-- documents (frozen with the record types they use at publish), per-instance overrides,
-- workflow templates with their decision, one-click instances, and reviewer API keys.
-- Times are Unix milliseconds.

-- API keys gain a role: `admin` (everything) or `reviewer` (reads, and decides certification
-- requests, templates and disputes). Existing keys stay admins.
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';

-- Record types (the common data model): a name, a description and a JSON Schema subset.
CREATE TABLE record_types (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    schema TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, name)
);

-- A version's collections (JSON array), and at publish the frozen copies of the record types
-- they use (JSON object: name -> record type), so later edits never change a published version.
ALTER TABLE versions ADD COLUMN collections TEXT NOT NULL DEFAULT '[]';
ALTER TABLE versions ADD COLUMN record_types TEXT NOT NULL DEFAULT '{}';

-- An instance's overrides of a collection's mappings (JSON array of mappings).
CREATE TABLE instance_mappings (
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    collection TEXT NOT NULL,
    overrides TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (instance_id, collection)
);

-- Instances made from a template remember it; `enabled_flows` is a JSON array of flow names,
-- null meaning every flow of the version.
ALTER TABLE instances ADD COLUMN template_id TEXT;
ALTER TABLE instances ADD COLUMN enabled_flows TEXT;

-- Workflow templates of a published version: a config (organization editor, no secrets or
-- connections), a subset of flows and mapping overrides per collection; `submitted_kind` is
-- `organization` (then `submitted_id` is the API key id) or `partner`; `decision` is JSON
-- `{decision, notes, decided_by, decided_at}` once decided.
CREATE TABLE workflow_templates (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    config TEXT NOT NULL,
    flows TEXT NOT NULL,
    overrides TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_kind TEXT NOT NULL,
    submitted_id TEXT NOT NULL,
    decision TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX workflow_templates_version ON workflow_templates (integration_id, version, status);
CREATE INDEX workflow_templates_org ON workflow_templates (organization_id, id);
