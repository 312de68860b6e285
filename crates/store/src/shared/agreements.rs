use super::*;
use crate::{Page, PageRequest, ReferralAgreement};
use socialrx_domain::OdsCode;
use socialrx_domain::agreement::{self, Referrers};

const SELECT_AGREEMENT: &str = "SELECT id, organisation, referrer_ods_code, issuer, \
    created_by, created_at FROM referral_agreements";

#[derive(sqlx::FromRow)]
struct AgreementRow {
    id: Uuid,
    organisation: String,
    referrer_ods_code: Option<String>,
    issuer: Option<String>,
    created_by: String,
    created_at: OffsetDateTime,
}

fn referrers(ods: Option<String>, issuer: Option<String>) -> Result<Referrers, StoreError> {
    match (ods, issuer) {
        (Some(ods), _) => OdsCode::parse(&ods)
            .map(Referrers::Organisation)
            .map_err(rows::corrupt("referrer_ods_code")),
        (None, Some(issuer)) => Ok(Referrers::Issuer(issuer)),
        (None, None) => Err(StoreError::Corrupt("agreement names no referrer".into())),
    }
}

impl TryFrom<AgreementRow> for ReferralAgreement {
    type Error = StoreError;
    fn try_from(r: AgreementRow) -> Result<Self, StoreError> {
        Ok(ReferralAgreement {
            id: r.id,
            organisation: r.organisation,
            referrers: referrers(r.referrer_ods_code, r.issuer)?,
            created_by: r.created_by,
            created_at: r.created_at,
        })
    }
}

#[async_trait]
impl crate::AgreementStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_agreement(
        &self,
        ctx: &AuditContext,
        referrers: Referrers,
    ) -> Result<ReferralAgreement, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        let (ods, issuer) = match &referrers {
            Referrers::Organisation(ods) => (Some(ods.as_str()), None),
            Referrers::Issuer(iss) => (None, Some(iss.as_str())),
        };
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO referral_agreements (id, organisation, referrer_ods_code, issuer, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&ctx.organisation)
        .bind(ods)
        .bind(issuer)
        .bind(&ctx.actor)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists(match &referrers {
                Referrers::Organisation(ods) => {
                    format!("an agreement with {ods} already exists")
                }
                Referrers::Issuer(_) => {
                    "an agreement with this identity provider already exists".into()
                }
            }));
        }
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "create",
                "referral_agreement",
                id,
                None,
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(ReferralAgreement {
            id,
            organisation: ctx.organisation.clone(),
            referrers,
            created_by: ctx.actor.clone(),
            created_at: at,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_agreements(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<ReferralAgreement>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(SELECT_AGREEMENT);
        query.push(" WHERE organisation = ").push_bind(organisation);
        if let Some(after) = page.after {
            query.push(" AND id < ").push_bind(after);
        }
        query
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let rows: Vec<AgreementRow> = query.build_query_as().fetch_all(&self.reader).await?;
        let more = rows.len() > page.limit as usize;
        let items = rows
            .into_iter()
            .take(page.limit as usize)
            .map(ReferralAgreement::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if more {
            items.last().map(|a| a.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_agreement(
        &self,
        organisation: &str,
        id: Uuid,
    ) -> Result<ReferralAgreement, StoreError> {
        let row: Option<AgreementRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_AGREEMENT} WHERE organisation = $1 AND id = $2"
        )))
        .bind(organisation)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_agreement(&self, ctx: &AuditContext, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted =
            sqlx::query("DELETE FROM referral_agreements WHERE organisation = $1 AND id = $2")
                .bind(&ctx.organisation)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(
            &mut tx,
            &[AuditEvent::new(
                ctx,
                "delete",
                "referral_agreement",
                id,
                None,
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn accepts_referrals(
        &self,
        service: &str,
        referrer: &str,
        issuer: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.reader.begin().await?;
        let accepted = accepts_in(&mut tx, service, referrer, issuer).await?;
        tx.commit().await?;
        Ok(accepted)
    }
}

/// Whether `service` accepts a referral from `referrer` (token signed by `issuer`),
/// read inside `tx` (the intake's own transaction).
pub(super) async fn accepts_in(
    tx: &mut sqlx::Transaction<'_, Db>,
    service: &str,
    referrer: &str,
    issuer: &str,
) -> Result<bool, StoreError> {
    if service == referrer {
        return Ok(true);
    }
    let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT referrer_ods_code, issuer FROM referral_agreements \
         WHERE organisation = $1 AND (referrer_ods_code = $2 OR issuer = $3)",
    )
    .bind(service)
    .bind(referrer)
    .bind(issuer)
    .fetch_all(&mut **tx)
    .await?;
    let agreements = rows
        .into_iter()
        .map(|(ods, iss)| referrers(ods, iss))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(agreement::accepts(service, referrer, issuer, &agreements))
}
