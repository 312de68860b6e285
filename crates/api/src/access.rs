//! Authorisation. Each endpoint's permission is declared once, in its module's
//! `ENDPOINTS` (see [`crate::endpoint`]), and checked by the route before the handler's
//! extractors run; a handler takes [`Authorized`] to learn who called. The same table
//! gives the spec its roles, the README its permission table and the permission-matrix
//! test its cases.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use socialrx_domain::Permission;

use crate::auth::Caller;
use crate::error::ApiError;

/// The caller of an endpoint that needs a permission, already checked by its route.
pub struct Authorized {
    pub caller: Caller,
}

impl std::ops::Deref for Authorized {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl FromRequest for Authorized {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// Fails closed: a handler that takes `Authorized` on an endpoint declared public has
    /// no checked caller, and answers 500 rather than serve an unauthenticated request.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = req.extensions().get::<Caller>().cloned();
        ready(caller.map(|caller| Self { caller }).ok_or_else(|| {
            ApiError::Internal("the handler needs a caller but its endpoint is public".into())
        }))
    }
}

/// One route of the API and what it needs.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: &'static str,
    /// The path as in the OpenAPI document (`/v1/referrals/{id}`).
    pub path: String,
    /// `None` for public routes.
    pub permission: Option<Permission>,
}

/// Appends "Roles: ..." (or "Public.") to each operation's description.
pub fn document_roles(doc: &mut utoipa::openapi::OpenApi, operations: &[Operation]) {
    for op in operations {
        let Some(item) = doc.paths.paths.get_mut(&op.path) else {
            continue;
        };
        let operation = match op.method {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PUT" => item.put.as_mut(),
            "PATCH" => item.patch.as_mut(),
            "DELETE" => item.delete.as_mut(),
            _ => None,
        };
        let Some(operation) = operation else { continue };
        let roles = match op.permission {
            Some(p) => format!(
                "Roles: {}.",
                p.roles()
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "Public: no token needed.".to_owned(),
        };
        let description = operation.description.get_or_insert_with(String::new);
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&roles);
    }
}
