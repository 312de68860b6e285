//! Working with the person: contacts, the plan, and the referral's timeline.

use async_trait::async_trait;
use socialrx_domain::connection::ConnectionStatus;
use socialrx_domain::contact::{Contact, NewContact};
use socialrx_domain::duplicates::Resolution;
use socialrx_domain::outcome::{Instrument, TimePoint};
use socialrx_domain::plan::{Plan, StoredPlan};
use socialrx_domain::referral::Status;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Assignment, AuditContext, StatusChange, StoreError, Versioned};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactRecorded {
    /// Recorded; `status` is the referral's status afterwards (`in_progress` after the
    /// first contact of an `assigned` referral).
    Recorded { contact: Contact, status: Status },
    /// Contacts are recorded on `assigned` and `in_progress` referrals only.
    WrongState(Status),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanSaved {
    Saved(StoredPlan),
    Stale {
        current_version: u32,
    },
    /// Plans of declined and closed referrals are kept as they were.
    NotOpen(Status),
}

impl From<Versioned<StoredPlan>> for PlanSaved {
    fn from(v: Versioned<StoredPlan>) -> Self {
        match v {
            Versioned::Saved(p) => PlanSaved::Saved(p),
            Versioned::Stale { current_version } => PlanSaved::Stale { current_version },
        }
    }
}

/// One event in a referral's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEvent {
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub actor: String,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    StatusChanged(StatusChange),
    Assigned(Assignment),
    Contact(Contact),
    PlanUpdated {
        version: u32,
        /// Steps planned, done and dropped in that version.
        steps: [usize; 3],
    },
    DuplicateFlagged {
        other_referral_id: Uuid,
    },
    DuplicateResolved {
        other_referral_id: Uuid,
        resolution: Resolution,
    },
    /// A connection to an activity was made (`from` empty) or moved on.
    Connection(ConnectionMove),
    /// An outcome measurement was recorded (its answers stay with the outcomes).
    OutcomeRecorded {
        measurement_id: Uuid,
        instrument: Instrument,
        time_point: TimePoint,
        measured_on: time::Date,
    },
}

/// One step in a connection's history, with the activity it is to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionMove {
    pub connection_id: Uuid,
    pub activity_id: Uuid,
    pub activity_name: String,
    pub from: Option<ConnectionStatus>,
    pub to: ConnectionStatus,
    pub note: Option<String>,
}

#[async_trait]
pub trait CaseworkStore {
    /// Records a contact, audited as `create`. The first contact of an `assigned` referral
    /// moves it to `in_progress`; the newest contact sets the next follow-up date. A
    /// contact that happened before the referral was received is `Invalid` (field
    /// `occurred_at`) and nothing is written.
    async fn record_contact(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        contact: NewContact,
    ) -> Result<ContactRecorded, StoreError>;

    /// A referral's contacts in the order they happened, audited as `read`.
    async fn list_contacts(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<Contact>, StoreError>;

    /// The referral's plan (version 0, empty, until first saved), audited as `read`.
    async fn get_plan(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<StoredPlan, StoreError>;

    /// Saves a new version of the plan if the current version is one of `expected_versions`
    /// (from `If-Match`). Audited as `update`.
    async fn put_plan(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        expected_versions: &[u32],
        plan: Plan,
    ) -> Result<PlanSaved, StoreError>;

    /// Every event of the referral in the order it happened, audited as `read`.
    async fn timeline(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<TimelineEvent>, StoreError>;
}
