//! One feed record (ORUK 3.0 or v1) to a provider and an activity, field by field. Each
//! step reads what it needs from the record and either takes it, leaves it out, or says
//! why the whole record is refused; `convert` runs the refusing steps in the order their
//! reasons are reported.

use serde_json::Value;
use socialrx_domain::directory::{
    self, ActivityStatus, AgeRange, Contact, Cost, CostUnit, JoinMethod, Location, NewActivity,
    NewProvider, Point, Session, TimeOfDay, Weekday,
};
use socialrx_domain::person::Email;
use socialrx_domain::{Postcode, limits, text};
use time::Date;

use super::categories::{categories, has_keyword};
use super::{string, strip_html};

/// A feed record ready for the store.
#[derive(Debug)]
pub(super) struct Converted {
    pub(super) provider: NewProvider,
    pub(super) activity: NewActivity,
    /// Why an editor should look at it, when imported with a stand-in.
    pub(super) flag: Option<String>,
}

/// The service record `s` as the importing `organisation`'s provider and activity, or the
/// reason it cannot be taken. The activity's `provider_id` is nil until the provider is
/// stored.
pub(super) fn convert(s: &Value, today: Date, organisation: &str) -> Result<Converted, String> {
    let id = service_id(s)?;
    let name = name(s, "it has no name", "name")?;
    let description = description(s).filter(|d| !d.is_empty());
    let (provider, flag) = provider(s, organisation)?;
    let status = status(s)?;
    let access = access(s);
    let words = format!(
        "{name} {} {}",
        description.as_deref().unwrap_or(""),
        feed_terms(s)
    );
    let activity = NewActivity {
        provider_id: uuid::Uuid::nil(),
        name,
        description,
        categories: directory::distinct(categories(&words), 14).unwrap_or_default(),
        status,
        join_method: join_method(&access),
        cost: cost(s),
        ages: ages(s),
        accessibility: Vec::new(),
        online: access.contains("online") || access.contains("virtual"),
        location: location(s),
        confidential_location: false,
        schedule: schedule(s),
        contact: contact(s),
        capacity: None,
        taking_new_people: true,
        last_verified_on: last_verified_on(s, today),
        external_id: Some(id.to_owned()),
    };
    Ok(Converted {
        provider,
        activity,
        flag,
    })
}

/// The feed's id for the service, kept as its `external_id`.
fn service_id(s: &Value) -> Result<&str, String> {
    let id = string(s, "id").ok_or("it has no id")?;
    if id.chars().count() > 200 {
        return Err("its id is over 200 characters".into());
    }
    Ok(id)
}

/// `v`'s `name` without HTML, held to the API's rules for a label; `field` names it in
/// the reason when it breaks them.
fn name(v: &Value, missing: &str, field: &str) -> Result<String, String> {
    text::label(
        &strip_html(string(v, "name").ok_or(missing)?),
        limits::SHORT_TEXT,
    )
    .map_err(|e| format!("{field}: {}", e.message))
}

/// `v`'s `description` without HTML, cut to 4000 characters.
fn description(v: &Value) -> Option<String> {
    string(v, "description")
        .map(strip_html)
        .map(|d| d.chars().take(4000).collect())
}

/// The service's provider, and a flag when it is the stand-in: a real service the feed
/// forgot to place is worth more than a clean rejection.
fn provider(s: &Value, organisation: &str) -> Result<(NewProvider, Option<String>), String> {
    match s.get("organization").filter(|o| o.is_object()) {
        None => {
            let stand_in = stand_in_provider(organisation);
            let flag = format!(
                "the feed names no organization; imported under the provider \"{}\"",
                stand_in.name
            );
            Ok((stand_in, Some(flag)))
        }
        Some(org) => Ok((feed_provider(org)?, None)),
    }
}

/// The provider a service's `organization` describes, known by the feed's id for it.
fn feed_provider(org: &Value) -> Result<NewProvider, String> {
    let org_id = string(org, "id").ok_or("its organization has no id")?;
    Ok(NewProvider {
        name: name(org, "its organization has no name", "organization.name")?,
        // Kept even when the HTML strip leaves it empty, as before the split; the
        // activity's empty description is dropped.
        description: description(org),
        ods_code: None,
        contact: contact(org),
        external_id: Some(org_id.to_owned()),
    })
}

/// The provider for services whose feed record names no organisation: one per importing
/// organisation, named so that the gap shows wherever the activity does.
fn stand_in_provider(organisation: &str) -> NewProvider {
    NewProvider {
        name: format!("{organisation} (organisation not named in the feed)"),
        description: Some(
            "Services imported from an Open Referral feed that named no organisation for \
             them. Move each to the provider that runs it."
                .into(),
        ),
        ods_code: None,
        contact: Contact::default(),
        external_id: Some("socialrx:organisation-not-named".into()),
    }
}

/// The email and website of a service or organization; a value that fails the API's
/// rules is left out rather than refusing the record. The feed's phone numbers and
/// contact names are not read.
fn contact(v: &Value) -> Contact {
    Contact {
        name: None,
        email: string(v, "email")
            .and_then(|e| Email::parse(e).ok())
            .map(|e| e.as_str().to_owned()),
        phone: None,
        website: website(v),
    }
}

/// `url` (3.0) or `website` (v1), when it is a plain http(s) address.
fn website(v: &Value) -> Option<String> {
    string(v, "url")
        .or_else(|| string(v, "website"))
        .filter(|u| {
            (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() <= 500
                && !u.contains(char::is_whitespace)
        })
        .map(str::to_owned)
}

/// The service's status; none is "active", one outside ORUK's four refuses the record.
fn status(s: &Value) -> Result<ActivityStatus, String> {
    match string(s, "status")
        .unwrap_or("active")
        .to_ascii_lowercase()
        .as_str()
    {
        "active" => Ok(ActivityStatus::Active),
        "inactive" => Ok(ActivityStatus::Inactive),
        "defunct" => Ok(ActivityStatus::Defunct),
        "temporarily closed" | "temporarily_closed" => Ok(ActivityStatus::TemporarilyClosed),
        other => Err(format!(
            "its status '{}' is not one of active, inactive, defunct, temporarily closed",
            other.chars().take(40).collect::<String>()
        )),
    }
}

/// How the service is attended, in lower case: 3.0's `attending_access` and v1's
/// `attending_type` are free text, read for words such as "referral" and "online".
fn access(s: &Value) -> String {
    format!(
        "{} {}",
        string(s, "attending_access").unwrap_or(""),
        string(s, "attending_type").unwrap_or("")
    )
    .to_lowercase()
}

/// How to join, from the `access` text: by referral, by booking, or else by dropping in.
fn join_method(access: &str) -> JoinMethod {
    if access.contains("referral") {
        JoinMethod::Referral
    } else if access.contains("book") || access.contains("appointment") {
        JoinMethod::Booking
    } else {
        JoinMethod::DropIn
    }
}

/// The service's age range; an age outside 0 to 120, or a range the API would refuse,
/// is read as no limit.
fn ages(s: &Value) -> AgeRange {
    let age = |k: &str| {
        s.get(k)
            .and_then(Value::as_f64)
            .filter(|a| (0.0..=120.0).contains(a))
            .map(|a| a as u8)
    };
    AgeRange::parse(age("minimum_age"), age("maximum_age")).unwrap_or_default()
}

/// The first location of the service's `service_at_locations`, with its first address.
fn location(s: &Value) -> Option<Location> {
    let l = s
        .get("service_at_locations")
        .and_then(Value::as_array)
        .and_then(|l| l.iter().find_map(|sal| sal.get("location")))?;
    let address = l
        .get("addresses")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    Some(Location {
        address: address
            .and_then(|a| string(a, "address_1"))
            .map(|a| a.chars().take(200).collect()),
        town: address
            .and_then(|a| string(a, "city"))
            .map(|a| a.chars().take(100).collect()),
        postcode: address
            .and_then(|a| string(a, "postal_code"))
            .and_then(|p| Postcode::parse(p).ok()),
        point: point(l),
        area: None,
    })
}

/// A location's latitude and longitude, when it has both and they are on the map.
fn point(l: &Value) -> Option<Point> {
    match (
        l.get("latitude").and_then(Value::as_f64),
        l.get("longitude").and_then(Value::as_f64),
    ) {
        (Some(lat), Some(lon)) => Point::parse(lat, lon).ok(),
        _ => None,
    }
}

/// The weekly sessions of the service's `schedules`, at most 14. Schedules of another
/// frequency are not read: the directory holds weekly sessions only.
fn schedule(s: &Value) -> Vec<Session> {
    s.get("schedules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| string(x, "freq").is_none_or(|f| f.eq_ignore_ascii_case("WEEKLY")))
        .flat_map(sessions)
        .take(14)
        .collect()
}

/// One schedule's sessions: one a day of its `byday`, each from `opens_at` to
/// `closes_at`; none when either time is missing or unreadable.
fn sessions(x: &Value) -> Vec<Session> {
    // Feeds write times with seconds ("09:30:00"); the hours and minutes are enough.
    let time =
        |key: &str| string(x, key).and_then(|t| TimeOfDay::parse(t.get(..5).unwrap_or(t)).ok());
    let start = time("opens_at");
    let end = time("closes_at");
    string(x, "byday")
        .unwrap_or("")
        .split(',')
        .filter_map(weekday)
        .filter_map(move |day| Session::parse(day, start?, end?).ok())
        .collect()
}

fn weekday(byday: &str) -> Option<Weekday> {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        .iter()
        .position(|d| byday.trim().eq_ignore_ascii_case(d))
        .map(|i| Weekday::ALL[i])
}

/// The day the feed last checked the service (`assured_date`), unless it is in the future.
fn last_verified_on(s: &Value, today: Date) -> Option<Date> {
    string(s, "assured_date")
        .and_then(|d| d.get(..10))
        .and_then(|d| {
            Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
        })
        .filter(|d| *d <= today)
}

/// The names of the feed's taxonomy terms for a service: 3.0 `attributes` and v1
/// `service_taxonomys`.
fn feed_terms(s: &Value) -> String {
    let list = |key: &str| s.get(key).and_then(Value::as_array).into_iter().flatten();
    list("attributes")
        .filter_map(|a| a.get("taxonomy_term"))
        .chain(list("service_taxonomys").filter_map(|t| t.get("taxonomy")))
        .filter_map(|t| string(t, "name"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a service costs: the profile's `cost_options`, else v1's free-text `fees`. An
/// empty `fees` says nothing (v1 feeds leave it empty for paid services too), so it is
/// "unknown", never "free".
fn cost(s: &Value) -> Cost {
    let paid = |pounds: f64| {
        (pounds > 0.0 && pounds < 100_000.0).then(|| Cost::Paid {
            pence: (pounds * 100.0).round() as u32,
            unit: CostUnit::PerSession,
        })
    };
    if let Some(option) = s
        .get("cost_options")
        .and_then(Value::as_array)
        .and_then(|o| o.first())
    {
        match option.get("amount").and_then(Value::as_f64) {
            Some(0.0) => return Cost::Free,
            Some(a) => return paid(a).unwrap_or(Cost::Unknown),
            None if string(option, "option").is_some_and(|o| o.eq_ignore_ascii_case("free")) => {
                return Cost::Free;
            }
            None => {}
        }
    }
    let Some(fees) = string(s, "fees") else {
        return Cost::Unknown;
    };
    let amount = fees.split('£').nth(1).and_then(|a| {
        a.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()?
            .parse::<f64>()
            .ok()
    });
    if let Some(cost) = amount.and_then(paid) {
        return cost;
    }
    let words: Vec<String> = fees
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_owned)
        .collect();
    if has_keyword(&words, "free") || has_keyword(&words, "no charge") {
        Cost::Free
    } else {
        Cost::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialrx_domain::directory::Category;

    #[test]
    fn a_v1_record_converts_and_a_broken_one_says_why() {
        let today = time::macros::date!(2026 - 11 - 22);
        let v1 = serde_json::json!({
            "id": "svc-1", "name": "Walking group", "description": "<p>A gentle walk</p>",
            "url": "https://example.org", "email": "x@example.org", "status": "active", "fees": "",
            "assured_date": "2024-12-10",
            "organization": {"id": "org-1", "name": "Victor House", "description": "Safe hub", "url": "https://example.org"}
        });
        let c = convert(&v1, today, "Y02794").unwrap();
        assert_eq!(
            (c.provider.name.as_str(), c.activity.name.as_str()),
            ("Victor House", "Walking group")
        );
        assert_eq!(c.activity.categories, vec![Category::PhysicalActivity]);
        assert_eq!(c.activity.description.as_deref(), Some("A gentle walk"));
        assert_eq!(c.flag, None);
        let mut broken = v1.clone();
        broken["status"] = "open".into();
        assert!(
            convert(&broken, today, "Y02794")
                .unwrap_err()
                .contains("status")
        );
    }

    #[test]
    fn a_service_without_an_organization_is_kept_under_a_flagged_stand_in() {
        let today = time::macros::date!(2026 - 11 - 22);
        let v1 = serde_json::json!({"id": "svc-9", "name": "Knit and natter", "status": "active"});
        let c = convert(&v1, today, "Y02794").unwrap();
        assert_eq!(
            c.provider.name,
            "Y02794 (organisation not named in the feed)"
        );
        assert!(c.flag.unwrap().contains("no organization"));
        let mut nameless = v1.clone();
        nameless["organization"] = serde_json::json!({"id": "org-1"});
        assert!(
            convert(&nameless, today, "Y02794")
                .unwrap_err()
                .contains("organization has no name")
        );
    }

    #[test]
    fn an_empty_fee_is_an_unknown_cost_not_a_free_one() {
        let cost_of = |v: Value| cost(&v);
        use serde_json::json;
        assert_eq!(cost_of(json!({"fees": ""})), Cost::Unknown);
        assert_eq!(cost_of(json!({})), Cost::Unknown);
        assert_eq!(
            cost_of(json!({"fees": "Please ask at reception"})),
            Cost::Unknown
        );
        assert_eq!(cost_of(json!({"fees": "Free"})), Cost::Free);
        assert_eq!(cost_of(json!({"fees": "No charge"})), Cost::Free);
        assert_eq!(
            cost_of(json!({"fees": "£3.50 per session"})),
            Cost::Paid {
                pence: 350,
                unit: CostUnit::PerSession
            }
        );
        assert_eq!(
            cost_of(json!({"cost_options": [{"amount": 0}]})),
            Cost::Free
        );
        assert_eq!(
            cost_of(json!({"cost_options": [{"amount": 2.5}]})),
            Cost::Paid {
                pence: 250,
                unit: CostUnit::PerSession
            }
        );
    }

    #[test]
    fn the_feeds_own_taxonomy_terms_count_as_words() {
        let v3 = serde_json::json!({"attributes": [{"taxonomy_term": {"name": "Debt advice"}}],
            "service_taxonomys": [{"taxonomy": {"name": "Allotments"}}]});
        assert_eq!(
            categories(&feed_terms(&v3)),
            vec![
                Category::NatureAndGardening,
                Category::MoneyAndBenefitsAdvice
            ]
        );
    }
}
