//! The route table: each resource module mounts its routes, contributes its part of the
//! OpenAPI document and lists its operations with the permission each needs.

use actix_web::web;

use crate::access::Operation;

pub mod caseload;
pub mod casework;
pub mod health;
pub mod lifecycle;
pub mod link_workers;
pub mod referrals;

pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    referrals::configure(cfg);
    lifecycle::configure(cfg);
    casework::configure(cfg);
    link_workers::configure(cfg);
    caseload::configure(cfg);
}

pub fn openapi_parts() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    vec![
        health::Api::openapi(),
        referrals::Api::openapi(),
        lifecycle::Api::openapi(),
        casework::Api::openapi(),
        link_workers::Api::openapi(),
        caseload::Api::openapi(),
    ]
}

/// Every operation of the API with the permission it needs (`None`: public).
pub fn operations() -> Vec<Operation> {
    [
        health::OPERATIONS,
        referrals::OPERATIONS,
        lifecycle::OPERATIONS,
        casework::OPERATIONS,
        link_workers::OPERATIONS,
        caseload::OPERATIONS,
    ]
    .concat()
}
