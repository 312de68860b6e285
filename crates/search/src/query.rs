//! Building a [`Query`] from request parameters: the defaults, the bounds, and the rules
//! that relate one parameter to another (a radius needs a point, relevance needs text, a
//! cursor belongs to one order). `/v1/activities` reads its parameters with
//! [`activity_search`]; the Open Referral UK lists name theirs differently and feed the
//! same [`QueryBuilder`], so both searches keep one set of rules.

use socialrx_domain::directory::{AccessibilityFeature, Category, Point, TimeOfDay, Weekday};
use socialrx_domain::violations::Invalid;
use socialrx_domain::{FieldError, Violations};
use time::Date;

use crate::geo::Gazetteer;
use crate::{Cursor, Query, Sort};

/// Radius when a point is given without one, and the bounds of one given.
pub const DEFAULT_RADIUS_KM: f64 = 10.0;
pub const MAX_RADIUS_KM: f64 = 200.0;
pub const MIN_RADIUS_KM: f64 = 0.1;
/// The largest `age` and `verified_within_days` asked about.
pub const MAX_AGE: u8 = 120;
pub const MAX_VERIFIED_WITHIN_DAYS: u32 = 36500;
/// The longest free-text query `/v1/activities` takes, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// Page size of `/v1/activities` when none is asked for, and its bounds.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: u32 = 100;

socialrx_domain::code_list!(
    SortCode {
        Relevance => "relevance",
        Distance => "distance",
        Name => "name",
    }
);

impl Query {
    /// Every active activity, by name: the search before any parameter is read.
    pub fn everything(today: Date, limit: usize) -> Self {
        Query {
            text: None,
            categories: vec![],
            near: None,
            days: vec![],
            from: None,
            to: None,
            free: None,
            online: None,
            age: None,
            accessible: vec![],
            verified_within_days: None,
            open_to_new: None,
            sort: Sort::Name,
            limit,
            after: None,
            today,
        }
    }
}

/// Collects a search parameter by parameter, with every problem, and checks the whole
/// in [`QueryBuilder::finish`]. Repeated filters (categories, days, features) are kept
/// once each.
pub struct QueryBuilder {
    query: Query,
    violations: Violations,
    /// The point as given: a located postcode, or coordinates.
    near: Option<Point>,
    lat: Option<f64>,
    lon: Option<f64>,
    radius_km: Option<f64>,
    sort: Option<SortCode>,
    /// The order to use when none is asked for, when it is not the usual one.
    default_sort: Option<Sort>,
    cursor: Option<Cursor>,
    /// Whether `near` (or `lat`) was given, valid or not: a radius beside a postcode that
    /// did not parse is not also reported as "needs a point".
    gave_near: bool,
    gave_point: bool,
}

impl QueryBuilder {
    pub fn new(today: Date, limit: usize) -> Self {
        Self {
            query: Query::everything(today, limit),
            violations: Violations::new(),
            near: None,
            lat: None,
            lon: None,
            radius_km: None,
            sort: None,
            default_sort: None,
            cursor: None,
            gave_near: false,
            gave_point: false,
        }
    }

    /// Route-specific rules add their problems here.
    pub fn violations(&mut self) -> &mut Violations {
        &mut self.violations
    }

    /// Free text; blank means none.
    pub fn text(&mut self, value: String) {
        self.query.text = Some(value).filter(|t| !t.trim().is_empty());
    }

    pub fn category(&mut self, c: Category) {
        if !self.query.categories.contains(&c) {
            self.query.categories.push(c);
        }
    }

    pub fn day(&mut self, d: Weekday) {
        if !self.query.days.contains(&d) {
            self.query.days.push(d);
        }
    }

    pub fn accessible(&mut self, a: AccessibilityFeature) {
        if !self.query.accessible.contains(&a) {
            self.query.accessible.push(a);
        }
    }

    /// A postcode or outward code to search around, placed by the gazetteer.
    pub fn near(&mut self, field: &str, gazetteer: &Gazetteer, raw: &str) {
        self.gave_near = true;
        self.gave_point = true;
        self.near = self
            .violations
            .check(field, gazetteer.locate(raw).map(|(p, _)| p));
    }

    pub fn lat(&mut self, raw: &str) {
        self.gave_point = true;
        self.lat = self.violations.check("lat", number(raw, -90.0, 90.0));
    }

    pub fn lon(&mut self, raw: &str) {
        self.lon = self.violations.check("lon", number(raw, -180.0, 180.0));
    }

    pub fn radius_km(&mut self, field: &str, km: Result<f64, Invalid>) {
        self.radius_km = self.violations.check(field, km);
    }

    /// A session wholly within `from` to `to`, `HH:MM` UK local time.
    pub fn from(&mut self, field: &str, raw: &str) {
        self.query.from = self.violations.check(field, TimeOfDay::parse(raw));
    }

    pub fn to(&mut self, field: &str, raw: &str) {
        self.query.to = self.violations.check(field, TimeOfDay::parse(raw));
    }

    pub fn age(&mut self, field: &str, age: Result<u8, Invalid>) {
        self.query.age = self.violations.check(field, age);
    }

    pub fn sort(&mut self, raw: &str) {
        self.sort = self.violations.check("sort", SortCode::parse(raw));
    }

    /// The order when none is asked for, instead of relevance with text, else distance
    /// with a point, else name.
    pub fn default_sort(&mut self, sort: Sort) {
        self.default_sort = Some(sort);
    }

    pub fn cursor(&mut self, raw: &str) {
        self.cursor = self.violations.check(
            "cursor",
            Cursor::decode(raw)
                .ok_or_else(|| Invalid::new("cursor_format", "is not a cursor this API gave out")),
        );
    }

    /// Checks the parameters against each other; every problem at once.
    pub fn finish(mut self) -> Result<Query, Vec<FieldError>> {
        let point = self.point();
        if self.radius_km.is_some() && point.is_none() && !self.gave_point {
            self.violations.push(FieldError::new(
                "radius_km",
                "requires_point",
                "needs near, or lat and lon",
            ));
        }
        self.query.near = point.map(|p| (p, self.radius_km.unwrap_or(DEFAULT_RADIUS_KM)));
        self.query.sort = self.order();
        if let Some(c) = &self.cursor
            && c.sort() != self.query.sort
        {
            self.violations.push(FieldError::new(
                "cursor",
                "cursor_mismatch",
                "belongs to a search with another order",
            ));
        }
        self.query.after = self.cursor.take();
        let query = self.query;
        self.violations.finish(|| Some(query))
    }

    /// The point searched around: a postcode, or coordinates, never both.
    fn point(&mut self) -> Option<Point> {
        match (self.near, self.lat, self.lon) {
            (Some(p), None, None) => Some(p),
            (None, Some(lat), Some(lon)) => Some(Point { lat, lon }),
            (None, None, None) => None,
            (Some(_), _, _) => {
                self.violations.push(FieldError::new(
                    "near",
                    "conflict",
                    "give either near or lat and lon, not both",
                ));
                None
            }
            _ => {
                if !self.gave_near {
                    self.violations.push(FieldError::new(
                        "lon",
                        "required",
                        "lat and lon go together",
                    ));
                }
                None
            }
        }
    }

    /// The order asked for, if the search has what it needs, else the default.
    fn order(&mut self) -> Sort {
        let (has_text, has_point) = (self.query.text.is_some(), self.query.near.is_some());
        match self.sort {
            Some(SortCode::Relevance) if !has_text => {
                self.violations.push(FieldError::new(
                    "sort",
                    "requires_q",
                    "relevance needs a text query (q)",
                ));
                Sort::Name
            }
            Some(SortCode::Distance) if !has_point && !self.gave_point => {
                self.violations.push(FieldError::new(
                    "sort",
                    "requires_point",
                    "distance needs near, or lat and lon",
                ));
                Sort::Name
            }
            Some(SortCode::Relevance) => Sort::Relevance,
            Some(SortCode::Distance) => Sort::Distance,
            Some(SortCode::Name) => Sort::Name,
            None => match self.default_sort {
                Some(sort) => sort,
                None if has_text => Sort::Relevance,
                None if has_point => Sort::Distance,
                None => Sort::Name,
            },
        }
    }
}

/// Reads `/v1/activities`' query string (as pairs, in order) into a search; every
/// problem is reported at once. `category`, `day` and `accessible` may repeat; any other
/// parameter given twice is refused.
pub fn activity_search(
    pairs: Vec<(String, String)>,
    gazetteer: &Gazetteer,
    today: Date,
) -> Result<Query, Vec<FieldError>> {
    let mut b = QueryBuilder::new(today, DEFAULT_LIMIT);
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in pairs {
        let repeatable = matches!(key.as_str(), "category" | "day" | "accessible");
        if !repeatable && seen.contains(&key) {
            b.violations()
                .push(FieldError::new(&key, "repeated", "may be given only once"));
            continue;
        }
        seen.push(key.clone());
        read_activity_parameter(&mut b, gazetteer, &key, &value);
    }
    // Here rather than in `finish`: the Open Referral UK lists have never refused an
    // empty window, and their clients rely on that.
    if let (Some(from), Some(to)) = (b.query.from, b.query.to)
        && from >= to
    {
        b.violations
            .push(FieldError::new("to", "time_order", "must be after from"));
    }
    b.finish()
}

fn read_activity_parameter(b: &mut QueryBuilder, gazetteer: &Gazetteer, key: &str, value: &str) {
    match key {
        "q" if value.chars().count() > MAX_TEXT_CHARS => b.violations().push(FieldError::new(
            "q",
            "too_long",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        )),
        "q" => b.text(value.to_owned()),
        "category" => {
            if let Some(c) = b.violations().check("category", Category::parse(value)) {
                b.category(c);
            }
        }
        "day" => {
            if let Some(d) = b.violations().check("day", Weekday::parse(value)) {
                b.day(d);
            }
        }
        "accessible" => {
            if let Some(a) = b
                .violations()
                .check("accessible", AccessibilityFeature::parse(value))
            {
                b.accessible(a);
            }
        }
        "near" => b.near("near", gazetteer, value),
        "lat" => b.lat(value),
        "lon" => b.lon(value),
        "radius_km" => b.radius_km("radius_km", number(value, MIN_RADIUS_KM, MAX_RADIUS_KM)),
        "from" => b.from("from", value),
        "to" => b.to("to", value),
        "free" => b.query.free = b.violations.check("free", boolean(value)),
        "online" => b.query.online = b.violations.check("online", boolean(value)),
        "open_to_new" => b.query.open_to_new = b.violations.check("open_to_new", boolean(value)),
        "age" => b.age("age", number(value, 0, MAX_AGE)),
        "verified_within_days" => {
            b.query.verified_within_days = b.violations.check(
                "verified_within_days",
                number(value, 0, MAX_VERIFIED_WITHIN_DAYS),
            )
        }
        "sort" => b.sort(value),
        "limit" => {
            let limit = number(value, 1, MAX_LIMIT).map_err(|_| {
                Invalid::new(
                    "out_of_range",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )
            });
            if let Some(n) = b.violations.check("limit", limit) {
                b.query.limit = n as usize;
            }
        }
        "cursor" => b.cursor(value),
        // The API's query-rules middleware refuses these first; kept so that this parser
        // is complete on its own.
        other => b.violations().push(FieldError::unknown_parameter(other)),
    }
}

fn boolean(raw: &str) -> Result<bool, Invalid> {
    match raw.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Invalid::new("type", "must be true or false")),
    }
}

/// A number within `min..=max`, or the rule that says so.
pub fn number<T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display>(
    raw: &str,
    min: T,
    max: T,
) -> Result<T, Invalid> {
    match raw.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(Invalid::new(
            "out_of_range",
            format!("must be a number from {min} to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn search(query: &str) -> Result<Query, Vec<FieldError>> {
        let pairs = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        activity_search(pairs, &Gazetteer::embedded(), date!(2026 - 12 - 07))
    }

    fn codes(errors: Vec<FieldError>) -> Vec<(String, &'static str)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn the_order_follows_what_the_search_has() {
        assert_eq!(search("").unwrap().sort, Sort::Name);
        assert_eq!(search("q=walk").unwrap().sort, Sort::Relevance);
        let near = search("near=LS6").unwrap();
        assert_eq!(near.sort, Sort::Distance);
        assert_eq!(near.near.map(|(_, km)| km), Some(DEFAULT_RADIUS_KM));
        assert_eq!(search("q=walk&near=LS6").unwrap().sort, Sort::Relevance);
    }

    #[test]
    fn parameters_that_need_another_say_which() {
        let errors = codes(search("radius_km=5&sort=relevance&lat=53.8").unwrap_err());
        assert!(errors.contains(&("lon".into(), "required")), "{errors:?}");
        assert!(
            errors.contains(&("sort".into(), "requires_q")),
            "{errors:?}"
        );
        let errors = codes(search("radius_km=5").unwrap_err());
        assert_eq!(errors, vec![("radius_km".into(), "requires_point")]);
        let errors = codes(search("near=LS6&lat=53.8&lon=-1.5").unwrap_err());
        assert_eq!(errors, vec![("near".into(), "conflict")]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = codes(search("limit=0&age=121&from=12:00&to=09:00&q=a&q=b").unwrap_err());
        assert_eq!(
            errors,
            vec![
                ("limit".into(), "out_of_range"),
                ("age".into(), "out_of_range"),
                ("q".into(), "repeated"),
                ("to".into(), "time_order"),
            ]
        );
    }

    #[test]
    fn a_cursor_belongs_to_one_order() {
        let by_name = Cursor::Name {
            key: "walk".into(),
            id: uuid::Uuid::nil(),
        }
        .encode();
        assert!(search(&format!("cursor={by_name}")).is_ok());
        let errors = codes(search(&format!("q=walk&cursor={by_name}")).unwrap_err());
        assert_eq!(errors, vec![("cursor".into(), "cursor_mismatch")]);
    }

    #[test]
    fn a_default_order_gives_way_to_one_asked_for() {
        let mut b = QueryBuilder::new(date!(2026 - 12 - 07), 50);
        b.text("walk".into());
        b.near("postcode", &Gazetteer::embedded(), "LS6");
        b.default_sort(Sort::Distance);
        assert_eq!(b.finish().unwrap().sort, Sort::Distance);
        let mut b = QueryBuilder::new(date!(2026 - 12 - 07), 50);
        b.text("walk".into());
        b.default_sort(Sort::Distance);
        b.sort("name");
        assert_eq!(b.finish().unwrap().sort, Sort::Name);
    }
}
