use super::*;
use crate::{Deletion, LinkWorkerFilter, ListedLinkWorker, Page, PageRequest, Versioned};
use socialrx_domain::link_worker::{LinkWorker, NewLinkWorker};

pub(super) const SELECT_LINK_WORKER: &str = "SELECT id, organisation, subject, display_name, \
    capacity, active, version, created_at, updated_at FROM link_workers";

#[derive(sqlx::FromRow)]
pub(super) struct LinkWorkerRow {
    id: Uuid,
    organisation: String,
    subject: String,
    display_name: String,
    capacity: i32,
    active: bool,
    version: i32,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<LinkWorkerRow> for LinkWorker {
    fn from(r: LinkWorkerRow) -> Self {
        LinkWorker {
            id: r.id,
            organisation: r.organisation,
            details: NewLinkWorker {
                subject: r.subject,
                display_name: r.display_name,
                capacity: r.capacity.max(0) as u32,
                active: r.active,
            },
            version: r.version.max(0) as u32,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One link worker of the organisation, read inside `tx`.
pub(super) async fn get(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    id: Uuid,
) -> Result<LinkWorker, StoreError> {
    let row: Option<LinkWorkerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_LINK_WORKER} WHERE organisation = $1 AND id = $2"
    )))
    .bind(&ctx.organisation)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(LinkWorker::from).ok_or(StoreError::NotFound)
}

#[async_trait]
impl crate::LinkWorkerStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_link_worker(
        &self,
        ctx: &AuditContext,
        worker: NewLinkWorker,
    ) -> Result<LinkWorker, StoreError> {
        let at = now();
        let id = Uuid::now_v7();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO link_workers (id, organisation, subject, display_name, capacity, \
             active, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(id)
        .bind(&ctx.organisation)
        .bind(&worker.subject)
        .bind(&worker.display_name)
        .bind(worker.capacity as i32)
        .bind(worker.active)
        .bind(at)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(ctx, "create", "link_worker", id, None)],
        )
        .await?;
        tx.commit().await?;
        Ok(LinkWorker {
            id,
            organisation: ctx.organisation.clone(),
            details: worker,
            version: 1,
            created_at: at,
            updated_at: at,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_link_worker(
        &self,
        ctx: &AuditContext,
        id: Uuid,
    ) -> Result<LinkWorker, StoreError> {
        let row: Option<LinkWorkerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_LINK_WORKER} WHERE organisation = $1 AND id = $2"
        )))
        .bind(&ctx.organisation)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(LinkWorker::from).ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_link_worker(
        &self,
        ctx: &AuditContext,
        subject: &str,
    ) -> Result<LinkWorker, StoreError> {
        let row: Option<LinkWorkerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_LINK_WORKER} WHERE organisation = $1 AND subject = $2"
        )))
        .bind(&ctx.organisation)
        .bind(subject)
        .fetch_optional(&self.reader)
        .await?;
        row.map(LinkWorker::from).ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_link_workers(
        &self,
        ctx: &AuditContext,
        filter: &LinkWorkerFilter,
        page: PageRequest,
    ) -> Result<Page<ListedLinkWorker>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(SELECT_LINK_WORKER);
        query
            .push(" WHERE organisation = ")
            .push_bind(&ctx.organisation);
        if let Some(active) = filter.active {
            query.push(" AND active = ").push_bind(active);
        }
        if let Some(after) = page.after {
            query.push(" AND id > ").push_bind(after);
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let rows: Vec<LinkWorkerRow> = query.build_query_as().fetch_all(&self.reader).await?;
        let more = rows.len() > page.limit as usize;
        let items: Vec<LinkWorker> = rows
            .into_iter()
            .take(page.limit as usize)
            .map(LinkWorker::from)
            .collect();
        let next = if more {
            items.last().map(|w| w.id)
        } else {
            None
        };
        let mut counts: Vec<(Uuid, i64)> = Vec::new();
        if !items.is_empty() {
            let mut query = QueryBuilder::<Db>::new(format!(
                "SELECT link_worker_id, COUNT(*) FROM referrals WHERE status IN ({}) \
                 AND organisation = ",
                super::lifecycle::sql_list(&socialrx_domain::caseload::CASELOAD_STATES)
            ));
            query
                .push_bind(&ctx.organisation)
                .push(" AND link_worker_id IN (");
            let mut ids = query.separated(", ");
            for w in &items {
                ids.push_bind(w.id);
            }
            query.push(") GROUP BY link_worker_id");
            counts = query.build_query_as().fetch_all(&self.reader).await?;
        }
        let items = items
            .into_iter()
            .map(|worker| {
                let open = counts
                    .iter()
                    .find(|(id, _)| *id == worker.id)
                    .map_or(0, |(_, n)| u32::try_from(*n).unwrap_or(u32::MAX));
                ListedLinkWorker { worker, open }
            })
            .collect();
        Ok(Page { items, next })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_link_worker(
        &self,
        ctx: &AuditContext,
        id: Uuid,
        expected_versions: Option<&[u32]>,
        worker: NewLinkWorker,
    ) -> Result<Versioned<LinkWorker>, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let current = get(&mut tx, ctx, id).await?;
        if let Some(expected) = expected_versions
            && !expected.contains(&current.version)
        {
            return Ok(Versioned::Stale {
                current_version: current.version,
            });
        }
        let done = sqlx::query(
            "UPDATE link_workers SET subject = $1, display_name = $2, capacity = $3, \
             active = $4, version = version + 1, updated_at = $5 \
             WHERE organisation = $6 AND id = $7 AND version = $8",
        )
        .bind(&worker.subject)
        .bind(&worker.display_name)
        .bind(worker.capacity as i32)
        .bind(worker.active)
        .bind(at)
        .bind(&ctx.organisation)
        .bind(id)
        .bind(current.version as i32)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            // Changed between our read and our write (PostgreSQL only).
            tx.rollback().await?;
            let now_version = self.get_link_worker(ctx, id).await?.version;
            return Ok(Versioned::Stale {
                current_version: now_version,
            });
        }
        audit::append(
            &mut tx,
            &[AuditEvent::new(ctx, "update", "link_worker", id, None)],
        )
        .await?;
        tx.commit().await?;
        Ok(Versioned::Saved(LinkWorker {
            details: worker,
            version: current.version + 1,
            updated_at: at,
            ..current
        }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_link_worker(
        &self,
        ctx: &AuditContext,
        id: Uuid,
    ) -> Result<Deletion, StoreError> {
        let mut tx = self.writer.begin().await?;
        get(&mut tx, ctx, id).await?;
        let used: Option<(Uuid,)> =
            sqlx::query_as("SELECT id FROM referral_assignments WHERE link_worker_id = $1 LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if used.is_some() {
            return Ok(Deletion::InUse);
        }
        sqlx::query("DELETE FROM link_workers WHERE organisation = $1 AND id = $2")
            .bind(&ctx.organisation)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(ctx, "delete", "link_worker", id, None)],
        )
        .await?;
        tx.commit().await?;
        Ok(Deletion::Deleted)
    }
}
