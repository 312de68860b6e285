//! SNOMED CT concept identifiers (SCTIDs): 6 to 18 digits, no leading zero, a partition
//! identifier saying the number names a concept, and a Verhoeff check digit last.
//!
//! The rules are the SNOMED CT Technical Implementation Guide's ("SCTID data type",
//! section 6.7): digit 1 from the right is the check digit, digits 2-3 the partition
//! identifier (`00` or `10` for a concept), and the check digit follows Verhoeff's
//! dihedral-group scheme.

use std::fmt;

use crate::violations::Invalid;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConceptId(String);

impl ConceptId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if !(6..=18).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "snomed_format",
                "must be a SNOMED CT concept id: 6 to 18 digits",
            ));
        }
        if s.starts_with('0') {
            return Err(Invalid::new(
                "snomed_format",
                "a SNOMED CT id does not start with 0",
            ));
        }
        // Partition: the two digits before the check digit; `0` or `1` then `0` for concepts.
        let partition = &s[s.len() - 3..s.len() - 1];
        if partition != "00" && partition != "10" {
            return Err(Invalid::new(
                "snomed_not_a_concept",
                format!(
                    "partition {partition} is not a concept's (00 or 10): this is a description or relationship id"
                ),
            ));
        }
        if !verhoeff_valid(s) {
            return Err(Invalid::new(
                "snomed_check_digit",
                "the check digit does not match: the id is mistyped",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConceptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

const P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff's check over every digit, check digit included: valid when it comes to 0.
fn verhoeff_valid(digits: &str) -> bool {
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        c = D[c as usize][P[i % 8][(b - b'0') as usize] as usize];
    }
    c == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_concepts_parse() {
        // Concepts named in the PRSB Social Prescribing standard and NHS England's
        // social prescribing codes.
        for id in [
            "224484003",        // |Person themselves is a carer|
            "871731000000106",  // |Referral to social prescribing service|
            "1108111000000107", // |Requires reasonable adjustments ... (finding)|
            "281694009",        // |Finding of at risk|
            "425268008",        // |Review of care plan|
            "108161000000109",  // |Referred by general practitioner|
            "138875005",        // the SNOMED CT root concept
        ] {
            assert_eq!(ConceptId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn a_changed_digit_fails_the_check() {
        let e = ConceptId::parse("224484004").unwrap_err();
        assert_eq!(e.code, "snomed_check_digit");
        let e = ConceptId::parse("871731000000107").unwrap_err();
        assert_eq!(e.code, "snomed_check_digit");
    }

    #[test]
    fn descriptions_and_malformed_ids_are_refused() {
        // 1215661018 is a description id (partition 01).
        assert_eq!(
            ConceptId::parse("1215661018").unwrap_err().code,
            "snomed_not_a_concept"
        );
        for bad in [
            "12345",
            "0224484003",
            "22448400a",
            "1234567890123456789",
            "",
        ] {
            assert_eq!(
                ConceptId::parse(bad).unwrap_err().code,
                "snomed_format",
                "{bad}"
            );
        }
    }
}
