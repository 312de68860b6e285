//! Working with the person: `POST/GET /v1/referrals/{id}/contacts`,
//! `GET/PUT /v1/referrals/{id}/plan` and `GET /v1/referrals/{id}/timeline`.

mod contacts;
mod plan;
mod timeline;

use actix_web::web;
use socialrx_domain::Permission;

pub use plan::PlanResponse;
pub use timeline::TimelineEventResponse;

use crate::access::Operation;
use crate::resource::resource;
use contacts::{list_contacts, record_contact};
use plan::{get_plan, put_plan};
use timeline::get_timeline;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/v1/referrals/{id}/contacts")
            .get(list_contacts)
            .post(record_contact),
    )
    .service(
        resource("/v1/referrals/{id}/plan")
            .get(get_plan)
            .put(put_plan),
    )
    .service(resource("/v1/referrals/{id}/timeline").get(get_timeline));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        contacts::record_contact,
        contacts::list_contacts,
        plan::get_plan,
        plan::put_plan,
        timeline::get_timeline
    ),
    tags((name = "casework", description = "Contacts, the personal plan, and the referral's timeline"))
)]
pub struct Api;

pub const OPERATIONS: &[Operation] = &[
    Operation::needs(
        "POST",
        "/v1/referrals/{id}/contacts",
        Permission::RecordContact,
    ),
    Operation::needs(
        "GET",
        "/v1/referrals/{id}/contacts",
        Permission::ReadCaseRecord,
    ),
    Operation::needs("GET", "/v1/referrals/{id}/plan", Permission::ReadCaseRecord),
    Operation::needs("PUT", "/v1/referrals/{id}/plan", Permission::EditPlan),
    Operation::needs(
        "GET",
        "/v1/referrals/{id}/timeline",
        Permission::ReadCaseRecord,
    ),
];
