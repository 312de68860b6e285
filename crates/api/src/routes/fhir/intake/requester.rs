//! Who sent the referral and who is to receive it: the requester (with the message's
//! sender and the calling organisation as fall-backs) as our `referrer`, our `source`
//! (a GP or another professional), and the performer as our `receiving_service`.

use super::Origins;
use super::resources::{Found, Resources, find_extension};
use crate::error::fhir::FhirError;
use crate::routes::fhir::mapping::{self, same_system};
use crate::routes::fhir::model::{
    HumanName, Identifier, Organization, Practitioner, PractitionerRole, Reference, ServiceRequest,
};
use crate::routes::referrals::{PersonRequest, ReceivingServiceRequest, ReferrerRequest};

const UK_CORE_SOURCE_OF_REQUEST: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest";
/// SNOMED CT 108161000000109 |Referred by general practitioner|.
const REFERRED_BY_GP: &str = "108161000000109";
/// SNOMED CT 408443003 |General medical practice|.
const GENERAL_MEDICAL_PRACTICE: &str = "408443003";

/// Who sent it: the requester (an Organization, a PractitionerRole, or a Practitioner
/// and the PractitionerRole in the Bundle that places them), the message's sender for an
/// ODS code the requester lacks, and failing both the calling organisation itself.
pub(super) fn read_requester(
    sr: &ServiceRequest,
    base: &str,
    resources: &Resources,
    sender: Option<&str>,
    caller_org: &str,
    origins: &mut Origins,
) -> ReferrerRequest {
    let mut who = sr
        .requester
        .as_ref()
        .map(|r| requester(r, resources))
        .unwrap_or_default();
    if let Some(org) = sender
        .and_then(|sender| resources.all.iter().find(|f| f.path == sender))
        .and_then(|f| f.parse::<Organization>().ok())
    {
        if who.ods.is_none() {
            who.ods = ods_in(&org.identifier);
        }
        who.org_name = who.org_name.or(org.name);
    }
    if sr.requester.is_none() && who.ods.is_none() {
        // No requester at all: the calling organisation sent it on its own behalf.
        who.ods = Some(caller_org.to_owned());
    }
    origins.push(("referrer", format!("{base}.requester")));
    ReferrerRequest {
        name: who
            .name
            .or(who.org_name)
            .or_else(|| who.ods.clone())
            .unwrap_or_default(),
        ods_code: who.ods,
        role: who.role,
        ..Default::default()
    }
}

/// What the requester and the resources it leads to say about the sender.
#[derive(Default)]
struct Requester {
    /// The person's name (or the reference's display).
    name: Option<String>,
    ods: Option<String>,
    role: Option<String>,
    org_name: Option<String>,
}

fn requester(r: &Reference, resources: &Resources) -> Requester {
    let mut who = Requester {
        name: r.display.clone(),
        ods: r
            .identifier
            .as_ref()
            .and_then(|i| ods_in(std::slice::from_ref(i))),
        ..Default::default()
    };
    let found = resources.resolve(r);
    let mut role_found = None;
    match found.map(|f| f.resource_type()) {
        Some("Organization") => {
            if let Some(org) = found.and_then(|f| f.parse::<Organization>().ok()) {
                who.ods = who.ods.or(ods_in(&org.identifier));
                who.org_name = org.name;
            }
        }
        Some("PractitionerRole") => role_found = found,
        Some("Practitioner") => {
            if let Some(p) = found.and_then(|f| f.parse::<Practitioner>().ok()) {
                who.name = who.name.or(name_of(&p.name));
            }
            role_found = found.and_then(|f| role_placing(f, resources));
        }
        _ => {}
    }
    if let Some(pr) = role_found.and_then(|f| f.parse::<PractitionerRole>().ok()) {
        add_role(&mut who, &pr, resources);
    }
    who
}

/// The PractitionerRole in the request whose practitioner is this one.
fn role_placing<'a>(practitioner: &Found, resources: &'a Resources) -> Option<&'a Found> {
    resources.of_type("PractitionerRole").find(|f| {
        f.parse::<PractitionerRole>().ok().is_some_and(|pr| {
            pr.practitioner
                .as_ref()
                .and_then(|p| resources.resolve(p))
                .is_some_and(|p| p.path == practitioner.path)
        })
    })
}

/// Fills in, from a PractitionerRole, what the requester itself did not say: the
/// practitioner's name, the organisation's ODS code and name, and the role.
fn add_role(who: &mut Requester, pr: &PractitionerRole, resources: &Resources) {
    if let Some(pract) = pr
        .practitioner
        .as_ref()
        .and_then(|p| resources.resolve(p))
        .and_then(|f| f.parse::<Practitioner>().ok())
    {
        who.name = who.name.take().or(name_of(&pract.name));
    }
    if let Some(o) = pr.organization.as_ref() {
        who.ods = who.ods.take().or(ods_of(o, resources));
        if let Some(org) = resources
            .resolve(o)
            .and_then(|f| f.parse::<Organization>().ok())
        {
            who.org_name = who.org_name.take().or(org.name);
        }
    }
    who.role = pr.code.iter().find_map(|c| {
        c.text
            .clone()
            .or(c.coding.first().and_then(|c| c.display.clone()))
    });
}

/// Our `source`: a UK Core source-of-request of "referred by GP", a requester working in
/// general medical practice, or a requester that is the person's own practice, make it
/// `gp`; anything else from a clinical system is `other_professional`.
pub(super) fn source_of(
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

/// The receiving service: `performer`, one Organization named by its ODS code (in the
/// reference's identifier or the resolved Organization's). None: the calling organisation
/// receives it. A performer that names no ODS code is refused, never ignored: sending the
/// referral to the caller instead would route it to the wrong service.
pub(super) fn read_performer(
    sr: &ServiceRequest,
    base: &str,
    resources: &Resources,
    origins: &mut Origins,
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
pub(super) fn ods_of(r: &Reference, resources: &Resources) -> Option<String> {
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
