//! Benchmarks of the hot paths of the marketplace core: validating a customer's config (against
//! the `jsonschema` crate on the exported schema, as a reference) and querying the catalog.

use criterion::{Criterion, criterion_main};
use marketplace_core::integration::VersionState;
use marketplace_core::{
    Catalog, CatalogFilter, CatalogListing, CompiledSpec, CustomerContext, Editor, Instance,
    InstanceStatus, Integration, IntegrationId, IntegrationVersion, Listing, ValidationOptions,
    VendorValues, to_json_schema, validate_config,
};
use serde_json::{Map, Value, json};
use std::hint::black_box;
use std::sync::Arc;

/// The ten `string` patterns of the validation spec, each with a value that matches it.
const PATTERNS: [(&str, &str); 10] = [
    ("^[A-Z]{3}-[0-9]{4}$", "ABC-1234"),
    ("^[a-z0-9._-]+$", "billing.service_eu-01"),
    ("^[0-9]{5}(-[0-9]{4})?$", "12345-6789"),
    (r"^\+?[0-9 ]{7,15}$", "+49 30 1234567"),
    (
        "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$",
        "DE89370400440532013000",
    ),
    ("^#[0-9a-fA-F]{6}$", "#1a2B3c"),
    (r"^v[0-9]+\.[0-9]+\.[0-9]+$", "v12.4.0"),
    ("^[a-z][a-z0-9-]{2,62}$", "acme-production"),
    (
        "^(sk|pk)_(live|test)_[A-Za-z0-9]{8,}$",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    (
        "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        "3f2b8c1e-9d4a-4b7e-8f61-2c5d9e0a7b34",
    ),
];

/// The 100 variables of the validation spec, as (type attributes, valid value), in spec order.
fn variable_definitions() -> Vec<(Value, Value)> {
    let mut defs: Vec<(Value, Value)> = Vec::with_capacity(100);
    for (pattern, value) in PATTERNS {
        defs.push((
            json!({"type": "string", "pattern": pattern, "max_length": 64}),
            json!(value),
        ));
    }
    for i in 0..10 {
        let attrs = if i % 2 == 0 {
            json!({"type": "string", "min_length": 1, "max_length": 80})
        } else {
            json!({"type": "string"})
        };
        defs.push((attrs, json!(format!("Display name number {i}"))));
    }
    for i in 0..8 {
        defs.push((
            json!({"type": "text", "max_length": 2000}),
            json!(format!(
                "Line one of note {i}.\nLine two, with more words in it.\nAnd a last line."
            )),
        ));
    }
    for i in 0..10 {
        defs.push((
            json!({"type": "integer", "min": 0, "max": 10_000}),
            json!(i * 97),
        ));
    }
    for i in 0..8 {
        defs.push((
            json!({"type": "number", "min": -100.0, "max": 100.0}),
            json!(f64::from(i) * 3.25 - 10.0),
        ));
    }
    for i in 0..8 {
        defs.push((json!({"type": "boolean"}), json!(i % 2 == 0)));
    }
    for i in 0..8 {
        defs.push((
            json!({"type": "picklist", "options": ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"]}),
            json!(["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"][i % 5]),
        ));
    }
    for i in 0..6 {
        defs.push((
            json!({"type": "date"}),
            json!(format!("2024-0{}-1{}", i + 1, i)),
        ));
    }
    for i in 0..6 {
        defs.push((
            json!({"type": "timestamp"}),
            json!(format!("2024-05-0{}T10:1{i}:00Z", i + 1)),
        ));
    }
    for i in 0..6 {
        defs.push((
            json!({"type": "url"}),
            json!(format!(
                "https://api{i}.example.com/v1/hooks?tenant=acme&n={i}"
            )),
        ));
    }
    for i in 0..6 {
        defs.push((
            json!({"type": "email"}),
            json!(format!("ops+alerts{i}@example.co.uk")),
        ));
    }
    for (cron, zone) in [
        ("*/15 * * * *", "Europe/Berlin"),
        ("0 9-17 * * MON-FRI", "America/New_York"),
        ("30 2 1 * *", "UTC"),
    ] {
        defs.push((
            json!({"type": "schedule"}),
            json!({"cron": cron, "timezone": zone}),
        ));
    }
    for i in 0..4 {
        defs.push((
            json!({"type": "secret", "min_length": 8}),
            json!(format!("s3cr3t-value-{i}-abcdef")),
        ));
    }
    for i in 0..2 {
        defs.push((
            json!({"type": "connection", "connection": {"kind": "api_key"}}),
            json!({"api_key": format!("key_{i}_0123456789abcdef")}),
        ));
    }
    defs.push((
        json!({"type": "connection", "connection": {"kind": "basic"}}),
        json!({"username": "integration-user", "password": "hunter2-but-longer"}),
    ));
    defs.push((
        json!({"type": "email", "collection": "value_list"}),
        json!(["alice@example.com", "bob@example.org", "carol@example.net"]),
    ));
    defs.push((
        json!({"type": "string", "collection": "key_value_list"}),
        json!([{"key": "X-Team", "value": "platform"}, {"key": "X-Env", "value": "prod"}, {"key": "X-Trace", "value": "on"}]),
    ));
    defs.push((
        json!({"type": "json"}),
        json!({"retries": 3, "backoff": [1, 2, 4], "note": null}),
    ));
    defs.push((
        json!({"type": "object_field_map", "fields": ["email", "first_name", "last_name", "company"]}),
        json!({"email": "Email", "first_name": "FirstName", "last_name": "LastName"}),
    ));
    assert_eq!(defs.len(), 100);
    defs
}

/// The validation spec (five pages of twenty variables, each page opened by a header) and a
/// complete, valid customer config for it.
fn validation_fixture() -> (CompiledSpec, Value) {
    let mut pages = vec![Vec::new(); 5];
    let mut values = Map::new();
    for (i, (mut attrs, value)) in variable_definitions().into_iter().enumerate() {
        let type_name = attrs["type"].as_str().expect("a type").to_owned();
        let key = format!("v{i:03}_{type_name}");
        let object = attrs.as_object_mut().expect("an object");
        object.insert("key".into(), json!(key));
        object.insert("label".into(), json!(format!("Variable {i}")));
        object.insert(
            "description".into(),
            json!(format!("Help text for variable {i}")),
        );
        object.insert("visibility".into(), json!("customer"));
        if i % 3 == 0 {
            object.insert("required".into(), json!(true));
        }
        pages[i % 5].push(attrs);
        values.insert(key, value);
    }
    let pages: Vec<Value> = pages
        .into_iter()
        .enumerate()
        .map(|(p, mut elements)| {
            elements.insert(0, json!({"header": format!("Section {p}")}));
            json!({"title": format!("Page {p}"), "tagline": "Settings", "elements": elements})
        })
        .collect();
    let spec = CompiledSpec::parse(&json!({ "pages": pages })).expect("the benchmark spec parses");
    (spec, Value::Object(values))
}

/// A copy of the valid config with several problems of different kinds.
fn broken(values: &Value) -> Value {
    let mut broken = values.clone();
    let object = broken.as_object_mut().expect("an object");
    object.insert("v000_string".into(), json!("abc-12")); // pattern
    object.insert("v028_integer".into(), json!(10_001)); // above max
    object.insert("v080_email".into(), json!("not-an-email")); // format
    object.insert("v074_url".into(), json!("ftp://example.com")); // format
    object.insert("no_such_variable".into(), json!(1)); // unknown key
    object.remove("v003_string"); // required
    broken
}

fn validate_100_variables(c: &mut Criterion) {
    let (spec, values) = validation_fixture();
    let options = ValidationOptions::complete(Editor::Customer);
    let errors = validate_config(&spec, &values, options);
    assert!(
        errors.is_empty(),
        "the benchmark values are valid: {errors:?}"
    );
    let bad = broken(&values);
    assert!(
        validate_config(&spec, &bad, options).len() >= 6,
        "the broken values are reported"
    );

    let schema = to_json_schema(spec.spec());
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the exported schema compiles");
    let schema_errors: Vec<String> = validator
        .iter_errors(&values)
        .map(|e| e.to_string())
        .collect();
    assert!(
        schema_errors.is_empty(),
        "jsonschema agrees the values are valid: {schema_errors:?}"
    );
    assert!(
        validator.iter_errors(&bad).count() >= 6,
        "jsonschema reports the broken values"
    );

    // The same input for the WebAssembly build's benchmark (crates/marketplace-wasm/bench).
    write_fixture(&spec, &values);

    let mut group = c.benchmark_group("validate_100_variables");
    group.bench_function("core", |b| {
        b.iter(|| validate_config(black_box(&spec), black_box(&values), black_box(options)))
    });
    group.bench_function("jsonschema_iter_errors", |b| {
        b.iter(|| {
            black_box(&validator)
                .iter_errors(black_box(&values))
                .count()
        })
    });
    group.finish();
}

/// Writes the validation spec and values to `target/bench/validate_100.json` (`{spec, values}`).
fn write_fixture(spec: &CompiledSpec, values: &Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    let fixture = json!({"spec": spec.spec(), "values": values});
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("validate_100.json"), fixture.to_string()));
    if let Err(error) = written {
        eprintln!("cannot write the fixture for the WebAssembly benchmark: {error}");
    }
}

/// Everything a catalog query borrows.
struct CatalogFixture {
    integrations: Vec<Integration>,
    listings: Vec<Listing>,
    versions: Vec<IntegrationVersion>,
    instances: Vec<Instance>,
    vendor_values: VendorValues,
    embedded_values: Map<String, Value>,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}

/// A handful of small specs the 1,000 integrations share.
fn catalog_versions() -> Vec<IntegrationVersion> {
    let specs = [
        // Customer-only: always deployable as far as settings go.
        json!([
            {"key": "connection", "label": "API key", "type": "connection", "connection": {"kind": "api_key"}, "required": true},
            {"key": "account", "label": "Account", "type": "string", "required": true}
        ]),
        // A required organization variable without default.
        json!([
            {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true},
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"], "required": true}
        ]),
        // Organization variables with defaults, and an embedded variable the token may carry.
        json!([
            {"key": "tier", "label": "Tier", "type": "string", "visibility": "organization", "required": true, "default": "basic"},
            {"key": "tenant", "label": "Tenant", "type": "string", "visibility": "embedded", "required": true},
            {"key": "url", "label": "Endpoint", "type": "url"}
        ]),
        // Several required organization variables.
        json!([
            {"header": "Vendor settings"},
            {"key": "account_id", "label": "Account", "type": "string", "visibility": "organization", "required": true},
            {"key": "api_base", "label": "API base", "type": "url", "visibility": "organization", "required": true},
            {"key": "quota", "label": "Quota", "type": "integer", "visibility": "organization", "required": true},
            {"key": "sync_every", "label": "Sync", "type": "schedule", "required": true},
            {"key": "notify", "label": "Notify", "type": "email", "collection": "value_list"}
        ]),
        // Nothing required at all.
        json!([
            {"key": "enabled", "label": "Enabled", "type": "boolean", "default": true},
            {"key": "mapping", "label": "Mapping", "type": "object_field_map"}
        ]),
    ];
    specs
        .into_iter()
        .enumerate()
        .map(|(i, elements)| IntegrationVersion {
            version: semver::Version::new(1, i as u64, 0),
            state: VersionState::Published,
            config: CompiledSpec::parse(
                &json!({"pages": [{"title": "Settings", "elements": elements}]}),
            )
            .expect("catalog specs parse"),
            flows: Vec::new(),
            collections: Vec::new(),
            record_types: Vec::new(),
        })
        .collect()
}

fn catalog_fixture() -> CatalogFixture {
    const BRANDS: [&str; 25] = [
        "Salesforce",
        "HubSpot",
        "Zendesk",
        "Shopify",
        "Stripe",
        "Xero",
        "QuickBooks",
        "Slack",
        "Jira",
        "Asana",
        "Mailchimp",
        "Intercom",
        "Pipedrive",
        "Freshdesk",
        "NetSuite",
        "Workday",
        "BambooHR",
        "Marketo",
        "Zoho",
        "Airtable",
        "Notion",
        "Twilio",
        "SendGrid",
        "Magento",
        "Dynamics",
    ];
    const PRODUCTS: [&str; 40] = [
        "Sync",
        "Connector",
        "Bridge",
        "Export",
        "Import",
        "Contacts",
        "Invoices",
        "Orders",
        "Tickets",
        "Leads",
        "Webhooks",
        "Backup",
        "Reports",
        "Payments",
        "Inventory",
        "Calendar",
        "Campaigns",
        "Deals",
        "Users",
        "Alerts",
        "Data Sync",
        "Mirror",
        "Pipeline",
        "Events",
        "Accounts",
        "Catalog",
        "Refunds",
        "Shipments",
        "Surveys",
        "Chat",
        "Notes",
        "Tasks",
        "Projects",
        "Expenses",
        "Payroll",
        "Timesheets",
        "Files",
        "Forms",
        "Analytics",
        "Audit",
    ];
    const CATEGORIES: [&str; 8] = [
        "crm",
        "accounting",
        "marketing",
        "support",
        "ecommerce",
        "hr",
        "analytics",
        "messaging",
    ];
    const LABELS: [&str; 6] = ["popular", "beta", "enterprise", "eu", "free", "new"];

    let versions = catalog_versions();
    let mut integrations = Vec::with_capacity(1000);
    let mut listings = Vec::with_capacity(1000);
    let mut vendor_values = VendorValues::default();
    for i in 0..1000usize {
        let (brand, product) = (BRANDS[i % 25], PRODUCTS[i / 25]);
        let id = IntegrationId(format!("int_{i:04}"));
        let labels: Vec<String> = (0..1 + i % 3)
            .map(|k| LABELS[(i + 2 * k) % 6].to_owned())
            .collect();
        integrations.push(Integration {
            id: id.clone(),
            name: format!("{brand} {product}"),
            description: format!(
                "Connects {brand} to your workspace: {} flow {i}, set up in minutes.",
                if i % 4 == 0 {
                    "two-way sync"
                } else {
                    "one-way export"
                }
            ),
            category: CATEGORIES[(i * 7) % 8].to_owned(),
            labels,
            icon_url: (i % 5 != 0).then(|| format!("https://cdn.example.com/icons/{i}.svg")),
        });
        listings.push(Listing {
            pricing: None,
            marketplace_id: "mkt_test".into(),
            partner_brief: Default::default(),
            visibility: Default::default(),
            integration_id: id.clone(),
            version: versions[i % versions.len()].version.clone(),
            overview: format!("# {brand} {product}\n\nEverything you need."),
            customer_deployable: i % 10 != 9,
            allow_multiple_instances: i % 3 == 0,
        });
        // Vendor-set values for some integrations: complete for spec 1, partial for spec 3.
        match (i % versions.len(), i % 2) {
            (1, 0) => {
                vendor_values.insert(id, object(json!({"plan": "gold"})));
            }
            (3, 0) => {
                vendor_values.insert(
                    id,
                    object(json!({"account_id": "acc-1", "api_base": "https://api.example.com"})),
                );
            }
            (3, 1) if i % 3 == 0 => {
                vendor_values.insert(
                    id,
                    object(json!({"account_id": "acc-2", "api_base": "https://api.example.com", "quota": 10})),
                );
            }
            _ => {}
        }
    }
    let instances = (0..200usize)
        .map(|n| {
            // 200 instances over 170 integrations: some integrations hold two.
            let i = (n * 13) % 170 * 5 + n % 5;
            let status = match n % 6 {
                0 => InstanceStatus::Deactivated,
                1 => InstanceStatus::Paused,
                2 if n % 4 == 0 => InstanceStatus::NeedsConfiguration,
                _ => InstanceStatus::Active,
            };
            Instance {
                id: format!("inst_{n:04}").into(),
                customer_id: "cust_1".into(),
                integration_id: integrations[i].id.clone(),
                version: listings[i].version.clone(),
                name: integrations[i].name.clone(),
                status,
                config: object(json!({"account": format!("acct-{n}")})),
                created_at: 1_700_000_000 + n as i64,
                updated_at: 1_700_000_000 + n as i64,
                status_message: None,
                account_identifier: None,
                template_id: None,
                marketplace_id: None,
                enabled_flows: None,
            }
        })
        .collect();
    CatalogFixture {
        integrations,
        listings,
        versions,
        instances,
        vendor_values,
        embedded_values: object(json!({"tenant": "t-42"})),
    }
}

fn catalog_query(c: &mut Criterion) {
    let fixture = catalog_fixture();
    let versions: Vec<Arc<IntegrationVersion>> =
        fixture.versions.iter().cloned().map(Arc::new).collect();
    let catalog = Catalog::new(
        fixture
            .integrations
            .iter()
            .zip(&fixture.listings)
            .enumerate()
            .map(|(i, (integration, listing))| {
                CatalogListing::new(
                    integration.clone(),
                    listing.clone(),
                    versions[i % versions.len()].clone(),
                    None,
                )
            })
            .collect(),
    );
    let live: Vec<IntegrationId> = fixture
        .instances
        .iter()
        .filter(|i| i.status.counts_as_existing())
        .map(|i| i.integration_id.clone())
        .collect();
    let marketplace = marketplace_core::MarketplaceId::from("mkt_test");
    let customer = CustomerContext {
        live_instances: &live,
        vendor_values: &fixture.vendor_values,
        embedded_values: Some(&fixture.embedded_values),
        marketplace: &marketplace,
        tenant: None,
        min_tier: None,
    };
    let all = catalog.query(customer, &CatalogFilter::default());
    assert_eq!(all.len(), 1000);
    assert!(all.iter().any(|e| e.activated) && all.iter().any(|e| !e.activated));
    let statuses: std::collections::HashSet<_> =
        all.iter().map(|e| e.deployability.status).collect();
    assert_eq!(statuses.len(), 3, "every deployability status occurs");
    let filter = CatalogFilter {
        category: Some("CRM".into()),
        label: None,
        q: Some("Sync".into()),
        tier: None,
    };
    let filtered = catalog.query(customer, &filter);
    assert!(
        !filtered.is_empty() && filtered.len() < 1000,
        "the filter selects some: {}",
        filtered.len()
    );

    let mut group = c.benchmark_group("catalog_query");
    group.bench_function("1000_listings_200_instances", |b| {
        b.iter(|| catalog.query(black_box(customer), black_box(&CatalogFilter::default())))
    });
    group.bench_function("1000_listings_200_instances_q_category", |b| {
        b.iter(|| catalog.query(black_box(customer), black_box(&filter)))
    });
    group.finish();
}

/// The record of the mapping benchmark (about 4 KB of JSON): an order with its customer, its
/// addresses, 20 lines and 50 attributes.
fn mapping_input() -> Value {
    let lines: Vec<Value> = (0..20)
        .map(|i| {
            json!({"sku": format!("SKU-{i:04}"), "qty": i % 4 + 1, "price": 9.5 + f64::from(i),
                   "name": format!("Item number {i} with a fairly long display name")})
        })
        .collect();
    let attributes: Map<String, Value> = (0..50)
        .map(|i| {
            (
                format!("attr_{i:02}"),
                json!(format!("value of attribute {i}")),
            )
        })
        .collect();
    json!({
        "id": "ord_2024_000123", "status": "paid", "currency": "EUR", "total": 187.5,
        "created_at": "2024-05-01T10:00:00Z", "channel": "web", "country": "DE",
        "customer": {"first": "Ada", "last": "Lovelace", "email": "Ada@Example.com",
                     "phone": "+49 30 1234567", "tier": "gold"},
        "billing": {"street": "Unter den Linden 1", "city": "Berlin", "zip": "10117", "cc": "DE"},
        "shipping": {"street": "Unter den Linden 1", "city": "Berlin", "zip": "10117", "cc": "DE"},
        "tags": ["b2c", "newsletter", "repeat"],
        "lines": lines,
        "attributes": attributes,
    })
}

/// The 50 mappings of the benchmark: 20 fields, 10 statics, 10 translations and 10 formulas,
/// and the record type they map into (every output field typed, some required).
fn mapping_collection() -> (Vec<marketplace_core::mapping::Mapping>, Value) {
    let mut mappings = Vec::new();
    let mut properties = Map::new();
    let fields = [
        "/id",
        "/status",
        "/currency",
        "/created_at",
        "/channel",
        "/customer/first",
        "/customer/last",
        "/customer/phone",
        "/billing/street",
        "/billing/city",
        "/billing/zip",
        "/shipping/street",
        "/shipping/city",
        "/shipping/zip",
        "/attributes/attr_01",
        "/attributes/attr_05",
        "/attributes/attr_10",
        "/attributes/attr_15",
        "/attributes/attr_20",
        "/attributes/attr_25",
    ];
    for (i, from) in fields.iter().enumerate() {
        mappings.push(json!({"to": format!("/f{i:02}"), "from": from}));
        properties.insert(format!("f{i:02}"), json!({"type": "string"}));
    }
    for i in 0..10 {
        mappings.push(
            json!({"kind": "static", "to": format!("/s{i:02}"), "value": format!("constant {i}")}),
        );
        properties.insert(format!("s{i:02}"), json!({"type": "string"}));
    }
    let countries: Map<String, Value> =
        ["DE", "FR", "IT", "ES", "NL", "AT", "BE", "PL", "SE", "DK"]
            .iter()
            .map(|cc| (cc.to_string(), json!(format!("country {cc}"))))
            .collect();
    let translated = [
        "/country",
        "/billing/cc",
        "/shipping/cc",
        "/status",
        "/channel",
        "/customer/tier",
        "/currency",
        "/lines/0/qty",
        "/lines/1/sku",
        "/missing",
    ];
    for (i, from) in translated.iter().enumerate() {
        mappings.push(
            json!({"kind": "translation", "to": format!("/t{i:02}"), "from": from,
                             "table": countries, "default": "other"}),
        );
        properties.insert(format!("t{i:02}"), json!({"type": "string"}));
    }
    let formulas = [
        (r#".customer.first + " " + .customer.last"#, "string"),
        (".customer.email | ascii_downcase", "string"),
        (".lines | length", "integer"),
        ("(.total | tonumber) * 100 | floor", "integer"),
        (".created_at[0:10]", "string"),
        (".status == \"paid\"", "boolean"),
        (".lines | map(.qty) | add", "integer"),
        (r#".billing.city // "unknown""#, "string"),
        (".tags | join(\",\")", "string"),
        ("[.lines[] | .sku]", "array"),
    ];
    for (i, (formula, kind)) in formulas.iter().enumerate() {
        mappings.push(json!({"kind": "formula", "to": format!("/x{i:02}"), "formula": formula}));
        properties.insert(format!("x{i:02}"), json!({"type": kind}));
    }
    let target =
        json!({"type": "object", "required": ["f00", "f01", "x00"], "properties": properties});
    let mappings = serde_json::from_value(Value::Array(mappings)).expect("the mappings parse");
    (mappings, target)
}

/// Applying a prepared 50-mapping collection (10 formulas) to a 4 KB record:
/// `mapping/apply_50_with_10_formulas` (skipped without core's `formula` feature, where
/// formulas do not compile), and the same without its formulas.
fn mapping_apply(c: &mut Criterion) {
    if !cfg!(feature = "formula") {
        return;
    }
    let input = mapping_input();
    assert!(
        (3_500..5_000).contains(&input.to_string().len()),
        "the record is about 4 KB: {}",
        input.to_string().len()
    );
    let (mappings, target) = mapping_collection();
    assert_eq!(mappings.len(), 50);
    let prepared = marketplace_core::mapping::prepare(&mappings, Some(&target));
    let applied = prepared.apply(&input);
    assert_eq!(
        applied.errors,
        vec![],
        "the benchmark's mappings apply cleanly"
    );
    assert_eq!(applied.output["x00"], json!("Ada Lovelace"));
    write_mapping_fixture(&mappings, &target, &input);
    let mut group = c.benchmark_group("mapping");
    group.bench_function("apply_50_with_10_formulas", |b| {
        b.iter(|| black_box(&prepared).apply(black_box(&input)))
    });
    // Prepared on every call (formulas compiled each time): what a one-shot `apply_mappings`,
    // the npm package's `applyMappings` included, costs; compared with it by `cargo xtask bench`.
    group.bench_function("prepare_and_apply_50_with_10_formulas", |b| {
        b.iter(|| {
            marketplace_core::mapping::apply_mappings(
                black_box(&mappings),
                Some(&target),
                black_box(&input),
            )
        })
    });
    // The same without its formulas: what the engine itself costs.
    let without = marketplace_core::mapping::prepare(&mappings[..40], None);
    group.bench_function("apply_40_without_formulas", |b| {
        b.iter(|| black_box(&without).apply(black_box(&input)))
    });
    group.finish();
}

/// A mapping formula on a 50-line order: `mapping/formula_run` (skipped without core's
/// `formula` feature, where formulas do not compile).
fn formula_run(c: &mut Criterion) {
    let source = r#"{name: (.first + " " + .last), total: (.lines | map((.price | tonumber) * (.qty | tonumber)) | add),
        skus: (.lines | map(.sku | ascii_downcase) | unique | join(","))}"#;
    let formula = match marketplace_core::mapping::Formula::compile(source) {
        Ok(formula) => formula,
        Err(_) if !cfg!(feature = "formula") => return,
        Err(e) => panic!("the bench formula is refused: {}", e.message),
    };
    let lines: Vec<Value> = (0..50)
        .map(|i| json!({"sku": format!("SKU-{}", i % 7), "price": 2.5, "qty": i}))
        .collect();
    let input = json!({"first": "Ada", "last": "Lovelace", "lines": lines});
    assert!(formula.run(&input).expect("runs").is_some());
    let mut group = c.benchmark_group("mapping");
    group.bench_function("formula_run", |b| b.iter(|| formula.run(black_box(&input))));
    group.finish();
}

/// Writes the mapping benchmark's input to `target/bench/mapping_apply_50.json`
/// (`{mappings, target, input}`), for the WebAssembly benchmark (`cargo xtask bench`).
fn write_mapping_fixture(
    mappings: &[marketplace_core::mapping::Mapping],
    target: &Value,
    input: &Value,
) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    let fixture = json!({"mappings": mappings, "target": target, "input": input});
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("mapping_apply_50.json"), fixture.to_string()));
    if let Err(error) = written {
        eprintln!("cannot write the fixture for the WebAssembly benchmark: {error}");
    }
}

/// Scoring one listing with 10,000 subscriptions (a fifth cancelled by their customer, some
/// returning) and 1,000 reviews (a third negative, some disputed), three declared applications:
/// the catalog re-scores every listing each minute.
fn score_listing(c: &mut Criterion) {
    use marketplace_core::commerce::{
        ApplicationFact, CancelledBy, DisputeFact, ReviewFact, ScoreFacts, ScoringPolicy,
        SubscriptionFact, score,
    };
    const DAY: i64 = 86_400_000;
    let now: i64 = 1_798_761_600_000; // 2027-01-01
    let subscriptions = (0..10_000i64)
        .map(|i| SubscriptionFact {
            id: format!("sub_{i:05}"),
            customer_id: format!("cus_{:04}", i % 4_000),
            subscribed_at: now - (i % 700) * DAY,
            returning: i % 97 == 0,
            cancelled: (i % 5 == 0).then(|| {
                let by = if i % 15 == 0 {
                    CancelledBy::Organization
                } else {
                    CancelledBy::Customer
                };
                (now - (i % 700) * DAY + (i % 300) * DAY, by)
            }),
        })
        .collect();
    let reviews = (0..1_000i64)
        .map(|i| ReviewFact {
            id: format!("rev_{i:04}"),
            customer_id: format!("cus_{:04}", i * 4),
            rating: (i % 5 + 1) as u8,
            created_at: now - (i % 400) * DAY,
            dispute: (i % 7 == 0).then(|| DisputeFact {
                filed_at: now - (i % 400) * DAY + DAY,
                decided: (i % 14 == 0).then_some((i % 28 == 0, now - (i % 400) * DAY + 3 * DAY)),
            }),
        })
        .collect();
    let applications = (0..3i64)
        .map(|a| ApplicationFact {
            id: format!("app_{a}"),
            name: format!("Application {a}"),
            versions: (0..20)
                .map(|v| (format!("{v}.0"), now - (20 - v) * 30 * DAY))
                .collect(),
            supported: (0..19 + a % 2).map(|v| format!("{v}.0")).collect(),
        })
        .collect();
    let facts = ScoreFacts {
        applications,
        reviews,
        subscriptions,
        uncancelled: 0,
    };
    let policy = ScoringPolicy::default();
    let scored = score(&facts, &policy, now);
    assert!(
        scored.factors.iter().all(|f| f.count > 0),
        "every factor should find items: {:?}",
        scored
            .factors
            .iter()
            .map(|f| (f.code, f.count))
            .collect::<Vec<_>>()
    );
    c.bench_function("score_listing_10000_subscriptions_1000_reviews", |b| {
        b.iter(|| score(black_box(&facts), black_box(&policy), black_box(now)))
    });
}

/// The harness: `criterion_group!` defines a `pub fn`, kept private here.
mod harness {
    use criterion::criterion_group;

    criterion_group!(
        benches,
        super::validate_100_variables,
        super::catalog_query,
        super::mapping_apply,
        super::formula_run,
        super::score_listing
    );
}

criterion_main!(harness::benches);
