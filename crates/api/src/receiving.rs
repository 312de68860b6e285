//! Which service a referral goes to: the caller's own organisation, or a receiving service
//! named by ODS code or organisation id that accepts referrals from the caller's
//! organisation under a referral agreement. The same rule for JSON and FHIR intake; a
//! referral the named service does not accept is refused, never sent elsewhere.

use serde::Deserialize;
use socialrx_domain::{FieldError, OdsCode};
use socialrx_store::{Recipient, Store, StoreError};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::ApiError;

/// A receiving service, by ODS code or by its registered organisation id: exactly one.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ods_code": "Y02794"}))]
pub struct ReceivingServiceRequest {
    #[validate(length(max = 10))]
    #[schema(max_length = 10, example = "Y02794", pattern = r"^[A-Za-z0-9]{3,10}$")]
    pub ods_code: Option<String>,
    /// The id `POST /v1/organisations` gave the service.
    pub organisation_id: Option<Uuid>,
}

/// A receiving service as named in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceRef {
    Ods(OdsCode),
    Id(Uuid),
}

/// Reads the request's `receiving_service` (at `field`); `None` is the caller's own.
pub fn parse(
    raw: Option<ReceivingServiceRequest>,
    field: &str,
) -> Result<Option<ServiceRef>, Vec<FieldError>> {
    let Some(raw) = raw else { return Ok(None) };
    match (raw.ods_code, raw.organisation_id) {
        (Some(ods), None) => OdsCode::parse(&ods)
            .map(|o| Some(ServiceRef::Ods(o)))
            .map_err(|e| {
                vec![FieldError::new(
                    format!("{field}.ods_code"),
                    e.code,
                    e.message,
                )]
            }),
        (None, Some(id)) => Ok(Some(ServiceRef::Id(id))),
        _ => Err(vec![FieldError::new(
            field,
            "one_of",
            "give exactly one of ods_code or organisation_id",
        )]),
    }
}

/// Both results, or every field error of both.
pub fn both<A, B>(
    a: Result<A, Vec<FieldError>>,
    b: Result<B, Vec<FieldError>>,
) -> Result<(A, B), Vec<FieldError>> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut x), Err(y)) => {
            x.extend(y);
            Err(x)
        }
        (Err(x), _) | (_, Err(x)) => Err(x),
    }
}

/// Where the referral goes: the named service (an organisation id looked up, 422 at
/// `field.organisation_id` when unknown), or the caller's own organisation. Whether that
/// service accepts referrals from the caller is decided by the store, in the intake's own
/// transaction (after the idempotency key, so that a retry is answered as the first was).
pub async fn resolve(
    store: &dyn Store,
    caller: &Caller,
    target: Option<ServiceRef>,
    field: &str,
) -> Result<Recipient, ApiError> {
    let service = match target {
        None => caller.organisation.as_str().to_owned(),
        Some(ServiceRef::Ods(ods)) => ods.as_str().to_owned(),
        Some(ServiceRef::Id(id)) => match store.get_organisation(id).await {
            Ok(org) => org.ods_code.as_str().to_owned(),
            Err(StoreError::NotFound) => {
                return Err(ApiError::validation(
                    &format!("{field}.organisation_id"),
                    "unknown_organisation",
                    "is not a registered organisation",
                ));
            }
            Err(e) => return Err(e.into()),
        },
    };
    Ok(Recipient {
        service,
        issuer: caller.issuer.clone(),
    })
}
