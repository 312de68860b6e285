//! Reports for coordinators, computed in the database.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::StoreError;

/// How many referrals had one value of a field (`None`: the field was empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeCount {
    pub code: Option<String>,
    pub count: i64,
}

/// Days from a referral being received to its first contact (its move to `in_progress`).
#[derive(Debug, Clone, PartialEq)]
pub struct DaysToFirstContact {
    pub referrals: i64,
    /// Linear interpolation between order statistics, as PostgreSQL's `percentile_cont`.
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// One scale of one instrument: referrals with a baseline and a later measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeChange {
    pub instrument: String,
    pub scale: String,
    /// Referrals (one person each) with a baseline and at least one later measurement.
    pub people: i64,
    /// Mean of (latest later measurement - baseline).
    pub mean_change: f64,
    pub improved: i64,
}

/// The summary report over referrals received in `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub referrals: i64,
    pub by_source: Vec<CodeCount>,
    /// By the referrer's ODS code as the referral gave it (`referrer.ods_code`).
    pub by_practice: Vec<CodeCount>,
    /// By the organisation that sent the referral (the token's `org` at intake).
    pub by_referrer_organisation: Vec<CodeCount>,
    pub by_reason: Vec<CodeCount>,
    pub by_status: Vec<CodeCount>,
    pub first_contact: DaysToFirstContact,
    /// Connections of these referrals, by the activity's main (first) category.
    pub connections_by_category: Vec<CodeCount>,
    /// Connections of these referrals, by their status.
    pub connections_by_status: Vec<CodeCount>,
    pub outcomes: Vec<OutcomeChange>,
}

#[async_trait]
pub trait ReportStore {
    /// Counts and outcome changes for the organisation's referrals received in
    /// `[from, to)`. Every number is computed by the database (GROUP BY, window functions).
    async fn summary_report(
        &self,
        organisation: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Summary, StoreError>;
}
