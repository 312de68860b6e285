//! Dates and times as the API takes them, bounded to a documented range.
//!
//! `time` parses years from -9999 to 9999, and RFC 3339 offsets can push a time into the
//! year before 1 in UTC (`0000-01-01T00:00:00+01:00`). The backends disagree about such
//! values (SQLite's encoder refuses them, PostgreSQL stores a BC date that its reader
//! then fails on), so one such request could break every later read of an
//! organisation's list. Every date and time the service accepts lies within
//! [`EARLIEST`] and [`LATEST`] (UTC): wider than any date of birth, consent, contact,
//! plan or audit query needs, and safe on both backends.

use time::macros::{date, format_description};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::violations::Invalid;

/// The first day the service accepts.
pub const EARLIEST: Date = date!(1900 - 01 - 01);
/// The last day the service accepts.
pub const LATEST: Date = date!(2199 - 12 - 31);

fn out_of_range() -> Invalid {
    Invalid::new(
        "out_of_range",
        format!("must be between {EARLIEST} and {LATEST}"),
    )
}

/// A day within the accepted range.
pub fn check_date(d: Date) -> Result<Date, Invalid> {
    if (EARLIEST..=LATEST).contains(&d) {
        Ok(d)
    } else {
        Err(out_of_range())
    }
}

/// `YYYY-MM-DD`, within the accepted range.
pub fn parse_date(raw: &str) -> Result<Date, Invalid> {
    let d = Date::parse(raw.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| Invalid::new("date_format", "must be a date as YYYY-MM-DD"))?;
    check_date(d)
}

/// An RFC 3339 date and time, as UTC, whose UTC day is within the accepted range.
pub fn parse_datetime(raw: &str) -> Result<OffsetDateTime, Invalid> {
    let t = OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            Invalid::new(
                "datetime_format",
                "must be an RFC 3339 date and time, such as 2026-11-20T10:15:00Z",
            )
        })?;
    // Bounds first: converting a year-1 time to UTC may overflow `time`'s own range.
    check_date(t.date())?;
    let utc = t.to_offset(UtcOffset::UTC);
    check_date(utc.date())?;
    Ok(utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_before_year_one_in_utc_is_out_of_range() {
        assert_eq!(
            parse_datetime("0000-01-01T00:00:00+01:00")
                .unwrap_err()
                .code,
            "out_of_range"
        );
        assert_eq!(
            parse_datetime("1900-01-01T00:30:00+01:00")
                .unwrap_err()
                .code,
            "out_of_range"
        );
        assert_eq!(
            parse_datetime("2199-12-31T23:30:00-01:00")
                .unwrap_err()
                .code,
            "out_of_range"
        );
    }

    #[test]
    fn times_in_range_are_kept_as_utc() {
        let t = parse_datetime("2026-11-20T10:15:00+01:00").unwrap();
        assert_eq!(t.offset(), UtcOffset::UTC);
        assert_eq!(t.hour(), 9);
        assert_eq!(
            parse_datetime("1900-01-01T00:00:00Z").unwrap().date(),
            EARLIEST
        );
    }

    #[test]
    fn dates_are_bounded_and_well_formed() {
        assert_eq!(parse_date("1899-12-31").unwrap_err().code, "out_of_range");
        assert_eq!(parse_date("2200-01-01").unwrap_err().code, "out_of_range");
        assert_eq!(parse_date("+10000-01-01").unwrap_err().code, "date_format");
        assert_eq!(parse_date("2026-02-30").unwrap_err().code, "date_format");
        assert_eq!(parse_date(" 2026-02-28 ").unwrap(), date!(2026 - 02 - 28));
    }
}
