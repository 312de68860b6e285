//! `GET /v1/activities`: public activity search.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use socialrx_domain::directory::{AccessibilityFeature, Category, Point, TimeOfDay, Weekday};
use socialrx_domain::violations::Invalid;
use socialrx_domain::{FieldError, Violations};
use socialrx_search::geo::Gazetteer;
use socialrx_search::{Cursor, Query, SearchIndex, Sort};
use time::OffsetDateTime;
use utoipa::IntoParams;

use super::DirectorySettings;
use super::dto::{ActivityPage, ActivityResponse, View};
use crate::error::ApiError;

/// Radius when a point is given without one, and the largest allowed.
pub const DEFAULT_RADIUS_KM: f64 = 10.0;
pub const MAX_RADIUS_KM: f64 = 200.0;
pub const MIN_RADIUS_KM: f64 = 0.1;
/// The largest `age` and `verified_within_days` asked about.
pub const MAX_AGE: u8 = 120;
pub const MAX_VERIFIED_WITHIN_DAYS: u32 = 36500;

crate::schema::codes!(SortCodes = SortCode);
socialrx_domain::code_list!(
    SortCode {
        Relevance => "relevance",
        Distance => "distance",
        Name => "name",
    }
);

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

fn boolean(raw: &str) -> Result<bool, Invalid> {
    match raw.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Invalid::new("type", "must be true or false")),
    }
}

fn number<T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display>(
    raw: &str,
    min: T,
    max: T,
) -> Result<T, Invalid> {
    match raw.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(Invalid::new(
            "out_of_range",
            format!("must be a number from {min} to {max}"),
        )),
    }
}

fn once(v: &mut Violations, seen: &mut Vec<String>, key: &str) -> bool {
    if seen.iter().any(|k| k == key) {
        v.push(FieldError::new(key, "repeated", "may be given only once"));
        false
    } else {
        seen.push(key.to_owned());
        true
    }
}

/// Parses the query string into a search; every problem is reported at once.
pub fn parse_search(
    pairs: Vec<(String, String)>,
    gazetteer: &Gazetteer,
    today: time::Date,
) -> Result<Query, Vec<FieldError>> {
    let mut v = Violations::new();
    let mut q = Query {
        text: None,
        categories: vec![],
        near: None,
        days: vec![],
        from: None,
        to: None,
        free: None,
        online: None,
        age: None,
        accessible: vec![],
        verified_within_days: None,
        open_to_new: None,
        sort: Sort::Name,
        limit: 20,
        after: None,
        today,
    };
    let (mut near, mut lat, mut lon, mut radius, mut sort, mut cursor) =
        (None, None, None, None, None, None);
    let mut seen = Vec::new();
    for (key, value) in pairs {
        let k = key.as_str();
        if !matches!(k, "category" | "day" | "accessible") && !once(&mut v, &mut seen, k) {
            continue;
        }
        match k {
            "q" => {
                if value.chars().count() > 200 {
                    v.push(FieldError::new(
                        "q",
                        "too_long",
                        "must be at most 200 characters",
                    ));
                } else {
                    q.text = Some(value).filter(|t| !t.trim().is_empty());
                }
            }
            "category" => {
                if let Some(c) = v.check("category", Category::parse(&value))
                    && !q.categories.contains(&c)
                {
                    q.categories.push(c);
                }
            }
            "day" => {
                if let Some(d) = v.check("day", Weekday::parse(&value))
                    && !q.days.contains(&d)
                {
                    q.days.push(d);
                }
            }
            "accessible" => {
                if let Some(a) = v.check("accessible", AccessibilityFeature::parse(&value))
                    && !q.accessible.contains(&a)
                {
                    q.accessible.push(a);
                }
            }
            "near" => near = v.check("near", gazetteer.locate(&value).map(|(p, _)| p)),
            "lat" => lat = v.check("lat", number::<f64>(&value, -90.0, 90.0)),
            "lon" => lon = v.check("lon", number::<f64>(&value, -180.0, 180.0)),
            "radius_km" => {
                radius = v.check(
                    "radius_km",
                    number::<f64>(&value, MIN_RADIUS_KM, MAX_RADIUS_KM),
                )
            }
            "from" => q.from = v.check("from", TimeOfDay::parse(&value)),
            "to" => q.to = v.check("to", TimeOfDay::parse(&value)),
            "free" => q.free = v.check("free", boolean(&value)),
            "online" => q.online = v.check("online", boolean(&value)),
            "open_to_new" => q.open_to_new = v.check("open_to_new", boolean(&value)),
            "age" => q.age = v.check("age", number::<u8>(&value, 0, MAX_AGE)),
            "verified_within_days" => {
                q.verified_within_days = v.check(
                    "verified_within_days",
                    number::<u32>(&value, 0, MAX_VERIFIED_WITHIN_DAYS),
                )
            }
            "sort" => sort = v.check("sort", SortCode::parse(&value)),
            "limit" => {
                if let Some(n) = v.check("limit", crate::paging::parse_limit(&value)) {
                    q.limit = n as usize;
                }
            }
            "cursor" => {
                cursor = v.check(
                    "cursor",
                    Cursor::decode(&value).ok_or_else(|| {
                        Invalid::new("cursor_format", "is not a cursor this API gave out")
                    }),
                )
            }
            // The query_rules middleware refuses these first; kept so this parser is
            // complete on its own.
            other => v.push(crate::query_rules::unknown_parameter(other)),
        }
    }
    let point = match (near, lat, lon) {
        (Some(p), None, None) => Some(p),
        (None, Some(lat), Some(lon)) => Some(Point { lat, lon }),
        (None, None, None) => None,
        (Some(_), _, _) => {
            v.push(FieldError::new(
                "near",
                "conflict",
                "give either near or lat and lon, not both",
            ));
            None
        }
        _ => {
            if !seen.iter().any(|k| k == "near") {
                v.push(FieldError::new(
                    "lon",
                    "required",
                    "lat and lon go together",
                ));
            }
            None
        }
    };
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        v.push(FieldError::new("to", "time_order", "must be after from"));
    }
    if radius.is_some() && point.is_none() && !seen.iter().any(|k| k == "near" || k == "lat") {
        v.push(FieldError::new(
            "radius_km",
            "requires_point",
            "needs near, or lat and lon",
        ));
    }
    q.near = point.map(|p| (p, radius.unwrap_or(DEFAULT_RADIUS_KM)));
    q.sort = match sort {
        Some(SortCode::Relevance) if q.text.is_none() => {
            v.push(FieldError::new(
                "sort",
                "requires_q",
                "relevance needs a text query (q)",
            ));
            Sort::Name
        }
        Some(SortCode::Distance)
            if q.near.is_none() && !seen.iter().any(|k| k == "near" || k == "lat") =>
        {
            v.push(FieldError::new(
                "sort",
                "requires_point",
                "distance needs near, or lat and lon",
            ));
            Sort::Name
        }
        Some(SortCode::Relevance) => Sort::Relevance,
        Some(SortCode::Distance) => Sort::Distance,
        Some(SortCode::Name) => Sort::Name,
        None if q.text.is_some() => Sort::Relevance,
        None if q.near.is_some() => Sort::Distance,
        None => Sort::Name,
    };
    if let Some(c) = &cursor
        && c.sort() != q.sort
    {
        v.push(FieldError::new(
            "cursor",
            "cursor_mismatch",
            "belongs to a search with another order",
        ));
    }
    q.after = cursor;
    v.finish(|| Some(q))
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
    let query = parse_search(pairs, &gazetteer, now.date())?;
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
