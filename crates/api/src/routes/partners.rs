//! Partner forms: `POST /v1/partners`, `GET /v1/partners`, `DELETE /v1/partners/{id}`.
//!
//! An organisation's admin registers each partner website that hosts a self-referral form,
//! with the web origins it may post from, and gets the partner's key once.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::partner::{self, NewPartner, Origin, Partner, PartnerKey};
use socialrx_domain::{FieldError, Violations, limits, text};
use socialrx_store::Store;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;
use crate::paging::PageQuery;
use crate::paging::encode_cursor;
use crate::schema::validation_errors;

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_partners, ManagePartners),
    endpoint!(create_partner, ManagePartners),
    endpoint!(revoke_partner, ManagePartners),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "partners", description = "Partner websites that host self-referral forms"))
)]
pub struct Api;

/// A partner website to register.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Carers Trust Birmingham", "allowed_origins": ["https://www.carers-birmingham.org.uk", "https://carers-birmingham.org.uk"]}))]
pub struct CreatePartnerRequest {
    /// Shown to staff as the referrer of the partner's self-referrals.
    #[validate(length(max = 100))]
    #[schema(
        max_length = 100,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// The exact web origins whose pages may post with the key: `https://host[:port]`,
    /// no path (`http` only for `localhost` and `127.0.0.1`). Wildcards are refused.
    #[validate(length(max = 20))]
    #[schema(schema_with = crate::schema::origins_schema, example = json!(["https://www.carers-birmingham.org.uk"]))]
    pub allowed_origins: Vec<String>,
}

impl CreatePartnerRequest {
    pub fn into_domain(self) -> Result<NewPartner, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let name = v.check("name", text::label(&self.name, limits::NAME));
        let mut origins = Vec::with_capacity(self.allowed_origins.len());
        for (i, raw) in self.allowed_origins.iter().enumerate() {
            if let Some(o) = v.check(&format!("allowed_origins[{i}]"), Origin::parse(raw)) {
                origins.push(o);
            }
        }
        let origins = if origins.len() == self.allowed_origins.len() {
            v.check("allowed_origins", partner::allowed_origins(origins))
        } else {
            None
        };
        v.finish(|| {
            Some(NewPartner {
                name: name?,
                allowed_origins: origins?,
            })
        })
    }
}

/// A registered partner form. The key itself is never shown again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019aa0c4-4f1e-7c39-8a1d-6d2b0f3e9a10", "name": "Carers Trust Birmingham",
    "allowed_origins": ["https://www.carers-birmingham.org.uk"], "key_prefix": "srxpk_7hQm", "active": true,
    "created_at": "2026-11-22T09:30:00Z", "disabled_at": null}))]
pub struct PartnerResponse {
    pub id: Uuid,
    pub name: String,
    pub allowed_origins: Vec<String>,
    /// The first characters of the key, to tell keys apart.
    pub key_prefix: String,
    /// False once revoked.
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<OffsetDateTime>,
}

impl From<Partner> for PartnerResponse {
    fn from(p: Partner) -> Self {
        Self {
            id: p.id,
            name: p.name,
            allowed_origins: p
                .allowed_origins
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
            key_prefix: p.key_prefix,
            active: p.active,
            created_at: p.created_at,
            disabled_at: p.disabled_at,
        }
    }
}

/// What `POST /v1/partners` answers: the partner and, this once, its key.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019aa0c4-4f1e-7c39-8a1d-6d2b0f3e9a10", "name": "Carers Trust Birmingham",
    "allowed_origins": ["https://www.carers-birmingham.org.uk"], "active": true,
    "key": "srxpk_7hQmX2vLr9TcKp4WnY8sD3fGa6JbZ1eU", "key_prefix": "srxpk_7hQm",
    "embed_path": "/embed/self-referral?key=srxpk_7hQmX2vLr9TcKp4WnY8sD3fGa6JbZ1eU",
    "created_at": "2026-11-22T09:30:00Z"}))]
pub struct PartnerCreated {
    pub id: Uuid,
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub active: bool,
    /// The partner key, for the `X-Partner-Key` header. Shown only now: only its hash is
    /// kept. It is a publishable key (it sits in the partner's web page), not a secret.
    pub key: String,
    pub key_prefix: String,
    /// The embeddable form of this partner, relative to this service's address.
    pub embed_path: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerPage {
    pub items: Vec<PartnerResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Register a partner website's self-referral form.
///
/// Answers the partner's key once; only its SHA-256 is kept, so a lost key means a new
/// partner (and revoking the old one). Not idempotent for that reason: a retry registers
/// a second partner with another key.
#[utoipa::path(post, path = "/v1/partners", tag = "partners", operation_id = "create_partner",
    security(("bearer" = [])),
    request_body(content = CreatePartnerRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; the key is in this answer only", body = PartnerCreated),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The name or an origin breaks a rule", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_partner(
    req: HttpRequest,
    caller: Authorized,
    body: Json<CreatePartnerRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.into_domain()?;
    let key = PartnerKey::generate();
    let partner = store
        .create_partner(&caller.audit(&req), new, &key.hash(), key.shown_prefix())
        .await?;
    Ok(HttpResponse::Created().json(PartnerCreated {
        id: partner.id,
        name: partner.name,
        allowed_origins: partner
            .allowed_origins
            .iter()
            .map(|o| o.as_str().to_owned())
            .collect(),
        active: partner.active,
        key: key.as_str().to_owned(),
        key_prefix: partner.key_prefix,
        embed_path: format!("/embed/self-referral?key={}", key.as_str()),
        created_at: partner.created_at,
    }))
}

/// List the organisation's partner forms, newest first, revoked ones included.
///
/// Keys are never listed, only their first characters.
#[utoipa::path(get, path = "/v1/partners", tag = "partners", operation_id = "list_partners",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of partners", body = PartnerPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_partners(
    caller: Authorized,
    query: web::Query<PageQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let page = store
        .list_partners(caller.organisation.as_str(), query.into_inner().parse()?)
        .await?;
    Ok(HttpResponse::Ok().json(PartnerPage {
        items: page.items.into_iter().map(PartnerResponse::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// Revoke a partner form: its key is refused from now on, by the API and the embedded
/// form alike.
///
/// Permanent; register a new partner for a new key. Revoking a revoked partner answers
/// it unchanged.
#[utoipa::path(delete, path = "/v1/partners/{id}", tag = "partners", operation_id = "revoke_partner",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "Revoked", body = PartnerResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_partner(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let partner = store
        .disable_partner(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(PartnerResponse::from(partner)))
}
