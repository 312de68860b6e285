//! The route table: each resource module mounts its routes, contributes its part of the
//! OpenAPI document and lists its operations with the permission each needs.

use actix_web::web;

use crate::access::Operation;

pub mod connections;
pub mod directory;
pub mod health;
pub mod oruk;
pub mod referrals;

pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    referrals::configure(cfg);
    directory::configure(cfg);
    connections::configure(cfg);
    oruk::configure(cfg);
}

pub fn openapi_parts() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    vec![
        health::Api::openapi(),
        referrals::Api::openapi(),
        directory::Api::openapi(),
        connections::Api::openapi(),
        oruk::Api::openapi(),
    ]
}

/// Every operation of the API with the permission it needs (`None`: public).
pub fn operations() -> Vec<Operation> {
    [
        health::OPERATIONS,
        referrals::OPERATIONS,
        directory::OPERATIONS,
        connections::OPERATIONS,
        oruk::OPERATIONS,
    ]
    .concat()
}
