//! socialrx HTTP API: handlers, authentication, problem+json errors and the OpenAPI spec.
//!
//! [`configure`] mounts every route on an actix `ServiceConfig`; [`openapi`] builds the
//! spec from the same handlers without a database. The server crate owns start-up.

pub mod auth;
pub mod error;
pub mod examples;
pub mod extract;
pub mod observe;
pub mod routes;
pub mod schema;

use std::sync::Arc;

use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{HttpResponse, web};
use socialrx_store::Store;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_scalar::{Scalar, Servable};

use crate::error::ApiError;
use crate::routes::{health, referrals};

pub use auth::{Caller, Claims, Verifier, mint_hs256};
pub use observe::Metrics;

/// What every handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub verifier: Arc<Verifier>,
    pub metrics: web::Data<Metrics>,
    pub in_flight: web::Data<referrals::InFlight>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, verifier: Verifier) -> Self {
        Self {
            store,
            verifier: Arc::new(verifier),
            metrics: web::Data::new(Metrics::new()),
            in_flight: web::Data::new(referrals::InFlight::default()),
        }
    }
}

/// Mounts the whole API. Each resource lists its methods; any other method is 405 with
/// an `Allow` header, and any other path is 404, both as problem+json.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state.store.clone()))
            .app_data(web::Data::new(state.verifier.clone()))
            .app_data(state.metrics.clone())
            .app_data(state.in_flight.clone())
            .app_data(web::PayloadConfig::new(extract::BODY_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(extract::query_error))
            .app_data(web::PathConfig::default().error_handler(extract::path_error))
            .service(
                web::scope("")
                    .wrap(ErrorHandlers::new().default_handler(error::problem_for_bare_errors))
                    .wrap(from_fn(observe::observe))
                    .service(resource("/healthz").get(health::healthz))
                    .service(resource("/readyz").get(health::readyz))
                    .service(resource("/metrics").get(health::metrics))
                    .service(resource("/openapi.json").get(openapi_json))
                    .service(Scalar::with_url("/docs", openapi()))
                    .service(
                        resource("/v1/referrals")
                            .get(referrals::list_referrals)
                            .post(referrals::create_referral),
                    )
                    .service(resource("/v1/referrals/{id}").get(referrals::get_referral))
                    .default_service(web::to(not_found)),
            );
    }
}

/// A resource whose unlisted methods answer 405 with an `Allow` header.
fn resource(path: &str) -> Resource {
    Resource {
        inner: web::resource(path),
        methods: Vec::new(),
    }
}

struct Resource {
    inner: actix_web::Resource,
    methods: Vec<&'static str>,
}

impl Resource {
    fn get<F, Args>(mut self, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        self.methods.push("GET");
        self.inner = self.inner.route(web::get().to(handler));
        self
    }

    fn post<F, Args>(mut self, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        self.methods.push("POST");
        self.inner = self.inner.route(web::post().to(handler));
        self
    }
}

impl actix_web::dev::HttpServiceFactory for Resource {
    fn register(self, config: &mut actix_web::dev::AppService) {
        let allow = self.methods.join(", ");
        self.inner
            .default_service(web::to(move || {
                let allow = allow.clone();
                async move {
                    let mut response =
                        actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed);
                    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
                        response
                            .headers_mut()
                            .insert(actix_web::http::header::ALLOW, value);
                    }
                    response
                }
            }))
            .register(config)
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
            Errors are RFC 9457 problem+json. Authenticate with `Authorization: Bearer <JWT>` \
            (claims `sub`, `org`, `roles`, `exp`, `iss`, `aud`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        referrals::create_referral,
        referrals::list_referrals,
        referrals::get_referral,
    ),
    components(schemas(error::Problem, error::FieldErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "referrals", description = "Referral intake and reading back"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
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
    }
}

/// The OpenAPI document, built from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
