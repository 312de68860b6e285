//! The route table: each resource module mounts its routes, contributes its part of the
//! OpenAPI document and lists its operations with the permission each needs.

use actix_web::web;

use crate::access::Operation;

pub mod audit;
pub mod caseload;
pub mod casework;
pub mod connections;
pub mod directory;
pub mod fhir;
pub mod health;
pub mod lifecycle;
pub mod link_workers;
pub mod organisations;
pub mod oruk;
pub mod outcomes;
pub mod partners;
pub mod people;
pub mod referral_agreements;
pub mod referrals;
pub mod reports;
pub mod self_referrals;
pub mod sent_referrals;
pub mod summary;
pub mod webhooks;

pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    audit::configure(cfg);
    people::configure(cfg);
    organisations::configure(cfg);
    referrals::configure(cfg);
    sent_referrals::configure(cfg);
    summary::configure(cfg);
    referral_agreements::configure(cfg);
    partners::configure(cfg);
    self_referrals::configure(cfg);
    fhir::configure(cfg);
    outcomes::configure(cfg);
    webhooks::configure(cfg);
    reports::configure(cfg);
    lifecycle::configure(cfg);
    casework::configure(cfg);
    link_workers::configure(cfg);
    caseload::configure(cfg);
    directory::configure(cfg);
    connections::configure(cfg);
    oruk::configure(cfg);
}

pub fn openapi_parts() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    vec![
        health::Api::openapi(),
        referrals::Api::openapi(),
        sent_referrals::Api::openapi(),
        summary::Api::openapi(),
        referral_agreements::Api::openapi(),
        audit::Api::openapi(),
        people::Api::openapi(),
        organisations::Api::openapi(),
        partners::Api::openapi(),
        self_referrals::Api::openapi(),
        fhir::Api::openapi(),
        outcomes::Api::openapi(),
        webhooks::Api::openapi(),
        reports::Api::openapi(),
        lifecycle::Api::openapi(),
        casework::Api::openapi(),
        link_workers::Api::openapi(),
        caseload::Api::openapi(),
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
        sent_referrals::OPERATIONS,
        summary::OPERATIONS,
        referral_agreements::OPERATIONS,
        audit::OPERATIONS,
        people::OPERATIONS,
        organisations::OPERATIONS,
        partners::OPERATIONS,
        self_referrals::OPERATIONS,
        fhir::OPERATIONS,
        outcomes::OPERATIONS,
        webhooks::OPERATIONS,
        reports::OPERATIONS,
        lifecycle::OPERATIONS,
        casework::OPERATIONS,
        link_workers::OPERATIONS,
        caseload::OPERATIONS,
        directory::OPERATIONS,
        connections::OPERATIONS,
        oruk::OPERATIONS,
    ]
    .concat()
}
