//! Referral intake: `POST /v1/referrals`, `GET /v1/referrals/{id}`, `GET /v1/referrals`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::limits;
use socialrx_domain::particulars::{
    self, AboutMe, InformationSharing, Particulars, ReferralMethod,
};
use socialrx_domain::person::{self, ContactMethod, Email, Person, Phone};
use socialrx_domain::referral::{
    self, Consent, ConsentMethod, NewReferral, Reason, Referral, Referrer, Source, Status, Urgency,
};
use socialrx_domain::text;
use socialrx_domain::{FieldError, NhsNumber, OdsCode, Postcode, Violations};
use socialrx_store::{Reach, ReferralFilter, ReferralStatusView, Store};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::{Body, IdempotencyKeyHeader};
use crate::idempotency::{InFlight, Once, create_once};
pub use crate::receiving::ReceivingServiceRequest;
use crate::schema::{code_list_schema, codes_array_schema, validation_errors};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_referrals, ReadReferral),
    endpoint!(create_referral, CreateReferral),
    endpoint!(get_referral, ReadReferral),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "referrals", description = "Referral intake and reading back"))
)]
pub struct Api;

// ---------------------------------------------------------------------------------------
// Requests

/// A referral as a referrer sends it.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!(crate::examples::referral_request()))]
pub struct CreateReferralRequest {
    #[validate(nested)]
    pub person: PersonRequest,
    /// Who made the referral. For `gp` and `practice_nurse` the NHS number is required.
    #[schema(schema_with = code_list_schema::<SourceCodes>)]
    pub source: String,
    #[validate(nested)]
    pub referrer: ReferrerRequest,
    /// At least one reason, each at most once.
    #[validate(length(min = 1, max = 12))]
    #[schema(schema_with = codes_array_schema::<ReasonCodes>)]
    pub reasons: Vec<String>,
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub notes: Option<String>,
    /// `routine` when absent (or null).
    #[schema(schema_with = crate::schema::optional_code_list_schema::<UrgencyCodes>)]
    pub urgency: Option<String>,
    #[validate(nested)]
    pub consent: ConsentRequest,
    /// The social prescribing service the referral is for, when it is not your own
    /// organisation. That service must accept referrals from yours (a referral agreement
    /// its admin made); otherwise the referral is refused (422 at `receiving_service`),
    /// never sent elsewhere.
    #[validate(nested)]
    #[serde(default)]
    pub receiving_service: Option<ReceivingServiceRequest>,
    /// How the referral was sent (PRSB "Referral method").
    #[serde(default)]
    #[schema(schema_with = crate::schema::optional_code_list_schema::<ReferralMethodCodes>)]
    pub referral_method: Option<String>,
    /// The reason for referral in the referrer's words, beside the coded `reasons` (PRSB:
    /// at most 150 characters).
    #[serde(default)]
    #[validate(length(max = 150))]
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub reason_text: Option<String>,
    /// A professional to send the answer to instead of the referrer (at most 70).
    #[serde(default)]
    #[validate(length(max = 70))]
    #[schema(max_length = 70, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub return_response_to: Option<String>,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonRequest {
    /// Ten digits with a valid modulus 11 check digit; spaces allowed.
    #[validate(length(max = 12))]
    #[schema(max_length = 12, example = "943 476 5919")]
    pub nhs_number: Option<String>,
    #[validate(length(max = 100))]
    #[schema(
        max_length = 100,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub given_name: String,
    #[validate(length(max = 100))]
    #[schema(
        max_length = 100,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub family_name: String,
    /// `YYYY-MM-DD`; not in the future, not more than 120 years ago.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10, example = "1971-03-14")]
    pub date_of_birth: String,
    /// A full UK postcode; stored upper case with one space.
    #[validate(length(max = 10))]
    #[schema(max_length = 10, example = "HD1 2RS")]
    pub postcode: String,
    /// The postal address's lines before the postcode (at most 4, each at most 100
    /// characters); required when `preferred_contact` is `letter`.
    #[validate(length(max = 4))]
    #[schema(max_items = 4, example = json!(["Flat 2", "14 Wood Street"]))]
    #[serde(default)]
    pub address_lines: Option<Vec<String>>,
    #[validate(length(max = 32))]
    #[schema(
        max_length = 32,
        pattern = r"^(\s*|\+?[ ()\-]?([0-9][ ()\-]?){10,15})$"
    )]
    pub phone: Option<String>,
    #[validate(length(max = 254))]
    #[schema(
        max_length = 254,
        pattern = r"^(\s*|[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@.\x00-\x1f\x7f-\x9f]+(\.[^\s@.\x00-\x1f\x7f-\x9f]+)+)$"
    )]
    pub email: Option<String>,
    /// Must be one the given details allow (`phone` and `text` need a phone number,
    /// `email` an e-mail address, `letter` the `address_lines`).
    #[schema(schema_with = code_list_schema::<ContactMethodCodes>)]
    pub preferred_contact: String,
    /// Set by FHIR intake when the sender gave no way of contact and `letter` is our
    /// default rather than the person's choice: the address may then come later (from the
    /// practice), so `letter` does not need `address_lines` here.
    #[serde(skip)]
    pub preferred_contact_inferred: bool,
    #[validate(length(max = 50))]
    #[schema(max_length = 50, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub language: Option<String>,
    #[serde(default)]
    pub interpreter_needed: bool,
    #[validate(length(max = 1000))]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub accessibility_needs: Option<String>,
    /// ODS code of the person's registered GP practice. For `gp` and `practice_nurse`
    /// referrals it defaults to the referrer's `ods_code` (the practice referring).
    #[validate(length(max = 10))]
    #[schema(max_length = 10, pattern = r"^(\s*|[A-Za-z0-9]{3,10})$")]
    pub registered_practice: Option<String>,
    /// As the person gives them ("she/her"); at most 35.
    #[serde(default)]
    #[validate(length(max = 35))]
    #[schema(max_length = 35, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub pronouns: Option<String>,
    /// Whether the person is a carer (SNOMED CT 224484003 |Person themselves is a carer|).
    #[serde(default)]
    pub carer: Option<bool>,
    /// How to communicate with the person; at most 150.
    #[serde(default)]
    #[validate(length(max = 150))]
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub communication_needs: Option<String>,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferrerRequest {
    #[validate(length(max = 10))]
    #[schema(
        max_length = 10,
        example = "B85001",
        pattern = r"^(\s*|[A-Za-z0-9]{3,10})$"
    )]
    pub ods_code: Option<String>,
    #[validate(length(max = 100))]
    #[schema(
        max_length = 100,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[validate(length(max = 200))]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub role: Option<String>,
    /// How to reach the referrer (telephone, secure e-mail); at most 70.
    #[serde(default)]
    #[validate(length(max = 70))]
    #[schema(max_length = 70, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub contact_details: Option<String>,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// Must be `true`: we do not hold referrals made without consent.
    pub given: bool,
    /// When consent was given (RFC 3339).
    #[validate(length(max = 40))]
    #[schema(format = DateTime, max_length = 40)]
    pub given_at: String,
    #[schema(schema_with = code_list_schema::<ConsentMethodCodes>)]
    pub method: String,
    /// Consent to share information under the common law duty of confidentiality
    /// (PRSB "Consent"): `true` agreed, `false` not obtained (then give the reason).
    #[serde(default)]
    pub information_sharing: Option<bool>,
    /// Why consent to share was not obtained; only with `information_sharing: false`.
    #[serde(default)]
    #[validate(length(max = 150))]
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub information_sharing_not_obtained_reason: Option<String>,
}

crate::schema::codes!(SourceCodes = Source);
crate::schema::codes!(ReferralMethodCodes = ReferralMethod);
crate::schema::codes!(ReasonCodes = Reason);
crate::schema::codes!(UrgencyCodes = Urgency);
crate::schema::codes!(ConsentMethodCodes = ConsentMethod);
crate::schema::codes!(ContactMethodCodes = ContactMethod);
crate::schema::codes!(StatusCodes = Status);

impl CreateReferralRequest {
    /// Every rule of a referral, every failure reported at once.
    pub fn into_domain(self, now: OffsetDateTime) -> Result<NewReferral, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let p = self.person;
        let source = v.check("source", Source::parse(&self.source));
        let nhs_number = v.check_opt(
            "person.nhs_number",
            p.nhs_number.as_deref(),
            NhsNumber::parse,
        );
        if let (Some(source), Some(None)) = (source, nhs_number)
            && source.requires_nhs_number()
        {
            v.push(FieldError::new(
                "person.nhs_number",
                "required",
                format!("is required for a referral from source '{source}'"),
            ));
        }
        let given_name = v.check(
            "person.given_name",
            text::label(&p.given_name, limits::NAME),
        );
        let family_name = v.check(
            "person.family_name",
            text::label(&p.family_name, limits::NAME),
        );
        let date_of_birth = v.check(
            "person.date_of_birth",
            parse_date(&p.date_of_birth).and_then(|d| person::date_of_birth(d, now.date())),
        );
        let postcode = v.check("person.postcode", Postcode::parse(&p.postcode));
        let address_lines = v.check(
            "person.address_lines",
            person::address_lines(p.address_lines.as_deref().unwrap_or_default()),
        );
        let phone = v.check_opt("person.phone", non_blank(p.phone), |s| Phone::parse(&s));
        let email = v.check_opt("person.email", non_blank(p.email), |s| Email::parse(&s));
        let preferred_contact = v.check(
            "person.preferred_contact",
            ContactMethod::parse(&p.preferred_contact),
        );
        if let (Some(method), Some(phone), Some(email), Some(lines)) =
            (preferred_contact, &phone, &email, &address_lines)
        {
            // A letter's missing detail is the address, named as such; the others'
            // are one of two, so the choice is what is named.
            if method != ContactMethod::Letter {
                v.check(
                    "person.preferred_contact",
                    person::check_contact_reachable(method, phone.as_ref(), email.as_ref(), lines),
                );
            } else if !p.preferred_contact_inferred {
                v.check(
                    "person.address_lines",
                    person::check_contact_reachable(method, phone.as_ref(), email.as_ref(), lines),
                );
            }
        }
        let language = v.check_opt("person.language", p.language, |s| {
            text::optional_label(&s, limits::LANGUAGE)
        });
        let accessibility_needs =
            v.check_opt("person.accessibility_needs", p.accessibility_needs, |s| {
                text::free_text(&s, limits::ACCESSIBILITY_NEEDS)
            });
        let registered_practice = v.check_opt(
            "person.registered_practice",
            non_blank(p.registered_practice),
            |s| OdsCode::parse(&s),
        );
        let pronouns = v.check_opt("person.pronouns", p.pronouns, |s| {
            particulars::short(&s, particulars::PRONOUNS)
        });
        let communication_needs =
            v.check_opt("person.communication_needs", p.communication_needs, |s| {
                particulars::short(&s, particulars::SHORT_NOTE)
            });

        let r = self.referrer;
        let referrer_ods = v.check_opt("referrer.ods_code", non_blank(r.ods_code), |s| {
            OdsCode::parse(&s)
        });
        let referrer_name = v.check("referrer.name", text::label(&r.name, limits::NAME));
        let referrer_role = v.check_opt("referrer.role", r.role, |s| {
            text::optional_label(&s, limits::SHORT_TEXT)
        });
        let referrer_contact = v.check_opt("referrer.contact_details", r.contact_details, |s| {
            particulars::short(&s, particulars::NAME_OR_CONTACT)
        });
        let method = v.check_opt("referral_method", self.referral_method, |s| {
            ReferralMethod::parse(&s)
        });
        let reason_text = v.check_opt("reason_text", self.reason_text, |s| {
            particulars::short(&s, particulars::REASON_TEXT)
        });
        let return_response_to = v.check_opt("return_response_to", self.return_response_to, |s| {
            particulars::short(&s, particulars::NAME_OR_CONTACT)
        });

        let mut reasons = Vec::with_capacity(self.reasons.len());
        for (i, code) in self.reasons.iter().enumerate() {
            if let Some(reason) = v.check(&format!("reasons[{i}]"), Reason::parse(code)) {
                reasons.push(reason);
            }
        }
        let reasons = if reasons.len() == self.reasons.len() {
            v.check("reasons", referral::reasons(reasons))
        } else {
            None
        };
        let notes = v.check_opt("notes", self.notes, |s| text::free_text(&s, limits::NOTES));
        let urgency = v.check_opt("urgency", self.urgency, |s| Urgency::parse(&s));

        let c = self.consent;
        let consent_method = v.check("consent.method", ConsentMethod::parse(&c.method));
        let given_at = v.check("consent.given_at", parse_datetime(&c.given_at));
        let consent = match (given_at, consent_method) {
            (Some(at), Some(method)) => {
                let field = if c.given {
                    "consent.given_at"
                } else {
                    "consent.given"
                };
                v.check(field, Consent::parse(c.given, at, method, now))
            }
            _ => None,
        };
        let information_sharing = match (
            c.information_sharing,
            c.information_sharing_not_obtained_reason,
        ) {
            (None, None) => Some(None),
            (None, Some(_)) => {
                v.push(FieldError::new(
                    "consent.information_sharing_not_obtained_reason",
                    "reason_without_refusal",
                    "give a reason only with information_sharing: false",
                ));
                None
            }
            (Some(agreed), reason) => v
                .check(
                    "consent.information_sharing_not_obtained_reason",
                    InformationSharing::parse(agreed, reason.as_deref()),
                )
                .map(Some),
        };
        // The practice that refers is the person's practice unless the referral says
        // otherwise (the standard makes the GP practice mandatory).
        let registered_practice = match (&registered_practice, &source, &referrer_ods) {
            (Some(None), Some(Source::Gp | Source::PracticeNurse), Some(Some(ods))) => {
                Some(Some(ods.clone()))
            }
            _ => registered_practice,
        };

        v.finish(|| {
            Some(NewReferral {
                person: Person {
                    nhs_number: nhs_number?,
                    given_name: given_name?,
                    family_name: family_name?,
                    date_of_birth: date_of_birth?,
                    postcode: postcode?,
                    address_lines: address_lines?,
                    phone: phone?,
                    email: email?,
                    preferred_contact: preferred_contact?,
                    language: language?.flatten(),
                    interpreter_needed: p.interpreter_needed,
                    accessibility_needs: accessibility_needs?.flatten(),
                    registered_practice: registered_practice?,
                    about_me: AboutMe {
                        pronouns: pronouns?.flatten(),
                        carer: p.carer,
                        communication_needs: communication_needs?.flatten(),
                    },
                },
                source: source?,
                referrer: Referrer {
                    ods_code: referrer_ods?,
                    name: referrer_name?,
                    role: referrer_role?.flatten(),
                },
                reasons: reasons?,
                notes: notes?.flatten(),
                urgency: urgency?.unwrap_or(Urgency::Routine),
                consent: consent?,
                particulars: Particulars {
                    method: method?,
                    reason_text: reason_text?.flatten(),
                    return_response_to: return_response_to?.flatten(),
                    referrer_contact: referrer_contact?.flatten(),
                    information_sharing: information_sharing?,
                },
            })
        })
    }
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

use socialrx_domain::when::{parse_date, parse_datetime};

// ---------------------------------------------------------------------------------------
// Responses

/// What `POST /v1/referrals` answers (and answers again, unchanged, to a retry).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "reference": "SRX-7K3M-9QPD", "status": "received", "created_at": "2026-11-22T09:30:00Z", "receiving_service": "Y02794", "referrer_organisation": "B85001"}))]
pub struct ReferralCreated {
    pub id: Uuid,
    /// Short and unambiguous, for reading out on the phone.
    pub reference: String,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// The service that received it (ODS code).
    pub receiving_service: String,
    /// Your organisation, which sent it (ODS code).
    pub referrer_organisation: String,
}

impl ReferralCreated {
    fn new(
        id: Uuid,
        reference: &str,
        created_at: OffsetDateTime,
        receiving_service: &str,
        referrer_organisation: &str,
    ) -> Self {
        Self {
            id,
            reference: reference.to_owned(),
            // A retry answers what the first request answered: the status at creation.
            status: Status::Received.as_str().to_owned(),
            created_at,
            receiving_service: receiving_service.to_owned(),
            referrer_organisation: referrer_organisation.to_owned(),
        }
    }
}

impl From<&Referral> for ReferralCreated {
    fn from(r: &Referral) -> Self {
        Self::new(
            r.id,
            r.reference.as_str(),
            r.created_at,
            &r.organisation,
            &r.referrer_organisation,
        )
    }
}

impl From<&ReferralStatusView> for ReferralCreated {
    fn from(v: &ReferralStatusView) -> Self {
        Self::new(
            v.id,
            &v.reference,
            v.received_at,
            &v.organisation,
            &v.referrer_organisation,
        )
    }
}

/// A referral with the person it is for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!(crate::examples::referral_response()))]
pub struct ReferralResponse {
    pub id: Uuid,
    pub reference: String,
    /// The organisation that sent it (ODS code): yours when you recorded it yourself.
    pub referrer_organisation: String,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub status: String,
    #[schema(schema_with = code_list_schema::<SourceCodes>)]
    pub source: String,
    pub person: PersonResponse,
    pub referrer: ReferrerResponse,
    #[schema(schema_with = codes_array_schema::<ReasonCodes>)]
    pub reasons: Vec<String>,
    pub notes: Option<String>,
    #[schema(schema_with = code_list_schema::<UrgencyCodes>)]
    pub urgency: String,
    pub consent: ConsentResponse,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// The link worker it is (or was last) assigned to.
    pub link_worker_id: Option<Uuid>,
    /// Open referrals of the organisation that may be for the same person, for a
    /// coordinator to merge or dismiss.
    pub possible_duplicates: Vec<Uuid>,
    #[schema(schema_with = crate::schema::optional_code_list_schema::<ReferralMethodCodes>)]
    pub referral_method: Option<String>,
    pub reason_text: Option<String>,
    pub return_response_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonResponse {
    pub id: Uuid,
    pub nhs_number: Option<String>,
    pub given_name: String,
    pub family_name: String,
    #[schema(format = Date)]
    pub date_of_birth: String,
    pub postcode: String,
    /// Empty when no address was given.
    pub address_lines: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[schema(schema_with = code_list_schema::<ContactMethodCodes>)]
    pub preferred_contact: String,
    pub language: Option<String>,
    pub interpreter_needed: bool,
    pub accessibility_needs: Option<String>,
    pub registered_practice: Option<String>,
    pub pronouns: Option<String>,
    pub carer: Option<bool>,
    pub communication_needs: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferrerResponse {
    pub ods_code: Option<String>,
    pub name: String,
    pub role: Option<String>,
    pub contact_details: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentResponse {
    pub given: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub given_at: OffsetDateTime,
    #[schema(schema_with = code_list_schema::<ConsentMethodCodes>)]
    pub method: String,
    /// Consent to share information: `true` agreed, `false` not obtained, `null` not
    /// recorded.
    pub information_sharing: Option<bool>,
    pub information_sharing_not_obtained_reason: Option<String>,
}

impl From<Referral> for ReferralResponse {
    fn from(r: Referral) -> Self {
        let d = r.details;
        let p = d.person;
        Self {
            id: r.id,
            reference: r.reference.as_str().to_owned(),
            referrer_organisation: r.referrer_organisation,
            status: r.status.as_str().to_owned(),
            source: d.source.as_str().to_owned(),
            person: PersonResponse {
                id: r.person_id,
                nhs_number: p.nhs_number.map(|n| n.as_string()),
                given_name: p.given_name,
                family_name: p.family_name,
                date_of_birth: p.date_of_birth.to_string(),
                postcode: p.postcode.as_str().to_owned(),
                address_lines: p.address_lines,
                phone: p.phone.map(|x| x.as_str().to_owned()),
                email: p.email.map(|x| x.as_str().to_owned()),
                preferred_contact: p.preferred_contact.as_str().to_owned(),
                language: p.language,
                interpreter_needed: p.interpreter_needed,
                accessibility_needs: p.accessibility_needs,
                registered_practice: p.registered_practice.map(|x| x.as_str().to_owned()),
                pronouns: p.about_me.pronouns,
                carer: p.about_me.carer,
                communication_needs: p.about_me.communication_needs,
            },
            referrer: ReferrerResponse {
                ods_code: d.referrer.ods_code.map(|x| x.as_str().to_owned()),
                name: d.referrer.name,
                role: d.referrer.role,
                contact_details: d.particulars.referrer_contact,
            },
            reasons: d.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
            notes: d.notes,
            urgency: d.urgency.as_str().to_owned(),
            consent: ConsentResponse {
                given: true,
                given_at: d.consent.given_at,
                method: d.consent.method.as_str().to_owned(),
                information_sharing: d
                    .particulars
                    .information_sharing
                    .as_ref()
                    .map(|s| s.agreed()),
                information_sharing_not_obtained_reason: d
                    .particulars
                    .information_sharing
                    .as_ref()
                    .and_then(|s| s.reason().map(str::to_owned)),
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
            link_worker_id: r.link_worker_id,
            possible_duplicates: r.possible_duplicates,
            referral_method: d.particulars.method.map(|m| m.as_str().to_owned()),
            reason_text: d.particulars.reason_text,
            return_response_to: d.particulars.return_response_to,
        }
    }
}

/// A page of referrals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralPage {
    pub items: Vec<ReferralResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListReferralsQuery {
    /// Only referrals in this state.
    #[param(schema_with = code_list_schema::<StatusCodes>)]
    pub status: Option<String>,
    /// Only referrals from this source.
    #[param(schema_with = code_list_schema::<SourceCodes>)]
    pub source: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Send a referral.
///
/// Validates every field (NHS number check digit, date of birth, postcode, ODS codes,
/// reason codes, consent) and reports every failure at once. The referral goes to your
/// own organisation, or to the `receiving_service` named, which must have a referral
/// agreement with your organisation (`POST /v1/referral-agreements`, by its admin): the
/// service holds it; your organisation reads back the referrer's view
/// (`GET /v1/referrals/{id}/status`, `GET /v1/sent-referrals`). With an
/// `Idempotency-Key`, a retry with the same key and body answers the first 201 again and
/// creates nothing; the same key with another body is 422; the same key while the first
/// request is still being handled is 409. Keys are kept at least 24 hours, per sending
/// organisation.
#[utoipa::path(post, path = "/v1/referrals", tag = "referrals", operation_id = "create_referral",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7e]{1,255}$", description = "Makes a retry safe: 1 to 255 visible ASCII characters, such as a UUID")),
    request_body(content = CreateReferralRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Received", body = ReferralCreated,
            headers(("Location" = String, description = "The new referral's address"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules, a field is unknown, the receiving service does not accept referrals from your organisation, or the Idempotency-Key was used for another body", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_referral(
    req: HttpRequest,
    caller: Authorized,
    key: IdempotencyKeyHeader,
    body: Body<CreateReferralRequest>,
    store: web::Data<Arc<dyn Store>>,
    in_flight: web::Data<InFlight>,
) -> Result<HttpResponse, ApiError> {
    let fingerprint = body.fingerprint.clone();
    let now = OffsetDateTime::now_utc();
    // Every shape error (unknown, missing, mistyped fields) with every rule error.
    let (target, referral) = body.judge(|mut request| {
        let target = crate::receiving::parse(request.receiving_service.take(), "receiving_service");
        crate::receiving::both(target, request.into_domain(now))
    })?;
    let to = crate::receiving::resolve(
        store.as_ref().as_ref(),
        &caller,
        target,
        "receiving_service",
    )
    .await?;
    let audit = caller.audit(&req);
    let once = create_once(
        &in_flight,
        &audit.organisation,
        key.0,
        &fingerprint,
        |key| async { Ok::<_, ApiError>(store.refer(&audit, &to, referral, key).await?) },
    )
    .await?;
    match once {
        Once::New(referral) => Ok(created(&ReferralCreated::from(&referral), false)),
        Once::Replay(id) => {
            let view = store.referral_status(&audit, Reach::Sent, id).await?;
            Ok(created(&ReferralCreated::from(&view), true))
        }
    }
}

fn created(referral: &ReferralCreated, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/v1/referrals/{}", referral.id)));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(referral)
}

/// Read one referral.
///
/// The full record, for the receiving service's staff. A referral your organisation
/// does not hold is 404, exactly like one that does not exist (a referrer reads what it
/// sent through `GET /v1/referrals/{id}/status`).
#[utoipa::path(get, path = "/v1/referrals/{id}", tag = "referrals", operation_id = "get_referral",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The referral", body = ReferralResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_referral(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let referral = store
        .get_referral(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(ReferralResponse::from(referral)))
}

/// List referrals, newest first.
///
/// Keyset pagination: pass the previous page's `next_cursor` as `cursor`.
#[utoipa::path(get, path = "/v1/referrals", tag = "referrals", operation_id = "list_referrals",
    security(("bearer" = [])),
    params(ListReferralsQuery),
    responses(
        (status = 200, description = "A page of referrals", body = ReferralPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_referrals(
    req: HttpRequest,
    caller: Authorized,
    query: web::Query<ListReferralsQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Violations::new();
    let filter = ReferralFilter {
        status: v
            .check_opt("status", q.status, |s| Status::parse(&s))
            .flatten(),
        source: v
            .check_opt("source", q.source, |s| Source::parse(&s))
            .flatten(),
    };
    let page = crate::paging::page(&mut v, q.limit, q.cursor);
    if !v.is_empty() {
        return Err(ApiError::Validation(v.into_errors()));
    }
    let page = store
        .list_referrals(&caller.audit(&req), &filter, page)
        .await?;
    Ok(HttpResponse::Ok().json(ReferralPage {
        items: page.items.into_iter().map(ReferralResponse::from).collect(),
        next_cursor: page.next.map(crate::paging::encode_cursor),
    }))
}
