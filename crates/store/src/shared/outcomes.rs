use super::*;
use crate::{
    ConnectionSummary, InstrumentWording, Measurement, Page, PageRequest, Reach,
    ReferralStatusView, SentFilter, StatusStep,
};
use socialrx_domain::outcome::{self, Earlier, Instrument, NewMeasurement, ScaleScore, TimePoint};
use socialrx_domain::referral::{Reason, Source, Status};
use socialrx_domain::webhook::EventType;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct MeasurementRow {
    id: Uuid,
    referral_id: Uuid,
    instrument: String,
    time_point: String,
    measured_on: time::Date,
    answers: Json<Vec<i64>>,
    recorded_by: String,
    recorded_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ScoreRow {
    measurement_id: Uuid,
    scale: String,
    value: f64,
    direction: i32,
}

fn bad(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} does not parse"))
}

fn measurement(row: MeasurementRow, scores: &[ScoreRow]) -> Result<Measurement, StoreError> {
    let instrument = Instrument::parse(&row.instrument).map_err(|_| bad("instrument"))?;
    // Scores in the instrument's own order of scales.
    let mut out = Vec::new();
    for (scale, _) in instrument.scales() {
        if let Some(s) = scores
            .iter()
            .find(|s| s.measurement_id == row.id && s.scale == *scale)
        {
            out.push(ScaleScore {
                scale: outcome::scale_name(instrument, &s.scale).ok_or_else(|| bad("scale"))?,
                value: s.value,
                direction: s.direction,
            });
        }
    }
    Ok(Measurement {
        id: row.id,
        referral_id: row.referral_id,
        instrument,
        time_point: TimePoint::parse(&row.time_point).map_err(|_| bad("time point"))?,
        measured_on: row.measured_on,
        answers: row.answers.0,
        scores: out,
        recorded_by: row.recorded_by,
        recorded_at: row.recorded_at,
    })
}

/// The referral's id check within the organisation: (person, reference, status, received, updated).
async fn referral_in_org(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    referral_id: Uuid,
) -> Result<(Uuid, String, String, OffsetDateTime, OffsetDateTime), StoreError> {
    sqlx::query_as(
        "SELECT person_id, reference, status, created_at, updated_at FROM referrals \
         WHERE organisation = $1 AND id = $2",
    )
    .bind(&ctx.organisation)
    .bind(referral_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

pub(super) async fn measurements_of(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
) -> Result<Vec<Measurement>, StoreError> {
    let rows: Vec<MeasurementRow> = sqlx::query_as(
        "SELECT id, referral_id, instrument, time_point, measured_on, answers, recorded_by, \
         recorded_at FROM outcome_measurements WHERE referral_id = $1 \
         ORDER BY measured_on, id",
    )
    .bind(referral_id)
    .fetch_all(&mut **tx)
    .await?;
    let scores: Vec<ScoreRow> = sqlx::query_as(
        "SELECT s.measurement_id, s.scale, s.value, CAST(s.direction AS INTEGER) AS direction \
         FROM outcome_scores s JOIN outcome_measurements m ON m.id = s.measurement_id \
         WHERE m.referral_id = $1",
    )
    .bind(referral_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().map(|r| measurement(r, &scores)).collect()
}

#[derive(sqlx::FromRow)]
struct WordingRow {
    instrument: String,
    items: Json<Vec<String>>,
    licence: Option<String>,
    updated_at: OffsetDateTime,
}

/// What a status view reads of the referral itself: no person details, no notes.
const SELECT_STATUS_HEAD: &str = "SELECT r.id, r.organisation, r.referrer_organisation, \
    r.reference, r.source, r.reasons, r.status, r.created_at, r.updated_at, r.person_id, \
    r.first_contact_at FROM referrals r";

#[derive(sqlx::FromRow)]
pub(super) struct StatusHead {
    id: Uuid,
    organisation: String,
    referrer_organisation: String,
    reference: String,
    source: String,
    reasons: Json<Vec<String>>,
    status: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    person_id: Uuid,
    first_contact_at: Option<OffsetDateTime>,
}

/// `reach` of `organisation` as a condition on `r`.
pub(super) fn push_reach(query: &mut QueryBuilder<Db>, reach: Reach, organisation: &str) {
    match reach {
        Reach::Held => {
            query.push("r.organisation = ").push_bind(organisation);
        }
        Reach::Sent => {
            query
                .push("r.referrer_organisation = ")
                .push_bind(organisation);
        }
        Reach::HeldOrSent => {
            query
                .push("(r.organisation = ")
                .push_bind(organisation)
                .push(" OR r.referrer_organisation = ")
                .push_bind(organisation)
                .push(")");
        }
    }
}

/// The status view of one referral, read inside `tx` without an audit event (for a
/// webhook payload written in the transaction that changed the referral).
pub(super) async fn status_view_in(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
) -> Result<ReferralStatusView, StoreError> {
    let head: StatusHead = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_STATUS_HEAD} WHERE r.id = $1"
    )))
    .bind(referral_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    status_views(tx, vec![head])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// Status views of `heads`, in their order: history and connections read for all of
/// them at once.
async fn status_views(
    tx: &mut sqlx::Transaction<'_, Db>,
    heads: Vec<StatusHead>,
) -> Result<Vec<ReferralStatusView>, StoreError> {
    if heads.is_empty() {
        return Ok(Vec::new());
    }
    let mut history = QueryBuilder::<Db>::new(
        "SELECT referral_id, to_status, at, reason FROM referral_status_history \
         WHERE referral_id IN (",
    );
    let mut ids = history.separated(", ");
    for h in &heads {
        ids.push_bind(h.id);
    }
    history.push(") ORDER BY at, id");
    let history: Vec<(Uuid, String, OffsetDateTime, Option<String>)> =
        history.build_query_as().fetch_all(&mut **tx).await?;
    let mut connections = QueryBuilder::<Db>::new(
        "SELECT c.referral_id, c.status, a.categories FROM connections c \
         JOIN activities a ON a.id = c.activity_id WHERE c.referral_id IN (",
    );
    let mut ids = connections.separated(", ");
    for h in &heads {
        ids.push_bind(h.id);
    }
    connections.push(") ORDER BY c.created_at, c.id");
    let connections: Vec<(Uuid, String, Json<Vec<String>>)> =
        connections.build_query_as().fetch_all(&mut **tx).await?;

    let mut views = Vec::with_capacity(heads.len());
    for h in heads {
        let steps = history
            .iter()
            .filter(|(id, ..)| *id == h.id)
            .map(|(_, s, at, reason)| {
                Ok(StatusStep {
                    status: Status::parse(s).map_err(|_| bad("status"))?,
                    at: *at,
                    reason: reason.clone(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let summaries = connections
            .iter()
            .filter(|(id, ..)| *id == h.id)
            .map(|(_, status, Json(categories))| ConnectionSummary {
                categories: categories.clone(),
                status: status.clone(),
            })
            .collect();
        views.push(ReferralStatusView {
            id: h.id,
            reference: h.reference,
            organisation: h.organisation,
            referrer_organisation: h.referrer_organisation,
            source: Source::parse(&h.source).map_err(|_| bad("source"))?,
            reasons: h
                .reasons
                .0
                .iter()
                .map(|r| Reason::parse(r))
                .collect::<Result<_, _>>()
                .map_err(|_| bad("reasons"))?,
            status: Status::parse(&h.status).map_err(|_| bad("status"))?,
            received_at: h.created_at,
            updated_at: h.updated_at,
            first_contact_at: h.first_contact_at,
            history: steps,
            outcomes: measurements_of(tx, h.id).await?,
            connections: summaries,
        });
    }
    Ok(views)
}

/// The referral's earlier measurements with `instrument`, for the time-point rules.
async fn earlier_measurements(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
    instrument: Instrument,
) -> Result<Vec<Earlier>, StoreError> {
    let earlier: Vec<(String, time::Date)> = sqlx::query_as(
        "SELECT time_point, measured_on FROM outcome_measurements \
         WHERE referral_id = $1 AND instrument = $2",
    )
    .bind(referral_id)
    .bind(instrument.as_str())
    .fetch_all(&mut **tx)
    .await?;
    earlier
        .into_iter()
        .map(|(tp, measured_on)| {
            Ok(Earlier {
                time_point: TimePoint::parse(&tp).map_err(|_| bad("time point"))?,
                measured_on,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()
}

/// The measurement and its scale scores.
async fn insert_measurement(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    id: Uuid,
    referral_id: Uuid,
    new: &NewMeasurement,
    scores: &[ScaleScore],
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outcome_measurements (id, organisation, referral_id, instrument, \
         time_point, measured_on, answers, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&ctx.organisation)
    .bind(referral_id)
    .bind(new.instrument.as_str())
    .bind(new.time_point.as_str())
    .bind(new.measured_on)
    .bind(Json(&new.answers))
    .bind(&ctx.actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    let mut insert = QueryBuilder::<Db>::new(
        "INSERT INTO outcome_scores (measurement_id, scale, value, direction) ",
    );
    insert.push_values(scores, |mut row, s| {
        row.push_bind(id)
            .push_bind(s.scale)
            .push_bind(s.value)
            .push_bind(s.direction);
    });
    insert.build().execute(&mut **tx).await?;
    Ok(())
}

#[async_trait]
impl crate::OutcomeStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_outcome(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
        new: NewMeasurement,
    ) -> Result<Measurement, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let (person_id, reference, ..) = referral_in_org(&mut tx, ctx, referral_id).await?;
        let earlier = earlier_measurements(&mut tx, referral_id, new.instrument).await?;
        let scores = new.accept(&earlier).map_err(StoreError::Invalid)?;

        let id = Uuid::now_v7();
        insert_measurement(&mut tx, ctx, id, referral_id, &new, &scores, at).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "create",
                "outcome",
                id,
                Some(person_id),
            )],
        )
        .await?;
        webhooks::enqueue(
            &mut tx,
            &ctx.organisation,
            EventType::OutcomeRecorded,
            serde_json::json!({
                "referral_id": referral_id,
                "referral_reference": reference,
                "measurement_id": id,
                "instrument": new.instrument.as_str(),
                "time_point": new.time_point.as_str(),
                "measured_on": new.measured_on.to_string(),
            }),
            at,
        )
        .await?;
        webhooks::notify_referrer(&mut tx, referral_id, EventType::OutcomeRecorded, at).await?;
        tx.commit().await?;
        Ok(Measurement {
            id,
            referral_id,
            instrument: new.instrument,
            time_point: new.time_point,
            measured_on: new.measured_on,
            answers: new.answers,
            scores,
            recorded_by: ctx.actor.clone(),
            recorded_at: at,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_outcomes(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<Measurement>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let (person_id, ..) = referral_in_org(&mut tx, ctx, referral_id).await?;
        let items = measurements_of(&mut tx, referral_id).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "read",
                "outcome",
                referral_id,
                Some(person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(items)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn referral_status(
        &self,
        ctx: &AuditContext,
        reach: Reach,
        referral_id: Uuid,
    ) -> Result<ReferralStatusView, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut query = QueryBuilder::<Db>::new(SELECT_STATUS_HEAD);
        query
            .push(" WHERE r.id = ")
            .push_bind(referral_id)
            .push(" AND ");
        push_reach(&mut query, reach, &ctx.organisation);
        let head: StatusHead = query
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let event = AuditEvent::new(
            ctx,
            "read_status",
            "referral",
            referral_id,
            Some(head.person_id),
        )
        .held_by(&head.organisation);
        let view = status_views(&mut tx, vec![head])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        audit::append(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(view)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_sent_referrals(
        &self,
        ctx: &AuditContext,
        filter: &SentFilter,
        page: PageRequest,
    ) -> Result<Page<ReferralStatusView>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(SELECT_STATUS_HEAD);
        query
            .push(" WHERE r.referrer_organisation = ")
            .push_bind(&ctx.organisation);
        if let Some(status) = filter.status {
            query.push(" AND r.status = ").push_bind(status.as_str());
        }
        if let Some(from) = filter.received_from {
            query
                .push(" AND r.created_at >= ")
                .push_bind(from.midnight().assume_utc());
        }
        if let Some(to) = filter.received_to.and_then(|d| d.next_day()) {
            query
                .push(" AND r.created_at < ")
                .push_bind(to.midnight().assume_utc());
        }
        if let Some(after) = page.after {
            query.push(" AND r.id < ").push_bind(after);
        }
        query
            .push(" ORDER BY r.id DESC LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let mut tx = self.writer.begin().await?;
        let mut heads: Vec<StatusHead> = query.build_query_as().fetch_all(&mut *tx).await?;
        let more = heads.len() > page.limit as usize;
        heads.truncate(page.limit as usize);
        // One list event in the trail of each service holding some of the page.
        let mut by_holder: std::collections::BTreeMap<String, Vec<crate::Listed>> =
            Default::default();
        for h in &heads {
            by_holder
                .entry(h.organisation.clone())
                .or_default()
                .push(crate::Listed {
                    resource_id: h.id,
                    person_id: Some(h.person_id),
                });
        }
        let events: Vec<AuditEvent> = by_holder
            .into_iter()
            .map(|(holder, listed)| {
                AuditEvent::listing(ctx, "referral_status", Uuid::nil(), listed).held_by(&holder)
            })
            .collect();
        let items = status_views(&mut tx, heads).await?;
        audit::append(&mut tx, &events).await?;
        tx.commit().await?;
        let next = if more {
            items.last().map(|v| v.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_instrument_wording(
        &self,
        ctx: &AuditContext,
        instrument: Instrument,
        items: Vec<String>,
        licence: Option<String>,
    ) -> Result<InstrumentWording, StoreError> {
        let at = now();
        sqlx::query(
            "INSERT INTO instrument_wordings (organisation, instrument, items, licence, \
             updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (organisation, instrument) DO UPDATE SET items = excluded.items, \
             licence = excluded.licence, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(&ctx.organisation)
        .bind(instrument.as_str())
        .bind(Json(&items))
        .bind(&licence)
        .bind(&ctx.actor)
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(InstrumentWording {
            instrument,
            items,
            licence,
            updated_at: at,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_instrument_wordings(
        &self,
        organisation: &str,
    ) -> Result<Vec<InstrumentWording>, StoreError> {
        let rows: Vec<WordingRow> = sqlx::query_as(
            "SELECT instrument, items, licence, updated_at FROM instrument_wordings \
             WHERE organisation = $1 ORDER BY instrument",
        )
        .bind(organisation)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(InstrumentWording {
                    instrument: Instrument::parse(&r.instrument).map_err(|_| bad("instrument"))?,
                    items: r.items.0,
                    licence: r.licence,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }
}
