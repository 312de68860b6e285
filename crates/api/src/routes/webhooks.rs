//! Webhook subscriptions and their delivery log, for admins: `/v1/webhooks`.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::Violations;
use socialrx_domain::webhook::{self, DeliveryStatus, EventType};
use socialrx_store::{Delivery, NewWebhook, Store, Webhook};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;
use crate::paging::PageQuery;
use crate::paging::encode_cursor;
use crate::schema::{code_list_schema, codes_array_schema, validation_errors};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_webhooks, ManageWebhooks),
    endpoint!(create_webhook, ManageWebhooks),
    endpoint!(list_deliveries, ManageWebhooks),
    endpoint!(redeliver, ManageWebhooks),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "webhooks", description = "Events pushed to your systems, signed with HMAC-SHA256"))
)]
pub struct Api;

crate::schema::codes!(EventTypeCodes = EventType);
crate::schema::codes!(DeliveryStatusCodes = DeliveryStatus);

/// A subscription: where to post which events, and the secret to sign them with.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://gp-system.example.nhs.uk/socialrx/events", "secret": "whsec-4f9c1e7a2b8d6035", "event_types": ["referral.accepted", "referral.declined", "referral.closed", "outcome.recorded"]}))]
pub struct CreateWebhookRequest {
    /// `https://` or `http://`, no credentials in the URL. Outside development, events go
    /// only to public addresses: not to loopback, private or link-local ones.
    #[validate(length(max = 2000))]
    #[schema(
        max_length = 2000,
        pattern = r"^\s*https?://[^/?#@\s\x00-\x1f\x7f-\x9f]+([/?#][^\s\x00-\x1f\x7f-\x9f]*)?\s*$"
    )]
    pub url: String,
    /// 16 to 200 visible ASCII characters; never shown again.
    #[validate(length(max = 200))]
    #[schema(min_length = 16, max_length = 200, pattern = r"^[\x21-\x7e]{16,200}$")]
    pub secret: String,
    // As many as there are event types (the schema says the same, from the list).
    #[validate(length(min = 1, max = 6))]
    #[schema(schema_with = codes_array_schema::<EventTypeCodes>)]
    pub event_types: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    #[schema(schema_with = codes_array_schema::<EventTypeCodes>)]
    pub event_types: Vec<String>,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<Webhook> for WebhookResponse {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            event_types: w
                .event_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            active: w.active,
            created_at: w.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookResponse>,
}

/// One event to one subscription, with how its attempts went.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: Uuid,
    /// The event's id: the `id` of the body and the `Socialrx-Event-Id` header.
    pub event_id: Uuid,
    #[schema(schema_with = code_list_schema::<EventTypeCodes>)]
    pub event_type: String,
    pub subscription_id: Uuid,
    #[schema(schema_with = code_list_schema::<DeliveryStatusCodes>)]
    pub status: String,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_attempt_at: Option<OffsetDateTime>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<Delivery> for DeliveryResponse {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            subscription_id: d.subscription_id,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryResponse>,
    pub next_cursor: Option<String>,
}

/// Subscribe to events.
///
/// Each event is posted as JSON with headers `Socialrx-Event-Id`, `Socialrx-Event-Type`,
/// `Socialrx-Timestamp` (Unix seconds) and `Socialrx-Signature: v1=<hex>`, the
/// HMAC-SHA256 with your secret of `<timestamp>.<body>`. Delivery is at least once:
/// deduplicate on the event id. Failed deliveries are retried with exponential backoff.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", operation_id = "create_webhook",
    security(("bearer" = [])),
    request_body(content = CreateWebhookRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Subscribed", body = WebhookResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The URL, secret or event types are not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_webhook(
    req: HttpRequest,
    caller: Authorized,
    body: Json<CreateWebhookRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let b = body.value;
    let mut v = Violations::new();
    v.extend(validation_errors(&b));
    let url = v.check("url", webhook::receiver_url(&b.url));
    let secret = v.check("secret", webhook::signing_secret(&b.secret));
    let mut types = Vec::new();
    for (i, t) in b.event_types.iter().enumerate() {
        if let Some(t) = v.check(&format!("event_types[{i}]"), EventType::parse(t)) {
            types.push(t);
        }
    }
    let event_types = if types.len() == b.event_types.len() {
        v.check("event_types", webhook::event_types(types))
    } else {
        None
    };
    let new = v.finish(|| {
        Some(NewWebhook {
            url: url?,
            secret: secret?,
            event_types: event_types?,
        })
    })?;
    let hook = store.create_webhook(&caller.audit(&req), new).await?;
    Ok(HttpResponse::Created().json(WebhookResponse::from(hook)))
}

/// List your organisation's subscriptions (never their secrets).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Subscriptions, oldest first", body = WebhookList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_webhooks(
    caller: Authorized,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let hooks = store.list_webhooks(caller.organisation.as_str()).await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        items: hooks.into_iter().map(WebhookResponse::from).collect(),
    }))
}

/// The delivery log, newest first.
///
/// Every event to every subscription: status (`pending`, `delivered`, `failed`), attempts,
/// the last response code or error, and when the next attempt is due.
#[utoipa::path(get, path = "/v1/webhooks/deliveries", tag = "webhooks", operation_id = "list_webhook_deliveries",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_deliveries(
    caller: Authorized,
    query: web::Query<PageQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let page = store
        .list_deliveries(caller.organisation.as_str(), query.into_inner().parse()?)
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryPage {
        items: page.items.into_iter().map(DeliveryResponse::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// Deliver an event again.
///
/// Puts the delivery back in the queue now (attempts reset), whatever its status. The
/// receiver gets the same event id, so it can recognise a repeat.
#[utoipa::path(post, path = "/v1/webhooks/deliveries/{id}/redeliver", tag = "webhooks", operation_id = "redeliver_webhook",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The delivery's id")),
    responses(
        (status = 202, description = "Queued", body = DeliveryResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn redeliver(
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let delivery = store
        .redeliver(caller.organisation.as_str(), id.into_inner())
        .await?;
    Ok(HttpResponse::Accepted().json(DeliveryResponse::from(delivery)))
}
