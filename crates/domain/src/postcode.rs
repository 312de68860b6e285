//! UK postcodes, normalised to upper case with one space before the inward code.
//!
//! Format (Royal Mail PAF): an outward code `A9`, `A99`, `AA9`, `AA99`, `A9A` or `AA9A`,
//! then an inward code `9AA`. `GIR 0AA` is the one historic exception.

use std::fmt;

use crate::violations::Invalid;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if compact == "GIR0AA" {
            return Ok(Self("GIR 0AA".into()));
        }
        let invalid = || {
            Invalid::new(
                "postcode_format",
                "must be a full UK postcode, such as LS1 4AP",
            )
        };
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(invalid());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        if !is_outward(outward) || !is_inward(inward) {
            return Err(invalid());
        }
        Ok(Self(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (`LS1` of `LS1 4AP`): the district, used for "near me" search.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or(&self.0)
    }
}

/// `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A` with A a letter and 9 a digit.
pub fn is_outward(s: &str) -> bool {
    let shape: String = s
        .chars()
        .map(|c| match c {
            'A'..='Z' => 'A',
            '0'..='9' => '9',
            _ => '?',
        })
        .collect();
    matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    )
}

fn is_inward(s: &str) -> bool {
    let b = s.as_bytes();
    // The inward letters never use C, I, K, M, O or V.
    let letter = |c: u8| c.is_ascii_uppercase() && !b"CIKMOV".contains(&c);
    b.len() == 3 && b[0].is_ascii_digit() && letter(b[1]) && letter(b[2])
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spacing() {
        assert_eq!(Postcode::parse("ls14ap").unwrap().as_str(), "LS1 4AP");
        assert_eq!(Postcode::parse(" sw1a  1aa ").unwrap().as_str(), "SW1A 1AA");
        assert_eq!(Postcode::parse("HD1 2RS").unwrap().outward(), "HD1");
    }

    #[test]
    fn accepts_every_outward_shape() {
        for p in [
            "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB",
        ] {
            assert_eq!(Postcode::parse(p).unwrap().as_str(), p);
        }
    }

    #[test]
    fn rejects_what_is_not_a_postcode() {
        for p in [
            "",
            "LS1",
            "12345",
            "LS1 4A",
            "LS1 AAP",
            "LS1 4CP",
            "ZZZZ 1AA",
            "LS1 4AP X",
            "ŁS1 4AP",
        ] {
            assert!(Postcode::parse(p).is_err(), "{p}");
        }
    }
}
