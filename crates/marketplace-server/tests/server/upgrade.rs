//! The upgrade path: a SQLite database written by the previous release (migrations 0001 to 0006
//! only, rows inserted as that release stored them) is opened by this one, which migrates it to
//! one `default` marketplace holding every listing; the old routes, tokens and instances answer
//! as before.

use super::common::{KEYS, TempDir, TestServer, items, master_key};
use marketplace_server::crypto::{MasterKey, Sealer, sha256_hex};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::str::FromStr;

const ORG: &str = "org_0193a0b1c2d3e4f5a6b7c8d9e0f1a2b3";
const API_KEY: &str = "mk_previous-release-admin-key-0001";
const INTEGRATION: &str = "int_0193a0b1c2d3e4f5a6b7c8d9e0f1a2b4";
const CUSTOMER: &str = "cus_0193a0b1c2d3e4f5a6b7c8d9e0f1a2b5";
const INSTANCE: &str = "ins_0193a0b1c2d3e4f5a6b7c8d9e0f1a2b6";

/// A SQLite database at the previous release's schema (migrations up to 0006), with an
/// organization, its admin key and signing key, a published and listed integration, a customer
/// and its instance, stored as that release stored them.
async fn previous_release_database(dir: &TempDir) -> String {
    let path = dir.0.join("previous.db");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut migrator = Migrator::new(folder).await.unwrap();
    let previous: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= 6)
        .cloned()
        .collect();
    assert_eq!(previous.len(), 6, "migrations 0001 to 0006");
    migrator.migrations = previous.into();
    migrator.run(&pool).await.unwrap();

    let spec = json!({"pages": [{"title": "Settings", "elements": [
        {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"], "default": "eu"}]}]});
    let rs_public = KEYS.iter().find(|k| k.0 == "rs").unwrap().3;
    let sealer = Sealer::new(&MasterKey::from_base64(&master_key()).unwrap());
    let sealed = sealer.seal_json(&format!("instance:{INSTANCE}"), &json!({"region": "us"}));
    let statements: Vec<(&str, Vec<String>)> = vec![
        (
            "INSERT INTO organizations (id, name, allowed_origins, theme, catalog_version, created_at) \
             VALUES (?1, 'Previous Vendor', '[\"http://host.test:3000\"]', '{}', 3, 1700000000000)",
            vec![ORG.into()],
        ),
        (
            "INSERT INTO api_keys (id, organization_id, name, key_hash, prefix, created_at, role) \
             VALUES ('key_1', ?1, 'ci', ?2, 'mk_previ', 1700000000000, 'admin')",
            vec![ORG.into(), sha256_hex(API_KEY)],
        ),
        (
            "INSERT INTO signing_keys (organization_id, kid, algorithm, public_key_pem, created_at) \
             VALUES (?1, 'rs', 'RS256', ?2, 1700000000000)",
            vec![ORG.into(), rs_public.into()],
        ),
        (
            "INSERT INTO integrations (id, organization_id, name, description, category, labels, icon_url, created_at, updated_at) \
             VALUES (?1, ?2, 'Orders', 'Sync orders', 'erp', '[\"sales\"]', NULL, 1700000000000, 1700000000000)",
            vec![INTEGRATION.into(), ORG.into()],
        ),
        (
            "INSERT INTO versions (integration_id, version, state, config, flows, created_at, published_at, collections, record_types) \
             VALUES (?1, '1.0.0', 'published', ?2, '[]', 1700000000000, 1700000000001, '[]', '{}')",
            vec![INTEGRATION.into(), spec.to_string()],
        ),
        (
            "INSERT INTO listings (integration_id, organization_id, version, overview, customer_deployable, allow_multiple_instances, updated_at) \
             VALUES (?1, ?2, '1.0.0', '## Orders', 1, 1, 1700000000002)",
            vec![INTEGRATION.into(), ORG.into()],
        ),
        (
            "INSERT INTO customers (id, organization_id, external_id, name, description, labels, avatar_url, created_at) \
             VALUES (?1, ?2, 'acme', 'Acme', '', '[]', NULL, 1700000000003)",
            vec![CUSTOMER.into(), ORG.into()],
        ),
    ];
    for (sql, args) in statements {
        let mut query = sqlx::query(sql);
        for arg in args {
            query = query.bind(arg);
        }
        query.execute(&pool).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO instances (id, organization_id, customer_id, integration_id, version, name, status, sealed_config, \
         created_at, updated_at, status_message, account_identifier, template_id, enabled_flows) \
         VALUES (?1, ?2, ?3, ?4, '1.0.0', 'Orders', 'active', ?5, 1700000000004, 1700000000004, NULL, NULL, NULL, NULL)",
    )
    .bind(INSTANCE)
    .bind(ORG)
    .bind(CUSTOMER)
    .bind(INTEGRATION)
    .bind(sealed)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    format!("sqlite://{}", path.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_previous_release_database_migrates_to_one_default_marketplace() {
    let dir = TempDir::new("marketplace-upgrade");
    let url = previous_release_database(&dir).await;
    let server = TestServer::on_existing(url, Some(dir), ORG.into(), API_KEY.into()).await;

    // One marketplace, `default`, holding the listing.
    let (status, list) = server.admin_get("/api/v1/marketplaces").await;
    let marketplaces = items(status, &list);
    assert_eq!(marketplaces.len(), 1, "{list}");
    let default = &marketplaces[0];
    assert_eq!(
        (&default["key"], &default["default"], &default["name"]),
        (&json!("default"), &json!(true), &json!("Previous Vendor"))
    );
    let default_id = default["id"].as_str().unwrap();
    assert_eq!(default_id, format!("mkt_{}", &ORG[4..]));
    let (status, listings) = server
        .admin_get(&format!("/api/v1/marketplaces/{default_id}/listings"))
        .await;
    let listings = items(status, &listings);
    assert_eq!(listings.len(), 1);
    assert_eq!(
        (
            &listings[0]["integration_id"],
            &listings[0]["visibility"],
            &listings[0]["marketplace_id"]
        ),
        (&json!(INTEGRATION), &json!("visible"), &json!(default_id))
    );

    // The old listing routes answer as before.
    let (status, listing) = server
        .admin_get(&format!("/api/v1/marketplace/listings/{INTEGRATION}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{listing}");
    assert_eq!(
        (
            &listing["version"],
            &listing["overview"],
            &listing["customer_deployable"],
            &listing["allow_multiple_instances"]
        ),
        (
            &json!("1.0.0"),
            &json!("## Orders"),
            &json!(true),
            &json!(true)
        )
    );
    let (status, list) = server.admin_get("/api/v1/marketplace/listings").await;
    assert_eq!(items(status, &list).len(), 1);

    // A token without `marketplace` sees the catalog, as the existing customer.
    let token = server.token("acme", "ada", "admin");
    let (status, catalog) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    let entries = items(status, &catalog);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            &entries[0]["integration_id"],
            &entries[0]["activated"],
            &entries[0]["instance_count"]
        ),
        (&json!(INTEGRATION), &json!(true), &json!(1))
    );

    // The instance is listed, as before (from no marketplace), and still manageable.
    let (status, instances) = server.admin_get("/api/v1/instances").await;
    let instances = items(status, &instances);
    assert_eq!(instances.len(), 1);
    assert_eq!(
        (
            &instances[0]["id"],
            &instances[0]["marketplace_id"],
            &instances[0]["config"]["region"]
        ),
        (&json!(INSTANCE), &json!(null), &json!("us"))
    );
    let (status, own) = server
        .embedded_get(&token, &format!("/api/v1/embedded/instances/{INSTANCE}"))
        .await;
    assert_eq!((status, &own["status"]), (StatusCode::OK, &json!("active")));
}
