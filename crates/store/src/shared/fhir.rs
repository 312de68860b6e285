use super::*;
use crate::{Created, FhirIntake, IdempotencyKey};
use socialrx_domain::referral::{NewReferral, Referral};
use sqlx::types::Json;

#[async_trait]
impl crate::FhirStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_fhir_referral(
        &self,
        audit: &AuditContext,
        to: &crate::Recipient,
        referral: NewReferral,
        idempotency: Option<IdempotencyKey>,
        intake: FhirIntake,
    ) -> Result<Created<Referral>, StoreError> {
        super::referrals::create(self, audit, to, referral, idempotency, Some(intake)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_fhir_referral(
        &self,
        audit: &AuditContext,
        reach: crate::Reach,
        id: Uuid,
    ) -> Result<(Referral, Option<FhirIntake>), StoreError> {
        let referral = super::referrals::get(&self.writer, audit, reach, id).await?;
        type Row = (
            Option<String>,
            Option<String>,
            Json<serde_json::Value>,
            Option<Json<serde_json::Value>>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT source_id, request_id, codings, requested FROM fhir_referrals \
                 WHERE organisation = $1 AND referral_id = $2",
        )
        .bind(&referral.organisation)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        let intake = row.map(|(source_id, request_id, codings, requested)| FhirIntake {
            source_id,
            request_id,
            codings: codings.0,
            requested: requested.map(|r| r.0).unwrap_or(serde_json::Value::Null),
        });
        Ok((referral, intake))
    }
}

/// Written inside the referral's own transaction by `referrals::create`.
pub(super) async fn insert(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    referral_id: Uuid,
    intake: &FhirIntake,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO fhir_referrals (referral_id, organisation, source_id, request_id, \
         codings, requested, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(referral_id)
    .bind(&ctx.organisation)
    .bind(&intake.source_id)
    .bind(&intake.request_id)
    .bind(Json(&intake.codings))
    .bind((!intake.requested.is_null()).then_some(Json(&intake.requested)))
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
