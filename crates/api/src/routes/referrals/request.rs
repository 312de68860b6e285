//! `POST /v1/referrals`'s body, and the rules that turn it into a referral: every
//! problem reported at once, each under its field's path.

use serde::Deserialize;
use socialrx_domain::limits;
use socialrx_domain::particulars::{
    self, AboutMe, InformationSharing, Particulars, ReferralMethod,
};
use socialrx_domain::person::{self, ContactMethod, Email, Person, Phone};
use socialrx_domain::referral::{
    self, Consent, ConsentMethod, NewReferral, Reason, Referrer, Source, Status, Urgency,
};
use socialrx_domain::text;
use socialrx_domain::when::{parse_date, parse_datetime};
use socialrx_domain::{FieldError, NhsNumber, OdsCode, Postcode, Violations};
use time::OffsetDateTime;
use utoipa::ToSchema;
use validator::Validate;

use crate::receiving::ReceivingServiceRequest;
use crate::schema::{code_list_schema, codes_array_schema, validation_errors};

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
        let source = v.check("source", Source::parse(&self.source));
        let referrer = self.referrer.check(&mut v);
        // The practice that refers is the person's practice unless the referral says
        // otherwise (the standard makes the GP practice mandatory).
        let referring_practice = source
            .filter(|s| s.is_gp_practice())
            .and(referrer.as_ref().and_then(|(r, _)| r.ods_code.clone()));
        let person = self.person.check(&mut v, now, source, referring_practice);
        let reasons = check_reasons(&mut v, &self.reasons);
        let notes = v.check_opt("notes", self.notes, |s| text::free_text(&s, limits::NOTES));
        let urgency = v.check_opt("urgency", self.urgency, |s| Urgency::parse(&s));
        let consent = self.consent.check(&mut v, now);
        let method = v.check_opt("referral_method", self.referral_method, |s| {
            ReferralMethod::parse(&s)
        });
        let reason_text = v.check_opt("reason_text", self.reason_text, |s| {
            particulars::short(&s, particulars::REASON_TEXT)
        });
        let return_response_to = v.check_opt("return_response_to", self.return_response_to, |s| {
            particulars::short(&s, particulars::NAME_OR_CONTACT)
        });
        v.finish(|| {
            let (referrer, referrer_contact) = referrer?;
            let (consent, information_sharing) = consent?;
            Some(NewReferral {
                person: person?,
                source: source?,
                referrer,
                reasons: reasons?,
                notes: notes?.flatten(),
                urgency: urgency?.unwrap_or(Urgency::Routine),
                consent,
                particulars: Particulars {
                    method: method?,
                    reason_text: reason_text?.flatten(),
                    return_response_to: return_response_to?.flatten(),
                    referrer_contact,
                    information_sharing,
                },
            })
        })
    }
}

/// Each reason code, then the list as a whole (at least one, no repeats).
fn check_reasons(v: &mut Violations, codes: &[String]) -> Option<Vec<Reason>> {
    let mut reasons = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        if let Some(reason) = v.check(&format!("reasons[{i}]"), Reason::parse(code)) {
            reasons.push(reason);
        }
    }
    if reasons.len() == codes.len() {
        v.check("reasons", referral::reasons(reasons))
    } else {
        None
    }
}

impl PersonRequest {
    /// The person, or `None` with every problem in `v` (fields under `person.`).
    /// `referring_practice` stands in for a registered practice not given.
    fn check(
        self,
        v: &mut Violations,
        now: OffsetDateTime,
        source: Option<Source>,
        referring_practice: Option<OdsCode>,
    ) -> Option<Person> {
        let p = self;
        let nhs_number = v.check_opt(
            "person.nhs_number",
            p.nhs_number.as_deref(),
            NhsNumber::parse,
        );
        if let (Some(source), Some(None)) = (source, &nhs_number)
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
        let (phone, email, preferred_contact, address_lines) = Self::check_contact(
            v,
            p.phone,
            p.email,
            &p.preferred_contact,
            p.preferred_contact_inferred,
            p.address_lines.as_deref().unwrap_or_default(),
        );
        let language = v.check_opt("person.language", p.language, |s| {
            text::optional_label(&s, limits::LANGUAGE)
        });
        let accessibility_needs =
            v.check_opt("person.accessibility_needs", p.accessibility_needs, |s| {
                text::free_text(&s, limits::ACCESSIBILITY_NEEDS)
            });
        let registered_practice = v
            .check_opt(
                "person.registered_practice",
                non_blank(p.registered_practice),
                |s| OdsCode::parse(&s),
            )
            .map(|given| given.or(referring_practice));
        let about_me = check_about_me(v, p.pronouns, p.carer, p.communication_needs);
        Some(Person {
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
            about_me: about_me?,
        })
    }

    /// Phone, e-mail, the preferred way and the address, and whether that way can reach
    /// the person.
    #[allow(clippy::type_complexity)]
    fn check_contact(
        v: &mut Violations,
        phone: Option<String>,
        email: Option<String>,
        preferred_contact: &str,
        preferred_contact_inferred: bool,
        address_lines: &[String],
    ) -> (
        Option<Option<Phone>>,
        Option<Option<Email>>,
        Option<ContactMethod>,
        Option<Vec<String>>,
    ) {
        let address_lines = v.check("person.address_lines", person::address_lines(address_lines));
        let phone = v.check_opt("person.phone", non_blank(phone), |s| Phone::parse(&s));
        let email = v.check_opt("person.email", non_blank(email), |s| Email::parse(&s));
        let preferred = v.check(
            "person.preferred_contact",
            ContactMethod::parse(preferred_contact),
        );
        if let (Some(method), Some(phone), Some(email), Some(lines)) =
            (preferred, &phone, &email, &address_lines)
        {
            // A letter's missing detail is the address, named as such; the others'
            // are one of two, so the choice is what is named.
            if method != ContactMethod::Letter {
                v.check(
                    "person.preferred_contact",
                    person::check_contact_reachable(method, phone.as_ref(), email.as_ref(), lines),
                );
            } else if !preferred_contact_inferred {
                v.check(
                    "person.address_lines",
                    person::check_contact_reachable(method, phone.as_ref(), email.as_ref(), lines),
                );
            }
        }
        (phone, email, preferred, address_lines)
    }
}

/// What the person wants known about them (PRSB "About me").
fn check_about_me(
    v: &mut Violations,
    pronouns: Option<String>,
    carer: Option<bool>,
    communication_needs: Option<String>,
) -> Option<AboutMe> {
    let pronouns = v.check_opt("person.pronouns", pronouns, |s| {
        particulars::short(&s, particulars::PRONOUNS)
    });
    let communication_needs = v.check_opt("person.communication_needs", communication_needs, |s| {
        particulars::short(&s, particulars::SHORT_NOTE)
    });
    Some(AboutMe {
        pronouns: pronouns?.flatten(),
        carer,
        communication_needs: communication_needs?.flatten(),
    })
}

impl ReferrerRequest {
    /// The referrer, and the contact details given for them.
    fn check(self, v: &mut Violations) -> Option<(Referrer, Option<String>)> {
        let ods_code = v.check_opt("referrer.ods_code", non_blank(self.ods_code), |s| {
            OdsCode::parse(&s)
        });
        let name = v.check("referrer.name", text::label(&self.name, limits::NAME));
        let role = v.check_opt("referrer.role", self.role, |s| {
            text::optional_label(&s, limits::SHORT_TEXT)
        });
        let contact = v.check_opt("referrer.contact_details", self.contact_details, |s| {
            particulars::short(&s, particulars::NAME_OR_CONTACT)
        });
        Some((
            Referrer {
                ods_code: ods_code?,
                name: name?,
                role: role?.flatten(),
            },
            contact?.flatten(),
        ))
    }
}

impl ConsentRequest {
    /// Consent to the referral, and the person's word on sharing information.
    fn check(
        self,
        v: &mut Violations,
        now: OffsetDateTime,
    ) -> Option<(Consent, Option<InformationSharing>)> {
        let c = self;
        let method = v.check("consent.method", ConsentMethod::parse(&c.method));
        let given_at = v.check("consent.given_at", parse_datetime(&c.given_at));
        let consent = match (given_at, method) {
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
        Some((consent?, information_sharing?))
    }
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}
