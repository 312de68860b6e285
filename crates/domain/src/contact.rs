//! Contacts: conversations and meetings between a link worker and the person.

use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::code_list;
use crate::violations::Invalid;

code_list!(
    /// How the contact happened.
    ContactMode {
        InPerson => "in_person",
        Phone => "phone",
        Video => "video",
        HomeVisit => "home_visit",
        SupportedAttendance => "supported_attendance",
    }
);

/// The longest contact we record, in minutes (a supported day out).
pub const MAX_MINUTES: u32 = 720;
/// How far ahead a follow-up may be booked.
pub const MAX_FOLLOW_UP_DAYS: i64 = 366;

/// A contact as recorded. Every field has passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub mode: ContactMode,
    pub occurred_at: OffsetDateTime,
    pub minutes: Option<u32>,
    pub notes: Option<String>,
    /// When the link worker means to follow up next. The newest contact's date is the
    /// referral's next follow-up.
    pub next_follow_up_on: Option<Date>,
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub details: NewContact,
    pub recorded_by: String,
    pub recorded_at: OffsetDateTime,
}

/// Not in the future (five minutes of clock skew forgiven).
pub fn occurred_at(at: OffsetDateTime, now: OffsetDateTime) -> Result<OffsetDateTime, Invalid> {
    if at > now + Duration::minutes(5) {
        Err(Invalid::new("in_future", "must not be in the future"))
    } else {
        Ok(at)
    }
}

/// Not before the referral was received: nobody can have been contacted about a referral
/// that did not yet exist, and a contact dated earlier would make the time to first
/// contact negative.
pub fn not_before_received(
    at: OffsetDateTime,
    received_at: OffsetDateTime,
) -> Result<OffsetDateTime, Invalid> {
    if at < received_at {
        Err(Invalid::new(
            "before_received",
            format!(
                "must not be before the referral was received ({})",
                received_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            ),
        ))
    } else {
        Ok(at)
    }
}

pub fn minutes(n: i64) -> Result<u32, Invalid> {
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_MINUTES)
        .ok_or_else(|| {
            Invalid::new(
                "out_of_range",
                format!("must be a whole number from 0 to {MAX_MINUTES}"),
            )
        })
}

/// On or after the day of the contact, and within a year of it.
pub fn next_follow_up_on(date: Date, occurred_on: Date) -> Result<Date, Invalid> {
    if date < occurred_on {
        return Err(Invalid::new(
            "before_contact",
            "must not be before the day of the contact",
        ));
    }
    if (date - occurred_on).whole_days() > MAX_FOLLOW_UP_DAYS {
        return Err(Invalid::new(
            "too_far_ahead",
            format!("must be within {MAX_FOLLOW_UP_DAYS} days of the contact"),
        ));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_contact_in_the_future_is_refused() {
        let now = datetime!(2026-11-23 10:00 UTC);
        assert!(occurred_at(datetime!(2026-11-23 10:04 UTC), now).is_ok());
        assert_eq!(
            occurred_at(datetime!(2026-11-23 11:00 UTC), now)
                .unwrap_err()
                .code,
            "in_future"
        );
    }

    #[test]
    fn minutes_are_bounded() {
        assert_eq!(minutes(0).unwrap(), 0);
        assert_eq!(minutes(45).unwrap(), 45);
        assert!(minutes(-5).is_err());
        assert!(minutes(721).is_err());
    }

    #[test]
    fn a_follow_up_is_on_or_after_the_contact_and_within_a_year() {
        let day = date!(2026 - 11 - 23);
        assert!(next_follow_up_on(day, day).is_ok());
        assert_eq!(
            next_follow_up_on(date!(2026 - 11 - 22), day)
                .unwrap_err()
                .code,
            "before_contact"
        );
        assert_eq!(
            next_follow_up_on(date!(2027 - 12 - 01), day)
                .unwrap_err()
                .code,
            "too_far_ahead"
        );
    }

    #[test]
    fn the_modes_are_the_five_of_the_design() {
        assert_eq!(
            ContactMode::CODES,
            &[
                "in_person",
                "phone",
                "video",
                "home_visit",
                "supported_attendance"
            ]
        );
    }

    #[test]
    fn a_contact_before_the_referral_was_received_is_refused() {
        let received = datetime!(2026-11-20 10:20 UTC);
        assert!(not_before_received(received, received).is_ok());
        assert!(not_before_received(datetime!(2026-11-21 09:00 UTC), received).is_ok());
        let early = not_before_received(datetime!(2026-11-20 10:19 UTC), received).unwrap_err();
        assert_eq!(early.code, "before_received");
        assert!(
            early.message.contains("2026-11-20T10:20:00Z"),
            "{}",
            early.message
        );
    }
}
