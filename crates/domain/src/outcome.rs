//! Outcome measurements: validated instruments answered at a time point, scored here.
//!
//! Only codes, item counts, ranges and scoring are shipped. The item wording of licensed
//! instruments is not: an organisation attaches its own licensed wording (store side).

use time::Date;

use crate::code_list;
use crate::violations::{FieldError, Invalid};

code_list!(
    /// A validated outcome instrument.
    Instrument {
        Ons4 => "ons4",
        Swemwbs => "swemwbs",
        Ucla3 => "ucla3",
    }
);

code_list!(
    /// When in the referral the instrument was answered.
    TimePoint {
        Baseline => "baseline",
        FollowUp => "follow_up",
        Discharge => "discharge",
    }
);

/// The SWEMWBS raw score (7-35) to metric score conversion table, as published
/// (Stewart-Brown et al. 2009; Warwick Medical School). Index 0 is raw score 7.
pub const SWEMWBS_METRIC: [f64; 29] = [
    7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43, 17.98, 18.59,
    19.25, 19.98, 20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70,
    32.55, 35.00,
];

/// One reported score of a measurement. ONS4 reports each item as its own scale and is
/// never summed; SWEMWBS reports `raw` and `metric`; UCLA 3-item reports `total`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleScore {
    pub scale: &'static str,
    pub value: f64,
    /// +1 when a higher value is better, -1 when a fall is an improvement.
    pub direction: i32,
}

/// How one scale moved between the baseline and a later measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleChange {
    pub scale: &'static str,
    pub baseline: f64,
    pub value: f64,
    /// `value - baseline`, rounded to two decimals.
    pub change: f64,
    pub improved: bool,
}

impl Instrument {
    /// How many items the instrument has.
    pub fn items(self) -> usize {
        match self {
            Instrument::Ons4 => 4,
            Instrument::Swemwbs => 7,
            Instrument::Ucla3 => 3,
        }
    }

    /// The lowest and highest answer allowed for every item.
    pub fn answer_range(self) -> (i64, i64) {
        match self {
            Instrument::Ons4 => (0, 10),
            Instrument::Swemwbs => (1, 5),
            Instrument::Ucla3 => (1, 3),
        }
    }

    /// The scales this instrument reports, with the direction of improvement.
    pub fn scales(self) -> &'static [(&'static str, i32)] {
        match self {
            Instrument::Ons4 => &[
                ("life_satisfaction", 1),
                ("worthwhile", 1),
                ("happy_yesterday", 1),
                ("anxious_yesterday", -1),
            ],
            Instrument::Swemwbs => &[("raw", 1), ("metric", 1)],
            Instrument::Ucla3 => &[("total", -1)],
        }
    }

    /// Whether the item wording is under licence (never shipped; organisations attach
    /// their own). All three are: ONS4 is Crown copyright, SWEMWBS is licensed by
    /// Warwick, the UCLA items are copyright of their authors.
    pub fn licensed(self) -> bool {
        true
    }

    /// Checks the answers item by item (every problem at once) and scores them.
    pub fn score(self, answers: &[i64]) -> Result<Vec<ScaleScore>, Vec<FieldError>> {
        let errors = self.check_answers(answers);
        if !errors.is_empty() {
            return Err(errors);
        }
        let scales = self.scales();
        let scores = match self {
            Instrument::Ons4 => answers
                .iter()
                .zip(scales)
                .map(|(a, (scale, direction))| ScaleScore {
                    scale,
                    value: *a as f64,
                    direction: *direction,
                })
                .collect(),
            Instrument::Swemwbs => {
                let raw: i64 = answers.iter().sum();
                vec![
                    ScaleScore {
                        scale: "raw",
                        value: raw as f64,
                        direction: 1,
                    },
                    ScaleScore {
                        scale: "metric",
                        value: swemwbs_metric(raw).unwrap_or(f64::NAN),
                        direction: 1,
                    },
                ]
            }
            Instrument::Ucla3 => vec![ScaleScore {
                scale: "total",
                value: answers.iter().sum::<i64>() as f64,
                direction: -1,
            }],
        };
        Ok(scores)
    }

    /// Every problem with the answers: the wrong count, and each answer out of range.
    pub fn check_answers(self, answers: &[i64]) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if answers.len() != self.items() {
            errors.push(FieldError::new(
                "answers",
                "item_count",
                format!(
                    "{} needs exactly {} answers (got {})",
                    self,
                    self.items(),
                    answers.len()
                ),
            ));
        }
        let (min, max) = self.answer_range();
        for (i, a) in answers.iter().enumerate() {
            if !(min..=max).contains(a) {
                errors.push(FieldError::new(
                    format!("answers[{i}]"),
                    "out_of_range",
                    format!("{self} answers are whole numbers from {min} to {max} (got {a})"),
                ));
            }
        }
        errors
    }
}

/// The published SWEMWBS metric score for a raw score of 7 to 35.
pub fn swemwbs_metric(raw: i64) -> Option<f64> {
    usize::try_from(raw - 7)
        .ok()
        .and_then(|i| SWEMWBS_METRIC.get(i))
        .copied()
}

/// A measurement as submitted: codes parsed, answers not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeasurement {
    pub instrument: Instrument,
    pub time_point: TimePoint,
    pub measured_on: Date,
    pub answers: Vec<i64>,
}

/// An earlier measurement of the same instrument for the same referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earlier {
    pub time_point: TimePoint,
    pub measured_on: Date,
}

impl NewMeasurement {
    /// Every rule at once: answers item by item, one baseline per instrument, nothing
    /// after the baseline without one, and nothing dated before the baseline.
    pub fn accept(&self, earlier: &[Earlier]) -> Result<Vec<ScaleScore>, Vec<FieldError>> {
        let mut errors = self.instrument.check_answers(&self.answers);
        errors.extend(check_sequence(self.time_point, self.measured_on, earlier));
        if !errors.is_empty() {
            return Err(errors);
        }
        self.instrument.score(&self.answers)
    }
}

/// The time point rules against the earlier measurements of the same instrument.
pub fn check_sequence(
    time_point: TimePoint,
    measured_on: Date,
    earlier: &[Earlier],
) -> Vec<FieldError> {
    let baseline = earlier.iter().find(|e| e.time_point == TimePoint::Baseline);
    let mut errors = Vec::new();
    match (time_point, baseline) {
        (TimePoint::Baseline, Some(_)) => errors.push(FieldError::new(
            "time_point",
            "baseline_exists",
            "this referral already has a baseline for this instrument",
        )),
        (TimePoint::FollowUp | TimePoint::Discharge, None) => errors.push(FieldError::new(
            "time_point",
            "baseline_required",
            format!("a {time_point} needs a baseline of the same instrument first"),
        )),
        (TimePoint::FollowUp | TimePoint::Discharge, Some(b)) if measured_on < b.measured_on => {
            errors.push(FieldError::new(
                "measured_on",
                "before_baseline",
                format!("must not be before the baseline ({})", b.measured_on),
            ))
        }
        _ => {}
    }
    errors
}

/// The date a measurement was taken: not in the future.
pub fn measured_on(date: Date, today: Date) -> Result<Date, Invalid> {
    if date > today {
        Err(Invalid::new("in_future", "must not be in the future"))
    } else {
        Ok(date)
    }
}

/// Change from baseline, scale by scale (scales missing on either side are skipped).
pub fn compare(baseline: &[ScaleScore], later: &[ScaleScore]) -> Vec<ScaleChange> {
    later
        .iter()
        .filter_map(|l| {
            let b = baseline.iter().find(|b| b.scale == l.scale)?;
            let change = round2(l.value - b.value);
            Some(ScaleChange {
                scale: l.scale,
                baseline: b.value,
                value: l.value,
                change,
                improved: change * f64::from(l.direction) > 0.0,
            })
        })
        .collect()
}

/// Rounds to two decimals (the precision of the SWEMWBS table).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The stored name of a scale, back to its static name.
pub fn scale_name(instrument: Instrument, stored: &str) -> Option<&'static str> {
    instrument
        .scales()
        .iter()
        .find(|(s, _)| *s == stored)
        .map(|(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn value(scores: &[ScaleScore], scale: &str) -> f64 {
        scores.iter().find(|s| s.scale == scale).unwrap().value
    }

    #[test]
    fn swemwbs_converts_every_raw_score_with_the_published_table() {
        let published = [
            (7, 7.00),
            (8, 9.51),
            (9, 11.25),
            (10, 12.40),
            (11, 13.33),
            (12, 14.08),
            (13, 14.75),
            (14, 15.32),
            (15, 15.84),
            (16, 16.36),
            (17, 16.88),
            (18, 17.43),
            (19, 17.98),
            (20, 18.59),
            (21, 19.25),
            (22, 19.98),
            (23, 20.73),
            (24, 21.54),
            (25, 22.35),
            (26, 23.21),
            (27, 24.11),
            (28, 25.03),
            (29, 26.02),
            (30, 27.03),
            (31, 28.13),
            (32, 29.31),
            (33, 30.70),
            (34, 32.55),
            (35, 35.00),
        ];
        for (raw, metric) in published {
            assert_eq!(swemwbs_metric(raw), Some(metric), "raw {raw}");
        }
        assert_eq!(swemwbs_metric(6), None);
        assert_eq!(swemwbs_metric(36), None);
    }

    #[test]
    fn swemwbs_sums_seven_items_and_reports_raw_and_metric() {
        // All "none of the time" is the floor, all "all of the time" the ceiling.
        let floor = Instrument::Swemwbs.score(&[1; 7]).unwrap();
        assert_eq!((value(&floor, "raw"), value(&floor, "metric")), (7.0, 7.00));
        let ceiling = Instrument::Swemwbs.score(&[5; 7]).unwrap();
        assert_eq!(
            (value(&ceiling, "raw"), value(&ceiling, "metric")),
            (35.0, 35.00)
        );
        // Raw 21 (all "some of the time") is metric 19.25 in the published table.
        let middle = Instrument::Swemwbs.score(&[3; 7]).unwrap();
        assert_eq!(value(&middle, "metric"), 19.25);
        let mixed = Instrument::Swemwbs.score(&[4, 3, 4, 3, 4, 3, 4]).unwrap();
        assert_eq!(
            (value(&mixed, "raw"), value(&mixed, "metric")),
            (25.0, 22.35)
        );
    }

    #[test]
    fn ons4_reports_each_item_on_its_own_and_never_a_sum() {
        let scores = Instrument::Ons4.score(&[7, 8, 6, 3]).unwrap();
        assert_eq!(scores.len(), 4);
        assert_eq!(value(&scores, "life_satisfaction"), 7.0);
        assert_eq!(value(&scores, "worthwhile"), 8.0);
        assert_eq!(value(&scores, "happy_yesterday"), 6.0);
        assert_eq!(value(&scores, "anxious_yesterday"), 3.0);
        assert!(scores.iter().all(|s| s.scale != "total"));
    }

    #[test]
    fn for_ons4_anxiety_a_fall_is_an_improvement() {
        let before = Instrument::Ons4.score(&[4, 5, 4, 8]).unwrap();
        let after = Instrument::Ons4.score(&[6, 5, 3, 5]).unwrap();
        let changes = compare(&before, &after);
        let of = |s: &str| changes.iter().find(|c| c.scale == s).unwrap().clone();
        assert!(of("life_satisfaction").improved);
        assert!(
            !of("worthwhile").improved,
            "no change is not an improvement"
        );
        assert!(!of("happy_yesterday").improved);
        assert_eq!(of("anxious_yesterday").change, -3.0);
        assert!(of("anxious_yesterday").improved);
    }

    #[test]
    fn ucla_three_items_total_three_to_nine_and_higher_is_lonelier() {
        assert_eq!(
            value(&Instrument::Ucla3.score(&[1, 1, 1]).unwrap(), "total"),
            3.0
        );
        assert_eq!(
            value(&Instrument::Ucla3.score(&[3, 3, 3]).unwrap(), "total"),
            9.0
        );
        let before = Instrument::Ucla3.score(&[3, 3, 2]).unwrap();
        let after = Instrument::Ucla3.score(&[2, 2, 1]).unwrap();
        let change = &compare(&before, &after)[0];
        assert_eq!((change.change, change.improved), (-3.0, true));
    }

    #[test]
    fn a_swemwbs_rise_in_metric_score_is_an_improvement() {
        let before = Instrument::Swemwbs.score(&[3; 7]).unwrap();
        let after = Instrument::Swemwbs.score(&[4, 3, 4, 3, 4, 3, 4]).unwrap();
        let metric = compare(&before, &after)
            .into_iter()
            .find(|c| c.scale == "metric")
            .unwrap();
        assert_eq!((metric.change, metric.improved), (3.1, true));
    }

    #[test]
    fn every_answer_problem_is_listed_at_once() {
        let errors = Instrument::Ucla3.score(&[0, 4, 2, 3]).unwrap_err();
        let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("answers", "item_count"),
                ("answers[0]", "out_of_range"),
                ("answers[1]", "out_of_range"),
            ]
        );
        assert_eq!(
            Instrument::Ons4.score(&[0, 10, 11, -1]).unwrap_err().len(),
            2
        );
    }

    #[test]
    fn a_second_baseline_and_a_follow_up_without_one_are_refused() {
        let baseline = Earlier {
            time_point: TimePoint::Baseline,
            measured_on: date!(2026 - 09 - 01),
        };
        let second = check_sequence(TimePoint::Baseline, date!(2026 - 10 - 01), &[baseline]);
        assert_eq!(second[0].code, "baseline_exists");
        let orphan = check_sequence(TimePoint::FollowUp, date!(2026 - 10 - 01), &[]);
        assert_eq!(orphan[0].code, "baseline_required");
        let early = check_sequence(TimePoint::Discharge, date!(2026 - 08 - 01), &[baseline]);
        assert_eq!(early[0].code, "before_baseline");
        assert!(check_sequence(TimePoint::FollowUp, date!(2026 - 10 - 01), &[baseline]).is_empty());
    }

    #[test]
    fn accepting_lists_answer_and_sequence_problems_together() {
        let new = NewMeasurement {
            instrument: Instrument::Swemwbs,
            time_point: TimePoint::FollowUp,
            measured_on: date!(2026 - 10 - 01),
            answers: vec![1, 2, 6],
        };
        let codes: Vec<&str> = new
            .accept(&[])
            .unwrap_err()
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(
            codes,
            vec!["item_count", "out_of_range", "baseline_required"]
        );
    }
}
