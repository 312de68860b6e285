use super::*;
use crate::{Page, PageRequest};
use socialrx_domain::partner::{NewPartner, Origin, Partner};

const SELECT_PARTNER: &str = "SELECT id, organisation, name, key_prefix, active, \
    created_by, created_at, disabled_at FROM partners";

#[derive(sqlx::FromRow)]
struct PartnerRow {
    id: Uuid,
    organisation: String,
    name: String,
    key_prefix: String,
    active: bool,
    created_by: String,
    created_at: OffsetDateTime,
    disabled_at: Option<OffsetDateTime>,
}

impl PartnerRow {
    fn with_origins(self, origins: Vec<Origin>) -> Partner {
        Partner {
            id: self.id,
            organisation: self.organisation,
            name: self.name,
            allowed_origins: origins,
            key_prefix: self.key_prefix,
            active: self.active,
            created_by: self.created_by,
            created_at: self.created_at,
            disabled_at: self.disabled_at,
        }
    }
}

#[async_trait]
impl crate::PartnerStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn count_rate_limit_hits(
        &self,
        buckets: &[String],
        window: i64,
    ) -> Result<Vec<u32>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut hits = Vec::with_capacity(buckets.len());
        for bucket in buckets {
            let (n,): (i64,) = sqlx::query_as(
                "INSERT INTO rate_limit_hits (bucket, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (bucket, window_start) \
                 DO UPDATE SET hits = rate_limit_hits.hits + 1 \
                 RETURNING CAST(hits AS BIGINT)",
            )
            .bind(bucket)
            .bind(window)
            .fetch_one(&mut *tx)
            .await?;
            hits.push(u32::try_from(n).unwrap_or(u32::MAX));
        }
        tx.commit().await?;
        Ok(hits)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn purge_rate_limit_hits(&self, window: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM rate_limit_hits WHERE window_start < $1")
            .bind(window)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_partner(
        &self,
        ctx: &AuditContext,
        new: NewPartner,
        key_hash: &str,
        key_prefix: &str,
    ) -> Result<Partner, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO partners (id, organisation, name, key_hash, key_prefix, active, \
             created_by, created_at, disabled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
        )
        .bind(id)
        .bind(&ctx.organisation)
        .bind(&new.name)
        .bind(key_hash)
        .bind(key_prefix)
        .bind(true)
        .bind(&ctx.actor)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let mut insert =
            QueryBuilder::<Db>::new("INSERT INTO partner_origins (partner_id, position, origin) ");
        insert.push_values(new.allowed_origins.iter().enumerate(), |mut row, (i, o)| {
            row.push_bind(id).push_bind(i as i64).push_bind(o.as_str());
        });
        insert.build().execute(&mut *tx).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(ctx, "create", "partner", id, None)],
        )
        .await?;
        tx.commit().await?;
        Ok(Partner {
            id,
            organisation: ctx.organisation.clone(),
            name: new.name,
            allowed_origins: new.allowed_origins,
            key_prefix: key_prefix.to_owned(),
            active: true,
            created_by: ctx.actor.clone(),
            created_at: at,
            disabled_at: None,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_partners(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<Partner>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(SELECT_PARTNER);
        query.push(" WHERE organisation = ").push_bind(organisation);
        if let Some(after) = page.after {
            query.push(" AND id < ").push_bind(after);
        }
        query
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let mut tx = self.reader.begin().await?;
        let rows: Vec<PartnerRow> = query.build_query_as().fetch_all(&mut *tx).await?;
        let more = rows.len() > page.limit as usize;
        let rows: Vec<PartnerRow> = rows.into_iter().take(page.limit as usize).collect();
        let mut origins = origins_of(&mut tx, rows.iter().map(|r| r.id)).await?;
        tx.commit().await?;
        let items: Vec<Partner> = rows
            .into_iter()
            .map(|r| {
                let o = origins.remove(&r.id).unwrap_or_default();
                r.with_origins(o)
            })
            .collect();
        let next = if more {
            items.last().map(|p| p.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn disable_partner(&self, ctx: &AuditContext, id: Uuid) -> Result<Partner, StoreError> {
        let mut tx = self.writer.begin().await?;
        let changed = sqlx::query(
            "UPDATE partners SET active = $1, disabled_at = $2 \
             WHERE organisation = $3 AND id = $4 AND active = $5",
        )
        .bind(false)
        .bind(now())
        .bind(&ctx.organisation)
        .bind(id)
        .bind(true)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let row: Option<PartnerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_PARTNER} WHERE organisation = $1 AND id = $2"
        )))
        .bind(&ctx.organisation)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or(StoreError::NotFound)?;
        if changed == 1 {
            audit::append(
                &mut tx,
                &[AuditEvent::new(ctx, "disable", "partner", id, None)],
            )
            .await?;
        }
        let mut origins = origins_of(&mut tx, [id]).await?;
        tx.commit().await?;
        Ok(row.with_origins(origins.remove(&id).unwrap_or_default()))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_partner_by_key(&self, key_hash: &str) -> Result<Partner, StoreError> {
        let mut tx = self.reader.begin().await?;
        let row: Option<PartnerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_PARTNER} WHERE key_hash = $1"
        )))
        .bind(key_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or(StoreError::NotFound)?;
        let mut origins = origins_of(&mut tx, [row.id]).await?;
        tx.commit().await?;
        let origins = origins.remove(&row.id).unwrap_or_default();
        Ok(row.with_origins(origins))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn origin_allowed(&self, origin: &str) -> Result<bool, StoreError> {
        let found: Option<(Uuid,)> = sqlx::query_as(
            "SELECT o.partner_id FROM partner_origins o JOIN partners p ON p.id = o.partner_id \
             WHERE o.origin = $1 AND p.active = $2 LIMIT 1",
        )
        .bind(origin)
        .bind(true)
        .fetch_optional(&self.reader)
        .await?;
        Ok(found.is_some())
    }
}

/// The allowed origins of each partner in `ids`, in the order they were given.
async fn origins_of(
    tx: &mut sqlx::Transaction<'_, Db>,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, Vec<Origin>>, StoreError> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut out: std::collections::HashMap<Uuid, Vec<Origin>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut query = QueryBuilder::<Db>::new(
        "SELECT partner_id, origin FROM partner_origins WHERE partner_id IN (",
    );
    let mut list = query.separated(", ");
    for id in &ids {
        list.push_bind(*id);
    }
    query.push(") ORDER BY partner_id, position");
    let rows: Vec<(Uuid, String)> = query.build_query_as().fetch_all(&mut **tx).await?;
    for (id, origin) in rows {
        out.entry(id)
            .or_default()
            .push(Origin::from_trusted(origin));
    }
    Ok(out)
}
