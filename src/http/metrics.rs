//! Prometheus metrics: request counts and latency per route, database pool usage.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::db::Database;
use crate::error::AppError;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_in_use: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, AppError> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["method", "route", "status"],
        )
        .map_err(metric_error)?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route and method",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .map_err(metric_error)?;
        let pool_in_use =
            IntGauge::new("db_pool_connections_in_use", "Database connections in use")
                .map_err(metric_error)?;
        let pool_idle = IntGauge::new("db_pool_connections_idle", "Idle database connections")
            .map_err(metric_error)?;
        let pool_max =
            IntGauge::new("db_pool_connections_max", "Database pool size").map_err(metric_error)?;
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool_in_use.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_max.clone()),
        ] {
            registry.register(collector).map_err(metric_error)?;
        }
        Ok(Self {
            registry,
            requests,
            latency,
            pool_in_use,
            pool_idle,
            pool_max,
        })
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// The text exposition, with pool gauges read at scrape time.
    pub fn render(&self, db: &Database) -> Result<String, AppError> {
        let state = db.state();
        self.pool_idle.set(i64::from(state.idle_connections));
        self.pool_in_use
            .set(i64::from(state.connections - state.idle_connections));
        self.pool_max.set(i64::from(db.max_size()));
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .map_err(metric_error)?;
        String::from_utf8(buffer).map_err(|_| AppError::internal("metrics are not UTF-8"))
    }
}

fn metric_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("metrics: {e}"))
}
