//! Log set-up: human-readable text by default, JSON lines with `LOG_FORMAT=json`.
//!
//! actix-http logs every request it cannot parse (a malformed request line, a head over its
//! limits, a client that breaks off) at ERROR from its dispatcher, so any client could flood the
//! error log. Those events are logged at WARN instead, under `asn_merit::http`.

use tracing::{Event, Level, Subscriber, field::Field};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, filter::filter_fn};

use crate::config::LogFormat;

const DISPATCHER: &str = "actix_http::h1::dispatcher";

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let output: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Json => Box::new(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_writer(std::io::stderr),
        ),
        LogFormat::Text => Box::new(tracing_subscriber::fmt::layer().with_writer(std::io::stderr)),
    };
    let output = output.with_filter(filter_fn(|meta| !is_client_stream_error(meta)));
    let _ = tracing_subscriber::registry()
        .with(output)
        .with(DemoteClientErrors)
        .with(filter)
        .try_init();
}

fn is_client_stream_error(meta: &tracing::Metadata<'_>) -> bool {
    meta.target() == DISPATCHER && *meta.level() == Level::ERROR
}

/// Re-logs actix-http's dispatcher errors (caused by clients) at WARN.
struct DemoteClientErrors;

impl<S: Subscriber> Layer<S> for DemoteClientErrors {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if is_client_stream_error(event.metadata()) {
            let mut message = Message(String::new());
            event.record(&mut message);
            tracing::warn!(target: "asn_merit::http", "unreadable request: {}", message.0);
        }
    }
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
