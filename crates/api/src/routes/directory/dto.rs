//! Directory requests and responses, and their conversion to and from the domain.

use serde::{Deserialize, Serialize};
use socialrx_domain::directory::{
    self, AccessibilityFeature, Activity, ActivityStatus, AgeRange, Category, Contact, Cost,
    CostUnit, JoinMethod, Location, NewActivity, NewProvider, Point, Provider, Session, TimeOfDay,
    Weekday,
};
use socialrx_domain::person::{Email, Phone};
use socialrx_domain::violations::Invalid;
use socialrx_domain::{FieldError, OdsCode, Postcode, Violations, limits, text};
use socialrx_search::geo::Gazetteer;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::schema::{code_list_schema, validation_errors};

crate::schema::codes!(CategoryCodes = Category);
crate::schema::codes!(ActivityStatusCodes = ActivityStatus);
crate::schema::codes!(JoinMethodCodes = JoinMethod);
crate::schema::codes!(CostUnitCodes = CostUnit);
crate::schema::codes!(AccessibilityCodes = AccessibilityFeature);
crate::schema::codes!(WeekdayCodes = Weekday);

/// Categories, accessibility features and sessions an activity may list at most.
pub const MAX_SESSIONS: usize = 14;
pub const DESCRIPTION: usize = 4000;
pub const URL: usize = 500;

// ---------------------------------------------------------------------------------------
// Providers

/// An organisation that runs activities.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!(crate::examples::provider_request()))]
pub struct ProviderRequest {
    #[validate(length(max = 200))]
    #[schema(
        max_length = 200,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
    /// The provider's own ODS code, when it has one (a GP practice that runs activities).
    #[validate(length(max = 10))]
    #[schema(max_length = 10, pattern = r"^(\s*|[A-Za-z0-9]{3,10})$")]
    pub ods_code: Option<String>,
    #[validate(nested)]
    pub contact: Option<ContactBody>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[validate(length(max = 100))]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub name: Option<String>,
    #[validate(length(max = 254))]
    #[schema(
        max_length = 254,
        pattern = r"^(\s*|[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@.\x00-\x1f\x7f-\x9f]+(\.[^\s@.\x00-\x1f\x7f-\x9f]+)+)$"
    )]
    pub email: Option<String>,
    #[validate(length(max = 32))]
    #[schema(
        max_length = 32,
        pattern = r"^(\s*|\+?[ ()\-]?([0-9][ ()\-]?){10,15})$"
    )]
    pub phone: Option<String>,
    #[validate(length(max = 500))]
    #[schema(
        max_length = 500,
        pattern = r"^(\s*|http://[^\s\x00-\x1f\x7f-\x9f]{2,}|https://[^\s\x00-\x1f\x7f-\x9f]+)$"
    )]
    pub website: Option<String>,
}

impl ProviderRequest {
    pub fn into_domain(self) -> Result<NewProvider, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let name = v.check("name", text::label(&self.name, limits::SHORT_TEXT));
        let description = v.check_opt("description", self.description, |s| {
            text::free_text(&s, DESCRIPTION)
        });
        let ods_code = v.check_opt("ods_code", non_blank(self.ods_code), |s| OdsCode::parse(&s));
        let contact = contact(&mut v, "contact", self.contact.unwrap_or_default());
        v.finish(|| {
            Some(NewProvider {
                name: name?,
                description: description?.flatten(),
                ods_code: ods_code?,
                contact: contact?,
                external_id: None,
            })
        })
    }
}

/// A provider as the directory shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderResponse {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub ods_code: Option<String>,
    pub contact: ContactBody,
    /// The organisation whose directory editors maintain this record.
    pub organisation: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<Provider> for ProviderResponse {
    fn from(p: Provider) -> Self {
        Self {
            id: p.id,
            name: p.details.name,
            description: p.details.description,
            ods_code: p.details.ods_code.map(|c| c.as_str().to_owned()),
            contact: contact_body(p.details.contact),
            organisation: p.organisation,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderPage {
    pub items: Vec<ProviderResponse>,
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Activities: requests

/// An activity as a directory editor describes it (create and replace).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!(crate::examples::activity_request()))]
pub struct ActivityRequest {
    /// One of your organisation's providers.
    pub provider_id: Uuid,
    #[validate(length(max = 200))]
    #[schema(
        max_length = 200,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
    /// At least one category, each at most once.
    #[validate(length(min = 1, max = 14))]
    #[schema(schema_with = crate::schema::codes_array_schema::<CategoryCodes>)]
    pub categories: Vec<String>,
    /// `active` when absent. Only active activities are found by search.
    #[schema(schema_with = code_list_schema::<ActivityStatusCodes>)]
    pub status: Option<String>,
    #[schema(schema_with = code_list_schema::<JoinMethodCodes>)]
    pub join_method: String,
    #[validate(nested)]
    pub cost: CostBody,
    #[schema(maximum = 120)]
    pub age_min: Option<u8>,
    #[schema(maximum = 120)]
    pub age_max: Option<u8>,
    #[serde(default)]
    #[validate(length(max = 9))]
    #[schema(schema_with = accessibility_schema)]
    pub accessibility: Vec<String>,
    /// Takes place online (a location is then optional).
    #[serde(default)]
    pub online: bool,
    #[validate(nested)]
    pub location: Option<LocationBody>,
    /// A refuge or similar: never placed on a map nor found by distance; shown to the
    /// public only as its `location.area`. The full address is kept, and shown to the
    /// organisation's directory editors, so that they can check and correct it.
    #[serde(default)]
    pub confidential_location: bool,
    /// Weekly sessions, UK local time.
    #[serde(default)]
    #[validate(length(max = 14), nested)]
    pub schedule: Vec<SessionBody>,
    #[validate(nested)]
    pub contact: Option<ContactBody>,
    /// Places per session, when limited.
    pub capacity: Option<u32>,
    /// `false` when the activity is not taking new people at the moment (default `true`).
    pub taking_new_people: Option<bool>,
    /// When the details were last checked with the provider (`YYYY-MM-DD`).
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10)]
    pub last_verified_on: Option<String>,
}

fn accessibility_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    crate::schema::optional_codes_array_schema::<AccessibilityCodes>()
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostBody {
    pub free: bool,
    /// `false`: nobody has said what it costs (typically imported from an Open Referral
    /// feed with no fees); then `free` is `false` and there is no amount. Absent: known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<bool>,
    /// For a paid activity: the amount in pence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_pence: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schema::optional_code_list_schema::<CostUnitCodes>)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    #[validate(length(max = 200))]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub address: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub town: Option<String>,
    /// A full UK postcode. Without `latitude` and `longitude` the activity is placed at
    /// its postcode sector's centre.
    #[validate(length(max = 10))]
    #[schema(max_length = 10)]
    pub postcode: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// A general area ("Chapeltown, Leeds"); the only place shown when the location is
    /// confidential.
    #[validate(length(max = 100))]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub area: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    #[schema(schema_with = code_list_schema::<WeekdayCodes>)]
    pub day: String,
    /// `HH:MM`, UK local time.
    #[validate(length(max = 5))]
    #[schema(
        max_length = 5,
        example = "10:00",
        pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
    )]
    pub start: String,
    #[validate(length(max = 5))]
    #[schema(
        max_length = 5,
        example = "11:30",
        pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
    )]
    pub end: String,
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn contact(v: &mut Violations, at: &str, c: ContactBody) -> Option<Contact> {
    let name = v.check_opt(&format!("{at}.name"), c.name, |s| {
        text::optional_label(&s, limits::NAME)
    });
    let email = v.check_opt(&format!("{at}.email"), non_blank(c.email), |s| {
        Email::parse(&s).map(|e| e.as_str().to_owned())
    });
    let phone = v.check_opt(&format!("{at}.phone"), non_blank(c.phone), |s| {
        Phone::parse(&s).map(|p| p.as_str().to_owned())
    });
    let website = v.check_opt(&format!("{at}.website"), non_blank(c.website), |s| {
        website(&s)
    });
    Some(Contact {
        name: name?.flatten(),
        email: email?,
        phone: phone?,
        website: website?,
    })
}

/// An `http` or `https` address.
pub fn website(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= URL
        && s.len() > 8
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Invalid::new(
            "url_format",
            "must be a web address starting with https:// or http://",
        ))
    }
}

pub fn parse_date(raw: &str) -> Result<Date, Invalid> {
    socialrx_domain::when::parse_date(raw)
}

impl ActivityRequest {
    /// Every rule of an activity, every failure reported at once. A postcode without
    /// coordinates is placed with the shipped postcode data.
    pub fn into_domain(
        self,
        today: Date,
        gazetteer: &Gazetteer,
    ) -> Result<NewActivity, Vec<FieldError>> {
        // Each step records its failures in `v` and answers None for a field that failed;
        // the steps run in the order the failures are reported.
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let name = v.check("name", text::label(&self.name, limits::SHORT_TEXT));
        let description = v.check_opt("description", self.description, |s| {
            text::free_text(&s, DESCRIPTION)
        });
        let categories = codes(
            &mut v,
            "categories",
            &self.categories,
            Category::parse,
            Category::ALL.len(),
        );
        let status = v.check_opt("status", self.status, |s| ActivityStatus::parse(&s));
        let join_method = v.check("join_method", JoinMethod::parse(&self.join_method));
        let cost = cost(&mut v, self.cost);
        let ages = v.check("age_max", AgeRange::parse(self.age_min, self.age_max));
        let accessibility = codes(
            &mut v,
            "accessibility",
            &self.accessibility,
            AccessibilityFeature::parse,
            AccessibilityFeature::ALL.len(),
        );
        let location = placed_location(
            &mut v,
            self.location,
            self.online,
            self.confidential_location,
            gazetteer,
        );
        let schedule = schedule(&mut v, &self.schedule);
        let contact = contact(&mut v, "contact", self.contact.unwrap_or_default());
        let last_verified_on = v.check_opt("last_verified_on", self.last_verified_on, |s| {
            parse_date(&s).and_then(|d| directory::last_verified_on(d, today))
        });
        v.finish(|| {
            Some(NewActivity {
                provider_id: self.provider_id,
                name: name?,
                description: description?.flatten(),
                categories: categories?,
                status: status?.unwrap_or(ActivityStatus::Active),
                join_method: join_method?,
                cost: cost?,
                ages: ages?,
                accessibility: accessibility?,
                online: self.online,
                location: location?,
                confidential_location: self.confidential_location,
                schedule,
                contact: contact?,
                capacity: self.capacity,
                taking_new_people: self.taking_new_people.unwrap_or(true),
                last_verified_on: last_verified_on?,
                external_id: None,
            })
        })
    }
}

/// A list of codes (categories, accessibility features): each one known (a failure is
/// named by its index), none listed twice, and at most `max`.
fn codes<T: Copy + PartialEq + std::fmt::Display>(
    v: &mut Violations,
    field: &str,
    raw: &[String],
    parse: fn(&str) -> Result<T, Invalid>,
    max: usize,
) -> Option<Vec<T>> {
    let mut parsed = Vec::new();
    for (i, c) in raw.iter().enumerate() {
        if let Some(c) = v.check(&format!("{field}[{i}]"), parse(c)) {
            parsed.push(c);
        }
    }
    v.check(field, directory::distinct(parsed, max))
}

/// What an activity costs; a cost is only checked once its unit is known.
fn cost(v: &mut Violations, c: CostBody) -> Option<Cost> {
    let unit = v.check_opt("cost.unit", c.unit, |s| CostUnit::parse(&s));
    unit.and_then(|unit| {
        v.check(
            "cost",
            Cost::parse_known(c.known.unwrap_or(true), c.free, c.amount_pence, unit),
        )
    })
}

/// The activity's location (`Some(None)` for none), checked against the rest of the
/// activity: one that is not online needs a place, and a confidential one an area to show
/// instead of its address.
fn placed_location(
    v: &mut Violations,
    body: Option<LocationBody>,
    online: bool,
    confidential: bool,
    gazetteer: &Gazetteer,
) -> Option<Option<Location>> {
    let location = match body {
        None => Some(None),
        Some(l) => location(v, l, gazetteer).map(Some),
    };
    if let Some(l) = &location {
        v.check("location", directory::check_location(online, l.as_ref()));
        if confidential && l.as_ref().is_none_or(|l| l.area.is_none()) {
            v.push(FieldError::new(
                "location.area",
                "required",
                "a confidential location needs an area to show instead of its address",
            ));
        }
    }
    location
}

/// The weekly sessions that parse; each failure is named by the session's index.
fn schedule(v: &mut Violations, sessions: &[SessionBody]) -> Vec<Session> {
    let mut schedule = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        let at = format!("schedule[{i}]");
        let day = v.check(&format!("{at}.day"), Weekday::parse(&s.day));
        let start = v.check(&format!("{at}.start"), TimeOfDay::parse(&s.start));
        let end = v.check(&format!("{at}.end"), TimeOfDay::parse(&s.end));
        if let (Some(day), Some(start), Some(end)) = (day, start, end)
            && let Some(s) = v.check(&format!("{at}.end"), Session::parse(day, start, end))
        {
            schedule.push(s);
        }
    }
    schedule
}

fn location(v: &mut Violations, l: LocationBody, gazetteer: &Gazetteer) -> Option<Location> {
    let address = v.check_opt("location.address", l.address, |s| {
        text::optional_label(&s, limits::SHORT_TEXT)
    });
    let town = v.check_opt("location.town", l.town, |s| {
        text::optional_label(&s, limits::NAME)
    });
    let area = v.check_opt("location.area", l.area, |s| {
        text::optional_label(&s, limits::NAME)
    });
    let postcode = v.check_opt("location.postcode", non_blank(l.postcode), |s| {
        Postcode::parse(&s)
    });
    let point = match (l.latitude, l.longitude) {
        (Some(lat), Some(lon)) => v
            .check("location.latitude", Point::parse(lat, lon))
            .map(Some),
        (None, None) => match &postcode {
            Some(Some(pc)) => v
                .check(
                    "location.postcode",
                    gazetteer.locate(pc.as_str()).map(|(p, _)| p),
                )
                .map(Some),
            _ => Some(None),
        },
        _ => {
            v.push(FieldError::new(
                "location.longitude",
                "required",
                "latitude and longitude go together",
            ));
            None
        }
    };
    Some(Location {
        address: address?.flatten(),
        town: town?.flatten(),
        postcode: postcode?,
        point: point?,
        area: area?.flatten(),
    })
}

// ---------------------------------------------------------------------------------------
// Activities: responses

/// An activity as the public directory shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!(crate::examples::activity_response()))]
pub struct ActivityResponse {
    pub id: Uuid,
    pub provider: ProviderRef,
    pub name: String,
    pub description: Option<String>,
    #[schema(schema_with = crate::schema::codes_array_schema::<CategoryCodes>)]
    pub categories: Vec<String>,
    #[schema(schema_with = code_list_schema::<ActivityStatusCodes>)]
    pub status: String,
    #[schema(schema_with = code_list_schema::<JoinMethodCodes>)]
    pub join_method: String,
    pub cost: CostBody,
    pub age_min: Option<u8>,
    pub age_max: Option<u8>,
    #[schema(schema_with = accessibility_schema)]
    pub accessibility: Vec<String>,
    pub online: bool,
    /// For a confidential location, only `area`, except to a directory editor of the
    /// organisation the activity belongs to (authenticated), who sees it all.
    pub location: Option<LocationBody>,
    pub confidential_location: bool,
    pub schedule: Vec<SessionBody>,
    /// When the next session starts (UK offset), when there is a schedule.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_session: Option<String>,
    pub contact: ContactBody,
    pub capacity: Option<u32>,
    pub taking_new_people: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub last_verified_on: Option<String>,
    /// Not verified within the configured period (or never).
    pub stale: bool,
    /// Kilometres from the searched point; only in a search with a point.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub distance_km: Option<f64>,
    /// Also sent as the `ETag`; send it back in `If-Match` to update safely.
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderRef {
    pub id: Uuid,
    pub name: String,
}

/// What the response needs besides the activity.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub now: OffsetDateTime,
    pub stale_after_days: u32,
}

pub fn contact_body(c: Contact) -> ContactBody {
    ContactBody {
        name: c.name,
        email: c.email,
        phone: c.phone,
        website: c.website,
    }
}

pub fn cost_body(c: Cost) -> CostBody {
    match c {
        Cost::Free => CostBody {
            free: true,
            known: None,
            amount_pence: None,
            unit: None,
        },
        Cost::Paid { pence, unit } => CostBody {
            free: false,
            known: None,
            amount_pence: Some(pence),
            unit: Some(unit.as_str().to_owned()),
        },
        Cost::Unknown => CostBody {
            free: false,
            known: Some(false),
            amount_pence: None,
            unit: None,
        },
    }
}

impl ActivityResponse {
    /// An activity as the public sees it: a confidential location as its area only.
    pub fn new(a: &Activity, view: View, distance_km: Option<f64>) -> Self {
        Self::shown(a, view, distance_km, false)
    }

    /// An activity as a directory editor of its organisation sees it: a confidential
    /// location in full, since they entered it and must be able to correct it.
    pub fn for_its_editor(a: &Activity, view: View) -> Self {
        Self::shown(a, view, None, true)
    }

    fn shown(a: &Activity, view: View, distance_km: Option<f64>, editor: bool) -> Self {
        let d = &a.details;
        let location = d.location.as_ref().map(|l| {
            if d.confidential_location && !editor {
                LocationBody {
                    address: None,
                    town: None,
                    postcode: None,
                    latitude: None,
                    longitude: None,
                    area: l.area.clone(),
                }
            } else {
                LocationBody {
                    address: l.address.clone(),
                    town: l.town.clone(),
                    postcode: l.postcode.as_ref().map(|p| p.as_str().to_owned()),
                    latitude: l.point.map(|p| p.lat),
                    longitude: l.point.map(|p| p.lon),
                    area: l.area.clone(),
                }
            }
        });
        Self {
            id: a.id,
            provider: ProviderRef {
                id: d.provider_id,
                name: a.provider_name.clone(),
            },
            name: d.name.clone(),
            description: d.description.clone(),
            categories: d.categories.iter().map(|c| c.as_str().to_owned()).collect(),
            status: d.status.as_str().to_owned(),
            join_method: d.join_method.as_str().to_owned(),
            cost: cost_body(d.cost),
            age_min: d.ages.min,
            age_max: d.ages.max,
            accessibility: d
                .accessibility
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            online: d.online,
            location,
            confidential_location: d.confidential_location,
            schedule: d
                .schedule
                .iter()
                .map(|s| SessionBody {
                    day: s.day.as_str().to_owned(),
                    start: s.start.to_string(),
                    end: s.end.to_string(),
                })
                .collect(),
            next_session: directory::schedule::next_session(&d.schedule, view.now).and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
            contact: contact_body(d.contact.clone()),
            capacity: d.capacity,
            taking_new_people: d.taking_new_people,
            last_verified_on: d.last_verified_on.map(|d| d.to_string()),
            stale: directory::is_stale(d.last_verified_on, view.now.date(), view.stale_after_days),
            // Metres are plenty: two decimals of a kilometre.
            distance_km: distance_km.map(|km| (km * 100.0).round() / 100.0),
            version: a.version,
            updated_at: a.updated_at,
        }
    }
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityPage {
    pub items: Vec<ActivityResponse>,
    /// Pass as `cursor` (with the same query) for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A category of the taxonomy.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryResponse {
    #[schema(schema_with = code_list_schema::<CategoryCodes>)]
    pub code: String,
    pub label: String,
}
