//! Organisations (tenants) and their staff.

use async_trait::async_trait;
use socialrx_domain::organisation::{NewOrganisation, NewStaffMember, OrganisationKind};
use socialrx_domain::{OdsCode, Role};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Page, PageRequest, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: Uuid,
    pub ods_code: OdsCode,
    pub name: String,
    pub kind: OrganisationKind,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub organisation: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

#[async_trait]
pub trait OrganisationStore {
    /// Registers an organisation; its ODS code already registered is `Conflict`.
    async fn create_organisation(&self, new: NewOrganisation) -> Result<Organisation, StoreError>;

    /// Registered organisations by ODS code.
    async fn list_organisations(&self, page: PageRequest)
    -> Result<Page<Organisation>, StoreError>;

    /// One registered organisation by id (any organisation: the register is shared).
    async fn get_organisation(&self, id: Uuid) -> Result<Organisation, StoreError>;

    /// Adds a member of staff to `organisation`; a subject already there is `Conflict`.
    async fn create_staff_member(
        &self,
        organisation: &str,
        new: NewStaffMember,
    ) -> Result<StaffMember, StoreError>;

    /// The organisation's staff, oldest first.
    async fn list_staff(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<StaffMember>, StoreError>;
}
