//! Logs and traces: log lines on stderr (`--log-format text|json`, level `MARKETPLACE_LOG`) and,
//! in a build with the `otel` cargo feature, spans exported over OTLP/HTTP to an OpenTelemetry
//! collector when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.
//!
//! Spans: `request` (one per HTTP request, with its `request_id`) at info; under it, at debug,
//! one span per service call (named after the function, target `marketplace_server::service::…`)
//! and one `sql` span per statement with its class (`db.operation.name`, `db.collection.name`).
//! The exporter's own level is `MARKETPLACE_TRACE` (`info,marketplace_server=debug` by default),
//! apart from the log lines' level, so exporting service and SQL spans adds no log line.
//! The exporter honours the standard `OTEL_*` variables (protocol `http/protobuf` by default or
//! `http/json`, headers, timeout, `OTEL_SERVICE_NAME`, batch delays); docs/operations.md lists them.

use crate::config::LogFormat;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// A layer of the process's subscriber, with its own filter.
type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// The default level of log lines (`MARKETPLACE_LOG` overrides it).
const DEFAULT_LOG: &str = "info,sqlx=warn";

/// What must live as long as the process logs: in an `otel` build with an endpoint, the span
/// exporter, which sends the spans still buffered when dropped.
#[must_use = "dropping it stops exporting spans"]
pub struct Logging {
    #[cfg(feature = "otel")]
    exporter: Option<otel::Exporter>,
}

impl Drop for Logging {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(exporter) = self.exporter.take() {
            exporter.shutdown();
        }
    }
}

/// Installs the process's subscriber: log lines in `format`, plus the span exporter when built
/// and configured. An exporter that cannot be built is reported on stderr, and logs go on.
pub fn init(format: LogFormat) -> Logging {
    let filter =
        EnvFilter::try_from_env("MARKETPLACE_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG));
    let stderr = std::io::stderr;
    let lines = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(stderr)
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    #[cfg_attr(not(feature = "otel"), allow(unused_mut))]
    let mut layers: Vec<BoxedLayer> = vec![lines.with_filter(filter).boxed()];
    #[cfg(feature = "otel")]
    let exporter = match otel::Exporter::from_env() {
        Ok(Some((layer, exporter))) => {
            layers.push(layer);
            Some(exporter)
        }
        Ok(None) => None,
        Err(error) => {
            eprintln!("warning: spans are not exported: {error}");
            None
        }
    };
    tracing_subscriber::registry().with(layers).init();
    #[cfg(not(feature = "otel"))]
    if otel_endpoint_set() {
        tracing::warn!(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build has no `otel` feature: \
             no span is exported (build with `--features otel`)"
        );
    }
    Logging {
        #[cfg(feature = "otel")]
        exporter,
    }
}

/// Whether an OTLP endpoint is configured (the standard variables).
fn otel_endpoint_set() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

#[cfg(feature = "otel")]
mod otel {
    use super::BoxedLayer;
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::{EnvFilter, Layer};

    /// The exporter's default level (`MARKETPLACE_TRACE` overrides it).
    const DEFAULT_TRACE: &str = "info,marketplace_server=debug";

    /// The OTLP span exporter of the process.
    pub(super) struct Exporter(SdkTracerProvider);

    impl Exporter {
        /// The exporter the `OTEL_*` variables configure, with its layer; `None` without an
        /// endpoint.
        pub(super) fn from_env() -> Result<Option<(BoxedLayer, Exporter)>, String> {
            if !super::otel_endpoint_set() {
                return Ok(None);
            }
            let spans = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .build()
                .map_err(|e| format!("the OTLP exporter: {e}"))?;
            let mut resource = opentelemetry_sdk::Resource::builder();
            if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
                resource = resource.with_service_name("marketplace-server");
            }
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(spans)
                .with_resource(resource.build())
                .build();
            let filter = EnvFilter::try_from_env("MARKETPLACE_TRACE")
                .unwrap_or_else(|_| EnvFilter::new(DEFAULT_TRACE));
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("marketplace-server"))
                .with_filter(filter)
                .boxed();
            Ok(Some((layer, Exporter(provider))))
        }

        /// Sends the buffered spans and stops.
        pub(super) fn shutdown(self) {
            if let Err(error) = self.0.shutdown() {
                eprintln!("warning: exporting the last spans: {error}");
            }
        }
    }
}
