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
        EditDirectory => "edit_directory",
        ManageConnections => "manage_connections",
        ReadConnections => "read_connections",
        ReadConnectionCounts => "read_connection_counts",
    }
);

impl Permission {
    /// The roles that hold this permission.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::CreateReferral => &[Referrer, LinkWorker, Coordinator],
            Permission::ReadReferral => &[Referrer, LinkWorker, Coordinator],
            Permission::EditDirectory => &[DirectoryEditor],
            Permission::ManageConnections => &[LinkWorker, Coordinator],
            // The referrer reads back what became of the referral (closed loop).
            Permission::ReadConnections => &[Referrer, LinkWorker, Coordinator],
            // A provider sees how many people its activities receive, never who.
            Permission::ReadConnectionCounts => &[DirectoryEditor, LinkWorker, Coordinator],
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
    fn only_directory_editors_change_the_directory() {
        assert!(Permission::EditDirectory.granted_to(&[Role::DirectoryEditor]));
        assert!(!Permission::EditDirectory.granted_to(&[Role::LinkWorker, Role::Referrer]));
        assert!(!Permission::ManageConnections.granted_to(&[Role::DirectoryEditor]));
    }

    #[test]
    fn directory_editors_may_not_touch_referrals() {
        assert!(!Permission::CreateReferral.granted_to(&[Role::DirectoryEditor]));
        assert!(!Permission::ReadReferral.granted_to(&[Role::DirectoryEditor]));
        assert!(!Permission::ReadReferral.granted_to(&[]));
    }
}
