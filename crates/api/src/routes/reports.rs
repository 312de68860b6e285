//! Reports for coordinators: `GET /v1/reports/summary`, as JSON or CSV.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::Violations;
use socialrx_domain::violations::Invalid;
use socialrx_store::{CodeCount, Store, Summary};
use time::{Date, OffsetDateTime, Time};
use utoipa::{IntoParams, ToSchema};

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;

pub const ENDPOINTS: &[Endpoint] = &[endpoint!(summary_report, ReadReports)];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "reports", description = "Numbers for commissioners, computed by the database"))
)]
pub struct Api;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// First day (UTC) of referrals received, `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    pub from: Option<String>,
    /// Last day (UTC) of referrals received, inclusive, `YYYY-MM-DD`; at most 366 days
    /// after `from`.
    #[param(value_type = String, format = Date)]
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountResponse {
    /// The code counted; `null` when the field was empty (a referral without a practice).
    pub code: Option<String>,
    pub count: i64,
}

impl From<CodeCount> for CountResponse {
    fn from(c: CodeCount) -> Self {
        Self {
            code: c.code,
            count: c.count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FirstContactResponse {
    /// Referrals in the period that have had a first contact.
    pub referrals: i64,
    /// Days from received to when the first contact with the person happened, one decimal.
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeChangeResponse {
    pub instrument: String,
    pub scale: String,
    /// People (referrals) with a baseline and a later measurement of the instrument.
    pub people_with_baseline_and_follow_up: i64,
    /// Mean of latest minus baseline.
    pub mean_change: f64,
    pub improved: i64,
    /// `improved / people`, rounded to three decimals.
    pub share_improved: f64,
}

/// Referrals received in the period, counted, with first-contact times and outcomes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2026-11-01", "to": "2026-11-30", "referrals": 3, "by_source": [{"code": "gp", "count": 2}, {"code": "self", "count": 1}], "by_practice": [{"code": "B85001", "count": 2}, {"code": null, "count": 1}], "by_referrer_organisation": [{"code": "B85001", "count": 2}, {"code": "Y02794", "count": 1}], "by_reason": [{"code": "loneliness_isolation", "count": 2}], "by_status": [{"code": "received", "count": 3}], "days_to_first_contact": {"referrals": 0, "median_days": null, "p90_days": null}, "connections_by_category": {"nature_and_gardening": 2}, "connections_by_status": {"attending": 1, "suggested": 1}, "outcomes": []}))]
pub struct SummaryResponse {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub referrals: i64,
    pub by_source: Vec<CountResponse>,
    /// By the referrer's ODS code as the referral gave it (`referrer.ods_code`).
    pub by_practice: Vec<CountResponse>,
    /// By the organisation that sent the referral: the ODS code of the token it was
    /// posted with (your own for referrals you recorded, and for self-referrals).
    pub by_referrer_organisation: Vec<CountResponse>,
    /// A referral with several reasons counts once for each.
    pub by_reason: Vec<CountResponse>,
    pub by_status: Vec<CountResponse>,
    pub days_to_first_contact: FirstContactResponse,
    /// Connections of these referrals to activities, by the activity's main (first)
    /// category: each connection counts once.
    pub connections_by_category: BTreeMap<String, i64>,
    /// Connections of these referrals, by their current status.
    pub connections_by_status: BTreeMap<String, i64>,
    pub outcomes: Vec<OutcomeChangeResponse>,
}

/// Counts keyed by code (a connection's activity always has a category and a status).
fn by_code(counts: Vec<CodeCount>) -> BTreeMap<String, i64> {
    counts
        .into_iter()
        .map(|c| (c.code.unwrap_or_default(), c.count))
        .collect()
}

impl SummaryResponse {
    fn new(from: Date, to: Date, s: Summary) -> Self {
        Self {
            from: from.to_string(),
            to: to.to_string(),
            referrals: s.referrals,
            by_source: s.by_source.into_iter().map(CountResponse::from).collect(),
            by_practice: s.by_practice.into_iter().map(CountResponse::from).collect(),
            by_referrer_organisation: s
                .by_referrer_organisation
                .into_iter()
                .map(CountResponse::from)
                .collect(),
            by_reason: s.by_reason.into_iter().map(CountResponse::from).collect(),
            by_status: s.by_status.into_iter().map(CountResponse::from).collect(),
            days_to_first_contact: FirstContactResponse {
                referrals: s.first_contact.referrals,
                median_days: s.first_contact.median,
                p90_days: s.first_contact.p90,
            },
            connections_by_category: by_code(s.connections_by_category),
            connections_by_status: by_code(s.connections_by_status),
            outcomes: s
                .outcomes
                .into_iter()
                .map(|o| OutcomeChangeResponse {
                    share_improved: if o.people > 0 {
                        (o.improved as f64 / o.people as f64 * 1000.0).round() / 1000.0
                    } else {
                        0.0
                    },
                    instrument: o.instrument,
                    scale: o.scale,
                    people_with_baseline_and_follow_up: o.people,
                    mean_change: o.mean_change,
                    improved: o.improved,
                })
                .collect(),
        }
    }

    /// The same numbers as rows of `section,code,measure,value`.
    fn to_csv(&self) -> String {
        let mut out = String::from("section,code,measure,value\r\n");
        let mut row = |section: &str, code: &str, measure: &str, value: String| {
            let _ = write!(out, "{section},{code},{measure},{value}\r\n");
        };
        row("period", "", "from", self.from.clone());
        row("period", "", "to", self.to.clone());
        row("referrals", "", "count", self.referrals.to_string());
        for (section, counts) in [
            ("by_source", &self.by_source),
            ("by_practice", &self.by_practice),
            ("by_referrer_organisation", &self.by_referrer_organisation),
            ("by_reason", &self.by_reason),
            ("by_status", &self.by_status),
        ] {
            for c in counts {
                row(
                    section,
                    c.code.as_deref().unwrap_or(""),
                    "count",
                    c.count.to_string(),
                );
            }
        }
        let f = &self.days_to_first_contact;
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        row(
            "days_to_first_contact",
            "",
            "referrals",
            f.referrals.to_string(),
        );
        row(
            "days_to_first_contact",
            "",
            "median_days",
            opt(f.median_days),
        );
        row("days_to_first_contact", "", "p90_days", opt(f.p90_days));
        for (section, map) in [
            ("connections_by_category", &self.connections_by_category),
            ("connections_by_status", &self.connections_by_status),
        ] {
            for (code, n) in map {
                row(section, code, "count", n.to_string());
            }
        }
        for o in &self.outcomes {
            let code = format!("{}.{}", o.instrument, o.scale);
            row(
                "outcomes",
                &code,
                "people_with_baseline_and_follow_up",
                o.people_with_baseline_and_follow_up.to_string(),
            );
            row("outcomes", &code, "mean_change", o.mean_change.to_string());
            row("outcomes", &code, "improved", o.improved.to_string());
            row(
                "outcomes",
                &code,
                "share_improved",
                o.share_improved.to_string(),
            );
        }
        out
    }
}

fn parse_day(raw: &str) -> Result<Date, Invalid> {
    socialrx_domain::when::parse_date(raw)
}

/// The summary report for a period.
///
/// Referrals received from `from` to `to` (inclusive days, UTC): counts by source, by
/// referring practice, by reason and by status; median and 90th percentile days from
/// received to first contact; connections by activity category and status; and for each
/// instrument and scale, the people with a baseline and a later measurement, the mean
/// change from baseline to the latest measurement and the share who improved. Every
/// number is computed by the database. Send `Accept: text/csv` for the same numbers as
/// CSV rows of `section,code,measure,value`.
#[utoipa::path(get, path = "/v1/reports/summary", tag = "reports", operation_id = "summary_report",
    security(("bearer" = [])),
    params(SummaryQuery),
    responses(
        (status = 200, description = "The report (JSON, or CSV with Accept: text/csv)", body = SummaryResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` or `to` is missing or not a date, or the period is not 1 to 366 days", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn summary_report(
    req: HttpRequest,
    caller: Authorized,
    query: web::Query<SummaryQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Violations::new();
    let required =
        |x: Option<String>| x.ok_or_else(|| Invalid::new("required", "is required, as YYYY-MM-DD"));
    let from = v.check("from", required(q.from).and_then(|s| parse_day(&s)));
    let to = v.check("to", required(q.to).and_then(|s| parse_day(&s)));
    if let (Some(f), Some(t)) = (from, to) {
        let days = (t - f).whole_days();
        if !(0..=365).contains(&days) {
            v.check::<()>(
                "to",
                Err(Invalid::new(
                    "period",
                    "must be on or after from, and at most 366 days after it",
                )),
            );
        }
    }
    let (from, to) = v.finish(|| Some((from?, to?)))?;
    let start = OffsetDateTime::new_utc(from, Time::MIDNIGHT);
    let end = OffsetDateTime::new_utc(to, Time::MIDNIGHT) + time::Duration::days(1);
    let summary = store
        .summary_report(caller.organisation.as_str(), start, end)
        .await?;
    let report = SummaryResponse::new(from, to, summary);
    let wants_csv = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/csv"));
    if wants_csv {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(report.to_csv()))
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}
