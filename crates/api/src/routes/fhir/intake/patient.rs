//! The person: the ServiceRequest's subject Patient read into our `person`, and the
//! Consent for that person read into our `consent`. Each field's FHIRPath is recorded in
//! the origins, so the referral rules' errors point at the element that was sent.

use super::Origins;
use super::requester::ods_of;
use super::resources::{Found, Resources, find_extension};
use crate::error::fhir::FhirError;
use crate::routes::fhir::mapping::{self, same_system};
use crate::routes::fhir::model::{
    Address, Consent, ContactPoint, HumanName, Patient, Reference, ServiceRequest,
};
use crate::routes::referrals::{ConsentRequest, PersonRequest};

const INTERPRETER_REQUIRED: &str =
    "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";

/// The ServiceRequest's subject, which must be a Patient in the request.
pub(super) fn subject<'a>(
    sr: &ServiceRequest,
    base: &str,
    resources: &'a Resources,
) -> Result<&'a Found, FhirError> {
    let subject = sr.subject.as_ref().and_then(|s| resources.resolve(s));
    subject
        .filter(|f| f.resource_type() == "Patient")
        .ok_or_else(|| {
            FhirError::unprocessable(
                "required",
                "required",
                "the subject must be a Patient contained in the ServiceRequest or in the Bundle",
                format!("{base}.subject"),
            )
        })
}

/// The Patient at `pp` as our person: the NHS number, the official (else first) name, the
/// home (else any) address with a postcode, contact points, language and practice.
pub(super) fn read_patient(
    p: &Patient,
    pp: &str,
    resources: &Resources,
    origins: &mut Origins,
) -> PersonRequest {
    origins.push(("person", pp.to_owned()));
    let nhs_number = nhs_number(p, pp, origins);
    let name = name(p, pp, origins);
    origins.push(("person.date_of_birth", format!("{pp}.birthDate")));
    let address = address(p, pp, origins);
    let contact = contact_points(p, pp, origins);
    let language = language(p, pp, origins);
    let interpreter_needed = find_extension(&p.extension, INTERPRETER_REQUIRED)
        .and_then(|e| e.value_boolean)
        .unwrap_or(false);
    let registered_practice = registered_practice(p, pp, resources, origins);
    PersonRequest {
        nhs_number,
        given_name: name.map(|n| n.given.join(" ")).unwrap_or_default(),
        family_name: name.and_then(|n| n.family.clone()).unwrap_or_default(),
        date_of_birth: p.birth_date.clone().unwrap_or_default(),
        postcode: address
            .and_then(|a| a.postal_code.clone())
            .unwrap_or_default(),
        address_lines: address.map(|a| a.line.clone()),
        phone: contact.phone,
        email: contact.email,
        preferred_contact: contact.preferred.to_owned(),
        preferred_contact_inferred: contact.inferred,
        language,
        interpreter_needed,
        accessibility_needs: None,
        registered_practice,
        ..Default::default()
    }
}

fn nhs_number(p: &Patient, pp: &str, origins: &mut Origins) -> Option<String> {
    let (i, id) = p.identifier.iter().enumerate().find(|(_, id)| {
        id.system
            .as_deref()
            .is_some_and(|s| same_system(s, mapping::NHS_NUMBER))
    })?;
    origins.push(("person.nhs_number", format!("{pp}.identifier[{i}].value")));
    id.value.clone()
}

fn name<'a>(p: &'a Patient, pp: &str, origins: &mut Origins) -> Option<&'a HumanName> {
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
    name.map(|(_, n)| n)
}

fn address<'a>(p: &'a Patient, pp: &str, origins: &mut Origins) -> Option<&'a Address> {
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
    address.map(|(_, a)| a)
}

/// How to reach the person, and how they prefer: the best-ranked contact point decides,
/// and with none, a letter (marked as inferred).
struct ContactDetails {
    phone: Option<String>,
    email: Option<String>,
    preferred: &'static str,
    inferred: bool,
}

fn contact_points(p: &Patient, pp: &str, origins: &mut Origins) -> ContactDetails {
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
    let preferred = telecom.iter().find_map(|t| match t.system.as_deref() {
        Some("phone") => Some("phone"),
        Some("sms") => Some("text"),
        Some("email") => Some("email"),
        _ => None,
    });
    for field in ["person.phone", "person.email", "person.preferred_contact"] {
        origins.push((field, format!("{pp}.telecom")));
    }
    ContactDetails {
        phone: first_of(&["phone", "sms"]),
        email: first_of(&["email"]),
        preferred: preferred.unwrap_or("letter"),
        inferred: preferred.is_none(),
    }
}

/// The preferred (else first) language, as its text or its first coding's display or code.
fn language(p: &Patient, pp: &str, origins: &mut Origins) -> Option<String> {
    let communication = p
        .communication
        .iter()
        .find(|c| c.preferred == Some(true))
        .or_else(|| p.communication.first());
    origins.push(("person.language", format!("{pp}.communication")));
    let l = communication?.language.as_ref()?;
    l.text.clone().or_else(|| {
        l.coding
            .first()
            .and_then(|c| c.display.clone().or(c.code.clone()))
    })
}

/// The first `generalPractitioner` that names an ODS code.
fn registered_practice(
    p: &Patient,
    pp: &str,
    resources: &Resources,
    origins: &mut Origins,
) -> Option<String> {
    let (i, ods) = p
        .general_practitioner
        .iter()
        .enumerate()
        .find_map(|(i, r)| ods_of(r, resources).map(|ods| (i, ods)))?;
    origins.push((
        "person.registered_practice",
        format!("{pp}.generalPractitioner[{i}]"),
    ));
    Some(ods)
}

/// Consent: a Consent referenced from `supportingInfo`, else one contained or in the
/// Bundle for the same patient. `active` (and not a `deny` provision) is consent given;
/// its `dateTime` is when; how is our consent-method extension, else `written` when the
/// Consent has a source document, else `verbal`. No Consent at all is consent not given,
/// which the referral rules refuse.
pub(super) fn read_consent(
    sr: &ServiceRequest,
    base: &str,
    resources: &Resources,
    patient: &Found,
    origins: &mut Origins,
) -> ConsentRequest {
    let found = consent_for(sr, resources, patient);
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

fn consent_for<'a>(
    sr: &ServiceRequest,
    resources: &'a Resources,
    patient: &Found,
) -> Option<&'a Found> {
    let referenced = sr
        .supporting_info
        .iter()
        .filter_map(|r| resources.resolve(r))
        .find(|f| f.resource_type() == "Consent");
    referenced.or_else(|| {
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
    })
}
