//! The embeddable self-referral form: `GET /embed/self-referral?key=<partner key>`, with
//! its script and stylesheet beside it. Plain HTML, CSS and a little JavaScript, nothing
//! from elsewhere; a partner frames it (only its allowed origins may) or links to it.
//!
//! The key in the address is the partner's publishable key, the same one the page then
//! sends in `X-Partner-Key`; putting it in a URL leaks nothing that the page would not
//! show anyway. These are web pages for people, not API operations: they are not in the
//! OpenAPI document, and their errors are HTML pages, not problems.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use socialrx_domain::partner::{Partner, PartnerKey};
use socialrx_domain::referral::Reason;
use socialrx_store::{Store, StoreError};

use crate::error::ApiError;
use crate::resource::resource;

const FORM: &str = include_str!("form.html");
const SCRIPT: &str = include_str!("form.js");
const STYLESHEET: &str = include_str!("form.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/embed/self-referral").get(form))
        .service(resource("/embed/self-referral.js").get(script))
        .service(resource("/embed/self-referral.css").get(stylesheet));
}

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
    let body = FORM
        .replace("{{partner}}", &escape(&partner.name))
        .replace("{{key}}", &escape(raw))
        .replace("{{help_with}}", &help_with_choices());
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(&partner),
        ))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Revoking a partner must take effect at once, and the page holds its key.
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(body))
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

/// How each reason code is put to the person filling in the form.
pub fn help_with_label(reason: Reason) -> &'static str {
    match reason {
        Reason::LonelinessIsolation => "Feeling lonely or cut off",
        Reason::LowMoodAnxiety => "Low mood, stress or anxiety",
        Reason::LongTermCondition => "Living with a long-term health condition",
        Reason::CarerSupport => "Looking after someone (being a carer)",
        Reason::MoneyBenefitsDebt => "Money, benefits or debt",
        Reason::Housing => "Housing",
        Reason::EmploymentSkills => "Work, training or skills",
        Reason::PhysicalActivity => "Being more active",
        Reason::Bereavement => "Losing someone close (bereavement)",
        Reason::DomesticAbuse => "Domestic abuse",
        Reason::SubstanceUse => "Alcohol or drugs",
        Reason::Other => "Something else",
    }
}

fn help_with_choices() -> String {
    Reason::ALL
        .iter()
        .map(|r| {
            let code = r.as_str();
            format!(
                "      <div class=\"choice\"><input type=\"checkbox\" id=\"help_with-{code}\" \
                 name=\"help_with\" value=\"{code}\"><label for=\"help_with-{code}\">{}</label></div>\n",
                escape(help_with_label(*r))
            )
        })
        .collect()
}

/// Text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialrx_domain::partner::Origin;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape(r#"<b a="1">'&'</b>"#),
            "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn every_reason_is_offered_once() {
        let choices = help_with_choices();
        for r in Reason::ALL {
            assert_eq!(choices.matches(&format!("value=\"{r}\"")).count(), 1, "{r}");
        }
    }

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
