use super::*;
use crate::{Created, FhirIntake, IdempotencyKey};
use socialrx_domain::referral::{NewReferral, Referral};

/// Referral intake through the group commit, where the database has one writer
/// (SQLite): one transaction and one fsync for the referrals of a busy moment instead
/// of one each. A referral the database refuses gets its own error; the others are
/// still written (see `group_commit`).
pub(crate) struct Job {
    pub ctx: AuditContext,
    /// The receiving service.
    pub to: crate::Recipient,
    pub new: NewReferral,
    pub idempotency: Option<IdempotencyKey>,
    pub fhir: Option<FhirIntake>,
}

#[async_trait]
impl group_commit::Job for Job {
    type Answer = Created<Referral>;

    async fn run(
        &self,
        tx: &mut sqlx::Transaction<'static, Db>,
        _audit: &mut Vec<AuditEvent>,
    ) -> Result<Created<Referral>, StoreError> {
        // The referral's audit event is written by `create_in` itself, as on the path
        // without a group.
        super::referrals::create_in(
            tx,
            &self.ctx,
            &self.to,
            self.new.clone(),
            self.idempotency.clone(),
            self.fhir.as_ref(),
        )
        .await
    }
}
