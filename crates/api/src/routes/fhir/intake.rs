//! FHIR in: a ServiceRequest (with its Patient contained, or beside it in a transaction or
//! message Bundle) read into the very [`CreateReferralRequest`] that `POST /v1/referrals`
//! takes, so that one validator, `CreateReferralRequest::into_domain`, decides. This
//! module only finds things and says where it found them; it judges nothing except
//! whether the request is a social prescribing one at all.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use socialrx_domain::particulars::ReferralMethod;
use socialrx_domain::referral::Reason;

use super::mapping::{self, CodingMeaning, same_system};
use super::model::*;
use super::outcome::{FhirError, Issue};
use crate::routes::referrals::{
    ConsentRequest, CreateReferralRequest, PersonRequest, ReceivingServiceRequest, ReferrerRequest,
};

/// BaRS: the category that marks a request for clinical validation.
const BARS_CATEGORY: &str = "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest";
const BARS_EVENTS: &str = "https://fhir.nhs.uk/CodeSystem/message-events-bars";
const UK_CORE_SOURCE_OF_REQUEST: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest";
/// SNOMED CT 108161000000109 |Referred by general practitioner|.
const REFERRED_BY_GP: &str = "108161000000109";
/// SNOMED CT 408443003 |General medical practice|.
const GENERAL_MEDICAL_PRACTICE: &str = "408443003";
const INTERPRETER_REQUIRED: &str =
    "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";
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

/// One resource found in the request, with where it sits.
struct Found {
    value: Value,
    /// FHIRPath to it: `ServiceRequest.contained[0]`, `Bundle.entry[5].resource`.
    path: String,
    full_url: Option<String>,
}

impl Found {
    fn resource_type(&self) -> &str {
        self.value["resourceType"].as_str().unwrap_or("")
    }

    fn id(&self) -> Option<&str> {
        self.value["id"].as_str()
    }

    fn parse<T: DeserializeOwned>(&self) -> Result<T, FhirError> {
        parse_at(&self.value, &self.path)
    }
}

/// Reads a resource, naming the element whose shape is wrong.
fn parse_at<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, FhirError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let expression = if at == "." {
            path.to_owned()
        } else {
            format!("{path}.{at}")
        };
        FhirError::unprocessable(
            "structure",
            "type",
            format!("{expression}: {}", e.into_inner()),
            expression,
        )
    })
}

/// The resources a ServiceRequest may point to: its contained ones, or a Bundle's entries.
struct Resources {
    all: Vec<Found>,
}

impl Resources {
    fn resolve(&self, from: &Reference) -> Option<&Found> {
        let r = from.reference.as_deref()?;
        if let Some(local) = r.strip_prefix('#') {
            return self
                .all
                .iter()
                .find(|f| f.path.contains(".contained[") && f.id() == Some(local));
        }
        if let Some(hit) = self.all.iter().find(|f| f.full_url.as_deref() == Some(r)) {
            return Some(hit);
        }
        let mut parts = r.rsplitn(2, '/');
        let (id, kind) = (parts.next()?, parts.next()?);
        let kind = kind.rsplit('/').next().unwrap_or(kind);
        self.all
            .iter()
            .find(|f| f.resource_type() == kind && f.id() == Some(id))
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Found> + 'a {
        self.all.iter().filter(move |f| f.resource_type() == kind)
    }
}

fn is(value: &Value, kind: &str) -> bool {
    value["resourceType"].as_str() == Some(kind)
}

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
    let mut all = Vec::new();
    for (i, entry) in bundle.entry.iter().enumerate() {
        let Some(resource) = &entry.resource else {
            continue;
        };
        let path = format!("Bundle.entry[{i}].resource");
        if let Some(contained) = resource["contained"].as_array() {
            for (j, c) in contained.iter().enumerate() {
                all.push(Found {
                    value: c.clone(),
                    path: format!("{path}.contained[{j}]"),
                    full_url: None,
                });
            }
        }
        all.push(Found {
            value: resource.clone(),
            path,
            full_url: entry.full_url.clone(),
        });
    }
    let resources = Resources { all };
    let (sr_found, message) = match bundle.type_.as_deref() {
        Some("message") => {
            let first = bundle.entry.first().and_then(|e| e.resource.as_ref());
            if !first.is_some_and(|r| is(r, "MessageHeader")) {
                return Err(FhirError::unprocessable(
                    "structure",
                    "message_header_first",
                    "a message Bundle starts with its MessageHeader",
                    "Bundle.entry[0].resource",
                ));
            }
            let header: MessageHeader =
                parse_at(first.unwrap_or(&Value::Null), "Bundle.entry[0].resource")?;
            if let Some(event) = &header.event_coding {
                let bars = event
                    .system
                    .as_deref()
                    .is_some_and(|s| same_system(s, BARS_EVENTS));
                if bars && event.code.as_deref() != Some("servicerequest-request") {
                    return Err(FhirError::unprocessable(
                        "not-supported",
                        "message_event",
                        format!(
                            "the BaRS event '{}' is not supported: socialrx takes 'servicerequest-request' (a new referral)",
                            event.code.as_deref().unwrap_or("")
                        ),
                        "Bundle.entry[0].resource.eventCoding",
                    ));
                }
            }
            let focus = header
                .focus
                .iter()
                .filter_map(|f| resources.resolve(f))
                .find(|f| f.resource_type() == "ServiceRequest");
            let Some(focus) = focus else {
                return Err(FhirError::unprocessable(
                    "required",
                    "required",
                    "the MessageHeader's focus must be a ServiceRequest in the Bundle",
                    "Bundle.entry[0].resource.focus",
                ));
            };
            let sender = header
                .sender
                .as_ref()
                .and_then(|s| resources.resolve(s))
                .filter(|f| f.resource_type() == "Organization")
                .map(|f| f.path.clone());
            let info = MessageInfo {
                header_id: header.id.clone(),
                bundle_id: bundle.id.clone(),
                event: header.event_coding.clone(),
            };
            (focus, Some((info, sender)))
        }
        Some("transaction") => {
            let mut srs = resources
                .of_type("ServiceRequest")
                .filter(|f| !f.path.contains(".contained["));
            let (Some(sr), None) = (srs.next(), srs.next()) else {
                return Err(FhirError::unprocessable(
                    "invalid",
                    "one_service_request",
                    "a transaction Bundle must hold exactly one ServiceRequest",
                    "Bundle.entry",
                ));
            };
            (sr, None)
        }
        other => {
            return Err(FhirError::unprocessable(
                "not-supported",
                "bundle_type",
                format!(
                    "Bundle type '{}' is not supported here: send a 'transaction' or a 'message'",
                    other.unwrap_or("")
                ),
                "Bundle.type",
            ));
        }
    };
    let sr: ServiceRequest = sr_found.parse()?;
    let sender_path = message.as_ref().and_then(|(_, s)| s.clone());
    let mut intake = read(
        &sr,
        &sr_found.value,
        &sr_found.path,
        &resources,
        sender_path.as_deref(),
        caller_org,
    )?;
    intake.source_id = sr_found.full_url.clone().or_else(|| sr.id.clone());
    intake.message = message.map(|(info, _)| info);
    if bundle.type_.as_deref() == Some("transaction") {
        let index = sr_found
            .path
            .strip_prefix("Bundle.entry[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        intake.transaction = Some((index, bundle.entry.len()));
    }
    Ok(intake)
}

fn wrong_type(value: &Value, expected: &str, at: &str) -> FhirError {
    FhirError::unprocessable(
        "structure",
        "resource_type",
        format!(
            "expected a {expected}, not '{}'",
            value["resourceType"]
                .as_str()
                .unwrap_or("(no resourceType)")
        ),
        format!("{at}.resourceType"),
    )
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
    let codings = ours_or_refuse(sr, base)?;
    a_new_referral_with_nothing_unknown(sr, raw, base, resources)?;
    let requested: serde_json::Map<String, Value> = REQUESTED
        .iter()
        .filter_map(|e| Some(((*e).to_owned(), raw.get(*e)?.clone())))
        .collect();
    let mut origins: Vec<(&'static str, String)> = Vec::new();

    // The person.
    let subject = sr.subject.as_ref().and_then(|s| resources.resolve(s));
    let Some(patient_found) = subject.filter(|f| f.resource_type() == "Patient") else {
        return Err(FhirError::unprocessable(
            "required",
            "required",
            "the subject must be a Patient contained in the ServiceRequest or in the Bundle",
            format!("{base}.subject"),
        ));
    };
    let patient: Patient = patient_found.parse()?;
    let pp = &patient_found.path;
    let person = read_patient(&patient, pp, resources, &mut origins);

    // The referrer.
    let referrer = read_requester(sr, base, resources, sender, caller_org, &mut origins);
    let source = source_of(sr, resources, &referrer, &person);
    origins.push(("source", format!("{base}.requester")));

    // Reasons: every mapped coding once, in order; none at all is `other`.
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
    origins.push(("reasons", format!("{base}.reasonCode")));

    let notes: Vec<&str> = sr.note.iter().filter_map(|n| n.text.as_deref()).collect();
    origins.push(("notes", format!("{base}.note")));
    // An unknown priority is passed on as it is, for the referral rules to refuse.
    let urgency = sr.priority.as_deref().map(|p| {
        mapping::urgency_from_priority(p)
            .map(|u| u.as_str().to_owned())
            .unwrap_or_else(|| p.to_owned())
    });
    origins.push(("urgency", format!("{base}.priority")));

    let consent = read_consent(sr, base, resources, patient_found, &mut origins);
    let receiving_service = read_performer(sr, base, resources, &mut origins)?;

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
        requested: Value::Object(requested),
        origins,
        message: None,
        transaction: None,
    })
}

/// Once the request is known to be ours: refused unless its `status` and `intent` make it
/// a new referral, and unless every resource in it is of a type we read (or a listed
/// context type) with only the elements we read or deliberately leave unused
/// ([`elements`]). Every fault is one issue.
fn a_new_referral_with_nothing_unknown(
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
fn ours_or_refuse(sr: &ServiceRequest, base: &str) -> Result<Value, FhirError> {
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

fn read_patient(
    p: &Patient,
    pp: &str,
    resources: &Resources,
    origins: &mut Vec<(&'static str, String)>,
) -> PersonRequest {
    origins.push(("person", pp.to_owned()));
    let nhs = p.identifier.iter().enumerate().find(|(_, id)| {
        id.system
            .as_deref()
            .is_some_and(|s| same_system(s, mapping::NHS_NUMBER))
    });
    if let Some((i, _)) = nhs {
        origins.push(("person.nhs_number", format!("{pp}.identifier[{i}].value")));
    }
    let name = p
        .name
        .iter()
        .enumerate()
        .find(|(_, n)| n.use_.as_deref() == Some("official"))
        .or_else(|| p.name.iter().enumerate().next());
    let name_at = name
        .map(|(i, _)| format!("{pp}.name[{i}]"))
        .unwrap_or_else(|| format!("{pp}.name"));
    origins.push(("person.given_name", format!("{name_at}.given")));
    origins.push(("person.family_name", format!("{name_at}.family")));
    origins.push(("person.date_of_birth", format!("{pp}.birthDate")));
    let address = p
        .address
        .iter()
        .enumerate()
        .filter(|(_, a)| a.postal_code.is_some())
        .min_by_key(|(_, a)| a.use_.as_deref() != Some("home"));
    origins.push((
        "person.address_lines",
        address
            .map(|(i, _)| format!("{pp}.address[{i}].line"))
            .unwrap_or_else(|| format!("{pp}.address")),
    ));
    origins.push((
        "person.postcode",
        address
            .map(|(i, _)| format!("{pp}.address[{i}].postalCode"))
            .unwrap_or_else(|| format!("{pp}.address")),
    ));

    // The person's own contact points: on the Patient, or (as BaRS sends them) on a
    // contact whose relationship is ONESELF.
    let mut telecom: Vec<&ContactPoint> = p.telecom.iter().collect();
    for contact in &p.contact {
        let oneself = contact
            .relationship
            .iter()
            .flat_map(|r| &r.coding)
            .any(|c| c.code.as_deref() == Some("ONESELF"));
        if oneself {
            telecom.extend(contact.telecom.iter());
        }
    }
    telecom.sort_by_key(|t| t.rank.unwrap_or(u32::MAX));
    let first_of = |systems: &[&str]| {
        telecom
            .iter()
            .find(|t| systems.contains(&t.system.as_deref().unwrap_or("")) && t.value.is_some())
            .and_then(|t| t.value.clone())
    };
    let phone = first_of(&["phone", "sms"]);
    let email = first_of(&["email"]);
    let preferred = telecom.iter().find_map(|t| match t.system.as_deref() {
        Some("phone") => Some("phone"),
        Some("sms") => Some("text"),
        Some("email") => Some("email"),
        _ => None,
    });
    let inferred = preferred.is_none();
    let preferred = preferred.unwrap_or("letter");
    for field in ["person.phone", "person.email", "person.preferred_contact"] {
        origins.push((field, format!("{pp}.telecom")));
    }
    let communication = p
        .communication
        .iter()
        .enumerate()
        .find(|(_, c)| c.preferred == Some(true))
        .or_else(|| p.communication.iter().enumerate().next());
    let language = communication.and_then(|(_, c)| {
        let l = c.language.as_ref()?;
        l.text.clone().or_else(|| {
            l.coding
                .first()
                .and_then(|c| c.display.clone().or(c.code.clone()))
        })
    });
    origins.push(("person.language", format!("{pp}.communication")));
    let interpreter_needed = find_extension(&p.extension, INTERPRETER_REQUIRED)
        .and_then(|e| e.value_boolean)
        .unwrap_or(false);
    let practice = p
        .general_practitioner
        .iter()
        .enumerate()
        .find_map(|(i, r)| ods_of(r, resources).map(|ods| (i, ods)));
    if let Some((i, _)) = &practice {
        origins.push((
            "person.registered_practice",
            format!("{pp}.generalPractitioner[{i}]"),
        ));
    }
    PersonRequest {
        nhs_number: nhs.and_then(|(_, id)| id.value.clone()),
        given_name: name.map(|(_, n)| n.given.join(" ")).unwrap_or_default(),
        family_name: name.and_then(|(_, n)| n.family.clone()).unwrap_or_default(),
        date_of_birth: p.birth_date.clone().unwrap_or_default(),
        postcode: address
            .and_then(|(_, a)| a.postal_code.clone())
            .unwrap_or_default(),
        address_lines: address.map(|(_, a)| a.line.clone()),
        phone,
        email,
        preferred_contact: preferred.to_owned(),
        preferred_contact_inferred: inferred,
        language,
        interpreter_needed,
        accessibility_needs: None,
        registered_practice: practice.map(|(_, ods)| ods),
        ..Default::default()
    }
}

fn find_extension<'a>(extensions: &'a [Extension], url: &str) -> Option<&'a Extension> {
    extensions.iter().find(|e| e.url == url)
}

fn ods_in(identifiers: &[Identifier]) -> Option<String> {
    identifiers
        .iter()
        .find(|i| {
            i.system
                .as_deref()
                .is_some_and(|s| same_system(s, mapping::ODS_ORGANISATION_CODE))
        })
        .and_then(|i| i.value.clone())
}

/// The receiving service: `performer`, one Organization named by its ODS code (in the
/// reference's identifier or the resolved Organization's). None: the calling organisation
/// receives it. A performer that names no ODS code is refused, never ignored: sending the
/// referral to the caller instead would route it to the wrong service.
fn read_performer(
    sr: &ServiceRequest,
    base: &str,
    resources: &Resources,
    origins: &mut Vec<(&'static str, String)>,
) -> Result<Option<ReceivingServiceRequest>, FhirError> {
    match sr.performer.as_slice() {
        [] => Ok(None),
        [performer] => {
            let at = format!("{base}.performer[0]");
            // BaRS names a HealthcareService (by its DoS id) provided by the receiving
            // Organization: the organisation is what receives the referral here.
            let provider = resources
                .resolve(performer)
                .filter(|f| f.resource_type() == "HealthcareService")
                .and_then(|f| {
                    serde_json::from_value::<Reference>(f.value["providedBy"].clone()).ok()
                });
            let Some(ods) = ods_of(provider.as_ref().unwrap_or(performer), resources) else {
                return Err(FhirError::unprocessable(
                    "required",
                    "performer_ods_code",
                    "the performer must be the receiving service: an Organization with an \
                     ODS code identifier (https://fhir.nhs.uk/Id/ods-organization-code), or a \
                     HealthcareService whose providedBy is one",
                    at,
                ));
            };
            origins.push(("receiving_service", at));
            Ok(Some(ReceivingServiceRequest {
                ods_code: Some(ods),
                organisation_id: None,
            }))
        }
        _ => Err(FhirError::unprocessable(
            "not-supported",
            "one_performer",
            "a referral goes to one receiving service: give exactly one performer",
            format!("{base}.performer"),
        )),
    }
}

/// The ODS code an Organization reference names: by its identifier, or the resolved
/// Organization's.
fn ods_of(r: &Reference, resources: &Resources) -> Option<String> {
    if let Some(ods) = r
        .identifier
        .as_ref()
        .and_then(|i| ods_in(std::slice::from_ref(i)))
    {
        return Some(ods);
    }
    let found = resources.resolve(r)?;
    if found.resource_type() != "Organization" {
        return None;
    }
    let org: Organization = found.parse().ok()?;
    ods_in(&org.identifier)
}

fn name_of(names: &[HumanName]) -> Option<String> {
    let n = names
        .iter()
        .find(|n| n.use_.as_deref() == Some("official"))
        .or(names.first())?;
    n.text.clone().or_else(|| {
        let mut parts = n.given.clone();
        parts.extend(n.family.clone());
        (!parts.is_empty()).then(|| parts.join(" "))
    })
}

/// Who sent it: the requester (an Organization, a PractitionerRole, or a Practitioner
/// and the PractitionerRole in the Bundle that places them), the message's sender for an
/// ODS code the requester lacks, and failing both the calling organisation itself.
fn read_requester(
    sr: &ServiceRequest,
    base: &str,
    resources: &Resources,
    sender: Option<&str>,
    caller_org: &str,
    origins: &mut Vec<(&'static str, String)>,
) -> ReferrerRequest {
    let mut ods = None;
    let mut name = None;
    let mut role = None;
    let mut org_name = None;
    let requester_at = format!("{base}.requester");
    if let Some(r) = &sr.requester {
        name = r.display.clone();
        ods = r
            .identifier
            .as_ref()
            .and_then(|i| ods_in(std::slice::from_ref(i)));
        let found = resources.resolve(r);
        let mut role_found = None;
        match found.map(|f| f.resource_type()) {
            Some("Organization") => {
                if let Some(org) = found.and_then(|f| f.parse::<Organization>().ok()) {
                    ods = ods.or(ods_in(&org.identifier));
                    org_name = org.name;
                }
            }
            Some("PractitionerRole") => role_found = found,
            Some("Practitioner") => {
                if let Some(p) = found.and_then(|f| f.parse::<Practitioner>().ok()) {
                    name = name.or(name_of(&p.name));
                }
                role_found = resources.of_type("PractitionerRole").find(|f| {
                    f.parse::<PractitionerRole>().ok().is_some_and(|pr| {
                        pr.practitioner
                            .as_ref()
                            .and_then(|p| resources.resolve(p))
                            .is_some_and(|p| {
                                Some(p.path.as_str()) == found.map(|f| f.path.as_str())
                            })
                    })
                });
            }
            _ => {}
        }
        if let Some(pr) = role_found.and_then(|f| f.parse::<PractitionerRole>().ok()) {
            if let Some(pract) = pr
                .practitioner
                .as_ref()
                .and_then(|p| resources.resolve(p))
                .and_then(|f| f.parse::<Practitioner>().ok())
            {
                name = name.or(name_of(&pract.name));
            }
            if let Some(o) = pr.organization.as_ref() {
                ods = ods.or(ods_of(o, resources));
                if let Some(org) = resources
                    .resolve(o)
                    .and_then(|f| f.parse::<Organization>().ok())
                {
                    org_name = org_name.or(org.name);
                }
            }
            role = pr.code.iter().find_map(|c| {
                c.text
                    .clone()
                    .or(c.coding.first().and_then(|c| c.display.clone()))
            });
        }
    }
    if let Some(org) = sender
        .and_then(|sender| resources.all.iter().find(|f| f.path == sender))
        .and_then(|f| f.parse::<Organization>().ok())
    {
        if ods.is_none() {
            ods = ods_in(&org.identifier);
        }
        org_name = org_name.or(org.name);
    }
    if sr.requester.is_none() && ods.is_none() {
        // No requester at all: the calling organisation sent it on its own behalf.
        ods = Some(caller_org.to_owned());
    }
    origins.push(("referrer", requester_at));
    ReferrerRequest {
        name: name
            .or(org_name)
            .or_else(|| ods.clone())
            .unwrap_or_default(),
        ods_code: ods,
        role,
        ..Default::default()
    }
}

/// Our `source`: a UK Core source-of-request of "referred by GP", a requester working in
/// general medical practice, or a requester that is the person's own practice, make it
/// `gp`; anything else from a clinical system is `other_professional`.
fn source_of(
    sr: &ServiceRequest,
    resources: &Resources,
    referrer: &ReferrerRequest,
    person: &PersonRequest,
) -> &'static str {
    let by_gp_extension = find_extension(&sr.extension, UK_CORE_SOURCE_OF_REQUEST)
        .and_then(|e| e.value_codeable_concept.as_ref())
        .is_some_and(|c| {
            c.coding
                .iter()
                .any(|c| c.code.as_deref() == Some(REFERRED_BY_GP))
        });
    let gp_role = resources.of_type("PractitionerRole").any(|f| {
        f.parse::<PractitionerRole>().ok().is_some_and(|pr| {
            pr.specialty
                .iter()
                .flat_map(|s| &s.coding)
                .any(|c| c.code.as_deref() == Some(GENERAL_MEDICAL_PRACTICE))
        }) && sr.requester.as_ref().is_some_and(|r| {
            let requester = resources.resolve(r).map(|x| x.path.clone());
            requester.as_deref() == Some(f.path.as_str())
                || f.value["practitioner"]["reference"].as_str() == r.reference.as_deref()
        })
    });
    let own_practice =
        referrer.ods_code.is_some() && referrer.ods_code == person.registered_practice;
    if by_gp_extension || gp_role || own_practice {
        "gp"
    } else {
        "other_professional"
    }
}

/// Consent: a Consent referenced from `supportingInfo`, else one contained or in the
/// Bundle for the same patient. `active` (and not a `deny` provision) is consent given;
/// its `dateTime` is when; how is our consent-method extension, else `written` when the
/// Consent has a source document, else `verbal`. No Consent at all is consent not given,
/// which the referral rules refuse.
fn read_consent(
    sr: &ServiceRequest,
    base: &str,
    resources: &Resources,
    patient: &Found,
    origins: &mut Vec<(&'static str, String)>,
) -> ConsentRequest {
    let referenced = sr
        .supporting_info
        .iter()
        .filter_map(|r| resources.resolve(r))
        .find(|f| f.resource_type() == "Consent");
    let found = referenced.or_else(|| {
        resources.of_type("Consent").find(|f| {
            let r = f.value["patient"]["reference"].as_str();
            r.is_none()
                || resources
                    .resolve(&Reference {
                        reference: r.map(str::to_owned),
                        ..Reference::default()
                    })
                    .is_some_and(|p| p.path == patient.path)
        })
    });
    let consent = found.and_then(|f| f.parse::<Consent>().ok());
    let Some((found, consent)) = found.zip(consent) else {
        origins.push(("consent", format!("{base}.supportingInfo")));
        return ConsentRequest {
            given: false,
            given_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            method: "verbal".into(),
            ..Default::default()
        };
    };
    let at = &found.path;
    origins.push(("consent.given", format!("{at}.status")));
    origins.push(("consent.given_at", format!("{at}.dateTime")));
    origins.push(("consent.method", format!("{at}.extension")));
    let given = consent.status.as_deref() == Some("active")
        && consent.provision.as_ref().and_then(|p| p.type_.as_deref()) != Some("deny");
    let given_at = consent.date_time.clone().unwrap_or_default();
    // A FHIR dateTime may be a bare date: read it as the start of that day, UTC.
    let given_at = if given_at.len() == 10 {
        format!("{given_at}T00:00:00Z")
    } else {
        given_at
    };
    let method = find_extension(&consent.extension, mapping::CONSENT_METHOD_EXTENSION)
        .and_then(|e| e.value_code.clone())
        .unwrap_or_else(|| {
            if consent.source_attachment.is_some() || consent.source_reference.is_some() {
                "written".into()
            } else {
                "verbal".into()
            }
        });
    ConsentRequest {
        given,
        given_at,
        method,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
