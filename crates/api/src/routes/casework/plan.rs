//! `GET/PUT /v1/referrals/{id}/plan`: the personal plan, versioned with `ETag`/`If-Match`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::plan::{self, Plan, Step, StepStatus, StoredPlan};
use socialrx_domain::{FieldError, Violations, limits, text};
use socialrx_store::{PlanSaved, Store};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::error::ApiError;
use crate::extract::Json;
use crate::precondition::{IfMatch, etag};
use crate::schema::{code_list_schema, validation_errors};
use socialrx_domain::when::parse_date;

crate::schema::codes!(StepStatusCodes = StepStatus);

/// The whole plan, as it should be from now on: the PRSB standard's "Care and support
/// plan". Fields left out are saved empty, as in any `PUT`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "what_matters_to_me": "How does your day look? Quiet; I don't see anyone. What is your passion? Gardening, before my knee. What has helped before? Walking with my sister.",
    "goals": ["Get out of the house three times a week"],
    "steps": [{"text": "Short walk to Potternewton Park with the printed directions", "due_on": "2026-11-30", "status": "planned", "who": "Margaret, with her sister", "confidence": 6, "review_on": "2026-12-07"}],
    "strengths": ["Knows the local history society from before", "Her sister lives nearby"],
    "agreed_with_person": true,
    "planned_review_on": "2027-01-11",
    "review_by": "Sam Taylor, link worker"
}))]
pub struct PlanRequest {
    /// What matters to the person, in their words.
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub what_matters_to_me: Option<String>,
    /// At most 20, each at most 500 characters.
    #[serde(default)]
    #[schema(schema_with = crate::schema::labels_schema::<{ plan::ITEM_TEXT }, { plan::MAX_GOALS }>)]
    pub goals: Vec<String>,
    /// Small steps, at most 50.
    #[serde(default)]
    #[schema(max_items = 50)]
    #[validate(nested)]
    pub steps: Vec<StepRequest>,
    /// The person's strengths and assets that bear on their goals: at most 20, each at
    /// most 500 characters.
    #[serde(default)]
    #[schema(schema_with = crate::schema::labels_schema::<{ plan::ITEM_TEXT }, { plan::MAX_STRENGTHS }>)]
    pub strengths: Vec<String>,
    /// Whether the plan was discussed and agreed with the person or their legitimate
    /// representative.
    pub agreed_with_person: Option<bool>,
    /// `YYYY-MM-DD`: when the plan is next to be reviewed.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10)]
    pub planned_review_on: Option<String>,
    /// Who arranges that review (name and role): one line, at most 70 characters.
    #[validate(length(max = 70))]
    #[schema(max_length = 70, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub review_by: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    #[validate(length(max = 500))]
    #[schema(
        max_length = 500,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub text: String,
    /// `YYYY-MM-DD`.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10)]
    pub due_on: Option<String>,
    /// `planned` when absent.
    #[schema(schema_with = code_list_schema::<StepStatusCodes>)]
    pub status: Option<String>,
    /// Who carries it out (the person, a carer, a named professional or team): one line,
    /// at most 70 characters.
    #[validate(length(max = 70))]
    #[schema(max_length = 70, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub who: Option<String>,
    /// How confident the person feels to do it, 1 (not at all) to 10 (completely).
    #[schema(minimum = 1, maximum = 10)]
    pub confidence: Option<i64>,
    /// `YYYY-MM-DD`: when to look at this step again.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10)]
    pub review_on: Option<String>,
}

impl PlanRequest {
    pub fn into_domain(self) -> Result<Plan, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let what = v
            .check_opt("what_matters_to_me", self.what_matters_to_me, |t| {
                text::free_text(&t, limits::NOTES)
            })
            .map(Option::flatten);
        v.check(
            "goals",
            plan::check_count(self.goals.len(), plan::MAX_GOALS),
        );
        v.check(
            "steps",
            plan::check_count(self.steps.len(), plan::MAX_STEPS),
        );
        v.check(
            "strengths",
            plan::check_count(self.strengths.len(), plan::MAX_STRENGTHS),
        );
        let goals = items(&mut v, "goals", &self.goals);
        let strengths = items(&mut v, "strengths", &self.strengths);
        let planned_review_on = v.check_opt("planned_review_on", self.planned_review_on, |d| {
            parse_date(&d)
        });
        let review_by = v
            .check_opt("review_by", self.review_by, |r| plan::name_and_role(&r))
            .map(Option::flatten);
        let steps: Vec<Step> = self
            .steps
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| step(&mut v, i, s))
            .collect();
        v.finish(|| {
            Some(Plan {
                what_matters_to_me: what?,
                goals,
                steps,
                strengths,
                agreed_with_person: self.agreed_with_person,
                planned_review_on: planned_review_on?,
                review_by: review_by?,
            })
        })
    }
}

/// One step of the plan, checked; `None` when any of its fields breaks a rule (each
/// recorded in `v`).
fn step(v: &mut Violations, i: usize, s: StepRequest) -> Option<Step> {
    let text = v.check(
        &format!("steps[{i}].text"),
        text::label(&s.text, plan::ITEM_TEXT),
    );
    let due_on = v.check_opt(&format!("steps[{i}].due_on"), s.due_on, |d| parse_date(&d));
    let status = v.check_opt(&format!("steps[{i}].status"), s.status, |x| {
        StepStatus::parse(&x)
    });
    let who = v
        .check_opt(&format!("steps[{i}].who"), s.who, |w| {
            plan::name_and_role(&w)
        })
        .map(Option::flatten);
    let confidence = v.check_opt(
        &format!("steps[{i}].confidence"),
        s.confidence,
        plan::confidence,
    );
    let review_on = v.check_opt(&format!("steps[{i}].review_on"), s.review_on, |d| {
        parse_date(&d)
    });
    Some(Step {
        text: text?,
        due_on: due_on?,
        status: status?.unwrap_or(StepStatus::Planned),
        who: who?,
        confidence: confidence?,
        review_on: review_on?,
    })
}

/// Each entry of a list of short texts (goals, strengths), named `field[i]`.
fn items(v: &mut Violations, field: &str, raw: &[String]) -> Vec<String> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, item)| v.check(&format!("{field}[{i}]"), plan::item(item)))
        .collect()
}

/// The personal plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a",
    "version": 1,
    "what_matters_to_me": "Local and family history; crochet.",
    "goals": ["Meet people who share her interests"],
    "steps": [{"text": "Go to the local history group with Sam", "due_on": "2026-11-30", "status": "planned", "who": "Margaret and Sam (link worker)", "confidence": 7, "review_on": "2026-12-07"}],
    "strengths": ["Knows a lot about the area's history", "Good with her hands"],
    "agreed_with_person": true,
    "planned_review_on": "2027-01-11",
    "review_by": "Sam Taylor, link worker",
    "updated_by": "idp|sam.taylor",
    "updated_at": "2026-11-23T10:40:00Z"
}))]
pub struct PlanResponse {
    pub referral_id: Uuid,
    /// 0 until the plan is first saved. Also sent as the `ETag`.
    pub version: u32,
    pub what_matters_to_me: Option<String>,
    /// Plain texts: the standard's coded goals with importance scores are not modelled.
    pub goals: Vec<String>,
    pub steps: Vec<StepResponse>,
    pub strengths: Vec<String>,
    pub agreed_with_person: Option<bool>,
    #[schema(value_type = Option<String>, format = Date)]
    pub planned_review_on: Option<String>,
    pub review_by: Option<String>,
    pub updated_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepResponse {
    pub text: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<String>,
    #[schema(schema_with = code_list_schema::<StepStatusCodes>)]
    pub status: String,
    pub who: Option<String>,
    #[schema(minimum = 1, maximum = 10)]
    pub confidence: Option<u8>,
    #[schema(value_type = Option<String>, format = Date)]
    pub review_on: Option<String>,
}

impl From<StoredPlan> for PlanResponse {
    fn from(p: StoredPlan) -> Self {
        Self {
            referral_id: p.referral_id,
            version: p.version,
            what_matters_to_me: p.plan.what_matters_to_me,
            goals: p.plan.goals,
            steps: p
                .plan
                .steps
                .into_iter()
                .map(|s| StepResponse {
                    text: s.text,
                    due_on: s.due_on.map(|d| d.to_string()),
                    status: s.status.as_str().to_owned(),
                    who: s.who,
                    confidence: s.confidence,
                    review_on: s.review_on.map(|d| d.to_string()),
                })
                .collect(),
            strengths: p.plan.strengths,
            agreed_with_person: p.plan.agreed_with_person,
            planned_review_on: p.plan.planned_review_on.map(|d| d.to_string()),
            review_by: p.plan.review_by,
            updated_by: p.updated_by,
            updated_at: p.updated_at,
        }
    }
}

fn plan_response(plan: StoredPlan) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(plan.version)))
        .json(PlanResponse::from(plan))
}

/// Read the plan: what matters to the person, their strengths, goals and small steps,
/// whether it was agreed with them, and when it is next reviewed.
///
/// A referral's plan is empty (version 0) until first saved. The `ETag` is what a `PUT`
/// sends back in `If-Match`.
#[utoipa::path(get, path = "/v1/referrals/{id}/plan", tag = "casework", operation_id = "get_plan",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The plan", body = PlanResponse,
            headers(("ETag" = String, description = "The plan's version, for If-Match"))),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_plan(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let plan = store.get_plan(&caller.audit(&req), id.into_inner()).await?;
    Ok(plan_response(plan))
}

/// Replace the plan.
///
/// Send the whole plan with `If-Match` carrying the `ETag` last read (a field left out is
/// saved empty, so send back what you read and do not change): without `If-Match` the
/// answer is 428; when someone saved a newer version meanwhile it is 412 (read it again, merge,
/// retry). Every version is kept and shows in the timeline. Plans of declined and closed
/// referrals no longer change (409).
#[utoipa::path(put, path = "/v1/referrals/{id}/plan", tag = "casework", operation_id = "put_plan",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The referral's id"),
        ("If-Match" = String, Header, pattern = r#"^\s*(W/)?"[\x21\x23-\x7e]*"\s*(,\s*(W/)?"[\x21\x23-\x7e]*"\s*)*$"#, description = "The ETag of the plan as last read"),
    ),
    request_body(content = PlanRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = PlanResponse,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is declined or closed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The plan changed since the ETag was read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing (or *)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_plan(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PlanRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.required()?;
    let plan = body.value.into_domain()?;
    match store
        .put_plan(&caller.audit(&req), id.into_inner(), &expected, plan)
        .await?
    {
        PlanSaved::Saved(plan) => Ok(plan_response(plan)),
        PlanSaved::Stale { current_version } => Err(ApiError::PreconditionFailed(format!(
            "the plan is now at version {}; read it again, merge your changes and retry",
            etag(current_version)
        ))),
        PlanSaved::NotOpen(status) => Err(ApiError::Conflict {
            detail: format!("the referral is '{status}'; its plan no longer changes"),
            current: Some(status.as_str().to_owned()),
            allowed: None,
        }),
    }
}
