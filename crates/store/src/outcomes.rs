//! Outcome measurements, organisations' instrument wording, and the referrer's status view.

use async_trait::async_trait;
use socialrx_domain::outcome::{Instrument, NewMeasurement, ScaleScore, TimePoint};
use socialrx_domain::referral::Status;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{AuditContext, StoreError};

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
    pub status: Status,
    pub received_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
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

    /// The limited status view of a referral, audited as `read_status`.
    async fn referral_status(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<ReferralStatusView, StoreError>;

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
