//! The activity directory: providers, activities, categories and search. Reads are public
//! (Open Referral UK's openness rule); changes need `directory_editor`, and only touch the
//! editor's own organisation's records.

mod dto;
mod handlers;
mod search;

use crate::endpoint::{Endpoint, endpoint};

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

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(handlers::list_providers, public),
    endpoint!(handlers::create_provider, EditDirectory),
    endpoint!(handlers::get_provider, public),
    endpoint!(handlers::update_provider, EditDirectory),
    endpoint!(search::search_activities, public),
    endpoint!(handlers::create_activity, EditDirectory),
    endpoint!(handlers::get_activity, public),
    endpoint!(handlers::update_activity, EditDirectory),
    endpoint!(handlers::delete_activity, EditDirectory),
    endpoint!(handlers::list_categories, public),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "directory", description = "Community activities, their providers and search. \
        Reads are public.\n\nPostcode data: Contains OS data © Crown copyright and database \
        right 2025. Contains Royal Mail data © Royal Mail copyright and database right 2025. \
        Contains National Statistics data © Crown copyright and database right 2025."))
)]
pub struct Api;
