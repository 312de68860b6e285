//! NHS numbers: ten digits, the last a modulus 11 check digit.
//!
//! The algorithm (NHS Data Dictionary, "NHS NUMBER"): multiply the first nine digits by
//! weights 10 down to 2, sum, take the remainder mod 11 and subtract it from 11. A result of
//! 11 means a check digit of 0; a result of 10 means the number is invalid.

use std::fmt;

use crate::violations::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NhsNumber([u8; 10]);

impl NhsNumber {
    /// Accepts the usual written forms (`943 476 5919`, `943-476-5919`) and keeps the digits.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let digits: Vec<u8> = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_digit(10).map(|d| d as u8))
            .collect::<Option<_>>()
            .ok_or_else(|| Invalid::new("nhs_number_format", "must be 10 digits"))?;
        let digits: [u8; 10] = digits
            .try_into()
            .map_err(|_| Invalid::new("nhs_number_format", "must be 10 digits"))?;
        if Self::check_digit(&digits) != Some(digits[9]) {
            return Err(Invalid::new(
                "nhs_number_check_digit",
                "is not a valid NHS number (the check digit does not match)",
            ));
        }
        // All-same-digit numbers pass the arithmetic for some digits but are never issued.
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(Invalid::new(
                "nhs_number_check_digit",
                "is not a valid NHS number",
            ));
        }
        Ok(Self(digits))
    }

    fn check_digit(digits: &[u8; 10]) -> Option<u8> {
        let sum: u32 = digits[..9]
            .iter()
            .zip((2..=10).rev())
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        match 11 - (sum % 11) {
            11 => Some(0),
            10 => None,
            n => Some(n as u8),
        }
    }

    pub fn as_string(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Published examples: the NHS Digital test data and the Data Dictionary worked example.
    #[test]
    fn accepts_numbers_with_a_correct_check_digit() {
        for n in ["9434765919", "6541003238", "4010232137"] {
            assert_eq!(NhsNumber::parse(n).unwrap().as_string(), n);
        }
    }

    #[test]
    fn rejects_an_nhs_number_with_a_wrong_check_digit() {
        let e = NhsNumber::parse("9434765918").unwrap_err();
        assert_eq!(e.code, "nhs_number_check_digit");
    }

    #[test]
    fn rejects_a_number_whose_check_digit_would_be_ten() {
        // 000000006: sum = 6*2 = 12, 12 % 11 = 1, 11 - 1 = 10: no valid check digit exists.
        assert_eq!(
            NhsNumber::parse("0000000060").unwrap_err().code,
            "nhs_number_check_digit"
        );
    }

    #[test]
    fn accepts_spaces_and_dashes_as_written_on_letters() {
        assert_eq!(
            NhsNumber::parse("943 476 5919").unwrap().as_string(),
            "9434765919"
        );
        assert_eq!(
            NhsNumber::parse("943-476-5919").unwrap().as_string(),
            "9434765919"
        );
    }

    #[test]
    fn rejects_wrong_lengths_and_letters() {
        for n in ["943476591", "94347659190", "94347659A9", ""] {
            assert_eq!(NhsNumber::parse(n).unwrap_err().code, "nhs_number_format");
        }
    }

    #[test]
    fn rejects_repeated_digits_even_when_the_arithmetic_passes() {
        // 0000000000: sum 0, 11 - 0 = 11 -> check digit 0, arithmetically valid.
        assert!(NhsNumber::parse("0000000000").is_err());
    }
}
