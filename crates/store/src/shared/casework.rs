use super::lifecycle::{current, set_status};
use super::*;
use crate::{ContactRecorded, PlanSaved, TimelineEvent};
use socialrx_domain::contact::{Contact, ContactMode, ContactOutcome, LocationType, NewContact};
use socialrx_domain::plan::{Plan, Step, StepStatus, StoredPlan};
use socialrx_domain::referral::Status;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: Uuid,
    referral_id: Uuid,
    mode: String,
    occurred_at: OffsetDateTime,
    minutes: Option<i32>,
    notes: Option<String>,
    next_follow_up_on: Option<time::Date>,
    outcome: String,
    location_type: Option<String>,
    present: Option<String>,
    recorded_by: String,
    recorded_at: OffsetDateTime,
}

impl TryFrom<ContactRow> for Contact {
    type Error = StoreError;

    fn try_from(r: ContactRow) -> Result<Self, StoreError> {
        Ok(Contact {
            id: r.id,
            referral_id: r.referral_id,
            details: NewContact {
                mode: ContactMode::parse(&r.mode).map_err(rows::corrupt("mode"))?,
                occurred_at: r.occurred_at,
                minutes: r.minutes.map(|m| m.max(0) as u32),
                notes: r.notes,
                next_follow_up_on: r.next_follow_up_on,
                outcome: ContactOutcome::parse(&r.outcome).map_err(rows::corrupt("outcome"))?,
                location_type: r
                    .location_type
                    .as_deref()
                    .map(LocationType::parse)
                    .transpose()
                    .map_err(rows::corrupt("location_type"))?,
                present: r.present,
            },
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        })
    }
}

/// A referral's contacts in the order they happened (then the order recorded).
pub(super) async fn contacts(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
) -> Result<Vec<Contact>, StoreError> {
    let rows: Vec<ContactRow> = sqlx::query_as(
        "SELECT id, referral_id, mode, occurred_at, minutes, notes, next_follow_up_on, \
         outcome, location_type, present, recorded_by, recorded_at \
         FROM contacts WHERE referral_id = $1 ORDER BY id",
    )
    .bind(referral_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut contacts = rows
        .into_iter()
        .map(Contact::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    // Times are compared here, not in SQL: SQLite keeps them as text.
    contacts.sort_by_key(|c| c.details.occurred_at);
    Ok(contacts)
}

/// Steps as kept in the JSON column: dates as `YYYY-MM-DD` text on both backends.
/// Fields added later are optional with a default, so steps saved before them read
/// back (as absent).
#[derive(serde::Serialize, serde::Deserialize)]
struct StepJson {
    text: String,
    due_on: Option<String>,
    status: String,
    #[serde(default)]
    who: Option<String>,
    #[serde(default)]
    confidence: Option<u8>,
    #[serde(default)]
    review_on: Option<String>,
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn steps_json(steps: &[Step]) -> Vec<StepJson> {
    steps
        .iter()
        .map(|s| StepJson {
            text: s.text.clone(),
            due_on: s.due_on.and_then(|d| d.format(DATE).ok()),
            status: s.status.as_str().to_owned(),
            who: s.who.clone(),
            confidence: s.confidence,
            review_on: s.review_on.and_then(|d| d.format(DATE).ok()),
        })
        .collect()
}

fn step_date(raw: Option<String>, field: &str) -> Result<Option<time::Date>, StoreError> {
    raw.map(|d| time::Date::parse(&d, DATE))
        .transpose()
        .map_err(|_| StoreError::Corrupt(format!("step {field} does not parse")))
}

fn steps_from_json(steps: Vec<StepJson>) -> Result<Vec<Step>, StoreError> {
    steps
        .into_iter()
        .map(|s| {
            Ok(Step {
                text: s.text,
                due_on: step_date(s.due_on, "due_on")?,
                status: StepStatus::parse(&s.status).map_err(rows::corrupt("steps"))?,
                who: s.who,
                confidence: s.confidence,
                review_on: step_date(s.review_on, "review_on")?,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct PlanRow {
    pub(super) id: Uuid,
    version: i32,
    what_matters_to_me: Option<String>,
    goals: Json<Vec<String>>,
    steps: Json<Vec<StepJson>>,
    strengths: Json<Vec<String>>,
    agreed_with_person: Option<bool>,
    planned_review_on: Option<time::Date>,
    review_by: Option<String>,
    actor: String,
    at: OffsetDateTime,
}

impl PlanRow {
    pub(super) fn into_stored(self, referral_id: Uuid) -> Result<StoredPlan, StoreError> {
        Ok(StoredPlan {
            referral_id,
            plan: Plan {
                what_matters_to_me: self.what_matters_to_me,
                goals: self.goals.0,
                steps: steps_from_json(self.steps.0)?,
                strengths: self.strengths.0,
                agreed_with_person: self.agreed_with_person,
                planned_review_on: self.planned_review_on,
                review_by: self.review_by,
            },
            version: self.version.max(0) as u32,
            updated_by: Some(self.actor),
            updated_at: Some(self.at),
        })
    }
}

pub(super) const SELECT_PLAN: &str = "SELECT id, version, what_matters_to_me, goals, steps, \
    strengths, agreed_with_person, planned_review_on, review_by, actor, at \
    FROM plan_revisions WHERE referral_id = $1";

/// The newest version of the plan, or the empty version 0.
pub(super) async fn latest_plan(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
) -> Result<StoredPlan, StoreError> {
    let row: Option<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_PLAN} ORDER BY version DESC LIMIT 1"
    )))
    .bind(referral_id)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(row) => row.into_stored(referral_id),
        None => Ok(StoredPlan {
            referral_id,
            plan: Plan::default(),
            version: 0,
            updated_by: None,
            updated_at: None,
        }),
    }
}

/// Every version of a referral's plan, oldest first.
pub(super) async fn plan_versions(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
) -> Result<Vec<StoredPlan>, StoreError> {
    let rows: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_PLAN} ORDER BY version"
    )))
    .bind(referral_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| r.into_stored(referral_id))
        .collect()
}

/// What a contact that happened does to its referral: it may be the first contact,
/// the newest one sets the last contact and the next follow-up, and the first moves
/// an `assigned` referral to `in_progress`. Answers the referral's status after.
async fn took_place(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    referral_id: Uuid,
    status: Status,
    d: &NewContact,
    at: OffsetDateTime,
) -> Result<Status, StoreError> {
    // The earliest contact is the first; the newest one decides the next follow-up,
    // so a contact recorded late (back-dated) does not override a newer plan.
    let (first, last): (Option<OffsetDateTime>, Option<OffsetDateTime>) =
        sqlx::query_as("SELECT first_contact_at, last_contact_at FROM referrals WHERE id = $1")
            .bind(referral_id)
            .fetch_one(&mut **tx)
            .await?;
    let first = Some(first.map_or(d.occurred_at, |f| f.min(d.occurred_at)));
    let newest = last.is_none_or(|l| d.occurred_at >= l);
    let mut update = QueryBuilder::<Db>::new("UPDATE referrals SET first_contact_at = ");
    update
        .push_bind(first)
        .push(", updated_at = ")
        .push_bind(at);
    if newest {
        update
            .push(", last_contact_at = ")
            .push_bind(d.occurred_at)
            .push(", next_follow_up_on = ")
            .push_bind(d.next_follow_up_on);
    }
    update.push(" WHERE id = ").push_bind(referral_id);
    update.build().execute(&mut **tx).await?;

    if status != Status::Assigned {
        return Ok(status);
    }
    set_status(
        tx,
        ctx,
        referral_id,
        Status::Assigned,
        Status::InProgress,
        None,
        None,
        at,
    )
    .await?;
    Ok(Status::InProgress)
}

async fn insert_contact(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    contact: &Contact,
) -> Result<(), StoreError> {
    let d = &contact.details;
    sqlx::query(
        "INSERT INTO contacts (id, organisation, referral_id, mode, occurred_at, \
         minutes, notes, next_follow_up_on, outcome, location_type, present, \
         recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(contact.id)
    .bind(&ctx.organisation)
    .bind(contact.referral_id)
    .bind(d.mode.as_str())
    .bind(d.occurred_at)
    .bind(d.minutes.map(|m| m as i32))
    .bind(&d.notes)
    .bind(d.next_follow_up_on)
    .bind(d.outcome.as_str())
    .bind(d.location_type.map(|l| l.as_str()))
    .bind(&d.present)
    .bind(&contact.recorded_by)
    .bind(contact.recorded_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl crate::CaseworkStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_contact(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
        new: NewContact,
    ) -> Result<ContactRecorded, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let referral = current(&mut tx, ctx, referral_id).await?;
        if !referral.status.takes_contacts() {
            return Ok(ContactRecorded::WrongState(referral.status));
        }
        let (received_at,): (OffsetDateTime,) =
            sqlx::query_as("SELECT created_at FROM referrals WHERE id = $1")
                .bind(referral_id)
                .fetch_one(&mut *tx)
                .await?;
        if let Err(e) = socialrx_domain::contact::not_before_received(new.occurred_at, received_at)
        {
            return Err(StoreError::Invalid(vec![socialrx_domain::FieldError::new(
                "occurred_at",
                e.code,
                e.message,
            )]));
        }
        let occurred_at = new.occurred_at;
        let contact = Contact {
            id: Uuid::now_v7(),
            referral_id,
            details: NewContact {
                // Microseconds, as both backends keep them.
                occurred_at: occurred_at
                    .replace_nanosecond(occurred_at.nanosecond() / 1_000 * 1_000)
                    .unwrap_or(occurred_at),
                ..new
            },
            recorded_by: ctx.actor.clone(),
            recorded_at: at,
        };
        insert_contact(&mut tx, ctx, &contact).await?;
        let d = &contact.details;

        // Only a contact that happened is work done with the person; a missed or
        // cancelled one is on the record and changes nothing else (see
        // `ContactOutcome::happened`).
        let status = if d.outcome.happened() {
            took_place(&mut tx, ctx, referral_id, referral.status, d, at).await?
        } else {
            referral.status
        };
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "create",
                "contact",
                contact.id,
                Some(referral.person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(ContactRecorded::Recorded { contact, status })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_contacts(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<Contact>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let referral = current(&mut tx, ctx, referral_id).await?;
        let contacts = contacts(&mut tx, referral_id).await?;
        let events: Vec<AuditEvent> = contacts
            .iter()
            .map(|c| AuditEvent::new(ctx, "list", "contact", c.id, Some(referral.person_id)))
            .collect();
        audit::append(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(contacts)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_plan(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
    ) -> Result<StoredPlan, StoreError> {
        let mut tx = self.writer.begin().await?;
        let referral = current(&mut tx, ctx, referral_id).await?;
        let plan = latest_plan(&mut tx, referral_id).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "read",
                "plan",
                referral_id,
                Some(referral.person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn put_plan(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
        expected_versions: &[u32],
        plan: Plan,
    ) -> Result<PlanSaved, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let referral = current(&mut tx, ctx, referral_id).await?;
        let stored = latest_plan(&mut tx, referral_id).await?;
        if !expected_versions.contains(&stored.version) {
            return Ok(PlanSaved::Stale {
                current_version: stored.version,
            });
        }
        if !referral.status.is_open() {
            return Ok(PlanSaved::NotOpen(referral.status));
        }
        let version = stored.version + 1;
        let inserted = sqlx::query(
            "INSERT INTO plan_revisions (id, organisation, referral_id, version, \
             what_matters_to_me, goals, steps, strengths, agreed_with_person, \
             planned_review_on, review_by, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (referral_id, version) DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind(&ctx.organisation)
        .bind(referral_id)
        .bind(version as i32)
        .bind(&plan.what_matters_to_me)
        .bind(Json(&plan.goals))
        .bind(Json(steps_json(&plan.steps)))
        .bind(Json(&plan.strengths))
        .bind(plan.agreed_with_person)
        .bind(plan.planned_review_on)
        .bind(&plan.review_by)
        .bind(&ctx.actor)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            // Another save of the same version won the race (PostgreSQL only).
            return Ok(PlanSaved::Stale {
                current_version: version,
            });
        }
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "update",
                "plan",
                referral_id,
                Some(referral.person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(PlanSaved::Saved(StoredPlan {
            referral_id,
            plan,
            version,
            updated_by: Some(ctx.actor.clone()),
            updated_at: Some(at),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn timeline(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<TimelineEvent>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let referral = current(&mut tx, ctx, referral_id).await?;
        let events = super::timeline::events(&mut tx, ctx, referral_id).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "read",
                "referral_timeline",
                referral_id,
                Some(referral.person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(events)
    }
}
