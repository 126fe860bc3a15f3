//! TLS to PostgreSQL: `sslmode` in the database URL is honoured. The test server of
//! `cargo xtask test` has TLS on, with a certificate for 127.0.0.1 signed by an authority of its
//! own (`MARKETPLACE_TEST_POSTGRES_CA`): `verify-full` with that authority connects over TLS,
//! `verify-full` with another authority is refused, `require` connects over TLS without
//! checking the certificate, `disable` connects in the clear. PostgreSQL only.

use super::common::{Backend, fresh_database, master_key};
use marketplace_server::config::StorageArgs;

/// Whether the service's connection for this URL is encrypted, as the server sees it; the
/// error when the service cannot open the database at all.
async fn encrypted(database_url: String) -> Result<bool, String> {
    let storage = StorageArgs {
        database_url,
        master_key: Some(master_key()),
        previous_master_keys: Vec::new(),
    };
    let store = marketplace_server::open(&storage)
        .await
        .map_err(|e| e.to_string())?;
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&store.db.read)
        .await
        .unwrap();
    store.db.close().await;
    Ok(ssl)
}

fn ca_file(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("the TLS scenario needs {variable}: cargo xtask test starts PostgreSQL with TLS and sets it")
    })
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn sslmode_is_honoured() {
    let (url, _) = fresh_database(Backend::Postgres).await;
    let ca = ca_file("MARKETPLACE_TEST_POSTGRES_CA");
    let other_ca = ca_file("MARKETPLACE_TEST_POSTGRES_OTHER_CA");
    let with = |query: &str| format!("{url}?{query}");

    assert_eq!(
        encrypted(with(&format!("sslmode=verify-full&sslrootcert={ca}"))).await,
        Ok(true),
        "verified against the server's authority"
    );
    let refused = encrypted(with(&format!("sslmode=verify-full&sslrootcert={other_ca}"))).await;
    assert!(
        refused.is_err(),
        "an authority that did not sign it: {refused:?}"
    );
    assert_eq!(encrypted(with("sslmode=require")).await, Ok(true));
    assert_eq!(encrypted(with("sslmode=disable")).await, Ok(false));
}
