//! Contacts: conversations and meetings between a link worker and the person.

use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::code_list;
use crate::text;
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

code_list!(
    /// What became of the contact: the PRSB standard's "Outcome of contact" (NHS Data
    /// Dictionary "Attended or did not attend"), in our own words. `attended` when not
    /// given, so that clients from before the field keep recording contacts that happened.
    ContactOutcome {
        Attended => "attended",
        DidNotAttend => "did_not_attend",
        CancelledByPerson => "cancelled_by_person",
        CancelledByService => "cancelled_by_service",
    }
);

impl ContactOutcome {
    /// Whether the contact took place. Only a contact that took place is work done with
    /// the person: it alone may be the referral's first contact, its last contact, set its
    /// next follow-up, and move an `assigned` referral to `in_progress`. A missed or
    /// cancelled one is kept on the record (contacts, timeline, audit) and changes nothing
    /// else, so a referral whose person never turned up still shows as waiting for its
    /// first contact, and its follow-up date (often now overdue) keeps it near the top of
    /// the caseload.
    pub fn happened(self) -> bool {
        matches!(self, ContactOutcome::Attended)
    }
}

code_list!(
    /// Where the contact took place: our coarse mapping of the NHS Data Dictionary
    /// "Activity location type code", which the PRSB standard names for "Location type".
    /// The national list is finer (and coded); a mapping to it belongs with any export
    /// that needs the codes.
    LocationType {
        Home => "home",
        GpPractice => "gp_practice",
        CommunityVenue => "community_venue",
        ActivityVenue => "activity_venue",
        TelephoneOrVideo => "telephone_or_video",
    }
);

/// Characters in `present` (who else was there), as the standard's free text allows.
pub const PRESENT: usize = 150;

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
    /// referral's next follow-up. Only a contact that happened carries one (see
    /// [`next_follow_up_only_if_attended`]).
    pub next_follow_up_on: Option<Date>,
    pub outcome: ContactOutcome,
    pub location_type: Option<LocationType>,
    /// Who else was there (a carer, a daughter, an interpreter), one line.
    pub present: Option<String>,
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

/// A contact that did not happen sets no next follow-up: it would otherwise move the
/// referral's follow-up as though the person had been seen. The link worker books the
/// next try with the next contact that does happen; until then the referral keeps its
/// earlier follow-up date.
pub fn next_follow_up_only_if_attended(
    next: Option<Date>,
    outcome: ContactOutcome,
) -> Result<Option<Date>, Invalid> {
    match next {
        Some(_) if !outcome.happened() => Err(Invalid::new(
            "not_attended",
            format!(
                "must be absent when the contact did not happen (outcome '{outcome}'); \
                 only an attended contact sets the next follow-up"
            ),
        )),
        _ => Ok(next),
    }
}

/// Who else was there: one line of at most [`PRESENT`] characters; blank is absent.
pub fn present(raw: &str) -> Result<Option<String>, Invalid> {
    text::optional_label(raw, PRESENT)
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

    #[test]
    fn only_an_attended_contact_happened() {
        assert!(ContactOutcome::Attended.happened());
        for outcome in [
            ContactOutcome::DidNotAttend,
            ContactOutcome::CancelledByPerson,
            ContactOutcome::CancelledByService,
        ] {
            assert!(!outcome.happened(), "{outcome}");
        }
    }

    #[test]
    fn a_contact_that_did_not_happen_sets_no_follow_up() {
        let day = Some(date!(2026 - 11 - 30));
        assert_eq!(
            next_follow_up_only_if_attended(day, ContactOutcome::Attended).unwrap(),
            day
        );
        assert_eq!(
            next_follow_up_only_if_attended(None, ContactOutcome::DidNotAttend).unwrap(),
            None
        );
        let refused =
            next_follow_up_only_if_attended(day, ContactOutcome::CancelledByPerson).unwrap_err();
        assert_eq!(refused.code, "not_attended");
        assert!(
            refused.message.contains("cancelled_by_person"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn who_was_present_is_one_short_line() {
        assert_eq!(
            present("  Her daughter, Claire ").unwrap().as_deref(),
            Some("Her daughter, Claire")
        );
        assert_eq!(present(" ").unwrap(), None);
        assert!(present(&"x".repeat(PRESENT)).is_ok());
        assert_eq!(
            present(&"x".repeat(PRESENT + 1)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            present("Claire\nand Tom").unwrap_err().code,
            "control_characters"
        );
    }

    #[test]
    fn the_outcomes_and_location_types_are_the_documented_codes() {
        assert_eq!(
            ContactOutcome::CODES,
            &[
                "attended",
                "did_not_attend",
                "cancelled_by_person",
                "cancelled_by_service"
            ]
        );
        assert_eq!(
            LocationType::CODES,
            &[
                "home",
                "gp_practice",
                "community_venue",
                "activity_venue",
                "telephone_or_video"
            ]
        );
    }
}
