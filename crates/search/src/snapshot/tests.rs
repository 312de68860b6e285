use socialrx_domain::directory::Category;
use time::macros::datetime;

use super::*;
use crate::tests::{activity, query};
use crate::{Query, Sort};

const LEEDS: socialrx_domain::directory::Point = socialrx_domain::directory::Point {
    lat: 53.8008,
    lon: -1.5491,
};
const T1: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);
const T2: OffsetDateTime = datetime!(2026-11-21 08:30:00.25 UTC);

fn directory() -> Vec<Activity> {
    vec![
        activity(
            1,
            "Walking group",
            "A gentle walk in the park",
            Category::PhysicalActivity,
            Some(LEEDS),
        ),
        activity(
            2,
            "Knit and natter",
            "Wool and tea",
            Category::ArtsAndCrafts,
            Some(LEEDS),
        ),
        activity(
            3,
            "Allotment club",
            "Grow and walk",
            Category::NatureAndGardening,
            None,
        ),
    ]
}

/// The ids and scores a search finds, in order.
fn found(index: &SearchIndex, q: &Query) -> Vec<(Uuid, Option<f32>)> {
    index
        .search(q)
        .unwrap()
        .hits
        .iter()
        .map(|h| (h.activity.id, h.score))
        .collect()
}

fn walk() -> Query {
    Query {
        text: Some("walk".into()),
        sort: Sort::Relevance,
        ..query()
    }
}

fn near() -> Query {
    Query {
        near: Some((LEEDS, 5.0)),
        sort: Sort::Distance,
        ..query()
    }
}

#[test]
fn a_saved_index_opens_with_the_same_activities_results_and_stamp() {
    let dir = tempfile::tempdir().unwrap();
    let saved = SearchIndex::create_in(dir.path(), "db-1").unwrap();
    saved.apply_until(directory(), &[], T1).unwrap();
    let mut changed = directory().remove(2);
    changed.version = 2;
    changed.updated_at = T2;
    changed.details.name = "Allotment walkers".into();
    saved
        .apply_until(vec![changed.clone()], &[Uuid::from_u128(2)], T2)
        .unwrap();
    let before = (
        found(&saved, &walk()),
        found(&saved, &near()),
        found(&saved, &query()),
    );
    drop(saved);

    let (opened, since) = SearchIndex::open(dir.path(), "db-1").unwrap();
    assert_eq!(since, T2);
    assert!(opened.is_saved());
    assert_eq!(opened.len(), 2);
    assert_eq!(opened.indexed(Uuid::from_u128(3)), Some((2, T2)));
    assert_eq!(opened.indexed(Uuid::from_u128(2)), None);
    assert_eq!(opened.latest_change(), Some(T2));
    let after = (
        found(&opened, &walk()),
        found(&opened, &near()),
        found(&opened, &query()),
    );
    assert_eq!(after, before);
    assert_eq!(after.0.len(), 2, "{after:?}");
    let hits = opened.search(&walk()).unwrap().hits;
    let hit = hits.iter().find(|h| h.activity.id == changed.id).unwrap();
    assert_eq!(*hit.activity, changed);
}

#[test]
fn an_opened_index_reuses_freed_slots_without_mixing_up_documents() {
    let dir = tempfile::tempdir().unwrap();
    let saved = SearchIndex::create_in(dir.path(), "db-1").unwrap();
    saved.apply_until(directory(), &[], T1).unwrap();
    saved
        .apply_until(Vec::new(), &[Uuid::from_u128(1)], T1)
        .unwrap();
    drop(saved);

    let (opened, _) = SearchIndex::open(dir.path(), "db-1").unwrap();
    // Slot 0 (the walking group's) is free; the new activity takes it.
    let choir = activity(
        4,
        "Community choir",
        "Sing together",
        Category::ArtsAndCrafts,
        None,
    );
    opened.upsert(choir).unwrap();
    let ids = |text: &str| -> Vec<Uuid> {
        let q = Query {
            text: Some(text.into()),
            ..walk()
        };
        found(&opened, &q).into_iter().map(|(id, _)| id).collect()
    };
    assert_eq!(ids("choir"), vec![Uuid::from_u128(4)]);
    assert_eq!(ids("walk"), vec![Uuid::from_u128(3)]);
    assert_eq!(opened.len(), 3);
}

#[test]
fn an_empty_directory_is_saved_with_a_stamp() {
    let dir = tempfile::tempdir().unwrap();
    SearchIndex::create_in(dir.path(), "db-1")
        .unwrap()
        .apply_until(Vec::new(), &[], T1)
        .unwrap();
    let (opened, since) = SearchIndex::open(dir.path(), "db-1").unwrap();
    assert!(opened.is_empty());
    assert_eq!(since, T1);
}

#[test]
fn an_index_saved_for_another_database_or_never_saved_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        SearchIndex::open(dir.path(), "db-1").err(),
        Some(SnapshotError::Missing(_))
    ));
    SearchIndex::create_in(dir.path(), "db-1")
        .unwrap()
        .apply_until(directory(), &[], T1)
        .unwrap();
    assert!(matches!(
        SearchIndex::open(dir.path(), "db-2").err(),
        Some(SnapshotError::Mismatch(_))
    ));
}

#[test]
fn a_stamp_of_another_format_or_without_a_watermark_is_refused() {
    let good = Stamp {
        origin: "db-1".into(),
        since: T2,
    };
    assert_eq!(Stamp::parse(&good.payload()).unwrap(), good);
    let older = good
        .payload()
        .replace(&format!("format={FORMAT}"), "format=0");
    assert!(matches!(
        Stamp::parse(&older),
        Err(SnapshotError::Mismatch(_))
    ));
    assert!(matches!(Stamp::parse(""), Err(SnapshotError::Mismatch(_))));
    assert!(matches!(
        Stamp::parse(&format!("{PAYLOAD_TAG} format={FORMAT} origin=db-1")),
        Err(SnapshotError::Damaged(_))
    ));
}

/// Saves the directory, damages one file with `damage`, and checks that opening fails
/// and that building afresh in the same place works.
fn refuses_when_damaged(damage: impl FnOnce(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    SearchIndex::create_in(dir.path(), "db-1")
        .unwrap()
        .apply_until(directory(), &[], T1)
        .unwrap();
    damage(&dir.path().join(INDEX));
    let err = SearchIndex::open(dir.path(), "db-1")
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            SnapshotError::Text(_) | SnapshotError::Damaged(_) | SnapshotError::Record(_)
        ),
        "{err:?}"
    );
    let rebuilt = SearchIndex::create_in(dir.path(), "db-1").unwrap();
    rebuilt.apply_until(directory(), &[], T2).unwrap();
    drop(rebuilt);
    let (opened, since) = SearchIndex::open(dir.path(), "db-1").unwrap();
    assert_eq!((opened.len(), since), (3, T2));
}

fn files_ending(dir: &Path, ext: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect()
}

#[test]
fn a_damaged_metadata_file_is_refused_and_rebuilt() {
    refuses_when_damaged(|index| std::fs::write(index.join("meta.json"), b"{ not json").unwrap());
}

#[test]
fn a_cut_segment_file_is_refused_and_rebuilt() {
    refuses_when_damaged(|index| {
        let store = files_ending(index, "store")
            .pop()
            .expect("a doc store file");
        let bytes = std::fs::read(&store).unwrap();
        std::fs::write(&store, &bytes[..bytes.len() / 2]).unwrap();
    });
}

#[test]
fn a_segment_file_with_flipped_bytes_is_refused_and_rebuilt() {
    refuses_when_damaged(|index| {
        let postings = files_ending(index, "idx").pop().expect("a postings file");
        let mut bytes = std::fs::read(&postings).unwrap();
        bytes[0] ^= 0xff;
        std::fs::write(&postings, bytes).unwrap();
    });
}

#[test]
fn a_directory_in_use_by_another_index_is_not_shared() {
    let dir = tempfile::tempdir().unwrap();
    let first = SearchIndex::create_in(dir.path(), "db-1").unwrap();
    first.apply_until(directory(), &[], T1).unwrap();
    assert!(matches!(
        SearchIndex::open(dir.path(), "db-1").err(),
        Some(SnapshotError::Busy(_))
    ));
    assert!(matches!(
        SearchIndex::create_in(dir.path(), "db-1").err(),
        Some(SnapshotError::Busy(_))
    ));
    assert_eq!(first.len(), 3);
}

#[test]
fn a_directory_holding_other_files_is_neither_used_nor_emptied() {
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("notes.txt");
    std::fs::write(&theirs, b"mine").unwrap();
    assert!(matches!(
        SearchIndex::create_in(dir.path(), "db-1").err(),
        Some(SnapshotError::NotOurs(_))
    ));
    assert!(matches!(
        SearchIndex::open(dir.path(), "db-1").err(),
        Some(SnapshotError::NotOurs(_))
    ));
    assert_eq!(std::fs::read(&theirs).unwrap(), b"mine");
}
