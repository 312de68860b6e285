//! One middleware for what operators see: a request id (accepted from `X-Request-Id` or
//! made up, and echoed), one structured log line per request, and Prometheus metrics by
//! route and status. Routes are logged by their pattern (`/v1/referrals/{id}`), never with
//! query strings or bodies, so no personal data reaches the log.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use socialrx_store::ReplicaStatus;
use tracing::Instrument;

/// The id of the request being served, as a request extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    discarded: IntCounterVec,
    /// Registered with the first sample: an instance without a replica exports none.
    replica: std::sync::OnceLock<ReplicaGauges>,
}

struct ReplicaGauges {
    up: IntGauge,
    lag_seconds: Gauge,
    lag_bytes: Gauge,
}

impl ReplicaGauges {
    fn new(registry: &Registry) -> Self {
        let gauges = Self {
            up: IntGauge::new(
                "socialrx_replica_up",
                "1 while reads that may be stale go to the read replica, 0 while they fall back to the primary",
            )
            .expect("metric definition is valid"),
            lag_seconds: Gauge::new(
                "socialrx_replica_lag_seconds",
                "Seconds since the replica replayed its last transaction; 0 when it has replayed all the primary's WAL; NaN when unknown",
            )
            .expect("metric definition is valid"),
            lag_bytes: Gauge::new(
                "socialrx_replica_lag_bytes",
                "Bytes of WAL written on the primary and not yet replayed on the replica; NaN when unknown",
            )
            .expect("metric definition is valid"),
        };
        for gauge in [
            Box::new(gauges.up.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(gauges.lag_seconds.clone()),
            Box::new(gauges.lag_bytes.clone()),
        ] {
            registry.register(gauge).expect("registered once");
        }
        gauges
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("socialrx_http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )
        .expect("metric definition is valid");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "socialrx_http_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )
        .expect("metric definition is valid");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        let discarded = IntCounterVec::new(
            Opts::new(
                "socialrx_self_referrals_discarded_total",
                "Self-referrals answered as accepted but discarded, by reason",
            ),
            &["reason"],
        )
        .expect("metric definition is valid");
        registry
            .register(Box::new(discarded.clone()))
            .expect("registered once");
        Self {
            registry,
            requests,
            latency,
            discarded,
            replica: std::sync::OnceLock::new(),
        }
    }

    /// Records the latest sample of the read replica (the server's `jobs::replica_lag`).
    pub fn replica_sampled(&self, status: &ReplicaStatus) {
        let gauges = self
            .replica
            .get_or_init(|| ReplicaGauges::new(&self.registry));
        gauges.up.set(i64::from(status.up));
        gauges
            .lag_seconds
            .set(status.lag_seconds.unwrap_or(f64::NAN));
        gauges
            .lag_bytes
            .set(status.lag_bytes.map_or(f64::NAN, |b| b as f64));
    }

    /// Counts a self-referral that was answered as accepted but not kept (`honeypot`).
    pub fn self_referral_discarded(&self, reason: &str) {
        self.discarded.with_label_values(&[reason]).inc();
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding our own registry into a Vec cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Accepts a caller's request id when it is short and printable, so it can be logged.
fn usable_request_id(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| s.to_owned())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(usable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %request_id);

    let mut res = next.call(req).instrument(span.clone()).await?;

    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    if let Some(metrics) = metrics {
        let status = status.to_string();
        let labels = [method.as_str(), route.as_str(), status.as_str()];
        metrics.requests.with_label_values(&labels).inc();
        metrics
            .latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            target: "socialrx::http",
            method = %method,
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_gauges_appear_with_the_first_sample_and_say_nan_when_unknown() {
        let metrics = Metrics::new();
        assert!(!metrics.render().contains("socialrx_replica"));
        metrics.replica_sampled(&ReplicaStatus {
            up: true,
            lag_seconds: Some(0.0),
            lag_bytes: Some(120),
        });
        let text = metrics.render();
        assert!(text.contains("socialrx_replica_up 1"), "{text}");
        assert!(text.contains("socialrx_replica_lag_bytes 120"), "{text}");
        metrics.replica_sampled(&ReplicaStatus {
            up: false,
            lag_seconds: None,
            lag_bytes: None,
        });
        let text = metrics.render();
        assert!(text.contains("socialrx_replica_up 0"), "{text}");
        assert!(text.contains("socialrx_replica_lag_seconds NaN"), "{text}");
    }
}
