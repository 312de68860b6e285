//! Referral agreements: which organisations may refer into a social prescribing service.
//!
//! A GP practice, an agency and the service are different organisations. The service's
//! admin names who may send it referrals: a named referrer organisation, or any
//! organisation whose token a configured identity provider signed (its `iss`). An
//! organisation always accepts its own referrals, with or without an agreement.

use crate::OdsCode;
use crate::violations::Invalid;

/// Who an agreement lets refer in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Referrers {
    /// One named organisation, by ODS code.
    Organisation(OdsCode),
    /// Every organisation holding a valid token from this identity provider.
    Issuer(String),
}

impl Referrers {
    /// Reads the two optional request fields: exactly one must be given.
    pub fn parse(referrer_ods_code: Option<&str>, issuer: Option<&str>) -> Result<Self, Invalid> {
        match (referrer_ods_code, issuer) {
            (Some(ods), None) => OdsCode::parse(ods).map(Referrers::Organisation),
            (None, Some(iss)) => {
                let iss = iss.trim();
                if iss.is_empty() || iss.len() > 255 || iss.chars().any(char::is_control) {
                    Err(Invalid::new(
                        "issuer_format",
                        "must be an identity provider's issuer (iss), 1 to 255 characters",
                    ))
                } else {
                    Ok(Referrers::Issuer(iss.to_owned()))
                }
            }
            _ => Err(Invalid::new(
                "one_of",
                "give exactly one of referrer_ods_code (a named organisation) or issuer (any organisation of an identity provider)",
            )),
        }
    }

    /// Whether this agreement covers a referral from `referrer` with a token from `issuer`.
    pub fn covers(&self, referrer: &str, issuer: &str) -> bool {
        match self {
            Referrers::Organisation(ods) => ods.as_str() == referrer,
            Referrers::Issuer(iss) => iss == issuer,
        }
    }
}

/// Whether `service` accepts a referral from `referrer` (whose token `issuer` signed),
/// given the service's agreements.
pub fn accepts(service: &str, referrer: &str, issuer: &str, agreements: &[Referrers]) -> bool {
    service == referrer || agreements.iter().any(|a| a.covers(referrer, issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ods(code: &str) -> Referrers {
        Referrers::Organisation(OdsCode::parse(code).unwrap())
    }

    #[test]
    fn a_service_always_accepts_its_own_referrals() {
        assert!(accepts("Y02794", "Y02794", "any", &[]));
    }

    #[test]
    fn another_organisation_needs_an_agreement_naming_it_or_its_identity_provider() {
        let agreements = [
            ods("B85001"),
            Referrers::Issuer("https://idp.example".into()),
        ];
        assert!(accepts("Y02794", "B85001", "socialrx", &agreements));
        assert!(accepts(
            "Y02794",
            "B85099",
            "https://idp.example",
            &agreements
        ));
        assert!(!accepts("Y02794", "B85099", "socialrx", &agreements));
        assert!(!accepts("Y02794", "B85002", "socialrx", &[]));
    }

    #[test]
    fn an_agreement_names_exactly_one_kind_of_referrer() {
        assert_eq!(Referrers::parse(Some("b85001"), None), Ok(ods("B85001")));
        assert_eq!(
            Referrers::parse(None, Some(" https://idp.example ")),
            Ok(Referrers::Issuer("https://idp.example".into()))
        );
        assert_eq!(Referrers::parse(None, None).unwrap_err().code, "one_of");
        assert_eq!(
            Referrers::parse(Some("B85001"), Some("x"))
                .unwrap_err()
                .code,
            "one_of"
        );
        assert!(Referrers::parse(Some("not an ods code!"), None).is_err());
        assert_eq!(
            Referrers::parse(None, Some("  ")).unwrap_err().code,
            "issuer_format"
        );
    }
}
