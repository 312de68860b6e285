//! Possible duplicate referrals: the same person referred twice while a referral is open.
//! They are flagged on both records for a coordinator to merge or dismiss, never refused.

use time::Date;

use crate::NhsNumber;
use crate::code_list;
use crate::person::Person;

code_list!(
    /// What a coordinator decided about a flagged pair.
    Resolution {
        // Not the same person, or both referrals stand: the flag goes.
        Dismissed => "dismissed",
        // The same person: the other referral is closed as a duplicate of this one.
        Merged => "merged",
    }
);

/// Who a stored referral is for, as far as matching needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub nhs_number: Option<NhsNumber>,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
}

impl From<&Person> for Identity {
    fn from(p: &Person) -> Self {
        Self {
            nhs_number: p.nhs_number,
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            date_of_birth: p.date_of_birth,
        }
    }
}

/// The same NHS number, or the same name and date of birth. Names match ignoring case,
/// spacing and punctuation (`O'Brien` and `obrien`); a mistyped NHS number does not stop a
/// name match.
pub fn possibly_same_person(a: &Identity, b: &Identity) -> bool {
    if let (Some(x), Some(y)) = (a.nhs_number, b.nhs_number)
        && x == y
    {
        return true;
    }
    a.date_of_birth == b.date_of_birth
        && name_key(&a.given_name) == name_key(&b.given_name)
        && name_key(&a.family_name) == name_key(&b.family_name)
}

fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn who(nhs: Option<&str>, given: &str, family: &str, dob: Date) -> Identity {
        Identity {
            nhs_number: nhs.map(|n| NhsNumber::parse(n).unwrap()),
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: dob,
        }
    }

    const DOB: Date = date!(1971 - 03 - 14);

    #[test]
    fn the_same_nhs_number_is_the_same_person_whatever_the_name() {
        assert!(possibly_same_person(
            &who(Some("9434765919"), "Margaret", "Hughes", DOB),
            &who(
                Some("943 476 5919"),
                "Maggie",
                "Hughes",
                date!(1971 - 03 - 15)
            ),
        ));
    }

    #[test]
    fn the_same_name_and_date_of_birth_match_without_nhs_numbers() {
        assert!(possibly_same_person(
            &who(None, "Siân", "O'Brien", DOB),
            &who(Some("9434765919"), " SIÂN", "obrien", DOB),
        ));
    }

    #[test]
    fn a_different_date_of_birth_or_name_is_another_person() {
        let a = who(None, "Margaret", "Hughes", DOB);
        assert!(!possibly_same_person(
            &a,
            &who(None, "Margaret", "Hughes", date!(1971 - 03 - 15))
        ));
        assert!(!possibly_same_person(
            &a,
            &who(None, "Margaret", "Hughs", DOB)
        ));
        assert!(!possibly_same_person(&a, &who(None, "Mary", "Hughes", DOB)));
    }
}
