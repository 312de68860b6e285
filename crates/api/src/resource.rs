//! `resource(path).get(h)`: an actix resource that answers every method it does
//! not list with 405 problem+json and an `Allow` header.

use actix_web::web;

use crate::error::ApiError;

/// A resource whose unlisted methods answer 405 with an `Allow` header.
pub fn resource(path: &str) -> Resource {
    Resource {
        inner: web::resource(path),
        methods: Vec::new(),
    }
}

pub struct Resource {
    inner: actix_web::Resource,
    methods: Vec<&'static str>,
}

impl Resource {
    pub fn get<F, Args>(mut self, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        self.methods.push("GET");
        self.inner = self.inner.route(web::get().to(handler));
        self
    }
}

impl Resource {
    /// Adds a route for `method` (the route table's way in: see `endpoint::mount`).
    pub fn route(mut self, method: &'static str, route: actix_web::Route) -> Self {
        self.methods.push(method);
        self.inner = self.inner.route(route);
        self
    }
}

/// The order methods are listed in `Allow`, whatever order they were added in.
const METHOD_ORDER: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

impl actix_web::dev::HttpServiceFactory for Resource {
    fn register(mut self, config: &mut actix_web::dev::AppService) {
        self.methods
            .sort_by_key(|m| METHOD_ORDER.iter().position(|o| o == m));
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
