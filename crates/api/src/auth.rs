//! Bearer tokens: who is calling, for which organisation, with which roles.
//!
//! Tokens are JWTs with `sub`, `org` (the organisation's ODS code), `roles`, `exp`, `iss`
//! and `aud`. Development uses HS256 with a shared secret.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use socialrx_domain::{OdsCode, Permission, Role};
use socialrx_store::AuditContext;

use crate::error::ApiError;
use crate::observe::RequestId;

/// The claims socialrx reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub org: String,
    pub roles: Vec<String>,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub iat: i64,
    pub iss: String,
    pub aud: String,
}

/// Checks tokens against the configured key, issuer and audience.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Verifier {
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str, leeway_seconds: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = leeway_seconds;
        Self {
            key: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| ApiError::Unauthorized(describe(&e)))?;
        let claims = data.claims;
        let organisation = OdsCode::parse(&claims.org).map_err(|_| {
            ApiError::Unauthorized("the token's org claim is not an ODS code".into())
        })?;
        if claims.sub.trim().is_empty() {
            return Err(ApiError::Unauthorized(
                "the token has an empty sub claim".into(),
            ));
        }
        // Roles we do not know (an identity provider may add its own) grant nothing.
        let roles: Vec<Role> = claims
            .roles
            .iter()
            .filter_map(|r| Role::parse(r).ok())
            .collect();
        Ok(Caller {
            subject: claims.sub,
            organisation,
            roles,
        })
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind::*;
    match e.kind() {
        ExpiredSignature => "the token has expired".into(),
        ImmatureSignature => "the token is not valid yet".into(),
        InvalidIssuer => "the token was issued by someone we do not trust".into(),
        InvalidAudience => "the token is meant for another service".into(),
        InvalidSignature => "the token's signature does not verify".into(),
        InvalidAlgorithm => "the token is signed with an algorithm we do not accept".into(),
        MissingRequiredClaim(c) => format!("the token lacks the {c} claim"),
        Json(_) => "the token lacks a required claim (sub, org, roles, exp, iat, iss, aud)".into(),
        _ => "the token could not be read".into(),
    }
}

/// Signs a development token (for `socialrx token` and tests).
pub fn mint_hs256(secret: &[u8], claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub organisation: OdsCode,
    pub roles: Vec<Role>,
}

impl Caller {
    /// 403 unless one of the caller's roles grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permission.granted_to(&self.roles) {
            Ok(())
        } else {
            let roles: Vec<&str> = permission.roles().iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!(
                "this needs one of the roles: {}",
                roles.join(", ")
            )))
        }
    }

    /// The audit context of this caller on this request.
    pub fn audit(&self, req: &HttpRequest) -> AuditContext {
        AuditContext {
            organisation: self.organisation.as_str().to_owned(),
            actor: self.subject.clone(),
            client_ip: req.peer_addr().map(|a| a.ip()),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let verifier = req
        .app_data::<web::Data<Arc<Verifier>>>()
        .ok_or_else(|| ApiError::Internal("no token verifier configured".into()))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("send a token: Authorization: Bearer <JWT>".into())
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be Bearer <JWT>".into())
        })?;
    verifier.verify(token)
}
