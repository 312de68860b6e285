//! Retention: anonymising people whose referrals all closed long ago.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::StoreError;

/// What a retention run did (or, dry, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    pub people: u64,
    pub referrals: u64,
}

#[async_trait]
pub trait RetentionStore {
    /// Anonymises every person (in every organisation) whose referrals are all closed or
    /// declined and untouched since `closed_before`: names, contact details, NHS number,
    /// exact postcode and date of birth, and free text go; codes, dates and counts stay.
    /// Each anonymised person gets an audit event. With `dry_run`, counts only.
    async fn anonymise_people(
        &self,
        closed_before: OffsetDateTime,
        dry_run: bool,
    ) -> Result<RetentionReport, StoreError>;
}
