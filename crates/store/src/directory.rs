//! The activity directory: providers and activities. Public data, so reads take no audit
//! context; writes are scoped to the organisation that owns the record.

use async_trait::async_trait;
use socialrx_domain::directory::{Activity, NewActivity, NewProvider, Provider};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Page, PageRequest, StoreError};

/// What an import did with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// What a search index saved by an earlier start is checked against: built from this
/// database and caught up, it holds `searchable` activities, none changed after
/// `latest_change`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectorySummary {
    /// Live (not deleted) activities whose status is `active`: the ones search finds.
    pub searchable: u64,
    /// The latest change stamp of any activity, deleted or not.
    pub latest_change: Option<OffsetDateTime>,
}

/// One change to the directory, as the search index follows it.
#[derive(Debug, Clone)]
pub enum ActivityChange {
    Upserted(Box<Activity>),
    /// Removed at `version` (a removal counts as a version, and an import may bring the
    /// activity back at a later one).
    Deleted {
        id: Uuid,
        version: i64,
    },
}

#[async_trait]
pub trait DirectoryStore {
    async fn create_provider(
        &self,
        organisation: &str,
        provider: NewProvider,
    ) -> Result<Provider, StoreError>;

    /// Replaces a provider of `organisation`; another organisation's is `NotFound`.
    async fn update_provider(
        &self,
        organisation: &str,
        id: Uuid,
        provider: NewProvider,
    ) -> Result<Provider, StoreError>;

    async fn get_provider(&self, id: Uuid) -> Result<Provider, StoreError>;

    /// Providers in id order (oldest first).
    async fn list_providers(&self, page: PageRequest) -> Result<Page<Provider>, StoreError>;

    /// Stores an activity of `organisation`. The provider must be one of its own
    /// (`NotFound` otherwise).
    async fn create_activity(
        &self,
        organisation: &str,
        activity: NewActivity,
    ) -> Result<Activity, StoreError>;

    /// Replaces an activity of `organisation`. With `expected_version`, a record changed
    /// meanwhile is `VersionMismatch` and nothing is written.
    async fn update_activity(
        &self,
        organisation: &str,
        id: Uuid,
        expected_version: Option<i64>,
        activity: NewActivity,
    ) -> Result<Activity, StoreError>;

    /// Removes an activity from the directory. The row stays (connections point at it)
    /// but is never read again.
    async fn delete_activity(&self, organisation: &str, id: Uuid) -> Result<(), StoreError>;

    async fn get_activity(&self, id: Uuid) -> Result<Activity, StoreError>;

    /// Live activities imported with this feed id (`external_id`), oldest first. Feed ids
    /// are unique within an organisation only, so two organisations importing the same
    /// feed give two.
    async fn activities_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Vec<Activity>, StoreError>;

    /// Live activities in id order, for building the search index in pages.
    async fn list_activities(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Activity>, StoreError>;

    /// Every activity changed (or deleted) at or after `since`, oldest change first.
    async fn activities_changed_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<(OffsetDateTime, ActivityChange)>, StoreError>;

    /// How many activities search should hold and the latest change stamp (see
    /// [`DirectorySummary`]).
    async fn directory_summary(&self) -> Result<DirectorySummary, StoreError>;

    /// Import: creates the provider with this `external_id`, or brings it up to date.
    async fn upsert_provider(
        &self,
        organisation: &str,
        provider: NewProvider,
    ) -> Result<(Provider, Upserted), StoreError>;

    /// Import: creates the activity with this `external_id`, or brings it up to date;
    /// an identical record is left alone (its version does not move).
    async fn upsert_activity(
        &self,
        organisation: &str,
        activity: NewActivity,
    ) -> Result<(Activity, Upserted), StoreError>;
}
