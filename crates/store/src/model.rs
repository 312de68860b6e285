//! The plain records that cross the store boundary besides domain types.

use std::net::IpAddr;

use time::OffsetDateTime;
use uuid::Uuid;

/// Who is acting, for which organisation, from where: scopes every query and is written
/// to the audit trail.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub organisation: String,
    pub actor: String,
    pub client_ip: Option<IpAddr>,
    pub request_id: Option<String>,
}

/// An idempotency key and the fingerprint of the request that used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

/// The result of a create that may have been a retry.
#[derive(Debug)]
pub enum Created<T> {
    New(T),
    /// The idempotency key was used before: nothing was written. `fingerprint` is that of
    /// the first request and `id` what it created.
    AlreadyDone {
        fingerprint: String,
        id: Uuid,
    },
}

/// Keyset pagination: `after` is the last id of the previous page.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id to continue after, when there may be more.
    pub next: Option<Uuid>,
}

/// One audit event as written. Append-only: the store has no method to change or delete one.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: Uuid,
    pub organisation: String,
    pub actor: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Uuid,
    pub person_id: Option<Uuid>,
    pub at: OffsetDateTime,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    /// For a list read (`action` "list"): every record it returned. Empty otherwise.
    pub listed: Vec<Listed>,
    /// The reader's organisation when it is not `organisation`: a referrer organisation
    /// reading the referrals it sent, written to the trail of the service holding them.
    pub actor_organisation: Option<String>,
}

/// One record a list read returned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listed {
    pub resource_id: Uuid,
    pub person_id: Option<Uuid>,
}

impl AuditEvent {
    /// One event for a list read: `resource_type` is what was listed, `context_id` the
    /// record the list belongs to (a link worker for a caseload; the nil id for a search
    /// or queue of the whole organisation), and `listed` every record returned. One event
    /// per read, not per record, so that a busy list costs one row.
    pub fn listing(
        ctx: &AuditContext,
        resource_type: &'static str,
        context_id: Uuid,
        listed: Vec<Listed>,
    ) -> Self {
        let mut event = Self::new(ctx, "list", resource_type, context_id, None);
        event.listed = listed;
        event
    }

    pub fn new(
        ctx: &AuditContext,
        action: &'static str,
        resource_type: &'static str,
        resource_id: Uuid,
        person_id: Option<Uuid>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            organisation: ctx.organisation.clone(),
            actor: ctx.actor.clone(),
            action: action.to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id,
            person_id,
            at: OffsetDateTime::now_utc(),
            client_ip: ctx.client_ip.map(|ip| ip.to_string()),
            request_id: ctx.request_id.clone(),
            listed: Vec::new(),
            actor_organisation: None,
        }
    }

    /// This event, written to the trail of `holder` (the organisation holding the record)
    /// when the reader's organisation is another one.
    pub fn held_by(mut self, holder: &str) -> Self {
        if holder != self.organisation {
            self.actor_organisation =
                Some(std::mem::replace(&mut self.organisation, holder.to_owned()));
        }
        self
    }
}
