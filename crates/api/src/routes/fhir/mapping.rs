//! Ours <-> FHIR, in both directions: the one place that says which referral state is
//! which Task status, which FHIR code is which referral reason, and which codes make a
//! ServiceRequest ours. Pure functions over the domain's code lists; no HTTP, no store.
//! The README's mapping table is this module written out.

use socialrx_domain::referral::{ClosureReason, Reason, Status, Urgency};

/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// SNOMED CT 871731000000106 |Referral to social prescribing service|.
pub const SOCIAL_PRESCRIBING_REFERRAL: &str = "871731000000106";
/// SNOMED CT 410606002 |Social service procedure|: the category Gravity SDOH CC puts on
/// every social-needs ServiceRequest.
pub const SOCIAL_SERVICE_PROCEDURE: &str = "410606002";
/// Gravity SDOH Clinical Care's category codes (SDOHCC temporary code system).
pub const SDOHCC_TEMPORARY_CODES: &str =
    "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes";
/// The same social-risk categories as later published in US Core (`sdoh` category codes).
pub const US_CORE_SDOH_CATEGORY: &str = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category";
pub const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
pub const ODS_ORGANISATION_CODE: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// Our own code systems, so that every state and reason has a code a clinical system can
/// store.
pub const REASON_SYSTEM: &str = "https://socialrx.org.uk/fhir/CodeSystem/referral-reason";
pub const STATUS_SYSTEM: &str = "https://socialrx.org.uk/fhir/CodeSystem/referral-status";
pub const CLOSURE_SYSTEM: &str = "https://socialrx.org.uk/fhir/CodeSystem/closure-reason";
/// Why a referral was declined (our `DeclineReason` codes): a Task's `statusReason`.
pub const DECLINE_SYSTEM: &str = "https://socialrx.org.uk/fhir/CodeSystem/decline-reason";
/// The directory's activity categories (the taxonomy of `GET /oruk/taxonomy_terms`).
pub const ACTIVITY_CATEGORY_SYSTEM: &str =
    "https://socialrx.org.uk/fhir/CodeSystem/activity-category";
/// Extension on a Consent saying how consent was taken (`verbal`, `written`, `electronic`).
pub const CONSENT_METHOD_EXTENSION: &str =
    "https://socialrx.org.uk/fhir/StructureDefinition/consent-method";

/// Systems compare without regard to case: BaRS examples spell `.../id/ods-organization-code`.
pub fn same_system(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Gravity SDOH categories and the reason each becomes. Categories with no counterpart in
/// our list become `other`, with the original coding kept beside the referral.
pub const SDOH_REASONS: &[(&str, Reason)] = &[
    ("food-insecurity", Reason::MoneyBenefitsDebt),
    ("financial-insecurity", Reason::MoneyBenefitsDebt),
    ("material-hardship", Reason::MoneyBenefitsDebt),
    ("medical-cost-burden", Reason::MoneyBenefitsDebt),
    ("housing-instability", Reason::Housing),
    ("homelessness", Reason::Housing),
    ("inadequate-housing", Reason::Housing),
    ("employment-status", Reason::EmploymentSkills),
    ("educational-attainment", Reason::EmploymentSkills),
    ("social-connection", Reason::LonelinessIsolation),
    ("stress", Reason::LowMoodAnxiety),
    ("intimate-partner-violence", Reason::DomesticAbuse),
    ("elder-abuse", Reason::DomesticAbuse),
    ("transportation-insecurity", Reason::Other),
    ("health-insurance-coverage-status", Reason::Other),
    ("personal-health-literacy", Reason::Other),
    ("digital-literacy", Reason::Other),
    ("veteran-status", Reason::Other),
    ("sdoh-category-unspecified", Reason::Other),
];

/// What one coding of a ServiceRequest's category, code or reasonCode means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodingMeaning {
    /// Says the request is a social prescribing referral; names no reason.
    SocialPrescribing,
    /// A social need: the request is ours, and this is its reason.
    Need(Reason),
    /// Says nothing either way (a clinical code, a BaRS category, an unknown system).
    Unrelated,
}

/// Classifies one coding.
pub fn coding_meaning(system: &str, code: &str) -> CodingMeaning {
    if same_system(system, SNOMED)
        && (code == SOCIAL_PRESCRIBING_REFERRAL || code == SOCIAL_SERVICE_PROCEDURE)
    {
        return CodingMeaning::SocialPrescribing;
    }
    if same_system(system, SDOHCC_TEMPORARY_CODES) || same_system(system, US_CORE_SDOH_CATEGORY) {
        if code == "sdoh" {
            return CodingMeaning::SocialPrescribing;
        }
        return CodingMeaning::Need(
            SDOH_REASONS
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, r)| *r)
                .unwrap_or(Reason::Other),
        );
    }
    if same_system(system, REASON_SYSTEM)
        && let Ok(reason) = Reason::parse(code)
    {
        return CodingMeaning::Need(reason);
    }
    CodingMeaning::Unrelated
}

/// Why an incoming ServiceRequest's `status` or `intent` cannot be a new referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANewReferral {
    /// FHIR issue type: `required`, `code-invalid` (not a FHIR code) or `business-rule`
    /// (a FHIR code that is not a new request).
    pub issue: &'static str,
    pub message: String,
}

/// FHIR R4 `request-status` codes.
const REQUEST_STATUSES: &[&str] = &[
    "draft",
    "active",
    "on-hold",
    "revoked",
    "completed",
    "entered-in-error",
    "unknown",
];

/// FHIR R4 `request-intent` codes.
const REQUEST_INTENTS: &[&str] = &[
    "proposal",
    "plan",
    "directive",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
];

/// `ServiceRequest.status` of a new referral: only `active` is a request to act now.
/// `draft` and `on-hold` are not yet (or not now) actionable, `revoked`, `completed` and
/// `entered-in-error` are no request at all, `unknown` says nothing. Required (1..1 in
/// FHIR R4), so a missing status is refused, not guessed.
pub fn new_referral_status(status: Option<&str>) -> Result<(), NotANewReferral> {
    match status {
        Some("active") => Ok(()),
        None => Err(NotANewReferral {
            issue: "required",
            message: "status is required (1..1 in FHIR R4): a new referral is 'active'".into(),
        }),
        Some(s) if REQUEST_STATUSES.contains(&s) => Err(NotANewReferral {
            issue: "business-rule",
            message: format!("status '{s}' is not a new referral: send 'active'"),
        }),
        Some(s) => Err(NotANewReferral {
            issue: "code-invalid",
            message: format!("'{s}' is not a FHIR request-status: a new referral is 'active'"),
        }),
    }
}

/// `ServiceRequest.intent` of a new referral: an authorisation to act, that is `order`, or
/// `original-order`, which FHIR R4 defines as an order as first placed by the requester
/// (a specialisation of `order`). `proposal` and `plan` ask or intend nothing of us;
/// `directive` and `option` are not requests to a service; `reflex-order` is raised by a
/// system from a result, `instance-order` is one occurrence of a standing order, and
/// `filler-order` is the fulfiller's own view of an order it received, which would be
/// ours, never the sender's. Required (1..1), so a missing intent is refused.
pub fn new_referral_intent(intent: Option<&str>) -> Result<(), NotANewReferral> {
    match intent {
        Some("order" | "original-order") => Ok(()),
        None => Err(NotANewReferral {
            issue: "required",
            message: "intent is required (1..1 in FHIR R4): a referral is an 'order'".into(),
        }),
        Some(i) if REQUEST_INTENTS.contains(&i) => Err(NotANewReferral {
            issue: "business-rule",
            message: format!("intent '{i}' is not a referral: send 'order' (or 'original-order')"),
        }),
        Some(i) => Err(NotANewReferral {
            issue: "code-invalid",
            message: format!("'{i}' is not a FHIR request-intent: a referral is an 'order'"),
        }),
    }
}

/// FHIR `priority` -> our urgency: `routine` is routine; `urgent`, `asap` and `stat` are
/// all urgent (we have no finer grade). Anything else is not a FHIR priority.
pub fn urgency_from_priority(priority: &str) -> Option<Urgency> {
    match priority {
        "routine" => Some(Urgency::Routine),
        "urgent" | "asap" | "stat" => Some(Urgency::Urgent),
        _ => None,
    }
}

/// Our urgency -> FHIR `priority`.
pub fn priority_for(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Routine => "routine",
        Urgency::Urgent => "urgent",
    }
}

/// A Task's FHIR status with the finer state in `businessStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskState {
    /// FHIR `Task.status`.
    pub status: &'static str,
    /// Our status code (`businessStatus`, system [`STATUS_SYSTEM`]).
    pub business_status: Status,
    /// For a closed referral, why (`businessStatus`, system [`CLOSURE_SYSTEM`]).
    pub closure_reason: Option<ClosureReason>,
    /// Whether the Task carries `statusReason` (a refusal or a closure).
    pub has_status_reason: bool,
}

/// Our lifecycle -> FHIR Task status. A closed referral with no recorded reason is
/// `cancelled` (we cannot claim it was completed).
pub fn task_state(status: Status, closure: Option<ClosureReason>) -> TaskState {
    let (fhir, closure_reason) = match status {
        Status::Received => ("requested", None),
        Status::Accepted => ("accepted", None),
        Status::Declined => ("rejected", None),
        Status::Assigned | Status::InProgress => ("in-progress", None),
        Status::Closed => (
            match closure {
                Some(ClosureReason::GoalsMet) => "completed",
                Some(ClosureReason::UnableToContact) => "failed",
                Some(
                    ClosureReason::DeclinedByPerson
                    | ClosureReason::MovedAway
                    | ClosureReason::ReferredElsewhere
                    | ClosureReason::Duplicate
                    | ClosureReason::Other,
                )
                | None => "cancelled",
            },
            closure,
        ),
    };
    TaskState {
        status: fhir,
        business_status: status,
        closure_reason,
        has_status_reason: matches!(status, Status::Declined | Status::Closed),
    }
}

/// FHIR Task status (with the businessStatus codes when present) -> our lifecycle: the
/// inverse of [`task_state`]. Without a businessStatus the coarser FHIR state is read as
/// the first of ours that maps to it.
pub fn status_from_task(
    task_status: &str,
    business_status: Option<&str>,
    closure: Option<&str>,
) -> Option<(Status, Option<ClosureReason>)> {
    let closure = closure.and_then(|c| ClosureReason::parse(c).ok());
    if let Some(status) = business_status.and_then(|b| Status::parse(b).ok()) {
        let state = task_state(status, closure);
        return (state.status == task_status).then_some((status, state.closure_reason));
    }
    match task_status {
        "requested" | "received" | "ready" => Some((Status::Received, None)),
        "accepted" => Some((Status::Accepted, None)),
        "rejected" => Some((Status::Declined, None)),
        "in-progress" => Some((Status::InProgress, None)),
        "completed" => Some((Status::Closed, Some(ClosureReason::GoalsMet))),
        "failed" => Some((Status::Closed, Some(ClosureReason::UnableToContact))),
        "cancelled" => Some((Status::Closed, closure.or(Some(ClosureReason::Other)))),
        _ => None,
    }
}

/// Human words for a code in a `display`.
pub fn display(code: &str) -> String {
    let words = code.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_closure_reason_maps_to_the_table() {
        use ClosureReason as C;
        use Status as S;
        let table: &[(S, Option<C>, &str)] = &[
            (S::Received, None, "requested"),
            (S::Accepted, None, "accepted"),
            (S::Declined, None, "rejected"),
            (S::Assigned, None, "in-progress"),
            (S::InProgress, None, "in-progress"),
            (S::Closed, Some(C::GoalsMet), "completed"),
            (S::Closed, Some(C::DeclinedByPerson), "cancelled"),
            (S::Closed, Some(C::UnableToContact), "failed"),
            (S::Closed, Some(C::MovedAway), "cancelled"),
            (S::Closed, Some(C::ReferredElsewhere), "cancelled"),
            (S::Closed, Some(C::Duplicate), "cancelled"),
            (S::Closed, Some(C::Other), "cancelled"),
            (S::Closed, None, "cancelled"),
        ];
        for (status, closure, fhir) in table {
            let state = task_state(*status, *closure);
            assert_eq!(state.status, *fhir, "{status} {closure:?}");
            assert_eq!(state.business_status, *status);
            assert_eq!(state.closure_reason, *closure);
        }
        // Every status and every closure reason is in the table.
        for s in Status::ALL {
            assert!(table.iter().any(|(t, _, _)| t == s), "{s} missing");
        }
        for c in ClosureReason::ALL {
            assert!(table.iter().any(|(_, t, _)| *t == Some(*c)), "{c} missing");
        }
    }

    #[test]
    fn only_declines_and_closures_carry_a_status_reason() {
        for s in Status::ALL {
            let expected = matches!(s, Status::Declined | Status::Closed);
            assert_eq!(task_state(*s, None).has_status_reason, expected, "{s}");
        }
    }

    #[test]
    fn reading_a_task_back_gives_the_state_it_was_made_from() {
        for status in Status::ALL {
            let closures: Vec<Option<ClosureReason>> = if *status == Status::Closed {
                ClosureReason::ALL.iter().copied().map(Some).collect()
            } else {
                vec![None]
            };
            for closure in closures {
                let state = task_state(*status, closure);
                assert_eq!(
                    status_from_task(
                        state.status,
                        Some(state.business_status.as_str()),
                        state.closure_reason.map(|c| c.as_str())
                    ),
                    Some((*status, closure)),
                    "{status} {closure:?}"
                );
            }
        }
    }

    #[test]
    fn a_task_without_business_status_reads_as_the_coarse_state() {
        assert_eq!(
            status_from_task("completed", None, None),
            Some((Status::Closed, Some(ClosureReason::GoalsMet)))
        );
        assert_eq!(
            status_from_task("rejected", None, None),
            Some((Status::Declined, None))
        );
        assert_eq!(status_from_task("draft", None, None), None);
        // A businessStatus that contradicts the status is not believed.
        assert_eq!(status_from_task("completed", Some("received"), None), None);
    }

    #[test]
    fn social_prescribing_and_sdoh_codes_are_ours_and_clinical_codes_are_not() {
        assert_eq!(
            coding_meaning(SNOMED, "871731000000106"),
            CodingMeaning::SocialPrescribing
        );
        assert_eq!(
            coding_meaning(SDOHCC_TEMPORARY_CODES, "food-insecurity"),
            CodingMeaning::Need(Reason::MoneyBenefitsDebt)
        );
        assert_eq!(
            coding_meaning(SDOHCC_TEMPORARY_CODES, "social-connection"),
            CodingMeaning::Need(Reason::LonelinessIsolation)
        );
        assert_eq!(
            coding_meaning(SDOHCC_TEMPORARY_CODES, "a-code-from-next-year"),
            CodingMeaning::Need(Reason::Other)
        );
        assert_eq!(
            coding_meaning(REASON_SYSTEM, "bereavement"),
            CodingMeaning::Need(Reason::Bereavement)
        );
        assert_eq!(coding_meaning(SNOMED, "73761001"), CodingMeaning::Unrelated);
        assert_eq!(
            coding_meaning(
                "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest",
                "validation"
            ),
            CodingMeaning::Unrelated
        );
    }

    #[test]
    fn every_sdoh_category_maps_to_one_of_our_reasons() {
        for (code, reason) in SDOH_REASONS {
            assert_eq!(
                coding_meaning(SDOHCC_TEMPORARY_CODES, code),
                CodingMeaning::Need(*reason)
            );
        }
    }

    #[test]
    fn only_an_active_status_is_a_new_referral() {
        assert_eq!(new_referral_status(Some("active")), Ok(()));
        for s in [
            "draft",
            "on-hold",
            "revoked",
            "completed",
            "entered-in-error",
            "unknown",
        ] {
            assert_eq!(
                new_referral_status(Some(s)).unwrap_err().issue,
                "business-rule"
            );
        }
        assert_eq!(new_referral_status(None).unwrap_err().issue, "required");
        assert_eq!(
            new_referral_status(Some("Active")).unwrap_err().issue,
            "code-invalid"
        );
    }

    #[test]
    fn only_an_order_is_a_referral() {
        assert_eq!(new_referral_intent(Some("order")), Ok(()));
        assert_eq!(new_referral_intent(Some("original-order")), Ok(()));
        for i in [
            "proposal",
            "plan",
            "directive",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        ] {
            assert_eq!(
                new_referral_intent(Some(i)).unwrap_err().issue,
                "business-rule"
            );
        }
        assert_eq!(new_referral_intent(None).unwrap_err().issue, "required");
        assert_eq!(
            new_referral_intent(Some("bogus")).unwrap_err().issue,
            "code-invalid"
        );
    }

    #[test]
    fn priorities_map_both_ways() {
        for u in Urgency::ALL {
            assert_eq!(urgency_from_priority(priority_for(*u)), Some(*u));
        }
        assert_eq!(urgency_from_priority("stat"), Some(Urgency::Urgent));
        assert_eq!(urgency_from_priority("soon"), None);
    }

    #[test]
    fn ods_systems_compare_without_case() {
        assert!(same_system(
            "https://fhir.nhs.uk/id/ods-organization-code",
            ODS_ORGANISATION_CODE
        ));
    }
}
