//! Whether a request is ours to take at all, before any of it is read: a social
//! prescribing or social-needs referral, new, made only of resources and elements we keep.
//! Everything else about it is judged later by the referral rules.

use serde_json::{Value, json};
use socialrx_domain::referral::Reason;

use super::resources::Resources;
use crate::error::fhir::{FhirError, Issue};
use crate::routes::fhir::mapping::{self, CodingMeaning, same_system};
use crate::routes::fhir::model::{
    CONTEXT_TYPES, CodeableConcept, ServiceRequest, elements, unknown_elements,
};

/// BaRS: the category that marks a request for clinical validation.
const BARS_CATEGORY: &str = "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest";

/// Once the request is known to be ours: refused unless its `status` and `intent` make it
/// a new referral, and unless every resource in it is of a type we read (or a listed
/// context type) with only the elements we read or deliberately leave unused
/// ([`elements`]). Every fault is one issue.
pub(super) fn a_new_referral_with_nothing_unknown(
    sr: &ServiceRequest,
    raw: &Value,
    base: &str,
    resources: &Resources,
) -> Result<(), FhirError> {
    let mut issues = Vec::new();
    for (element, verdict) in [
        ("status", mapping::new_referral_status(sr.status.as_deref())),
        ("intent", mapping::new_referral_intent(sr.intent.as_deref())),
    ] {
        if let Err(refused) = verdict {
            let at = format!("{base}.{element}");
            issues.push(Issue::error(
                refused.issue,
                format!("not_a_new_referral_{element}"),
                format!("{at}: {}", refused.message),
                Some(at),
            ));
        }
    }
    let others = resources.all.iter().filter(|f| f.path != base);
    for (value, path) in
        std::iter::once((raw, base)).chain(others.map(|f| (&f.value, f.path.as_str())))
    {
        let kind = value["resourceType"].as_str().unwrap_or("");
        if elements(kind).is_none() && !CONTEXT_TYPES.contains(&kind) {
            issues.push(Issue::error(
                "not-supported",
                "unsupported_resource",
                format!(
                    "{path}: a {kind} is not part of a referral here and would not be kept; \
                     leave it out"
                ),
                Some(path.to_owned()),
            ));
            continue;
        }
        for element in unknown_elements(value) {
            let at = format!("{path}.{element}");
            issues.push(Issue::error(
                "not-supported",
                "unknown_element",
                format!(
                    "{at}: socialrx does not keep this element of a {kind}, so it would be \
                     lost; leave it out (the CapabilityStatement lists the elements read)"
                ),
                Some(at),
            ));
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(FhirError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            issues,
        ))
    }
}

/// Social prescribing or a social need, or refused with the element that says otherwise.
/// Returns the codings as stored: `[{element, system, code, display, reason}]`.
pub(super) fn ours_or_refuse(sr: &ServiceRequest, base: &str) -> Result<Value, FhirError> {
    for (i, category) in sr.category.iter().enumerate() {
        for coding in &category.coding {
            let bars = coding
                .system
                .as_deref()
                .is_some_and(|s| same_system(s, BARS_CATEGORY));
            if bars && coding.code.as_deref() == Some("validation") {
                return Err(FhirError::unprocessable(
                    "not-supported",
                    "not_social_prescribing",
                    "this is a BaRS validation request (category 'validation'): a request to \
                     validate a clinical disposition, not a referral. socialrx accepts only \
                     social prescribing (SNOMED CT 871731000000106) and social-needs referrals",
                    format!("{base}.category[{i}]"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    let mut ours = false;
    let mut list = |element: &str, concepts: &[&CodeableConcept]| {
        for (i, concept) in concepts.iter().enumerate() {
            for coding in &concept.coding {
                let (Some(system), Some(code)) = (coding.system.as_deref(), coding.code.as_deref())
                else {
                    continue;
                };
                let meaning = mapping::coding_meaning(system, code);
                let reason = match meaning {
                    CodingMeaning::Need(r) => Some(r),
                    // A reason we cannot map is still a reason: `other`, coding kept.
                    CodingMeaning::Unrelated if element == "reasonCode" => Some(Reason::Other),
                    _ => None,
                };
                ours |= !matches!(meaning, CodingMeaning::Unrelated);
                out.push(json!({
                    "element": if element == "code" { element.to_owned() } else { format!("{element}[{i}]") },
                    "system": system,
                    "code": code,
                    "display": coding.display,
                    "reason": reason.map(|r| r.as_str()),
                }));
            }
        }
    };
    list("category", &sr.category.iter().collect::<Vec<_>>());
    list("code", &sr.code.iter().collect::<Vec<_>>());
    list("reasonCode", &sr.reason_code.iter().collect::<Vec<_>>());
    if ours {
        return Ok(Value::Array(out));
    }
    let (expression, what) = match (&sr.code, sr.category.first()) {
        (Some(code), _) => (format!("{base}.code"), describe(code)),
        (None, Some(category)) => (format!("{base}.category[0]"), describe(category)),
        (None, None) => (format!("{base}.code"), "no code or category".to_owned()),
    };
    Err(FhirError::unprocessable(
        "not-supported",
        "not_social_prescribing",
        format!(
            "{expression} is {what}: socialrx accepts only social prescribing (SNOMED CT \
             871731000000106) and social-needs (Gravity SDOH category) referrals"
        ),
        expression,
    ))
}

fn describe(concept: &CodeableConcept) -> String {
    match concept.coding.first() {
        Some(c) => format!(
            "{} {}{}",
            c.system.as_deref().map(system_name).unwrap_or("code"),
            c.code.as_deref().unwrap_or(""),
            c.display
                .as_deref()
                .map(|d| format!(" '{}'", d.chars().take(60).collect::<String>()))
                .unwrap_or_default()
        ),
        None => "a code with no coding".to_owned(),
    }
}

fn system_name(system: &str) -> &str {
    if same_system(system, mapping::SNOMED) {
        "SNOMED CT"
    } else {
        system
    }
}
