//! The embeddable self-referral form: `GET /embed/self-referral?key=<partner key>`, with
//! its script and stylesheet beside it. Plain HTML, CSS and a little JavaScript, nothing
//! from elsewhere; a partner frames it (only its allowed origins may) or links to it.
//!
//! The key in the address is the partner's publishable key, the same one the page then
//! sends in `X-Partner-Key`; putting it in a URL leaks nothing that the page would not
//! show anyway. These are web pages for people: their errors are HTML pages, not problems.
//!
//! With JavaScript the page posts JSON to `POST /v1/self-referrals`. Without it, the form
//! posts itself (urlencoded, the key in a hidden field) to `POST /embed/self-referral`,
//! which runs the same checks, rules, rate limits and store method (see
//! [`super::submit`]) and answers the same page, server-rendered (see `page`): the
//! reference, or each error at its field with a summary. That one is in the OpenAPI document, as an
//! operation that answers HTML.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use socialrx_domain::partner::{Partner, PartnerKey};
use socialrx_domain::referral::ReferralReference;
use socialrx_store::{Store, StoreError};

use super::{SelfReferralConsent, SelfReferralRequest};
use crate::endpoint::{Endpoint, endpoint, page};
use crate::error::ApiError;
use crate::idempotency::InFlight;
use crate::observe::Metrics;
use crate::partner::identify_with_key;

mod page;

use self::page::{Shown, render};

const SCRIPT: &str = include_str!("form.js");
const STYLESHEET: &str = include_str!("form.css");

/// The form's page and assets, and the operation that takes the form without JavaScript.
pub const ENDPOINTS: &[Endpoint] = &[
    page!(Get, "/embed/self-referral", form),
    endpoint!(submit_form, public),
    page!(Get, "/embed/self-referral.js", script),
    page!(Get, "/embed/self-referral.css", stylesheet),
];

#[derive(Debug, Deserialize)]
pub struct EmbedQuery {
    pub key: Option<String>,
}

/// The page's policy: its own script, style and API only, framed by the partner's origins.
pub fn content_security_policy(partner: &Partner) -> String {
    let mut ancestors = String::from("'self'");
    for origin in &partner.allowed_origins {
        ancestors.push(' ');
        ancestors.push_str(origin.as_str());
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
}

/// The form for the partner whose key is in the address.
pub async fn form(
    query: web::Query<EmbedQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let Some(raw) = query
        .key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Ok(unavailable(
            StatusCode::BAD_REQUEST,
            "This link to the form is incomplete",
            "The address is missing the partner key. Please ask the website that sent you here to check its link.",
        ));
    };
    let partner = if PartnerKey::looks_like_a_key(raw) {
        match store.find_partner_by_key(&PartnerKey::hash_of(raw)).await {
            Ok(p) if p.active => Some(p),
            Ok(_) | Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let Some(partner) = partner else {
        return Ok(unavailable(
            StatusCode::NOT_FOUND,
            "This form is not available",
            "This self-referral form is no longer in use. Please contact the social prescribing service another way.",
        ));
    };
    Ok(page(
        StatusCode::OK,
        &partner,
        render(
            &partner.name,
            raw,
            &Answers::default(),
            &Shown::Form(Vec::new()),
        ),
    ))
}

/// The form page, with the page's headers.
fn page(status: StatusCode, partner: &Partner, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(partner),
        ))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Revoking a partner must take effect at once, and the page holds its key.
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(body)
}

fn unavailable(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let body = format!(
        "<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"self-referral.css\">\n</head>\n\
         <body>\n<main id=\"main\">\n<h1>{title}</h1>\n<p>{text}</p>\n</main>\n</body>\n</html>\n"
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; base-uri 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(body)
}

/// What the person sent in the form without JavaScript, kept to show back to them.
#[derive(Debug, Default)]
pub struct Answers {
    fields: Vec<(String, String)>,
}

impl Answers {
    pub fn parse(body: &[u8]) -> Self {
        Self {
            fields: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn one<'a>(&'a self, name: &str) -> &'a str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    fn optional(&self, name: &str) -> Option<String> {
        let v = self.one(name);
        (!v.trim().is_empty()).then(|| v.to_owned())
    }

    /// Day, month and year as `YYYY-MM-DD`, as the script makes it: padded, and blank when
    /// all three are, so that the rules say what is wrong.
    fn date_of_birth(&self) -> String {
        let part = |name: &str, width: usize| {
            let v = self.one(name).trim();
            if v.is_empty() {
                String::new()
            } else {
                format!("{v:0>width$}")
            }
        };
        let (d, m, y) = (
            part("dob-day", 2),
            part("dob-month", 2),
            part("dob-year", 4),
        );
        if d.is_empty() && m.is_empty() && y.is_empty() {
            String::new()
        } else {
            format!("{y}-{m}-{d}")
        }
    }

    /// The self-referral these answers make, as the JSON route would take it.
    pub fn request(&self) -> SelfReferralRequest {
        let lines: Vec<String> = self
            .all("address_line")
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        SelfReferralRequest {
            given_name: self.one("given_name").to_owned(),
            family_name: self.one("family_name").to_owned(),
            date_of_birth: self.date_of_birth(),
            postcode: self.one("postcode").to_owned(),
            address_lines: (!lines.is_empty()).then_some(lines),
            phone: self.optional("phone"),
            email: self.optional("email"),
            preferred_contact: self.one("preferred_contact").to_owned(),
            nhs_number: self.optional("nhs_number"),
            help_with: self.all("help_with").map(str::to_owned).collect(),
            help_with_details: self.optional("help_with_details"),
            consent: SelfReferralConsent {
                given: self.one("consent") == "given",
            },
            website: self.optional("website"),
        }
    }

    /// What makes two posts the same request: every answer, not the key or the retry key.
    fn fingerprint(&self) -> String {
        let mut fields: Vec<&(String, String)> = self
            .fields
            .iter()
            .filter(|(k, _)| k != "key" && k != "idempotency_key")
            .collect();
        fields.sort();
        let mut hasher = Sha256::new();
        for (k, v) in fields {
            hasher.update(k.as_bytes());
            hasher.update([0]);
            hasher.update(v.as_bytes());
            hasher.update([0]);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// `POST /embed/self-referral`: the form, sent without JavaScript.
///
/// The self-referral form posts here when the browser runs no script: the fields of
/// `POST /v1/self-referrals` as `application/x-www-form-urlencoded`, with the partner key
/// in the hidden field `key` (and a retry key the page made in `idempotency_key`).
/// The same checks, rules and rate limits apply. The answer is the form page for people,
/// in HTML: the reference, or each error next to its field with a summary; every other
/// refusal is a short page saying what to do.
#[utoipa::path(post, path = "/embed/self-referral", tag = "self-referrals", operation_id = "submit_self_referral_form",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "The form's fields: key, idempotency_key, given_name, family_name, dob-day, dob-month, dob-year, postcode, address_line (up to 4), phone, email, preferred_contact, nhs_number, help_with (repeated), help_with_details, consent=given, website (the honeypot)",
        example = json!("key=srxpk_...&idempotency_key=Xq3...&given_name=Delroy&family_name=Campbell&dob-day=2&dob-month=7&dob-year=1958&postcode=B11+4BW&address_line=12+Stratford+Road&address_line=Birmingham&preferred_contact=letter&help_with=loneliness_isolation&consent=given")),
    responses(
        (status = 201, description = "Received: the page with the reference", body = String, content_type = "text/html"),
        (status = 400, description = "No partner key in the form", body = String, content_type = "text/html"),
        (status = 401, description = "The partner key is unknown or revoked", body = String, content_type = "text/html"),
        (status = 403, description = "The request's Origin is not one of the partner's allowed origins", body = String, content_type = "text/html"),
        (status = 409, description = "The same form is still being sent", body = String, content_type = "text/html"),
        (status = 413, description = "The body is over 64 KiB", body = String, content_type = "text/html"),
        (status = 415, description = "The body is not application/x-www-form-urlencoded", body = String, content_type = "text/html"),
        (status = 422, description = "The form again, each error next to its field", body = String, content_type = "text/html"),
        (status = 429, description = "Too many self-referrals from this address or for this partner; see Retry-After", body = String, content_type = "text/html",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = String, content_type = "text/html"),
    ))]
pub async fn submit_form(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    store: web::Data<Arc<dyn Store>>,
    in_flight: web::Data<InFlight>,
    metrics: web::Data<Metrics>,
) -> HttpResponse {
    let body = match form_body(&req, body) {
        Ok(body) => body,
        Err((status, title, text)) => return unavailable(status, title, text),
    };
    let answers = Answers::parse(&body);
    let key = answers.optional("key");
    let Some(raw) = key.as_deref() else {
        return unavailable(
            StatusCode::BAD_REQUEST,
            "This form is incomplete",
            "The form is missing its partner key. Please ask the website that sent you here to check its link.",
        );
    };
    let partner = match identify_with_key(&req, Some(raw)).await {
        Ok(partner) => partner,
        Err(e) => return refused(e),
    };
    let retry = answers.optional("idempotency_key");
    let outcome = super::submit(
        &req,
        &partner,
        super::Submission {
            key: retry,
            fingerprint: answers.fingerprint(),
            request: answers.request(),
        },
        store.as_ref().as_ref(),
        &in_flight,
        &metrics,
    )
    .await;
    answer_page(outcome, &partner, raw, &answers)
}

/// The posted body, if it is a form that arrived whole; else the status, title and text
/// of the page saying so.
fn form_body(
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<web::Bytes, (StatusCode, &'static str, &'static str)> {
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    match body {
        Ok(body) if urlencoded => Ok(body),
        Ok(_) => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Your answers could not be read",
            "Please go back and send the form again.",
        )),
        Err(_) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            "Your answers are too long",
            "Please go back, shorten your answers and send the form again.",
        )),
    }
}

/// The page for what became of a submitted form: the reference, the form again with its
/// errors, or a refusal.
fn answer_page(
    outcome: Result<(ReferralReference, bool), ApiError>,
    partner: &Partner,
    key: &str,
    answers: &Answers,
) -> HttpResponse {
    match outcome {
        Ok((reference, replayed)) => {
            let body = render(
                &partner.name,
                key,
                &Answers::default(),
                &Shown::Sent(reference.as_str().to_owned()),
            );
            let mut response = page(StatusCode::CREATED, partner, body);
            if replayed {
                response.headers_mut().insert(
                    header::HeaderName::from_static("idempotent-replayed"),
                    header::HeaderValue::from_static("true"),
                );
            }
            response
        }
        Err(ApiError::Validation(errors))
            if errors.iter().any(|e| e.field == "Idempotency-Key") =>
        {
            unavailable(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This form was already sent",
                "Your referral was sent before. To send another one, open the form again from the website that sent you here.",
            )
        }
        Err(ApiError::Validation(errors)) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            partner,
            render(&partner.name, key, answers, &Shown::Form(errors)),
        ),
        Err(e) => refused(e),
    }
}

/// A refusal other than the person's answers, as a page that says what to do.
fn refused(e: ApiError) -> HttpResponse {
    match e {
        ApiError::PartnerKey(_) => unavailable(
            StatusCode::UNAUTHORIZED,
            "This form is not available",
            "This self-referral form is no longer in use. Please contact the social prescribing service another way.",
        ),
        ApiError::Forbidden(_) => unavailable(
            StatusCode::FORBIDDEN,
            "This form cannot be used from here",
            "This form cannot be sent from the website you used. Please contact the social prescribing service another way.",
        ),
        ApiError::TooManyRequests { retry_after, .. } => {
            let mut response = unavailable(
                StatusCode::TOO_MANY_REQUESTS,
                "Please wait before sending the form again",
                &format!(
                    "This form has been sent too many times in a short while. Please wait {retry_after} seconds, then go back and send it again."
                ),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            response
        }
        ApiError::Conflict { .. } => unavailable(
            StatusCode::CONFLICT,
            "Your referral is being sent",
            "Your referral is still being sent. Please wait a moment, then reload this page.",
        ),
        e => {
            let status = match e {
                ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::error!(error = %e, "the self-referral form could not be taken");
            unavailable(
                status,
                "Sorry, your referral could not be sent",
                "Something went wrong on our side. Please try again later.",
            )
        }
    }
}

pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(300),
        ]))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialrx_domain::partner::Origin;

    #[test]
    fn only_the_partners_origins_may_frame_the_form() {
        let partner = Partner {
            id: uuid::Uuid::nil(),
            organisation: "Y02794".into(),
            name: "A".into(),
            allowed_origins: vec![
                Origin::parse("https://a.org").unwrap(),
                Origin::parse("https://www.a.org").unwrap(),
            ],
            key_prefix: "srxpk_AAAA".into(),
            active: true,
            created_by: "admin".into(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            disabled_at: None,
        };
        let csp = content_security_policy(&partner);
        assert!(csp.ends_with("frame-ancestors 'self' https://a.org https://www.a.org"));
        assert!(csp.starts_with("default-src 'none'; script-src 'self'"));
    }
}
