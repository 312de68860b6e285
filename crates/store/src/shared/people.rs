mod people {
    use super::rows::{ReferralRow, SELECT_REFERRAL};
    use super::*;
    use crate::PersonExport;
    use socialrx_domain::referral::Referral;

    #[async_trait]
    impl crate::PersonStore for Store {
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
            let audit_events: Vec<AuditEvent> = sqlx::query_as::<_, audit::AuditRow>(
                "SELECT id, organisation, actor, action, resource_type, resource_id, person_id, \
                 at, client_ip, request_id FROM audit_events \
                 WHERE organisation = $1 AND person_id = $2 ORDER BY id",
            )
            .bind(&ctx.organisation)
            .bind(person_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(AuditEvent::from)
            .collect();
            audit::append(
                &mut tx,
                &[AuditEvent::new(ctx, "export", "person", person_id, Some(person_id))],
            )
            .await?;
            tx.commit().await?;
            Ok(PersonExport {
                person_id,
                referrals,
                audit_events,
            })
        }
    }
}
