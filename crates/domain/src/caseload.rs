//! A link worker's caseload: which open referrals need attention first, and why; who may
//! see whose caseload; and the response-time policy of the coordinator's queue.

use time::{Date, Weekday};

use crate::code_list;
use crate::referral::{Status, Urgency};
use crate::{Permission, Role};

/// The states that make up a caseload: assigned to a link worker and not yet finished.
pub const CASELOAD_STATES: [Status; 2] = [Status::Assigned, Status::InProgress];

/// The states of the coordinator's unassigned queue.
pub const QUEUE_STATES: [Status; 2] = [Status::Received, Status::Accepted];

code_list!(
    /// Why an item stands where it does in the caseload (after urgency).
    Attention {
        WaitingFirstContact => "waiting_first_contact",
        FollowUpOverdue => "follow_up_overdue",
        FollowUpScheduled => "follow_up_scheduled",
        NoFollowUp => "no_follow_up",
    }
);

/// What the ordering needs to know about one open referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    pub urgency: Urgency,
    /// The day the referral was received: the person has been waiting since then.
    pub received_on: Date,
    /// Whether any contact has been recorded.
    pub contacted: bool,
    pub next_follow_up_on: Option<Date>,
}

/// An item's place in the caseload and the reason for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    pub urgent: bool,
    pub attention: Attention,
    /// Days since the referral was received, while no contact has been made.
    pub waiting_first_contact_days: Option<i64>,
    /// Days past the next follow-up date, once it has passed.
    pub follow_up_overdue_days: Option<i64>,
}

impl Priority {
    /// Smaller sorts first: urgent before routine; then waiting for first contact (longest
    /// first), overdue follow-up (most overdue first), follow-up scheduled (soonest first),
    /// no follow-up date.
    fn sort_key(&self, facts: &CaseFacts) -> (bool, Attention, i64) {
        let within = match self.attention {
            Attention::WaitingFirstContact => -self.waiting_first_contact_days.unwrap_or(0),
            Attention::FollowUpOverdue => -self.follow_up_overdue_days.unwrap_or(0),
            Attention::FollowUpScheduled => facts
                .next_follow_up_on
                .map(|d| i64::from(d.to_julian_day()))
                .unwrap_or(i64::MAX),
            Attention::NoFollowUp => 0,
        };
        (!self.urgent, self.attention, within)
    }
}

/// Where one referral stands on `today`.
pub fn priority(facts: &CaseFacts, today: Date) -> Priority {
    let urgent = facts.urgency == Urgency::Urgent;
    if !facts.contacted {
        return Priority {
            urgent,
            attention: Attention::WaitingFirstContact,
            waiting_first_contact_days: Some(days_between(facts.received_on, today)),
            follow_up_overdue_days: None,
        };
    }
    let (attention, overdue) = match facts.next_follow_up_on {
        Some(due) if due < today => (Attention::FollowUpOverdue, Some(days_between(due, today))),
        Some(_) => (Attention::FollowUpScheduled, None),
        None => (Attention::NoFollowUp, None),
    };
    Priority {
        urgent,
        attention,
        waiting_first_contact_days: None,
        follow_up_overdue_days: overdue,
    }
}

/// Orders a caseload by what needs attention first: urgent first; then waiting for first
/// contact longest; then overdue follow-up, most overdue first; then the rest by next
/// follow-up date, soonest first, those without one last. Ties keep the order given (the
/// store gives oldest referral first).
pub fn prioritise<T>(
    items: Vec<T>,
    today: Date,
    facts: impl Fn(&T) -> CaseFacts,
) -> Vec<(T, Priority)> {
    let mut keyed: Vec<(T, Priority, (bool, Attention, i64))> = items
        .into_iter()
        .map(|item| {
            let f = facts(&item);
            let p = priority(&f, today);
            let key = p.sort_key(&f);
            (item, p, key)
        })
        .collect();
    keyed.sort_by_key(|(_, _, key)| *key);
    keyed.into_iter().map(|(item, p, _)| (item, p)).collect()
}

fn days_between(from: Date, to: Date) -> i64 {
    (to - from).whole_days().max(0)
}

/// Whose caseloads a caller may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseloadScope {
    /// Any link worker's in the caller's organisation (coordinators).
    Organisation,
    /// Only the link worker whose token subject this is (link workers).
    OwnOnly(String),
}

impl CaseloadScope {
    /// Coordinators see anyone's caseload in their organisation; link workers see their own.
    /// `None` when no role of the caller reads caseloads at all.
    pub fn of(roles: &[Role], subject: &str) -> Option<Self> {
        if roles.contains(&Role::Coordinator) {
            Some(Self::Organisation)
        } else if Permission::ReadCaseload.granted_to(roles) {
            Some(Self::OwnOnly(subject.to_owned()))
        } else {
            None
        }
    }

    /// May this scope see the caseload of the link worker with `worker_subject`?
    pub fn admits(&self, worker_subject: &str) -> bool {
        match self {
            Self::Organisation => true,
            Self::OwnOnly(subject) => subject == worker_subject,
        }
    }
}

/// The response-time policy: a referral still `received` after this many working days is
/// overdue in the coordinator's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponsePolicy {
    pub working_days: u32,
}

impl Default for ResponsePolicy {
    fn default() -> Self {
        Self { working_days: 5 }
    }
}

impl ResponsePolicy {
    pub fn is_overdue(&self, status: Status, received_on: Date, today: Date) -> bool {
        status == Status::Received
            && working_days_between(received_on, today) > i64::from(self.working_days)
    }
}

/// Working days (Monday to Friday) after `from` up to and including `to`; 0 when `to` is
/// not after `from`. Bank holidays are not known here and count as working days.
pub fn working_days_between(from: Date, to: Date) -> i64 {
    let days = (to - from).whole_days();
    if days <= 0 {
        return 0;
    }
    let weeks = days / 7;
    let mut count = weeks * 5;
    let mut day = from + time::Duration::days(weeks * 7);
    while day < to {
        day = day.next_day().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23); // a Monday

    fn facts(
        urgency: Urgency,
        received_on: Date,
        contacted: bool,
        next: Option<Date>,
    ) -> CaseFacts {
        CaseFacts {
            urgency,
            received_on,
            contacted,
            next_follow_up_on: next,
        }
    }

    #[test]
    fn an_uncontacted_referral_waits_since_it_was_received() {
        let p = priority(
            &facts(Urgency::Routine, date!(2026 - 11 - 13), false, None),
            TODAY,
        );
        assert_eq!(p.attention, Attention::WaitingFirstContact);
        assert_eq!(p.waiting_first_contact_days, Some(10));
        assert_eq!(p.follow_up_overdue_days, None);
        assert!(!p.urgent);
    }

    #[test]
    fn a_follow_up_date_in_the_past_is_overdue_by_whole_days() {
        let p = priority(
            &facts(
                Urgency::Routine,
                date!(2026 - 10 - 01),
                true,
                Some(date!(2026 - 11 - 20)),
            ),
            TODAY,
        );
        assert_eq!(p.attention, Attention::FollowUpOverdue);
        assert_eq!(p.follow_up_overdue_days, Some(3));
        assert_eq!(p.waiting_first_contact_days, None);
    }

    #[test]
    fn a_follow_up_due_today_is_not_yet_overdue() {
        let p = priority(
            &facts(Urgency::Routine, date!(2026 - 10 - 01), true, Some(TODAY)),
            TODAY,
        );
        assert_eq!(p.attention, Attention::FollowUpScheduled);
        assert_eq!(p.follow_up_overdue_days, None);
    }

    #[test]
    fn the_caseload_is_ordered_by_what_needs_attention_first() {
        let items = vec![
            (
                "no follow-up",
                facts(Urgency::Routine, date!(2026 - 09 - 01), true, None),
            ),
            (
                "due in a week",
                facts(
                    Urgency::Routine,
                    date!(2026 - 09 - 01),
                    true,
                    Some(date!(2026 - 11 - 30)),
                ),
            ),
            (
                "due tomorrow",
                facts(
                    Urgency::Routine,
                    date!(2026 - 09 - 01),
                    true,
                    Some(date!(2026 - 11 - 24)),
                ),
            ),
            (
                "overdue 2 days",
                facts(
                    Urgency::Routine,
                    date!(2026 - 09 - 01),
                    true,
                    Some(date!(2026 - 11 - 21)),
                ),
            ),
            (
                "overdue 9 days",
                facts(
                    Urgency::Routine,
                    date!(2026 - 09 - 01),
                    true,
                    Some(date!(2026 - 11 - 14)),
                ),
            ),
            (
                "waiting 3 days",
                facts(Urgency::Routine, date!(2026 - 11 - 20), false, None),
            ),
            (
                "waiting 12 days",
                facts(Urgency::Routine, date!(2026 - 11 - 11), false, None),
            ),
            (
                "urgent, overdue",
                facts(
                    Urgency::Urgent,
                    date!(2026 - 09 - 01),
                    true,
                    Some(date!(2026 - 11 - 22)),
                ),
            ),
            (
                "urgent, waiting 1 day",
                facts(Urgency::Urgent, date!(2026 - 11 - 22), false, None),
            ),
        ];
        let ordered: Vec<&str> = prioritise(items, TODAY, |(_, f)| *f)
            .into_iter()
            .map(|((name, _), _)| name)
            .collect();
        assert_eq!(
            ordered,
            vec![
                "urgent, waiting 1 day",
                "urgent, overdue",
                "waiting 12 days",
                "waiting 3 days",
                "overdue 9 days",
                "overdue 2 days",
                "due tomorrow",
                "due in a week",
                "no follow-up",
            ]
        );
    }

    #[test]
    fn ties_keep_the_order_given() {
        let same = facts(Urgency::Routine, date!(2026 - 11 - 20), false, None);
        let ordered: Vec<u8> = prioritise(vec![(1, same), (2, same), (3, same)], TODAY, |x| x.1)
            .into_iter()
            .map(|((n, _), _)| n)
            .collect();
        assert_eq!(ordered, vec![1, 2, 3]);
    }

    #[test]
    fn coordinators_see_every_caseload_and_link_workers_their_own() {
        let c = CaseloadScope::of(&[Role::Coordinator], "c-1").unwrap();
        assert!(c.admits("lw-1") && c.admits("lw-2"));
        let lw = CaseloadScope::of(&[Role::LinkWorker], "lw-1").unwrap();
        assert!(lw.admits("lw-1"));
        assert!(!lw.admits("lw-2"));
        let both = CaseloadScope::of(&[Role::LinkWorker, Role::Coordinator], "lw-1").unwrap();
        assert_eq!(both, CaseloadScope::Organisation);
        assert_eq!(CaseloadScope::of(&[Role::Referrer], "r-1"), None);
    }

    #[test]
    fn working_days_skip_weekends() {
        // Friday 20th to Monday 23rd: one working day (the Monday).
        assert_eq!(working_days_between(date!(2026 - 11 - 20), TODAY), 1);
        // Monday to the next Monday: five.
        assert_eq!(working_days_between(date!(2026 - 11 - 16), TODAY), 5);
        // Saturday to Sunday: none.
        assert_eq!(
            working_days_between(date!(2026 - 11 - 21), date!(2026 - 11 - 22)),
            0
        );
        assert_eq!(working_days_between(TODAY, TODAY), 0);
        assert_eq!(working_days_between(TODAY, date!(2026 - 11 - 01)), 0);
        // Three weeks and two days from a Wednesday.
        assert_eq!(
            working_days_between(date!(2026 - 10 - 28), date!(2026 - 11 - 20)),
            17
        );
    }

    #[test]
    fn only_received_referrals_past_the_policy_are_overdue() {
        let policy = ResponsePolicy { working_days: 5 };
        // Received on Monday 16th: five working days by Monday 23rd, not yet overdue.
        assert!(!policy.is_overdue(Status::Received, date!(2026 - 11 - 16), TODAY));
        // Received on Friday 13th: six working days, overdue.
        assert!(policy.is_overdue(Status::Received, date!(2026 - 11 - 13), TODAY));
        // Accepted referrals have had their response.
        assert!(!policy.is_overdue(Status::Accepted, date!(2026 - 11 - 01), TODAY));
    }
}
