//! The person a referral is for.

use time::Date;

use crate::limits::{ADDRESS_LINE, ADDRESS_LINES, MAX_AGE_YEARS};
use crate::violations::Invalid;
use crate::{NhsNumber, OdsCode, Postcode, code_list};

code_list!(
    /// How the person would like to be contacted.
    ContactMethod {
        Phone => "phone",
        Text => "text",
        Email => "email",
        Letter => "letter",
    }
);

/// A person as the referrer described them. Every field has passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub nhs_number: Option<NhsNumber>,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub postcode: Postcode,
    /// The postal address's lines before the postcode; empty when not given.
    pub address_lines: Vec<String>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub preferred_contact: ContactMethod,
    pub language: Option<String>,
    pub interpreter_needed: bool,
    pub accessibility_needs: Option<String>,
    pub registered_practice: Option<OdsCode>,
    /// Pronouns, carer status, communication needs (PRSB "about me").
    pub about_me: crate::particulars::AboutMe,
}

/// What retention leaves of a person: names become this marker, the postcode the NHS
/// pseudo-postcode for "address not known", the date of birth the first of January of the
/// same year (enough for age-band reporting).
pub mod anonymised {
    pub const NAME: &str = "[removed]";
    pub const POSTCODE: &str = "ZZ99 3WZ";

    pub fn date_of_birth(dob: time::Date) -> time::Date {
        time::Date::from_calendar_date(dob.year(), time::Month::January, 1).unwrap_or(dob)
    }
}

/// Date of birth: not in the future and not more than 120 years before `today`.
pub fn date_of_birth(date: Date, today: Date) -> Result<Date, Invalid> {
    if date > today {
        return Err(Invalid::new("in_future", "must not be in the future"));
    }
    let oldest = today
        .replace_year(today.year() - MAX_AGE_YEARS)
        // 29 February: compare against 28 February instead.
        .or_else(|_| {
            today
                .replace_day(28)
                .and_then(|d| d.replace_year(today.year() - MAX_AGE_YEARS))
        })
        .map_err(|_| Invalid::new("invalid_date", "is not a valid date"))?;
    if date < oldest {
        return Err(Invalid::new(
            "too_old",
            format!("must be within the last {MAX_AGE_YEARS} years"),
        ));
    }
    Ok(date)
}

/// A UK or international telephone number: digits with the usual separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let allowed = trimmed.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0)
        });
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if allowed && (10..=15).contains(&digits) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(Invalid::new(
                "phone_format",
                "must be a telephone number of 10 to 15 digits, such as 0113 496 0000",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: the shape checks that catch typing mistakes, not RFC 5322 in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let invalid = || {
            Invalid::new(
                "email_format",
                "must be an e-mail address, such as name@example.org",
            )
        };
        // Characters, as every other length limit here (and the spec's maxLength) counts.
        if trimmed.chars().count() > crate::limits::EMAIL
            || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A postal address's lines (house, street, town; the postcode is separate): blank lines
/// dropped, at most [`ADDRESS_LINES`], each a single line of at most [`ADDRESS_LINE`]
/// characters. No lines at all is no address.
pub fn address_lines(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let lines: Vec<&str> = raw
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() > ADDRESS_LINES {
        return Err(Invalid::new(
            "too_many_lines",
            format!("must have at most {ADDRESS_LINES} lines besides the postcode"),
        ));
    }
    lines
        .into_iter()
        .map(|l| crate::text::label(l, ADDRESS_LINE))
        .collect()
}

/// The preferred method must be one we can actually use: `phone` and `text` need a phone
/// number, `email` an e-mail address, `letter` an address (its lines; every person has a
/// postcode).
pub fn check_contact_reachable(
    method: ContactMethod,
    phone: Option<&Phone>,
    email: Option<&Email>,
    address_lines: &[String],
) -> Result<(), Invalid> {
    match method {
        ContactMethod::Letter if address_lines.is_empty() => Err(Invalid::new(
            "contact_missing",
            "is required when the preferred contact is 'letter'",
        )),
        ContactMethod::Phone | ContactMethod::Text if phone.is_none() => Err(Invalid::new(
            "contact_missing",
            format!("is '{method}' but no phone number was given"),
        )),
        ContactMethod::Email if email.is_none() => Err(Invalid::new(
            "contact_missing",
            "is 'email' but no e-mail address was given",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 22);

    #[test]
    fn a_date_of_birth_in_the_future_is_refused() {
        assert_eq!(
            date_of_birth(date!(2026 - 11 - 23), TODAY)
                .unwrap_err()
                .code,
            "in_future"
        );
        assert!(date_of_birth(TODAY, TODAY).is_ok());
    }

    #[test]
    fn a_date_of_birth_more_than_120_years_ago_is_refused() {
        assert!(date_of_birth(date!(1906 - 11 - 22), TODAY).is_ok());
        assert_eq!(
            date_of_birth(date!(1906 - 11 - 21), TODAY)
                .unwrap_err()
                .code,
            "too_old"
        );
    }

    #[test]
    fn the_120_year_rule_works_on_a_leap_day() {
        assert!(date_of_birth(date!(1904 - 03 - 01), date!(2024 - 02 - 29)).is_ok());
    }

    #[test]
    fn anonymising_keeps_only_the_year_of_birth_and_a_valid_pseudo_postcode() {
        assert_eq!(
            anonymised::date_of_birth(date!(1971 - 03 - 14)),
            date!(1971 - 01 - 01)
        );
        assert_eq!(
            Postcode::parse(anonymised::POSTCODE).unwrap().as_str(),
            "ZZ99 3WZ"
        );
    }

    #[test]
    fn phones_need_ten_to_fifteen_digits() {
        assert!(Phone::parse("0113 496 0000").is_ok());
        assert!(Phone::parse("+44 (0)113 496-0000").is_ok());
        assert!(Phone::parse("496 0000").is_err());
        assert!(Phone::parse("0113+4960000").is_err());
        assert!(Phone::parse("call me").is_err());
    }

    #[test]
    fn an_email_is_at_most_254_characters_not_bytes() {
        let domain = format!("{}.org", "é".repeat(200));
        assert!(Email::parse(&format!("ab@{domain}")).is_ok());
        let long = format!("{}@{}.org", "a".repeat(200), "b".repeat(50));
        assert_eq!(long.chars().count(), 255);
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("ada@example.org").is_ok());
        for e in [
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a da@example.org",
            "ada@example..org",
        ] {
            assert!(Email::parse(e).is_err(), "{e}");
        }
    }

    #[test]
    fn a_preferred_method_needs_its_contact_detail() {
        let phone = Phone::parse("01134960000").unwrap();
        assert!(check_contact_reachable(ContactMethod::Phone, Some(&phone), None, &[]).is_ok());
        assert!(check_contact_reachable(ContactMethod::Email, Some(&phone), None, &[]).is_err());
        assert!(check_contact_reachable(ContactMethod::Text, None, None, &[]).is_err());
    }

    #[test]
    fn a_letter_needs_an_address() {
        let phone = Phone::parse("01134960000").unwrap();
        let error =
            check_contact_reachable(ContactMethod::Letter, Some(&phone), None, &[]).unwrap_err();
        assert_eq!(error.code, "contact_missing");
        let address = vec!["12 Park Road".to_owned()];
        assert!(check_contact_reachable(ContactMethod::Letter, None, None, &address).is_ok());
    }

    #[test]
    fn address_lines_are_trimmed_counted_and_single_line() {
        let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            address_lines(&lines(&[" 12 Park Road ", "", "Sparkbrook"])).unwrap(),
            lines(&["12 Park Road", "Sparkbrook"])
        );
        assert!(address_lines(&lines(&["", " "])).unwrap().is_empty());
        assert_eq!(
            address_lines(&lines(&["a", "b", "c", "d", "e"]))
                .unwrap_err()
                .code,
            "too_many_lines"
        );
        assert!(address_lines(&lines(&["a\nb"])).is_err());
        assert!(address_lines(&lines(&[&"x".repeat(101)])).is_err());
    }
}
