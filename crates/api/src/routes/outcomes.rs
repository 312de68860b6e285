//! Outcome measurements (`/v1/referrals/{id}/outcomes`), instruments and an organisation's
//! licensed wording (`/v1/instruments`).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::outcome::{self, Instrument, NewMeasurement, ScaleChange, TimePoint};
use socialrx_domain::referrer_view::{self, Measured};
use socialrx_domain::{FieldError, Violations, text};
use socialrx_store::{InstrumentWording, Measurement, Store};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;
use crate::schema::{code_list_schema, validation_errors};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_outcomes, ReadOutcomes),
    endpoint!(record_outcome, RecordOutcome),
    endpoint!(list_instruments, ReadOutcomes),
    endpoint!(set_instrument_wording, ManageInstruments),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags(
        (name = "outcomes", description = "Outcome measurements with validated instruments, scored by the service"),
    )
)]
pub struct Api;

crate::schema::codes!(InstrumentCodes = Instrument);
crate::schema::codes!(TimePointCodes = TimePoint);

/// Longest item wording an organisation may attach, per item.
const ITEM_WORDING: usize = 500;

// ---------------------------------------------------------------------------------------
// Requests

/// One instrument answered at one time point.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"instrument": "swemwbs", "time_point": "baseline", "measured_on": "2026-11-20", "answers": [3, 2, 3, 3, 2, 3, 3]}))]
pub struct RecordOutcomeRequest {
    #[schema(schema_with = code_list_schema::<InstrumentCodes>)]
    pub instrument: String,
    /// `baseline` first (one per instrument); `follow_up` and `discharge` after it.
    #[schema(schema_with = code_list_schema::<TimePointCodes>)]
    pub time_point: String,
    /// `YYYY-MM-DD`, not in the future, not before the baseline.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10, example = "2026-11-20")]
    pub measured_on: String,
    /// The item answers in the instrument's order: ONS4 four items 0-10 (life
    /// satisfaction, worthwhile, happy yesterday, anxious yesterday); SWEMWBS seven items
    /// 1-5; UCLA 3-item three items 1-3.
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub answers: Vec<i64>,
}

impl RecordOutcomeRequest {
    /// Codes and date here; answers and the baseline rules are checked in the store's
    /// transaction against earlier measurements, so that every problem is listed together.
    pub fn into_domain(self, today: Date) -> Result<NewMeasurement, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let instrument = v.check("instrument", Instrument::parse(&self.instrument));
        let time_point = v.check("time_point", TimePoint::parse(&self.time_point));
        let measured_on = v.check(
            "measured_on",
            parse_date(&self.measured_on).and_then(|d| outcome::measured_on(d, today)),
        );
        if !v.is_empty()
            && let Some(instrument) = instrument
        {
            // Something else failed already: list the answers' problems now too.
            v.extend(instrument.check_answers(&self.answers));
        }
        let answers = self.answers;
        v.finish(|| {
            Some(NewMeasurement {
                instrument: instrument?,
                time_point: time_point?,
                measured_on: measured_on?,
                answers,
            })
        })
    }
}

fn parse_date(raw: &str) -> Result<Date, socialrx_domain::violations::Invalid> {
    socialrx_domain::when::parse_date(raw)
}

/// An organisation's own licensed wording of an instrument's items.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": ["(item 1 as licensed)", "(item 2 as licensed)", "(item 3 as licensed)"], "licence": "Licence 2026-117, registered 2026-10-02"}))]
pub struct InstrumentWordingRequest {
    /// One text per item, in the instrument's order; exactly as many as it has items.
    #[validate(length(max = 20))]
    #[schema(schema_with = crate::schema::labels_schema::<ITEM_WORDING, 20>)]
    pub items: Vec<String>,
    /// The organisation's licence reference.
    #[validate(length(max = 200))]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub licence: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Responses

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreResponse {
    /// `life_satisfaction`, `worthwhile`, `happy_yesterday`, `anxious_yesterday` (ONS4);
    /// `raw`, `metric` (SWEMWBS); `total` (UCLA 3-item).
    pub scale: String,
    pub value: f64,
    /// False where a fall is an improvement (ONS4 anxiety, UCLA loneliness).
    pub higher_is_better: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    pub scale: String,
    pub baseline: f64,
    pub value: f64,
    /// `value - baseline`.
    pub change: f64,
    /// The change is in the scale's good direction.
    pub improved: bool,
}

impl From<ScaleChange> for ChangeResponse {
    fn from(c: ScaleChange) -> Self {
        Self {
            scale: c.scale.to_owned(),
            baseline: c.baseline,
            value: c.value,
            change: c.change,
            improved: c.improved,
        }
    }
}

/// A recorded measurement with its scores, and (after the baseline) its change from it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f70-1111-7d40-9a51-3c2f1e0d4b7a", "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "instrument": "ucla3", "time_point": "follow_up", "measured_on": "2027-01-15", "answers": [2, 1, 2], "scores": [{"scale": "total", "value": 5.0, "higher_is_better": false}], "change_from_baseline": [{"scale": "total", "baseline": 8.0, "value": 5.0, "change": -3.0, "improved": true}], "recorded_at": "2027-01-15T11:00:00Z"}))]
pub struct MeasurementResponse {
    pub id: Uuid,
    pub referral_id: Uuid,
    #[schema(schema_with = code_list_schema::<InstrumentCodes>)]
    pub instrument: String,
    #[schema(schema_with = code_list_schema::<TimePointCodes>)]
    pub time_point: String,
    #[schema(format = Date)]
    pub measured_on: String,
    pub answers: Vec<i64>,
    pub scores: Vec<ScoreResponse>,
    /// Absent for the baseline itself.
    pub change_from_baseline: Option<Vec<ChangeResponse>>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
}

/// Per instrument: the baseline and the latest later measurement, compared.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentSummary {
    #[schema(schema_with = code_list_schema::<InstrumentCodes>)]
    pub instrument: String,
    #[schema(format = Date)]
    pub baseline_on: Option<String>,
    #[schema(format = Date)]
    pub latest_on: Option<String>,
    #[schema(schema_with = crate::schema::optional_code_list_schema::<TimePointCodes>)]
    pub latest_time_point: Option<String>,
    /// Empty until there is a baseline and a later measurement.
    pub changes: Vec<ChangeResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomesResponse {
    /// Oldest first.
    pub items: Vec<MeasurementResponse>,
    /// Change from baseline per instrument.
    pub summary: Vec<InstrumentSummary>,
}

fn baseline_of(all: &[Measurement], instrument: Instrument) -> Option<&Measurement> {
    all.iter()
        .find(|m| m.instrument == instrument && m.time_point == TimePoint::Baseline)
}

pub fn measurement_response(m: &Measurement, all: &[Measurement]) -> MeasurementResponse {
    let change = match m.time_point {
        TimePoint::Baseline => None,
        _ => baseline_of(all, m.instrument).map(|b| {
            outcome::compare(&b.scores, &m.scores)
                .into_iter()
                .map(ChangeResponse::from)
                .collect()
        }),
    };
    MeasurementResponse {
        id: m.id,
        referral_id: m.referral_id,
        instrument: m.instrument.as_str().to_owned(),
        time_point: m.time_point.as_str().to_owned(),
        measured_on: m.measured_on.to_string(),
        answers: m.answers.clone(),
        scores: m
            .scores
            .iter()
            .map(|s| ScoreResponse {
                scale: s.scale.to_owned(),
                value: s.value,
                higher_is_better: s.direction > 0,
            })
            .collect(),
        change_from_baseline: change,
        recorded_at: m.recorded_at,
    }
}

/// One summary per instrument measured, in the instruments' order. `all` is oldest first.
pub fn summaries(all: &[Measurement]) -> Vec<InstrumentSummary> {
    let measured: Vec<Measured<'_>> = all.iter().map(Measurement::measured).collect();
    referrer_view::summaries(&measured)
        .into_iter()
        .map(InstrumentSummary::from)
        .collect()
}

impl From<referrer_view::InstrumentSummary> for InstrumentSummary {
    fn from(s: referrer_view::InstrumentSummary) -> Self {
        Self {
            instrument: s.instrument.to_owned(),
            baseline_on: s.baseline_on,
            latest_on: s.latest_on,
            latest_time_point: s.latest_time_point.map(str::to_owned),
            changes: s
                .changes
                .into_iter()
                .map(|c| ChangeResponse {
                    scale: c.scale.to_owned(),
                    baseline: c.baseline,
                    value: c.value,
                    change: c.change,
                    improved: c.improved,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScaleResponse {
    pub scale: String,
    pub higher_is_better: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WordingResponse {
    pub items: Vec<String>,
    pub licence: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<InstrumentWording> for WordingResponse {
    fn from(w: InstrumentWording) -> Self {
        Self {
            items: w.items,
            licence: w.licence,
            updated_at: w.updated_at,
        }
    }
}

/// An instrument: its shape and scoring. Item text is the organisation's own, if attached.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentResponse {
    #[schema(schema_with = code_list_schema::<InstrumentCodes>)]
    pub code: String,
    pub items: usize,
    pub answer_min: i64,
    pub answer_max: i64,
    pub scales: Vec<ScaleResponse>,
    /// Licensed instruments ship without item text.
    pub licensed: bool,
    /// Your organisation's licensed wording, when attached.
    pub wording: Option<WordingResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentList {
    pub items: Vec<InstrumentResponse>,
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Record an outcome measurement.
///
/// Answers are checked item by item and scored by the service (ONS4 item by item, never
/// summed; SWEMWBS raw 7-35 and the published metric score; UCLA 3-item total 3-9). A
/// second baseline, a follow-up or discharge before any baseline or dated before it, a
/// wrong number of answers and answers out of range are 422, every problem listed. The
/// organisation's webhook subscribers receive `outcome.recorded`.
#[utoipa::path(post, path = "/v1/referrals/{id}/outcomes", tag = "outcomes", operation_id = "record_outcome",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    request_body(content = RecordOutcomeRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded and scored", body = MeasurementResponse,
            headers(("Location" = String, description = "The referral's outcomes"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another baseline was recorded at the same moment", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Answers or time point break the instrument's rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_outcome(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<RecordOutcomeRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.into_domain(OffsetDateTime::now_utc().date())?;
    let referral_id = id.into_inner();
    let audit = caller.audit(&req);
    let measurement = store.record_outcome(&audit, referral_id, new).await?;
    // Its change from baseline needs the baseline: read back within the same scope.
    let all = store.list_outcomes(&audit, referral_id).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/referrals/{referral_id}/outcomes"),
        ))
        .json(measurement_response(&measurement, &all)))
}

/// List a referral's outcome measurements with the change from baseline.
///
/// Each later measurement carries its change from the baseline of the same instrument;
/// `summary` compares each instrument's baseline with its latest measurement.
#[utoipa::path(get, path = "/v1/referrals/{id}/outcomes", tag = "outcomes", operation_id = "list_outcomes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The measurements, oldest first", body = OutcomesResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_outcomes(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let all = store
        .list_outcomes(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(OutcomesResponse {
        items: all.iter().map(|m| measurement_response(m, &all)).collect(),
        summary: summaries(&all),
    }))
}

/// List the outcome instruments.
///
/// Their shape and scoring, with your organisation's licensed item wording where it has
/// attached one. The service ships no item text of licensed instruments.
#[utoipa::path(get, path = "/v1/instruments", tag = "outcomes", operation_id = "list_instruments",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every instrument", body = InstrumentList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_instruments(
    caller: Authorized,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let mut wordings = store
        .list_instrument_wordings(caller.organisation.as_str())
        .await?;
    let items = Instrument::ALL
        .iter()
        .map(|&i| {
            let (answer_min, answer_max) = i.answer_range();
            let wording = wordings
                .iter()
                .position(|w| w.instrument == i)
                .map(|at| WordingResponse::from(wordings.swap_remove(at)));
            InstrumentResponse {
                code: i.as_str().to_owned(),
                items: i.items(),
                answer_min,
                answer_max,
                scales: i
                    .scales()
                    .iter()
                    .map(|(scale, direction)| ScaleResponse {
                        scale: (*scale).to_owned(),
                        higher_is_better: *direction > 0,
                    })
                    .collect(),
                licensed: i.licensed(),
                wording,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(InstrumentList { items }))
}

/// Attach your organisation's licensed wording to an instrument.
///
/// One text per item, in the instrument's order. Replaces any earlier wording. The text
/// is shown only to your organisation.
#[utoipa::path(put, path = "/v1/instruments/{code}/wording", tag = "outcomes", operation_id = "set_instrument_wording",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The instrument's code: `ons4`, `swemwbs` or `ucla3`")),
    request_body(content = InstrumentWordingRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Stored", body = WordingResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instrument", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong number of items, or an item is blank or too long", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_instrument_wording(
    req: HttpRequest,
    caller: Authorized,
    code: web::Path<String>,
    body: Json<InstrumentWordingRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let instrument = Instrument::parse(&code.into_inner()).map_err(|_| ApiError::NotFound)?;
    let body = body.value;
    let mut v = Violations::new();
    v.extend(validation_errors(&body));
    if body.items.len() != instrument.items() {
        v.push(FieldError::new(
            "items",
            "item_count",
            format!(
                "{instrument} has {} items (got {})",
                instrument.items(),
                body.items.len()
            ),
        ));
    }
    let items: Vec<Option<String>> = body
        .items
        .iter()
        .enumerate()
        .map(|(i, t)| v.check(&format!("items[{i}]"), text::label(t, ITEM_WORDING)))
        .collect();
    let licence = v
        .check_opt("licence", body.licence, |s| {
            text::optional_label(&s, socialrx_domain::limits::SHORT_TEXT)
        })
        .flatten();
    let items = v.finish(|| items.into_iter().collect::<Option<Vec<_>>>())?;
    let wording = store
        .set_instrument_wording(&caller.audit(&req), instrument, items, licence.flatten())
        .await?;
    Ok(HttpResponse::Ok().json(WordingResponse::from(wording)))
}
