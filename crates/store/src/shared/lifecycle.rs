use std::collections::HashMap;

use super::*;
use crate::{Assigned, Assignment, NewAssignment, Resolved, StatusChange, Transitioned};
use socialrx_domain::duplicates::{self, Identity, Resolution};
use socialrx_domain::link_worker::check_assignment;
use socialrx_domain::person::Person;
use socialrx_domain::referral::{AssignmentMove, ClosureReason, Move, MoveReason, Status};
use socialrx_domain::webhook::EventType;
use socialrx_domain::{NhsNumber, caseload};

/// What a lifecycle step needs to know about a referral before changing it.
pub(super) struct Current {
    pub status: Status,
    pub person_id: Uuid,
    pub link_worker_id: Option<Uuid>,
    pub reference: String,
}

/// The referral as it is now, read inside `tx`; another organisation's is `NotFound`.
pub(super) async fn current(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    id: Uuid,
) -> Result<Current, StoreError> {
    let row: Option<(String, Uuid, Option<Uuid>, String)> = sqlx::query_as(
        "SELECT status, person_id, link_worker_id, reference FROM referrals \
         WHERE organisation = $1 AND id = $2",
    )
    .bind(&ctx.organisation)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let (status, person_id, link_worker_id, reference) = row.ok_or(StoreError::NotFound)?;
    Ok(Current {
        status: Status::parse(&status).map_err(rows::corrupt("status"))?,
        person_id,
        link_worker_id,
        reference,
    })
}

/// The SQL list of `states`, for trusted constant fragments (`'assigned', 'in_progress'`).
pub(super) fn sql_list(states: &[Status]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Moves the referral from `from` to `to` and records the move. The update is guarded
/// by `from`: a concurrent move since it was read is a `Conflict`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn set_status(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    id: Uuid,
    from: Status,
    to: Status,
    reason: Option<MoveReason>,
    note: Option<String>,
    at: OffsetDateTime,
) -> Result<StatusChange, StoreError> {
    let moved: Option<(String,)> = sqlx::query_as(
        "UPDATE referrals SET status = $1, updated_at = $2 \
         WHERE organisation = $3 AND id = $4 AND status = $5 RETURNING reference",
    )
    .bind(to.as_str())
    .bind(at)
    .bind(&ctx.organisation)
    .bind(id)
    .bind(from.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let Some((reference,)) = moved else {
        return Err(StoreError::Conflict(
            "the referral's status changed meanwhile".into(),
        ));
    };
    // The webhook event goes into the outbox in this same transaction: no event for a
    // move that rolls back, none lost if the process dies after the commit.
    let closure_reason = match reason {
        Some(MoveReason::Closed(c)) => Some(c),
        _ => None,
    };
    webhooks::referral_moved(
        tx,
        &ctx.organisation,
        id,
        &reference,
        to,
        closure_reason,
        at,
    )
    .await?;
    let change = StatusChange {
        id: Uuid::now_v7(),
        referral_id: id,
        from: Some(from),
        to,
        reason,
        note,
        actor: ctx.actor.clone(),
        at,
    };
    sqlx::query(
        "INSERT INTO referral_status_history (id, referral_id, from_status, to_status, \
         reason, note, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(change.id)
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(reason.map(MoveReason::as_str))
    .bind(&change.note)
    .bind(&change.actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    if let Some(event_type) = EventType::for_transition(to) {
        webhooks::notify_referrer(tx, id, event_type, at).await?;
    }
    // Closing produces the message back to the GP and referrer: say it exists.
    if to == Status::Closed {
        webhooks::summary_available(tx, &ctx.organisation, id, &reference, at).await?;
    }
    Ok(change)
}

#[derive(sqlx::FromRow)]
pub(super) struct StatusChangeRow {
    id: Uuid,
    referral_id: Uuid,
    from_status: Option<String>,
    to_status: String,
    reason: Option<String>,
    note: Option<String>,
    actor: String,
    at: OffsetDateTime,
}

impl TryFrom<StatusChangeRow> for StatusChange {
    type Error = StoreError;

    fn try_from(r: StatusChangeRow) -> Result<Self, StoreError> {
        let to = Status::parse(&r.to_status).map_err(rows::corrupt("to_status"))?;
        Ok(StatusChange {
            id: r.id,
            referral_id: r.referral_id,
            from: r
                .from_status
                .as_deref()
                .map(Status::parse)
                .transpose()
                .map_err(rows::corrupt("from_status"))?,
            to,
            reason: r
                .reason
                .as_deref()
                .map(|x| MoveReason::parse_for(to, x))
                .transpose()
                .map_err(rows::corrupt("reason"))?,
            note: r.note,
            actor: r.actor,
            at: r.at,
        })
    }
}

pub(super) async fn history(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: Uuid,
) -> Result<Vec<StatusChange>, StoreError> {
    let rows: Vec<StatusChangeRow> = sqlx::query_as(
        "SELECT id, referral_id, from_status, to_status, reason, note, actor, at \
         FROM referral_status_history WHERE referral_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().map(StatusChange::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct AssignmentRow {
    id: Uuid,
    referral_id: Uuid,
    link_worker_id: Uuid,
    previous_link_worker_id: Option<Uuid>,
    capacity_overridden: bool,
    note: Option<String>,
    actor: String,
    at: OffsetDateTime,
}

impl From<AssignmentRow> for Assignment {
    fn from(r: AssignmentRow) -> Self {
        Assignment {
            id: r.id,
            referral_id: r.referral_id,
            link_worker_id: r.link_worker_id,
            previous_link_worker_id: r.previous_link_worker_id,
            capacity_overridden: r.capacity_overridden,
            note: r.note,
            actor: r.actor,
            at: r.at,
        }
    }
}

pub(super) async fn assignments(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: Uuid,
) -> Result<Vec<Assignment>, StoreError> {
    let rows: Vec<AssignmentRow> = sqlx::query_as(
        "SELECT id, referral_id, link_worker_id, previous_link_worker_id, \
         capacity_overridden, note, actor, at \
         FROM referral_assignments WHERE referral_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Assignment::from).collect())
}

/// At intake: flags, on both records, every open referral of the organisation that may be
/// for the same person. Returns the ids flagged.
pub(super) async fn flag_possible_duplicates(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    referral_id: Uuid,
    person: &Person,
    at: OffsetDateTime,
) -> Result<Vec<Uuid>, StoreError> {
    let candidates: Vec<(Uuid, Option<String>, String, String, time::Date)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            // Two index lookups joined by UNION ALL, not one `dob = $2 OR nhs = $3`:
            // beside `organisation = $1` neither backend can use an index for the OR,
            // and SQLite then read every person of the organisation per referral.
            "SELECT r.id, p.nhs_number, p.given_name, p.family_name, p.date_of_birth \
             FROM people p JOIN referrals r ON r.person_id = p.id \
             WHERE p.id IN (\
               SELECT id FROM people WHERE organisation = $1 AND date_of_birth = $2 \
               UNION ALL \
               SELECT id FROM people WHERE organisation = $3 AND nhs_number = $4) \
             AND r.id <> $5 AND r.status NOT IN ({}) ORDER BY r.id",
            sql_list(&[Status::Declined, Status::Closed])
        )))
        .bind(&ctx.organisation)
        .bind(person.date_of_birth)
        .bind(&ctx.organisation)
        .bind(person.nhs_number.map(|n| n.as_string()))
        .bind(referral_id)
        .fetch_all(&mut **tx)
        .await?;
    let new = Identity::from(person);
    let mut flagged = Vec::new();
    for (id, nhs, given_name, family_name, date_of_birth) in candidates {
        let other = Identity {
            // A stored number that no longer parses simply does not match.
            nhs_number: nhs.as_deref().and_then(|n| NhsNumber::parse(n).ok()),
            given_name,
            family_name,
            date_of_birth,
        };
        if duplicates::possibly_same_person(&new, &other) && !flagged.contains(&id) {
            flagged.push(id);
        }
    }
    if flagged.is_empty() {
        return Ok(flagged);
    }
    let mut insert = QueryBuilder::<Db>::new(
        "INSERT INTO possible_duplicates (id, organisation, referral_id, \
         other_referral_id, detected_at, detected_by) ",
    );
    let pairs: Vec<(Uuid, Uuid)> = flagged
        .iter()
        .flat_map(|other| [(referral_id, *other), (*other, referral_id)])
        .collect();
    insert.push_values(&pairs, |mut row, (a, b)| {
        row.push_bind(Uuid::now_v7())
            .push_bind(&ctx.organisation)
            .push_bind(*a)
            .push_bind(*b)
            .push_bind(at)
            .push_bind(&ctx.actor);
    });
    insert.build().execute(&mut **tx).await?;
    Ok(flagged)
}

/// The open possible-duplicate flags of `ids`, by referral, oldest flag first.
pub(super) async fn flags_for(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut query = QueryBuilder::<Db>::new(
        "SELECT referral_id, other_referral_id FROM possible_duplicates \
         WHERE resolution IS NULL AND organisation = ",
    );
    query.push_bind(&ctx.organisation);
    query.push(" AND referral_id IN (");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(") ORDER BY id");
    let rows: Vec<(Uuid, Uuid)> = query.build_query_as().fetch_all(&mut **tx).await?;
    for (id, other) in rows {
        out.entry(id).or_default().push(other);
    }
    Ok(out)
}

#[async_trait]
impl crate::LifecycleStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn transition_referral(
        &self,
        ctx: &AuditContext,
        id: Uuid,
        decision: Move,
    ) -> Result<Transitioned, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let current = current(&mut tx, ctx, id).await?;
        if let Err(illegal) = current.status.transition(decision.to) {
            return Ok(Transitioned::Refused(illegal));
        }
        let change = set_status(
            &mut tx,
            ctx,
            id,
            current.status,
            decision.to,
            decision.reason,
            decision.note,
            at,
        )
        .await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "update",
                "referral",
                id,
                Some(current.person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(Transitioned::Moved(change))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn referral_history(
        &self,
        ctx: &AuditContext,
        id: Uuid,
    ) -> Result<Vec<StatusChange>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let current = current(&mut tx, ctx, id).await?;
        let history = history(&mut tx, id).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "read",
                "referral_history",
                id,
                Some(current.person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(history)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn assign_referral(
        &self,
        ctx: &AuditContext,
        id: Uuid,
        new: NewAssignment,
    ) -> Result<Assigned, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        if !lock_link_worker(&mut tx, ctx, new.link_worker_id).await? {
            return Ok(Assigned::NoSuchLinkWorker);
        }
        let worker = super::link_workers::get(&mut tx, ctx, new.link_worker_id).await?;
        let current = current(&mut tx, ctx, id).await?;
        let mv = match current.status.assignment() {
            Ok(mv) => mv,
            Err(other) => return Ok(Assigned::WrongState(other)),
        };
        if current.link_worker_id == Some(new.link_worker_id)
            && let Some(assignment) = assignments(&mut tx, id).await?.pop()
        {
            return Ok(Assigned::Unchanged {
                assignment,
                status: current.status,
            });
        }
        let open = open_referrals(&mut tx, new.link_worker_id).await?;
        if let Err(refusal) = check_assignment(&worker.details, open, new.override_capacity) {
            return Ok(Assigned::Refused(refusal));
        }
        let status = match mv {
            AssignmentMove::Assign => assign(&mut tx, ctx, id, new.link_worker_id, at).await?,
            AssignmentMove::Reassign => {
                reassign(&mut tx, ctx, id, &current, new.link_worker_id, at).await?
            }
        };
        let assignment = Assignment {
            id: Uuid::now_v7(),
            referral_id: id,
            link_worker_id: new.link_worker_id,
            previous_link_worker_id: current.link_worker_id,
            capacity_overridden: open >= worker.details.capacity,
            note: new.note,
            actor: ctx.actor.clone(),
            at,
        };
        insert_assignment(&mut tx, &assignment).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "update",
                "referral",
                id,
                Some(current.person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(Assigned::Done { assignment, status })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn resolve_duplicate(
        &self,
        ctx: &AuditContext,
        id: Uuid,
        other_id: Uuid,
        resolution: Resolution,
    ) -> Result<Resolved, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let flag: Option<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM possible_duplicates WHERE organisation = $1 \
             AND referral_id = $2 AND other_referral_id = $3 AND resolution IS NULL",
        )
        .bind(&ctx.organisation)
        .bind(id)
        .bind(other_id)
        .fetch_optional(&mut *tx)
        .await?;
        if flag.is_none() {
            return Err(StoreError::NotFound);
        }
        let kept = current(&mut tx, ctx, id).await?;
        let other = current(&mut tx, ctx, other_id).await?;
        if resolution == Resolution::Merged {
            if !other.status.is_open() {
                return Ok(Resolved::OtherNotOpen(other.status));
            }
            set_status(
                &mut tx,
                ctx,
                other_id,
                other.status,
                Status::Closed,
                Some(MoveReason::Closed(ClosureReason::Duplicate)),
                Some(format!("Merged into {}", kept.reference)),
                at,
            )
            .await?;
        }
        sqlx::query(
            "UPDATE possible_duplicates SET resolution = $1, resolved_by = $2, \
             resolved_at = $3 WHERE organisation = $4 AND resolution IS NULL \
             AND ((referral_id = $5 AND other_referral_id = $6) \
             OR (referral_id = $7 AND other_referral_id = $8))",
        )
        .bind(resolution.as_str())
        .bind(&ctx.actor)
        .bind(at)
        .bind(&ctx.organisation)
        .bind(id)
        .bind(other_id)
        .bind(other_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &[
                AuditEvent::new(ctx, "update", "referral", id, Some(kept.person_id)),
                AuditEvent::new(ctx, "update", "referral", other_id, Some(other.person_id)),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Resolved::Done)
    }
}

/// Takes the link worker's row (false: no such worker in the organisation). Taking it
/// first serialises assignments to one worker, so two at once cannot both take their
/// last place (a no-op write on SQLite, where the writer is single anyway).
async fn lock_link_worker(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    link_worker_id: Uuid,
) -> Result<bool, StoreError> {
    let locked = sqlx::query(
        "UPDATE link_workers SET version = version WHERE organisation = $1 AND id = $2",
    )
    .bind(&ctx.organisation)
    .bind(link_worker_id)
    .execute(&mut **tx)
    .await?;
    Ok(locked.rows_affected() == 1)
}

/// The link worker's caseload size: referrals in the caseload's states.
async fn open_referrals(
    tx: &mut sqlx::Transaction<'_, Db>,
    link_worker_id: Uuid,
) -> Result<u32, StoreError> {
    let (open,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM referrals WHERE link_worker_id = $1 AND status IN ({})",
        sql_list(&caseload::CASELOAD_STATES)
    )))
    .bind(link_worker_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(u32::try_from(open).unwrap_or(u32::MAX))
}

/// The first link worker: the referral moves `accepted -> assigned`.
async fn assign(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    id: Uuid,
    link_worker_id: Uuid,
    at: OffsetDateTime,
) -> Result<Status, StoreError> {
    sqlx::query(
        "UPDATE referrals SET link_worker_id = $1, assigned_at = $2 \
         WHERE organisation = $3 AND id = $4",
    )
    .bind(link_worker_id)
    .bind(at)
    .bind(&ctx.organisation)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    set_status(
        tx,
        ctx,
        id,
        Status::Accepted,
        Status::Assigned,
        None,
        None,
        at,
    )
    .await?;
    Ok(Status::Assigned)
}

/// Another link worker; the state stays. Refused if the assignment changed since it
/// was read.
async fn reassign(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    id: Uuid,
    current: &Current,
    link_worker_id: Uuid,
    at: OffsetDateTime,
) -> Result<Status, StoreError> {
    let done = sqlx::query(
        "UPDATE referrals SET link_worker_id = $1, assigned_at = $2, updated_at = $3 \
         WHERE organisation = $4 AND id = $5 AND status = $6 AND link_worker_id = $7",
    )
    .bind(link_worker_id)
    .bind(at)
    .bind(at)
    .bind(&ctx.organisation)
    .bind(id)
    .bind(current.status.as_str())
    .bind(current.link_worker_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(
            "the referral's assignment changed meanwhile".into(),
        ));
    }
    Ok(current.status)
}

async fn insert_assignment(
    tx: &mut sqlx::Transaction<'_, Db>,
    assignment: &Assignment,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO referral_assignments (id, referral_id, link_worker_id, \
         previous_link_worker_id, capacity_overridden, note, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(assignment.id)
    .bind(assignment.referral_id)
    .bind(assignment.link_worker_id)
    .bind(assignment.previous_link_worker_id)
    .bind(assignment.capacity_overridden)
    .bind(&assignment.note)
    .bind(&assignment.actor)
    .bind(assignment.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
