//! `marketplace-server`: init, serve, demo, openapi.

use clap::Parser;
use marketplace_server::config::{Cli, Command};
use marketplace_server::{
    AppState, StartError, demo, demo_host, open, serve, service::organization::create_organization,
    settings,
};
use std::io::Write;

/// mimalloc instead of the C library's allocator: the service allocates on one thread and frees
/// on another (a request's rows, built on SQLite's threads, dropped on the runtime's), where
/// glibc's per-thread arenas spend their time searching and merging free chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    // Outside the runtime: the span exporter has its own thread and blocking HTTP client.
    let logging = marketplace_server::logging::init(cli.log_format);
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(StartError::from)
        .and_then(|runtime| runtime.block_on(run(cli)));
    // Exports the spans still buffered, before the process ends.
    drop(logging);
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), StartError> {
    match cli.command {
        Command::Init(args) => {
            let store = open(&args.storage).await?;
            let (organization_id, api_key) = create_organization(&store, &args.org).await?;
            store.db.close().await;
            println!(
                "{}",
                serde_json::json!({"organization_id": organization_id, "api_key": api_key})
            );
            Ok(())
        }
        Command::Backup(args) => {
            marketplace_server::backup(&args.storage, &args.to).await?;
            println!("backed up to {}", args.to.display());
            Ok(())
        }
        Command::RotateMasterKey(args) => {
            let report = marketplace_server::rotate_master_key(&args.storage).await?;
            println!("{}", serde_json::json!({ "columns": report }));
            Ok(())
        }
        Command::Openapi => {
            let document =
                serde_json::to_string_pretty(&marketplace_server::http::openapi::document())
                    .map_err(|e| StartError::Config(format!("the OpenAPI document: {e}")))?;
            // Not `println!`, which panics when the reader goes away (`| head`).
            writeln!(std::io::stdout().lock(), "{document}")
                .map_err(|e| StartError::Config(format!("printing the OpenAPI document: {e}")))
        }
        Command::Serve(args) => {
            serve(args.listen, args.metrics_listen, async {
                let store = open(&args.storage).await?;
                Ok(AppState::new(store, settings(&args)))
            })
            .await
        }
        Command::Demo(mut demo_args) => {
            demo_args.serve.allow_private_targets = true;
            let args = demo_args.serve.clone();
            serve(args.listen, args.metrics_listen, async {
                let store = open(&args.storage).await?;
                let state = AppState::new(store, settings(&args));
                let host_origins = demo::host_origins(demo_args.host_listen);
                let file =
                    demo::demo_file(&args.storage.database_url, demo_args.demo_file.as_deref())?;
                let demo = demo::ensure(&state, &file, &host_origins).await?;
                let host = demo_host::HostSite {
                    demo: demo.clone(),
                    service_url: args.public_url(),
                    examples_dir: demo_args.examples_dir.clone(),
                    package_dir: demo_args.package_dir.clone(),
                    rust_host_url: demo_args.rust_host_url.clone(),
                };
                let listener = tokio::net::TcpListener::bind(demo_args.host_listen).await?;
                tokio::spawn(async move {
                    if let Err(error) = axum::serve(listener, demo_host::router(host)).await {
                        tracing::error!(%error, "the demo host stopped");
                    }
                });
                demo::print_welcome(&demo, &args.public_url(), &host_origins[0]);
                Ok(state)
            })
            .await
        }
    }
}
