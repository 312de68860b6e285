//! The summary assembled from the record as it stands, for one audience: each section
//! from its part of the [`SummarySource`], then, in the referrer's copy, the casework left
//! out when the person did not agree to share it.

use std::collections::BTreeMap;

use socialrx_domain::Role;
use socialrx_domain::connection::Connection;
use socialrx_domain::contact::Contact;
use socialrx_domain::message_back::{self, MessageBack};
use socialrx_domain::outcome::Instrument;
use socialrx_domain::person::Person;
use socialrx_domain::plan::Plan;
use socialrx_domain::referral::Referral;
use socialrx_domain::referrer_view::ReferrerView;
use socialrx_domain::risk::StoredRisks;
use socialrx_store::{Measurement, SummarySource};
use time::OffsetDateTime;

use super::ConcernEntry;
use super::risks::{concern_entry, risk_entry};
use super::sections::{
    Assessment, AssessmentScore, ContactsSummary, Intervention, PlanAndActions, ReferralSummary,
    SummaryPerson, SummaryReferral, SummaryRisks, SummaryStep,
};
use crate::auth::Caller;

/// Who reads a summary decides what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The receiving service's link workers and coordinators: everything, with risks and
    /// safeguarding.
    Service,
    /// The organisation that sent the referral: no risks, no safeguarding.
    Referrer,
}

impl Audience {
    pub fn of(caller: &Caller, source: &SummarySource) -> Self {
        let staff = caller
            .roles
            .iter()
            .any(|r| matches!(r, Role::LinkWorker | Role::Coordinator));
        if staff && caller.organisation.as_str() == source.referral.organisation {
            Audience::Service
        } else {
            Audience::Referrer
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Audience::Service => "service",
            Audience::Referrer => "referrer",
        }
    }
}

pub fn instrument_name(i: Instrument) -> &'static str {
    match i {
        Instrument::Ons4 => "ONS personal wellbeing (ONS4)",
        Instrument::Swemwbs => "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)",
        Instrument::Ucla3 => "UCLA three-item loneliness scale",
    }
}

impl ReferralSummary {
    pub fn build(source: SummarySource, audience: Audience, now: OffsetDateTime) -> Self {
        let view = source.status.referrer_view();
        let r = &source.referral;
        let none = MessageBack::default();
        let m = source.message.as_ref().map_or(&none, |m| &m.message);
        let (risks, safeguarding) = risks_for(audience, source.risks.as_ref());
        let mut summary = Self {
            referral_id: r.id,
            reference: r.reference.as_str().to_owned(),
            audience: audience.as_str(),
            generated_at: now,
            person: SummaryPerson::from(&r.details.person),
            referral: SummaryReferral::of(r, &view),
            plan_and_requested_actions: PlanAndActions::of(m, &source.plan.plan),
            link_worker_summary: m.summary.clone(),
            interventions: source.connections.iter().map(Intervention::from).collect(),
            contacts: ContactsSummary::of(&source.contacts),
            outcomes: view.outcomes,
            assessments: source.measurements.iter().map(Assessment::from).collect(),
            risks,
            safeguarding,
            withheld: None,
        };
        let sharing = r.details.particulars.information_sharing.as_ref();
        if audience == Audience::Referrer && !message_back::referrer_may_read_casework(sharing) {
            summary.withhold_casework();
        }
        summary
    }

    /// The referrer's copy when the person did not agree to share information.
    fn withhold_casework(&mut self) {
        const WITHHELD: &str = "Withheld: the person did not agree to share information";
        self.plan_and_requested_actions = PlanAndActions {
            actions_for_professionals: WITHHELD.into(),
            actions_for_person: WITHHELD.into(),
            agreed_with_person: None,
            what_matters_to_me: None,
            strengths: Vec::new(),
            goals: Vec::new(),
            steps: Vec::new(),
            planned_review_on: None,
            review_by: None,
        };
        self.link_worker_summary = None;
        self.interventions.clear();
        self.contacts = ContactsSummary {
            count: 0,
            not_attended: 0,
            first_at: None,
            last_at: None,
            by_method: Default::default(),
        };
        self.outcomes.clear();
        self.assessments.clear();
        self.withheld = Some(
            "The person did not agree to share information about their support with the \
             referrer; the referral's status is shown, and the service can be asked directly."
                .into(),
        );
    }
}

/// Risks and safeguarding for the service's staff (empty ones when none are recorded
/// yet, so that "none recorded" shows); nothing at all for the referrer.
fn risks_for(
    audience: Audience,
    stored: Option<&StoredRisks>,
) -> (Option<SummaryRisks>, Option<Vec<ConcernEntry>>) {
    match (audience, stored) {
        (Audience::Service, Some(s)) => (
            Some(SummaryRisks {
                no_known_risks: s.risks.no_known_risks,
                risks: s.risks.risks.iter().map(risk_entry).collect(),
            }),
            Some(s.risks.safeguarding.iter().map(concern_entry).collect()),
        ),
        (Audience::Service, None) => (
            Some(SummaryRisks {
                no_known_risks: false,
                risks: Vec::new(),
            }),
            Some(Vec::new()),
        ),
        (Audience::Referrer, _) => (None, None),
    }
}

impl From<&Person> for SummaryPerson {
    fn from(p: &Person) -> Self {
        Self {
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            pronouns: p.about_me.pronouns.clone(),
            carer: p.about_me.carer,
            nhs_number: p.nhs_number.as_ref().map(|n| n.as_string()),
            date_of_birth: p.date_of_birth.to_string(),
            gp_practice: p
                .registered_practice
                .as_ref()
                .map(|o| o.as_str().to_owned()),
        }
    }
}

impl SummaryReferral {
    /// The referral as sent, with its status as the referrer sees it.
    fn of(r: &Referral, view: &ReferrerView) -> Self {
        let d = &r.details;
        Self {
            source: d.source.as_str(),
            reasons: d.reasons.iter().map(|x| x.as_str()).collect(),
            referrer_name: d.referrer.name.clone(),
            referrer_role: d.referrer.role.clone(),
            referrer_contact_details: d.particulars.referrer_contact.clone(),
            referral_method: d.particulars.method.map(|m| m.as_str()),
            reason_text: d.particulars.reason_text.clone(),
            return_response_to: d.particulars.return_response_to.clone(),
            referrer_organisation: r.referrer_organisation.clone(),
            receiving_service: r.organisation.clone(),
            status: view.status,
            received_at: view.received_at,
            closed_at: view.closed_at,
            closure_reason: view.closure_reason,
        }
    }
}

impl PlanAndActions {
    fn of(m: &MessageBack, plan: &Plan) -> Self {
        Self {
            actions_for_professionals: m.professional_actions_or_none().to_owned(),
            actions_for_person: m.person_actions_or_none().to_owned(),
            // Agreement is recorded on the message back, or failing that on the plan.
            agreed_with_person: m.agreed_with_person.or(plan.agreed_with_person),
            what_matters_to_me: plan.what_matters_to_me.clone(),
            strengths: plan.strengths.clone(),
            goals: plan.goals.clone(),
            planned_review_on: plan.planned_review_on.map(|d| d.to_string()),
            review_by: plan.review_by.clone(),
            steps: plan
                .steps
                .iter()
                .map(|s| SummaryStep {
                    text: s.text.clone(),
                    status: s.status.as_str(),
                    due_on: s.due_on.map(|d| d.to_string()),
                    who: s.who.clone(),
                    confidence: s.confidence,
                })
                .collect(),
        }
    }
}

impl From<&Connection> for Intervention {
    fn from(c: &Connection) -> Self {
        Self {
            activity: c.activity_name.clone(),
            status: c.status.as_str(),
            how_it_went: c.status.how_it_went(),
            supported_first_attendance: c.supported_first_attendance,
        }
    }
}

impl ContactsSummary {
    /// Contacts that happened, counted by method; the rest only counted.
    fn of(contacts: &[Contact]) -> Self {
        let (attended, not_attended): (Vec<_>, Vec<_>) =
            contacts.iter().partition(|c| c.details.outcome.happened());
        let mut by_method = BTreeMap::new();
        for c in &attended {
            *by_method.entry(c.details.mode.as_str()).or_insert(0) += 1;
        }
        Self {
            count: attended.len(),
            first_at: attended.first().map(|c| c.details.occurred_at),
            last_at: attended.last().map(|c| c.details.occurred_at),
            by_method,
            not_attended: not_attended.len(),
        }
    }
}

impl From<&Measurement> for Assessment {
    fn from(x: &Measurement) -> Self {
        Self {
            instrument: x.instrument.as_str(),
            name: instrument_name(x.instrument),
            time_point: x.time_point.as_str(),
            measured_on: x.measured_on.to_string(),
            scores: x
                .scores
                .iter()
                .map(|s| AssessmentScore {
                    scale: s.scale.to_string(),
                    value: s.value,
                })
                .collect(),
            items: x.answers.clone(),
        }
    }
}
