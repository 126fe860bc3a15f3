//! The Rust SDK compiled to wasm32, as a Rust front end (Leptos, Yew, Dioxus...) would use it:
//! `Marketplace` over `fetch` (`FetchTransport`, gloo-net). `cargo xtask test` builds it with
//! wasm-bindgen and calls it from Node against the real service (`tests/wasm-sdk/`).

use marketplace_embedded::wire::MarketplaceQuery;
use marketplace_embedded::{Error, Marketplace, TokenSource};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

/// A tour of the SDK as the customer user of `token`: the catalog, an integration's detail, a
/// local check that fails without a request, an activation and a pause. Resolves to a summary
/// (JSON text); rejects with the SDK's error message.
#[wasm_bindgen]
pub async fn tour(
    base_url: String,
    token: String,
    integration_name: String,
    config: String,
) -> Result<String, JsValue> {
    let failed = |e: Error| JsValue::from_str(&format!("{}: {e}", e.code()));
    let client = Marketplace::new(base_url, TokenSource::Fixed(token));
    let catalog = client
        .catalog(&MarketplaceQuery::default())
        .await
        .map_err(failed)?;
    let names: Vec<&str> = catalog.items.iter().map(|e| e.name.as_str()).collect();
    let entry = catalog
        .items
        .iter()
        .find(|e| e.name == integration_name)
        .ok_or_else(|| JsValue::from_str("no such integration"))?;
    let detail = client
        .integration(&entry.integration_id)
        .await
        .map_err(failed)?;
    let local = match client
        .activate(&entry.integration_id, None, &json!({"nope": 1}), None)
        .await
    {
        Err(Error::Validation(errors)) => json!(errors),
        other => {
            return Err(JsValue::from_str(&format!(
                "expected a local error: {other:?}"
            )));
        }
    };
    let config: Value =
        serde_json::from_str(&config).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let instance = client
        .activate(
            &entry.integration_id,
            Some("From wasm"),
            &config,
            Some("wasm-1"),
        )
        .await
        .map_err(failed)?;
    let paused = client.pause(&instance.id).await.map_err(failed)?;
    Ok(json!({
        "names": names,
        "flows": detail.flows,
        "local_errors": local,
        "instance_id": instance.id,
        "status": paused.status,
    })
    .to_string())
}

/// The SDK's error code for a call with `token` (a refused token gives `unauthorized`).
#[wasm_bindgen]
pub async fn error_code(base_url: String, token: String) -> String {
    let client = Marketplace::new(base_url, TokenSource::Fixed(token));
    match client.catalog(&MarketplaceQuery::default()).await {
        Ok(_) => "ok".to_owned(),
        Err(error) => error.code().to_owned(),
    }
}
