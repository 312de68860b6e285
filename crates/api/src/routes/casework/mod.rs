//! Working with the person: `POST/GET /v1/referrals/{id}/contacts`,
//! `GET/PUT /v1/referrals/{id}/plan` and `GET /v1/referrals/{id}/timeline`.

mod contacts;
mod plan;
mod timeline;

pub use plan::PlanResponse;
pub use timeline::TimelineEventResponse;

use crate::endpoint::{Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(contacts::list_contacts, ReadCaseRecord),
    endpoint!(contacts::record_contact, RecordContact),
    endpoint!(plan::get_plan, ReadCaseRecord),
    endpoint!(plan::put_plan, EditPlan),
    endpoint!(timeline::get_timeline, ReadCaseRecord),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "casework", description = "Contacts, the personal plan, and the referral's timeline"))
)]
pub struct Api;
