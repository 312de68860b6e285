//! Open Referral UK 3.0 (HSDS-UK-3.0) read API under `/oruk`: the directory in the
//! national standard's shape, for directory websites and aggregators. Public, with
//! `Access-Control-Allow-Origin: *` on every response, as the profile's compliance rules
//! require. Lists use the profile's page envelope; only active activities are listed.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use socialrx_domain::directory::{Activity, Category, Cost, Weekday};
use socialrx_domain::violations::Invalid;
use socialrx_domain::{FieldError, Violations};
use socialrx_search::geo::Gazetteer;
use socialrx_search::query::QueryBuilder;
use socialrx_search::{Query, SearchIndex, Sort};
use socialrx_store::{Store, StoreError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;

/// Mounted in a scope of its own by [`mount`].
pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(api_details, public),
    endpoint!(list_services, public),
    endpoint!(get_service, public),
    endpoint!(list_taxonomies, public),
    endpoint!(get_taxonomy, public),
    endpoint!(list_taxonomy_terms, public),
    endpoint!(get_taxonomy_term, public),
    endpoint!(list_service_at_locations, public),
    endpoint!(get_service_at_location, public),
];

/// Mounts [`ENDPOINTS`] in a scope that lets any website read the directory.
pub fn mount(cfg: &mut web::ServiceConfig) {
    const SCOPE: &str = "/oruk";
    cfg.service(
        web::scope(SCOPE)
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add(("Access-Control-Allow-Origin", "*")),
            )
            .configure(|scope| crate::endpoint::mount(scope, SCOPE, ENDPOINTS)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "open-referral-uk", description = "The directory in the Open Referral UK 3.0 \
        (HSDS-UK-3.0) shape. Public; `Access-Control-Allow-Origin: *`. Bodies follow the \
        profile's JSON schemas (CC BY-SA 4.0, Open Referral UK)."))
)]
pub struct Api;

/// The one taxonomy: socialrx's social prescribing categories.
const TAXONOMY_ID: Uuid = Uuid::from_u128(0x0195_0000_0000_7000_8000_5c1a_1000_0000);

fn term_id(c: Category) -> Uuid {
    Uuid::from_u128(TAXONOMY_ID.as_u128() + 1 + c as u128)
}

/// Stable ids for the parts of a service that have no table of their own.
fn part_id(service: Uuid, kind: u128, n: usize) -> Uuid {
    Uuid::from_u128(service.as_u128() ^ (((kind << 8) | n as u128) << 80))
}

const SCHEDULE: u128 = 1;
const COST: u128 = 2;
const SERVICE_AT_LOCATION: u128 = 3;
const LOCATION: u128 = 4;
const ADDRESS: u128 = 5;
const ATTRIBUTE: u128 = 6;
const CONTACT: u128 = 7;

fn taxonomy() -> Value {
    json!({
        "id": TAXONOMY_ID,
        "name": "socialrx social prescribing categories",
        "description": "What a community activity is about, for social prescribing.",
        "uri": "https://socialrx.org.uk/taxonomy/categories",
        "version": "1",
    })
}

fn term(c: Category) -> Value {
    json!({
        "id": term_id(c),
        "name": c.label(),
        "description": c.label(),
        "code": c.as_str(),
        "taxonomy": "socialrx social prescribing categories",
        "taxonomy_id": TAXONOMY_ID,
        "term": c.as_str(),
    })
}

fn status(a: &Activity) -> &'static str {
    use socialrx_domain::directory::ActivityStatus::*;
    match a.details.status {
        Active => "active",
        Inactive => "inactive",
        TemporarilyClosed => "temporarily closed",
        Defunct => "defunct",
    }
}

fn byday(d: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][d as usize]
}

/// The spec of `day`: the profile's `MO` ... `SU` or socialrx's day names.
pub struct DayParam;

impl utoipa::PartialSchema for DayParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let days = Weekday::ALL.iter().map(|d| byday(*d).to_owned());
        let names = Weekday::ALL.iter().map(|d| d.as_str().to_owned());
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(days.chain(names)))
            .into()
    }
}

impl utoipa::ToSchema for DayParam {}

/// The spec of `taxonomy_term_id`: a term's id, or its code (a socialrx category).
pub struct TermParam;

impl utoipa::PartialSchema for TermParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let ids = Category::ALL.iter().map(|c| term_id(*c).to_string());
        let codes = Category::ALL.iter().map(|c| c.as_str().to_owned());
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ids.chain(codes)))
            .into()
    }
}

impl utoipa::ToSchema for TermParam {}

fn money(pence: u32) -> String {
    format!("£{}.{:02}", pence / 100, pence % 100)
}

/// A service_at_location for an activity that may be placed publicly.
fn service_at_location(a: &Activity) -> Option<Value> {
    let d = &a.details;
    if d.confidential_location {
        return None;
    }
    let l = d.location.as_ref()?;
    let address = l.postcode.as_ref().map(|pc| {
        json!({
            "id": part_id(a.id, ADDRESS, 0),
            "location_id": part_id(a.id, LOCATION, 0),
            "address_1": l.address.clone().unwrap_or_default(),
            "city": l.town.clone().unwrap_or_default(),
            "state_province": "",
            "postal_code": pc.as_str(),
            "country": "GB",
            "address_type": "physical",
        })
    });
    let mut location = json!({
        "id": part_id(a.id, LOCATION, 0),
        "location_type": "physical",
        "name": l.address.clone().unwrap_or_else(|| d.name.clone()),
        "addresses": address.into_iter().collect::<Vec<_>>(),
    });
    if let Some(p) = l.point {
        location["latitude"] = json!(p.lat);
        location["longitude"] = json!(p.lon);
    }
    Some(json!({
        "id": part_id(a.id, SERVICE_AT_LOCATION, 0),
        "service_id": a.id,
        "location_id": part_id(a.id, LOCATION, 0),
        "location": location,
    }))
}

/// A service in the profile's shape. `organization` only on detail pages.
fn service(a: &Activity, organization: Option<Value>) -> Value {
    let d = &a.details;
    let mut s = json!({
        "id": a.id,
        "organization_id": d.provider_id,
        "name": d.name,
        "description": d.description.clone().unwrap_or_default(),
        "status": status(a),
        "last_modified": a.updated_at.format(&Rfc3339).unwrap_or_default(),
        "schedules": d.schedule.iter().enumerate().map(|(i, session)| json!({
            "id": part_id(a.id, SCHEDULE, i),
            "service_id": a.id,
            "freq": "WEEKLY",
            "interval": 1,
            "byday": byday(session.day),
            "opens_at": session.start.to_string(),
            "closes_at": session.end.to_string(),
            "description": format!("Every {} {} to {} (UK time)", session.day, session.start, session.end),
        })).collect::<Vec<_>>(),
        // No cost option when nobody has said what it costs: an empty list is the
        // profile's "unknown", where "Free" would be a claim.
        "cost_options": match d.cost {
            Cost::Free => vec![json!({"id": part_id(a.id, COST, 0), "service_id": a.id, "option": "Free", "amount": 0, "amount_description": "Free"})],
            Cost::Paid { pence, unit } => vec![json!({"id": part_id(a.id, COST, 0), "service_id": a.id,
                "option": unit.as_str(), "amount": f64::from(pence) / 100.0,
                "amount_description": format!("{} {}", money(pence), unit.as_str().replace('_', " "))})],
            Cost::Unknown => vec![],
        },
        "attributes": d.categories.iter().enumerate().map(|(i, c)| json!({
            "id": part_id(a.id, ATTRIBUTE, i),
            "link_id": a.id,
            "link_type": "service",
            "taxonomy_term_id": term_id(*c),
            "taxonomy_term": term(*c),
        })).collect::<Vec<_>>(),
        "service_at_locations": service_at_location(a).into_iter().collect::<Vec<_>>(),
        "contacts": d.contact.name.as_ref().map(|name| json!({"id": part_id(a.id, CONTACT, 0), "service_id": a.id, "name": name})).into_iter().collect::<Vec<_>>(),
    });
    let o = s.as_object_mut().expect("an object");
    if let Some(url) = &d.contact.website {
        o.insert("url".into(), json!(url));
    }
    if let Some(email) = &d.contact.email {
        o.insert("email".into(), json!(email));
    }
    if let Some(min) = d.ages.min {
        o.insert("minimum_age".into(), json!(min));
    }
    if let Some(max) = d.ages.max {
        o.insert("maximum_age".into(), json!(max));
    }
    if let Some(date) = d.last_verified_on {
        o.insert("assured_date".into(), json!(date.to_string()));
    }
    if let Cost::Paid { pence, unit } = d.cost {
        o.insert(
            "fees".into(),
            json!(format!(
                "{} {}",
                money(pence),
                unit.as_str().replace('_', " ")
            )),
        );
    }
    if let Some(org) = organization {
        o.insert("organization".into(), org);
    }
    s
}

/// The profile's page envelope around `contents`.
fn envelope(total: usize, page: usize, per_page: usize, contents: Vec<Value>) -> Value {
    let total_pages = total.div_ceil(per_page).max(1);
    json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": contents.len(),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

/// The bounds of `page` and `per_page` (also in the spec: utoipa takes literals there).
pub const MAX_PAGE: usize = 1_000_000;
pub const MAX_PER_PAGE: usize = 500;

struct Paging {
    page: usize,
    per_page: usize,
}

fn paging(v: &mut Violations, page: Option<String>, per_page: Option<String>) -> Paging {
    let number = |raw: &str, max: usize| match raw.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(Invalid::new(
            "out_of_range",
            format!("must be a whole number from 1 to {max}"),
        )),
    };
    Paging {
        page: v
            .check_opt("page", page, |p| number(&p, MAX_PAGE))
            .flatten()
            .unwrap_or(1),
        per_page: v
            .check_opt("per_page", per_page, |p| number(&p, MAX_PER_PAGE))
            .flatten()
            .unwrap_or(50),
    }
}

fn pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|_| ApiError::validation("query", "invalid", "the query string could not be read"))
}

/// Reads the profile's list parameters into the directory's one query builder;
/// `postcode` and `proximity` (metres) only where `with_place`.
fn list_query(
    req: &HttpRequest,
    gazetteer: &Gazetteer,
    with_place: bool,
) -> Result<(Query, Paging), ApiError> {
    let mut b = QueryBuilder::new(OffsetDateTime::now_utc().date(), 50);
    let (mut page, mut per_page, mut place) = (None, None, Place::default());
    for (key, value) in pairs(req)? {
        match key.as_str() {
            "search" | "text" => b.text(value),
            "page" => page = Some(value),
            "per_page" => per_page = Some(value),
            "postcode" if with_place => place.postcode = Some(value),
            "proximity" if with_place => place.proximity = Some(value),
            other => read_filter(&mut b, other, &value),
        }
    }
    let paging = paging(b.violations(), page, per_page);
    place.apply(&mut b, gazetteer);
    let mut query = b.finish().map_err(ApiError::Validation)?;
    query.limit = paging.page * paging.per_page;
    Ok((query, paging))
}

/// The profile's filters, in its own names and codes.
fn read_filter(b: &mut QueryBuilder, key: &str, value: &str) {
    match key {
        "taxonomy_term_id" => match Category::ALL
            .iter()
            .find(|c| term_id(**c).to_string() == value || c.as_str() == value)
        {
            Some(c) => b.category(*c),
            None => b.violations().push(FieldError::new(
                "taxonomy_term_id",
                "unknown_term",
                "is not a term of /oruk/taxonomy_terms",
            )),
        },
        "taxonomy_id" if value == TAXONOMY_ID.to_string() => {}
        "taxonomy_id" => b.violations().push(FieldError::new(
            "taxonomy_id",
            "unknown_taxonomy",
            "is not a taxonomy of /oruk/taxonomies",
        )),
        "minimum_age" | "maximum_age" => b.age(
            key,
            value
                .trim()
                .parse::<u8>()
                .map_err(|_| Invalid::new("type", "must be an age in years")),
        ),
        "day" => match Weekday::ALL.iter().find(|d| {
            byday(**d).eq_ignore_ascii_case(value.trim())
                || d.as_str().eq_ignore_ascii_case(value.trim())
        }) {
            Some(d) => b.day(*d),
            None => b.violations().push(FieldError::new(
                "day",
                "not_in_list",
                "must be a day such as MO or monday",
            )),
        },
        // `HH:MM` or `HH:MM:SS`: the profile's times carry seconds.
        "start_time" => b.from("start_time", value.get(..5).unwrap_or(value)),
        "end_time" => b.to("end_time", value.get(..5).unwrap_or(value)),
        // Other parameters of the profile (full, minimal, modified_after...) are
        // accepted and ignored, as the profile allows.
        _ => {}
    }
}

/// `postcode` and `proximity` (metres): a valid proximity without a postcode is ignored, and a
/// postcode orders by distance even beside a text search.
#[derive(Default)]
struct Place {
    postcode: Option<String>,
    proximity: Option<String>,
}

impl Place {
    fn apply(self, b: &mut QueryBuilder, gazetteer: &Gazetteer) {
        let km = self.proximity.map(|m| match m.trim().parse::<f64>() {
            Ok(m) if (100.0..=200_000.0).contains(&m) => Ok(m / 1000.0),
            _ => Err(Invalid::new(
                "out_of_range",
                "must be a distance in metres from 100 to 200000",
            )),
        });
        let Some(postcode) = self.postcode else {
            // Checked all the same: a bad value is refused, whether or not it is used.
            if let Some(Err(e)) = km {
                b.violations().check::<f64>("proximity", Err(e));
            }
            return;
        };
        if let Some(km) = km {
            b.radius_km("proximity", km);
        }
        b.near("postcode", gazetteer, &postcode);
        b.default_sort(Sort::Distance);
    }
}

fn ok(body: Value) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Internal(Box::new(e))
}

/// Information about this API and the profile it follows.
#[utoipa::path(get, path = "/oruk/", tag = "open-referral-uk", operation_id = "oruk_api_details",
    responses((status = 200, description = "API details", body = Object,
        example = json!({"version": "HSDS-UK-3.0", "profile": "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md", "openapi_url": "https://socialrx.example/openapi.json"}))))]
pub async fn api_details(req: HttpRequest) -> HttpResponse {
    let info = req.connection_info();
    ok(json!({
        "version": "HSDS-UK-3.0",
        "profile": "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md",
        "openapi_url": format!("{}://{}/openapi.json", info.scheme(), info.host()),
    }))
}

/// Services (activities), paged. `search` is free text; `taxonomy_term_id`, `day`,
/// `start_time`, `end_time`, `minimum_age` filter.
#[utoipa::path(get, path = "/oruk/services", tag = "open-referral-uk", operation_id = "oruk_list_services",
    params(("search" = Option<String>, Query, description = "Free text"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Page number, from 1"),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Page size, 1 to 500 (default 50)"),
        ("taxonomy_term_id" = inline(Option<TermParam>), Query, description = "A term of /oruk/taxonomy_terms"),
        ("day" = inline(Option<DayParam>), Query, description = "MO, TU, ... SU (or monday ... sunday)"),
        ("start_time" = Option<String>, Query, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]", description = "HH:MM (seconds after it, as in HH:MM:SS, are ignored)"),
        ("end_time" = Option<String>, Query, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]", description = "HH:MM (seconds after it, as in HH:MM:SS, are ignored)")),
    responses(
        (status = 200, description = "A page of services", body = Object),
        (status = 422, description = "A parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_services(
    req: HttpRequest,
    index: web::Data<Arc<SearchIndex>>,
    gazetteer: web::Data<Arc<Gazetteer>>,
) -> Result<HttpResponse, ApiError> {
    let (q, paging) = list_query(&req, &gazetteer, false)?;
    page_of(&index, &q, &paging, |a| Some(service(a, None)))
}

fn page_of(
    index: &SearchIndex,
    q: &Query,
    paging: &Paging,
    render: impl Fn(&Activity) -> Option<Value>,
) -> Result<HttpResponse, ApiError> {
    let results = index.search(q).map_err(internal)?;
    let contents: Vec<Value> = results
        .hits
        .iter()
        .filter_map(|h| render(&h.activity))
        .skip((paging.page - 1) * paging.per_page)
        .take(paging.per_page)
        .collect();
    let total = index.count(q).map_err(internal)?;
    Ok(ok(envelope(total, paging.page, paging.per_page, contents)))
}

/// A fully nested service, by its id or by the id it had in the feed it was imported from
/// (`socialrx import-oruk` keeps the feed's ids, so a feed's consumers can match records
/// back). A service id is tried first; when two organisations imported the same feed id
/// the answer is 409, and the services' own ids tell them apart.
#[utoipa::path(get, path = "/oruk/services/{id}", tag = "open-referral-uk", operation_id = "oruk_get_service",
    params(("id" = String, Path, description = "The service's id, or its id in the imported feed")),
    responses(
        (status = 200, description = "The service", body = Object),
        (status = 404, description = "No such service", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Services of several organisations were imported with this feed id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_service(
    id: web::Path<String>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let a = service_by_id(store.as_ref().as_ref(), &id).await?;
    let org = organization(store.as_ref().as_ref(), a.details.provider_id).await?;
    Ok(ok(service(&a, Some(org))))
}

/// Our id first; then the feed's. Feed ids are often UUIDs too, so a UUID that is not ours
/// is still looked up as a feed id.
async fn service_by_id(store: &dyn Store, id: &str) -> Result<Activity, ApiError> {
    if let Ok(uuid) = Uuid::parse_str(id) {
        match store.get_activity(uuid).await {
            Err(StoreError::NotFound) => {}
            found => return Ok(found?),
        }
    }
    let mut found = store.activities_by_external_id(id).await?;
    match found.len() {
        0 => Err(ApiError::NotFound),
        1 => Ok(found.remove(0)),
        n => Err(ApiError::conflict(format!(
            "{n} services were imported with this feed id, by different organisations; ask \
             by the service's own id: {}",
            found
                .iter()
                .map(|a| a.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn organization(store: &dyn Store, id: Uuid) -> Result<Value, StoreError> {
    let p = store.get_provider(id).await?;
    let mut o = json!({
        "id": p.id,
        "name": p.details.name,
        "description": p.details.description.unwrap_or_default(),
    });
    if let Some(w) = p.details.contact.website {
        o["website"] = json!(w);
    }
    if let Some(e) = p.details.contact.email {
        o["email"] = json!(e);
    }
    Ok(o)
}

/// The taxonomies (one: socialrx's categories).
#[utoipa::path(get, path = "/oruk/taxonomies", tag = "open-referral-uk", operation_id = "oruk_list_taxonomies",
    params(("page" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Page number, from 1"),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Page size, 1 to 500 (default 50)")),
    responses(
        (status = 200, description = "A page of taxonomies", body = Object),
        (status = 422, description = "A parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_taxonomies(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    static_list(&req, vec![taxonomy()])
}

fn static_list(req: &HttpRequest, all: Vec<Value>) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let (mut page, mut per_page) = (None, None);
    for (k, value) in pairs(req)? {
        match k.as_str() {
            "page" => page = Some(value),
            "per_page" => per_page = Some(value),
            _ => {}
        }
    }
    let p = paging(&mut v, page, per_page);
    if !v.is_empty() {
        return Err(ApiError::Validation(v.into_errors()));
    }
    let total = all.len();
    let contents = all
        .into_iter()
        .skip((p.page - 1) * p.per_page)
        .take(p.per_page)
        .collect();
    Ok(ok(envelope(total, p.page, p.per_page, contents)))
}

/// One taxonomy, with its terms.
#[utoipa::path(get, path = "/oruk/taxonomies/{id}", tag = "open-referral-uk", operation_id = "oruk_get_taxonomy",
    params(("id" = String, Path, description = "The taxonomy's id")),
    responses(
        (status = 200, description = "The taxonomy", body = Object),
        (status = 404, description = "No such taxonomy", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_taxonomy(id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if *id != TAXONOMY_ID.to_string() {
        return Err(ApiError::NotFound);
    }
    let mut t = taxonomy();
    t["taxonomy_terms"] = Value::Array(Category::ALL.iter().map(|c| term(*c)).collect());
    Ok(ok(t))
}

/// The taxonomy terms (the categories).
#[utoipa::path(get, path = "/oruk/taxonomy_terms", tag = "open-referral-uk", operation_id = "oruk_list_taxonomy_terms",
    params(("page" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Page number, from 1"),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Page size, 1 to 500 (default 50)")),
    responses(
        (status = 200, description = "A page of terms", body = Object),
        (status = 422, description = "A parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_taxonomy_terms(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    static_list(&req, Category::ALL.iter().map(|c| term(*c)).collect())
}

/// One taxonomy term.
#[utoipa::path(get, path = "/oruk/taxonomy_terms/{id}", tag = "open-referral-uk", operation_id = "oruk_get_taxonomy_term",
    params(("id" = String, Path, description = "The term's id")),
    responses(
        (status = 200, description = "The term", body = Object),
        (status = 404, description = "No such term", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_taxonomy_term(id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Category::ALL
        .iter()
        .find(|c| term_id(**c).to_string() == *id)
        .map(|c| ok(term(*c)))
        .ok_or(ApiError::NotFound)
}

/// Services at locations, paged; `postcode` and `proximity` (metres, default 10,000) find
/// those near a place, nearest first. Confidential locations are never listed here.
#[utoipa::path(get, path = "/oruk/service_at_locations", tag = "open-referral-uk", operation_id = "oruk_list_service_at_locations",
    params(("search" = Option<String>, Query, description = "Free text"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Page number, from 1"),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Page size, 1 to 500 (default 50)"),
        ("taxonomy_term_id" = inline(Option<TermParam>), Query, description = "A term of /oruk/taxonomy_terms"),
        ("postcode" = Option<String>, Query, description = "A GB postcode or outward code"),
        ("proximity" = Option<f64>, Query, minimum = 100, maximum = 200000, description = "Metres from the postcode, 100 to 200000 (default 10000)")),
    responses(
        (status = 200, description = "A page of services at locations", body = Object),
        (status = 422, description = "A parameter is not valid (an unknown or non-GB postcode says so)", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_service_at_locations(
    req: HttpRequest,
    index: web::Data<Arc<SearchIndex>>,
    gazetteer: web::Data<Arc<Gazetteer>>,
) -> Result<HttpResponse, ApiError> {
    let (mut q, paging) = list_query(&req, &gazetteer, true)?;
    // Every match, to count those that can be placed.
    q.limit = usize::MAX / 4;
    let results = index.search(&q).map_err(internal)?;
    let placed: Vec<Value> = results
        .hits
        .iter()
        .filter_map(|h| {
            service_at_location(&h.activity).map(|mut sal| {
                sal["service"] = service(&h.activity, None);
                sal
            })
        })
        .collect();
    let total = placed.len();
    let contents = placed
        .into_iter()
        .skip((paging.page - 1) * paging.per_page)
        .take(paging.per_page)
        .collect();
    Ok(ok(envelope(total, paging.page, paging.per_page, contents)))
}

/// One service at a location.
#[utoipa::path(get, path = "/oruk/service_at_locations/{id}", tag = "open-referral-uk", operation_id = "oruk_get_service_at_location",
    params(("id" = Uuid, Path, description = "The service at location's id")),
    responses(
        (status = 200, description = "The service at its location", body = Object),
        (status = 404, description = "No such service at location", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_service_at_location(
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let service_id = part_id(id.into_inner(), SERVICE_AT_LOCATION, 0);
    let a = store.get_activity(service_id).await?;
    let mut sal = service_at_location(&a).ok_or(ApiError::NotFound)?;
    let org = organization(store.as_ref().as_ref(), a.details.provider_id).await?;
    sal["service"] = service(&a, Some(org));
    Ok(ok(sal))
}
