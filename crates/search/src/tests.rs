use socialrx_domain::directory::{
    AgeRange, Contact, Cost, CostUnit, JoinMethod, Location, NewActivity, Session,
};
use time::macros::{date, datetime};

use super::*;

const LEEDS: Point = Point {
    lat: 53.8008,
    lon: -1.5491,
};

pub(crate) fn activity(
    n: u128,
    name: &str,
    description: &str,
    category: Category,
    at: Option<Point>,
) -> Activity {
    Activity {
        id: Uuid::from_u128(n),
        organisation: "Y02794".into(),
        provider_name: "Leeds Libraries".into(),
        version: 1,
        created_at: datetime!(2026-11-01 09:00 UTC),
        updated_at: datetime!(2026-11-01 09:00 UTC),
        details: NewActivity {
            provider_id: Uuid::from_u128(1000),
            name: name.into(),
            description: Some(description.into()),
            categories: vec![category],
            status: ActivityStatus::Active,
            join_method: JoinMethod::DropIn,
            cost: Cost::Free,
            ages: AgeRange::default(),
            accessibility: vec![],
            online: at.is_none(),
            location: at.map(|p| Location {
                address: None,
                town: None,
                postcode: None,
                point: Some(p),
                area: Some("Leeds".into()),
            }),
            confidential_location: false,
            schedule: vec![Session {
                day: Weekday::Tuesday,
                start: TimeOfDay::parse("10:00").unwrap(),
                end: TimeOfDay::parse("11:00").unwrap(),
            }],
            contact: Contact::default(),
            capacity: None,
            taking_new_people: true,
            last_verified_on: Some(date!(2026 - 10 - 01)),
            external_id: None,
        },
    }
}

pub(crate) fn query() -> Query {
    Query::everything(date!(2026 - 11 - 22), 20)
}

fn names(r: &Results) -> Vec<&str> {
    r.hits
        .iter()
        .map(|h| h.activity.details.name.as_str())
        .collect()
}

fn north(km: f64) -> Point {
    Point {
        lat: LEEDS.lat + km / 111.2,
        lon: LEEDS.lon,
    }
}

fn index(activities: Vec<Activity>) -> SearchIndex {
    let index = SearchIndex::new().unwrap();
    index.apply(activities, &[]).unwrap();
    index
}

#[test]
fn walk_finds_walking_groups_by_stemming() {
    let index = index(vec![
        activity(
            1,
            "Hyde Park Walking Group",
            "A gentle stroll",
            Category::PhysicalActivity,
            Some(LEEDS),
        ),
        activity(
            2,
            "Knit and Natter",
            "Crochet and chat",
            Category::ArtsAndCrafts,
            Some(LEEDS),
        ),
    ]);
    let r = index
        .search(&Query {
            text: Some("walk".into()),
            sort: Sort::Relevance,
            ..query()
        })
        .unwrap();
    assert_eq!(names(&r), vec!["Hyde Park Walking Group"]);
}

#[test]
fn a_name_match_ranks_above_a_description_match() {
    let index = index(vec![
        activity(
            1,
            "Coffee morning",
            "Ends with a short garden walk",
            Category::SocialGroupsAndBefriending,
            Some(LEEDS),
        ),
        activity(
            2,
            "Walking football",
            "For over 50s",
            Category::PhysicalActivity,
            Some(LEEDS),
        ),
    ]);
    let r = index
        .search(&Query {
            text: Some("walking".into()),
            sort: Sort::Relevance,
            ..query()
        })
        .unwrap();
    assert_eq!(names(&r), vec!["Walking football", "Coffee morning"]);
}

#[test]
fn near_finds_within_the_radius_nearest_first_and_never_a_confidential_location() {
    let mut refuge = activity(
        4,
        "Refuge outreach",
        "Domestic abuse support",
        Category::DomesticAbuseSupport,
        Some(north(0.5)),
    );
    refuge.details.confidential_location = true;
    let index = index(vec![
        activity(1, "Far", "x", Category::Housing, Some(north(20.0))),
        activity(2, "Near", "x", Category::Housing, Some(north(1.0))),
        activity(3, "Nearer", "x", Category::Housing, Some(north(0.2))),
        activity(5, "Online", "x", Category::Housing, None),
        refuge,
    ]);
    let r = index
        .search(&Query {
            near: Some((LEEDS, 5.0)),
            sort: Sort::Distance,
            ..query()
        })
        .unwrap();
    assert_eq!(names(&r), vec!["Nearer", "Near"]);
    assert!((r.hits[1].distance_km.unwrap() - 1.0).abs() < 0.01);
    // Without a point it is listed (as an area only, by the API).
    let all = index.search(&query()).unwrap();
    assert!(names(&all).contains(&"Refuge outreach"));
}

#[test]
fn filters_combine() {
    let mut paid = activity(
        1,
        "Tai Chi (paid)",
        "x",
        Category::PhysicalActivity,
        Some(LEEDS),
    );
    paid.details.cost = Cost::Paid {
        pence: 300,
        unit: CostUnit::PerSession,
    };
    let mut evening = activity(
        2,
        "Tai Chi (evening)",
        "x",
        Category::PhysicalActivity,
        Some(LEEDS),
    );
    evening.details.schedule[0].start = TimeOfDay::parse("18:00").unwrap();
    evening.details.schedule[0].end = TimeOfDay::parse("19:00").unwrap();
    let morning = activity(
        3,
        "Tai Chi (morning)",
        "x",
        Category::PhysicalActivity,
        Some(LEEDS),
    );
    let mut full = activity(
        4,
        "Tai Chi (full)",
        "x",
        Category::PhysicalActivity,
        Some(LEEDS),
    );
    full.details.taking_new_people = false;
    let mut adults = activity(
        5,
        "Tai Chi (over 50s)",
        "x",
        Category::PhysicalActivity,
        Some(LEEDS),
    );
    adults.details.ages = AgeRange::parse(Some(50), None).unwrap();
    let index = index(vec![paid, evening, morning, full, adults]);
    let r = index
        .search(&Query {
            categories: vec![Category::PhysicalActivity, Category::Housing],
            days: vec![Weekday::Tuesday],
            from: Some(TimeOfDay::parse("06:00").unwrap()),
            to: Some(TimeOfDay::parse("12:00").unwrap()),
            free: Some(true),
            open_to_new: Some(true),
            age: Some(40),
            ..query()
        })
        .unwrap();
    assert_eq!(names(&r), vec!["Tai Chi (morning)"]);
    let none = index
        .search(&Query {
            days: vec![Weekday::Monday],
            ..query()
        })
        .unwrap();
    assert!(none.hits.is_empty());
}

#[test]
fn pages_follow_each_other_without_gaps_or_repeats_in_every_order() {
    let all: Vec<Activity> = (1..=25)
        .map(|n| {
            activity(
                n,
                &format!("Group {:02}", n % 7),
                "walking and talking",
                Category::SocialGroupsAndBefriending,
                Some(north(n as f64 * 0.1)),
            )
        })
        .collect();
    let index = index(all);
    for (sort, text, near) in [
        (Sort::Name, None, None),
        (Sort::Relevance, Some("walking".to_owned()), None),
        (Sort::Distance, None, Some((LEEDS, 50.0))),
        (Sort::Name, Some("walk".to_owned()), Some((LEEDS, 50.0))),
    ] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let r = index
                .search(&Query {
                    text: text.clone(),
                    near,
                    sort,
                    limit: 4,
                    after: after.clone(),
                    ..query()
                })
                .unwrap();
            seen.extend(r.hits.iter().map(|h| h.activity.id));
            match r.next {
                Some(c) => after = Some(Cursor::decode(&c.encode()).unwrap()),
                None => break,
            }
        }
        let mut distinct = seen.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!((seen.len(), distinct.len()), (25, 25), "{sort:?}");
    }
}

#[test]
fn changes_and_removals_are_searchable_at_once() {
    let index = index(vec![activity(
        1,
        "Chess club",
        "x",
        Category::LearningAndLocalHistory,
        None,
    )]);
    let search = |t: &str| {
        index
            .search(&Query {
                text: Some(t.into()),
                sort: Sort::Relevance,
                ..query()
            })
            .unwrap()
            .hits
            .len()
    };
    assert_eq!(search("chess"), 1);
    let mut renamed = activity(
        1,
        "Draughts club",
        "x",
        Category::LearningAndLocalHistory,
        None,
    );
    renamed.version = 2;
    index.upsert(renamed).unwrap();
    assert_eq!((search("chess"), search("draughts")), (0, 1));
    assert_eq!(index.indexed(Uuid::from_u128(1)).map(|(v, _)| v), Some(2));
    let mut closed = activity(
        1,
        "Draughts club",
        "x",
        Category::LearningAndLocalHistory,
        None,
    );
    closed.details.status = ActivityStatus::TemporarilyClosed;
    index.upsert(closed).unwrap();
    assert_eq!(search("draughts"), 0);
    index
        .upsert(activity(
            1,
            "Draughts club",
            "x",
            Category::LearningAndLocalHistory,
            None,
        ))
        .unwrap();
    index.remove(Uuid::from_u128(1)).unwrap();
    assert_eq!((search("draughts"), index.len()), (0, 0));
}

#[test]
fn query_syntax_is_treated_as_words() {
    let index = index(vec![activity(
        1,
        "Chess club",
        "x",
        Category::LearningAndLocalHistory,
        None,
    )]);
    for q in ["name:chess", "chess AND (", "\"chess", "chess~2", "*", "-"] {
        assert!(
            index
                .search(&Query {
                    text: Some(q.into()),
                    sort: Sort::Relevance,
                    ..query()
                })
                .is_ok(),
            "{q}"
        );
    }
}

#[test]
fn cursors_round_trip_and_garbage_is_refused() {
    for c in [
        Cursor::Relevance {
            score: 1.25,
            id: Uuid::from_u128(7),
        },
        Cursor::Distance {
            km: 3.5,
            id: Uuid::from_u128(7),
        },
        Cursor::Name {
            key: "café ☕".into(),
            id: Uuid::from_u128(7),
        },
    ] {
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
    }
    for bad in ["", "x", "r12", "nzz", "d0000000000000000not-a-uuid"] {
        assert_eq!(Cursor::decode(bad), None, "{bad}");
    }
}

#[test]
fn a_first_page_of_text_alone_is_the_same_page_as_by_the_general_way() {
    // Many equal scores (identical texts), so that the page is decided by id at the
    // lowest score that makes it. A filter every entry passes (any age) sends the same
    // search the general way.
    let all: Vec<Activity> = (1..=60)
        .map(|n| {
            activity(
                n * 7919 % 1000,
                &format!("Walking group {}", n % 3),
                if n % 4 == 0 {
                    "walking and talking, walking again"
                } else {
                    "walking and talking"
                },
                Category::PhysicalActivity,
                Some(north(n as f64 * 0.1)),
            )
        })
        .collect();
    let index = index(all);
    for limit in [1, 3, 5, 20, 59, 60, 100] {
        for text in ["walking", "walking talking", "group 2"] {
            let fast = index
                .search(&Query {
                    text: Some(text.to_owned()),
                    sort: Sort::Relevance,
                    limit,
                    ..query()
                })
                .unwrap();
            let general = index
                .search(&Query {
                    text: Some(text.to_owned()),
                    sort: Sort::Relevance,
                    limit,
                    age: Some(50),
                    ..query()
                })
                .unwrap();
            let ids = |r: &Results| {
                r.hits
                    .iter()
                    .map(|h| (h.activity.id, h.score))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&fast), ids(&general), "{text} {limit}");
            assert_eq!(fast.next, general.next, "{text} {limit}");
        }
    }
}
