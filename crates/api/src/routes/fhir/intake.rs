//! FHIR in: a ServiceRequest (with its Patient contained, or beside it in a transaction or
//! message Bundle) read into the very [`CreateReferralRequest`] that `POST /v1/referrals`
//! takes, so that one validator, `CreateReferralRequest::into_domain`, decides. This
//! module only finds things and says where it found them; it judges nothing except
//! whether the request is a social prescribing one at all.
//!
//! Here: the entry points and the assembly of the request. Beside it: `resources` (each
//! resource with its FHIRPath), `bundle` (which ServiceRequest a Bundle carries), `scope`
//! (whether the request is ours to take), `patient` (the person and their consent) and
//! `requester` (who sent it, and to whom).

mod bundle;
mod patient;
mod requester;
mod resources;
mod scope;

use serde_json::Value;
use socialrx_domain::particulars::ReferralMethod;
use socialrx_domain::referral::Reason;

use self::resources::{Found, Resources, is, parse_at, wrong_type};
use super::mapping;
use super::model::{Bundle, Coding, Patient, ServiceRequest};
use crate::error::fhir::FhirError;
use crate::routes::referrals::CreateReferralRequest;

/// The ServiceRequest elements kept exactly as sent and given back on read: what was
/// asked for (`code`, `category`, `reasonCode`), why (`reasonReference`), in answer to
/// what (`basedOn`), under which of the sender's ids (`identifier`), and `intent`.
pub const REQUESTED: &[&str] = &[
    "identifier",
    "basedOn",
    "intent",
    "category",
    "code",
    "reasonCode",
    "reasonReference",
];

/// A FHIR referral read into our request, with what FHIR carried beyond it.
#[derive(Debug)]
pub struct Intake {
    /// Taken out (once) to be judged by `into_domain`.
    pub request: Option<CreateReferralRequest>,
    /// The sender's id for its ServiceRequest.
    pub source_id: Option<String>,
    /// Every category, code and reasonCode coding, with the reason it became.
    pub codings: Value,
    /// What the requester asked for, as sent: see [`REQUESTED`].
    pub requested: Value,
    /// Where each of our fields came from: `(field prefix, FHIRPath)`, longest first.
    origins: Vec<(&'static str, String)>,
    /// For a message: the MessageHeader's event and id, echoed in the response.
    pub message: Option<MessageInfo>,
    /// For a transaction: the index of the ServiceRequest's entry, and the entry count.
    pub transaction: Option<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub struct MessageInfo {
    pub header_id: Option<String>,
    pub bundle_id: Option<String>,
    pub event: Option<Coding>,
}

impl Intake {
    /// The FHIR element a field error of our rules is about.
    pub fn locate(&self, field: &str) -> String {
        self.origins
            .iter()
            .find(|(prefix, _)| {
                field == *prefix
                    || field.starts_with(&format!("{prefix}."))
                    || field.starts_with(&format!("{prefix}["))
            })
            .map(|(_, path)| path.clone())
            .unwrap_or_else(|| field.to_owned())
    }
}

/// Where each of our request's fields came from: `(field prefix, FHIRPath)`.
type Origins = Vec<(&'static str, String)>;

/// `POST /fhir/r4/ServiceRequest`: the Patient (and any Consent, requester) contained.
pub fn from_service_request(value: &Value, caller_org: &str) -> Result<Intake, FhirError> {
    if !is(value, "ServiceRequest") {
        return Err(wrong_type(value, "ServiceRequest", "ServiceRequest"));
    }
    let base = "ServiceRequest".to_owned();
    let sr: ServiceRequest = parse_at(value, &base)?;
    let all = sr
        .contained
        .iter()
        .enumerate()
        .map(|(i, v)| Found {
            value: v.clone(),
            path: format!("{base}.contained[{i}]"),
            full_url: None,
        })
        .collect();
    read(&sr, value, &base, &Resources { all }, None, caller_org).map(|mut intake| {
        intake.source_id = sr.id.clone();
        intake
    })
}

/// `POST /fhir/r4` and `POST /fhir/r4/$process-message`: a `transaction` Bundle holding
/// the ServiceRequest, or a `message` Bundle (BaRS) whose MessageHeader focuses on it.
pub fn from_bundle(value: &Value, caller_org: &str) -> Result<Intake, FhirError> {
    if !is(value, "Bundle") {
        return Err(wrong_type(value, "Bundle", "Bundle"));
    }
    let bundle: Bundle = parse_at(value, "Bundle")?;
    let resources = bundle::resources_of(&bundle);
    let focus = bundle::focus(&bundle, &resources)?;
    let found = focus.service_request;
    let sr: ServiceRequest = found.parse()?;
    let mut intake = read(
        &sr,
        &found.value,
        &found.path,
        &resources,
        focus.sender.as_deref(),
        caller_org,
    )?;
    intake.source_id = found.full_url.clone().or_else(|| sr.id.clone());
    intake.message = focus.message;
    if bundle.type_.as_deref() == Some("transaction") {
        intake.transaction = Some((bundle::entry_index(&found.path), bundle.entry.len()));
    }
    Ok(intake)
}

/// The ServiceRequest at `base`, with the resources it may point to, as our request.
fn read(
    sr: &ServiceRequest,
    raw: &Value,
    base: &str,
    resources: &Resources,
    sender: Option<&str>,
    caller_org: &str,
) -> Result<Intake, FhirError> {
    let codings = scope::ours_or_refuse(sr, base)?;
    scope::a_new_referral_with_nothing_unknown(sr, raw, base, resources)?;
    let mut origins = Origins::new();

    let patient_found = patient::subject(sr, base, resources)?;
    let patient: Patient = patient_found.parse()?;
    let person = patient::read_patient(&patient, &patient_found.path, resources, &mut origins);

    let referrer = requester::read_requester(sr, base, resources, sender, caller_org, &mut origins);
    let source = requester::source_of(sr, resources, &referrer, &person);
    origins.push(("source", format!("{base}.requester")));
    let reasons = reasons_of(&codings);
    origins.push(("reasons", format!("{base}.reasonCode")));
    let notes: Vec<&str> = sr.note.iter().filter_map(|n| n.text.as_deref()).collect();
    origins.push(("notes", format!("{base}.note")));
    let urgency = urgency_of(sr);
    origins.push(("urgency", format!("{base}.priority")));
    let consent = patient::read_consent(sr, base, resources, patient_found, &mut origins);
    let receiving_service = requester::read_performer(sr, base, resources, &mut origins)?;

    // Longest prefixes first, so `person.nhs_number` wins over `person`.
    origins.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    Ok(Intake {
        request: Some(CreateReferralRequest {
            person,
            source: source.to_owned(),
            referrer,
            reasons,
            notes: (!notes.is_empty()).then(|| notes.join("\n\n")),
            urgency,
            consent,
            receiving_service,
            // A FHIR referral reaches us system to system: the standard's "secure messaging".
            referral_method: Some(ReferralMethod::SecureMessaging.as_str().to_owned()),
            ..Default::default()
        }),
        source_id: None,
        codings,
        requested: requested_as_sent(raw),
        origins,
        message: None,
        transaction: None,
    })
}

/// The elements named in [`REQUESTED`], exactly as they were sent.
fn requested_as_sent(raw: &Value) -> Value {
    REQUESTED
        .iter()
        .filter_map(|e| Some(((*e).to_owned(), raw.get(*e)?.clone())))
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// Every mapped coding's reason once, in order; none at all is `other`.
fn reasons_of(codings: &Value) -> Vec<String> {
    let mut reasons: Vec<String> = Vec::new();
    for c in codings.as_array().into_iter().flatten() {
        if let Some(r) = c["reason"].as_str()
            && !reasons.iter().any(|x| x == r)
        {
            reasons.push(r.to_owned());
        }
    }
    if reasons.is_empty() {
        reasons.push(Reason::Other.as_str().to_owned());
    }
    reasons
}

/// An unknown priority is passed on as it is, for the referral rules to refuse.
fn urgency_of(sr: &ServiceRequest) -> Option<String> {
    sr.priority.as_deref().map(|p| {
        mapping::urgency_from_priority(p)
            .map(|u| u.as_str().to_owned())
            .unwrap_or_else(|| p.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::fhir::model::MessageHeader;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../tests/fixtures/fhir/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn refusal(result: Result<Intake, FhirError>) -> (String, Vec<String>) {
        let e = result.unwrap_err();
        (e.issues[0].code.to_owned(), e.issues[0].expression.clone())
    }

    #[test]
    fn every_real_example_reads_into_the_model() {
        let bars = fixture("bars/Bundle-message-ValidationRequest-POST.json");
        let bundle: Bundle = parse_at(&bars, "Bundle").unwrap();
        assert_eq!(bundle.entry.len(), 19);
        let header: MessageHeader =
            parse_at(bundle.entry[0].resource.as_ref().unwrap(), "x").unwrap();
        assert_eq!(header.focus.len(), 1);
        let patient: Patient = parse_at(bundle.entry[5].resource.as_ref().unwrap(), "x").unwrap();
        assert_eq!(patient.name[0].family.as_deref(), Some("Jones"));
        for sr in [
            "sdoh-cc/ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json",
            "ukcore/UKCore-ServiceRequest-ColonoscopyRequest-Example.json",
        ] {
            let _: ServiceRequest = parse_at(&fixture(sr), "ServiceRequest").unwrap();
        }
    }

    #[test]
    fn a_bars_validation_request_is_refused_at_its_category() {
        let bars = fixture("bars/Bundle-message-ValidationRequest-POST.json");
        assert_eq!(
            refusal(from_bundle(&bars, "Y02794")),
            (
                "not-supported".to_owned(),
                vec!["Bundle.entry[1].resource.category[0]".to_owned()]
            )
        );
    }

    #[test]
    fn a_colonoscopy_is_refused_at_its_code() {
        let sr = fixture("ukcore/UKCore-ServiceRequest-ColonoscopyRequest-Example.json");
        assert_eq!(
            refusal(from_service_request(&sr, "Y02794")),
            (
                "not-supported".to_owned(),
                vec!["ServiceRequest.code".to_owned()]
            )
        );
    }

    #[test]
    fn a_service_request_whose_patient_is_elsewhere_needs_it_contained() {
        let sr = fixture(
            "sdoh-cc/ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json",
        );
        assert_eq!(
            refusal(from_service_request(&sr, "Y02794")),
            (
                "required".to_owned(),
                vec!["ServiceRequest.subject".to_owned()]
            )
        );
    }
}
