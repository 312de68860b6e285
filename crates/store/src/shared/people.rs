use super::rows::{ReferralRow, SELECT_REFERRAL};
use super::*;
use crate::{CaseRecord, PersonExport};
use socialrx_domain::referral::Referral;

#[async_trait]
impl crate::PersonStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn export_person(
        &self,
        ctx: &AuditContext,
        person_id: Uuid,
    ) -> Result<PersonExport, StoreError> {
        let mut tx = self.writer.begin().await?;
        let rows: Vec<ReferralRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_REFERRAL} WHERE r.organisation = $1 AND r.person_id = $2 ORDER BY r.id"
        )))
        .bind(&ctx.organisation)
        .bind(person_id)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        let referrals = rows
            .into_iter()
            .map(Referral::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut records = Vec::with_capacity(referrals.len());
        for referral in &referrals {
            records.push(CaseRecord {
                referral_id: referral.id,
                timeline: super::timeline::events(&mut tx, ctx, referral.id).await?,
                plans: super::casework::plan_versions(&mut tx, referral.id).await?,
                outcomes: super::outcomes::measurements_of(&mut tx, referral.id).await?,
                risks: super::summary::risks_of(&mut tx, referral.id).await?,
                message_back: super::summary::message_of(&mut tx, referral.id).await?,
            });
        }
        let audit_events: Vec<AuditEvent> = sqlx::query_as::<_, audit::AuditRow>(
            "SELECT id, organisation, actor, action, resource_type, resource_id, person_id, \
             at, client_ip, request_id, listed, actor_organisation FROM audit_events \
             WHERE organisation = $1 AND (person_id = $2 OR listed LIKE $3) ORDER BY id",
        )
        .bind(&ctx.organisation)
        .bind(person_id)
        .bind(audit::listed_pattern(person_id))
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(AuditEvent::from)
        .collect();
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "export",
                "person",
                person_id,
                Some(person_id),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(PersonExport {
            person_id,
            referrals,
            records,
            audit_events,
        })
    }
}
