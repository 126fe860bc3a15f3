//! Command line and environment: every option is a flag with an environment variable.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;

/// The reference service of the embeddable integration marketplace.
#[derive(Debug, Parser)]
#[command(name = "marketplace-server", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line, with
    /// the request's span, `request_id`) for log collectors. The level is
    /// `MARKETPLACE_LOG` (`info,sqlx=warn` by default; `debug` adds one line per request).
    #[arg(long, global = true, env = "MARKETPLACE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The format of log lines ([`Cli::log_format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object a line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an organization; prints `{"organization_id", "api_key"}` as the last line.
    Init(InitArgs),
    /// Serve the API, the iframe page and webhook triggers.
    Serve(ServeArgs),
    /// Create (once) a demo organization and catalog on the embedded default, then serve it,
    /// with the demo host's pages on a second origin.
    Demo(DemoArgs),
    /// Write a consistent copy of a SQLite database (online: the service may be running) and of
    /// its key file beside it (`<to>.key`); restore by serving the copy. PostgreSQL: use `pg_dump`.
    Backup(BackupArgs),
    /// Re-seal every sealed value under the master key, in one transaction; prints what it did
    /// per column as JSON. With `--master-key` (PostgreSQL, or SQLite with an explicit key): values
    /// sealed under a `--previous-master-key` are re-sealed under `--master-key`. On SQLite with
    /// the key file: a new key is made (`<file>.key.new`), every value is re-sealed under it, and
    /// it replaces `<file>.key`. Stop the service first on SQLite (docs/operations.md).
    RotateMasterKey(RotateArgs),
    /// Print the OpenAPI 3.1 document of the API as JSON (what `/api/v1/openapi.json` serves),
    /// without a database or a server: for linters and client generators.
    Openapi,
}

/// Where data lives and how secrets are sealed.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Database URL: `sqlite://PATH` (created on first run) or `postgres://...`.
    #[arg(
        long = "database",
        env = "MARKETPLACE_DATABASE_URL",
        default_value = "sqlite://marketplace.db"
    )]
    pub database_url: String,
    /// Master key sealing secrets at rest (32 bytes, base64). Default on SQLite: a key file
    /// beside the database (`<file>.key`, mode 0600), created on first run. Required on PostgreSQL.
    #[arg(long, env = "MARKETPLACE_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// Earlier master keys (base64; repeat the flag, or separate them with commas in the
    /// variable): values sealed under them still open, and `rotate-master-key` re-seals them
    /// under the master key. Only needed while a rotation is under way.
    #[arg(
        long = "previous-master-key",
        env = "MARKETPLACE_PREVIOUS_MASTER_KEYS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub previous_master_keys: Vec<String>,
}

/// `init` options.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Name of the organization (the vendor).
    #[arg(long)]
    pub org: String,
    /// Storage.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// `backup` options.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Storage (the database to copy).
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The file to write (it must not exist).
    #[arg(long)]
    pub to: std::path::PathBuf,
}

/// `rotate-master-key` options.
#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    /// Storage: the database, the (new) master key and the previous keys.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// `demo` options: the service's, and the demo host's.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The service.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Address of the demo host app (its own origin, as a vendor's app would have), which
    /// serves the example pages and signs demo tokens.
    #[arg(
        long,
        env = "MARKETPLACE_DEMO_HOST_LISTEN",
        default_value = "127.0.0.1:8081"
    )]
    pub host_listen: SocketAddr,
    /// The `examples/` folder (the host pages).
    #[arg(long, env = "MARKETPLACE_DEMO_EXAMPLES", default_value = "examples")]
    pub examples_dir: std::path::PathBuf,
    /// The built npm package (`cargo xtask wasm`), served to the host pages at `/pkg/`.
    #[arg(
        long,
        env = "MARKETPLACE_DEMO_PACKAGE",
        default_value = "crates/marketplace-wasm/pkg"
    )]
    pub package_dir: std::path::PathBuf,
    /// URL of the Rust host example, when it runs (linked from the demo host's index).
    #[arg(long, env = "MARKETPLACE_DEMO_RUST_HOST")]
    pub rust_host_url: Option<String>,
    /// Where the demo keeps its organization, API key and token-signing key (JSON, mode 0600).
    /// Default on SQLite: `<file>.demo.json` beside the database; required on PostgreSQL.
    #[arg(long, env = "MARKETPLACE_DEMO_FILE")]
    pub demo_file: Option<std::path::PathBuf>,
}

/// `serve` options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Storage.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Address to listen on.
    #[arg(long, env = "MARKETPLACE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Public base URL of the service, for absolute webhook URLs (default: http://<listen>).
    #[arg(long, env = "MARKETPLACE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Let deliver steps reach private and loopback addresses (tests and demos only).
    #[arg(long, env = "MARKETPLACE_ALLOW_PRIVATE_TARGETS")]
    pub allow_private_targets: bool,
    /// Longest accepted lifetime of embedded tokens (`exp - iat`), in seconds.
    #[arg(long, env = "MARKETPLACE_TOKEN_MAX_LIFETIME", default_value_t = 3600)]
    pub token_max_lifetime: i64,
    /// Attempts per delivery before an execution fails (retries back off, honouring Retry-After).
    #[arg(long, env = "MARKETPLACE_DELIVERY_ATTEMPTS", default_value_t = 4)]
    pub delivery_attempts: u32,
    /// Base of the backoff between attempts of a vendor event delivery, in milliseconds (each
    /// retry doubles it, up to 6 hours, with jitter; `Retry-After` wins when given).
    #[arg(long, env = "MARKETPLACE_EVENT_RETRY_BASE_MS", default_value_t = 5000)]
    pub event_retry_base_ms: i64,
    /// How long a vendor event delivery is retried after its event, in seconds; then it is a
    /// dead letter (`retries_exhausted`).
    #[arg(
        long,
        env = "MARKETPLACE_EVENT_RETRY_WINDOW_S",
        default_value_t = 259_200
    )]
    pub event_retry_window_s: i64,
    /// Timeout of one vendor event delivery attempt, in milliseconds.
    #[arg(long, env = "MARKETPLACE_EVENT_TIMEOUT_MS", default_value_t = 15_000)]
    pub event_timeout_ms: u64,
    /// How long an activation under `confirm` waits for the vendor's answer, in seconds; then
    /// the instance fails.
    #[arg(
        long,
        env = "MARKETPLACE_VENDOR_ANSWER_TIMEOUT_S",
        default_value_t = 259_200
    )]
    pub vendor_answer_timeout_s: i64,
    /// How long past its attempt's timeout a claimed delivery stays leased, in milliseconds; a
    /// killed process's deliveries are retried by another process (or the next start) after it.
    #[arg(
        long,
        env = "MARKETPLACE_EVENT_LEASE_MARGIN_MS",
        default_value_t = 30_000
    )]
    pub event_lease_margin_ms: i64,
    /// The SMTP server of outgoing emails (invitations, password resets, alerts):
    /// `smtp://host:port` (add `?tls=required` for STARTTLS), `smtps://host:port`, with
    /// `user:password@` when it needs a login. Unset: emails are logged as skipped.
    #[arg(long, env = "MARKETPLACE_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Requests a second each embedded token may make to the embedded API and webhook triggers
    /// (bursts of twice that); over it, 429 with `Retry-After`. 0: no limit.
    #[arg(long, env = "MARKETPLACE_RATE_LIMIT_PER_TOKEN", default_value_t = 50)]
    pub rate_limit_per_token: u32,
    /// Requests a second each client address may make to the embedded API and webhook triggers
    /// (bursts of twice that); over it, 429 with `Retry-After`. The address is the connection's:
    /// behind a proxy, set it there instead and 0 here. 0: no limit.
    #[arg(long, env = "MARKETPLACE_RATE_LIMIT_PER_IP", default_value_t = 200)]
    pub rate_limit_per_ip: u32,
    /// Longest time to produce an answer, in seconds; then 503 `request_timeout`. 0: no limit.
    #[arg(long, env = "MARKETPLACE_REQUEST_TIMEOUT_S", default_value_t = 30)]
    pub request_timeout_s: u64,
    /// How long a stopping process (Ctrl-C, SIGTERM) lets answers in flight finish, in seconds;
    /// it takes no new connection meanwhile. Deliveries in flight stay leased and are retried
    /// by another process, or this one's next start, when their lease ends.
    #[arg(long, env = "MARKETPLACE_SHUTDOWN_GRACE_S", default_value_t = 25)]
    pub shutdown_grace_s: u64,
    /// How long a flow execution's lease lasts, in seconds: the process running one renews it a
    /// third of that apart; when the process dies, another takes the execution over once the
    /// lease ends, and runs it again.
    #[arg(long, env = "MARKETPLACE_EXECUTION_LEASE_S", default_value_t = 30)]
    pub execution_lease_s: u64,
    /// How often the process scores every listing, moving those whose score crossed a
    /// threshold, in seconds (0: never; then another process must).
    #[arg(long, env = "MARKETPLACE_RESCORE_INTERVAL_S", default_value_t = 30)]
    pub rescore_interval_s: u64,
    /// Address of a second listener serving only `GET /metrics` (Prometheus text format), with
    /// no authentication: bind it where only the scraper reaches (e.g. `127.0.0.1:9090`).
    #[arg(long, env = "MARKETPLACE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Serve `GET /metrics` on the public listener too, to callers sending this bearer token.
    #[arg(long, env = "MARKETPLACE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// The `From` address of outgoing emails.
    #[arg(
        long,
        env = "MARKETPLACE_SMTP_FROM",
        default_value = "Marketplace <marketplace@localhost>"
    )]
    pub smtp_from: String,
}

impl ServeArgs {
    /// The public URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }
}
