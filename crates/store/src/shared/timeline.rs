//! A referral's timeline: every event of the case, gathered from the tables that hold
//! them (status history, assignments, contacts, plan versions, duplicate flags,
//! connection moves, outcome measurements) into one list in the order things happened.

use super::casework::{PlanRow, SELECT_PLAN, contacts};
use super::lifecycle::{assignments, history};
use super::*;
use crate::{ConnectionMove, Event, TimelineEvent};
use socialrx_domain::connection::ConnectionStatus;
use socialrx_domain::duplicates::Resolution;
use socialrx_domain::outcome::{Instrument, TimePoint};

type Tx<'t> = sqlx::Transaction<'t, Db>;

/// Every event of a referral (already checked to be the caller's), in the order
/// things happened; events of one moment in the order recorded.
pub(super) async fn events(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    referral_id: Uuid,
) -> Result<Vec<TimelineEvent>, StoreError> {
    let mut events = case_events(tx, referral_id).await?;
    events.extend(plan_events(tx, referral_id).await?);
    events.extend(duplicate_events(tx, ctx, referral_id).await?);
    events.extend(connection_events(tx, ctx, referral_id).await?);
    events.extend(outcome_events(tx, ctx, referral_id).await?);
    events.sort_by_key(|e| (e.at, e.id));
    Ok(events)
}

/// Status moves, assignments and contacts.
async fn case_events(tx: &mut Tx<'_>, referral_id: Uuid) -> Result<Vec<TimelineEvent>, StoreError> {
    let mut events = Vec::new();
    for change in history(tx, referral_id).await? {
        events.push(TimelineEvent {
            id: change.id,
            at: change.at,
            actor: change.actor.clone(),
            event: Event::StatusChanged(change),
        });
    }
    for assignment in assignments(tx, referral_id).await? {
        events.push(TimelineEvent {
            id: assignment.id,
            at: assignment.at,
            actor: assignment.actor.clone(),
            event: Event::Assigned(assignment),
        });
    }
    // A contact enters the timeline when it was recorded (which is when the move it
    // may have made happened too); it carries when it took place.
    for contact in contacts(tx, referral_id).await? {
        events.push(TimelineEvent {
            id: contact.id,
            at: contact.recorded_at,
            actor: contact.recorded_by.clone(),
            event: Event::Contact(contact),
        });
    }
    Ok(events)
}

async fn plan_events(tx: &mut Tx<'_>, referral_id: Uuid) -> Result<Vec<TimelineEvent>, StoreError> {
    let plans: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_PLAN} ORDER BY version"
    )))
    .bind(referral_id)
    .fetch_all(&mut **tx)
    .await?;
    plans
        .into_iter()
        .map(|row| {
            let id = row.id;
            let stored = row.into_stored(referral_id)?;
            Ok(TimelineEvent {
                id,
                at: stored.updated_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
                actor: stored.updated_by.clone().unwrap_or_default(),
                event: Event::PlanUpdated {
                    version: stored.version,
                    steps: stored.plan.step_counts(),
                },
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct FlagRow {
    id: Uuid,
    other_referral_id: Uuid,
    detected_at: OffsetDateTime,
    detected_by: String,
    resolution: Option<String>,
    resolved_by: Option<String>,
    resolved_at: Option<OffsetDateTime>,
}

/// Each possible-duplicate flag, and its resolution if it has one.
async fn duplicate_events(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    referral_id: Uuid,
) -> Result<Vec<TimelineEvent>, StoreError> {
    let flags: Vec<FlagRow> = sqlx::query_as(
        "SELECT id, other_referral_id, detected_at, detected_by, resolution, \
         resolved_by, resolved_at FROM possible_duplicates \
         WHERE organisation = $1 AND referral_id = $2 ORDER BY id",
    )
    .bind(&ctx.organisation)
    .bind(referral_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut events = Vec::new();
    for flag in flags {
        events.push(TimelineEvent {
            id: flag.id,
            at: flag.detected_at,
            actor: flag.detected_by,
            event: Event::DuplicateFlagged {
                other_referral_id: flag.other_referral_id,
            },
        });
        if let (Some(resolution), Some(by), Some(at)) =
            (flag.resolution, flag.resolved_by, flag.resolved_at)
        {
            events.push(TimelineEvent {
                id: flag.id,
                at,
                actor: by,
                event: Event::DuplicateResolved {
                    other_referral_id: flag.other_referral_id,
                    resolution: Resolution::parse(&resolution)
                        .map_err(rows::corrupt("resolution"))?,
                },
            });
        }
    }
    Ok(events)
}

#[derive(sqlx::FromRow)]
struct ConnectionMoveRow {
    id: Uuid,
    connection_id: Uuid,
    activity_id: Uuid,
    activity_name: String,
    from_status: Option<String>,
    to_status: String,
    note: Option<String>,
    actor: String,
    at: OffsetDateTime,
}

async fn connection_events(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    referral_id: Uuid,
) -> Result<Vec<TimelineEvent>, StoreError> {
    let moves: Vec<ConnectionMoveRow> = sqlx::query_as(
        "SELECT h.id, h.connection_id, c.activity_id, a.name AS activity_name, \
         h.from_status, h.to_status, h.note, h.actor, h.at \
         FROM connection_status_history h \
         JOIN connections c ON c.id = h.connection_id \
         JOIN activities a ON a.id = c.activity_id \
         WHERE c.organisation = $1 AND c.referral_id = $2 ORDER BY h.id",
    )
    .bind(&ctx.organisation)
    .bind(referral_id)
    .fetch_all(&mut **tx)
    .await?;
    let status =
        |raw: &str| ConnectionStatus::parse(raw).map_err(rows::corrupt("connection status"));
    moves
        .into_iter()
        .map(|m| {
            Ok(TimelineEvent {
                id: m.id,
                at: m.at,
                actor: m.actor,
                event: Event::Connection(ConnectionMove {
                    connection_id: m.connection_id,
                    activity_id: m.activity_id,
                    activity_name: m.activity_name,
                    from: m.from_status.as_deref().map(status).transpose()?,
                    to: status(&m.to_status)?,
                    note: m.note,
                }),
            })
        })
        .collect()
}

async fn outcome_events(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    referral_id: Uuid,
) -> Result<Vec<TimelineEvent>, StoreError> {
    let measurements: Vec<(Uuid, String, String, time::Date, String, OffsetDateTime)> =
        sqlx::query_as(
            "SELECT id, instrument, time_point, measured_on, recorded_by, recorded_at \
             FROM outcome_measurements WHERE organisation = $1 AND referral_id = $2 \
             ORDER BY id",
        )
        .bind(&ctx.organisation)
        .bind(referral_id)
        .fetch_all(&mut **tx)
        .await?;
    measurements
        .into_iter()
        .map(|(id, instrument, time_point, measured_on, by, at)| {
            Ok(TimelineEvent {
                id,
                at,
                actor: by,
                event: Event::OutcomeRecorded {
                    measurement_id: id,
                    instrument: Instrument::parse(&instrument)
                        .map_err(rows::corrupt("instrument"))?,
                    time_point: TimePoint::parse(&time_point)
                        .map_err(rows::corrupt("time_point"))?,
                    measured_on,
                },
            })
        })
        .collect()
}
