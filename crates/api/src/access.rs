//! Authorisation: handlers take `Authorized<P>` where `P` names a permission, so the role
//! check runs as the request is extracted (before its body is read) and cannot be forgotten.
//! `Operation` tables list each route's permission for the spec, the README and the
//! permission-matrix test.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use socialrx_domain::Permission;

use crate::auth::Caller;
use crate::error::ApiError;

/// A type-level name for a [`Permission`].
pub trait Grant {
    const PERMISSION: Permission;
}

/// Declares one marker type per permission: `grants!(CreateReferral, ReadReferral)`.
macro_rules! grants {
    ($($name:ident),+ $(,)?) => {
        $(
            pub struct $name;
            impl Grant for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )+
    };
}

pub mod can {
    use super::*;
    grants!(
        CreateReferral,
        ReadReferral,
        ReadAudit,
        ExportPerson,
        ManageOrganisations,
        ManageStaff,
        ManagePartners,
        RecordOutcome,
        ReadOutcomes,
        ManageInstruments,
        ReadReferralStatus,
        ManageWebhooks,
        ReadReports,
        TransitionReferral,
        AssignReferral,
        ResolveDuplicates,
        ReadQueue,
        ManageLinkWorkers,
        ReadLinkWorkers,
        ReadCaseload,
        RecordContact,
        ReadCaseRecord,
        EditPlan,
        EditDirectory,
        ManageConnections,
        ReadConnections,
        ReadConnectionCounts,
        ManageReferralAgreements,
        ReadSentReferrals,
        ReadRisks,
        ManageRisks,
        WriteMessageBack,
        ReadSummary,
    );
}

/// An authenticated caller holding permission `P`.
pub struct Authorized<P: Grant> {
    pub caller: Caller,
    _permission: PhantomData<P>,
}

impl<P: Grant> std::ops::Deref for Authorized<P> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<P: Grant> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let result = Caller::from_request(req, payload)
            .into_inner()
            .and_then(|caller| {
                caller.require(P::PERMISSION)?;
                Ok(Self {
                    caller,
                    _permission: PhantomData,
                })
            });
        ready(result)
    }
}

/// One route of the API and what it needs.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub method: &'static str,
    /// The path as in the OpenAPI document (`/v1/referrals/{id}`).
    pub path: &'static str,
    /// `None` for public routes.
    pub permission: Option<Permission>,
}

impl Operation {
    pub const fn public(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            permission: None,
        }
    }

    pub const fn needs(method: &'static str, path: &'static str, permission: Permission) -> Self {
        Self {
            method,
            path,
            permission: Some(permission),
        }
    }
}

/// Appends "Roles: ..." (or "Public.") to each operation's description.
pub fn document_roles(doc: &mut utoipa::openapi::OpenApi) {
    for op in crate::routes::operations() {
        let Some(item) = doc.paths.paths.get_mut(op.path) else {
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
