//! The route table's entries. Each operation is declared once, as an [`Endpoint`] in its
//! module's `ENDPOINTS`: the handler, whose `#[utoipa::path]` gives the path, the method
//! and the documentation, and the permission it needs. The actix routes ([`mount`]), the
//! OpenAPI paths ([`document`]) and the permission table ([`Endpoint::operations`]) are all
//! read from those lists, so they cannot disagree.
//!
//! The permission is checked by the route itself, before any extractor runs (so before
//! the body is read); the handler takes [`crate::access::Authorized`] to learn who called.

use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, Route, web};
use socialrx_domain::Permission;
use utoipa::openapi::path::{HttpMethod, Operation as PathOperation};
use utoipa::openapi::{RefOr, schema::Schema};

use crate::access::Operation;
use crate::auth::Caller;
use crate::resource::resource;

/// One operation of the API, or one page of the service (see [`page!`]).
pub struct Endpoint {
    /// `None`: no token needed (a partner-key route checks its key itself).
    pub permission: Option<Permission>,
    route: fn() -> Route,
    at: At,
}

enum At {
    /// An API operation: where and what, from the handler's `#[utoipa::path]`.
    Documented(Documentation),
    /// A page or asset outside the API document (the self-referral form's HTML).
    Page {
        method: HttpMethod,
        path: &'static str,
    },
}

/// The functions `#[utoipa::path]` generates for a handler, as the derived `OpenApi`
/// calls them (`Tags` and `SchemaReferences` are utoipa's own hidden traits for this).
pub struct Documentation {
    pub path: fn() -> String,
    pub methods: fn() -> Vec<HttpMethod>,
    pub operation: fn() -> PathOperation,
    pub tags: fn() -> Vec<&'static str>,
    pub schemas: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl Endpoint {
    pub const fn documented(
        permission: Option<Permission>,
        route: fn() -> Route,
        documentation: Documentation,
    ) -> Self {
        Self {
            permission,
            route,
            at: At::Documented(documentation),
        }
    }

    pub const fn page(method: HttpMethod, path: &'static str, route: fn() -> Route) -> Self {
        Self {
            permission: None,
            route,
            at: At::Page { method, path },
        }
    }

    fn path(&self) -> String {
        match &self.at {
            At::Documented(d) => (d.path)(),
            At::Page { path, .. } => (*path).to_owned(),
        }
    }

    fn methods(&self) -> Vec<HttpMethod> {
        match &self.at {
            At::Documented(d) => (d.methods)(),
            At::Page { method, .. } => vec![method.clone()],
        }
    }

    /// The documented operations among `endpoints`, one per method, with their permission.
    pub fn operations<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Vec<Operation> {
        endpoints
            .into_iter()
            .filter(|e| matches!(e.at, At::Documented(_)))
            .flat_map(|e| {
                let path = e.path();
                e.methods().into_iter().map(move |m| Operation {
                    method: method_name(&m),
                    path: path.clone(),
                    permission: e.permission,
                })
            })
            .collect()
    }
}

/// `endpoint!(handler, Permission)` or `endpoint!(handler, public)`; `handler` may be one
/// module deep (`contacts::record_contact`).
macro_rules! endpoint {
    ($module:ident :: $handler:ident, $($access:tt)+) => {
        pastey::paste! {
            $crate::endpoint::endpoint!(@build $module::$handler, $module::[<__path_ $handler>], $($access)+)
        }
    };
    ($handler:ident, $($access:tt)+) => {
        pastey::paste! {
            $crate::endpoint::endpoint!(@build $handler, [<__path_ $handler>], $($access)+)
        }
    };
    (@build $handler:path, $doc:path, public) => {
        $crate::endpoint::endpoint!(@make $handler, $doc, None)
    };
    (@build $handler:path, $doc:path, $permission:ident) => {
        $crate::endpoint::endpoint!(@make $handler, $doc, Some(socialrx_domain::Permission::$permission))
    };
    (@make $handler:path, $doc:path, $permission:expr) => {
        $crate::endpoint::Endpoint::documented(
            $permission,
            || actix_web::web::route().to($handler),
            $crate::endpoint::Documentation {
                path: <$doc as utoipa::Path>::path,
                methods: <$doc as utoipa::Path>::methods,
                operation: <$doc as utoipa::Path>::operation,
                tags: <$doc as utoipa::__dev::Tags<'static>>::tags,
                schemas: <$doc as utoipa::__dev::SchemaReferences>::schemas,
            },
        )
    };
}

/// `page!(Get, "/embed/self-referral", form)`: a public page that is not an API operation.
macro_rules! page {
    ($method:ident, $path:literal, $handler:path) => {
        $crate::endpoint::Endpoint::page(utoipa::openapi::path::HttpMethod::$method, $path, || {
            actix_web::web::route().to($handler)
        })
    };
}

pub(crate) use {endpoint, page};

/// Mounts `endpoints` on `cfg`, one resource per path (in the order first listed, which is
/// the order actix tries them), each answering its other methods with 405. Paths are
/// relative to `scope`, the prefix of the scope `cfg` belongs to (`""` at the root).
pub fn mount<'a>(
    cfg: &mut web::ServiceConfig,
    scope: &str,
    endpoints: impl IntoIterator<Item = &'a Endpoint>,
) {
    let mut resources: Vec<(String, crate::resource::Resource)> = Vec::new();
    for endpoint in endpoints {
        let full = endpoint.path();
        let path = full
            .strip_prefix(scope)
            .unwrap_or_else(|| panic!("{full} is not under its scope {scope}"))
            .to_owned();
        let at = match resources.iter().position(|(p, _)| *p == path) {
            Some(at) => at,
            None => {
                resources.push((path.clone(), resource(&path)));
                resources.len() - 1
            }
        };
        for method in endpoint.methods() {
            let route = (endpoint.route)().method(actix_method(&method));
            let route = match endpoint.permission {
                Some(permission) => {
                    route.wrap(from_fn(move |req, next| require(permission, req, next)))
                }
                None => route,
            };
            let (p, r) = resources.remove(at);
            resources.insert(at, (p, r.route(method_name(&method), route)));
        }
    }
    for (_, resource) in resources {
        cfg.service(resource);
    }
}

/// Authenticates the caller and checks `permission` before the handler's extractors run;
/// the caller is left in the request for [`crate::access::Authorized`]. A refusal is
/// answered here, as a response (as an extractor's error would be), so that the outer
/// middleware (error handlers, FHIR's OperationOutcome, CORS) sees it like any other.
async fn require(
    permission: Permission,
    req: actix_web::dev::ServiceRequest,
    next: Next<actix_web::body::BoxBody>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let checked = Caller::authenticate(req.request())
        .and_then(|caller| caller.require(permission).map(|()| caller));
    match checked {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.call(req).await
        }
        Err(refusal) => Ok(req.error_response(refusal)),
    }
}

/// Adds the paths of `endpoints` to `doc`, with their tags and the schemas they use, as
/// utoipa's derived `OpenApi` would (a schema already present is kept).
pub fn document<'a>(
    doc: &mut utoipa::openapi::OpenApi,
    endpoints: impl IntoIterator<Item = &'a Endpoint>,
) {
    for endpoint in endpoints {
        let At::Documented(d) = &endpoint.at else {
            continue;
        };
        let mut operation = (d.operation)();
        operation
            .tags
            .get_or_insert_with(Vec::new)
            .extend((d.tags)().into_iter().map(str::to_owned));
        doc.paths
            .add_path_operation((d.path)(), (d.methods)(), operation);
        let mut schemas = Vec::new();
        (d.schemas)(&mut schemas);
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, schema) in schemas {
            components.schemas.entry(name).or_insert(schema);
        }
    }
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

fn actix_method(method: &HttpMethod) -> actix_web::http::Method {
    actix_web::http::Method::from_bytes(method_name(method).as_bytes())
        .expect("an HTTP method name")
}
