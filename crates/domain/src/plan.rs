//! The personal plan: what matters to the person, their goals, and small steps.

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::code_list;
use crate::text;
use crate::violations::Invalid;

pub const MAX_GOALS: usize = 20;
pub const MAX_STEPS: usize = 50;
pub const MAX_STRENGTHS: usize = 20;
/// Characters in one goal, one strength or one step.
pub const ITEM_TEXT: usize = 500;
/// Characters in a name with a role ("Sam Taylor, link worker"): a step's `who` and the
/// plan's `review_by`, as the PRSB standard's "Name" (70).
pub const NAME_AND_ROLE: usize = 70;
/// The person's confidence to take a step, on the standard's scale of 1 to 10.
pub const CONFIDENCE: std::ops::RangeInclusive<u8> = 1..=10;

code_list!(
    StepStatus {
        Planned => "planned",
        Done => "done",
        Dropped => "dropped",
    }
);

/// One small step (the PRSB standard's "Actions and activities"): what, by when, who
/// does it, how confident the person is, when to look at it again, and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub text: String,
    pub due_on: Option<Date>,
    pub status: StepStatus,
    /// Who carries it out: the person, a carer, a named professional or team.
    pub who: Option<String>,
    /// How confident the person feels to do it, within [`CONFIDENCE`].
    pub confidence: Option<u8>,
    pub review_on: Option<Date>,
}

impl Step {
    /// A planned step with nothing but its text.
    pub fn planned(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            due_on: None,
            status: StepStatus::Planned,
            who: None,
            confidence: None,
            review_on: None,
        }
    }
}

/// A plan's content (the PRSB standard's "Care and support plan"). A referral's plan
/// starts empty.
///
/// Goals stay plain texts: the standard's goals carry a code, an importance score and
/// their own actions, but changing their shape would break every client that sends
/// them as strings; steps stay a flat list beside them for the same reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub what_matters_to_me: Option<String>,
    pub goals: Vec<String>,
    pub steps: Vec<Step>,
    /// The person's strengths and assets that bear on their goals.
    pub strengths: Vec<String>,
    /// Whether the plan was discussed and agreed with the person (or their legitimate
    /// representative); absent when not yet recorded.
    pub agreed_with_person: Option<bool>,
    /// When the plan is next to be reviewed.
    pub planned_review_on: Option<Date>,
    /// Who is responsible for arranging that review.
    pub review_by: Option<String>,
}

/// A plan as stored: version 0 is the empty plan nobody has written yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlan {
    pub referral_id: Uuid,
    pub plan: Plan,
    pub version: u32,
    pub updated_by: Option<String>,
    pub updated_at: Option<OffsetDateTime>,
}

impl Plan {
    /// Counts of steps by status, in the order of [`StepStatus::ALL`].
    pub fn step_counts(&self) -> [usize; 3] {
        let mut counts = [0; 3];
        for step in &self.steps {
            counts[StepStatus::ALL
                .iter()
                .position(|s| *s == step.status)
                .unwrap_or(0)] += 1;
        }
        counts
    }
}

pub fn check_count(n: usize, max: usize) -> Result<(), Invalid> {
    if n > max {
        Err(Invalid::new(
            "too_many",
            format!("must have at most {max} entries (got {n})"),
        ))
    } else {
        Ok(())
    }
}

/// The person's confidence to take a step: a whole number within [`CONFIDENCE`].
pub fn confidence(n: i64) -> Result<u8, Invalid> {
    u8::try_from(n)
        .ok()
        .filter(|n| CONFIDENCE.contains(n))
        .ok_or_else(|| {
            Invalid::new(
                "out_of_range",
                format!(
                    "must be a whole number from {} to {}",
                    CONFIDENCE.start(),
                    CONFIDENCE.end()
                ),
            )
        })
}

/// A name with a role (a step's `who`, the plan's `review_by`): one line of at most
/// [`NAME_AND_ROLE`] characters; blank is absent.
pub fn name_and_role(raw: &str) -> Result<Option<String>, Invalid> {
    text::optional_label(raw, NAME_AND_ROLE)
}

/// One goal or strength: a required line of at most [`ITEM_TEXT`] characters.
pub fn item(raw: &str) -> Result<String, Invalid> {
    text::label(raw, ITEM_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_counted_by_status() {
        let step = |status| Step {
            status,
            ..Step::planned("Walk to the park")
        };
        let plan = Plan {
            steps: vec![
                step(StepStatus::Done),
                step(StepStatus::Planned),
                step(StepStatus::Done),
                step(StepStatus::Dropped),
            ],
            ..Plan::default()
        };
        assert_eq!(plan.step_counts(), [1, 2, 1]);
    }

    #[test]
    fn lists_are_bounded() {
        assert!(check_count(MAX_STEPS, MAX_STEPS).is_ok());
        assert_eq!(
            check_count(MAX_STEPS + 1, MAX_STEPS).unwrap_err().code,
            "too_many"
        );
    }

    #[test]
    fn confidence_is_a_whole_number_from_one_to_ten() {
        assert_eq!(confidence(1).unwrap(), 1);
        assert_eq!(confidence(10).unwrap(), 10);
        for n in [0, 11, -1, 256, i64::MAX] {
            assert_eq!(confidence(n).unwrap_err().code, "out_of_range", "{n}");
        }
    }

    #[test]
    fn who_and_review_by_are_one_line_of_at_most_seventy_characters() {
        assert_eq!(
            name_and_role(" Sam Taylor, link worker ")
                .unwrap()
                .as_deref(),
            Some("Sam Taylor, link worker")
        );
        assert_eq!(name_and_role("").unwrap(), None);
        assert!(name_and_role(&"x".repeat(NAME_AND_ROLE)).is_ok());
        assert_eq!(
            name_and_role(&"x".repeat(NAME_AND_ROLE + 1))
                .unwrap_err()
                .code,
            "too_long"
        );
        assert_eq!(
            name_and_role("Sam\tTaylor").unwrap_err().code,
            "control_characters"
        );
    }

    #[test]
    fn a_strength_or_goal_is_required_and_bounded() {
        assert_eq!(
            item(" Good with her hands ").unwrap(),
            "Good with her hands"
        );
        assert_eq!(item(" ").unwrap_err().code, "required");
        assert_eq!(
            item(&"x".repeat(ITEM_TEXT + 1)).unwrap_err().code,
            "too_long"
        );
        assert!(check_count(MAX_STRENGTHS, MAX_STRENGTHS).is_ok());
        assert_eq!(
            check_count(MAX_STRENGTHS + 1, MAX_STRENGTHS)
                .unwrap_err()
                .code,
            "too_many"
        );
    }
}
