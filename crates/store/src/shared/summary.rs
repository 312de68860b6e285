use super::rows::{ReferralRow, SELECT_REFERRAL};
use super::*;
use crate::{Reach, SummarySource};
use socialrx_domain::message_back::{MessageBack, StoredMessageBack};
use socialrx_domain::referral::Referral;
use socialrx_domain::risk::{Concern, Risk, Risks, StoredRisks};
use socialrx_domain::snomed::ConceptId;
use sqlx::types::Json;

/// One risk or concern as kept in its JSON column: dates as `YYYY-MM-DD` text.
#[derive(serde::Serialize, serde::Deserialize)]
struct EntryJson {
    code: Option<String>,
    description: Option<String>,
    comment: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn date_text(d: Option<time::Date>) -> Option<String> {
    d.and_then(|d| d.format(DATE).ok())
}

fn date_of(raw: Option<&str>) -> Result<Option<time::Date>, StoreError> {
    raw.map(|r| {
        time::Date::parse(r, DATE)
            .map_err(|_| StoreError::Corrupt("risk date does not parse".into()))
    })
    .transpose()
}

fn code_of(raw: Option<&str>) -> Result<Option<ConceptId>, StoreError> {
    raw.map(|r| ConceptId::parse(r).map_err(rows::corrupt("risk code")))
        .transpose()
}

/// An entry's code and its two dates, parsed back.
#[allow(clippy::type_complexity)]
fn parsed(
    e: &EntryJson,
) -> Result<(Option<ConceptId>, Option<time::Date>, Option<time::Date>), StoreError> {
    Ok((
        code_of(e.code.as_deref())?,
        date_of(e.from.as_deref())?,
        date_of(e.to.as_deref())?,
    ))
}

fn risk_json(r: &Risk) -> EntryJson {
    EntryJson {
        code: r.code.as_ref().map(|c| c.as_str().to_owned()),
        description: r.description.clone(),
        comment: r.comment.clone(),
        from: date_text(r.started_on),
        to: date_text(r.ended_on),
    }
}

fn concern_json(c: &Concern) -> EntryJson {
    EntryJson {
        code: c.code.as_ref().map(|c| c.as_str().to_owned()),
        description: c.description.clone(),
        comment: c.comment.clone(),
        from: date_text(c.identified_on),
        to: date_text(c.ended_on),
    }
}

#[derive(sqlx::FromRow)]
struct RisksRow {
    referral_id: Uuid,
    no_known_risks: bool,
    risks: Json<Vec<EntryJson>>,
    safeguarding: Json<Vec<EntryJson>>,
    updated_by: String,
    updated_at: OffsetDateTime,
}

impl TryFrom<RisksRow> for StoredRisks {
    type Error = StoreError;
    fn try_from(r: RisksRow) -> Result<Self, StoreError> {
        let risks = r
            .risks
            .0
            .iter()
            .map(|e| {
                let (code, from, to) = parsed(e)?;
                Ok(Risk {
                    code,
                    description: e.description.clone(),
                    comment: e.comment.clone(),
                    started_on: from,
                    ended_on: to,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let safeguarding = r
            .safeguarding
            .0
            .iter()
            .map(|e| {
                let (code, from, to) = parsed(e)?;
                Ok(Concern {
                    code,
                    description: e.description.clone(),
                    comment: e.comment.clone(),
                    identified_on: from,
                    ended_on: to,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(StoredRisks {
            referral_id: r.referral_id,
            risks: Risks {
                no_known_risks: r.no_known_risks,
                risks,
                safeguarding,
            },
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    referral_id: Uuid,
    summary: Option<String>,
    actions_for_professionals: Option<String>,
    actions_for_person: Option<String>,
    agreed_with_person: Option<bool>,
    updated_by: String,
    updated_at: OffsetDateTime,
}

impl From<MessageRow> for StoredMessageBack {
    fn from(r: MessageRow) -> Self {
        StoredMessageBack {
            referral_id: r.referral_id,
            message: MessageBack {
                summary: r.summary,
                actions_for_professionals: r.actions_for_professionals,
                actions_for_person: r.actions_for_person,
                agreed_with_person: r.agreed_with_person,
            },
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

/// The person and reference of a referral the caller's organisation holds.
async fn held(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    referral_id: Uuid,
) -> Result<(Uuid, String), StoreError> {
    sqlx::query_as("SELECT person_id, reference FROM referrals WHERE id = $1 AND organisation = $2")
        .bind(referral_id)
        .bind(&ctx.organisation)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)
}

pub(super) async fn risks_of(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
) -> Result<Option<StoredRisks>, StoreError> {
    let row: Option<RisksRow> = sqlx::query_as(
        "SELECT referral_id, no_known_risks, risks, safeguarding, updated_by, updated_at \
         FROM referral_risks WHERE referral_id = $1",
    )
    .bind(referral_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(StoredRisks::try_from).transpose()
}

pub(super) async fn message_of(
    tx: &mut sqlx::Transaction<'_, Db>,
    referral_id: Uuid,
) -> Result<Option<StoredMessageBack>, StoreError> {
    let row: Option<MessageRow> = sqlx::query_as(
        "SELECT referral_id, summary, actions_for_professionals, actions_for_person, \
         agreed_with_person, updated_by, updated_at \
         FROM referral_message_back WHERE referral_id = $1",
    )
    .bind(referral_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(StoredMessageBack::from))
}

#[async_trait]
impl crate::SummaryStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn put_risks(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
        risks: Risks,
    ) -> Result<StoredRisks, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let (person_id, _) = held(&mut tx, ctx, referral_id).await?;
        let listed: Vec<EntryJson> = risks.risks.iter().map(risk_json).collect();
        let concerns: Vec<EntryJson> = risks.safeguarding.iter().map(concern_json).collect();
        sqlx::query(
            "INSERT INTO referral_risks (referral_id, organisation, no_known_risks, risks, \
             safeguarding, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (referral_id) DO UPDATE SET no_known_risks = excluded.no_known_risks, \
             risks = excluded.risks, safeguarding = excluded.safeguarding, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(referral_id)
        .bind(&ctx.organisation)
        .bind(risks.no_known_risks)
        .bind(Json(&listed))
        .bind(Json(&concerns))
        .bind(&ctx.actor)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "update",
                "risks",
                referral_id,
                Some(person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(StoredRisks {
            referral_id,
            risks,
            updated_by: ctx.actor.clone(),
            updated_at: at,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_risks(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Option<StoredRisks>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let (person_id, _) = held(&mut tx, ctx, referral_id).await?;
        let risks = risks_of(&mut tx, referral_id).await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "read",
                "risks",
                referral_id,
                Some(person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(risks)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn put_message_back(
        &self,
        ctx: &AuditContext,
        referral_id: Uuid,
        message: MessageBack,
    ) -> Result<StoredMessageBack, StoreError> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let (person_id, reference) = held(&mut tx, ctx, referral_id).await?;
        sqlx::query(
            "INSERT INTO referral_message_back (referral_id, organisation, summary, \
             actions_for_professionals, actions_for_person, agreed_with_person, updated_by, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (referral_id) DO UPDATE SET summary = excluded.summary, \
             actions_for_professionals = excluded.actions_for_professionals, \
             actions_for_person = excluded.actions_for_person, \
             agreed_with_person = excluded.agreed_with_person, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(referral_id)
        .bind(&ctx.organisation)
        .bind(&message.summary)
        .bind(&message.actions_for_professionals)
        .bind(&message.actions_for_person)
        .bind(message.agreed_with_person)
        .bind(&ctx.actor)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "update",
                "message_back",
                referral_id,
                Some(person_id),
            )],
        )
        .await?;
        webhooks::summary_available(&mut tx, &ctx.organisation, referral_id, &reference, at)
            .await?;
        tx.commit().await?;
        Ok(StoredMessageBack {
            referral_id,
            message,
            updated_by: ctx.actor.clone(),
            updated_at: at,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn referral_summary(
        &self,
        ctx: &AuditContext,
        reach: Reach,
        referral_id: Uuid,
    ) -> Result<SummarySource, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut query = QueryBuilder::<Db>::new(SELECT_REFERRAL);
        query
            .push(" WHERE r.id = ")
            .push_bind(referral_id)
            .push(" AND ");
        super::outcomes::push_reach(&mut query, reach, &ctx.organisation);
        let row: Option<ReferralRow> = query.build_query_as().fetch_optional(&mut *tx).await?;
        let referral = Referral::try_from(row.ok_or(StoreError::NotFound)?)?;
        let status = super::outcomes::status_view_in(&mut tx, referral_id).await?;
        let plan = super::casework::latest_plan(&mut tx, referral_id).await?;
        let contacts = super::casework::contacts(&mut tx, referral_id).await?;
        let rows: Vec<super::connections::ConnectionRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{} WHERE c.referral_id = $1 ORDER BY c.id",
                super::connections::SELECT_CONNECTION
            )))
            .bind(referral_id)
            .fetch_all(&mut *tx)
            .await?;
        let connections = super::connections::assemble(&mut tx, rows).await?;
        let measurements = super::outcomes::measurements_of(&mut tx, referral_id).await?;
        let risks = risks_of(&mut tx, referral_id).await?;
        let message = message_of(&mut tx, referral_id).await?;
        let event = AuditEvent::new(
            ctx,
            "read_summary",
            "referral",
            referral_id,
            Some(referral.person_id),
        )
        .held_by(&referral.organisation);
        audit::append(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(SummarySource {
            referral,
            status,
            plan,
            contacts,
            connections,
            measurements,
            risks,
            message,
        })
    }
}
