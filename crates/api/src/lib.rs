//! socialrx HTTP API: handlers, authentication, problem+json errors and the OpenAPI spec.
//!
//! [`configure`] mounts every route on an actix `ServiceConfig`; [`openapi`] builds the
//! spec from the same handlers without a database. The server crate owns start-up.

mod access;
pub mod auth;
pub mod client_ip;
pub mod cors;
mod docs;
mod endpoint;
mod error;
mod examples;
mod extract;
mod idempotency;
mod observe;
mod paging;
mod partner;
mod precondition;
mod query_rules;
pub mod ratelimit;
mod receiving;
mod resource;
pub mod routes;
pub mod schema;

use std::sync::Arc;

use actix_web::middleware::{Condition, ErrorHandlers, from_fn};
use actix_web::{HttpResponse, web};
use socialrx_domain::caseload::ResponsePolicy;
use socialrx_store::Store;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;
use crate::resource::resource;

pub use auth::{Caller, Claims, Verifier, mint_hs256};
pub use observe::Metrics;
pub use ratelimit::RateLimits;

/// What every handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub verifier: Arc<Verifier>,
    pub metrics: web::Data<Metrics>,
    pub in_flight: web::Data<crate::idempotency::InFlight>,
    pub self_referral_limits: web::Data<ratelimit::SelfReferralLimits>,
    /// Browser origins allowed to call the API (none by default).
    pub cors: cors::CorsSettings,
    /// When a referral still `received` counts as overdue in the queue.
    pub response_policy: web::Data<ResponsePolicy>,
    /// Directory search, fed from the store (by the server's `jobs::search_feed`).
    pub search: Arc<socialrx_search::SearchIndex>,
    pub gazetteer: Arc<socialrx_search::geo::Gazetteer>,
    pub directory: routes::directory::DirectorySettings,
    /// Reverse proxies whose `X-Forwarded-For` names the caller (none by default).
    pub trusted_proxies: web::Data<client_ip::TrustedProxies>,
    /// How long a request body may take to arrive.
    pub body_timeout: extract::BodyTimeout,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        verifier: Verifier,
        search: Arc<socialrx_search::SearchIndex>,
        directory: routes::directory::DirectorySettings,
    ) -> Self {
        Self {
            store,
            verifier: Arc::new(verifier),
            metrics: web::Data::new(Metrics::new()),
            in_flight: web::Data::new(crate::idempotency::InFlight::default()),
            self_referral_limits: web::Data::new(ratelimit::SelfReferralLimits::default()),
            cors: cors::CorsSettings::default(),
            response_policy: web::Data::new(ResponsePolicy::default()),
            search,
            gazetteer: gazetteer(),
            directory,
            trusted_proxies: web::Data::new(client_ip::TrustedProxies::default()),
            body_timeout: extract::BodyTimeout::default(),
        }
    }

    pub fn with_body_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.body_timeout = extract::BodyTimeout(timeout);
        self
    }

    /// Sets the rate limits of `POST /v1/self-referrals` (defaults: [`RateLimits::default`]).
    pub fn with_self_referral_limits(mut self, limits: RateLimits) -> Self {
        self.self_referral_limits = web::Data::new(ratelimit::SelfReferralLimits::new(limits));
        self
    }

    pub fn with_trusted_proxies(mut self, proxies: client_ip::TrustedProxies) -> Self {
        self.trusted_proxies = web::Data::new(proxies);
        self
    }

    pub fn with_cors(mut self, cors: cors::CorsSettings) -> Self {
        self.cors = cors;
        self
    }

    pub fn with_response_policy(mut self, policy: ResponsePolicy) -> Self {
        self.response_policy = web::Data::new(policy);
        self
    }
}

/// The shipped postcode data, parsed once per process.
pub fn gazetteer() -> Arc<socialrx_search::geo::Gazetteer> {
    static GAZETTEER: std::sync::OnceLock<Arc<socialrx_search::geo::Gazetteer>> =
        std::sync::OnceLock::new();
    GAZETTEER
        .get_or_init(|| Arc::new(socialrx_search::geo::Gazetteer::embedded()))
        .clone()
}

/// Mounts the whole API. Each resource lists its methods; any other method is 405 with
/// an `Allow` header, and any other path is 404, both as problem+json.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state.store.clone()))
            .app_data(web::Data::new(state.verifier.clone()))
            .app_data(state.metrics.clone())
            .app_data(state.in_flight.clone())
            .app_data(state.self_referral_limits.clone())
            .app_data(state.response_policy.clone())
            .app_data(state.trusted_proxies.clone())
            .app_data(web::Data::new(state.search.clone()))
            .app_data(web::Data::new(state.gazetteer.clone()))
            .app_data(web::Data::new(state.directory))
            .app_data(web::PayloadConfig::new(extract::BODY_LIMIT))
            .app_data(web::Data::new(state.body_timeout))
            .app_data(web::QueryConfig::default().error_handler(extract::query_error))
            .app_data(web::PathConfig::default().error_handler(extract::path_error))
            .service(
                web::scope("")
                    // Innermost: an undocumented query parameter on /v1 is a 422 that still
                    // gets CORS headers, a request id and a log line (see query_rules).
                    .wrap(from_fn(query_rules::refuse_unknown))
                    // Inside everything but the query rule, so that a refused origin is answered as a problem (or an
                    // OperationOutcome on /fhir) like any other error.
                    .wrap(Condition::new(
                        state.cors.enabled(),
                        state.cors.middleware(),
                    ))
                    // FHIR content negotiation: 406 before authentication or any other work.
                    .wrap(from_fn(routes::fhir::negotiate))
                    .wrap(ErrorHandlers::new().default_handler(error::problem_for_bare_errors))
                    .wrap(from_fn(observe::observe))
                    .service(resource("/openapi.json").get(openapi_json))
                    .configure(docs::configure)
                    .configure(routes::configure)
                    .default_service(web::to(not_found)),
            );
    }
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(openapi())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "socialrx",
        description = "An open, self-hostable API for social prescribing: referrals to link \
            workers, caseloads, community activities, connections and outcomes.\n\n\
            Errors are RFC 9457 problem+json. Under `/v1`, a query parameter an operation \
            does not list here is refused (422, code `unknown_parameter`). Authenticate with `Authorization: Bearer <JWT>` \
            (claims `sub`, `org`, `roles`, `exp`, `iss`, `aud`); self-referral forms on partner \
            websites send their partner key in `X-Partner-Key` instead.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    components(schemas(error::Problem, error::FieldErrorBody)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "partner_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Partner-Key",
                "A partner form's publishable key (`POST /v1/partners` gives it once).",
            ))),
        );
    }
}

/// The OpenAPI document, built from the handlers' annotations, with each operation's
/// roles written into its description from the one permission table.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    routes::document(&mut doc);
    access::document_roles(&mut doc, &routes::operations());
    schema::bound_dates(&mut doc);
    doc
}
