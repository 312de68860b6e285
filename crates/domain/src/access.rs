//! Roles and the one permission table. Every operation names a permission; every role
//! grants a fixed set of them. The README and the OpenAPI spec are generated from this.

use crate::code_list;

code_list!(
    Role {
        Referrer => "referrer",
        LinkWorker => "link_worker",
        Coordinator => "coordinator",
        DirectoryEditor => "directory_editor",
        Admin => "admin",
    }
);

code_list!(
    /// What an operation needs.
    Permission {
        CreateReferral => "create_referral",
        ReadReferral => "read_referral",
        ReadAudit => "read_audit",
        ExportPerson => "export_person",
        ManageOrganisations => "manage_organisations",
        ManageStaff => "manage_staff",
        ManagePartners => "manage_partners",
        RecordOutcome => "record_outcome",
        ReadOutcomes => "read_outcomes",
        ManageInstruments => "manage_instruments",
        ReadReferralStatus => "read_referral_status",
        ManageWebhooks => "manage_webhooks",
        ReadReports => "read_reports",
    }
);

impl Permission {
    /// The roles that hold this permission.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::CreateReferral => &[Referrer, LinkWorker, Coordinator],
            Permission::ReadReferral => &[Referrer, LinkWorker, Coordinator],
            Permission::ReadAudit => &[Coordinator, Admin],
            Permission::ExportPerson => &[Coordinator, Admin],
            Permission::ManageOrganisations => &[Admin],
            Permission::ManageStaff => &[Admin],
            Permission::ManagePartners => &[Admin],
            Permission::RecordOutcome => &[LinkWorker, Coordinator],
            Permission::ReadOutcomes => &[LinkWorker, Coordinator],
            Permission::ManageInstruments => &[Coordinator, Admin],
            // The referrer's limited view: status, dates and an outcome summary, no notes.
            Permission::ReadReferralStatus => &[Referrer, LinkWorker, Coordinator],
            Permission::ManageWebhooks => &[Admin],
            Permission::ReadReports => &[Coordinator],
        }
    }

    pub fn granted_to(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.roles().contains(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_may_send_and_read_referrals() {
        assert!(Permission::CreateReferral.granted_to(&[Role::Referrer]));
        assert!(Permission::ReadReferral.granted_to(&[Role::Referrer]));
    }

    #[test]
    fn directory_editors_may_not_touch_referrals() {
        assert!(!Permission::CreateReferral.granted_to(&[Role::DirectoryEditor]));
        assert!(!Permission::ReadReferral.granted_to(&[Role::DirectoryEditor]));
        assert!(!Permission::ReadReferral.granted_to(&[]));
    }
}
