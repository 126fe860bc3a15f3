//! `workflow_templates`, the mapping overrides one-click instances inherit
//! (`instance_mappings`), and a published version's frozen collections and record types.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx};
use marketplace_core::api_key::{Submitter, SubmitterKind};
use marketplace_core::mapping::Mapping;
use marketplace_core::template::{TemplateDecision, TemplateStatus};
use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;

/// A stored workflow template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Id (`tpl_...`).
    pub id: String,
    /// The integration.
    pub integration_id: String,
    /// The published version.
    pub version: String,
    /// Display name.
    pub name: String,
    /// What it sets up.
    pub description: String,
    /// Its values (never a secret).
    pub config: Map<String, Value>,
    /// The flows it enables.
    pub flows: Vec<String>,
    /// Overrides per collection, in the order submitted.
    pub overrides: Vec<(String, Vec<Mapping>)>,
    /// Review state.
    pub status: TemplateStatus,
    /// Who submitted it.
    pub submitted_by: Submitter,
    /// The decision, once decided.
    pub decision: Option<TemplateDecision>,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    integration_id: String,
    version: String,
    name: String,
    description: String,
    config: String,
    flows: String,
    overrides: String,
    status: String,
    submitted_kind: String,
    submitted_id: String,
    decision: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT id, integration_id, version, name, description, config, flows, overrides, status, \
     submitted_kind, submitted_id, decision, created_at, updated_at FROM workflow_templates";

impl Row {
    fn template(self) -> StoreResult<Template> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("{what} of template {}", self.id));
        let overrides: Map<String, Value> =
            serde_json::from_str(&self.overrides).map_err(|_| corrupt("the overrides"))?;
        let overrides = overrides
            .into_iter()
            .map(|(name, mappings)| Ok((name, serde_json::from_value(mappings)?)))
            .collect::<Result<_, serde_json::Error>>()
            .map_err(|_| corrupt("the overrides"))?;
        Ok(Template {
            config: serde_json::from_str(&self.config).map_err(|_| corrupt("the config"))?,
            flows: serde_json::from_str(&self.flows).map_err(|_| corrupt("the flows"))?,
            overrides,
            status: TemplateStatus::from_name(&self.status).ok_or_else(|| corrupt("the status"))?,
            submitted_by: Submitter {
                kind: SubmitterKind::from_name(&self.submitted_kind)
                    .ok_or_else(|| corrupt("the submitter"))?,
                id: self.submitted_id,
            },
            decision: self
                .decision
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| corrupt("the decision"))?,
            id: self.id,
            integration_id: self.integration_id,
            version: self.version,
            name: self.name,
            description: self.description,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn overrides_json(overrides: &[(String, Vec<Mapping>)]) -> String {
    let map: Map<String, Value> = overrides
        .iter()
        .map(|(name, mappings)| {
            let mappings = serde_json::to_value(mappings).unwrap_or(Value::Null);
            (name.clone(), mappings)
        })
        .collect();
    Value::Object(map).to_string()
}

/// Stores a new template.
pub async fn insert(tx: &mut Tx, organization_id: &str, template: &Template) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO workflow_templates (id, organization_id, integration_id, version, name, description, config, \
         flows, overrides, status, submitted_kind, submitted_id, decision, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        [
            (&template.id).into(),
            organization_id.into(),
            (&template.integration_id).into(),
            (&template.version).into(),
            (&template.name).into(),
            (&template.description).into(),
            Value::Object(template.config.clone()).to_string().into(),
            Value::from(template.flows.clone()).to_string().into(),
            overrides_json(&template.overrides).into(),
            template.status.as_str().into(),
            template.submitted_by.kind.as_str().into(),
            (&template.submitted_by.id).into(),
            Option::<String>::None.into(),
            template.created_at.into(),
            template.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Records a decision, unless the template was decided meanwhile; whether it was recorded.
pub async fn decide(
    tx: &mut Tx,
    id: &str,
    status: TemplateStatus,
    decision: &TemplateDecision,
) -> StoreResult<bool> {
    let decision_json = serde_json::to_string(decision).unwrap_or_default();
    let changed = execute(
        tx.conn().await?,
        "UPDATE workflow_templates SET status = $2, decision = $3, updated_at = $4 WHERE id = $1 AND status = 'pending'",
        [
            id.into(),
            status.as_str().into(),
            decision_json.into(),
            decision.decided_at.into(),
        ],
    )
    .await?;
    Ok(changed > 0)
}

/// Deletes a template.
pub async fn delete(tx: &mut Tx, id: &str) -> StoreResult<()> {
    let sql = "DELETE FROM workflow_templates WHERE id = $1";
    execute(tx.conn().await?, sql, [id.into()]).await?;
    Ok(())
}

/// A template of the organization (read from the write pool: it may just have changed).
pub async fn get(store: &Store, organization_id: &str, id: &str) -> StoreResult<Option<Template>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::template).transpose()
}

/// A page of the templates of one version of an integration.
pub async fn list(
    store: &Store,
    integration_id: &str,
    version: &str,
    page: &PageRequest,
) -> StoreResult<Page<Template>> {
    let mut filter = Filter::eq("integration_id", integration_id);
    filter.eq_opt("version", Some(version));
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        filter,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?
    .try_map(Row::template)
}

/// The approved templates of one version of an integration, by id.
pub async fn approved(
    store: &Store,
    integration_id: &str,
    version: &str,
) -> StoreResult<Vec<Template>> {
    let sql = format!(
        "{SELECT} WHERE integration_id = $1 AND version = $2 AND status = 'approved' ORDER BY id"
    );
    let rows: Vec<Row> = fetch_all(
        &store.db.read,
        AssertSqlSafe(sql),
        [integration_id.into(), version.into()],
    )
    .await?;
    rows.into_iter().map(Row::template).collect()
}
