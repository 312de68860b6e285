//! Liveness, readiness, metrics.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use socialrx_store::Store;

use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::observe::Metrics;

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(healthz, public),
    endpoint!(readyz, public),
    endpoint!(metrics, public),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "operations", description = "Health, readiness and metrics"))
)]
pub struct Api;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Object, example = json!({"status": "ok"}))))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers. 503 while it does not; the service recovers by itself when it
/// comes back (every request takes a fresh pooled connection).
///
/// With a read replica configured, `replica` says whether reads that may be stale go to
/// it (`up`) or fall back to the primary (`down`); either way the service is ready.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Object, example = json!({"status": "ready", "database": "postgres", "replica": "up"})),
        (status = 503, description = "The database cannot be reached", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(store: web::Data<Arc<dyn Store>>) -> Result<HttpResponse, ApiError> {
    // A bounded wait: a hung database must not hang the probe.
    match tokio_timeout(store.ping()).await {
        Some(Ok(())) => {
            let mut body = serde_json::json!({"status": "ready", "database": store.backend()});
            // The primary alone makes the service ready: stale-OK reads fall back to it.
            if let Some(in_use) = store.replica_in_use() {
                body["replica"] = serde_json::json!(if in_use { "up" } else { "down" });
            }
            Ok(HttpResponse::Ok().json(body))
        }
        Some(Err(e)) => Err(ApiError::Unavailable(e.to_string())),
        None => Err(ApiError::Unavailable("database ping timed out".into())),
    }
}

async fn tokio_timeout<F: std::future::Future>(f: F) -> Option<F::Output> {
    actix_web::rt::time::timeout(std::time::Duration::from_secs(3), f)
        .await
        .ok()
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}
