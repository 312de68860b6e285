use super::*;
use socialrx_domain::connection::{
    Connection, ConnectionEvent, ConnectionStatus, IllegalMove, NewConnection, StatusChange,
};

pub(super) const SELECT_CONNECTION: &str = "SELECT c.id, c.organisation, c.referral_id, c.activity_id, \
    a.name AS activity_name, c.status, c.supported_first_attendance, c.note, c.created_by, \
    c.created_at, c.updated_at \
    FROM connections c JOIN activities a ON a.id = c.activity_id";

#[derive(sqlx::FromRow)]
pub(super) struct ConnectionRow {
    id: Uuid,
    organisation: String,
    referral_id: Uuid,
    activity_id: Uuid,
    activity_name: String,
    status: String,
    supported_first_attendance: bool,
    note: Option<String>,
    created_by: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    connection_id: Uuid,
    from_status: Option<String>,
    to_status: String,
    note: Option<String>,
    actor: String,
    at: OffsetDateTime,
}

fn status(raw: &str) -> Result<ConnectionStatus, StoreError> {
    ConnectionStatus::parse(raw)
        .map_err(|e| StoreError::Corrupt(format!("connection status does not parse: {}", e.code)))
}

/// Rows with their histories attached, in the rows' order.
pub(super) async fn assemble(
    tx: &mut sqlx::Transaction<'_, Db>,
    rows: Vec<ConnectionRow>,
) -> Result<Vec<Connection>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<Db>::new(
        "SELECT connection_id, from_status, to_status, note, actor, at \
         FROM connection_status_history WHERE connection_id IN (",
    );
    let mut sep = query.separated(", ");
    for r in &rows {
        sep.push_bind(r.id);
    }
    query.push(") ORDER BY id");
    let events: Vec<EventRow> = query.build_query_as().fetch_all(&mut **tx).await?;
    rows.into_iter()
        .map(|r| {
            let history = events
                .iter()
                .filter(|e| e.connection_id == r.id)
                .map(|e| {
                    Ok(ConnectionEvent {
                        from: e.from_status.as_deref().map(status).transpose()?,
                        to: status(&e.to_status)?,
                        note: e.note.clone(),
                        actor: e.actor.clone(),
                        at: e.at,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(Connection {
                id: r.id,
                organisation: r.organisation,
                referral_id: r.referral_id,
                activity_id: r.activity_id,
                activity_name: r.activity_name,
                status: status(&r.status)?,
                supported_first_attendance: r.supported_first_attendance,
                note: r.note,
                created_by: r.created_by,
                created_at: r.created_at,
                updated_at: r.updated_at,
                history,
            })
        })
        .collect()
}

/// The referral's person, when the referral is the organisation's.
async fn referral_person(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    referral_id: Uuid,
) -> Result<Uuid, StoreError> {
    let found: Option<(Uuid,)> =
        sqlx::query_as("SELECT person_id FROM referrals WHERE id = $1 AND organisation = $2")
            .bind(referral_id)
            .bind(&ctx.organisation)
            .fetch_optional(&mut **tx)
            .await?;
    found.map(|(p,)| p).ok_or(StoreError::NotFound)
}

async fn read_one(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    referral_id: Uuid,
    id: Uuid,
) -> Result<Connection, StoreError> {
    let row: ConnectionRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_CONNECTION} WHERE c.id = $1 AND c.referral_id = $2 AND c.organisation = $3"
    )))
    .bind(id)
    .bind(referral_id)
    .bind(&ctx.organisation)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    assemble(tx, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

async fn record_move(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    connection_id: Uuid,
    from: Option<ConnectionStatus>,
    to: ConnectionStatus,
    note: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO connection_status_history (id, connection_id, from_status, to_status, \
         note, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(connection_id)
    .bind(from.map(|s| s.as_str()))
    .bind(to.as_str())
    .bind(note)
    .bind(&ctx.actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The activity must be live and the referral not already connected to it (any earlier
/// connection to it is finished). Takes the referral's row lock on PostgreSQL (SQLite has
/// one writer), so that two requests cannot both find no open connection and both
/// insert one.
async fn check_connectable(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
    activity_id: Uuid,
) -> Result<(), StoreError> {
    let live: Option<(Uuid,)> =
        sqlx::query_as("SELECT id FROM activities WHERE id = $1 AND deleted = $2")
            .bind(activity_id)
            .bind(false)
            .fetch_optional(&mut **tx)
            .await?;
    live.ok_or(StoreError::NotFound)?;
    // The lock (see above).
    sqlx::query("UPDATE referrals SET updated_at = updated_at WHERE id = $1")
        .bind(referral_id)
        .execute(&mut **tx)
        .await?;
    let to_the_activity: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, status FROM connections WHERE referral_id = $1 AND activity_id = $2 \
         ORDER BY id",
    )
    .bind(referral_id)
    .bind(activity_id)
    .fetch_all(&mut **tx)
    .await?;
    let to_the_activity = to_the_activity
        .iter()
        .map(|(id, s)| Ok((*id, status(s)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    if let Some((existing, current)) =
        socialrx_domain::connection::already_connected(&to_the_activity)
    {
        return Err(StoreError::AlreadyExists(format!(
            "this referral is already connected to this activity by connection \
             {existing} (/v1/referrals/{referral_id}/connections/{existing}), which is \
             '{current}'; move that one on instead"
        )));
    }
    Ok(())
}

#[async_trait]
impl crate::ConnectionStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_connection(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
        new: NewConnection,
    ) -> Result<Connection, StoreError> {
        let mut tx = self.writer.begin().await?;
        let person_id = referral_person(&mut tx, ctx, referral_id).await?;
        check_connectable(&mut tx, referral_id, new.activity_id).await?;
        let at = now();
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO connections (id, organisation, referral_id, activity_id, status, \
             supported_first_attendance, note, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(&ctx.organisation)
        .bind(referral_id)
        .bind(new.activity_id)
        .bind(ConnectionStatus::Suggested.as_str())
        .bind(new.supported_first_attendance)
        .bind(&new.note)
        .bind(&ctx.actor)
        .bind(at)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        record_move(
            &mut tx,
            ctx,
            id,
            None,
            ConnectionStatus::Suggested,
            new.note.as_deref(),
            at,
        )
        .await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "create",
                "connection",
                id,
                Some(person_id),
            )],
        )
        .await?;
        let connection = read_one(&mut tx, ctx, referral_id, id).await?;
        tx.commit().await?;
        Ok(connection)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn change_connection_status(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
        connection_id: Uuid,
        change: StatusChange,
    ) -> Result<Result<Connection, IllegalMove>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let person_id = referral_person(&mut tx, ctx, referral_id).await?;
        let current = read_one(&mut tx, ctx, referral_id, connection_id).await?;
        if let Err(illegal) = current.status.transition(change.status) {
            tx.rollback().await?;
            return Ok(Err(illegal));
        }
        let at = now();
        let moved = sqlx::query(
            "UPDATE connections SET status = $1, updated_at = $2, \
             supported_first_attendance = COALESCE($5, supported_first_attendance) \
             WHERE id = $3 AND status = $4",
        )
        .bind(change.status.as_str())
        .bind(at)
        .bind(connection_id)
        .bind(current.status.as_str())
        .bind(change.supported_first_attendance)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            // Someone else moved it between our read and this write.
            return Err(StoreError::Conflict(
                "the connection changed meanwhile; read it again".into(),
            ));
        }
        record_move(
            &mut tx,
            ctx,
            connection_id,
            Some(current.status),
            change.status,
            change.note.as_deref(),
            at,
        )
        .await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "update",
                "connection",
                connection_id,
                Some(person_id),
            )],
        )
        .await?;
        let connection = read_one(&mut tx, ctx, referral_id, connection_id).await?;
        tx.commit().await?;
        Ok(Ok(connection))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_connections(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<Connection>, StoreError> {
        // Through the writer: the read appends audit events.
        let mut tx = self.writer.begin().await?;
        let person_id = referral_person(&mut tx, ctx, referral_id).await?;
        let rows: Vec<ConnectionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_CONNECTION} WHERE c.organisation = $1 AND c.referral_id = $2 ORDER BY c.id"
        )))
        .bind(&ctx.organisation)
        .bind(referral_id)
        .fetch_all(&mut *tx)
        .await?;
        let connections = assemble(&mut tx, rows).await?;
        let events: Vec<AuditEvent> = connections
            .iter()
            .map(|c| AuditEvent::new(ctx, "list", "connection", c.id, Some(person_id)))
            .collect();
        audit::append(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(connections)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn connection_counts(
        &self,
        activity_id: Uuid,
    ) -> Result<Vec<(ConnectionStatus, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM connections WHERE activity_id = $1 GROUP BY status",
        )
        .bind(activity_id)
        .fetch_all(&self.reader)
        .await?;
        let mut counts: Vec<(ConnectionStatus, u64)> =
            ConnectionStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for (raw, n) in rows {
            let s = status(&raw)?;
            if let Some(slot) = counts.iter_mut().find(|(k, _)| *k == s) {
                slot.1 = n.max(0) as u64;
            }
        }
        Ok(counts)
    }
}
