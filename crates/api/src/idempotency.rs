//! Creating once under an `Idempotency-Key` (IETF draft): the one path of every create
//! that takes a key (JSON and FHIR referrals, self-referrals, the form without
//! JavaScript). The store's unique key decides across instances; [`InFlight`] answers a
//! second request with the same key 409 while the first is still being handled here.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;

use socialrx_store::{Created, IdempotencyKey};
use uuid::Uuid;

use crate::error::ApiError;

/// What a create came to.
pub enum Once<T> {
    /// Written now.
    New(T),
    /// A retry of a request already done with the same key and body: the id it created,
    /// for the caller to read back and answer as before (`Idempotent-Replayed: true`).
    Replay(Uuid),
}

/// Runs `write` with the key (if any) and the body's `fingerprint`, holding the key in
/// `in_flight` meanwhile. A key already used for another body is 422
/// `idempotency_key_reused`.
pub async fn create_once<T, E, Fut>(
    in_flight: &InFlight,
    organisation: &str,
    key: Option<String>,
    fingerprint: &str,
    write: impl FnOnce(Option<IdempotencyKey>) -> Fut,
) -> Result<Once<T>, E>
where
    Fut: Future<Output = Result<Created<T>, E>>,
    E: From<ApiError>,
{
    let _claim = match &key {
        Some(k) => Some(in_flight.claim(organisation, k)?),
        None => None,
    };
    let key = key.map(|key| IdempotencyKey {
        key,
        fingerprint: fingerprint.to_owned(),
    });
    match write(key).await? {
        Created::New(created) => Ok(Once::New(created)),
        Created::AlreadyDone {
            fingerprint: first,
            id,
        } if first == fingerprint => Ok(Once::Replay(id)),
        Created::AlreadyDone { .. } => Err(ApiError::validation(
            "Idempotency-Key",
            "idempotency_key_reused",
            "was already used for a different request body; use a new key for a new referral",
        )
        .into()),
    }
}

/// Keys whose first request is still being handled by this process. A second request
/// with the same key meanwhile is 409 (IETF Idempotency-Key draft). Across instances the
/// database's unique key decides: the later request waits for the first and replays it.
#[derive(Default)]
pub struct InFlight(Mutex<HashSet<(String, String)>>);

pub struct InFlightClaim<'a> {
    set: &'a InFlight,
    entry: (String, String),
}

impl InFlight {
    pub fn claim(&self, organisation: &str, key: &str) -> Result<InFlightClaim<'_>, ApiError> {
        let entry = (organisation.to_owned(), key.to_owned());
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !set.insert(entry.clone()) {
            return Err(ApiError::conflict(
                "a request with this Idempotency-Key is still being handled; retry when it has finished",
            ));
        }
        Ok(InFlightClaim { set: self, entry })
    }
}

impl Drop for InFlightClaim<'_> {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.entry);
    }
}
