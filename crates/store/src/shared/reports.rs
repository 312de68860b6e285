use super::*;
use crate::{CodeCount, DaysToFirstContact, OutcomeChange, Summary};
use socialrx_domain::referral::Reason;

/// The referrals a report covers: `r.` rows of `$1`'s organisation received in [$2, $3).
const IN_PERIOD: &str = "r.organisation = $1 AND r.created_at >= $2 AND r.created_at < $3";

/// Referrals of the period counted by one of their columns.
async fn counts(
    pool: &sqlx::Pool<Db>,
    column: &str,
    organisation: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<CodeCount>, StoreError> {
    let key = format!("r.{column}");
    grouped(pool, &key, "referrals r", "", organisation, from, to).await
}

/// Connections of the period's referrals, grouped by `key` (an expression over `c.`
/// and `a.`, the connection and its activity).
async fn connection_counts(
    pool: &sqlx::Pool<Db>,
    key: &str,
    organisation: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<CodeCount>, StoreError> {
    let rows = "connections c JOIN referrals r ON r.id = c.referral_id \
                JOIN activities a ON a.id = c.activity_id";
    grouped(
        pool,
        key,
        rows,
        " AND c.organisation = $1",
        organisation,
        from,
        to,
    )
    .await
}

/// `SELECT key, COUNT(*) FROM rows WHERE` the period's referrals `and GROUP BY key`,
/// ranked.
async fn grouped(
    pool: &sqlx::Pool<Db>,
    key: &str,
    rows: &str,
    and: &str,
    organisation: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<CodeCount>, StoreError> {
    let rows: Vec<(Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {key}, COUNT(*) FROM {rows} WHERE {IN_PERIOD}{and} GROUP BY {key}"
    )))
    .bind(organisation)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(ranked(
        rows.into_iter()
            .map(|(code, count)| CodeCount { code, count })
            .collect(),
    ))
}

/// Most first, then by code, empty last: the same order on both backends (which
/// return groups in no set order and sort NULL differently).
fn ranked(mut counts: Vec<CodeCount>) -> Vec<CodeCount> {
    counts.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.code.is_none().cmp(&b.code.is_none()))
            .then_with(|| a.code.cmp(&b.code))
    });
    counts
}

/// Reasons are a JSON list per referral; one pass counts each code by matching its
/// quoted form in the list's text, which reads the same on both backends.
async fn reason_counts(
    pool: &sqlx::Pool<Db>,
    organisation: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<CodeCount>, StoreError> {
    let mut query = QueryBuilder::<Db>::new("SELECT ");
    for (i, reason) in Reason::ALL.iter().enumerate() {
        if i > 0 {
            query.push(", ");
        }
        query
            .push("CAST(COALESCE(SUM(CASE WHEN CAST(r.reasons AS TEXT) LIKE ")
            .push_bind(format!("%\"{}\"%", reason.as_str()))
            .push(" THEN 1 ELSE 0 END), 0) AS BIGINT)");
    }
    query
        .push(" FROM referrals r WHERE r.organisation = ")
        .push_bind(organisation)
        .push(" AND r.created_at >= ")
        .push_bind(from)
        .push(" AND r.created_at < ")
        .push_bind(to);
    let row = query.build().fetch_one(pool).await?;
    let mut out = Vec::new();
    for (i, reason) in Reason::ALL.iter().enumerate() {
        let count: i64 = sqlx::Row::try_get(&row, i)?;
        if count > 0 {
            out.push(CodeCount {
                code: Some(reason.as_str().to_owned()),
                count,
            });
        }
    }
    Ok(ranked(out))
}

/// Median and 90th percentile of days from received to the first contact, taken as
/// when that contact happened (`first_contact_at`), the rule the status view and the
/// caseload use: the database orders and ranks; only the (at most four) order
/// statistics needed come back, and are interpolated as `percentile_cont` does.
async fn first_contact(
    pool: &sqlx::Pool<Db>,
    organisation: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<DaysToFirstContact, StoreError> {
    let days = days_between("r.first_contact_at", "r.created_at");
    let delays = format!(
        "SELECT {days} AS days FROM referrals r \
         WHERE r.first_contact_at IS NOT NULL AND {IN_PERIOD}"
    );
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM ({delays}) d"
    )))
    .bind(organisation)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    if n == 0 {
        return Ok(DaysToFirstContact {
            referrals: 0,
            median: None,
            p90: None,
        });
    }
    // 1-based ranks around position 1 + (n - 1) p.
    let position = |p: f64| 1.0 + (n - 1) as f64 * p;
    let ranks = |p: f64| (position(p).floor() as i64, position(p).ceil() as i64);
    let (m_lo, m_hi) = ranks(0.5);
    let (p_lo, p_hi) = ranks(0.9);
    let rows: Vec<(i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT rn, days FROM (SELECT CAST(ROW_NUMBER() OVER (ORDER BY days) AS BIGINT) AS rn, \
         days FROM ({delays}) d) o WHERE rn IN ($4, $5, $6, $7) ORDER BY rn"
    )))
    .bind(organisation)
    .bind(from)
    .bind(to)
    .bind(m_lo)
    .bind(m_hi)
    .bind(p_lo)
    .bind(p_hi)
    .fetch_all(pool)
    .await?;
    let at = |rank: i64| rows.iter().find(|(r, _)| *r == rank).map(|(_, d)| *d);
    let interpolate = |p: f64, lo: i64, hi: i64| -> Option<f64> {
        let (a, b) = (at(lo)?, at(hi)?);
        let v = a + (position(p) - lo as f64) * (b - a);
        Some((v * 10.0).round() / 10.0)
    };
    Ok(DaysToFirstContact {
        referrals: n,
        median: interpolate(0.5, m_lo, m_hi),
        p90: interpolate(0.9, p_lo, p_hi),
    })
}

/// For each instrument and scale: referrals with a baseline and a later measurement,
/// the mean change from the baseline to the latest later one, and how many improved.
async fn outcome_changes(
    pool: &sqlx::Pool<Db>,
    organisation: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<OutcomeChange>, StoreError> {
    let rows: Vec<(String, String, i64, f64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH latest AS (\
           SELECT m.referral_id, m.instrument, m.id, \
             ROW_NUMBER() OVER (PARTITION BY m.referral_id, m.instrument \
                                ORDER BY m.measured_on DESC, m.id DESC) AS rn \
           FROM outcome_measurements m JOIN referrals r ON r.id = m.referral_id \
           WHERE {IN_PERIOD} AND m.time_point <> 'baseline'), \
         pairs AS (\
           SELECT l.instrument, fs.scale, fs.value - bs.value AS change, fs.direction \
           FROM latest l \
           JOIN outcome_measurements b ON b.referral_id = l.referral_id \
             AND b.instrument = l.instrument AND b.time_point = 'baseline' \
           JOIN outcome_scores bs ON bs.measurement_id = b.id \
           JOIN outcome_scores fs ON fs.measurement_id = l.id AND fs.scale = bs.scale \
           WHERE l.rn = 1) \
         SELECT instrument, scale, COUNT(*), CAST(AVG(change) AS DOUBLE PRECISION), \
           CAST(SUM(CASE WHEN change * direction > 0 THEN 1 ELSE 0 END) AS BIGINT) \
         FROM pairs GROUP BY instrument, scale ORDER BY instrument, scale"
    )))
    .bind(organisation)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(instrument, scale, people, mean, improved)| OutcomeChange {
                instrument,
                scale,
                people,
                mean_change: (mean * 100.0).round() / 100.0,
                improved,
            },
        )
        .collect())
}

#[async_trait]
impl crate::ReportStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn summary_report(
        &self,
        organisation: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Summary, StoreError> {
        // Counts over a period, no personal data (so no audit event): it may be stale.
        self.stale_ok(&self.reader, |pool| async move {
            let (referrals,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM referrals r WHERE {IN_PERIOD}"
            )))
            .bind(organisation)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?;
            Ok(Summary {
                referrals,
                by_source: counts(pool, "source", organisation, from, to).await?,
                by_practice: counts(pool, "referrer_ods", organisation, from, to).await?,
                by_referrer_organisation: counts(
                    pool,
                    "referrer_organisation",
                    organisation,
                    from,
                    to,
                )
                .await?,
                by_reason: reason_counts(pool, organisation, from, to).await?,
                by_status: counts(pool, "status", organisation, from, to).await?,
                first_contact: first_contact(pool, organisation, from, to).await?,
                connections_by_category: connection_counts(
                    pool,
                    &first_in_json_list("a.categories"),
                    organisation,
                    from,
                    to,
                )
                .await?,
                connections_by_status: connection_counts(pool, "c.status", organisation, from, to)
                    .await?,
                outcomes: outcome_changes(pool, organisation, from, to).await?,
            })
        })
        .await
    }
}
