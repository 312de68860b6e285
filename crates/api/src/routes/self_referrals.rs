//! Self-referral from partner websites: `POST /v1/self-referrals` with an `X-Partner-Key`
//! (no token), and the embeddable form at `/embed/self-referral` (see `embed.rs`).
//!
//! A self-referral is turned into an ordinary referral (source `self`, the partner as
//! referrer, consent given electronically now) and passes through exactly the rules and
//! the store method of `POST /v1/referrals`; only the field names of its errors are
//! translated back to this request's flatter shape.

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::particulars::ReferralMethod;
use socialrx_domain::partner::Partner;
use socialrx_domain::referral::{NewReferral, ReferralReference, Source};
use socialrx_domain::{FieldError, limits};
use socialrx_store::Store;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use validator::Validate;

use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::{Body, IdempotencyKeyHeader};
use crate::idempotency::{InFlight, Once, create_once};
use crate::observe::Metrics;
use crate::partner::{PartnerCaller, cors};
use crate::routes::referrals::{
    ConsentRequest, ContactMethodCodes, CreateReferralRequest, PersonRequest, ReasonCodes,
    ReferrerRequest,
};
use crate::schema::{code_list_schema, codes_array_schema};

pub mod embed;

/// Public in the sense of needing no token: the route needs a partner's `X-Partner-Key`
/// (the form without JavaScript, in [`embed::ENDPOINTS`], is public the same way, its key
/// in a hidden field). Mounted in a scope of its own by [`mount`].
pub const ENDPOINTS: &[Endpoint] = &[endpoint!(create_self_referral, public)];

/// Mounts [`ENDPOINTS`] in a scope whose CORS rules answer partner websites' preflights.
pub fn mount(cfg: &mut web::ServiceConfig) {
    const SCOPE: &str = "/v1/self-referrals";
    cfg.service(
        web::scope(SCOPE)
            .wrap(from_fn(cors))
            .configure(|scope| crate::endpoint::mount(scope, SCOPE, ENDPOINTS)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "self-referrals", description = "Self-referral forms on partner websites: a partner key, no token"))
)]
pub struct Api;

/// What the referrer's role is recorded as on a self-referral.
pub const REFERRER_ROLE: &str = "Self-referral through a partner's website form";

/// The one answer to an accepted (or discarded) self-referral.
pub const ACCEPTED_MESSAGE: &str = "Thank you. We have received your referral. Please keep \
    your reference: a link worker will contact you in the way you asked.";

/// A self-referral as a person fills it in on a partner's website.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!(crate::examples::self_referral_request()))]
pub struct SelfReferralRequest {
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub given_name: String,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub family_name: String,
    /// `YYYY-MM-DD`; not in the future, not more than 120 years ago.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10, example = "1958-07-02")]
    pub date_of_birth: String,
    /// A full UK postcode.
    #[validate(length(max = 10))]
    #[schema(max_length = 10, example = "B11 4BW")]
    pub postcode: String,
    /// The postal address's lines before the postcode (at most 4, each at most 100
    /// characters); required when `preferred_contact` is `letter`.
    #[validate(length(max = 4))]
    #[schema(max_items = 4, example = json!(["12 Stratford Road"]))]
    #[serde(default)]
    pub address_lines: Option<Vec<String>>,
    #[validate(length(max = 32))]
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[validate(length(max = 254))]
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// `phone` and `text` need a phone number, `email` an e-mail address, `letter` the
    /// `address_lines`.
    #[schema(schema_with = code_list_schema::<ContactMethodCodes>)]
    pub preferred_contact: String,
    /// Optional: ten digits with a valid check digit; blank means not given.
    #[validate(length(max = 12))]
    #[schema(max_length = 12)]
    pub nhs_number: Option<String>,
    /// What they would like help with: at least one code, each at most once.
    #[validate(length(min = 1, max = 12))]
    #[schema(schema_with = codes_array_schema::<ReasonCodes>)]
    pub help_with: Vec<String>,
    /// Anything else they want to say, in their own words.
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub help_with_details: Option<String>,
    #[validate(nested)]
    pub consent: SelfReferralConsent,
    /// A honeypot: leave it out or empty. A form renders it hidden from people and
    /// assistive technology; bots fill it in. A submission with any value is answered
    /// exactly as if accepted, and discarded.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub website: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfReferralConsent {
    /// Must be `true`: the person agrees to the service holding these details and
    /// contacting them. Recorded as electronic consent given now.
    pub given: bool,
}

impl SelfReferralRequest {
    /// Caught by the honeypot.
    pub fn is_spam(&self) -> bool {
        self.website
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty())
    }

    /// The referral this self-referral makes, by the rules of `POST /v1/referrals`.
    pub fn into_domain(
        self,
        partner: &Partner,
        now: OffsetDateTime,
    ) -> Result<NewReferral, Vec<FieldError>> {
        let request = CreateReferralRequest {
            person: PersonRequest {
                nhs_number: self.nhs_number.filter(|n| !n.trim().is_empty()),
                given_name: self.given_name,
                family_name: self.family_name,
                date_of_birth: self.date_of_birth,
                postcode: self.postcode,
                address_lines: self.address_lines,
                phone: self.phone,
                email: self.email,
                preferred_contact: self.preferred_contact,
                preferred_contact_inferred: false,
                language: None,
                interpreter_needed: false,
                accessibility_needs: None,
                registered_practice: None,
                ..Default::default()
            },
            source: Source::SelfReferral.as_str().to_owned(),
            referrer: ReferrerRequest {
                ods_code: None,
                name: partner.name.chars().take(limits::NAME).collect::<String>(),
                role: Some(REFERRER_ROLE.to_owned()),
                ..Default::default()
            },
            reasons: self.help_with,
            notes: self.help_with_details,
            urgency: None,
            consent: ConsentRequest {
                given: self.consent.given,
                given_at: now.format(&Rfc3339).unwrap_or_default(),
                method: "electronic".to_owned(),
                ..Default::default()
            },
            // The partner's organisation receives it.
            receiving_service: None,
            referral_method: Some(ReferralMethod::SelfReferral.as_str().to_owned()),
            ..Default::default()
        };
        request
            .into_domain(now)
            .map_err(|errors| errors.into_iter().map(rename).collect())
    }
}

/// A referral error's field as named in a self-referral request.
fn rename(mut e: FieldError) -> FieldError {
    let field = e.field.as_str();
    e.field = if let Some(rest) = field.strip_prefix("person.") {
        rest.to_owned()
    } else if let Some(rest) = field.strip_prefix("reasons") {
        format!("help_with{rest}")
    } else if field == "notes" {
        "help_with_details".to_owned()
    } else if field.starts_with("consent.") {
        "consent.given".to_owned()
    } else {
        // Fields this request does not have (referrer, source) are filled in by us.
        String::new()
    };
    e
}

/// What a self-referral answers: the reference and a message, never the details sent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"reference": "SRX-7K3M-9QPD", "message": ACCEPTED_MESSAGE}))]
pub struct SelfReferralAccepted {
    /// To quote when in touch with the service.
    pub reference: String,
    /// For the person, to show as it is.
    pub message: String,
}

/// A self-referral as sent, with its retry key and the fingerprint of its body.
pub(crate) struct Submission {
    pub key: Option<String>,
    pub fingerprint: String,
    pub request: SelfReferralRequest,
}

/// Takes a self-referral from a partner that passed every check: the honeypot, the rules
/// of a referral, the idempotency key, the store. Both the JSON route and the form
/// without JavaScript come through here. Answers the reference, and whether it is a replay.
pub(crate) async fn submit(
    req: &HttpRequest,
    partner: &PartnerCaller,
    submission: Submission,
    store: &dyn Store,
    in_flight: &InFlight,
    metrics: &Metrics,
) -> Result<(ReferralReference, bool), ApiError> {
    let Submission {
        key,
        fingerprint,
        request,
    } = submission;
    if request.is_spam() {
        metrics.self_referral_discarded("honeypot");
        tracing::info!(partner = %partner.id, "self-referral discarded by the honeypot");
        return Ok((ReferralReference::generate(), false));
    }
    let referral = request.into_domain(partner, OffsetDateTime::now_utc())?;
    let audit = partner.audit(req);
    // Keys belong to the partner (within its organisation's key space).
    let key = key.map(|k| format!("partner:{}:{k}", partner.id));
    let once = create_once(
        in_flight,
        &audit.organisation,
        key,
        &fingerprint,
        |key| async { Ok::<_, ApiError>(store.create_referral(&audit, referral, key).await?) },
    )
    .await?;
    match once {
        Once::New(referral) => Ok((referral.reference, false)),
        Once::Replay(id) => {
            let referral = store.get_referral(&audit, id).await?;
            Ok((referral.reference, true))
        }
    }
}

fn accepted(reference: &ReferralReference, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::Created();
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(SelfReferralAccepted {
        reference: reference.as_str().to_owned(),
        message: ACCEPTED_MESSAGE.to_owned(),
    })
}

/// Refer yourself, from a partner's web form.
///
/// Needs no token but the partner's key in `X-Partner-Key` (a publishable key: it sits in
/// the partner's page). Browsers may call it cross-origin from the partner's allowed
/// origins (CORS; the preflight is allowed for an origin that any active partner lists);
/// an `Origin` that the key's partner does not list is 403. Rate limited per client IP
/// and per partner (429 with `Retry-After`). The referral is made with source `self` in
/// the partner's organisation by the rules of `POST /v1/referrals`, and audited as the
/// actor `partner:<id>`. The answer holds only the reference and a message. An
/// `Idempotency-Key` makes a retry safe, as for referrals.
#[utoipa::path(post, path = "/v1/self-referrals", tag = "self-referrals", operation_id = "create_self_referral",
    security(("partner_key" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7e]{1,255}$", description = "Makes a retry safe: 1 to 255 visible ASCII characters, such as a UUID")),
    request_body(content = SelfReferralRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Received", body = SelfReferralAccepted),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No X-Partner-Key, or one that is unknown or revoked", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The request's Origin is not one of the partner's allowed origins", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules, a field is unknown, or the Idempotency-Key was used for another body", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many self-referrals from this address or for this partner; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_self_referral(
    req: HttpRequest,
    partner: PartnerCaller,
    key: IdempotencyKeyHeader,
    body: Body<SelfReferralRequest>,
    store: web::Data<Arc<dyn Store>>,
    in_flight: web::Data<InFlight>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    let fingerprint = body.fingerprint.clone();
    // Shape and rule errors together; `submit` judges the rules again on the way in.
    let now = OffsetDateTime::now_utc();
    let request = body.judge(|r| {
        if r.is_spam() {
            // The honeypot answers as if accepted, whatever else is wrong (see `submit`).
            return Ok(r);
        }
        r.clone().into_domain(&partner, now).map(|_| r)
    })?;
    let (reference, replayed) = submit(
        &req,
        &partner,
        Submission {
            key: key.0,
            fingerprint,
            request,
        },
        store.as_ref().as_ref(),
        &in_flight,
        &metrics,
    )
    .await?;
    Ok(accepted(&reference, replayed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(field: &str) -> FieldError {
        FieldError::new(field, "x", "y")
    }

    #[test]
    fn referral_error_fields_are_named_as_in_a_self_referral() {
        for (from, to) in [
            ("person.given_name", "given_name"),
            ("person.nhs_number", "nhs_number"),
            ("reasons", "help_with"),
            ("reasons[2]", "help_with[2]"),
            ("notes", "help_with_details"),
            ("consent.given", "consent.given"),
            ("consent.given_at", "consent.given"),
            ("referrer.name", ""),
        ] {
            assert_eq!(rename(error(from)).field, to, "{from}");
        }
    }
}
