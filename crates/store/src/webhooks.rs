//! Webhooks: subscriptions, the outbox's deliveries, and what the delivery worker needs.
//!
//! Events are written to the outbox (and fanned out to one delivery per matching active
//! subscription) inside the transaction of the change they report: see
//! `shared/webhooks.rs` `enqueue` and `referral_moved`, for store code that changes a
//! referral's status.

use async_trait::async_trait;
use socialrx_domain::webhook::{DeliveryStatus, EventType};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AuditContext, Page, PageRequest, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: String,
    pub secret: String,
    pub event_types: Vec<EventType>,
}

/// A subscription as shown back: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub event_types: Vec<EventType>,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

/// One event on its way to one subscription: the delivery log's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub subscription_id: Uuid,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: OffsetDateTime,
    pub last_attempt_at: Option<OffsetDateTime>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// A delivery claimed by the worker, with what it needs to post it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub url: String,
    pub secret: String,
    /// The JSON body, exactly as it will be signed and sent.
    pub payload: String,
    pub attempts: i64,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    Delivered {
        status_code: u16,
    },
    Failed {
        status_code: Option<u16>,
        error: String,
    },
}

/// When to give up and how long to wait between attempts.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub backoff_base_seconds: u64,
}

#[async_trait]
pub trait WebhookStore {
    async fn create_webhook(
        &self,
        audit: &AuditContext,
        new: NewWebhook,
    ) -> Result<Webhook, StoreError>;

    /// The organisation's subscriptions, oldest first.
    async fn list_webhooks(&self, organisation: &str) -> Result<Vec<Webhook>, StoreError>;

    /// The organisation's delivery log, newest first.
    async fn list_deliveries(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<Delivery>, StoreError>;

    /// Puts a delivery back in the queue now, with its attempts reset. Another
    /// organisation's delivery is `NotFound`.
    async fn redeliver(&self, organisation: &str, id: Uuid) -> Result<Delivery, StoreError>;

    /// Claims up to `limit` pending deliveries that are due at `now`, for every
    /// organisation. A claim is a lease: the delivery is not due again until `lease_until`,
    /// so a worker that dies mid-post leaves it to be retried (at-least-once).
    async fn claim_due_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// Records an attempt: delivered, or failed and scheduled with exponential backoff,
    /// or failed for good after `policy.max_attempts`.
    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        outcome: AttemptOutcome,
        policy: RetryPolicy,
    ) -> Result<(), StoreError>;
}
