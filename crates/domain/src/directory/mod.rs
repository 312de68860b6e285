//! The activity directory: providers, their activities, categories, weekly schedules, and
//! the rules of "near me" search (distance, next session, staleness).
//!
//! Directory data is public (it describes services, not people), so none of it is scoped
//! to a tenant for reading; each record still belongs to the organisation whose
//! `directory_editor`s may change it.

pub mod geo;
pub mod schedule;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::violations::Invalid;
use crate::{OdsCode, Postcode, code_list};

pub use geo::{BoundingBox, Point};
pub use schedule::{Session, TimeOfDay, Weekday};

code_list!(
    /// The social prescribing taxonomy: what an activity is about. Codes are stable; the
    /// labels are for people.
    Category {
        ArtsAndCrafts => "arts_and_crafts",
        PhysicalActivity => "physical_activity",
        NatureAndGardening => "nature_and_gardening",
        SocialGroupsAndBefriending => "social_groups_and_befriending",
        LearningAndLocalHistory => "learning_and_local_history",
        Volunteering => "volunteering",
        MoneyAndBenefitsAdvice => "money_and_benefits_advice",
        Housing => "housing",
        CarersSupport => "carers_support",
        MentalHealthSupport => "mental_health_support",
        DomesticAbuseSupport => "domestic_abuse_support",
        FoodAndCooking => "food_and_cooking",
        EmploymentAndSkills => "employment_and_skills",
        FamilyActivities => "family_activities",
    }
);

impl Category {
    pub fn label(self) -> &'static str {
        use Category::*;
        match self {
            ArtsAndCrafts => "Arts and crafts",
            PhysicalActivity => "Physical activity",
            NatureAndGardening => "Nature and gardening",
            SocialGroupsAndBefriending => "Social groups and befriending",
            LearningAndLocalHistory => "Learning and local history",
            Volunteering => "Volunteering",
            MoneyAndBenefitsAdvice => "Money and benefits advice",
            Housing => "Housing",
            CarersSupport => "Carers support",
            MentalHealthSupport => "Mental health support",
            DomesticAbuseSupport => "Domestic abuse support",
            FoodAndCooking => "Food and cooking",
            EmploymentAndSkills => "Employment and skills",
            FamilyActivities => "Family activities",
        }
    }

    /// A bit per category, for fast filtering.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

code_list!(
    /// Whether an activity runs. Only `active` activities are found by search.
    ActivityStatus {
        Active => "active",
        Inactive => "inactive",
        TemporarilyClosed => "temporarily_closed",
        Defunct => "defunct",
    }
);

code_list!(
    /// How a person joins.
    JoinMethod {
        DropIn => "drop_in",
        Referral => "referral",
        Booking => "booking",
    }
);

code_list!(
    /// What a paid activity's amount is for.
    CostUnit {
        PerSession => "per_session",
        PerWeek => "per_week",
        PerMonth => "per_month",
        PerYear => "per_year",
        PerCourse => "per_course",
    }
);

code_list!(
    /// Accessibility features an activity's venue or format offers.
    AccessibilityFeature {
        StepFreeAccess => "step_free_access",
        WheelchairAccessible => "wheelchair_accessible",
        AccessibleToilet => "accessible_toilet",
        HearingLoop => "hearing_loop",
        BritishSignLanguage => "british_sign_language",
        LargePrint => "large_print",
        QuietSpace => "quiet_space",
        AccessibleParking => "accessible_parking",
        SeatingAvailable => "seating_available",
    }
);

impl AccessibilityFeature {
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// What taking part costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    Free,
    /// An amount in pence, and what it pays for.
    Paid {
        pence: u32,
        unit: CostUnit,
    },
    /// Nobody has said: neither free nor paid. Open Referral v1 feeds leave `fees` empty
    /// both for free services and for those whose price is only in the description, so
    /// an import may not guess "free".
    Unknown,
}

impl Cost {
    pub fn is_free(self) -> bool {
        matches!(self, Cost::Free)
    }

    pub fn is_paid(self) -> bool {
        matches!(self, Cost::Paid { .. })
    }

    /// As [`Cost::parse`], except that `known == false` is the unknown cost, which
    /// cannot also be free or carry an amount.
    pub fn parse_known(
        known: bool,
        free: bool,
        pence: Option<u32>,
        unit: Option<CostUnit>,
    ) -> Result<Self, Invalid> {
        if known {
            return Self::parse(free, pence, unit);
        }
        if free || pence.is_some() || unit.is_some() {
            return Err(Invalid::new(
                "cost_conflict",
                "an unknown cost cannot be free nor have an amount or unit",
            ));
        }
        Ok(Cost::Unknown)
    }

    /// A paid cost must have an amount; a zero amount is free.
    pub fn parse(free: bool, pence: Option<u32>, unit: Option<CostUnit>) -> Result<Self, Invalid> {
        match (free, pence, unit) {
            (true, None | Some(0), _) => Ok(Cost::Free),
            (true, Some(_), _) => Err(Invalid::new(
                "cost_conflict",
                "a free activity cannot have an amount",
            )),
            (false, Some(0), _) => Ok(Cost::Free),
            (false, Some(pence), Some(unit)) => Ok(Cost::Paid { pence, unit }),
            (false, Some(_), None) => Err(Invalid::new(
                "required",
                "a paid activity needs a unit (per_session, per_week, ...)",
            )),
            (false, None, _) => Err(Invalid::new(
                "required",
                "a paid activity needs an amount in pence",
            )),
        }
    }
}

/// Who may take part, by age in whole years; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgeRange {
    pub min: Option<u8>,
    pub max: Option<u8>,
}

impl AgeRange {
    pub fn parse(min: Option<u8>, max: Option<u8>) -> Result<Self, Invalid> {
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(Invalid::new(
                "age_range",
                "the minimum age must not be above the maximum",
            ));
        }
        if min.is_some_and(|a| a > 120) || max.is_some_and(|a| a > 120) {
            return Err(Invalid::new("out_of_range", "ages are 0 to 120"));
        }
        Ok(Self { min, max })
    }

    pub fn admits(self, age: u8) -> bool {
        self.min.is_none_or(|m| age >= m) && self.max.is_none_or(|m| age <= m)
    }
}

/// Where an in-person activity happens.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub address: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<Postcode>,
    /// Given, or placed from the postcode; absent when neither is known.
    pub point: Option<Point>,
    /// A general area ("Leeds North"), the only place shown for a confidential location.
    pub area: Option<String>,
}

/// How to get in touch about an activity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

/// An organisation that runs activities (a charity, a library service, a GP practice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProvider {
    pub name: String,
    pub description: Option<String>,
    pub ods_code: Option<OdsCode>,
    pub contact: Contact,
    /// The record's id in the feed it was imported from.
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: Uuid,
    /// The organisation whose directory editors may change this record.
    pub organisation: String,
    pub details: NewProvider,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// An activity as its editor describes it. Every field has passed its rule.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    pub provider_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub categories: Vec<Category>,
    pub status: ActivityStatus,
    pub join_method: JoinMethod,
    pub cost: Cost,
    pub ages: AgeRange,
    pub accessibility: Vec<AccessibilityFeature>,
    pub online: bool,
    pub location: Option<Location>,
    /// Never placed on a map nor found by distance; shown only as its area.
    pub confidential_location: bool,
    pub schedule: Vec<Session>,
    pub contact: Contact,
    pub capacity: Option<u32>,
    /// `false`: "not taking new people at the moment".
    pub taking_new_people: bool,
    pub last_verified_on: Option<Date>,
    pub external_id: Option<String>,
}

/// An activity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: Uuid,
    pub organisation: String,
    pub provider_name: String,
    /// Increases with every change; the `ETag`.
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub details: NewActivity,
}

impl Activity {
    /// Where a public search may place this activity: never for a confidential location.
    pub fn public_point(&self) -> Option<Point> {
        if self.details.confidential_location {
            None
        } else {
            self.details.location.as_ref().and_then(|l| l.point)
        }
    }
}

/// Category, accessibility and schedule lists: no repeats, order kept.
pub fn distinct<T: PartialEq + Copy + std::fmt::Display>(
    items: Vec<T>,
    max: usize,
) -> Result<Vec<T>, Invalid> {
    if items.len() > max {
        return Err(Invalid::new(
            "too_many",
            format!("must have at most {max} entries"),
        ));
    }
    let mut seen: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if seen.contains(&item) {
            return Err(Invalid::new(
                "duplicate",
                format!("'{item}' is listed twice"),
            ));
        }
        seen.push(item);
    }
    Ok(seen)
}

/// An activity is stale when it has never been verified, or not within `period_days`.
pub fn is_stale(last_verified_on: Option<Date>, today: Date, period_days: u32) -> bool {
    match last_verified_on {
        None => true,
        Some(d) => (today - d).whole_days() > i64::from(period_days),
    }
}

/// A verification date may not be in the future.
pub fn last_verified_on(date: Date, today: Date) -> Result<Date, Invalid> {
    if date > today {
        Err(Invalid::new("in_future", "must not be in the future"))
    } else {
        Ok(date)
    }
}

/// An in-person activity needs somewhere to be: a postcode or a point.
pub fn check_location(online: bool, location: Option<&Location>) -> Result<(), Invalid> {
    match location {
        None if !online => Err(Invalid::new(
            "required",
            "an activity that is not online needs a location with a postcode",
        )),
        Some(l) if l.postcode.is_none() && l.point.is_none() => Err(Invalid::new(
            "required",
            "a location needs a postcode or a latitude and longitude",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_paid_activity_needs_an_amount_and_a_unit() {
        assert_eq!(Cost::parse(true, None, None).unwrap(), Cost::Free);
        assert_eq!(
            Cost::parse(false, Some(350), Some(CostUnit::PerSession)).unwrap(),
            Cost::Paid {
                pence: 350,
                unit: CostUnit::PerSession
            }
        );
        assert_eq!(
            Cost::parse(false, Some(0), Some(CostUnit::PerSession)).unwrap(),
            Cost::Free
        );
        assert_eq!(Cost::parse(false, None, None).unwrap_err().code, "required");
        assert_eq!(
            Cost::parse(false, Some(5), None).unwrap_err().code,
            "required"
        );
        assert_eq!(
            Cost::parse(true, Some(5), None).unwrap_err().code,
            "cost_conflict"
        );
    }

    #[test]
    fn an_unknown_cost_is_neither_free_nor_paid_and_has_no_amount() {
        let unknown = Cost::parse_known(false, false, None, None).unwrap();
        assert_eq!(unknown, Cost::Unknown);
        assert!(!unknown.is_free() && !unknown.is_paid());
        assert_eq!(
            Cost::parse_known(false, true, None, None).unwrap_err().code,
            "cost_conflict"
        );
        assert_eq!(
            Cost::parse_known(false, false, Some(250), Some(CostUnit::PerSession))
                .unwrap_err()
                .code,
            "cost_conflict"
        );
        assert_eq!(
            Cost::parse_known(true, true, None, None).unwrap(),
            Cost::Free
        );
    }

    #[test]
    fn an_age_range_admits_ages_between_its_ends() {
        let adults = AgeRange::parse(Some(18), None).unwrap();
        assert!(adults.admits(18) && adults.admits(90) && !adults.admits(17));
        let teens = AgeRange::parse(Some(13), Some(19)).unwrap();
        assert!(teens.admits(19) && !teens.admits(20));
        assert!(AgeRange::default().admits(0));
        assert_eq!(
            AgeRange::parse(Some(20), Some(10)).unwrap_err().code,
            "age_range"
        );
    }

    #[test]
    fn an_activity_unverified_for_longer_than_the_period_is_stale() {
        let today = date!(2026 - 11 - 22);
        assert!(!is_stale(Some(date!(2026 - 06 - 01)), today, 365));
        assert!(!is_stale(Some(date!(2025 - 11 - 22)), today, 365));
        assert!(is_stale(Some(date!(2025 - 11 - 21)), today, 365));
        assert!(is_stale(None, today, 365));
    }

    #[test]
    fn repeats_are_refused() {
        assert_eq!(
            distinct(vec![Category::Housing, Category::Housing], 14)
                .unwrap_err()
                .code,
            "duplicate"
        );
        assert_eq!(
            distinct(vec![Category::Housing, Category::Volunteering], 14).unwrap(),
            vec![Category::Housing, Category::Volunteering]
        );
    }

    #[test]
    fn an_in_person_activity_needs_a_place() {
        assert!(check_location(true, None).is_ok());
        assert_eq!(check_location(false, None).unwrap_err().code, "required");
        let nowhere = Location {
            address: None,
            town: None,
            postcode: None,
            point: None,
            area: None,
        };
        assert!(check_location(false, Some(&nowhere)).is_err());
    }

    #[test]
    fn every_category_has_a_label_and_a_distinct_bit() {
        let mut bits = 0u32;
        for c in Category::ALL {
            assert!(!c.label().is_empty());
            assert_eq!(bits & c.bit(), 0);
            bits |= c.bit();
        }
    }
}
