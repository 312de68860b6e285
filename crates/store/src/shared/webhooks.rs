use super::*;
use crate::{
    AttemptOutcome, Delivery, DueDelivery, NewWebhook, Page, PageRequest, RetryPolicy, Webhook,
};
use socialrx_domain::referral::{ClosureReason, Status};
use socialrx_domain::webhook::{DeliveryStatus, EventType, backoff_seconds};
use sqlx::types::Json;
use time::format_description::well_known::Rfc3339;

/// Writes an event to the outbox and one pending delivery per active subscription of
/// the organisation that asked for its type, inside the caller's transaction: the
/// event exists exactly when the change it reports was committed.
///
/// `data` must hold ids and codes only, never free text. The payload sent is
/// `{id, type, occurred_at, organisation, snomed_ct, data}`.
pub(super) async fn enqueue(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    event_type: EventType,
    data: serde_json::Value,
    at: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let payload = serde_json::json!({
        "id": id,
        "type": event_type.as_str(),
        "occurred_at": at.format(&Rfc3339)?,
        "organisation": organisation,
        "snomed_ct": event_type.snomed_ct(),
        "data": data,
    });
    sqlx::query(
        "INSERT INTO outbox_events (id, organisation, event_type, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(organisation)
    .bind(event_type.as_str())
    .bind(payload.to_string())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    // The stored list is JSON text on both backends once cast: match the quoted code.
    let subscriptions: Vec<(Uuid,)> = sqlx::query_as(
        "SELECT id FROM webhook_subscriptions WHERE organisation = $1 AND active = $2 \
         AND CAST(event_types AS TEXT) LIKE $3 ORDER BY id",
    )
    .bind(organisation)
    .bind(true)
    .bind(format!("%\"{}\"%", event_type.as_str()))
    .fetch_all(&mut **tx)
    .await?;
    for (subscription,) in subscriptions {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, organisation, event_id, subscription_id, \
             status, attempts, next_attempt_at, last_attempt_at, last_status_code, \
             last_error, delivered_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, NULL, NULL, NULL, NULL, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(organisation)
        .bind(id)
        .bind(subscription)
        .bind(DeliveryStatus::Pending.as_str())
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// For the referral lifecycle: call inside the transaction that moves a referral to
/// `to`, after the status update. Raises `referral.accepted`, `referral.declined`
/// (each with its SNOMED CT code), `referral.assigned` or `referral.closed` (with the
/// closure reason code); other moves raise nothing. Returns the event id, if any.
///
/// In `shared/referrals.rs`, inside the transition's transaction:
///
/// ```ignore
/// // after UPDATE referrals ... and INSERT INTO referral_status_history ...
/// webhooks::referral_moved(&mut tx, &ctx.organisation, id, reference.as_str(),
///     to, closure_reason, at).await?;
/// tx.commit().await?;
/// ```
pub(super) async fn referral_moved(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    referral_id: Uuid,
    reference: &str,
    to: Status,
    closure_reason: Option<ClosureReason>,
    at: OffsetDateTime,
) -> Result<Option<Uuid>, StoreError> {
    let Some(event_type) = EventType::for_transition(to) else {
        return Ok(None);
    };
    let data = serde_json::json!({
        "referral_id": referral_id,
        "referral_reference": reference,
        "status": to.as_str(),
        "closure_reason": closure_reason.map(|r| r.as_str()),
    });
    enqueue(tx, organisation, event_type, data, at)
        .await
        .map(Some)
}

/// `referral.summary_available` for the holding service's and the referrer
/// organisation's subscriptions: the summary (`GET /v1/referrals/{id}/summary`, its
/// FHIR document and PDF) has new content. Ids and codes only, as every event.
pub(super) async fn summary_available(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    referral_id: Uuid,
    reference: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let data = serde_json::json!({
        "referral_id": referral_id,
        "referral_reference": reference,
        "summary": format!("/v1/referrals/{referral_id}/summary"),
        "fhir_document": format!("/fhir/r4/Composition/{referral_id}/$document"),
    });
    enqueue(tx, organisation, EventType::SummaryAvailable, data, at).await?;
    notify_referrer(tx, referral_id, EventType::SummaryAvailable, at).await
}

/// For a referral another organisation sent: the same event for the referrer
/// organisation's subscriptions, with the referrer's view of the referral (as
/// `GET /v1/referrals/{id}/status` gives it) as `data.referral`. Call inside the
/// transaction that made the change, after it is written. Nothing is written when the
/// referrer organisation has no subscription to the event.
pub(super) async fn notify_referrer(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
    event_type: EventType,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let (organisation, referrer): (String, String) =
        sqlx::query_as("SELECT organisation, referrer_organisation FROM referrals WHERE id = $1")
            .bind(referral_id)
            .fetch_one(&mut **tx)
            .await?;
    if organisation == referrer {
        return Ok(());
    }
    let subscribed: Option<(Uuid,)> = sqlx::query_as(
        "SELECT id FROM webhook_subscriptions WHERE organisation = $1 AND active = $2 \
         AND CAST(event_types AS TEXT) LIKE $3 LIMIT 1",
    )
    .bind(&referrer)
    .bind(true)
    .bind(format!("%\"{}\"%", event_type.as_str()))
    .fetch_optional(&mut **tx)
    .await?;
    if subscribed.is_none() {
        return Ok(());
    }
    let view = super::outcomes::status_view_in(tx, referral_id)
        .await?
        .referrer_view();
    let data = serde_json::json!({
        "referral_id": referral_id,
        "referral": view,
    });
    enqueue(tx, &referrer, event_type, data, at).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Uuid,
    url: String,
    event_types: Json<Vec<String>>,
    active: bool,
    created_at: OffsetDateTime,
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;
    fn try_from(r: WebhookRow) -> Result<Self, StoreError> {
        Ok(Webhook {
            id: r.id,
            url: r.url,
            event_types: r
                .event_types
                .0
                .iter()
                .map(|c| EventType::parse(c))
                .collect::<Result<_, _>>()
                .map_err(|_| StoreError::Corrupt("event type does not parse".into()))?,
            active: r.active,
            created_at: r.created_at,
        })
    }
}

const SELECT_DELIVERY: &str = "SELECT d.id, d.event_id, e.event_type, d.subscription_id, \
    d.status, CAST(d.attempts AS BIGINT) AS attempts, d.next_attempt_at, d.last_attempt_at, \
    CAST(d.last_status_code AS BIGINT) AS last_status_code, d.last_error, d.delivered_at, \
    d.created_at FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    event_id: Uuid,
    event_type: String,
    subscription_id: Uuid,
    status: String,
    attempts: i64,
    next_attempt_at: OffsetDateTime,
    last_attempt_at: Option<OffsetDateTime>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        Ok(Delivery {
            id: r.id,
            event_id: r.event_id,
            event_type: r.event_type,
            subscription_id: r.subscription_id,
            status: DeliveryStatus::parse(&r.status)
                .map_err(|_| StoreError::Corrupt("delivery status does not parse".into()))?,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_attempt_at: r.last_attempt_at,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            delivered_at: r.delivered_at,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: Uuid,
    event_id: Uuid,
    event_type: String,
    url: String,
    secret: String,
    payload: String,
    attempts: i64,
}

#[async_trait]
impl crate::WebhookStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_webhook(
        &self,
        ctx: &AuditContext,
        new: NewWebhook,
    ) -> Result<Webhook, StoreError> {
        let hook = Webhook {
            id: Uuid::now_v7(),
            url: new.url,
            event_types: new.event_types,
            active: true,
            created_at: now(),
        };
        let types: Vec<&str> = hook.event_types.iter().map(|t| t.as_str()).collect();
        sqlx::query(
            "INSERT INTO webhook_subscriptions (id, organisation, url, secret, event_types, \
             active, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(hook.id)
        .bind(&ctx.organisation)
        .bind(&hook.url)
        .bind(&new.secret)
        .bind(Json(&types))
        .bind(hook.active)
        .bind(&ctx.actor)
        .bind(hook.created_at)
        .execute(&self.writer)
        .await?;
        Ok(hook)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_webhooks(&self, organisation: &str) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<WebhookRow> = sqlx::query_as(
            "SELECT id, url, event_types, active, created_at FROM webhook_subscriptions \
             WHERE organisation = $1 ORDER BY id",
        )
        .bind(organisation)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(Webhook::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_deliveries(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<Delivery>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(SELECT_DELIVERY);
        query
            .push(" WHERE d.organisation = ")
            .push_bind(organisation);
        if let Some(after) = page.after {
            query.push(" AND d.id < ").push_bind(after);
        }
        query
            .push(" ORDER BY d.id DESC LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let rows: Vec<DeliveryRow> = query.build_query_as().fetch_all(&self.writer).await?;
        let more = rows.len() > page.limit as usize;
        let items = rows
            .into_iter()
            .take(page.limit as usize)
            .map(Delivery::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if more {
            items.last().map(|d| d.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn redeliver(&self, organisation: &str, id: Uuid) -> Result<Delivery, StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = 0, next_attempt_at = $2 \
             WHERE organisation = $3 AND id = $4",
        )
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now())
        .bind(organisation)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let row: DeliveryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_DELIVERY} WHERE d.id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Delivery::try_from(row)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_due_deliveries(
        &self,
        at: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let due: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM webhook_deliveries WHERE status = $1 AND next_attempt_at <= $2 \
             ORDER BY next_attempt_at, id LIMIT $3",
        )
        .bind(DeliveryStatus::Pending.as_str())
        .bind(at)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for (id,) in due {
            // Another instance may have claimed it meanwhile: the WHERE re-checks.
            let done = sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                 WHERE id = $2 AND status = $3 AND next_attempt_at <= $4",
            )
            .bind(lease_until)
            .bind(id)
            .bind(DeliveryStatus::Pending.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                let row: DueRow = sqlx::query_as(
                    "SELECT d.id, d.event_id, e.event_type, s.url, s.secret, e.payload, \
                     CAST(d.attempts AS BIGINT) AS attempts \
                     FROM webhook_deliveries d \
                     JOIN outbox_events e ON e.id = d.event_id \
                     JOIN webhook_subscriptions s ON s.id = d.subscription_id \
                     WHERE d.id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                claimed.push(DueDelivery {
                    id: row.id,
                    event_id: row.event_id,
                    event_type: row.event_type,
                    url: row.url,
                    secret: row.secret,
                    payload: row.payload,
                    attempts: row.attempts,
                });
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        outcome: AttemptOutcome,
        policy: RetryPolicy,
    ) -> Result<(), StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let (attempts,): (i64,) =
            sqlx::query_as("SELECT CAST(attempts AS BIGINT) FROM webhook_deliveries WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let attempts = attempts + 1;
        match outcome {
            AttemptOutcome::Delivered { status_code } => {
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $1, attempts = $2, \
                     last_attempt_at = $3, last_status_code = $4, last_error = NULL, \
                     delivered_at = $3 WHERE id = $5",
                )
                .bind(DeliveryStatus::Delivered.as_str())
                .bind(attempts as i32)
                .bind(at)
                .bind(i32::from(status_code))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            AttemptOutcome::Failed { status_code, error } => {
                let give_up = attempts >= i64::from(policy.max_attempts);
                let wait = backoff_seconds(policy.backoff_base_seconds, attempts as u32);
                let status = if give_up {
                    DeliveryStatus::Failed
                } else {
                    DeliveryStatus::Pending
                };
                let error: String = error.chars().take(500).collect();
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $1, attempts = $2, \
                     last_attempt_at = $3, last_status_code = $4, last_error = $5, \
                     next_attempt_at = $6 WHERE id = $7",
                )
                .bind(status.as_str())
                .bind(attempts as i32)
                .bind(at)
                .bind(status_code.map(i32::from))
                .bind(error)
                .bind(at + time::Duration::seconds(wait as i64))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
