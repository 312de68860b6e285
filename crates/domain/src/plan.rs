//! The personal plan: what matters to the person, their goals, and small steps.

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::code_list;
use crate::violations::Invalid;

pub const MAX_GOALS: usize = 20;
pub const MAX_STEPS: usize = 50;
/// Characters in one goal or one step.
pub const ITEM_TEXT: usize = 500;

code_list!(
    StepStatus {
        Planned => "planned",
        Done => "done",
        Dropped => "dropped",
    }
);

/// One small step: what, by when, and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub text: String,
    pub due_on: Option<Date>,
    pub status: StepStatus,
}

/// A plan's content. A referral's plan starts empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub what_matters_to_me: Option<String>,
    pub goals: Vec<String>,
    pub steps: Vec<Step>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_counted_by_status() {
        let step = |status| Step {
            text: "Walk to the park".into(),
            due_on: None,
            status,
        };
        let plan = Plan {
            what_matters_to_me: None,
            goals: vec![],
            steps: vec![
                step(StepStatus::Done),
                step(StepStatus::Planned),
                step(StepStatus::Done),
                step(StepStatus::Dropped),
            ],
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
}
