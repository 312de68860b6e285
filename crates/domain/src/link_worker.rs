//! Link workers: staff of an organisation who hold a caseload up to a capacity.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::violations::Invalid;
use crate::{limits, text};

/// The most referrals one link worker may be given as a capacity.
pub const MAX_CAPACITY: u32 = 500;
/// Token subjects are opaque strings from the identity provider.
pub const MAX_SUBJECT: usize = 255;

/// A link worker as a coordinator describes them. Every field has passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLinkWorker {
    /// The `sub` claim of this worker's tokens: how "my caseload" is recognised.
    pub subject: String,
    pub display_name: String,
    /// How many open referrals (assigned or in progress) they can hold.
    pub capacity: u32,
    /// Inactive link workers keep their history but are given no new referrals.
    pub active: bool,
}

/// A link worker as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkWorker {
    pub id: Uuid,
    pub organisation: String,
    pub details: NewLinkWorker,
    /// Bumped by every change; the ETag.
    pub version: u32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A token subject: one line, 1 to 255 characters, taken as given (not trimmed inside).
pub fn subject(raw: &str) -> Result<String, Invalid> {
    text::label(raw, MAX_SUBJECT)
}

pub fn display_name(raw: &str) -> Result<String, Invalid> {
    text::label(raw, limits::NAME)
}

/// 0 to [`MAX_CAPACITY`]; 0 means "takes no new referrals without an override".
pub fn capacity(n: i64) -> Result<u32, Invalid> {
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_CAPACITY)
        .ok_or_else(|| {
            Invalid::new(
                "out_of_range",
                format!("must be a whole number from 0 to {MAX_CAPACITY}"),
            )
        })
}

/// How much of a caseload is left: never a negative number. A coordinator's override
/// can put a link worker past capacity; then `left` is 0 and `over_by` says by how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headroom {
    /// Open referrals (assigned or in progress).
    pub open: u32,
    pub left: u32,
    pub over_by: u32,
}

pub fn headroom(capacity: u32, open: u32) -> Headroom {
    Headroom {
        open,
        left: capacity.saturating_sub(open),
        over_by: open.saturating_sub(capacity),
    }
}

/// Why an assignment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the link worker is at capacity ({open} open of {capacity})")]
    AtCapacity { capacity: u32, open: u32 },
    #[error("the link worker is not active")]
    Inactive,
}

/// May a link worker holding `open` referrals take one more? A coordinator's override
/// lifts the capacity limit, never the active flag.
pub fn check_assignment(
    worker: &NewLinkWorker,
    open: u32,
    override_capacity: bool,
) -> Result<(), Refusal> {
    if !worker.active {
        return Err(Refusal::Inactive);
    }
    if open >= worker.capacity && !override_capacity {
        return Err(Refusal::AtCapacity {
            capacity: worker.capacity,
            open,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(capacity: u32, active: bool) -> NewLinkWorker {
        NewLinkWorker {
            subject: "lw-1".into(),
            display_name: "Sam Taylor".into(),
            capacity,
            active,
        }
    }

    #[test]
    fn capacity_is_zero_to_five_hundred() {
        assert_eq!(capacity(0).unwrap(), 0);
        assert_eq!(capacity(500).unwrap(), 500);
        assert_eq!(capacity(501).unwrap_err().code, "out_of_range");
        assert_eq!(capacity(-1).unwrap_err().code, "out_of_range");
    }

    #[test]
    fn a_subject_is_a_bounded_single_line() {
        assert_eq!(subject(" lw-1 ").unwrap(), "lw-1");
        assert_eq!(subject("").unwrap_err().code, "required");
        assert_eq!(subject(&"x".repeat(256)).unwrap_err().code, "too_long");
    }

    #[test]
    fn a_worker_below_capacity_takes_another_referral() {
        assert_eq!(check_assignment(&worker(3, true), 2, false), Ok(()));
    }

    #[test]
    fn a_worker_at_capacity_is_refused_unless_overridden() {
        assert_eq!(
            check_assignment(&worker(3, true), 3, false),
            Err(Refusal::AtCapacity {
                capacity: 3,
                open: 3
            })
        );
        assert_eq!(check_assignment(&worker(3, true), 3, true), Ok(()));
        assert_eq!(check_assignment(&worker(0, true), 0, true), Ok(()));
    }

    #[test]
    fn an_inactive_worker_is_refused_even_with_an_override() {
        assert_eq!(
            check_assignment(&worker(3, false), 0, true),
            Err(Refusal::Inactive)
        );
    }

    #[test]
    fn headroom_is_never_negative_and_an_override_shows_as_over_capacity() {
        use super::{Headroom, headroom};
        assert_eq!(
            headroom(3, 1),
            Headroom {
                open: 1,
                left: 2,
                over_by: 0
            }
        );
        assert_eq!(
            headroom(3, 3),
            Headroom {
                open: 3,
                left: 0,
                over_by: 0
            }
        );
        assert_eq!(
            headroom(3, 4),
            Headroom {
                open: 4,
                left: 0,
                over_by: 1
            }
        );
    }
}
