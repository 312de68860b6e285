use super::*;
use socialrx_domain::particulars::{AboutMe, InformationSharing, Particulars, ReferralMethod};
use socialrx_domain::person::{ContactMethod, Email, Person, Phone};
use socialrx_domain::referral::{
    Consent, ConsentMethod, Reason, ReferralReference, Referrer, Source, Status, Urgency,
};
use socialrx_domain::referral::{NewReferral, Referral};
use socialrx_domain::{NhsNumber, OdsCode, Postcode};
use sqlx::types::Json;

/// The columns every referral read selects: the referral joined to its person.
pub(super) const SELECT_REFERRAL: &str = "SELECT r.id, r.organisation, r.referrer_organisation, r.reference, r.person_id, \
    r.source, r.referrer_ods, r.referrer_name, r.referrer_role, r.reasons, r.notes, \
    r.urgency, r.consent_given_at, r.consent_method, r.status, r.created_by, r.created_at, \
    r.updated_at, r.link_worker_id, p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.postcode, \
    p.phone, p.email, p.preferred_contact, p.language, p.interpreter_needed, \
    p.accessibility_needs, p.registered_practice, p.address_lines, \
    r.referral_method, r.reason_text, r.return_response_to, r.referrer_contact, \
    r.information_sharing_agreed, r.information_sharing_reason, \
    p.pronouns, p.carer, p.communication_needs \
    FROM referrals r JOIN people p ON p.id = r.person_id";

/// Address lines are kept in one column, a line break between lines (a line never
/// holds one); none is NULL.
pub(super) fn address_lines_column(lines: &[String]) -> Option<String> {
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[derive(sqlx::FromRow)]
pub(super) struct ReferralRow {
    id: Uuid,
    organisation: String,
    referrer_organisation: String,
    reference: String,
    person_id: Uuid,
    source: String,
    referrer_ods: Option<String>,
    referrer_name: String,
    referrer_role: Option<String>,
    reasons: Json<Vec<String>>,
    notes: Option<String>,
    urgency: String,
    consent_given_at: OffsetDateTime,
    consent_method: String,
    status: String,
    created_by: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    link_worker_id: Option<Uuid>,
    referral_method: Option<String>,
    reason_text: Option<String>,
    return_response_to: Option<String>,
    referrer_contact: Option<String>,
    information_sharing_agreed: Option<bool>,
    information_sharing_reason: Option<String>,
    /// The person's columns, from the joined `people` row.
    #[sqlx(flatten)]
    person: PersonRow,
}

/// The columns of `people` that a referral read joins in.
#[derive(sqlx::FromRow)]
pub(super) struct PersonRow {
    nhs_number: Option<String>,
    given_name: String,
    family_name: String,
    date_of_birth: time::Date,
    postcode: String,
    phone: Option<String>,
    email: Option<String>,
    preferred_contact: String,
    language: Option<String>,
    interpreter_needed: bool,
    accessibility_needs: Option<String>,
    registered_practice: Option<String>,
    address_lines: Option<String>,
    pronouns: Option<String>,
    carer: Option<bool>,
    communication_needs: Option<String>,
}

/// A stored value that no longer parses is a fault of ours, not the caller's.
pub(super) fn corrupt(
    column: &'static str,
) -> impl Fn(socialrx_domain::violations::Invalid) -> StoreError {
    move |e| StoreError::Corrupt(format!("{column} does not parse: {}", e.code))
}

/// A stored list of codes, parsed back (see [`corrupt`]).
pub(super) fn parse_all<T>(
    raw: &[String],
    parse: impl Fn(&str) -> Result<T, socialrx_domain::violations::Invalid>,
    column: &'static str,
) -> Result<Vec<T>, StoreError> {
    raw.iter()
        .map(|c| parse(c))
        .collect::<Result<_, _>>()
        .map_err(corrupt(column))
}

/// An optional stored value, parsed back (see [`corrupt`]).
pub(super) fn parse_optional<T>(
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, socialrx_domain::violations::Invalid>,
    column: &'static str,
) -> Result<Option<T>, StoreError> {
    raw.map(parse).transpose().map_err(corrupt(column))
}

impl TryFrom<PersonRow> for Person {
    type Error = StoreError;

    fn try_from(p: PersonRow) -> Result<Self, StoreError> {
        Ok(Person {
            nhs_number: parse_optional(p.nhs_number.as_deref(), NhsNumber::parse, "nhs_number")?,
            given_name: p.given_name,
            family_name: p.family_name,
            date_of_birth: p.date_of_birth,
            postcode: Postcode::parse(&p.postcode).map_err(corrupt("postcode"))?,
            address_lines: p
                .address_lines
                .map(|a| a.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            phone: parse_optional(p.phone.as_deref(), Phone::parse, "phone")?,
            email: parse_optional(p.email.as_deref(), Email::parse, "email")?,
            preferred_contact: ContactMethod::parse(&p.preferred_contact)
                .map_err(corrupt("preferred_contact"))?,
            language: p.language,
            interpreter_needed: p.interpreter_needed,
            accessibility_needs: p.accessibility_needs,
            registered_practice: parse_optional(
                p.registered_practice.as_deref(),
                OdsCode::parse,
                "registered_practice",
            )?,
            about_me: AboutMe {
                pronouns: p.pronouns,
                carer: p.carer,
                communication_needs: p.communication_needs,
            },
        })
    }
}

impl TryFrom<ReferralRow> for Referral {
    type Error = StoreError;

    fn try_from(r: ReferralRow) -> Result<Self, StoreError> {
        let person = Person::try_from(r.person)?;
        let information_sharing = match r.information_sharing_agreed {
            None => None,
            Some(agreed) => Some(
                InformationSharing::parse(agreed, r.information_sharing_reason.as_deref())
                    .map_err(corrupt("information_sharing"))?,
            ),
        };
        let details = NewReferral {
            person,
            source: Source::parse(&r.source).map_err(corrupt("source"))?,
            referrer: Referrer {
                ods_code: parse_optional(
                    r.referrer_ods.as_deref(),
                    OdsCode::parse,
                    "referrer_ods",
                )?,
                name: r.referrer_name,
                role: r.referrer_role,
            },
            reasons: parse_all(&r.reasons.0, Reason::parse, "reasons")?,
            notes: r.notes,
            urgency: Urgency::parse(&r.urgency).map_err(corrupt("urgency"))?,
            consent: Consent {
                given_at: r.consent_given_at,
                method: ConsentMethod::parse(&r.consent_method)
                    .map_err(corrupt("consent_method"))?,
            },
            particulars: Particulars {
                method: parse_optional(
                    r.referral_method.as_deref(),
                    ReferralMethod::parse,
                    "referral_method",
                )?,
                reason_text: r.reason_text,
                return_response_to: r.return_response_to,
                referrer_contact: r.referrer_contact,
                information_sharing,
            },
        };
        Ok(Referral {
            id: r.id,
            organisation: r.organisation,
            referrer_organisation: r.referrer_organisation,
            reference: ReferralReference::from_trusted(r.reference),
            person_id: r.person_id,
            status: Status::parse(&r.status).map_err(corrupt("status"))?,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            details,
            link_worker_id: r.link_worker_id,
            // Filled in by the reads that return referrals (`lifecycle::flags_for`).
            possible_duplicates: Vec::new(),
        })
    }
}
