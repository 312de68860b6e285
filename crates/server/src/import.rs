//! `socialrx import-oruk <path>`: reads Open Referral UK services (the 3.0 shape, bare or
//! in a page envelope, or the older v1 list format) and upserts them into the directory
//! by the feed's own ids, so that a second import of the same feed changes nothing. A
//! record that cannot be taken is reported with the reason; the import goes on.
//!
//! Feeds are untrusted input: HTML is stripped from descriptions, every field passes the
//! same rules as the API, and staff details in feed metadata are not read.

use std::path::Path;

use serde_json::Value;
use socialrx_domain::directory::{
    self, ActivityStatus, AgeRange, Category, Contact, Cost, CostUnit, JoinMethod, Location,
    NewActivity, NewProvider, Point, Session, TimeOfDay, Weekday,
};
use socialrx_domain::person::Email;
use socialrx_domain::{Postcode, limits, text};
use socialrx_store::{Store, Upserted};

#[derive(Debug, Default)]
pub struct Report {
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<(String, String)>,
}

/// The service records in a file: an array, a page envelope's `contents`, or one service.
fn records(doc: Value) -> Vec<Value> {
    match doc {
        Value::Array(items) => items,
        Value::Object(mut o) if o.contains_key("contents") => match o.remove("contents") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        other @ Value::Object(_) => vec![other],
        _ => Vec::new(),
    }
}

/// Files to read: the path itself, or the `.json` files in a directory, in name order.
fn files(path: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    if path.is_dir() {
        let mut out: Vec<_> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        out.sort();
        Ok(out)
    } else {
        Ok(vec![path.to_path_buf()])
    }
}

pub async fn run(store: &dyn Store, organisation: &str, path: &Path) -> Result<Report, String> {
    let mut report = Report::default();
    let today = time::OffsetDateTime::now_utc().date();
    for file in files(path).map_err(|e| format!("cannot read {}: {e}", path.display()))? {
        let raw =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let doc: Value = serde_json::from_slice(&raw)
            .map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
        for record in records(doc) {
            report.read += 1;
            let id = record["id"]
                .as_str()
                .unwrap_or("(no id)")
                .chars()
                .take(80)
                .collect::<String>();
            let parsed = match convert(&record, today) {
                Ok(p) => p,
                Err(reason) => {
                    report.rejected.push((id, reason));
                    continue;
                }
            };
            let (provider, mut activity) = parsed;
            let result = async {
                let (p, _) = store.upsert_provider(organisation, provider).await?;
                activity.provider_id = p.id;
                store.upsert_activity(organisation, activity).await
            }
            .await;
            match result {
                Ok((_, Upserted::Created)) => report.created += 1,
                Ok((_, Upserted::Updated)) => report.updated += 1,
                Ok((_, Upserted::Unchanged)) => report.unchanged += 1,
                Err(e) => report
                    .rejected
                    .push((id, format!("the database refused it: {e}"))),
            }
        }
    }
    Ok(report)
}

/// Text without HTML tags and with the common entities decoded, whitespace collapsed.
pub fn strip_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&rsquo;", "’")
        .replace("&pound;", "£");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn string<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Categories from the feed's words: the feed's own taxonomy is not ours.
fn categories(text: &str) -> Vec<Category> {
    use Category::*;
    let t = text.to_lowercase();
    let table: &[(Category, &[&str])] = &[
        (
            ArtsAndCrafts,
            &["craft", "art ", "arts", "knit", "crochet", "painting"],
        ),
        (
            PhysicalActivity,
            &[
                "walk", "exercise", "sport", "football", "fitness", "swim", "yoga", "tai chi",
                "dance",
            ],
        ),
        (
            NatureAndGardening,
            &["garden", "allotment", "nature", "outdoor"],
        ),
        (
            SocialGroupsAndBefriending,
            &[
                "befriend",
                "social group",
                "coffee morning",
                "lunch club",
                "lonel",
                "friendship",
            ],
        ),
        (
            LearningAndLocalHistory,
            &["history", "library", "learn", "course", "reading"],
        ),
        (Volunteering, &["volunteer"]),
        (
            MoneyAndBenefitsAdvice,
            &["benefit", "debt", "money", "financial", "welfare"],
        ),
        (Housing, &["housing", "homeless", "tenan", "accommodation"]),
        (CarersSupport, &["carer"]),
        (
            MentalHealthSupport,
            &[
                "mental health",
                "wellbeing",
                "anxiety",
                "depression",
                "counselling",
            ],
        ),
        (
            DomesticAbuseSupport,
            &["domestic abuse", "domestic violence", "refuge"],
        ),
        (FoodAndCooking, &["food", "cook", "meal", "nutrition"]),
        (
            EmploymentAndSkills,
            &["employ", "job", "skills", "training", "career"],
        ),
        (
            FamilyActivities,
            &["family", "families", "children", "parent", "toddler"],
        ),
    ];
    table
        .iter()
        .filter(|(_, words)| words.iter().any(|w| t.contains(w)))
        .map(|(c, _)| *c)
        .collect()
}

fn weekday(byday: &str) -> Option<Weekday> {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        .iter()
        .position(|d| byday.trim().eq_ignore_ascii_case(d))
        .map(|i| Weekday::ALL[i])
}

fn convert(s: &Value, today: time::Date) -> Result<(NewProvider, NewActivity), String> {
    let id = string(s, "id").ok_or("it has no id")?;
    if id.chars().count() > 200 {
        return Err("its id is over 200 characters".into());
    }
    let name = text::label(
        &strip_html(string(s, "name").ok_or("it has no name")?),
        limits::SHORT_TEXT,
    )
    .map_err(|e| format!("name: {}", e.message))?;
    let description = string(s, "description")
        .map(strip_html)
        .map(|d| d.chars().take(4000).collect::<String>())
        .filter(|d| !d.is_empty());
    let org = s
        .get("organization")
        .filter(|o| o.is_object())
        .ok_or("it has no organization")?;
    let org_id = string(org, "id").ok_or("its organization has no id")?;
    let org_name = text::label(
        &strip_html(string(org, "name").ok_or("its organization has no name")?),
        limits::SHORT_TEXT,
    )
    .map_err(|e| format!("organization.name: {}", e.message))?;
    let website = |v: &Value| {
        string(v, "url")
            .or_else(|| string(v, "website"))
            .filter(|u| {
                (u.starts_with("https://") || u.starts_with("http://"))
                    && u.len() <= 500
                    && !u.contains(char::is_whitespace)
            })
            .map(str::to_owned)
    };
    let email = |v: &Value| {
        string(v, "email")
            .and_then(|e| Email::parse(e).ok())
            .map(|e| e.as_str().to_owned())
    };
    let provider = NewProvider {
        name: org_name,
        description: string(org, "description")
            .map(strip_html)
            .map(|d| d.chars().take(4000).collect()),
        ods_code: None,
        contact: Contact {
            name: None,
            email: email(org),
            phone: None,
            website: website(org),
        },
        external_id: Some(org_id.to_owned()),
    };
    let status = match string(s, "status")
        .unwrap_or("active")
        .to_ascii_lowercase()
        .as_str()
    {
        "active" => ActivityStatus::Active,
        "inactive" => ActivityStatus::Inactive,
        "defunct" => ActivityStatus::Defunct,
        "temporarily closed" | "temporarily_closed" => ActivityStatus::TemporarilyClosed,
        other => {
            return Err(format!(
                "its status '{}' is not one of active, inactive, defunct, temporarily closed",
                other.chars().take(40).collect::<String>()
            ));
        }
    };
    let access = format!(
        "{} {}",
        string(s, "attending_access").unwrap_or(""),
        string(s, "attending_type").unwrap_or("")
    )
    .to_lowercase();
    let join_method = if access.contains("referral") {
        JoinMethod::Referral
    } else if access.contains("book") || access.contains("appointment") {
        JoinMethod::Booking
    } else {
        JoinMethod::DropIn
    };
    let age = |k: &str| {
        s.get(k)
            .and_then(Value::as_f64)
            .filter(|a| (0.0..=120.0).contains(a))
            .map(|a| a as u8)
    };
    let ages = AgeRange::parse(age("minimum_age"), age("maximum_age")).unwrap_or_default();
    // The profile's cost_options carry an amount; v1 feeds only free text (taken as free
    // unless it names a pound amount).
    let cost = s
        .get("cost_options")
        .and_then(Value::as_array)
        .and_then(|o| o.first())
        .and_then(|o| o.get("amount").and_then(Value::as_f64))
        .or_else(|| {
            let fees = string(s, "fees")?;
            let amount = fees.split('£').nth(1)?;
            amount
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()?
                .parse::<f64>()
                .ok()
        })
        .filter(|a| *a > 0.0 && *a < 100_000.0)
        .map_or(Cost::Free, |pounds| Cost::Paid {
            pence: (pounds * 100.0).round() as u32,
            unit: CostUnit::PerSession,
        });
    let location = s
        .get("service_at_locations")
        .and_then(Value::as_array)
        .and_then(|l| l.iter().find_map(|sal| sal.get("location")))
        .map(|l| {
            let address = l
                .get("addresses")
                .and_then(Value::as_array)
                .and_then(|a| a.first());
            let point = match (
                l.get("latitude").and_then(Value::as_f64),
                l.get("longitude").and_then(Value::as_f64),
            ) {
                (Some(lat), Some(lon)) => Point::parse(lat, lon).ok(),
                _ => None,
            };
            Location {
                address: address
                    .and_then(|a| string(a, "address_1"))
                    .map(|a| a.chars().take(200).collect()),
                town: address
                    .and_then(|a| string(a, "city"))
                    .map(|a| a.chars().take(100).collect()),
                postcode: address
                    .and_then(|a| string(a, "postal_code"))
                    .and_then(|p| Postcode::parse(p).ok()),
                point,
                area: None,
            }
        });
    let schedule: Vec<Session> = s
        .get("schedules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| string(x, "freq").is_none_or(|f| f.eq_ignore_ascii_case("WEEKLY")))
        .flat_map(|x| {
            let start =
                string(x, "opens_at").and_then(|t| TimeOfDay::parse(t.get(..5).unwrap_or(t)).ok());
            let end =
                string(x, "closes_at").and_then(|t| TimeOfDay::parse(t.get(..5).unwrap_or(t)).ok());
            string(x, "byday")
                .unwrap_or("")
                .split(',')
                .filter_map(weekday)
                .filter_map(move |day| Session::parse(day, start?, end?).ok())
                .collect::<Vec<_>>()
        })
        .take(14)
        .collect();
    let last_verified_on = string(s, "assured_date")
        .and_then(|d| d.get(..10))
        .and_then(|d| {
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
        })
        .filter(|d| *d <= today);
    let online = access.contains("online") || access.contains("virtual");
    let words = format!("{name} {}", description.as_deref().unwrap_or(""));
    let activity = NewActivity {
        provider_id: uuid::Uuid::nil(),
        name,
        description,
        categories: directory::distinct(categories(&words), 14).unwrap_or_default(),
        status,
        join_method,
        cost,
        ages,
        accessibility: Vec::new(),
        online,
        location,
        confidential_location: false,
        schedule,
        contact: Contact {
            name: None,
            email: email(s),
            phone: None,
            website: website(s),
        },
        capacity: None,
        taking_new_people: true,
        last_verified_on,
        external_id: Some(id.to_owned()),
    };
    Ok((provider, activity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_stripped_and_entities_decoded() {
        assert_eq!(
            strip_html("<p>Drug &amp; Alcohol&nbsp;support</p><p>Thursdays</p>"),
            "Drug & Alcohol support Thursdays"
        );
    }

    #[test]
    fn a_v1_record_converts_and_a_broken_one_says_why() {
        let today = time::macros::date!(2026 - 11 - 22);
        let v1 = serde_json::json!({
            "id": "svc-1", "name": "Walking group", "description": "<p>A gentle walk</p>",
            "url": "https://example.org", "email": "x@example.org", "status": "active", "fees": "",
            "assured_date": "2024-12-10",
            "organization": {"id": "org-1", "name": "Victor House", "description": "Safe hub", "url": "https://example.org"}
        });
        let (p, a) = convert(&v1, today).unwrap();
        assert_eq!(
            (p.name.as_str(), a.name.as_str()),
            ("Victor House", "Walking group")
        );
        assert_eq!(a.categories, vec![Category::PhysicalActivity]);
        assert_eq!(a.description.as_deref(), Some("A gentle walk"));
        let mut broken = v1.clone();
        broken["status"] = "open".into();
        assert!(convert(&broken, today).unwrap_err().contains("status"));
        broken.as_object_mut().unwrap().remove("organization");
        assert!(
            convert(&broken, today)
                .unwrap_err()
                .contains("organization")
        );
    }
}
