//! Organisations (tenants) and their staff.

use crate::person::Email;
use crate::{OdsCode, Role, code_list};

code_list!(
    /// What kind of organisation a tenant is.
    OrganisationKind {
        SocialPrescribingService => "social_prescribing_service",
        PrimaryCareNetwork => "primary_care_network",
        GpPractice => "gp_practice",
        LocalAuthority => "local_authority",
        VoluntarySector => "voluntary_sector",
        Other => "other",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub ods_code: OdsCode,
    pub name: String,
    pub kind: OrganisationKind,
}

/// A member of staff: the token subject they sign in as, and the roles they hold here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaffMember {
    pub subject: String,
    pub name: String,
    pub email: Option<Email>,
    pub roles: Vec<Role>,
}

/// At least one role, none twice.
pub fn staff_roles(roles: Vec<Role>) -> Result<Vec<Role>, crate::violations::Invalid> {
    if roles.is_empty() {
        return Err(crate::violations::Invalid::new(
            "required",
            "at least one role is needed",
        ));
    }
    let mut out: Vec<Role> = Vec::with_capacity(roles.len());
    for r in roles {
        if out.contains(&r) {
            return Err(crate::violations::Invalid::new(
                "duplicate",
                format!("'{r}' is listed twice"),
            ));
        }
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_need_a_role_and_no_repeats() {
        assert!(staff_roles(vec![]).is_err());
        assert!(staff_roles(vec![Role::Admin, Role::Admin]).is_err());
        assert_eq!(
            staff_roles(vec![Role::LinkWorker]).unwrap(),
            vec![Role::LinkWorker]
        );
    }
}
