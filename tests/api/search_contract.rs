//! Same query, same results, same order on SQLite and PostgreSQL: a fixed data set is
//! written to the store, the index is built from it as at start-up, and every query's
//! answer is compared with the committed expectation (`tests/fixtures/search_expected.json`,
//! regenerated with `UPDATE_SEARCH_EXPECTED=1`). CI runs this once per backend.

use std::sync::Arc;

use serde_json::{Value, json};
use socialrx_domain::directory::{
    AccessibilityFeature, ActivityStatus, AgeRange, Category, Contact, Cost, CostUnit, JoinMethod,
    Location, NewActivity, NewProvider, Point, Session, TimeOfDay, Weekday,
};
use socialrx_search::SearchIndex;
use socialrx_store::testing::{TestDatabase, require_postgres_in_ci};
use time::macros::date;

use crate::support::*;

const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/search_expected.json"
);

const WORDS: &[&str] = &[
    "walking",
    "knitting",
    "crochet",
    "gardening",
    "tai chi",
    "chess",
    "history",
    "cookery",
    "choir",
    "befriending",
    "benefits advice",
    "carers",
    "football",
    "yoga",
    "reading",
];

/// 120 activities around four towns, deterministic.
fn data_set(provider: uuid::Uuid) -> Vec<NewActivity> {
    let towns = [
        ("LS6 3HG", 53.8197, -1.5786),
        ("HD1 2RS", 53.6458, -1.7850),
        ("NW1 0PE", 51.5380, -0.1430),
        ("B33 8TH", 52.4780, -1.7620),
    ];
    (0..120u32)
        .map(|n| {
            let (postcode, lat, lon) = towns[(n % 4) as usize];
            let w1 = WORDS[(n % 15) as usize];
            let w2 = WORDS[((n * 7 + 3) % 15) as usize];
            let offset = f64::from(n % 10) * 0.01;
            NewActivity {
                provider_id: provider,
                name: format!("{} group {}", w1, n % 9),
                description: Some(format!("A friendly {w1} session, with some {w2} too.")),
                categories: vec![Category::ALL[(n % 14) as usize]],
                status: if n % 31 == 30 {
                    ActivityStatus::Inactive
                } else {
                    ActivityStatus::Active
                },
                join_method: JoinMethod::ALL[(n % 3) as usize],
                cost: if n % 3 == 0 {
                    Cost::Paid {
                        pence: 200 + n,
                        unit: CostUnit::PerSession,
                    }
                } else {
                    Cost::Free
                },
                ages: AgeRange::parse(if n % 5 == 0 { Some(50) } else { None }, None).unwrap(),
                accessibility: if n % 2 == 0 {
                    vec![AccessibilityFeature::StepFreeAccess]
                } else {
                    vec![]
                },
                online: n % 11 == 0,
                location: (n % 11 != 0).then(|| Location {
                    address: None,
                    town: None,
                    postcode: Some(socialrx_domain::Postcode::parse(postcode).unwrap()),
                    point: Some(Point {
                        lat: lat + offset,
                        lon: lon - offset,
                    }),
                    area: Some("Town centre".into()),
                }),
                confidential_location: n % 17 == 0,
                schedule: vec![Session {
                    day: Weekday::ALL[(n % 7) as usize],
                    start: TimeOfDay::from_minutes(540 + (n % 20) as u16 * 30),
                    end: TimeOfDay::from_minutes(600 + (n % 20) as u16 * 30),
                }],
                contact: Contact::default(),
                capacity: None,
                taking_new_people: n % 13 != 0,
                last_verified_on: Some(date!(2026 - 01 - 01) + time::Duration::days(i64::from(n))),
                external_id: None,
            }
        })
        .collect()
}

const QUERIES: &[&str] = &[
    "q=walk",
    "q=tai+chi&sort=relevance",
    "q=friendly+session&limit=30",
    "q=history&near=LS6&radius_km=30",
    "near=HD1+2RS&radius_km=20&limit=50",
    "category=physical_activity&category=arts_and_crafts",
    "category=housing&day=monday&free=true",
    "day=tuesday&day=wednesday&from=09:00&to=13:00",
    "age=30&accessible=step_free_access&sort=name&limit=40",
    "online=true",
    "open_to_new=false",
    "q=group&sort=name&limit=15",
    "q=group&near=NW1&radius_km=50&sort=distance",
    "lat=52.48&lon=-1.76&radius_km=5",
];

/// Every page of a query, as (id, distance) pairs with the ids replaced by names+n so the
/// expectation does not depend on generated UUIDs.
async fn all_pages(
    app: &TestApp,
    query: &str,
    names: &std::collections::HashMap<String, usize>,
) -> Value {
    let mut out = Vec::new();
    let mut url = format!("/v1/activities?{query}");
    loop {
        let page: Value = app.get(&url).send().await.unwrap().json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            out.push(json!([
                names[item["id"].as_str().unwrap()],
                item.get("distance_km")
            ]));
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/v1/activities?{query}&cursor={c}"),
            None => break,
        }
    }
    Value::Array(out)
}

#[tokio::test]
async fn the_same_data_gives_the_same_results_in_the_same_order_on_every_backend() {
    require_postgres_in_ci();
    let db = Arc::new(TestDatabase::create().await);
    {
        let store = db.store().await;
        let provider = store
            .create_provider(
                ORG,
                NewProvider {
                    name: "Fixture Trust".into(),
                    description: None,
                    ods_code: None,
                    contact: Contact::default(),
                    external_id: None,
                },
            )
            .await
            .unwrap();
        for a in data_set(provider.id) {
            store.create_activity(ORG, a).await.unwrap();
        }
    }
    // The app builds its index from the store at start-up, as in production.
    let app = spawn_app_on(db.clone()).await;
    let store = db.store().await;
    let mut names = std::collections::HashMap::new();
    let mut after = None;
    loop {
        let page = store.list_activities(after, 100).await.unwrap();
        let Some(last) = page.last().map(|a| a.id) else {
            break;
        };
        for a in page {
            // Ids are UUIDv7 in creation order, so the position is stable.
            let n = names.len();
            names.insert(a.id.to_string(), n);
        }
        after = Some(last);
    }
    let mut answers = serde_json::Map::new();
    for q in QUERIES {
        answers.insert((*q).to_owned(), all_pages(&app, q, &names).await);
    }
    let answers = Value::Object(answers);
    if std::env::var("UPDATE_SEARCH_EXPECTED").as_deref() == Ok("1") {
        std::fs::write(
            EXPECTED,
            serde_json::to_string_pretty(&answers).unwrap() + "\n",
        )
        .unwrap();
    } else {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(EXPECTED).unwrap()).unwrap();
        for q in QUERIES {
            assert_eq!(answers[*q], expected[*q], "{q}");
        }
    }
    // And the index built here, in-process, from the same store agrees.
    let index = SearchIndex::new().unwrap();
    let (count, _) = socialrx_server::jobs::search_feed::load(store.as_ref(), &index)
        .await
        .unwrap();
    assert_eq!(count, 120);
    assert_eq!(
        index.len(),
        120 - 3,
        "inactive activities are not searchable"
    );
    // The app holds the database too; once both let go of it, it can be dropped.
    drop(store);
    app.finish().await;
    if let Ok(db) = Arc::try_unwrap(db) {
        db.drop_database().await;
    }
}

#[tokio::test]
async fn a_change_written_by_another_instance_is_searchable_within_a_second() {
    let app = spawn_app().await;
    let store = app.db.store().await;
    let provider = store
        .create_provider(
            ORG,
            NewProvider {
                name: "Elsewhere".into(),
                description: None,
                ods_code: None,
                contact: Contact::default(),
                external_id: None,
            },
        )
        .await
        .unwrap();
    let mut a = data_set(provider.id).remove(1);
    a.name = "Zumba for all".into();
    // Written straight to the database, as another API instance would.
    store.create_activity(ORG, a).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let page: Value = app
            .get("/v1/activities?q=zumba")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["items"].as_array().unwrap().len() == 1 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "not searchable within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.finish().await;
}
