//! `GET /v1/activities`: public activity search.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use socialrx_search::SearchIndex;
use socialrx_search::geo::Gazetteer;
use socialrx_search::query::SortCode;
use time::OffsetDateTime;
use utoipa::IntoParams;

use super::DirectorySettings;
use super::dto::{ActivityPage, ActivityResponse, View};
use crate::error::ApiError;

pub use socialrx_search::query::{
    DEFAULT_RADIUS_KM, MAX_AGE, MAX_RADIUS_KM, MAX_VERIFIED_WITHIN_DAYS, MIN_RADIUS_KM,
};

crate::schema::codes!(SortCodes = SortCode);

/// The search parameters. `category`, `day` and `accessible` may be repeated.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// Free text over name, provider, categories and description; ranked, with English
    /// stemming (`walk` finds walking groups).
    #[param(max_length = 200)]
    q: Option<String>,
    /// Any of these categories (repeat the parameter for more than one).
    #[param(schema_with = crate::schema::code_list_schema::<super::dto::CategoryCodes>)]
    category: Option<String>,
    /// A UK postcode (`LS6 1AB`) or outward code (`LS6`) to search around. Great Britain
    /// only; placed by postcode sector, or district for an outward code.
    #[param(max_length = 10)]
    near: Option<String>,
    /// Latitude to search around, with `lon` (instead of `near`).
    #[param(value_type = Option<f64>, minimum = -90, maximum = 90)]
    lat: Option<String>,
    #[param(value_type = Option<f64>, minimum = -180, maximum = 180)]
    lon: Option<String>,
    /// Search radius in km with a point (default 10, at most 200). Activities that
    /// cannot be placed publicly (online, confidential locations) are left out.
    #[param(value_type = Option<f64>, minimum = 0.1, maximum = 200)]
    radius_km: Option<String>,
    /// Meets on any of these days (repeatable).
    #[param(schema_with = crate::schema::code_list_schema::<super::dto::WeekdayCodes>)]
    day: Option<String>,
    /// With `to`: a session wholly within this window, `HH:MM` UK local time.
    #[param(example = "09:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    from: Option<String>,
    #[param(example = "12:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    to: Option<String>,
    /// `true`: free only; `false`: paid only. An activity whose cost is not known
    /// (`cost.known: false`) matches neither.
    #[param(value_type = Option<bool>)]
    free: Option<String>,
    /// `true`: online only; `false`: in person only.
    #[param(value_type = Option<bool>)]
    online: Option<String>,
    /// Open to a person of this age.
    #[param(value_type = Option<u8>, minimum = 0, maximum = 120)]
    age: Option<String>,
    /// Has every one of these features (repeatable).
    #[param(schema_with = crate::schema::code_list_schema::<super::dto::AccessibilityCodes>)]
    accessible: Option<String>,
    /// Verified with the provider within this many days.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 36500)]
    verified_within_days: Option<String>,
    /// `true`: only activities taking new people.
    #[param(value_type = Option<bool>)]
    open_to_new: Option<String>,
    /// `relevance` (default with `q`), `distance` (default with a point) or `name`.
    #[param(schema_with = crate::schema::code_list_schema::<SortCodes>)]
    sort: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page, with the same query.
    #[param(
        max_length = 1057,
        pattern = r"^(r[0-9a-fA-F]{40}|d[0-9a-fA-F]{48}|n[0-9a-fA-F]{32}([0-9a-fA-F]{2}){0,512})$"
    )]
    cursor: Option<String>,
}

/// Search the directory.
///
/// Public. Filters combine with AND; repeated `category` and `day` values with OR,
/// repeated `accessible` features with AND. Only `active` activities are found. Each
/// result carries its next session, `stale` when not verified within the configured
/// period, and its distance when a point was given. A domestic abuse refuge or any other
/// confidential location is never placed or found by distance. Keyset pagination: pass
/// `next_cursor` back as `cursor` with the same query.
#[utoipa::path(get, path = "/v1/activities", tag = "directory", operation_id = "search_activities",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of activities", body = ActivityPage),
        (status = 422, description = "A parameter is not valid (an unknown or non-GB postcode says so)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The search index failed", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn search_activities(
    req: HttpRequest,
    index: web::Data<Arc<SearchIndex>>,
    gazetteer: web::Data<Arc<Gazetteer>>,
    settings: web::Data<DirectorySettings>,
) -> Result<HttpResponse, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| {
            ApiError::validation("query", "invalid", "the query string could not be read")
        })?
        .into_inner();
    let now = OffsetDateTime::now_utc();
    let query = socialrx_search::query::activity_search(pairs, &gazetteer, now.date())?;
    let results = index
        .search(&query)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let view = View {
        now,
        stale_after_days: settings.stale_after_days,
    };
    Ok(HttpResponse::Ok().json(ActivityPage {
        items: results
            .hits
            .iter()
            .map(|h| ActivityResponse::new(&h.activity, view, h.distance_km))
            .collect(),
        next_cursor: results.next.map(|c| c.encode()),
    }))
}
