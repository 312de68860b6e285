//! The activity directory: providers, activities, categories and search. Reads are public
//! (Open Referral UK's openness rule); changes need `directory_editor`, and only touch the
//! editor's own organisation's records.

mod dto;
mod handlers;
mod search;

use actix_web::web;
use socialrx_domain::Permission;

use crate::access::Operation;
use crate::resource::resource;

pub use dto::*;
pub use handlers::*;
pub use search::*;

/// Directory settings the handlers need.
#[derive(Debug, Clone, Copy)]
pub struct DirectorySettings {
    /// An activity not verified for longer than this is marked `stale`.
    pub stale_after_days: u32,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        Self {
            stale_after_days: 365,
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/v1/providers")
            .get(list_providers)
            .post(create_provider),
    )
    .service(
        resource("/v1/providers/{id}")
            .get(get_provider)
            .put(update_provider),
    )
    .service(
        resource("/v1/activities")
            .get(search_activities)
            .post(create_activity),
    )
    .service(
        resource("/v1/activities/{id}")
            .get(get_activity)
            .put(update_activity)
            .delete(delete_activity),
    )
    .service(resource("/v1/categories").get(list_categories));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_provider, list_providers, get_provider, update_provider,
        create_activity, search_activities, get_activity, update_activity, delete_activity,
        list_categories,
    ),
    tags((name = "directory", description = "Community activities, their providers and search. \
        Reads are public.\n\nPostcode data: Contains OS data © Crown copyright and database \
        right 2025. Contains Royal Mail data © Royal Mail copyright and database right 2025. \
        Contains National Statistics data © Crown copyright and database right 2025."))
)]
pub struct Api;

pub const OPERATIONS: &[Operation] = &[
    Operation::needs("POST", "/v1/providers", Permission::EditDirectory),
    Operation::public("GET", "/v1/providers"),
    Operation::public("GET", "/v1/providers/{id}"),
    Operation::needs("PUT", "/v1/providers/{id}", Permission::EditDirectory),
    Operation::needs("POST", "/v1/activities", Permission::EditDirectory),
    Operation::public("GET", "/v1/activities"),
    Operation::public("GET", "/v1/activities/{id}"),
    Operation::needs("PUT", "/v1/activities/{id}", Permission::EditDirectory),
    Operation::needs("DELETE", "/v1/activities/{id}", Permission::EditDirectory),
    Operation::public("GET", "/v1/categories"),
];
