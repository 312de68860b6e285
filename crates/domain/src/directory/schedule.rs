//! Weekly schedules in UK local time, and when an activity next meets.
//!
//! Times are wall-clock times in the UK (GMT in winter, BST in summer). British Summer
//! Time runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
//! October (Summer Time Order 2002), which is all the time-zone knowledge needed here.

use std::fmt;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::code_list;
use crate::violations::Invalid;

code_list!(
    Weekday {
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
        Saturday => "saturday",
        Sunday => "sunday",
    }
);

impl Weekday {
    fn of(date: Date) -> Self {
        Self::ALL[date.weekday().number_days_from_monday() as usize]
    }

    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A wall-clock time, to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// `HH:MM`, 00:00 to 23:59.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("time_format", "must be a time as HH:MM, such as 09:30");
        let (h, m) = raw.trim().split_once(':').ok_or_else(invalid)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(invalid());
        }
        let h: u16 = h.parse().map_err(|_| invalid())?;
        let m: u16 = m.parse().map_err(|_| invalid())?;
        if h > 23 || m > 59 {
            return Err(invalid());
        }
        Ok(Self(h * 60 + m))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }

    pub fn from_minutes(minutes: u16) -> Self {
        Self(minutes.min(23 * 60 + 59))
    }

    fn time(self) -> Time {
        Time::from_hms((self.0 / 60) as u8, (self.0 % 60) as u8, 0).unwrap_or(Time::MIDNIGHT)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One weekly session: a day and a start and end time, UK local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub day: Weekday,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl Session {
    /// Starts before it ends, on the same day.
    pub fn parse(day: Weekday, start: TimeOfDay, end: TimeOfDay) -> Result<Self, Invalid> {
        if start >= end {
            return Err(Invalid::new(
                "time_order",
                "a session must start before it ends, on the same day",
            ));
        }
        Ok(Self { day, start, end })
    }

    /// Whether the session lies wholly within `from..=to` (either end open).
    pub fn within(&self, from: Option<TimeOfDay>, to: Option<TimeOfDay>) -> bool {
        from.is_none_or(|f| self.start >= f) && to.is_none_or(|t| self.end <= t)
    }
}

/// The UK's offset from UTC at instant `t`.
pub fn uk_offset(t: OffsetDateTime) -> UtcOffset {
    let t = t.to_offset(UtcOffset::UTC);
    let year = t.year();
    let starts = last_sunday(year, Month::March).with_hms(1, 0, 0);
    let ends = last_sunday(year, Month::October).with_hms(1, 0, 0);
    match (starts, ends) {
        (Ok(s), Ok(e)) if t >= s.assume_utc() && t < e.assume_utc() => {
            UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC)
        }
        _ => UtcOffset::UTC,
    }
}

fn last_sunday(year: i32, month: Month) -> Date {
    let last = Date::from_calendar_date(year, month, month.length(year)).unwrap_or(Date::MIN);
    last - time::Duration::days(i64::from(last.weekday().number_days_from_sunday()))
}

/// A UK wall-clock date and time as an instant. In the hour that does not exist when the
/// clocks go forward, the GMT reading is used; in the hour that happens twice, the first.
fn uk_instant(date: Date, at: TimeOfDay) -> OffsetDateTime {
    let local = PrimitiveDateTime::new(date, at.time());
    let as_gmt = local.assume_utc();
    let bst = UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC);
    let as_bst = local.assume_offset(bst);
    if uk_offset(as_bst) == bst {
        as_bst
    } else {
        as_gmt
    }
}

/// When the next session starts, at or after `now`; `None` with no sessions. The result
/// carries the UK offset in force then (`+00:00` or `+01:00`).
pub fn next_session(schedule: &[Session], now: OffsetDateTime) -> Option<OffsetDateTime> {
    let local_today = now.to_offset(uk_offset(now)).date();
    (0..=7)
        .flat_map(|ahead| {
            let date = local_today + time::Duration::days(ahead);
            let day = Weekday::of(date);
            schedule
                .iter()
                .filter(move |s| s.day == day)
                .map(move |s| uk_instant(date, s.start))
        })
        .filter(|t| *t >= now)
        .min()
        .map(|t| t.to_offset(uk_offset(t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn t(s: &str) -> TimeOfDay {
        TimeOfDay::parse(s).unwrap()
    }

    fn session(day: Weekday, start: &str, end: &str) -> Session {
        Session::parse(day, t(start), t(end)).unwrap()
    }

    #[test]
    fn times_are_hours_and_minutes() {
        assert_eq!(t("09:30").minutes(), 570);
        assert_eq!(t("09:30").to_string(), "09:30");
        for bad in ["9:30", "24:00", "12:60", "noon", "", "12:3"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_session_must_start_before_it_ends() {
        assert!(Session::parse(Weekday::Monday, t("10:00"), t("10:00")).is_err());
        assert!(Session::parse(Weekday::Monday, t("10:00"), t("09:00")).is_err());
    }

    #[test]
    fn british_summer_time_runs_from_late_march_to_late_october() {
        // 2026: clocks go forward on 29 March, back on 25 October, at 01:00 UTC.
        assert_eq!(uk_offset(datetime!(2026-03-29 00:59 UTC)), UtcOffset::UTC);
        assert_eq!(uk_offset(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2026-07-01 12:00 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2026-10-25 00:59 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2026-10-25 01:00 UTC)), UtcOffset::UTC);
    }

    #[test]
    fn the_next_session_is_the_soonest_start_at_or_after_now() {
        // Sunday 22 November 2026, 10:00 GMT.
        let now = datetime!(2026-11-22 10:00 UTC);
        let schedule = [
            session(Weekday::Tuesday, "10:00", "11:30"),
            session(Weekday::Thursday, "14:00", "15:00"),
        ];
        assert_eq!(
            next_session(&schedule, now),
            Some(datetime!(2026-11-24 10:00 UTC))
        );
        // A session later today counts; one that has started does not.
        let today = [session(Weekday::Sunday, "09:00", "12:00")];
        assert_eq!(
            next_session(&today, now),
            Some(datetime!(2026-11-29 09:00 UTC))
        );
        let later = [session(Weekday::Sunday, "10:00", "12:00")];
        assert_eq!(next_session(&later, now), Some(now));
        assert_eq!(next_session(&[], now), None);
    }

    #[test]
    fn a_summer_session_is_given_in_british_summer_time() {
        // Wednesday 1 July 2026, 12:00 UTC (13:00 BST); a 10:00 Thursday session.
        let now = datetime!(2026-07-01 12:00 UTC);
        let next = next_session(&[session(Weekday::Thursday, "10:00", "11:00")], now).unwrap();
        assert_eq!(next, datetime!(2026-07-02 10:00 +1));
        assert_eq!(next.offset().whole_hours(), 1);
    }

    #[test]
    fn a_window_holds_sessions_wholly_inside_it() {
        let s = session(Weekday::Monday, "10:00", "11:00");
        assert!(s.within(Some(t("09:00")), Some(t("12:00"))));
        assert!(s.within(None, Some(t("11:00"))));
        assert!(!s.within(Some(t("10:30")), None));
        assert!(!s.within(None, Some(t("10:59"))));
    }
}
