//! ODS codes: the NHS Organisation Data Service identifiers of practices, trusts and
//! services (`A81001` for a GP practice, `RJ1` for a trust, `Y02794` for a service).

use std::fmt;

use crate::violations::Invalid;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OdsCode(String);

impl OdsCode {
    /// Three to ten letters and digits; normalised to upper case.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        let ok = (3..=10).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(Self(code))
        } else {
            Err(Invalid::new(
                "ods_code_format",
                "must be an ODS code: 3 to 10 letters and digits, such as A81001",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OdsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_practice_trust_and_service_codes() {
        for c in ["A81001", "RJ1", "Y02794", "rj1"] {
            assert!(OdsCode::parse(c).is_ok(), "{c}");
        }
        assert_eq!(OdsCode::parse(" a81001 ").unwrap().as_str(), "A81001");
    }

    #[test]
    fn rejects_codes_that_are_too_short_long_or_punctuated() {
        for c in ["A8", "A810010000X", "A81-001", "", "A81 001"] {
            assert!(OdsCode::parse(c).is_err(), "{c}");
        }
    }
}
