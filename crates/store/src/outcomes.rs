//! Outcome measurements, organisations' instrument wording, and the referrer's status view.

use async_trait::async_trait;
use socialrx_domain::outcome::{Instrument, NewMeasurement, ScaleScore, TimePoint};
use socialrx_domain::referral::{Reason, Source, Status};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{AuditContext, Page, PageRequest, StoreError};

/// Which referrals a read reaches from the caller's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Those it holds, as the receiving service.
    Held,
    /// Those it sent, as the referrer organisation (to itself or to another service).
    Sent,
    /// Either: the receiving service's staff reading the referrer's view.
    HeldOrSent,
}

/// Which sent referrals to list; the filters combine with AND.
#[derive(Debug, Clone, Default)]
pub struct SentFilter {
    pub status: Option<Status>,
    /// Received on or after this day (UTC).
    pub received_from: Option<Date>,
    /// Received on or before this day (UTC).
    pub received_to: Option<Date>,
}

/// One stored measurement with the scores the domain computed for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub instrument: Instrument,
    pub time_point: TimePoint,
    pub measured_on: Date,
    pub answers: Vec<i64>,
    pub scores: Vec<ScaleScore>,
    pub recorded_by: String,
    pub recorded_at: OffsetDateTime,
}

/// An organisation's own licensed wording of an instrument's items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentWording {
    pub instrument: Instrument,
    pub items: Vec<String>,
    /// Who licensed it and how (free text kept for the organisation's own records).
    pub licence: Option<String>,
    pub updated_at: OffsetDateTime,
}

/// One move in a referral's status history: where it went, when, and the coded reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusStep {
    pub status: Status,
    pub at: OffsetDateTime,
    /// The reason code recorded with the move (a closure reason for `closed`).
    pub reason: Option<String>,
}

/// What a referrer may see of a referral: no person details, no notes.
#[derive(Debug, Clone)]
pub struct ReferralStatusView {
    pub id: Uuid,
    pub reference: String,
    /// The receiving service holding the referral (ODS code).
    pub organisation: String,
    /// The organisation that sent it (ODS code).
    pub referrer_organisation: String,
    pub source: Source,
    pub reasons: Vec<Reason>,
    pub status: Status,
    pub received_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// When the earliest contact happened.
    pub first_contact_at: Option<OffsetDateTime>,
    /// Oldest first, including the first `received`.
    pub history: Vec<StatusStep>,
    /// Every measurement, oldest first.
    pub outcomes: Vec<Measurement>,
    /// The referral's connections to activities, oldest first: codes only.
    pub connections: Vec<ConnectionSummary>,
}

/// A connection as a referrer may see it: the activity's category codes and the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSummary {
    /// The activity's categories, its main one first.
    pub categories: Vec<String>,
    pub status: String,
}

#[async_trait]
pub trait OutcomeStore {
    /// Records a measurement of a referral of the caller's organisation. Inside one
    /// transaction: checks it against the earlier measurements of the same instrument
    /// (`StoreError::Invalid` lists every problem, answers and sequence together), stores
    /// it with its scores, audits `create`, and writes an `outcome.recorded` event to the
    /// webhook outbox. Another organisation's referral is `NotFound`.
    async fn record_outcome(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        new: NewMeasurement,
    ) -> Result<Measurement, StoreError>;

    /// Every measurement of a referral, oldest first, audited as `read`.
    async fn list_outcomes(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<Measurement>, StoreError>;

    /// The limited status view of a referral within `reach` of the caller's organisation,
    /// audited as `read_status` in the trail of the service holding it (naming the
    /// reader's organisation when it is another). Out of reach is `NotFound`.
    async fn referral_status(
        &self,
        audit: &AuditContext,
        reach: Reach,
        referral_id: Uuid,
    ) -> Result<ReferralStatusView, StoreError>;

    /// A page of the referrals the caller's organisation sent, to any service, newest
    /// first, as status views; one `list` audit event per holding service.
    async fn list_sent_referrals(
        &self,
        audit: &AuditContext,
        filter: &SentFilter,
        page: PageRequest,
    ) -> Result<Page<ReferralStatusView>, StoreError>;

    /// Sets (or replaces) the organisation's wording of an instrument's items.
    async fn set_instrument_wording(
        &self,
        audit: &AuditContext,
        instrument: Instrument,
        items: Vec<String>,
        licence: Option<String>,
    ) -> Result<InstrumentWording, StoreError>;

    /// The organisation's instrument wordings.
    async fn list_instrument_wordings(
        &self,
        organisation: &str,
    ) -> Result<Vec<InstrumentWording>, StoreError>;
}

impl Measurement {
    /// What an outcome summary needs of this measurement.
    pub fn measured(&self) -> socialrx_domain::referrer_view::Measured<'_> {
        socialrx_domain::referrer_view::Measured {
            instrument: self.instrument,
            time_point: self.time_point,
            measured_on: self.measured_on,
            scores: &self.scores,
        }
    }
}

impl ReferralStatusView {
    /// The referrer's view of this referral (see [`socialrx_domain::referrer_view`]).
    pub fn referrer_view(&self) -> socialrx_domain::referrer_view::ReferrerView {
        use socialrx_domain::connection::ConnectionStatus;
        use socialrx_domain::referrer_view::{Connected, Head, Measured, ReferrerView, Step};
        let history: Vec<Step> = self
            .history
            .iter()
            .map(|h| Step {
                status: h.status,
                at: h.at,
                reason: h.reason.clone(),
            })
            .collect();
        let connections: Vec<Connected> = self
            .connections
            .iter()
            .filter_map(|c| {
                Some(Connected {
                    categories: c.categories.clone(),
                    status: ConnectionStatus::parse(&c.status).ok()?,
                })
            })
            .collect();
        let measured: Vec<Measured<'_>> = self.outcomes.iter().map(Measurement::measured).collect();
        ReferrerView::build(
            Head {
                id: self.id,
                reference: self.reference.clone(),
                status: self.status,
                source: self.source,
                reasons: self.reasons.clone(),
                referrer_organisation: self.referrer_organisation.clone(),
                receiving_service: self.organisation.clone(),
                received_at: self.received_at,
                updated_at: self.updated_at,
                first_contact_at: self.first_contact_at,
            },
            &history,
            &connections,
            &measured,
        )
    }
}
