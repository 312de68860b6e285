//! The summary as JSON (PRSB Social Prescribing Information Standard v1.1): the
//! [`ReferralSummary`] and its sections, in the standard's order. How each is filled from
//! the record is in `build.rs`.

use serde::Serialize;
use socialrx_domain::referrer_view::InstrumentSummary;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ConcernEntry, RiskEntry};

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryPerson {
    pub given_name: String,
    pub family_name: String,
    pub pronouns: Option<String>,
    /// Whether the person is a carer (SNOMED CT 224484003).
    pub carer: Option<bool>,
    pub nhs_number: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub date_of_birth: String,
    /// The person's registered GP practice (ODS code).
    pub gp_practice: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryReferral {
    pub source: &'static str,
    pub reasons: Vec<&'static str>,
    pub referrer_name: String,
    pub referrer_role: Option<String>,
    pub referrer_contact_details: Option<String>,
    /// PRSB "Referral method".
    pub referral_method: Option<&'static str>,
    /// The reason for referral in the referrer's words.
    pub reason_text: Option<String>,
    /// The professional to answer, when not the referrer.
    pub return_response_to: Option<String>,
    /// The organisation that sent the referral (ODS code).
    pub referrer_organisation: String,
    /// The service that received it (ODS code).
    pub receiving_service: String,
    pub status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    pub closure_reason: Option<&'static str>,
}

/// The standard's "Plan and requested actions", shown first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanAndActions {
    /// Never blank: "No actions required" when there are none.
    pub actions_for_professionals: String,
    pub actions_for_person: String,
    pub agreed_with_person: Option<bool>,
    pub what_matters_to_me: Option<String>,
    /// The person's strengths and assets (care and support plan).
    pub strengths: Vec<String>,
    pub goals: Vec<String>,
    pub steps: Vec<SummaryStep>,
    #[schema(value_type = Option<String>, format = Date)]
    pub planned_review_on: Option<String>,
    pub review_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryStep {
    pub text: String,
    pub status: &'static str,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<String>,
    /// Who carries it out.
    pub who: Option<String>,
    /// The person's confidence to do it, 1 to 10.
    pub confidence: Option<u8>,
}

/// An activity the person was connected to, including those that did not work.
#[derive(Debug, Serialize, ToSchema)]
pub struct Intervention {
    pub activity: String,
    pub status: &'static str,
    /// `worked`, `did_not_work` or `not_started`.
    pub how_it_went: &'static str,
    pub supported_first_attendance: bool,
}

/// Contacts that happened (`outcome` `attended`); missed and cancelled ones are only
/// counted, in `not_attended`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactsSummary {
    pub count: usize,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_at: Option<OffsetDateTime>,
    /// How each contact happened (consultation method), counted.
    pub by_method: std::collections::BTreeMap<&'static str, usize>,
    /// Contacts that did not happen: the person did not attend, or either side cancelled.
    pub not_attended: usize,
}

/// One measurement in the standard's "Assessments" shape: the instrument, its total
/// score and its item scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    /// Our instrument code (`ons4`, `swemwbs`, `ucla3`).
    pub instrument: &'static str,
    pub name: &'static str,
    pub time_point: &'static str,
    #[schema(value_type = String, format = Date)]
    pub measured_on: String,
    /// The instrument's headline score (SWEMWBS metric score, UCLA-3 total, ONS4 life
    /// satisfaction) and every scale.
    pub scores: Vec<AssessmentScore>,
    /// The item answers, in the instrument's order.
    pub items: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentScore {
    pub scale: String,
    pub value: f64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "reference": "SRX-7K3M-9QPD", "audience": "referrer",
    "generated_at": "2027-02-01T09:00:00Z",
    "person": {"given_name": "Margaret", "family_name": "Hughes", "nhs_number": "9434765919", "date_of_birth": "1971-03-14", "gp_practice": "B85001"},
    "referral": {"source": "gp", "reasons": ["low_mood_anxiety", "carer_support"], "referrer_name": "Dr A Patel", "referrer_role": "GP", "referrer_organisation": "B85001", "receiving_service": "Y02794", "status": "closed", "received_at": "2026-11-13T09:30:00Z", "closed_at": "2027-02-01T09:00:00Z", "closure_reason": "goals_met"},
    "plan_and_requested_actions": {"actions_for_professionals": "No actions required", "actions_for_person": "Keep going to the group.", "agreed_with_person": true, "what_matters_to_me": "Local and family history; crochet.", "goals": ["Get out of the house twice a week"], "steps": [{"text": "Supported visit to the local history group", "status": "done", "due_on": "2026-11-30"}]},
    "link_worker_summary": "Now attends the local history group weekly.",
    "interventions": [{"activity": "Local history group", "status": "attending", "how_it_went": "worked", "supported_first_attendance": true}, {"activity": "Knit and natter", "status": "declined", "how_it_went": "did_not_work", "supported_first_attendance": false}],
    "contacts": {"count": 3, "first_at": "2026-11-16T10:00:00Z", "last_at": "2027-01-20T10:00:00Z", "by_method": {"phone": 2, "supported_attendance": 1}, "not_attended": 1},
    "outcomes": [{"instrument": "swemwbs", "baseline_on": "2026-11-16", "latest_on": "2027-01-20", "latest_time_point": "follow_up", "changes": [{"scale": "metric", "baseline": 17.43, "value": 21.54, "change": 4.11, "improved": true}]}],
    "assessments": [],
    "risks": null, "safeguarding": null
}))]
pub struct ReferralSummary {
    pub referral_id: Uuid,
    pub reference: String,
    /// `service` (with risks and safeguarding) or `referrer` (without).
    pub audience: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: OffsetDateTime,
    pub person: SummaryPerson,
    pub referral: SummaryReferral,
    pub plan_and_requested_actions: PlanAndActions,
    pub link_worker_summary: Option<String>,
    pub interventions: Vec<Intervention>,
    pub contacts: ContactsSummary,
    /// Per instrument, first and latest scores with the change.
    #[schema(value_type = Vec<Object>)]
    pub outcomes: Vec<InstrumentSummary>,
    pub assessments: Vec<Assessment>,
    /// Only for the receiving service's staff; `null` in the referrer's copy.
    pub risks: Option<SummaryRisks>,
    /// Only for the receiving service's staff; `null` in the referrer's copy.
    pub safeguarding: Option<Vec<ConcernEntry>>,
    /// Set in the referrer's copy when the person did not agree to share information:
    /// the casework (plan, activities, contacts, scores, the link worker's summary) is
    /// left out, and this says why.
    pub withheld: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryRisks {
    /// `false` with no risks listed means none has been recorded yet.
    pub no_known_risks: bool,
    pub risks: Vec<RiskEntry>,
}
