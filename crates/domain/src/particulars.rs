//! What the PRSB Social Prescribing standard adds to a referral and to the person, beyond
//! the fields the service works from: how the referral was sent, the reason in the
//! referrer's words, who the answer goes to, the referrer's contact details, consent to
//! share information (and why it was not obtained), and "about me" (pronouns, carer
//! status, communication needs). All optional: a referral without them is still a
//! referral, and the summary says "not recorded" where one is missing.

use crate::code_list;
use crate::text;
use crate::violations::Invalid;

/// The standard's limit on "Reason for referral" free text.
pub const REASON_TEXT: usize = 150;
/// The standard's limit on names and contact details ("Return response to", referrer
/// contact details).
pub const NAME_OR_CONTACT: usize = 70;
/// Pronouns, as the person gives them ("she/her").
pub const PRONOUNS: usize = 35;
/// Communication needs and the reason consent to share was not obtained.
pub const SHORT_NOTE: usize = 150;

code_list!(
    /// How the referral was sent and received: the standard's list (fax left out: no
    /// service we serve receives one).
    ReferralMethod {
        Phone => "phone",
        Letter => "letter",
        SecureEmail => "secure_email",
        SecureMessaging => "secure_messaging",
        NhsEReferralService => "nhs_e_referral_service",
        SelfReferral => "self_referral",
    }
);

/// Consent to share information under the common law duty of confidentiality (separate
/// from consent to the referral itself, which every referral has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InformationSharing {
    Agreed,
    /// Not obtained, with the reason (the standard asks for it).
    NotObtained {
        reason: String,
    },
}

impl InformationSharing {
    /// `agreed: false` needs a reason; `agreed: true` takes none.
    pub fn parse(agreed: bool, reason: Option<&str>) -> Result<Self, Invalid> {
        let reason = reason
            .map(|r| text::optional_label(r, SHORT_NOTE))
            .transpose()?
            .flatten();
        match (agreed, reason) {
            (true, None) => Ok(Self::Agreed),
            (true, Some(_)) => Err(Invalid::new(
                "reason_without_refusal",
                "a reason is only given when consent to share was not obtained",
            )),
            (false, Some(reason)) => Ok(Self::NotObtained { reason }),
            (false, None) => Err(Invalid::new(
                "reason_required",
                "say why consent to share information was not obtained",
            )),
        }
    }

    pub fn agreed(&self) -> bool {
        matches!(self, Self::Agreed)
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Agreed => None,
            Self::NotObtained { reason } => Some(reason),
        }
    }
}

/// The referral's particulars in the standard's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Particulars {
    pub method: Option<ReferralMethod>,
    /// The reason for referral in the referrer's words, beside the coded reasons.
    pub reason_text: Option<String>,
    /// A professional to answer instead of the referrer.
    pub return_response_to: Option<String>,
    /// How to reach the referrer (telephone, secure email).
    pub referrer_contact: Option<String>,
    pub information_sharing: Option<InformationSharing>,
}

/// "About me" and individual requirements, beside the accessibility needs, language and
/// interpreter the person record already holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AboutMe {
    pub pronouns: Option<String>,
    /// Whether the person is a carer (SNOMED CT 224484003 |Person themselves is a carer|).
    pub carer: Option<bool>,
    /// How to communicate with the person (hearing loop, easy read, someone present).
    pub communication_needs: Option<String>,
}

/// SNOMED CT 224484003 |Person themselves is a carer|.
pub const CARER: &str = "224484003";

/// Single-line text of at most `max` characters; blank is absent.
pub fn short(raw: &str, max: usize) -> Result<Option<String>, Invalid> {
    text::optional_label(raw, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_not_obtained_needs_its_reason() {
        assert_eq!(
            InformationSharing::parse(true, None).unwrap(),
            InformationSharing::Agreed
        );
        assert_eq!(
            InformationSharing::parse(false, None).unwrap_err().code,
            "reason_required"
        );
        assert_eq!(
            InformationSharing::parse(false, Some("  "))
                .unwrap_err()
                .code,
            "reason_required"
        );
        let not = InformationSharing::parse(false, Some("Lacked capacity on the day")).unwrap();
        assert_eq!(not.reason(), Some("Lacked capacity on the day"));
        assert!(!not.agreed());
        assert_eq!(
            InformationSharing::parse(true, Some("why"))
                .unwrap_err()
                .code,
            "reason_without_refusal"
        );
    }

    #[test]
    fn the_standards_referral_methods_are_the_codes() {
        assert_eq!(
            ReferralMethod::CODES,
            &[
                "phone",
                "letter",
                "secure_email",
                "secure_messaging",
                "nhs_e_referral_service",
                "self_referral"
            ]
        );
        assert!(ReferralMethod::parse("fax").is_err());
    }

    #[test]
    fn reason_text_keeps_to_150_characters() {
        assert!(short(&"x".repeat(150), REASON_TEXT).is_ok());
        assert_eq!(
            short(&"x".repeat(151), REASON_TEXT).unwrap_err().code,
            "too_long"
        );
        assert_eq!(short("   ", REASON_TEXT).unwrap(), None);
    }
}
