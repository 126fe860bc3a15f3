//! Validates a sample config against the sample spec of the README and prints what core says:
//! the spec's JSON Schema, the deployability answer, and every field error of a bad config.
//!
//! `cargo run -p marketplace-core --example validate`

use marketplace_core::deployability::{DeployabilityInput, deployability};
use marketplace_core::{
    CompiledSpec, Editor, IntegrationVersion, Listing, ValidationOptions, to_json_schema,
    validate_config,
};
use serde_json::json;

fn main() {
    let body = json!({
        "version": "1.0.0",
        "config": {"pages": [{"title": "Connection", "tagline": "Where orders go", "elements": [
            {"header": "Endpoint"},
            {"key": "endpoint", "label": "Endpoint URL", "type": "url", "required": true},
            {"key": "auth", "label": "API credentials", "type": "connection", "connection": {"kind": "api_key"}, "required": true},
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"], "default": "eu"},
            {"key": "batch_size", "label": "Batch size", "type": "integer", "min": 1, "max": 500, "default": 50},
            {"key": "account_code", "label": "Account code", "type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$", "required": true},
            {"key": "tenant_token", "label": "Tenant token", "type": "secret", "visibility": "organization", "required": true}
        ]}]},
        "flows": [{"name": "orders", "trigger": "webhook",
                   "map": [{"to": "/order_id", "from": "/order/id"}],
                   "deliver": {"url": "endpoint", "connection": "auth"}}]
    });
    let mut version = match IntegrationVersion::parse_draft(&body, &[], &[]) {
        Ok(v) => v,
        Err(errors) => {
            eprintln!(
                "the sample version is invalid: {}",
                serde_json::to_string_pretty(&errors).unwrap()
            );
            std::process::exit(1);
        }
    };
    version = version
        .publish(&[], &[])
        .expect("a first version publishes");
    let spec: &CompiledSpec = &version.config;

    println!(
        "Customer-visible JSON Schema:\n{}\n",
        serde_json::to_string_pretty(&to_json_schema(spec.spec())).unwrap()
    );

    let listing = Listing {
        marketplace_id: "mkt_test".into(),

        partner_brief: Default::default(),

        visibility: Default::default(),
        pricing: None,
        integration_id: "orders-sync".into(),
        version: version.version.clone(),
        overview: "Sends every order to your ERP.".into(),
        customer_deployable: true,
        allow_multiple_instances: false,
    };
    let answer = deployability(DeployabilityInput {
        listing: &listing,
        version: &version,
        live_instances: 0,
        vendor_values: None,
        embedded_values: None,
        tier: None,
        min_tier: None,
    });
    println!(
        "Deployability before the vendor sets tenant_token:\n{}\n",
        serde_json::to_string_pretty(&answer).unwrap()
    );

    let config = json!({"endpoint": "ftp://erp.example.com", "auth": {"api_key": ""}, "region": "mars",
                        "batch_size": 0, "account_code": "abc-12", "tenant_token": "s3cret", "colour": "blue"});
    println!(
        "A customer submits:\n{}\n",
        serde_json::to_string_pretty(&config).unwrap()
    );
    let errors = validate_config(spec, &config, ValidationOptions::complete(Editor::Customer));
    println!(
        "Field errors ({}):\n{}",
        errors.len(),
        serde_json::to_string_pretty(&errors).unwrap()
    );
}
