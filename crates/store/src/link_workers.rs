//! Link workers: the staff who hold caseloads, managed by coordinators.

use async_trait::async_trait;
use socialrx_domain::link_worker::{LinkWorker, NewLinkWorker};
use uuid::Uuid;

use crate::{AuditContext, Page, PageRequest, StoreError};

#[derive(Debug, Clone, Default)]
pub struct LinkWorkerFilter {
    pub active: Option<bool>,
}

/// A link worker in a list, with the open referrals (assigned or in progress) they hold,
/// so that work can be handed out by capacity without a call per worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLinkWorker {
    pub worker: LinkWorker,
    pub open: u32,
}

/// The result of a write guarded by a version (`If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versioned<T> {
    Saved(T),
    /// The record changed since the caller read it; nothing was written.
    Stale {
        current_version: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// The link worker has been assigned referrals: their history keeps them. Deactivate
    /// them instead.
    InUse,
}

#[async_trait]
pub trait LinkWorkerStore {
    /// Adds a link worker, audited as `create`. A subject the organisation already uses is
    /// `Conflict`.
    async fn create_link_worker(
        &self,
        audit: &AuditContext,
        worker: NewLinkWorker,
    ) -> Result<LinkWorker, StoreError>;

    /// One link worker of the caller's organisation.
    async fn get_link_worker(
        &self,
        audit: &AuditContext,
        id: Uuid,
    ) -> Result<LinkWorker, StoreError>;

    /// The link worker whose tokens carry `subject`.
    async fn find_link_worker(
        &self,
        audit: &AuditContext,
        subject: &str,
    ) -> Result<LinkWorker, StoreError>;

    /// A page of the organisation's link workers, oldest first, each with their open
    /// referrals counted.
    async fn list_link_workers(
        &self,
        audit: &AuditContext,
        filter: &LinkWorkerFilter,
        page: PageRequest,
    ) -> Result<Page<ListedLinkWorker>, StoreError>;

    /// Replaces a link worker's details, audited as `update`. With `expected_versions`
    /// (from `If-Match`), only when the stored version is one of them.
    async fn update_link_worker(
        &self,
        audit: &AuditContext,
        id: Uuid,
        expected_versions: Option<&[u32]>,
        worker: NewLinkWorker,
    ) -> Result<Versioned<LinkWorker>, StoreError>;

    /// Removes a link worker who was never assigned a referral, audited as `delete`.
    async fn delete_link_worker(
        &self,
        audit: &AuditContext,
        id: Uuid,
    ) -> Result<Deletion, StoreError>;
}
