//! Connections of referrals to activities. Personal data: every read and write is scoped
//! to the caller's organisation and audited in the same transaction.

use async_trait::async_trait;
use socialrx_domain::connection::{
    Connection, ConnectionStatus, IllegalMove, NewConnection, StatusChange,
};
use uuid::Uuid;

use crate::{AuditContext, StoreError};

#[async_trait]
pub trait ConnectionStore {
    /// Connects a referral of the caller's organisation to an activity, `suggested`.
    /// A referral of another organisation, or an unknown activity, is `NotFound`. While
    /// the referral has an open connection to the activity (see
    /// `connection::already_connected`) nothing is written: `AlreadyExists`, naming it.
    async fn create_connection(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        connection: NewConnection,
    ) -> Result<Connection, StoreError>;

    /// Moves a connection on, recording the move. A move the rules forbid changes
    /// nothing and comes back as the inner `Err`.
    async fn change_connection_status(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        connection_id: Uuid,
        change: StatusChange,
    ) -> Result<Result<Connection, IllegalMove>, StoreError>;

    /// A referral's connections, oldest first, each with its history.
    async fn list_connections(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Vec<Connection>, StoreError>;

    /// How many connections an activity has in each status, across organisations:
    /// counts only, never who.
    async fn connection_counts(
        &self,
        activity_id: Uuid,
    ) -> Result<Vec<(ConnectionStatus, u64)>, StoreError>;
}
