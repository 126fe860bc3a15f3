//! Helpers of the load benchmark `cargo xtask bench-server`: what needs the server's library
//! (tokens signed with the demo key, a fast seeding of the database) or HTTP and JSON (fetching
//! a body, counting instances through the admin API), so that the xtask itself stays free of
//! dependencies.
//!
//! ```text
//! bench_support info    --database sqlite://DB
//! bench_support tokens  --database sqlite://DB --prefix bench-read- [--count 1] [--seconds 3600] [--warm URL]
//! bench_support fetch   --url URL --token TOKEN --out FILE
//! bench_support seed    --database sqlite://DB --customers 10000 --instances 100000
//! bench_support verify  --url BASE --api-key KEY --ids FILE
//! ```
//!
//! `info`, `tokens` and `seed` read `<DB>.demo.json`, written by `marketplace-server demo`.
//! `seed` writes the database directly: run it while the service is stopped.

use clap::{Parser, Subcommand};
use marketplace_core::{Customer, Instance, InstanceStatus};
use marketplace_server::config::StorageArgs;
use marketplace_server::crypto::random_secret;
use marketplace_server::demo::Demo;
use marketplace_server::store::{self, PageRequest, Store, new_id, now_ms, sqlite_path};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

/// Helpers of `cargo xtask bench-server`.
#[derive(Debug, Parser)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print `key=value` lines: the demo organization, its admin API key and the ids of the
    /// integrations that allow several instances per customer.
    Info {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
    },
    /// Print embedded tokens (role admin), one a line, for customers `<prefix>0`, `<prefix>1`...
    /// (created by the service on first sight).
    Tokens {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
        /// Prefix of the customers' external ids.
        #[arg(long)]
        prefix: String,
        /// How many tokens (one per customer).
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Lifetime (at most the service's `--token-max-lifetime`, one hour by default).
        #[arg(long, default_value_t = 3600)]
        seconds: i64,
        /// GET this URL once with each token (fails unless 200), so that the service has seen
        /// every customer before a measurement.
        #[arg(long)]
        warm: Option<String>,
    },
    /// GET a URL with a bearer token; write the body to a file (fails unless 200).
    Fetch {
        /// The URL.
        #[arg(long)]
        url: String,
        /// The bearer token.
        #[arg(long)]
        token: String,
        /// Where to write the body.
        #[arg(long)]
        out: PathBuf,
    },
    /// Insert customers `seed-<i>` and instances of the demo's multi-instance integrations,
    /// sealed as the service seals them, in batched transactions.
    Seed {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
        /// Customers to add.
        #[arg(long, default_value_t = 10_000)]
        customers: usize,
        /// Instances to add, spread evenly over the customers.
        #[arg(long, default_value_t = 100_000)]
        instances: usize,
    },
    /// Count the organization's instances through the admin API (`GET /api/v1/instances`,
    /// paginated) and check that every id listed in a file is among them.
    Verify {
        /// Base URL of the service.
        #[arg(long)]
        url: String,
        /// Admin API key.
        #[arg(long)]
        api_key: String,
        /// Ids of acknowledged activations, one a line.
        #[arg(long)]
        ids: PathBuf,
    },
}

/// Rows inserted per transaction by `seed`.
const SEED_BATCH: usize = 5_000;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() {
    if let Err(error) = run(Cli::parse().command).await {
        eprintln!("bench_support: {error}");
        std::process::exit(1);
    }
}

async fn run(command: Command) -> Result {
    match command {
        Command::Info { database } => info(&database).await,
        Command::Tokens {
            database,
            prefix,
            count,
            seconds,
            warm,
        } => {
            let demo = load_demo(&database)?;
            let client = reqwest::Client::new();
            for i in 0..count {
                let customer = format!("{prefix}{i}");
                let name = format!("Benchmark customer {customer}");
                let user = format!("user@{customer}.example");
                let token = demo.sign_token(&customer, &name, &user, "admin", seconds);
                if let Some(url) = &warm {
                    get(&client, url, &token).await?;
                }
                println!("{token}");
            }
            Ok(())
        }
        Command::Fetch { url, token, out } => {
            let body = get(&reqwest::Client::new(), &url, &token).await?;
            std::fs::write(&out, &body)?;
            println!("{} bytes", body.len());
            Ok(())
        }
        Command::Seed {
            database,
            customers,
            instances,
        } => seed(&database, customers, instances).await,
        Command::Verify { url, api_key, ids } => verify(&url, &api_key, &ids).await,
    }
}

/// GETs `url` with a bearer token; fails unless the answer is a success.
async fn get(client: &reqwest::Client, url: &str, token: &str) -> Result<bytes::Bytes> {
    let response = client.get(url).bearer_auth(token).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    if !status.is_success() {
        return Err(format!(
            "GET {url} answered {status}: {}",
            String::from_utf8_lossy(&body)
        )
        .into());
    }
    Ok(body)
}

/// The demo of a database (its `<file>.demo.json`).
fn load_demo(database: &str) -> Result<Demo> {
    let mut path = sqlite_path(database)
        .ok_or("the database must be a SQLite file")?
        .into_os_string();
    path.push(".demo.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e}", PathBuf::from(&path).display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// The ids of the demo's integrations that allow several instances per customer, by name.
async fn multi_instance_integrations(
    store: &Store,
    organization_id: &str,
) -> Result<Vec<(String, String)>> {
    let listings = store::listings::list(
        store,
        organization_id,
        &PageRequest {
            limit: 200,
            cursor: None,
        },
    )
    .await?;
    let mut found = Vec::new();
    for record in listings
        .items
        .into_iter()
        .filter(|r| r.listing.allow_multiple_instances)
    {
        let id = record.listing.integration_id.to_string();
        if let Some(integration) = store::integrations::get(store, organization_id, &id).await? {
            found.push((integration.integration.name, id));
        }
    }
    found.sort();
    Ok(found)
}

async fn info(database: &str) -> Result {
    let demo = load_demo(database)?;
    let store = open(database).await?;
    println!("organization_id={}", demo.organization_id);
    println!("api_key={}", demo.api_key);
    for (name, id) in multi_instance_integrations(&store, &demo.organization_id).await? {
        let key = name
            .to_lowercase()
            .replace(|c: char| !c.is_alphanumeric(), "_");
        println!("integration.{key}={id}");
    }
    store.db.close().await;
    Ok(())
}

async fn open(database: &str) -> Result<Store> {
    Ok(marketplace_server::open(&StorageArgs {
        database_url: database.to_owned(),
        master_key: None,
    })
    .await?)
}

/// A valid customer config of a seeded instance of the named integration.
fn seed_config(integration: &str, i: usize) -> Value {
    match integration {
        "Slack" => json!({"webhook_url": format!("https://hooks.example.com/seed/{i}"),
                          "channel": "#general", "mention_here": false, "template": "New {{kind}}: {{id}}"}),
        "Google Sheets" => {
            json!({"sheet_url": format!("https://script.example.com/macros/s/{i}/exec"),
                                  "sheet_name": "Orders"})
        }
        _ => json!({"shop_url": format!("https://shop-{i}.example.com"), "currency": "EUR"}),
    }
}

async fn seed(database: &str, customers: usize, instances: usize) -> Result {
    if customers == 0 {
        return Err("--customers must be at least 1".into());
    }
    let started = Instant::now();
    let demo = load_demo(database)?;
    let store = open(database).await?;
    let org = demo.organization_id.as_str();
    // Slack and Google Sheets take a plain config (no connection values).
    let targets: Vec<(String, String)> = multi_instance_integrations(&store, org)
        .await?
        .into_iter()
        .filter(|(name, _)| name == "Slack" || name == "Google Sheets")
        .collect();
    if targets.is_empty() {
        return Err("the demo catalog has no Slack nor Google Sheets listing".into());
    }
    let now = now_ms();
    let mut customer_ids = Vec::with_capacity(customers);
    for chunk in (0..customers).collect::<Vec<_>>().chunks(SEED_BATCH) {
        let mut tx = store.begin().await?;
        for &i in chunk {
            let customer = Customer {
                id: new_id("cus").into(),
                name: format!("Seeded customer {i}"),
                description: String::new(),
                external_id: format!("seed-{i}"),
                labels: Vec::new(),
                avatar_url: None,
            };
            store::customers::insert(&mut tx, org, &customer, now).await?;
            customer_ids.push(customer.id);
        }
        tx.commit().await?;
    }
    for chunk in (0..instances).collect::<Vec<_>>().chunks(SEED_BATCH) {
        let mut tx = store.begin().await?;
        for &i in chunk {
            let (name, integration_id) = &targets[(i / customers) % targets.len()];
            let instance = Instance {
                id: new_id("ins").into(),
                customer_id: customer_ids[i % customers].clone(),
                integration_id: integration_id.as_str().into(),
                version: semver::Version::new(1, 0, 0),
                name: format!("{name} {i}"),
                status: InstanceStatus::Active,
                config: seed_config(name, i)
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                created_at: now,
                updated_at: now,
                status_message: None,
                account_identifier: None,
            };
            store::instances::save(&mut tx, &store, &instance, true).await?;
            store::instances::sync_webhooks(&mut tx, instance.id.as_str(), &["events"], || {
                random_secret(24)
            })
            .await?;
        }
        tx.commit().await?;
    }
    store.db.close().await;
    println!(
        "seeded {customers} customers and {instances} instances in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn verify(url: &str, api_key: &str, ids: &PathBuf) -> Result {
    let acknowledged: Vec<String> = std::fs::read_to_string(ids)?
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    let client = reqwest::Client::new();
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut page_url =
            url::Url::parse(&format!("{}/api/v1/instances", url.trim_end_matches('/')))?;
        page_url.query_pairs_mut().append_pair("limit", "200");
        if let Some(cursor) = &cursor {
            page_url.query_pairs_mut().append_pair("cursor", cursor);
        }
        let response = client.get(page_url).bearer_auth(api_key).send().await?;
        let status = response.status();
        let page: Value = response.json().await?;
        if !status.is_success() {
            return Err(format!("GET /api/v1/instances answered {status}: {page}").into());
        }
        pages += 1;
        for item in page["items"].as_array().into_iter().flatten() {
            if let Some(id) = item["id"].as_str() {
                stored.insert(id.to_owned());
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<&String> = acknowledged.iter().collect();
    let missing = unique.iter().filter(|id| !stored.contains(**id)).count();
    println!("pages={pages}");
    println!("stored={}", stored.len());
    println!("acknowledged={}", acknowledged.len());
    println!("acknowledged_unique={}", unique.len());
    println!("missing={missing}");
    Ok(())
}
