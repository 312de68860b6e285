//! The route table: every module's `ENDPOINTS` (see [`crate::endpoint`]), from which the
//! actix routes, the OpenAPI paths and the permission table are all derived. Each module
//! also has an `Api` whose only job is its tag in the document.

use actix_web::web;
use utoipa::OpenApi;

use crate::access::Operation;
use crate::endpoint::{self, Endpoint};

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

/// Where a module's endpoints are mounted.
enum Mount {
    Root,
    /// In a scope of the module's own (for middleware of that scope alone).
    Own(fn(&mut web::ServiceConfig)),
}

struct Module {
    endpoints: &'static [Endpoint],
    mount: Mount,
    /// The module's tag (and, for FHIR, its extra schemas) in the OpenAPI document.
    api: fn() -> utoipa::openapi::OpenApi,
}

/// Every module, in the order actix tries their routes and the document lists their tags.
const MODULES: &[Module] = &[
    root(health::ENDPOINTS, health::Api::openapi),
    root(referrals::ENDPOINTS, referrals::Api::openapi),
    root(sent_referrals::ENDPOINTS, sent_referrals::Api::openapi),
    root(summary::ENDPOINTS, summary::Api::openapi),
    root(
        referral_agreements::ENDPOINTS,
        referral_agreements::Api::openapi,
    ),
    root(audit::ENDPOINTS, audit::Api::openapi),
    root(people::ENDPOINTS, people::Api::openapi),
    root(organisations::ENDPOINTS, organisations::Api::openapi),
    root(partners::ENDPOINTS, partners::Api::openapi),
    Module {
        endpoints: self_referrals::ENDPOINTS,
        mount: Mount::Own(self_referrals::mount),
        api: self_referrals::Api::openapi,
    },
    root(self_referrals::embed::ENDPOINTS, no_tag),
    root(fhir::ENDPOINTS, fhir::Api::openapi),
    root(outcomes::ENDPOINTS, outcomes::Api::openapi),
    root(webhooks::ENDPOINTS, webhooks::Api::openapi),
    root(reports::ENDPOINTS, reports::Api::openapi),
    root(lifecycle::ENDPOINTS, lifecycle::Api::openapi),
    root(casework::ENDPOINTS, casework::Api::openapi),
    root(link_workers::ENDPOINTS, link_workers::Api::openapi),
    root(caseload::ENDPOINTS, caseload::Api::openapi),
    root(directory::ENDPOINTS, directory::Api::openapi),
    root(connections::ENDPOINTS, connections::Api::openapi),
    Module {
        endpoints: oruk::ENDPOINTS,
        mount: Mount::Own(oruk::mount),
        api: oruk::Api::openapi,
    },
];

const fn root(endpoints: &'static [Endpoint], api: fn() -> utoipa::openapi::OpenApi) -> Module {
    Module {
        endpoints,
        mount: Mount::Root,
        api,
    }
}

fn no_tag() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApi::default()
}

fn endpoints() -> impl Iterator<Item = &'static Endpoint> {
    MODULES.iter().flat_map(|m| m.endpoints)
}

/// Mounts every endpoint, then FHIR's answer for every other path under `/fhir/r4`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for module in MODULES {
        match module.mount {
            Mount::Root => endpoint::mount(cfg, "", module.endpoints),
            Mount::Own(mount) => mount(cfg),
        }
    }
    fhir::mount_fallback(cfg);
}

/// Adds every module's tag and every endpoint's path to `doc`.
pub fn document(doc: &mut utoipa::openapi::OpenApi) {
    for module in MODULES {
        doc.merge((module.api)());
    }
    endpoint::document(doc, endpoints());
}

/// Every operation of the API with the permission it needs (`None`: public).
pub fn operations() -> Vec<Operation> {
    Endpoint::operations(endpoints())
}
