//! What the link worker writes for the message back to the GP and the referrer: the
//! PRSB standard's "Plan and requested actions" (actions for professionals, actions for
//! the person or their carer, whether the person agreed) and the link worker's summary
//! ("Clinical Summary"). The rest of the summary is assembled from the record
//! ([`crate::summary`]).

use time::OffsetDateTime;

/// Characters in each part: a page of text, no more.
pub const TEXT: usize = 4000;

/// The standard asks that "no actions required" is said, never left blank.
pub const NO_ACTIONS: &str = "No actions required";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageBack {
    /// The link worker's summary of the work with the person.
    pub summary: Option<String>,
    /// What the GP or other professionals are asked to do; `None` is "no actions
    /// required", stated as such in every rendering.
    pub actions_for_professionals: Option<String>,
    /// What the person (or their carer) agreed to do next.
    pub actions_for_person: Option<String>,
    /// Whether the person (or their legitimate representative) agreed the plan.
    pub agreed_with_person: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessageBack {
    pub referral_id: uuid::Uuid,
    pub message: MessageBack,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
}

impl MessageBack {
    /// Actions for professionals as written in the message: never blank.
    pub fn professional_actions_or_none(&self) -> &str {
        self.actions_for_professionals
            .as_deref()
            .unwrap_or(NO_ACTIONS)
    }

    /// Actions for the person as written in the message: never blank.
    pub fn person_actions_or_none(&self) -> &str {
        self.actions_for_person.as_deref().unwrap_or(NO_ACTIONS)
    }
}

/// Whether the organisation that sent the referral may read what the service did: not
/// when the person said no to sharing information (the standard's consent section); the
/// referrer then learns the status and no more. Not recorded is not a refusal: consent to
/// the referral itself covered telling the referrer how it went until the standard's
/// consent was recorded separately.
pub fn referrer_may_read_casework(
    sharing: Option<&crate::particulars::InformationSharing>,
) -> bool {
    !matches!(
        sharing,
        Some(crate::particulars::InformationSharing::NotObtained { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::particulars::InformationSharing;

    #[test]
    fn a_refusal_to_share_keeps_the_casework_from_the_referrer() {
        assert!(referrer_may_read_casework(None));
        assert!(referrer_may_read_casework(Some(
            &InformationSharing::Agreed
        )));
        assert!(!referrer_may_read_casework(Some(
            &InformationSharing::NotObtained {
                reason: "Did not want the surgery told".into()
            }
        )));
    }

    #[test]
    fn missing_actions_read_as_no_actions_required() {
        let m = MessageBack::default();
        assert_eq!(m.professional_actions_or_none(), "No actions required");
        assert_eq!(m.person_actions_or_none(), "No actions required");
        let m = MessageBack {
            actions_for_professionals: Some("Please review her pain medication".into()),
            ..MessageBack::default()
        };
        assert_eq!(
            m.professional_actions_or_none(),
            "Please review her pain medication"
        );
    }
}
