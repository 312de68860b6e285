//! The referral lifecycle: decisions (accept, decline, close), assignment to a link worker,
//! the status history, and possible duplicates.

use async_trait::async_trait;
use socialrx_domain::duplicates::Resolution;
use socialrx_domain::link_worker::Refusal;
use socialrx_domain::referral::{IllegalTransition, Move, MoveReason, Status};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AuditContext, StoreError};

/// One move of a referral's status, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub id: Uuid,
    pub referral_id: Uuid,
    /// `None` for the first entry, made at intake.
    pub from: Option<Status>,
    pub to: Status,
    pub reason: Option<MoveReason>,
    pub note: Option<String>,
    pub actor: String,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transitioned {
    Moved(StatusChange),
    /// The state machine does not allow the move from where the referral is now.
    Refused(IllegalTransition),
}

/// A request to give a referral to a link worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAssignment {
    pub link_worker_id: Uuid,
    /// Assign even when the link worker is at capacity.
    pub override_capacity: bool,
    pub note: Option<String>,
}

/// One assignment or reassignment, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub link_worker_id: Uuid,
    /// Who held it before: a reassignment.
    pub previous_link_worker_id: Option<Uuid>,
    pub capacity_overridden: bool,
    pub note: Option<String>,
    pub actor: String,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    /// Assigned (an `accepted` referral moves to `assigned`) or reassigned (the status
    /// stays). `status` is the referral's status afterwards.
    Done {
        assignment: Assignment,
        status: Status,
    },
    /// Already assigned to that link worker: nothing was written. `assignment` is the one
    /// that made it so.
    Unchanged {
        assignment: Assignment,
        status: Status,
    },
    /// Only `accepted` referrals are assigned and only `assigned` or `in_progress` ones
    /// reassigned.
    WrongState(Status),
    /// No such link worker in the organisation.
    NoSuchLinkWorker,
    Refused(Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Done,
    /// A merge closes the other referral, which is no longer open.
    OtherNotOpen(Status),
}

#[async_trait]
pub trait LifecycleStore {
    /// Moves a referral if the state machine allows it from its current state, recording
    /// who, when and why, audited as `update`.
    async fn transition_referral(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        decision: Move,
    ) -> Result<Transitioned, StoreError>;

    /// Every status change of a referral, oldest first, audited as `read`.
    async fn referral_history(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<StatusChange>, StoreError>;

    /// Assigns or reassigns a referral, checking the link worker's capacity and active
    /// flag; every assignment is kept. Audited as `update`.
    async fn assign_referral(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        assignment: NewAssignment,
    ) -> Result<Assigned, StoreError>;

    /// Resolves an open possible-duplicate flag between two referrals (both directions).
    /// `Merged` closes `other_id` with closure reason `duplicate`. No open flag between the
    /// two is `NotFound`. Audited as `update` on both.
    async fn resolve_duplicate(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        other_id: Uuid,
        resolution: Resolution,
    ) -> Result<Resolved, StoreError>;
}
