//! How long the directory index takes to build at start-up, without the database: N
//! synthetic activities (names, descriptions, categories and points spread over England),
//! indexed in one commit as `jobs::search_feed::load` (server) does; the same saved to a
//! temporary directory and opened again (what a start with `SOCIALRX_SEARCH_INDEX_DIR`
//! does); and, for comparison, in pages of 2,000 with a commit each (what start-up did
//! before).
//!
//!   cargo run --release -p socialrx-search --example load -- 100000
//!
//! Prints the wall time of each way and the process's resident memory after each. A
//! benchmark to run by hand, never a test.

use std::time::Instant;

use socialrx_domain::directory::{
    Activity, ActivityStatus, AgeRange, Category, Contact, Cost, JoinMethod, Location, NewActivity,
    Point, Session, TimeOfDay, Weekday,
};
use socialrx_search::SearchIndex;
use time::macros::{date, datetime};
use uuid::Uuid;

const WORDS: &[&str] = &[
    "walking",
    "group",
    "gentle",
    "library",
    "knit",
    "natter",
    "garden",
    "allotment",
    "befriending",
    "coffee",
    "morning",
    "carers",
    "support",
    "benefits",
    "advice",
    "chair",
    "yoga",
    "tai",
    "chi",
    "history",
    "society",
    "crafts",
    "cookery",
    "healthy",
    "eating",
    "men",
    "shed",
    "choir",
    "singing",
    "dementia",
    "friendly",
    "swimming",
    "park",
    "run",
];

fn activity(n: u64) -> Activity {
    let word =
        |k: u64| WORDS[((n.wrapping_mul(2654435761) >> (k * 5)) % WORDS.len() as u64) as usize];
    let name = format!("{} {} {}", word(0), word(1), word(2));
    let description = (0..24).map(word).collect::<Vec<_>>().join(" ");
    let category = Category::ALL[(n % Category::ALL.len() as u64) as usize];
    let point = Point {
        lat: 50.5 + (n % 4000) as f64 / 1000.0,
        lon: -4.5 + (n / 4000 % 5000) as f64 / 1000.0,
    };
    Activity {
        id: Uuid::from_u128(n as u128 + 1),
        organisation: "Y02794".into(),
        provider_name: format!("Provider {}", n % 5000),
        version: 1,
        created_at: datetime!(2026-11-01 09:00 UTC),
        updated_at: datetime!(2026-11-01 09:00 UTC),
        details: NewActivity {
            provider_id: Uuid::from_u128(1000 + (n % 5000) as u128),
            name,
            description: Some(description),
            categories: vec![category],
            status: ActivityStatus::Active,
            join_method: JoinMethod::DropIn,
            cost: Cost::Free,
            ages: AgeRange::default(),
            accessibility: vec![],
            online: false,
            location: Some(Location {
                address: None,
                town: None,
                postcode: None,
                point: Some(point),
                area: Some("England".into()),
            }),
            confidential_location: false,
            schedule: vec![Session {
                day: Weekday::Tuesday,
                start: TimeOfDay::parse("10:00").expect("a time"),
                end: TimeOfDay::parse("11:00").expect("a time"),
            }],
            contact: Contact::default(),
            capacity: None,
            taking_new_people: true,
            last_verified_on: Some(date!(2026 - 10 - 01)),
            external_id: None,
        },
    }
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let before = rss_mib();
    let all: Vec<Activity> = (0..n).map(activity).collect();
    let data = rss_mib() - before;

    let index = SearchIndex::new().expect("an index");
    let t = Instant::now();
    index.apply(all.clone(), &[]).expect("indexed");
    let once = t.elapsed();
    println!(
        "one commit:     {n} activities in {:.2} s; resident {:.0} MiB ({:.0} MiB of it the activities themselves)",
        once.as_secs_f64(),
        rss_mib(),
        data
    );
    drop(index);

    let dir = std::env::temp_dir().join(format!("socialrx-load-example-{}", std::process::id()));
    let saved = SearchIndex::create_in(&dir, "example").expect("a saved index");
    let t = Instant::now();
    saved
        .apply_until(all.clone(), &[], time::OffsetDateTime::now_utc())
        .expect("indexed");
    println!(
        "saved, one commit: {n} activities in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    drop(saved);
    let before = rss_mib();
    let t = Instant::now();
    let (opened, _) = SearchIndex::open(&dir, "example").expect("opened");
    println!(
        "opened:         {} activities in {:.2} s; resident {:.0} MiB (+{:.0} MiB)",
        opened.len(),
        t.elapsed().as_secs_f64(),
        rss_mib(),
        rss_mib() - before
    );
    drop(opened);
    let _ = std::fs::remove_dir_all(&dir);

    let index = SearchIndex::new().expect("an index");
    let t = Instant::now();
    for page in all.chunks(2000) {
        index.apply(page.to_vec(), &[]).expect("indexed");
    }
    println!(
        "pages of 2000:  {n} activities in {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
