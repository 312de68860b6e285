use super::*;
use crate::{AuditFilter, Listed, Page, PageRequest};

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: Uuid,
    organisation: String,
    actor: String,
    action: String,
    resource_type: String,
    resource_id: Uuid,
    person_id: Option<Uuid>,
    at: OffsetDateTime,
    client_ip: Option<String>,
    request_id: Option<String>,
    listed: Option<String>,
    actor_organisation: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> Self {
        Self {
            id: r.id,
            organisation: r.organisation,
            actor: r.actor,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            person_id: r.person_id,
            at: r.at,
            client_ip: r.client_ip,
            request_id: r.request_id,
            actor_organisation: r.actor_organisation,
            // Written by `append` below; unreadable JSON would be a bug, not data.
            listed: r
                .listed
                .and_then(|l| serde_json::from_str(&l).ok())
                .unwrap_or_default(),
        }
    }
}

#[async_trait]
impl crate::AuditStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_audit_events(
        &self,
        organisation: &str,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT id, organisation, actor, action, resource_type, resource_id, person_id, \
             at, client_ip, request_id, listed, actor_organisation FROM audit_events \
             WHERE organisation = ",
        );
        query.push_bind(organisation);
        // A list read names its records in `listed`: matched as text, which reads the
        // same on both backends (and scans the organisation's list events).
        if let Some(v) = filter.person_id {
            query
                .push(" AND (person_id = ")
                .push_bind(v)
                .push(" OR listed LIKE ")
                .push_bind(listed_pattern(v))
                .push(")");
        }
        if let Some(v) = &filter.actor {
            query.push(" AND actor = ").push_bind(v);
        }
        if let Some(v) = &filter.resource_type {
            query.push(" AND resource_type = ").push_bind(v);
        }
        if let Some(v) = filter.resource_id {
            query
                .push(" AND (resource_id = ")
                .push_bind(v)
                .push(" OR listed LIKE ")
                .push_bind(listed_pattern(v))
                .push(")");
        }
        if let Some(v) = filter.from {
            query.push(" AND at >= ").push_bind(v);
        }
        if let Some(v) = filter.to {
            query.push(" AND at < ").push_bind(v);
        }
        if let Some(after) = page.after {
            query.push(" AND id < ").push_bind(after);
        }
        query
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let rows: Vec<AuditRow> = query.build_query_as().fetch_all(&self.reader).await?;
        let more = rows.len() > page.limit as usize;
        let items: Vec<AuditEvent> = rows
            .into_iter()
            .take(page.limit as usize)
            .map(AuditEvent::from)
            .collect();
        let next = if more {
            items.last().map(|e| e.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

/// The audit of a list of referrals of the whole organisation (a search, the queue):
/// one event naming them all, or none when the list was empty.
pub(super) fn listing(
    ctx: &AuditContext,
    referrals: impl Iterator<Item = (Uuid, Uuid)>,
) -> Vec<AuditEvent> {
    let listed: Vec<Listed> = referrals
        .map(|(id, person)| Listed {
            resource_id: id,
            person_id: Some(person),
        })
        .collect();
    if listed.is_empty() {
        return Vec::new();
    }
    vec![AuditEvent::listing(ctx, "referral", Uuid::nil(), listed)]
}

/// A LIKE pattern that finds `id` among a list event's records.
pub(super) fn listed_pattern(id: Uuid) -> String {
    format!("%\"{id}\"%")
}

/// Appends audit events inside the caller's transaction, in one statement.
pub(super) async fn append(
    tx: &mut sqlx::Transaction<'_, Db>,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = QueryBuilder::<Db>::new(
        "INSERT INTO audit_events (id, organisation, actor, action, resource_type, \
         resource_id, person_id, at, client_ip, request_id, listed, actor_organisation) ",
    );
    insert.push_values(events, |mut row, e| {
        row.push_bind(e.id)
            .push_bind(&e.organisation)
            .push_bind(&e.actor)
            .push_bind(&e.action)
            .push_bind(&e.resource_type)
            .push_bind(e.resource_id)
            .push_bind(e.person_id)
            .push_bind(e.at)
            .push_bind(&e.client_ip)
            .push_bind(&e.request_id)
            .push_bind(if e.listed.is_empty() {
                None
            } else {
                serde_json::to_string(&e.listed).ok()
            })
            .push_bind(&e.actor_organisation);
    });
    insert.build().execute(&mut **tx).await?;
    Ok(())
}
