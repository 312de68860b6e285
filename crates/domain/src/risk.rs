//! Risks and safeguarding concerns, as the PRSB Social Prescribing standard records them
//! (sections "Risks" and "Safeguarding").
//!
//! The standard asks for at least one risk entry, and for "no known risks" to be
//! recordable: a record is either that statement or a list of risks, never neither. Each
//! risk or concern is a SNOMED CT code, free text, or both (text up to 150 characters, as
//! the standard sets). Who may see them is [`crate::access`]'s business: the receiving
//! service's link workers and coordinators only; never a referrer's view, a webhook or a
//! partner.

use time::{Date, OffsetDateTime};

use crate::snomed::ConceptId;
use crate::violations::Invalid;

/// The standard's limit on each free-text item of these sections.
pub const TEXT: usize = 150;
/// Entries in each list: far more than a real record holds, few enough to bound a row.
pub const MAX_ENTRIES: usize = 20;

/// A risk to the person or others ("Risks record entry").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// A finding of at risk (< 281694009 |Finding of at risk|), when coded.
    pub code: Option<ConceptId>,
    pub description: Option<String>,
    pub comment: Option<String>,
    pub started_on: Option<Date>,
    pub ended_on: Option<Date>,
}

/// A safeguarding concern ("Safeguarding concerns" record entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concern {
    /// A safeguarding issue (refset 999002381000000108), when coded.
    pub code: Option<ConceptId>,
    pub description: Option<String>,
    pub comment: Option<String>,
    pub identified_on: Option<Date>,
    pub ended_on: Option<Date>,
}

/// What the service knows of risks and safeguarding for one referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risks {
    /// "No known risks", said in so many words: then `risks` is empty.
    pub no_known_risks: bool,
    pub risks: Vec<Risk>,
    pub safeguarding: Vec<Concern>,
}

/// Risks as stored, with who last changed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRisks {
    pub referral_id: uuid::Uuid,
    pub risks: Risks,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
}

impl Risks {
    /// The standard's rule for the section as a whole: at least one risk, or "no known
    /// risks" recorded, and not both.
    pub fn check(no_known_risks: bool, risks: usize) -> Result<(), Invalid> {
        match (no_known_risks, risks) {
            (true, 0) => Ok(()),
            (true, _) => Err(Invalid::new(
                "no_known_risks_with_risks",
                "either record risks or say there are no known risks, not both",
            )),
            (false, 0) => Err(Invalid::new(
                "risks_required",
                "record at least one risk, or set no_known_risks to true",
            )),
            (false, n) if n > MAX_ENTRIES => Err(Invalid::new(
                "too_many",
                format!("must have at most {MAX_ENTRIES} entries (got {n})"),
            )),
            (false, _) => Ok(()),
        }
    }
}

/// An entry needs something to say: a code or a description.
pub fn check_entry(code: Option<&ConceptId>, description: Option<&str>) -> Result<(), Invalid> {
    if code.is_none() && description.is_none() {
        Err(Invalid::new(
            "required",
            "give a SNOMED CT code, a description, or both",
        ))
    } else {
        Ok(())
    }
}

/// An end date is not before its start.
pub fn check_period(start: Option<Date>, end: Option<Date>) -> Result<(), Invalid> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(Invalid::new(
            "ends_before_start",
            format!("must not be before the start ({s})"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_record_is_either_risks_or_no_known_risks() {
        assert!(Risks::check(true, 0).is_ok());
        assert!(Risks::check(false, 2).is_ok());
        assert_eq!(Risks::check(false, 0).unwrap_err().code, "risks_required");
        assert_eq!(
            Risks::check(true, 1).unwrap_err().code,
            "no_known_risks_with_risks"
        );
        assert_eq!(Risks::check(false, 21).unwrap_err().code, "too_many");
    }

    #[test]
    fn an_entry_says_something_and_ends_after_it_starts() {
        assert!(check_entry(None, None).is_err());
        assert!(check_entry(None, Some("Falls at home")).is_ok());
        assert!(check_period(Some(date!(2026 - 11 - 01)), Some(date!(2026 - 10 - 01))).is_err());
        assert!(check_period(Some(date!(2026 - 11 - 01)), None).is_ok());
    }
}
