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
        TransitionReferral => "transition_referral",
        AssignReferral => "assign_referral",
        ResolveDuplicates => "resolve_duplicates",
        ReadQueue => "read_queue",
        ManageLinkWorkers => "manage_link_workers",
        ReadLinkWorkers => "read_link_workers",
        ReadCaseload => "read_caseload",
        RecordContact => "record_contact",
        ReadCaseRecord => "read_case_record",
        EditPlan => "edit_plan",
        EditDirectory => "edit_directory",
        ManageConnections => "manage_connections",
        ReadConnections => "read_connections",
        ReadConnectionCounts => "read_connection_counts",
        ManageReferralAgreements => "manage_referral_agreements",
        ReadSentReferrals => "read_sent_referrals",
        ReadRisks => "read_risks",
        ManageRisks => "manage_risks",
        WriteMessageBack => "write_message_back",
        ReadSummary => "read_summary",
    }
);

impl Permission {
    /// The roles that hold this permission.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::CreateReferral => &[Referrer, LinkWorker, Coordinator],
            // The full record (the person, notes, duplicates) is the receiving service's:
            // referrers read the referrer's view (`ReadReferralStatus`, `ReadSentReferrals`).
            Permission::ReadReferral => &[LinkWorker, Coordinator],
            Permission::ReadAudit => &[Coordinator, Admin],
            Permission::ExportPerson => &[Coordinator, Admin],
            Permission::ManageOrganisations => &[Admin],
            Permission::ManageStaff => &[Admin],
            Permission::ManagePartners => &[Admin],
            Permission::RecordOutcome => &[LinkWorker, Coordinator],
            Permission::ReadOutcomes => &[LinkWorker, Coordinator],
            Permission::ManageInstruments => &[Coordinator, Admin],
            // The referrer's limited view: status, dates and an outcome summary, no notes.
            // A referrer reaches only what its organisation sent; staff, what they hold.
            Permission::ReadReferralStatus => &[Referrer, LinkWorker, Coordinator],
            // The referrals an organisation sent, to any service, in the referrer's view.
            Permission::ReadSentReferrals => &[Referrer, Coordinator],
            // Who may refer into the service is the service's admin's decision.
            Permission::ManageReferralAgreements => &[Admin],
            Permission::ManageWebhooks => &[Admin],
            Permission::ReadReports => &[Coordinator],
            // Triage and closing: the people who work the referral.
            Permission::TransitionReferral => &[LinkWorker, Coordinator],
            // Handing out work, and deciding about duplicates, is the coordinator's job.
            Permission::AssignReferral => &[Coordinator],
            Permission::ResolveDuplicates => &[Coordinator],
            Permission::ReadQueue => &[Coordinator],
            Permission::ManageLinkWorkers => &[Coordinator],
            Permission::ReadLinkWorkers => &[LinkWorker, Coordinator],
            // Link workers read only their own caseload (see `caseload::CaseloadScope`).
            Permission::ReadCaseload => &[LinkWorker, Coordinator],
            // Contacts, plans, history and timeline: the case record, not for referrers.
            Permission::RecordContact => &[LinkWorker, Coordinator],
            Permission::ReadCaseRecord => &[LinkWorker, Coordinator],
            Permission::EditPlan => &[LinkWorker, Coordinator],
            Permission::EditDirectory => &[DirectoryEditor],
            Permission::ManageConnections => &[LinkWorker, Coordinator],
            // Connections carry the link worker's notes: the case record. The referrer
            // reads them summarised by category and status in its view.
            Permission::ReadConnections => &[LinkWorker, Coordinator],
            // A provider sees how many people its activities receive, never who.
            Permission::ReadConnectionCounts => &[DirectoryEditor, LinkWorker, Coordinator],
            // Risks and safeguarding: the receiving service's staff who work with the
            // person; never referrers, directory editors or admins.
            Permission::ReadRisks => &[LinkWorker, Coordinator],
            Permission::ManageRisks => &[LinkWorker, Coordinator],
            // The message back to the GP is written by the people who did the work...
            Permission::WriteMessageBack => &[LinkWorker, Coordinator],
            // ...and read by the organisation that sent the referral (without risks and
            // safeguarding) and by the service that holds it.
            Permission::ReadSummary => &[Referrer, LinkWorker, Coordinator],
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
    fn referrers_may_send_referrals_and_read_back_only_the_referrers_view() {
        assert!(Permission::CreateReferral.granted_to(&[Role::Referrer]));
        assert!(Permission::ReadReferralStatus.granted_to(&[Role::Referrer]));
        assert!(Permission::ReadSentReferrals.granted_to(&[Role::Referrer]));
        assert!(!Permission::ReadReferral.granted_to(&[Role::Referrer]));
        assert!(!Permission::ReadConnections.granted_to(&[Role::Referrer]));
    }

    #[test]
    fn only_admins_decide_who_may_refer_in() {
        assert_eq!(Permission::ManageReferralAgreements.roles(), &[Role::Admin]);
    }

    #[test]
    fn referrers_may_not_read_or_change_the_case_record() {
        for p in [
            Permission::TransitionReferral,
            Permission::AssignReferral,
            Permission::ReadCaseload,
            Permission::ReadCaseRecord,
            Permission::RecordContact,
            Permission::EditPlan,
            Permission::ReadQueue,
        ] {
            assert!(!p.granted_to(&[Role::Referrer]), "{p}");
            assert!(!p.granted_to(&[Role::DirectoryEditor]), "{p}");
        }
    }

    #[test]
    fn only_coordinators_hand_out_work_and_manage_link_workers() {
        for p in [
            Permission::AssignReferral,
            Permission::ReadQueue,
            Permission::ManageLinkWorkers,
            Permission::ResolveDuplicates,
        ] {
            assert_eq!(p.roles(), &[Role::Coordinator], "{p}");
        }
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
