//! Directory changes (for `directory_editor`) and public reads.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use socialrx_domain::Permission;
use socialrx_domain::directory::Category;
use socialrx_search::SearchIndex;
use socialrx_search::geo::Gazetteer;
use socialrx_store::{Store, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

use super::DirectorySettings;
use super::dto::*;
use crate::access::Authorized;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;

type Index = web::Data<Arc<SearchIndex>>;

/// Tells the search index about a change the store has committed. The index follows the
/// store's change feed too, so a failure here only delays the change by a second.
pub fn reindex(index: &SearchIndex, activity: socialrx_domain::directory::Activity) {
    if let Err(e) = index.upsert(activity) {
        tracing::warn!(error = %e, "search index update deferred to the change feed");
    }
}

fn view(settings: &DirectorySettings) -> View {
    View {
        now: OffsetDateTime::now_utc(),
        stale_after_days: settings.stale_after_days,
    }
}

fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// `If-Match: "3"` (or `W/"3"`); `*` or no header means unconditional.
fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = value.to_str().unwrap_or("").trim();
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            ApiError::validation(
                "If-Match",
                "etag_format",
                "must be an ETag this API gave out, such as \"3\"",
            )
        })
}

/// Add a provider: an organisation that runs activities.
#[utoipa::path(post, path = "/v1/providers", tag = "directory", operation_id = "create_provider",
    security(("bearer" = [])),
    request_body(content = ProviderRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = ProviderResponse,
            headers(("Location" = String, description = "The provider's address"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_provider(
    caller: Authorized,
    body: Json<ProviderRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let provider = body.value.into_domain()?;
    let created = store
        .create_provider(caller.organisation.as_str(), provider)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/providers/{}", created.id)))
        .json(ProviderResponse::from(created)))
}

/// Replace a provider of your organisation.
#[utoipa::path(put, path = "/v1/providers/{id}", tag = "directory", operation_id = "update_provider",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The provider's id")),
    request_body(content = ProviderRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced", body = ProviderResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider of your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_provider(
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<ProviderRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let provider = body.value.into_domain()?;
    let id = id.into_inner();
    let updated = store
        .update_provider(caller.organisation.as_str(), id, provider)
        .await?;
    // Activities show their provider's name; the store marks them changed and the
    // search index's change feed picks them up within a second.
    Ok(HttpResponse::Ok().json(ProviderResponse::from(updated)))
}

/// Read a provider.
#[utoipa::path(get, path = "/v1/providers/{id}", tag = "directory", operation_id = "get_provider",
    params(("id" = Uuid, Path, description = "The provider's id")),
    responses(
        (status = 200, description = "The provider", body = ProviderResponse),
        (status = 404, description = "No such provider", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_provider(
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let provider = store.get_provider(id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProviderResponse::from(provider)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProvidersQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

/// List providers, oldest first.
#[utoipa::path(get, path = "/v1/providers", tag = "directory", operation_id = "list_providers",
    params(ListProvidersQuery),
    responses(
        (status = 200, description = "A page of providers", body = ProviderPage),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_providers(
    query: web::Query<ListProvidersQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = socialrx_domain::Violations::new();
    let page_request = crate::paging::page(&mut v, q.limit, q.cursor);
    if !v.is_empty() {
        return Err(ApiError::Validation(v.into_errors()));
    }
    let page = store.list_providers(page_request).await?;
    Ok(HttpResponse::Ok().json(ProviderPage {
        items: page.items.into_iter().map(ProviderResponse::from).collect(),
        next_cursor: page.next.map(crate::paging::encode_cursor),
    }))
}

/// Add an activity.
///
/// The provider must be one of your organisation's. A location with a postcode but no
/// coordinates is placed at its postcode sector's centre (an unknown or non-GB postcode is
/// 422). The activity is searchable at once.
#[utoipa::path(post, path = "/v1/activities", tag = "directory", operation_id = "create_activity",
    security(("bearer" = [])),
    request_body(content = ActivityRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = ActivityResponse,
            headers(("Location" = String, description = "The activity's address"), ("ETag" = String, description = "Its version"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules, or the provider is not one of yours", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_activity(
    caller: Authorized,
    body: Json<ActivityRequest>,
    store: web::Data<Arc<dyn Store>>,
    index: Index,
    gazetteer: web::Data<Arc<Gazetteer>>,
    settings: web::Data<DirectorySettings>,
) -> Result<HttpResponse, ApiError> {
    let now = OffsetDateTime::now_utc();
    let activity = body.value.into_domain(now.date(), &gazetteer)?;
    let created = store
        .create_activity(caller.organisation.as_str(), activity)
        .await
        .map_err(not_your_provider)?;
    reindex(&index, created.clone());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/activities/{}", created.id)))
        .insert_header(etag(created.version))
        .json(ActivityResponse::for_its_editor(&created, view(&settings))))
}

fn not_your_provider(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::validation(
            "provider_id",
            "unknown_provider",
            "is not a provider of your organisation; add it with POST /v1/providers first",
        ),
        other => other.into(),
    }
}

/// Replace an activity of your organisation.
///
/// Send the `ETag` you read in `If-Match`: if the activity changed meanwhile the answer is
/// 412 and nothing is written.
#[utoipa::path(put, path = "/v1/activities/{id}", tag = "directory", operation_id = "update_activity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^\s*(\*|(W/)?"*[+-]?[0-9]{1,18}"*)\s*$"#, description = "The ETag last read, such as \"3\"")),
    request_body(content = ActivityRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced", body = ActivityResponse,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The activity changed since the ETag you sent", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[allow(clippy::too_many_arguments)]
pub async fn update_activity(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<ActivityRequest>,
    store: web::Data<Arc<dyn Store>>,
    index: Index,
    gazetteer: web::Data<Arc<Gazetteer>>,
    settings: web::Data<DirectorySettings>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let now = OffsetDateTime::now_utc();
    let activity = body.value.into_domain(now.date(), &gazetteer)?;
    let id = id.into_inner();
    let org = caller.organisation.as_str();
    let updated = match store.update_activity(org, id, expected, activity).await {
        // Tell "no such activity" from "a provider that is not yours".
        Err(StoreError::NotFound) => {
            let existing = store.get_activity(id).await?;
            if existing.organisation != org {
                return Err(ApiError::NotFound);
            }
            return Err(not_your_provider(StoreError::NotFound));
        }
        other => other?,
    };
    reindex(&index, updated.clone());
    Ok(HttpResponse::Ok()
        .insert_header(etag(updated.version))
        .json(ActivityResponse::for_its_editor(&updated, view(&settings))))
}

/// Remove an activity of your organisation from the directory.
///
/// Connections already made to it keep their history.
#[utoipa::path(delete, path = "/v1/activities/{id}", tag = "directory", operation_id = "delete_activity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_activity(
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
    index: Index,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    store
        .delete_activity(caller.organisation.as_str(), id)
        .await?;
    if let Err(e) = index.remove(id) {
        tracing::warn!(error = %e, "search index removal deferred to the change feed");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Read an activity.
///
/// Public. A confidential location shows only its `area`, except to a directory editor of
/// the activity's organisation sending their token, who sees the full address to check
/// and correct it. A missing or other token gets the public view.
#[utoipa::path(get, path = "/v1/activities/{id}", tag = "directory", operation_id = "get_activity",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    responses(
        (status = 200, description = "The activity", body = ActivityResponse,
            headers(("ETag" = String, description = "Its version"))),
        (status = 404, description = "No such activity", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_activity(
    caller: Option<Caller>,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
    settings: web::Data<DirectorySettings>,
) -> Result<HttpResponse, ApiError> {
    let activity = store.get_activity(id.into_inner()).await?;
    // A public route: any token, valid or not, falls back to the public view.
    let its_editor = caller.is_some_and(|c| {
        c.require(Permission::EditDirectory).is_ok()
            && c.organisation.as_str() == activity.organisation
    });
    let body = if its_editor {
        ActivityResponse::for_its_editor(&activity, view(&settings))
    } else {
        ActivityResponse::new(&activity, view(&settings), None)
    };
    Ok(HttpResponse::Ok()
        .insert_header(etag(activity.version))
        .json(body))
}

/// The category taxonomy.
#[utoipa::path(get, path = "/v1/categories", tag = "directory", operation_id = "list_categories",
    responses((status = 200, description = "Every category, in order", body = Vec<CategoryResponse>)))]
pub async fn list_categories() -> HttpResponse {
    HttpResponse::Ok().json(
        Category::ALL
            .iter()
            .map(|c| CategoryResponse {
                code: c.as_str().to_owned(),
                label: c.label().to_owned(),
            })
            .collect::<Vec<_>>(),
    )
}
