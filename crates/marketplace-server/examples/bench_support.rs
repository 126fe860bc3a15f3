//! Helpers of the load benchmark `cargo xtask bench-server`: what needs the server's library
//! (tokens signed with the demo key, a fast seeding of the database) or HTTP and JSON (fetching
//! a body, counting instances through the admin API), so that the xtask itself stays free of
//! dependencies.
//!
//! ```text
//! bench_support info    --database sqlite://DB
//! bench_support tokens  --database sqlite://DB --prefix bench-read- [--count 1] [--seconds 3600] [--warm URL] [--marketplace KEY] [--tenant KEY]
//! bench_support fetch   --url URL --token TOKEN --out FILE
//! bench_support session --url BASE --api-key KEY --customer EXTERNAL_ID --email EMAIL
//! bench_support seed    --database sqlite://DB --customers 10000 --instances 100000
//! bench_support verify  --url BASE --api-key KEY --ids FILE
//! bench_support receive --listen 127.0.0.1:PORT --log FILE [--stall]
//! bench_support link    --url BASE --api-key KEY --integration ID --receiver URL
//! bench_support enqueue --database sqlite://DB --configuration ID --count 20000 [--delay-ms 2000]
//! bench_support tally   --database sqlite://DB --configuration ID --since MS --log FILE
//! bench_support pending --database sqlite://DB --configuration ID --since MS
//! bench_support hook    --database sqlite://DB --url BASE --integration ID --customer EXTERNAL_ID --receiver URL
//! bench_support monitors --url BASE --api-key KEY [--count 1000 | --delete]
//! bench_support executions --database sqlite://DB --since MS --until MS [--timeout 300]
//! bench_support marketplaces --url BASE --api-key KEY [--marketplaces 5] [--tenants 20] [--listings 200]
//! ```
//!
//! `marketplaces` grows the demo organization through the admin API to that many marketplaces
//! (the default and `bench-1`...), tenants (`tenant-1`..., every other one seeing only the
//! listings assigned to it) and listings (new integrations, each published to every marketplace);
//! it prints the keys of a marketplace and a tenant for a scoped token.
//!
//! `session` signs a portal user of an existing customer in (an invitation through the admin API,
//! accepted with a password) and prints the `mp_session` cookie's value.
//! `info`, `tokens`, `seed` and `enqueue` read `<DB>.demo.json`, written by `marketplace-server
//! demo`. `seed` writes the database directly: run it while the service is stopped. `enqueue`
//! inserts outbox rows beside the running service (SQLite allows one writer at a time; the
//! service's writes wait on its `busy_timeout`). `receive` is the vendor's endpoint of the
//! delivery rows: it logs each request's `webhook-id`, arrival and payload `timestamp`, and
//! answers 200 at once (or, with `--stall`, accepts connections and never answers).
//! `hook` activates an instance whose webhook flow delivers to the receiver and prints the path
//! of that flow's webhook URL; `monitors` creates alert monitors that never fire (or deletes
//! them all); `executions` awaits the executions started from a time and counts those that
//! ended in a window.

use clap::{Parser, Subcommand};
use marketplace_core::{Customer, Instance, InstanceStatus};
use marketplace_server::config::StorageArgs;
use marketplace_server::crypto::random_secret;
use marketplace_server::demo::Demo;
use marketplace_server::store::{self, PageRequest, Store, new_id, now_ms};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
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
        #[arg(long)]
        marketplace: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
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
    /// Invite a portal user (role admin) to the customer of an external id through the admin
    /// API, accept the invitation with a password, and print the `mp_session` cookie's value.
    Session {
        /// Base URL of the service.
        #[arg(long)]
        url: String,
        /// Admin API key.
        #[arg(long)]
        api_key: String,
        /// The customer's external id (the customer must exist).
        #[arg(long)]
        customer: String,
        /// The user's email.
        #[arg(long)]
        email: String,
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
    /// A vendor's event endpoint: logs `<webhook-id> <arrival ms> <payload timestamp ms>` per
    /// request and answers 200 (runs until killed).
    Receive {
        /// Address to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// The log.
        #[arg(long)]
        log: PathBuf,
        /// Accept connections and never answer (a stalled vendor).
        #[arg(long)]
        stall: bool,
    },
    /// Create and publish an event configuration sending `instance.activated` to the receiver,
    /// link it to an integration; print `event_configuration_id=...`.
    Link {
        /// Base URL of the service.
        #[arg(long)]
        url: String,
        /// Admin API key.
        #[arg(long)]
        api_key: String,
        /// The integration.
        #[arg(long)]
        integration: String,
        /// The receiver's URL.
        #[arg(long)]
        receiver: String,
    },
    /// Insert `instance.activated` deliveries to a configuration (one per made-up instance, so
    /// none waits for another), due `--delay-ms` from now; print `due=<ms>`.
    Enqueue {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
        /// The event configuration.
        #[arg(long)]
        configuration: String,
        /// How many.
        #[arg(long)]
        count: usize,
        /// When they are due, from now.
        #[arg(long, default_value_t = 0)]
        delay_ms: i64,
    },
    /// Wait until the configuration's deliveries created from `--since` are settled, printing
    /// the queue depth meanwhile; then check them against the receiver's log and print
    /// `key=value` lines (rate, latency, missing, duplicates).
    Tally {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
        /// The event configuration.
        #[arg(long)]
        configuration: String,
        /// Deliveries created from this time (Unix ms).
        #[arg(long)]
        since: i64,
        /// The receiver's log.
        #[arg(long)]
        log: PathBuf,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Print `pending=<n>`: the configuration's deliveries created from `--since` still pending.
    Pending {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
        /// The event configuration.
        #[arg(long)]
        configuration: String,
        /// Deliveries created from this time (Unix ms).
        #[arg(long)]
        since: i64,
    },
    /// Activate an instance of an integration (as the customer `--customer`, through the
    /// embedded API) whose config's `webhook_url` is the receiver; print `webhook_path=...`, the
    /// path of its `events` flow's webhook URL.
    Hook {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
        /// Base URL of the service.
        #[arg(long)]
        url: String,
        /// The integration (one whose config is a `webhook_url`, like the demo's Slack).
        #[arg(long)]
        integration: String,
        /// The customer's external id (created on first sight).
        #[arg(long)]
        customer: String,
        /// Where the flow delivers.
        #[arg(long)]
        receiver: String,
    },
    /// Create organization-wide alert monitors that never fire (an execution slower than an
    /// hour) through the admin API; print `monitors=<count>`. With `--delete`, delete every
    /// alert monitor of the organization instead; print `monitors=0`.
    Monitors {
        /// Base URL of the service.
        #[arg(long)]
        url: String,
        /// Admin API key.
        #[arg(long)]
        api_key: String,
        /// How many.
        #[arg(long, default_value_t = 1_000)]
        count: usize,
        /// Delete the organization's monitors rather than create any.
        #[arg(long)]
        delete: bool,
    },
    /// Wait until no execution started from `--since` is queued or running, then print
    /// `key=value` lines: `finished` (those that ended within `--since`..=`--until`), `total`
    /// (started from `--since`) and `status.<status>` counts of the total.
    Executions {
        /// The demo's database URL.
        #[arg(long)]
        database: String,
        /// Executions started from this time (Unix ms).
        #[arg(long)]
        since: i64,
        /// End of the window (Unix ms).
        #[arg(long)]
        until: i64,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    Marketplaces {
        #[arg(long)]
        url: String,
        #[arg(long)]
        api_key: String,
        #[arg(long, default_value_t = 5)]
        marketplaces: usize,
        #[arg(long, default_value_t = 20)]
        tenants: usize,
        #[arg(long, default_value_t = 200)]
        listings: usize,
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
            marketplace,
            tenant,
        } => {
            let demo = load_demo(&database)?;
            let client = reqwest::Client::new();
            let mut scope = serde_json::Map::new();
            if let Some(key) = marketplace {
                scope.insert("marketplace".into(), key.into());
            }
            if let Some(key) = tenant {
                scope.insert("tenant".into(), key.into());
            }
            for i in 0..count {
                let customer = format!("{prefix}{i}");
                let name = format!("Benchmark customer {customer}");
                let user = format!("user@{customer}.example");
                let token = demo.sign_token_with(&customer, &name, &user, "admin", seconds, &scope);
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
        Command::Session {
            url,
            api_key,
            customer,
            email,
        } => {
            println!("{}", session(&url, &api_key, &customer, &email).await?);
            Ok(())
        }
        Command::Seed {
            database,
            customers,
            instances,
        } => seed(&database, customers, instances).await,
        Command::Verify { url, api_key, ids } => verify(&url, &api_key, &ids).await,
        Command::Receive { listen, log, stall } => receive(listen, &log, stall).await,
        Command::Link {
            url,
            api_key,
            integration,
            receiver,
        } => link(&url, &api_key, &integration, &receiver).await,
        Command::Enqueue {
            database,
            configuration,
            count,
            delay_ms,
        } => enqueue(&database, &configuration, count, delay_ms).await,
        Command::Tally {
            database,
            configuration,
            since,
            log,
            timeout,
        } => tally(&database, &configuration, since, &log, timeout).await,
        Command::Pending {
            database,
            configuration,
            since,
        } => {
            let store = open(&database).await?;
            println!("pending={}", pending(&store, &configuration, since).await?);
            store.db.close().await;
            Ok(())
        }
        Command::Hook {
            database,
            url,
            integration,
            customer,
            receiver,
        } => {
            let path = hook(&database, &url, &integration, &customer, &receiver).await?;
            println!("webhook_path={path}");
            Ok(())
        }
        Command::Monitors {
            url,
            api_key,
            delete: true,
            ..
        } => delete_monitors(&url, &api_key).await,
        Command::Monitors {
            url,
            api_key,
            count,
            delete: false,
        } => monitors(&url, &api_key, count).await,
        Command::Executions {
            database,
            since,
            until,
            timeout,
        } => executions(&database, since, until, timeout).await,
        Command::Marketplaces {
            url,
            api_key,
            marketplaces,
            tenants,
            listings,
        } => grow_marketplaces(&url, &api_key, marketplaces, tenants, listings).await,
    }
}

/// GETs `url` with a bearer token; fails unless the answer is a success.
async fn get(client: &reqwest::Client, url: &str, token: &str) -> Result<bytes::Bytes> {
    let (body, _) = answer(&format!("GET {url}"), client.get(url).bearer_auth(token)).await?;
    Ok(body)
}

/// The body and headers of a request's answer; fails unless it is a success (`what` names the
/// request).
async fn answer(what: &str, request: reqwest::RequestBuilder) -> Result<(bytes::Bytes, HeaderMap)> {
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    if !status.is_success() {
        return Err(format!(
            "{what} answered {status}: {}",
            String::from_utf8_lossy(&body)
        )
        .into());
    }
    Ok((body, headers))
}

/// The JSON answer of a request; fails unless it is a success (`what` names the request).
async fn json_answer(what: &str, request: reqwest::RequestBuilder) -> Result<(Value, HeaderMap)> {
    let (body, headers) = answer(what, request).await?;
    Ok((serde_json::from_slice(&body)?, headers))
}

/// Invites `email` (role admin) to the customer of `external_id`, accepts the invitation with a
/// random password and returns the `mp_session` cookie's value.
async fn session(url: &str, api_key: &str, external_id: &str, email: &str) -> Result<String> {
    let client = reqwest::Client::new();
    let base = url.trim_end_matches('/');
    let mut customers = url::Url::parse(&format!("{base}/api/v1/customers"))?;
    customers
        .query_pairs_mut()
        .append_pair("external_id", external_id);
    let (page, _) = json_answer(
        "GET /api/v1/customers",
        client.get(customers).bearer_auth(api_key),
    )
    .await?;
    let customer_id = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["external_id"] == external_id)
        .and_then(|c| c["id"].as_str())
        .ok_or_else(|| format!("no customer has the external id {external_id}"))?
        .to_owned();
    let (invitation, _) = json_answer(
        "POST /api/v1/customers/{id}/invitations",
        client
            .post(format!("{base}/api/v1/customers/{customer_id}/invitations"))
            .bearer_auth(api_key)
            .json(&json!({"email": email, "name": "Benchmark reader", "role": "admin"})),
    )
    .await?;
    let token = invitation["accept_url"]
        .as_str()
        .and_then(|link| link.split_once("#token="))
        .map(|(_, token)| token.to_owned())
        .ok_or("the invitation has no accept_url with a token")?;
    // The password only has to pass the policy (12 to 128 characters).
    let password = random_secret(24);
    let (_, headers) = json_answer(
        "POST /api/v1/portal/accept",
        client
            .post(format!("{base}/api/v1/portal/accept"))
            .json(&json!({"token": token, "password": password})),
    )
    .await?;
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|line| line.strip_prefix("mp_session="))
        .and_then(|rest| rest.split(';').next())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "POST /api/v1/portal/accept set no mp_session cookie".into())
}

/// The demo of a database: its `MARKETPLACE_DEMO_FILE` (as the service reads it), else its
/// `<file>.demo.json`.
fn load_demo(database: &str) -> Result<Demo> {
    let explicit = std::env::var_os("MARKETPLACE_DEMO_FILE").map(PathBuf::from);
    let path = marketplace_server::demo::demo_file(database, explicit.as_deref())?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e}", PathBuf::from(&path).display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// The ids of the demo's integrations that allow several instances per customer, by name (in
/// the default marketplace).
async fn multi_instance_integrations(
    store: &Store,
    organization_id: &str,
) -> Result<Vec<(String, String)>> {
    let marketplace_id = store::organizations::default_marketplace(store, organization_id)
        .await?
        .ok_or("the organization has no default marketplace")?;
    let listings = store::listings::list(
        store,
        organization_id,
        &marketplace_id,
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
        master_key: std::env::var("MARKETPLACE_MASTER_KEY").ok(),
        previous_master_keys: Vec::new(),
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
                template_id: None,
                marketplace_id: None,
                enabled_flows: None,
            };
            store::instances::save(&mut tx, &store, &instance, true).await?;
            store::instances::sync_webhooks(
                &mut tx,
                instance.id.as_str(),
                &["events"],
                true,
                || random_secret(24),
            )
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

/// The receiver's log, flushed by a background task.
type Log = Arc<Mutex<std::io::BufWriter<std::fs::File>>>;

async fn receive(listen: std::net::SocketAddr, log: &PathBuf, stall: bool) -> Result {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    if stall {
        // Connections are kept open and never read: every attempt waits for its timeout.
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await?;
            held.push(socket);
        }
    }
    let log: Log = Arc::new(Mutex::new(std::io::BufWriter::new(std::fs::File::create(
        log,
    )?)));
    let flushed = log.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if let Ok(mut log) = flushed.lock() {
                let _ = log.flush();
            }
        }
    });
    let app = axum::Router::new().fallback(received).with_state(log);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Logs one delivery; answers 200 with no body.
async fn received(
    axum::extract::State(log): axum::extract::State<Log>,
    headers: axum::http::HeaderMap,
    body: bytes::Bytes,
) -> axum::http::StatusCode {
    let arrival = now_ms();
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let timestamp = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["timestamp"].as_str().map(str::to_owned))
        .and_then(|t| {
            time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map_or(0, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    if let Ok(mut log) = log.lock() {
        let _ = writeln!(log, "{id} {arrival} {timestamp}");
    }
    axum::http::StatusCode::OK
}

async fn link(url: &str, api_key: &str, integration: &str, receiver: &str) -> Result {
    let client = reqwest::Client::new();
    let base = url.trim_end_matches('/');
    let call = |method: reqwest::Method, path: String, body: Value| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(api_key)
            .json(&body)
            .send()
    };
    let check = |what: &str, status: reqwest::StatusCode, body: &Value| -> Result {
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{what} answered {status}: {body}").into())
        }
    };
    let response = call(
        reqwest::Method::POST,
        "/api/v1/event-configurations".into(),
        json!({"name": "Benchmark receiver",
               "working": {"url": receiver, "event_types": ["instance.activated"]}}),
    )
    .await?;
    let status = response.status();
    let created: Value = response.json().await?;
    check("creating the event configuration", status, &created)?;
    let id = created["id"]
        .as_str()
        .ok_or("no configuration id")?
        .to_owned();
    let response = call(
        reqwest::Method::POST,
        format!("/api/v1/event-configurations/{id}/publish"),
        json!({}),
    )
    .await?;
    let status = response.status();
    check("publishing", status, &response.json().await?)?;
    let response = call(
        reqwest::Method::PUT,
        format!("/api/v1/integrations/{integration}/event-configuration"),
        json!({"event_configuration_id": id}),
    )
    .await?;
    let status = response.status();
    check("linking", status, &response.json().await?)?;
    println!("event_configuration_id={id}");
    Ok(())
}

async fn enqueue(database: &str, configuration: &str, count: usize, delay_ms: i64) -> Result {
    let started = Instant::now();
    let demo = load_demo(database)?;
    let store = open(database).await?;
    let org = demo.organization_id.as_str();
    let due = now_ms() + delay_ms;
    for chunk in (0..count).collect::<Vec<_>>().chunks(SEED_BATCH) {
        let mut tx = store.begin().await?;
        for &i in chunk {
            let event_id = new_id("evt");
            let instance_id = format!("ins_bench{i:07}");
            // The shape of a real `instance.activated` payload (`marketplace_core::delivery`).
            let payload = json!({
                "id": event_id,
                "type": "instance.activated",
                "timestamp": marketplace_core::delivery::rfc3339(due),
                "organization_id": org,
                "data": {
                    "customer": {"id": "cus_bench", "external_id": "bench", "name": "Benchmark customer"},
                    "instance": {"id": instance_id, "integration_id": "int_bench", "version": "1.0.0",
                                 "name": format!("Slack {i}"), "status": "active", "launch_url": null},
                },
            });
            store::deliveries::enqueue(
                &mut tx,
                &store::deliveries::NewDelivery {
                    organization_id: org,
                    event_id: &event_id,
                    event_type: "instance.activated",
                    event_configuration_id: configuration,
                    customer_id: None,
                    instance_id: Some(&instance_id),
                    payload: &payload,
                    now: due,
                },
            )
            .await?;
        }
        tx.commit().await?;
    }
    store.db.close().await;
    eprintln!(
        "enqueued {count} deliveries in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("due={due}");
    Ok(())
}

/// How many of the configuration's deliveries created from `since` are pending.
async fn pending(store: &Store, configuration: &str, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE event_configuration_id = $1 AND created_at >= $2 \
         AND status = 'pending'",
    )
    .bind(configuration)
    .bind(since)
    .fetch_one(&store.db.read)
    .await?)
}

/// The `q`-quantile of sorted values (0 when empty).
fn quantile(sorted: &[i64], q: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

async fn tally(
    database: &str,
    configuration: &str,
    since: i64,
    log: &PathBuf,
    timeout: u64,
) -> Result {
    let store = open(database).await?;
    let started = Instant::now();
    let mut depth = Vec::new();
    loop {
        let pending = pending(&store, configuration, since).await?;
        let at = started.elapsed().as_secs_f64();
        eprintln!("{at:5.1}s  pending deliveries: {pending}");
        depth.push(format!("{at:.0}s:{pending}"));
        if pending == 0 {
            break;
        }
        if started.elapsed().as_secs() > timeout {
            return Err(format!("{pending} deliveries still pending after {timeout}s").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    }
    // The receiver flushes its log every 100 ms.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_id, status FROM deliveries WHERE event_configuration_id = $1 AND created_at >= $2",
    )
    .bind(configuration)
    .bind(since)
    .fetch_all(&store.db.read)
    .await?;
    store.db.close().await;
    let succeeded = rows.iter().filter(|(_, s)| s == "succeeded").count();
    // Arrivals and payload timestamps by webhook-id, of this run's deliveries only.
    let mut arrivals: std::collections::HashMap<&str, (usize, i64, i64)> = rows
        .iter()
        .map(|(id, _)| (id.as_str(), (0, i64::MAX, 0)))
        .collect();
    let text = std::fs::read_to_string(log)?;
    for line in text.lines() {
        let mut parts = line.split(' ');
        let (Some(id), Some(arrival), Some(timestamp)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if let Some(entry) = arrivals.get_mut(id) {
            entry.0 += 1;
            entry.1 = entry.1.min(arrival.parse()?);
            entry.2 = timestamp.parse()?;
        }
    }
    let seen: Vec<&(usize, i64, i64)> = arrivals.values().filter(|a| a.0 > 0).collect();
    let missing = rows.len() - seen.len();
    let duplicates: usize = seen.iter().map(|a| a.0 - 1).sum();
    let first = seen.iter().map(|a| a.1).min().unwrap_or_default();
    let last = seen.iter().map(|a| a.1).max().unwrap_or_default();
    let seconds = (last - first) as f64 / 1000.0;
    let mut latencies: Vec<i64> = seen.iter().map(|a| a.1 - a.2).collect();
    latencies.sort_unstable();
    println!("deliveries={}", rows.len());
    println!("succeeded={succeeded}");
    println!("received={}", seen.len());
    println!("missing={missing}");
    println!("duplicates={duplicates}");
    println!("seconds={seconds:.3}");
    println!(
        "rate={:.1}",
        seen.len().saturating_sub(1) as f64 / seconds.max(0.001)
    );
    println!("latency_p50_ms={}", quantile(&latencies, 0.50));
    println!("latency_p99_ms={}", quantile(&latencies, 0.99));
    println!("depth={}", depth.join(" "));
    Ok(())
}

/// Activates an instance of `integration` for the customer `external_id` with its
/// `webhook_url` set to `receiver`; returns the path of its `events` flow's webhook URL.
async fn hook(
    database: &str,
    url: &str,
    integration: &str,
    external_id: &str,
    receiver: &str,
) -> Result<String> {
    let demo = load_demo(database)?;
    let token = demo.sign_token(
        external_id,
        &format!("Benchmark customer {external_id}"),
        &format!("user@{external_id}.example"),
        "admin",
        3600,
    );
    let base = url.trim_end_matches('/');
    let (instance, _) = json_answer(
        "POST /api/v1/embedded/instances",
        reqwest::Client::new()
            .post(format!("{base}/api/v1/embedded/instances"))
            .bearer_auth(token)
            .json(&json!({"integration_id": integration, "config": {"webhook_url": receiver}})),
    )
    .await?;
    instance["webhook_urls"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|w| w["flow"] == "events")
        .and_then(|w| w["url"].as_str())
        .and_then(|link| link.find("/webhooks/").map(|at| link[at..].to_owned()))
        .ok_or_else(|| {
            format!("the instance has no webhook URL of a flow `events`: {instance}").into()
        })
}

/// Creates `count` organization-wide monitors of executions slower than an hour (none of the
/// benchmark's does), each alerting a webhook.
async fn monitors(url: &str, api_key: &str, count: usize) -> Result {
    let started = Instant::now();
    let client = reqwest::Client::new();
    let endpoint = format!("{}/api/v1/alert-monitors", url.trim_end_matches('/'));
    for i in 0..count {
        json_answer(
            "POST /api/v1/alert-monitors",
            client.post(&endpoint).bearer_auth(api_key).json(&json!({
                "name": format!("Benchmark monitor {i}"),
                "scope": {"kind": "organization"},
                "triggers": [{"type": "execution_slow", "threshold_ms": 3_600_000}],
                "targets": [{"type": "webhook", "url": "https://alerts.example.com/x"}],
            })),
        )
        .await?;
    }
    eprintln!(
        "created {count} monitors in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("monitors={count}");
    Ok(())
}

/// Deletes every alert monitor of the organization, a page of them at a time.
async fn delete_monitors(url: &str, api_key: &str) -> Result {
    let started = Instant::now();
    let client = reqwest::Client::new();
    let endpoint = format!("{}/api/v1/alert-monitors", url.trim_end_matches('/'));
    let mut deleted = 0;
    loop {
        let (page, _) = json_answer(
            "GET /api/v1/alert-monitors",
            client
                .get(format!("{endpoint}?limit=100"))
                .bearer_auth(api_key),
        )
        .await?;
        let ids: Vec<String> = page["items"]
            .as_array()
            .ok_or("GET /api/v1/alert-monitors: no items")?
            .iter()
            .filter_map(|m| m["id"].as_str().map(str::to_owned))
            .collect();
        if ids.is_empty() {
            break;
        }
        for id in ids {
            answer(
                &format!("DELETE /api/v1/alert-monitors/{id}"),
                client
                    .delete(format!("{endpoint}/{id}"))
                    .bearer_auth(api_key),
            )
            .await?;
            deleted += 1;
        }
    }
    eprintln!(
        "deleted {deleted} monitors in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("monitors=0");
    Ok(())
}

/// Grows the organization to `marketplaces` marketplaces, `tenants` tenants and `listings`
/// listings (new integrations published to every marketplace; odd tenants see only the listings
/// assigned to them: every other one of `bench-1`); prints `marketplace=bench-1 tenant=tenant-1`.
async fn grow_marketplaces(
    url: &str,
    api_key: &str,
    marketplaces: usize,
    tenants: usize,
    listings: usize,
) -> Result {
    let started = Instant::now();
    let client = reqwest::Client::new();
    let base = url.trim_end_matches('/');
    let post = |path: String, body: Value| {
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(api_key)
            .json(&body);
        async move { json_answer(&format!("POST {path}"), request).await }
    };
    let mut keys = vec![];
    let mut scoped_marketplace = None;
    for i in 1..marketplaces {
        let key = format!("bench-{i}");
        let (created, _) = post(
            "/api/v1/marketplaces".into(),
            json!({"key": key, "name": format!("Benchmark marketplace {i}")}),
        )
        .await?;
        if i == 1 {
            scoped_marketplace = created["id"].as_str().map(str::to_owned);
        }
        keys.push(key);
    }
    let marketplace_id = scoped_marketplace.ok_or("no second marketplace was created")?;
    let integrations = listings / marketplaces.max(1);
    let mut integration_ids = vec![];
    for i in 0..integrations {
        let category = ["crm", "erp", "chat"][i % 3];
        let (integration, _) = post(
            "/api/v1/integrations".into(),
            json!({"name": format!("Benchmark app {i:03}"), "category": category,
                   "description": "An integration of the marketplace benchmark.", "labels": ["bench"]}),
        )
        .await?;
        let id = integration["id"]
            .as_str()
            .ok_or("an integration has no id")?
            .to_owned();
        let version = json!({"version": "1.0.0", "config": {"pages": [{"title": "Settings", "elements": [
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"], "default": "eu"}]}]}});
        post(format!("/api/v1/integrations/{id}/versions"), version).await?;
        let mut targets = keys.clone();
        targets.push("default".into());
        post(
            format!("/api/v1/integrations/{id}/versions/1.0.0/publish"),
            json!({"marketplaces": targets}),
        )
        .await?;
        integration_ids.push(id);
    }
    for t in 1..=tenants {
        let app_management = if t % 2 == 1 { "tenant" } else { "all" };
        let (tenant, _) = post(
            "/api/v1/tenants".into(),
            json!({"key": format!("tenant-{t}"), "name": format!("Benchmark tenant {t}"),
                   "app_management": app_management}),
        )
        .await?;
        let tenant_id = tenant["id"].as_str().ok_or("a tenant has no id")?;
        if app_management == "tenant" {
            for id in integration_ids.iter().step_by(2) {
                let path = format!("/api/v1/tenants/{tenant_id}/listings/{marketplace_id}/{id}");
                let request = client.put(format!("{base}{path}")).bearer_auth(api_key);
                json_answer(&format!("PUT {path}"), request).await?;
            }
        }
    }
    eprintln!(
        "grew to {marketplaces} marketplaces, {tenants} tenants and {} listings in {:.1}s",
        integrations * marketplaces,
        started.elapsed().as_secs_f64()
    );
    println!("marketplace=bench-1");
    println!("tenant=tenant-1");
    Ok(())
}

/// How many executions started from `since` are queued or running.
async fn unfinished(store: &Store, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM executions WHERE started_at >= $1 AND status IN ('queued', 'running')",
    )
    .bind(since)
    .fetch_one(&store.db.read)
    .await?)
}

async fn executions(database: &str, since: i64, until: i64, timeout: u64) -> Result {
    let store = open(database).await?;
    let started = Instant::now();
    loop {
        let left = unfinished(&store, since).await?;
        if left == 0 {
            break;
        }
        eprintln!(
            "{:5.1}s  executions queued or running: {left}",
            started.elapsed().as_secs_f64()
        );
        if started.elapsed().as_secs() > timeout {
            return Err(format!("{left} executions still unfinished after {timeout}s").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    }
    let finished: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM executions WHERE started_at >= $1 AND finished_at >= $1 \
         AND finished_at <= $2",
    )
    .bind(since)
    .bind(until)
    .fetch_one(&store.db.read)
    .await?;
    let statuses: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM executions WHERE started_at >= $1 GROUP BY status ORDER BY status",
    )
    .bind(since)
    .fetch_all(&store.db.read)
    .await?;
    store.db.close().await;
    println!("finished={finished}");
    println!("total={}", statuses.iter().map(|(_, n)| n).sum::<i64>());
    for (status, count) in statuses {
        println!("status.{status}={count}");
    }
    Ok(())
}
