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

/// Where the keys that verify tokens come from.
#[derive(Debug, Clone, Default)]
pub struct KeyConfig {
    /// HS256 shared secret (development); `None` turns HS256 off.
    pub hs256_secret: Option<Vec<u8>>,
    /// PEM public keys of an identity provider: RSA keys verify RS256, P-256 keys ES256.
    pub public_key_pems: Vec<(String, Vec<u8>)>,
    /// A JWKS document (as published by an identity provider), by name and contents.
    pub jwks: Option<(String, Vec<u8>)>,
    pub issuer: String,
    pub audience: String,
    pub leeway_seconds: u64,
}

struct PublicKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Checks tokens: the header's algorithm picks the key family (a token cannot choose
/// HS256 to be checked against an RSA public key, and `alg: none` is never accepted),
/// then signature, `exp`, `nbf`, `iss` and `aud` are verified with a small leeway.
pub struct Verifier {
    hs256: Option<DecodingKey>,
    public: Vec<PublicKey>,
    issuer: String,
    audience: String,
    leeway: u64,
}

impl Verifier {
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str, leeway_seconds: u64) -> Self {
        Self {
            hs256: Some(DecodingKey::from_secret(secret)),
            public: Vec::new(),
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: leeway_seconds,
        }
    }

    /// Loads every configured key; an unusable key is an error naming its source.
    pub fn new(config: &KeyConfig) -> Result<Self, String> {
        let mut public = Vec::new();
        for (name, pem) in &config.public_key_pems {
            let (algorithm, key) = if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
                (Algorithm::RS256, key)
            } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
                (Algorithm::ES256, key)
            } else {
                return Err(format!(
                    "{name} is not an RSA or P-256 public key in PEM form"
                ));
            };
            public.push(PublicKey {
                kid: None,
                algorithm,
                key,
            });
        }
        if let Some((name, json)) = &config.jwks {
            let set: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(json)
                .map_err(|e| format!("{name} is not a JWKS document: {e}"))?;
            for jwk in &set.keys {
                let algorithm = match &jwk.algorithm {
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(p)
                        if p.curve == jsonwebtoken::jwk::EllipticCurve::P256 =>
                    {
                        Algorithm::ES256
                    }
                    _ => continue, // keys we do not verify with (encryption keys, other curves)
                };
                let key = DecodingKey::from_jwk(jwk)
                    .map_err(|e| format!("{name}: key {:?} is unusable: {e}", jwk.common.key_id))?;
                public.push(PublicKey {
                    kid: jwk.common.key_id.clone(),
                    algorithm,
                    key,
                });
            }
        }
        let hs256 = config.hs256_secret.as_deref().map(DecodingKey::from_secret);
        if hs256.is_none() && public.is_empty() {
            return Err(
                "no key verifies tokens: set jwt_secret or an identity provider's public keys"
                    .into(),
            );
        }
        Ok(Self {
            hs256,
            public,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway: config.leeway_seconds,
        })
    }

    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthorized("the token could not be read".into()))?;
        let candidates: Vec<&DecodingKey> = match header.alg {
            Algorithm::HS256 => self.hs256.iter().collect(),
            Algorithm::RS256 | Algorithm::ES256 => self
                .public
                .iter()
                .filter(|k| k.algorithm == header.alg)
                .filter(|k| match (&k.kid, &header.kid) {
                    (Some(ours), Some(theirs)) => ours == theirs,
                    _ => true,
                })
                .map(|k| &k.key)
                .collect(),
            _ => Vec::new(),
        };
        if candidates.is_empty() {
            return Err(ApiError::Unauthorized(
                "the token is signed with an algorithm or key we do not accept".into(),
            ));
        }
        let validation = self.validation(header.alg);
        let mut last = None;
        for key in candidates {
            match jsonwebtoken::decode::<Claims>(token, key, &validation) {
                Ok(data) => return caller_from(data.claims),
                Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
                    last = Some(e)
                }
                Err(e) => return Err(ApiError::Unauthorized(describe(&e))),
            }
        }
        Err(ApiError::Unauthorized(
            last.map(|e| describe(&e))
                .unwrap_or_else(|| "the token could not be verified".into()),
        ))
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        validation
    }
}

fn caller_from(claims: Claims) -> Result<Caller, ApiError> {
    let organisation = OdsCode::parse(&claims.org)
        .map_err(|_| ApiError::Unauthorized("the token's org claim is not an ODS code".into()))?;
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
        issuer: claims.iss,
    })
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
    /// The identity provider that signed the token (`iss`): referral agreements may let
    /// in every organisation of one identity provider.
    pub issuer: String,
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

    /// Which referrals this caller's status reads reach: staff of a service (link workers,
    /// coordinators) the referrals it holds as well as those it sent; anyone else (a
    /// referrer) only those their organisation sent.
    pub fn referral_reach(&self) -> socialrx_store::Reach {
        if self
            .roles
            .iter()
            .any(|r| matches!(r, Role::LinkWorker | Role::Coordinator))
        {
            socialrx_store::Reach::HeldOrSent
        } else {
            socialrx_store::Reach::Sent
        }
    }

    /// The audit context of this caller on this request.
    pub fn audit(&self, req: &HttpRequest) -> AuditContext {
        AuditContext {
            organisation: self.organisation.as_str().to_owned(),
            actor: self.subject.clone(),
            client_ip: crate::client_ip::of(req),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Caller::authenticate(req))
    }
}

impl Caller {
    /// The caller named by the request's bearer token, or 401 saying what is wrong with it.
    pub fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
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
                let raw = value.to_str().unwrap_or("").trim();
                if !raw.contains(' ') && raw.split('.').count() == 3 {
                    // A bare token: the commonest integration mistake, named as such.
                    ApiError::Unauthorized(
                        "the Authorization header lacks its scheme: send Authorization: Bearer <JWT>"
                            .into(),
                    )
                } else {
                    ApiError::Unauthorized("the Authorization header must be Bearer <JWT>".into())
                }
            })?;
        verifier.verify(token)
    }
}
