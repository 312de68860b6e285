use super::lifecycle::sql_list;
use super::*;
use crate::{Caseload, CaseloadItem, CaseloadRead, Listed, Page, PageRequest, QueueItem};
use socialrx_domain::caseload::{self, CaseFacts, CaseloadScope};
use socialrx_domain::link_worker::LinkWorker;
use socialrx_domain::referral::{Reason, ReferralReference, Source, Status, Urgency};
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct CaseloadRow {
    id: Uuid,
    reference: String,
    status: String,
    urgency: String,
    reasons: Json<Vec<String>>,
    person_id: Uuid,
    given_name: String,
    family_name: String,
    created_at: OffsetDateTime,
    assigned_at: Option<OffsetDateTime>,
    first_contact_at: Option<OffsetDateTime>,
    last_contact_at: Option<OffsetDateTime>,
    next_follow_up_on: Option<time::Date>,
}

fn reasons(codes: &[String]) -> Result<Vec<Reason>, StoreError> {
    codes
        .iter()
        .map(|c| Reason::parse(c))
        .collect::<Result<_, _>>()
        .map_err(rows::corrupt("reasons"))
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    id: Uuid,
    reference: String,
    status: String,
    urgency: String,
    source: String,
    reasons: Json<Vec<String>>,
    person_id: Uuid,
    given_name: String,
    family_name: String,
    created_at: OffsetDateTime,
}

/// What a caseload read found, before it is put in order.
enum Read {
    NotFound,
    NotPermitted,
    Found(LinkWorker, Vec<CaseloadRow>),
}

/// The link worker and their open referrals.
async fn read(
    conn: &mut <Db as sqlx::Database>::Connection,
    ctx: &AuditContext,
    link_worker_id: Uuid,
    scope: &CaseloadScope,
) -> Result<Read, StoreError> {
    let worker: Option<super::link_workers::LinkWorkerRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{} WHERE organisation = $1 AND id = $2",
            super::link_workers::SELECT_LINK_WORKER
        )))
        .bind(&ctx.organisation)
        .bind(link_worker_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(worker) = worker else {
        return Ok(Read::NotFound);
    };
    let worker = LinkWorker::from(worker);
    if !scope.admits(&worker.details.subject) {
        return Ok(Read::NotPermitted);
    }
    let rows: Vec<CaseloadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.id, r.reference, r.status, r.urgency, r.reasons, r.person_id, \
         p.given_name, p.family_name, r.created_at, r.assigned_at, r.first_contact_at, \
         r.last_contact_at, r.next_follow_up_on \
         FROM referrals r JOIN people p ON p.id = r.person_id \
         WHERE r.link_worker_id = $1 AND r.organisation = $2 AND r.status IN ({}) \
         ORDER BY r.id",
        sql_list(&caseload::CASELOAD_STATES)
    )))
    .bind(link_worker_id)
    .bind(&ctx.organisation)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Read::Found(worker, rows))
}

/// One event for the read, naming every referral it returned (none for an empty
/// caseload: nothing personal was read).
fn listing(ctx: &AuditContext, link_worker_id: Uuid, rows: &[CaseloadRow]) -> Option<AuditEvent> {
    let listed: Vec<Listed> = rows
        .iter()
        .map(|r| Listed {
            resource_id: r.id,
            person_id: Some(r.person_id),
        })
        .collect();
    (!listed.is_empty()).then(|| AuditEvent::listing(ctx, "referral", link_worker_id, listed))
}

#[async_trait]
impl crate::CaseloadStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn caseload(
        &self,
        ctx: &AuditContext,
        link_worker_id: Uuid,
        scope: &CaseloadScope,
        today: time::Date,
    ) -> Result<CaseloadRead, StoreError> {
        // Read on the reader pool; the audit event goes through the group commit, and
        // the caseload is returned only once it is durable.
        let found = read(
            &mut *self.reader.acquire().await?,
            ctx,
            link_worker_id,
            scope,
        )
        .await?;
        if let Read::Found(_, rows) = &found
            && let Some(event) = listing(ctx, link_worker_id, rows)
        {
            self.read_audit
                .submit(self, group_commit::Audit(vec![event]))
                .await?;
        }
        let (worker, rows) = match found {
            Read::NotFound => return Err(StoreError::NotFound),
            Read::NotPermitted => return Ok(CaseloadRead::NotPermitted),
            Read::Found(worker, rows) => (worker, rows),
        };

        let mut open = Vec::with_capacity(rows.len());
        for r in rows {
            let status = Status::parse(&r.status).map_err(rows::corrupt("status"))?;
            let urgency = Urgency::parse(&r.urgency).map_err(rows::corrupt("urgency"))?;
            open.push((status, urgency, r));
        }
        let assigned = open.iter().filter(|o| o.0 == Status::Assigned).count();
        let in_progress = open.len() - assigned;
        let ordered = caseload::prioritise(open, today, |(_, urgency, r)| CaseFacts {
            urgency: *urgency,
            received_on: r.created_at.date(),
            contacted: r.first_contact_at.is_some(),
            next_follow_up_on: r.next_follow_up_on,
        });
        let mut items = Vec::with_capacity(ordered.len());
        for ((status, urgency, r), priority) in ordered {
            items.push(CaseloadItem {
                referral_id: r.id,
                reference: ReferralReference::from_trusted(r.reference),
                status,
                urgency,
                reasons: reasons(&r.reasons.0)?,
                given_name: r.given_name,
                family_name: r.family_name,
                received_at: r.created_at,
                assigned_at: r.assigned_at,
                first_contact_at: r.first_contact_at,
                last_contact_at: r.last_contact_at,
                next_follow_up_on: r.next_follow_up_on,
                priority,
            });
        }
        Ok(CaseloadRead::Found(Caseload {
            link_worker: worker,
            assigned: assigned as u32,
            in_progress: in_progress as u32,
            items,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn queue(
        &self,
        ctx: &AuditContext,
        page: PageRequest,
    ) -> Result<Page<QueueItem>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(format!(
            "SELECT r.id, r.reference, r.status, r.urgency, r.source, r.reasons, \
             r.person_id, p.given_name, p.family_name, r.created_at \
             FROM referrals r JOIN people p ON p.id = r.person_id \
             WHERE r.status IN ({}) AND r.organisation = ",
            sql_list(&caseload::QUEUE_STATES)
        ));
        query.push_bind(&ctx.organisation);
        if let Some(after) = page.after {
            query.push(" AND r.id > ").push_bind(after);
        }
        query
            .push(" ORDER BY r.id LIMIT ")
            .push_bind(i64::from(page.limit) + 1);

        let mut tx = self.writer.begin().await?;
        let rows: Vec<QueueRow> = query.build_query_as().fetch_all(&mut *tx).await?;
        let more = rows.len() > page.limit as usize;
        let rows: Vec<QueueRow> = rows.into_iter().take(page.limit as usize).collect();
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut flags = super::lifecycle::flags_for(&mut tx, ctx, &ids).await?;
        audit::append(
            &mut tx,
            &audit::listing(ctx, rows.iter().map(|r| (r.id, r.person_id))),
        )
        .await?;
        tx.commit().await?;

        let items = rows
            .into_iter()
            .map(|r| {
                Ok(QueueItem {
                    referral_id: r.id,
                    reference: ReferralReference::from_trusted(r.reference),
                    status: Status::parse(&r.status).map_err(rows::corrupt("status"))?,
                    urgency: Urgency::parse(&r.urgency).map_err(rows::corrupt("urgency"))?,
                    source: Source::parse(&r.source).map_err(rows::corrupt("source"))?,
                    reasons: reasons(&r.reasons.0)?,
                    given_name: r.given_name,
                    family_name: r.family_name,
                    received_at: r.created_at,
                    possible_duplicates: flags.remove(&r.id).unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = if more {
            items.last().map(|i| i.referral_id)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
