//! The referrer's view of a referral: what the organisation that sent it reads back, by
//! the status endpoint, the sent-referrals list and its webhooks alike.
//!
//! Status and its dates, the coded reasons, the decline or closure reason, connections by
//! activity category and status, and the change in outcome scores. Never the person's
//! details, contacts, plans, notes or anything written in free text.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::connection::ConnectionStatus;
use crate::outcome::{self, Instrument, ScaleScore, TimePoint};
use crate::referral::{ClosureReason, DeclineReason, Reason, Source, Status};

/// One move of the status history, as recorded.
#[derive(Debug, Clone)]
pub struct Step {
    pub status: Status,
    pub at: OffsetDateTime,
    /// The reason code recorded with the move.
    pub reason: Option<String>,
}

/// One outcome measurement, as far as the summary needs it.
#[derive(Debug, Clone)]
pub struct Measured<'a> {
    pub instrument: Instrument,
    pub time_point: TimePoint,
    pub measured_on: Date,
    pub scores: &'a [ScaleScore],
}

/// One connection: its activity's categories (main one first) and where it stands.
#[derive(Debug, Clone)]
pub struct Connected {
    pub categories: Vec<String>,
    pub status: ConnectionStatus,
}

/// What the view is built from besides history, connections and measurements.
#[derive(Debug, Clone)]
pub struct Head {
    pub id: Uuid,
    pub reference: String,
    pub status: Status,
    pub source: Source,
    pub reasons: Vec<Reason>,
    pub referrer_organisation: String,
    pub receiving_service: String,
    pub received_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// When the earliest contact happened (its `occurred_at`), as the caseload shows it.
    pub first_contact_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferrerView {
    pub id: Uuid,
    pub reference: String,
    pub status: &'static str,
    pub source: &'static str,
    pub reasons: Vec<&'static str>,
    /// The organisation that sent the referral (ODS code).
    pub referrer_organisation: String,
    /// The service that received it (ODS code).
    pub receiving_service: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub accepted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub declined_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub assigned_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_contact_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    pub assigned: bool,
    pub decline_reason: Option<&'static str>,
    pub closure_reason: Option<&'static str>,
    /// Connections the person took up, by the activity's main category.
    pub connections_by_category: BTreeMap<String, i64>,
    /// Every connection, counted by main category and status.
    pub connections: Vec<ConnectionCount>,
    pub outcomes: Vec<InstrumentSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionCount {
    pub category: String,
    pub status: &'static str,
    pub count: i64,
}

/// Per instrument: the baseline and the latest later measurement, compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstrumentSummary {
    pub instrument: &'static str,
    pub baseline_on: Option<String>,
    pub latest_on: Option<String>,
    pub latest_time_point: Option<&'static str>,
    /// Empty until there is a baseline and a later measurement.
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub scale: &'static str,
    pub baseline: f64,
    pub value: f64,
    pub change: f64,
    pub improved: bool,
}

impl ReferrerView {
    /// `history` and `connections` oldest first; `measured` oldest first.
    pub fn build(
        head: Head,
        history: &[Step],
        connections: &[Connected],
        measured: &[Measured<'_>],
    ) -> Self {
        let first = |s: Status| history.iter().find(|h| h.status == s).map(|h| h.at);
        let last = |s: Status| history.iter().rfind(|h| h.status == s);
        let closed = last(Status::Closed);
        let declined = last(Status::Declined);
        let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
        let mut counts: BTreeMap<(String, ConnectionStatus), i64> = BTreeMap::new();
        for c in connections {
            let Some(main) = c.categories.first() else {
                continue;
            };
            *counts.entry((main.clone(), c.status)).or_default() += 1;
            if c.status.taken_up() {
                *by_category.entry(main.clone()).or_default() += 1;
            }
        }
        Self {
            id: head.id,
            reference: head.reference,
            status: head.status.as_str(),
            source: head.source.as_str(),
            reasons: head.reasons.iter().map(|r| r.as_str()).collect(),
            referrer_organisation: head.referrer_organisation,
            receiving_service: head.receiving_service,
            received_at: head.received_at,
            updated_at: head.updated_at,
            accepted_at: first(Status::Accepted),
            declined_at: declined.map(|h| h.at),
            assigned_at: first(Status::Assigned),
            // When the first contact happened, not when the move to `in_progress` it
            // caused was recorded: a contact written up days later, or back-dated, would
            // otherwise show a later first contact here than in the caseload.
            first_contact_at: head.first_contact_at,
            closed_at: closed.map(|h| h.at),
            assigned: matches!(head.status, Status::Assigned | Status::InProgress)
                || first(Status::Assigned).is_some(),
            // Only codes from the closed lists ever leave: never free text.
            decline_reason: declined
                .and_then(|h| h.reason.as_deref())
                .and_then(|r| DeclineReason::parse(r).ok())
                .map(DeclineReason::as_str),
            closure_reason: closed
                .and_then(|h| h.reason.as_deref())
                .and_then(|r| ClosureReason::parse(r).ok())
                .map(ClosureReason::as_str),
            connections_by_category: by_category,
            connections: counts
                .into_iter()
                .map(|((category, status), count)| ConnectionCount {
                    category,
                    status: status.as_str(),
                    count,
                })
                .collect(),
            outcomes: summaries(measured),
        }
    }
}

/// One summary per instrument measured, in the instruments' order. `all` is oldest first.
pub fn summaries(all: &[Measured<'_>]) -> Vec<InstrumentSummary> {
    Instrument::ALL
        .iter()
        .filter(|i| all.iter().any(|m| m.instrument == **i))
        .map(|&instrument| {
            let baseline = all
                .iter()
                .find(|m| m.instrument == instrument && m.time_point == TimePoint::Baseline);
            let latest = all
                .iter()
                .rfind(|m| m.instrument == instrument && m.time_point != TimePoint::Baseline);
            let changes = match (baseline, latest) {
                (Some(b), Some(l)) => outcome::compare(b.scores, l.scores)
                    .into_iter()
                    .map(|c| Change {
                        scale: c.scale,
                        baseline: c.baseline,
                        value: c.value,
                        change: c.change,
                        improved: c.improved,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            InstrumentSummary {
                instrument: instrument.as_str(),
                baseline_on: baseline.map(|b| b.measured_on.to_string()),
                latest_on: latest.map(|l| l.measured_on.to_string()),
                latest_time_point: latest.map(|l| l.time_point.as_str()),
                changes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn head(status: Status) -> Head {
        Head {
            id: Uuid::nil(),
            reference: "SRX-7K3M-9QPD".into(),
            status,
            source: Source::Gp,
            reasons: vec![Reason::LonelinessIsolation],
            referrer_organisation: "B85001".into(),
            receiving_service: "Y02794".into(),
            received_at: datetime!(2026-11-20 10:20 UTC),
            updated_at: datetime!(2026-11-24 10:00 UTC),
            first_contact_at: None,
        }
    }

    #[test]
    fn the_first_contact_is_when_it_happened_not_when_it_was_recorded() {
        let happened = datetime!(2026-11-21 15:00 UTC);
        let recorded = datetime!(2026-11-24 09:00 UTC);
        let view = ReferrerView::build(
            Head {
                first_contact_at: Some(happened),
                ..head(Status::InProgress)
            },
            &[
                step(Status::Received, datetime!(2026-11-20 10:20 UTC), None),
                step(Status::Assigned, datetime!(2026-11-20 11:00 UTC), None),
                step(Status::InProgress, recorded, None),
            ],
            &[],
            &[],
        );
        assert_eq!(view.first_contact_at, Some(happened));
    }

    fn step(status: Status, at: OffsetDateTime, reason: Option<&str>) -> Step {
        Step {
            status,
            at,
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn declined_and_merely_suggested_connections_are_not_counted_as_taken_up() {
        let c = |cat: &str, status| Connected {
            categories: vec![cat.into(), "other".into()],
            status,
        };
        let view = ReferrerView::build(
            head(Status::InProgress),
            &[],
            &[
                c("arts_and_crafts", ConnectionStatus::Attending),
                c("arts_and_crafts", ConnectionStatus::Declined),
                c("nature_and_gardening", ConnectionStatus::Suggested),
                c("arts_and_crafts", ConnectionStatus::Completed),
            ],
            &[],
        );
        assert_eq!(
            view.connections_by_category,
            BTreeMap::from([("arts_and_crafts".into(), 2)])
        );
        assert_eq!(
            view.connections,
            vec![
                ConnectionCount {
                    category: "arts_and_crafts".into(),
                    status: "attending",
                    count: 1
                },
                ConnectionCount {
                    category: "arts_and_crafts".into(),
                    status: "completed",
                    count: 1
                },
                ConnectionCount {
                    category: "arts_and_crafts".into(),
                    status: "declined",
                    count: 1
                },
                ConnectionCount {
                    category: "nature_and_gardening".into(),
                    status: "suggested",
                    count: 1
                },
            ]
        );
    }

    #[test]
    fn only_coded_reasons_leave_never_free_text() {
        let at = datetime!(2026-11-21 09:00 UTC);
        let declined = ReferrerView::build(
            head(Status::Declined),
            &[
                step(Status::Received, at, None),
                step(Status::Declined, at, Some("Margaret told me")),
            ],
            &[],
            &[],
        );
        assert_eq!(declined.decline_reason, None);
        assert_eq!(declined.declined_at, Some(at));
        let closed = ReferrerView::build(
            head(Status::Closed),
            &[
                step(Status::Assigned, at, None),
                step(Status::Closed, at, Some("goals_met")),
            ],
            &[],
            &[],
        );
        assert_eq!(closed.closure_reason, Some("goals_met"));
        assert!(closed.assigned);
        assert_eq!(closed.assigned_at, Some(at));
    }

    #[test]
    fn the_view_holds_no_person_details_or_notes() {
        let json = serde_json::to_value(ReferrerView::build(head(Status::Received), &[], &[], &[]))
            .unwrap();
        for key in [
            "person",
            "notes",
            "contacts",
            "plan",
            "given_name",
            "nhs_number",
        ] {
            assert!(json.get(key).is_none(), "{key}");
        }
    }
}
