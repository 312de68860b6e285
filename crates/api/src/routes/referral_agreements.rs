//! Referral agreements: `POST /v1/referral-agreements`, `GET /v1/referral-agreements`,
//! `GET` and `DELETE /v1/referral-agreements/{id}`.
//!
//! A social prescribing service's admin decides who may refer in: named referrer
//! organisations (GP practices, agencies), or every organisation with a valid token from
//! a configured identity provider. `POST /v1/referrals` and FHIR intake check the same
//! agreements; self-referral partners are managed apart (`/v1/partners`).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::FieldError;
use socialrx_domain::agreement::Referrers;
use socialrx_store::{ReferralAgreement, Store};
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
    endpoint!(list_agreements, ManageReferralAgreements),
    endpoint!(create_agreement, ManageReferralAgreements),
    endpoint!(get_agreement, ManageReferralAgreements),
    endpoint!(delete_agreement, ManageReferralAgreements),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "referral agreements", description = "Which organisations may refer into your service"))
)]
pub struct Api;

const PATH: &str = "/v1/referral-agreements";

/// Who may refer in: exactly one of the two.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"referrer_ods_code": "B85001"}))]
pub struct CreateAgreementRequest {
    /// A named referrer organisation (a GP practice, an agency), by ODS code.
    #[validate(length(max = 10))]
    #[schema(
        max_length = 10,
        example = "B85001",
        pattern = r"^(\s*|[A-Za-z0-9]{3,10})$"
    )]
    pub referrer_ods_code: Option<String>,
    /// Every organisation whose token this identity provider signed (its `iss`), for
    /// example a regional identity provider all local practices sign in with.
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub issuer: Option<String>,
}

impl CreateAgreementRequest {
    fn into_domain(self) -> Result<Referrers, Vec<FieldError>> {
        let mut errors = validation_errors(&self);
        if !errors.is_empty() {
            return Err(errors);
        }
        let field = match (&self.referrer_ods_code, &self.issuer) {
            (Some(_), None) => "referrer_ods_code",
            (None, Some(_)) => "issuer",
            _ => "referrer_ods_code",
        };
        Referrers::parse(self.referrer_ods_code.as_deref(), self.issuer.as_deref()).map_err(|e| {
            errors.push(FieldError::new(field, e.code, e.message));
            errors
        })
    }
}

/// One agreement of your service.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019ab0c4-4f1e-7c39-8a1d-6d2b0f3e9a10", "organisation": "Y02794",
    "referrer_ods_code": "B85001", "issuer": null, "created_by": "admin-1",
    "created_at": "2026-12-01T09:30:00Z"}))]
pub struct AgreementResponse {
    pub id: Uuid,
    /// Your service (ODS code).
    pub organisation: String,
    /// The named referrer organisation, or null for an identity-provider agreement.
    pub referrer_ods_code: Option<String>,
    /// The identity provider, or null for a named organisation.
    pub issuer: Option<String>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<ReferralAgreement> for AgreementResponse {
    fn from(a: ReferralAgreement) -> Self {
        let (referrer_ods_code, issuer) = match a.referrers {
            Referrers::Organisation(ods) => (Some(ods.as_str().to_owned()), None),
            Referrers::Issuer(iss) => (None, Some(iss)),
        };
        Self {
            id: a.id,
            organisation: a.organisation,
            referrer_ods_code,
            issuer,
            created_by: a.created_by,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementPage {
    pub items: Vec<AgreementResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Accept referrals from another organisation.
///
/// Name one referrer organisation by ODS code, or an identity provider whose every
/// organisation may refer in. Your own organisation needs no agreement. The same
/// agreement twice is 409. Audited.
#[utoipa::path(post, path = "/v1/referral-agreements", tag = "referral agreements", operation_id = "create_referral_agreement",
    security(("bearer" = [])),
    request_body(content = CreateAgreementRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Agreed", body = AgreementResponse,
            headers(("Location" = String, description = "The agreement's address"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "This agreement exists already", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of referrer_ods_code and issuer, or one breaks its rule", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_agreement(
    req: HttpRequest,
    caller: Authorized,
    body: Json<CreateAgreementRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let referrers = body.value.into_domain()?;
    let agreement = store
        .create_agreement(&caller.audit(&req), referrers)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{PATH}/{}", agreement.id)))
        .json(AgreementResponse::from(agreement)))
}

/// List your service's referral agreements, newest first.
#[utoipa::path(get, path = "/v1/referral-agreements", tag = "referral agreements", operation_id = "list_referral_agreements",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of agreements", body = AgreementPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_agreements(
    caller: Authorized,
    query: web::Query<PageQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let page = store
        .list_agreements(caller.organisation.as_str(), query.into_inner().parse()?)
        .await?;
    Ok(HttpResponse::Ok().json(AgreementPage {
        items: page
            .items
            .into_iter()
            .map(AgreementResponse::from)
            .collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// Read one referral agreement.
#[utoipa::path(get, path = "/v1/referral-agreements/{id}", tag = "referral agreements", operation_id = "get_referral_agreement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The agreement's id")),
    responses(
        (status = 200, description = "The agreement", body = AgreementResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agreement of your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_agreement(
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let agreement = store
        .get_agreement(caller.organisation.as_str(), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(AgreementResponse::from(agreement)))
}

/// End a referral agreement.
///
/// Referrals it covered are refused from now on; those already received stay with your
/// service, and their referrer organisation still reads back its view of them. Audited.
#[utoipa::path(delete, path = "/v1/referral-agreements/{id}", tag = "referral agreements", operation_id = "delete_referral_agreement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The agreement's id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agreement of your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_agreement(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    store
        .delete_agreement(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
