//! Partner keys and CORS for self-referral forms on partner websites.
//!
//! [`PartnerCaller`] is the extractor of `POST /v1/self-referrals`. In order: the client
//! IP's rate limit, the `X-Partner-Key` header (401 when missing, unknown or revoked), the
//! partner's rate limit, both limits again as counted by every instance together (in the
//! database), then the browser's `Origin`, which must be one of the partner's
//! allowed origins or this service's own (the embedded form, served by us, posts
//! same-origin); any other origin is 403. A client that is not a browser can send any
//! `Origin` it likes, so the origin rule protects partners' keys from use on other
//! websites, not the service from scripts: that is what the rate limits are for.
//!
//! [`cors`] is the middleware of that route. A preflight (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) carries no key, so it is allowed when *any* active
//! partner lists the origin. An actual response allows the origin only if the partner
//! whose key was used lists it; a response given before a partner was identified (no key,
//! unknown key, the IP rate limit) follows the preflight rule, so that the partner's own
//! form can read why it was refused. Other origins get no CORS headers at all.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use socialrx_domain::partner::{Partner, PartnerKey};
use socialrx_store::{AuditContext, Store, StoreError};

use crate::error::ApiError;
use crate::observe::RequestId;
use crate::ratelimit::{
    SelfReferralLimits, client_key, network_bucket, partner_bucket, retry_after_seconds,
    shared_check,
};

pub const PARTNER_KEY: HeaderName = HeaderName::from_static("x-partner-key");

/// The request headers a partner's page may send cross-origin.
pub const ALLOWED_HEADERS: &str = "Content-Type, X-Partner-Key, Idempotency-Key";
/// The response headers a partner's script may read besides the safelisted ones.
pub const EXPOSED_HEADERS: &str = "Retry-After, X-Request-Id, Idempotent-Replayed";
/// How long a browser may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: &str = "600";

/// The partner whose key a request carries, after every check above.
pub struct PartnerCaller {
    pub partner: Partner,
}

impl std::ops::Deref for PartnerCaller {
    type Target = Partner;
    fn deref(&self) -> &Partner {
        &self.partner
    }
}

impl PartnerCaller {
    /// The audit context: the partner's organisation, acting as `partner:<id>`.
    pub fn audit(&self, req: &HttpRequest) -> AuditContext {
        AuditContext {
            organisation: self.partner.organisation.clone(),
            actor: format!("partner:{}", self.partner.id),
            client_ip: crate::client_ip::of(req),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }
    }
}

/// Left in the request's extensions once the key names a partner, for [`cors`].
#[derive(Clone)]
struct IdentifiedPartner(Partner);

impl FromRequest for PartnerCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { identify(&req).await })
    }
}

async fn identify(req: &HttpRequest) -> Result<PartnerCaller, ApiError> {
    let raw = req
        .headers()
        .get(PARTNER_KEY)
        .map(|v| v.to_str().unwrap_or_default());
    identify_with_key(req, raw).await
}

/// Every check of [`PartnerCaller`] for a key that came some other way (the form without
/// JavaScript posts it in a hidden field); `None` when there is none.
pub async fn identify_with_key(
    req: &HttpRequest,
    raw: Option<&str>,
) -> Result<PartnerCaller, ApiError> {
    let limits = req
        .app_data::<web::Data<SelfReferralLimits>>()
        .ok_or_else(|| ApiError::Internal("no self-referral limits configured".into()))?;
    if let Some(ip) = crate::client_ip::of(req).map(client_key) {
        limits
            .per_ip
            .check(&ip)
            .map_err(|wait| too_many(wait, "from your address"))?;
    }

    let raw = raw
        .ok_or_else(|| {
            ApiError::PartnerKey(
                "send the partner key of the form in the X-Partner-Key header".into(),
            )
        })?
        .trim();
    let unknown =
        || ApiError::PartnerKey("the X-Partner-Key is not known or has been revoked".into());
    if !PartnerKey::looks_like_a_key(raw) {
        return Err(unknown());
    }
    let store = req
        .app_data::<web::Data<Arc<dyn Store>>>()
        .ok_or_else(|| ApiError::Internal("no store configured".into()))?;
    let partner = match store.find_partner_by_key(&PartnerKey::hash_of(raw)).await {
        Ok(p) if p.active => p,
        Ok(_) | Err(StoreError::NotFound) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    };
    req.extensions_mut()
        .insert(IdentifiedPartner(partner.clone()));

    limits
        .per_partner
        .check(&partner.id)
        .map_err(|wait| too_many(wait, "for this form"))?;
    // The same limits across every instance of the service.
    let store = store.as_ref().as_ref();
    if let Some(ip) = crate::client_ip::of(req) {
        shared_check(store, network_bucket(ip), limits.limits.per_ip_per_minute)
            .await?
            .map_err(|seconds| too_many(Duration::from_secs(seconds), "from your address"))?;
    }
    shared_check(
        store,
        partner_bucket(partner.id),
        limits.limits.per_partner_per_minute,
    )
    .await?
    .map_err(|seconds| too_many(Duration::from_secs(seconds), "for this form"))?;

    if let Some(origin) = origin_of(req.headers())
        && !partner.allows(origin)
        && !same_origin(req, origin)
    {
        return Err(ApiError::Forbidden(format!(
            "this partner key may not be used from {}; the organisation can add the origin to the partner's allowed origins",
            printable(origin)
        )));
    }
    Ok(PartnerCaller { partner })
}

fn too_many(wait: std::time::Duration, whom: &str) -> ApiError {
    let seconds = retry_after_seconds(wait);
    ApiError::TooManyRequests {
        retry_after: seconds,
        detail: format!(
            "too many self-referrals {whom} in a short time; try again in {seconds} seconds"
        ),
    }
}

fn origin_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// A page of this service itself (the embedded form) posting to it: the `Origin`'s host
/// and port are the ones the request was sent to. Browsers set both headers themselves.
fn same_origin(req: &HttpRequest, origin: &str) -> bool {
    let authority = origin.split_once("://").map(|(_, a)| a).unwrap_or("");
    !authority.is_empty() && authority.eq_ignore_ascii_case(req.connection_info().host())
}

/// Echo at most a short, printable prefix of what a client sent.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(100).collect()
}

/// CORS for `/v1/self-referrals` (see the module documentation for the rule).
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let origin = origin_of(req.headers()).map(str::to_owned);
    let store = req.app_data::<web::Data<Arc<dyn Store>>>().cloned();
    let is_preflight = req.method() == Method::OPTIONS
        && origin.is_some()
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    if is_preflight {
        let allowed = match (&origin, &store) {
            (Some(origin), Some(store)) => any_partner_allows(store, origin).await,
            _ => false,
        };
        let mut response = HttpResponse::NoContent();
        response.insert_header((
            header::VARY,
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        ));
        if let (true, Some(origin)) = (allowed, &origin) {
            response
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.as_str()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE));
        }
        return Ok(req.into_response(response.finish()).map_into_right_body());
    }

    let mut res = next.call(req).await?;
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        let identified = res
            .request()
            .extensions()
            .get::<IdentifiedPartner>()
            .cloned();
        let allowed = match (identified, &store) {
            (Some(IdentifiedPartner(partner)), _) => partner.allows(&origin),
            (None, Some(store)) => any_partner_allows(store, &origin).await,
            (None, None) => false,
        };
        if allowed && let Ok(value) = HeaderValue::from_str(&origin) {
            let headers = res.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
        }
    }
    Ok(res.map_into_left_body())
}

async fn any_partner_allows(store: &Arc<dyn Store>, origin: &str) -> bool {
    match store.origin_allowed(origin).await {
        Ok(allowed) => allowed,
        Err(e) => {
            // Without an answer, no CORS headers: the browser keeps the response from
            // the page, which is the safe side.
            tracing::warn!(error = %e, "could not check a CORS origin");
            false
        }
    }
}
