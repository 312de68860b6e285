//! Tenants and their staff: `/v1/organisations` and `/v1/staff`, for admins.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::organisation::{self, NewOrganisation, NewStaffMember, OrganisationKind};
use socialrx_domain::person::Email;
use socialrx_domain::{FieldError, OdsCode, Role, Violations, limits, text};
use socialrx_store::{Organisation, StaffMember, Store};
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
use crate::schema::{code_list_schema, codes_array_schema, validation_errors};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_organisations, ManageOrganisations),
    endpoint!(create_organisation, ManageOrganisations),
    endpoint!(list_staff, ManageStaff),
    endpoint!(create_staff_member, ManageStaff),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "organisations", description = "Tenants (by ODS code) and their staff"))
)]
pub struct Api;

crate::schema::codes!(KindCodes = OrganisationKind);
crate::schema::codes!(RoleCodes = Role);

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ods_code": "Y02794", "name": "Kirklees Social Prescribing Service", "kind": "social_prescribing_service"}))]
pub struct CreateOrganisationRequest {
    #[validate(length(max = 10))]
    #[schema(max_length = 10, pattern = r"^[A-Za-z0-9]{3,10}$")]
    pub ods_code: String,
    #[validate(length(max = 200))]
    #[schema(
        max_length = 200,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[schema(schema_with = code_list_schema::<KindCodes>)]
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationResponse {
    pub id: Uuid,
    pub ods_code: String,
    pub name: String,
    #[schema(schema_with = code_list_schema::<KindCodes>)]
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<Organisation> for OrganisationResponse {
    fn from(o: Organisation) -> Self {
        Self {
            id: o.id,
            ods_code: o.ods_code.as_str().to_owned(),
            name: o.name,
            kind: o.kind.as_str().to_owned(),
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationPage {
    pub items: Vec<OrganisationResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "idp|7f3a9c", "name": "Sam Okafor", "email": "sam.okafor@example.nhs.uk", "roles": ["link_worker"]}))]
pub struct CreateStaffMemberRequest {
    /// The `sub` claim this person's tokens carry.
    #[validate(length(max = 200))]
    #[schema(
        max_length = 200,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub subject: String,
    #[validate(length(max = 100))]
    #[schema(
        max_length = 100,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[validate(length(max = 254))]
    #[schema(
        max_length = 254,
        pattern = r"^([^\s@\x00-\x1f\x7f-\x9f]+@[^\s@.\x00-\x1f\x7f-\x9f]+(\.[^\s@.\x00-\x1f\x7f-\x9f]+)+)$"
    )]
    pub email: Option<String>,
    #[validate(length(min = 1, max = 5))]
    #[schema(schema_with = codes_array_schema::<RoleCodes>)]
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffMemberResponse {
    pub id: Uuid,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    #[schema(schema_with = codes_array_schema::<RoleCodes>)]
    pub roles: Vec<String>,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<StaffMember> for StaffMemberResponse {
    fn from(s: StaffMember) -> Self {
        Self {
            id: s.id,
            subject: s.subject,
            name: s.name,
            email: s.email,
            roles: s.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            active: s.active,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffPage {
    pub items: Vec<StaffMemberResponse>,
    pub next_cursor: Option<String>,
}

impl CreateOrganisationRequest {
    fn into_domain(self) -> Result<NewOrganisation, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let ods_code = v.check("ods_code", OdsCode::parse(&self.ods_code));
        let name = v.check("name", text::label(&self.name, limits::SHORT_TEXT));
        let kind = v.check("kind", OrganisationKind::parse(&self.kind));
        v.finish(|| {
            Some(NewOrganisation {
                ods_code: ods_code?,
                name: name?,
                kind: kind?,
            })
        })
    }
}

impl CreateStaffMemberRequest {
    fn into_domain(self) -> Result<NewStaffMember, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let subject = v.check("subject", text::label(&self.subject, limits::SHORT_TEXT));
        let name = v.check("name", text::label(&self.name, limits::NAME));
        let email = v.check_opt("email", self.email, |e| Email::parse(&e));
        let mut roles = Vec::new();
        for (i, code) in self.roles.iter().enumerate() {
            if let Some(role) = v.check(&format!("roles[{i}]"), Role::parse(code)) {
                roles.push(role);
            }
        }
        let roles = if roles.len() == self.roles.len() {
            v.check("roles", organisation::staff_roles(roles))
        } else {
            None
        };
        v.finish(|| {
            Some(NewStaffMember {
                subject: subject?,
                name: name?,
                email: email?,
                roles: roles?,
            })
        })
    }
}

/// Register an organisation (a tenant) by its ODS code.
///
/// Organisation records are reference data (ODS codes are public); the personal data each
/// organisation holds is only ever visible to tokens whose `org` claim names it.
#[utoipa::path(post, path = "/v1/organisations", tag = "organisations", operation_id = "create_organisation",
    security(("bearer" = [])),
    request_body(content = CreateOrganisationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered", body = OrganisationResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "That ODS code is already registered", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_organisation(
    _caller: Authorized,
    body: Json<CreateOrganisationRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.into_domain()?;
    let org = store.create_organisation(new).await?;
    Ok(HttpResponse::Created().json(OrganisationResponse::from(org)))
}

/// List registered organisations.
#[utoipa::path(get, path = "/v1/organisations", tag = "organisations", operation_id = "list_organisations",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of organisations", body = OrganisationPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_organisations(
    _caller: Authorized,
    query: web::Query<PageQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let page = store
        .list_organisations(query.into_inner().parse()?)
        .await?;
    Ok(HttpResponse::Ok().json(OrganisationPage {
        items: page
            .items
            .into_iter()
            .map(OrganisationResponse::from)
            .collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// Add a member of staff to your organisation.
///
/// `subject` is the `sub` claim of their tokens. The roles recorded here are the
/// organisation's record of who should hold what; tokens carry the roles in force.
#[utoipa::path(post, path = "/v1/staff", tag = "organisations", operation_id = "create_staff_member",
    security(("bearer" = [])),
    request_body(content = CreateStaffMemberRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = StaffMemberResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "That subject is already a member of staff", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_staff_member(
    caller: Authorized,
    body: Json<CreateStaffMemberRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.into_domain()?;
    let member = store
        .create_staff_member(caller.organisation.as_str(), new)
        .await?;
    Ok(HttpResponse::Created().json(StaffMemberResponse::from(member)))
}

/// List your organisation's staff.
#[utoipa::path(get, path = "/v1/staff", tag = "organisations", operation_id = "list_staff",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of staff", body = StaffPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_staff(
    caller: Authorized,
    query: web::Query<PageQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let page = store
        .list_staff(caller.organisation.as_str(), query.into_inner().parse()?)
        .await?;
    Ok(HttpResponse::Ok().json(StaffPage {
        items: page
            .items
            .into_iter()
            .map(StaffMemberResponse::from)
            .collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}
