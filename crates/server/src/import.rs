//! `socialrx import-oruk <path>`: reads Open Referral UK services (the 3.0 shape, bare or
//! in a page envelope, or the older v1 list format) and upserts them into the directory
//! by the feed's own ids, so that a second import of the same feed changes nothing. A
//! record that cannot be taken is reported with the reason; the import goes on.
//!
//! Feeds are untrusted input: HTML is stripped from descriptions, every field passes the
//! same rules as the API, and staff details in feed metadata are not read.
//!
//! - A feed id seen twice (in one file or across the files of a directory, read in name
//!   order): the first record is imported, each later one is rejected as a duplicate, so
//!   that a re-import finds everything unchanged instead of flipping between the two.
//! - The feed's ids are kept as `external_id`; `/oruk/services/{feed id}` answers by them.
//! - A service with no `organization` (v1 feeds have them) is imported under a provider
//!   of the importing organisation named "<ODS code> (organisation not named in the
//!   feed)", and listed on a `flagged <id>: ...` line of the output: the provider's name
//!   shows in the directory and ORUK responses until an editor moves the activity to its
//!   real provider.
//! - An empty v1 `fees` is "cost unknown", not "free".

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
    /// Imported, but with something for an editor to put right.
    pub flagged: Vec<(String, String)>,
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
    let mut seen = std::collections::HashSet::new();
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
            if let Some(full_id) = record["id"].as_str()
                && !seen.insert(full_id.to_owned())
            {
                report.rejected.push((
                    id,
                    "its id is a duplicate; the first record with this id is the one imported"
                        .into(),
                ));
                continue;
            }
            let parsed = match convert(&record, today, organisation) {
                Ok(p) => p,
                Err(reason) => {
                    report.rejected.push((id, reason));
                    continue;
                }
            };
            let Converted {
                provider,
                mut activity,
                flag,
            } = parsed;
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
                Err(e) => {
                    report
                        .rejected
                        .push((id, format!("the database refused it: {e}")));
                    continue;
                }
            }
            if let Some(flag) = flag {
                report.flagged.push((id, flag));
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

/// Categories from the feed's words: the feed's own taxonomy is not ours, so its term
/// names are read as words too. A keyword matches whole words only, and a trailing `*`
/// lets it stand for the start of a word (`walk*`: walk, walks, walking), so that "art"
/// is not found in "start", "sport" in "transport" nor "tenan" in "maintenance".
fn categories(text: &str) -> Vec<Category> {
    use Category::*;
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let table: &[(Category, &[&str])] = &[
        (
            ArtsAndCrafts,
            &[
                "craft*", "art", "arts", "artist*", "knit*", "crochet*", "painting", "pottery",
                "sewing",
            ],
        ),
        (
            PhysicalActivity,
            &[
                "walk*",
                "exercise*",
                "sport",
                "sports",
                "football",
                "fitness",
                "swim*",
                "yoga",
                "tai chi",
                "danc*",
                "gym",
            ],
        ),
        (
            NatureAndGardening,
            &[
                "garden*",
                "allotment*",
                "nature",
                "outdoor*",
                "planting",
                "conservation",
            ],
        ),
        (
            SocialGroupsAndBefriending,
            &[
                "befriend*",
                "social group*",
                "coffee morning*",
                "lunch club*",
                "lonel*",
                "friendship*",
            ],
        ),
        (
            LearningAndLocalHistory,
            &[
                "history",
                "historic*",
                "librar*",
                "learn*",
                "course",
                "courses",
                "reading",
            ],
        ),
        (Volunteering, &["volunteer*"]),
        (
            MoneyAndBenefitsAdvice,
            &["benefit*", "debt*", "money", "financ*", "welfare"],
        ),
        (
            Housing,
            &[
                "housing",
                "homeless*",
                "tenant*",
                "tenancy",
                "tenancies",
                "accommodation",
            ],
        ),
        (CarersSupport, &["carer", "carers"]),
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
        (
            FoodAndCooking,
            &["food*", "cook*", "meal", "meals", "nutrition*"],
        ),
        (
            EmploymentAndSkills,
            &["employ*", "job", "jobs", "skills", "training", "career*"],
        ),
        (
            FamilyActivities,
            &[
                "family", "families", "child", "children", "parent*", "toddler*",
            ],
        ),
    ];
    table
        .iter()
        .filter(|(_, keys)| keys.iter().any(|k| has_keyword(&words, k)))
        .map(|(c, _)| *c)
        .collect()
}

/// Whether `words` hold `keyword`'s words in a row; a `*` at the end of the keyword's
/// last word matches any word starting with what comes before it.
fn has_keyword(words: &[String], keyword: &str) -> bool {
    let keys: Vec<&str> = keyword.split(' ').collect();
    words.windows(keys.len()).any(|run| {
        run.iter()
            .zip(&keys)
            .all(|(word, key)| match key.strip_suffix('*') {
                Some(stem) => word.starts_with(stem),
                None => word == key,
            })
    })
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

fn weekday(byday: &str) -> Option<Weekday> {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        .iter()
        .position(|d| byday.trim().eq_ignore_ascii_case(d))
        .map(|i| Weekday::ALL[i])
}

/// A feed record ready for the store.
#[derive(Debug)]
struct Converted {
    provider: NewProvider,
    activity: NewActivity,
    /// Why an editor should look at it, when imported with a stand-in.
    flag: Option<String>,
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

fn convert(s: &Value, today: time::Date, organisation: &str) -> Result<Converted, String> {
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
    // A real service the feed forgot to place is worth more than a clean rejection.
    let (provider, flag) = match s.get("organization").filter(|o| o.is_object()) {
        None => {
            let stand_in = stand_in_provider(organisation);
            let flag = format!(
                "the feed names no organization; imported under the provider \"{}\"",
                stand_in.name
            );
            (stand_in, Some(flag))
        }
        Some(org) => {
            let org_id = string(org, "id").ok_or("its organization has no id")?;
            let org_name = text::label(
                &strip_html(string(org, "name").ok_or("its organization has no name")?),
                limits::SHORT_TEXT,
            )
            .map_err(|e| format!("organization.name: {}", e.message))?;
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
            (provider, None)
        }
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
    let cost = cost(s);
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
    Ok(Converted {
        provider,
        activity,
        flag,
    })
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

    /// Names and descriptions as the North Lincolnshire feed (December 2024) has them.
    #[test]
    fn categories_match_whole_words_in_real_descriptions() {
        use Category::*;
        let of = |name: &str, html: &str| categories(&format!("{name} {}", strip_html(html)));
        // "tenan" is in "maintenance": this is not a housing service.
        assert_eq!(
            of(
                "Tree planting in North Lincolnshire",
                "<p>TCV (The Conservation Volunteers) Hull and Humber&nbsp;plants thousands of \
                 trees around North Lincolnshire, Hull and East Riding&nbsp;each year apart of \
                 Humber Forest. Humber forest is 1 of 15 Community Forests in England.</p><p>From \
                 November to March we get out with volunteers, community groups and businesses \
                 to&nbsp;plant&nbsp;new&nbsp;woodland and&nbsp;hedgerows. Through spring and \
                 summer we also go back and complete&nbsp;tree maintenance to boost the survival \
                 rate of the trees planted.</p><p>Join in, get active and make a difference in \
                 your local community!</p>"
            ),
            vec![NatureAndGardening, Volunteering]
        );
        // "art " is in "part of" ...
        assert_eq!(
            of(
                "Coffee Morning",
                "<p>Free&nbsp;weekly coffee morning for anyone who may feel lonely, isolated \
                 or who would like to meet new friends and become part of the community.</p>"
            ),
            vec![SocialGroupsAndBefriending]
        );
        // ... and in "Mario Kart".
        assert_eq!(
            of(
                "Scunthorpe Video Games Club",
                "<p>Weekly gaming sessions at Scunthorpe Central on Saturdays, 10.30am - \
                 12.45pm.</p><p>The sessions are free to attend and are run by local gaming \
                 volunteers. Only family friendly video games including popular favourites \
                 Mario Kart and Super Smash Bros. No staff are present at the sessions as it is \
                 a volunteer led group.</p><p>No booking required, just drop in.</p>"
            ),
            vec![Volunteering, FamilyActivities]
        );
        // Stems still find their words.
        assert_eq!(
            of(
                "Young Onset Dementia Carers Peer Support group",
                "<p>An online peer to Peer Support Group for family members caring for a loved \
                 one with Young Onset Dementia.</p>"
            ),
            vec![CarersSupport, FamilyActivities]
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
