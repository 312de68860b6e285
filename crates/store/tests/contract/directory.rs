//! The contract of the directory and connections stores: providers, activities and the
//! connections that link a referral to them.

use super::*;
use socialrx_domain::connection::{ConnectionStatus, NewConnection, StatusChange};
use socialrx_domain::directory::{
    AccessibilityFeature, ActivityStatus, AgeRange, Category, Contact, Cost, CostUnit, JoinMethod,
    Location, NewActivity, NewProvider, Point, Session, TimeOfDay, Weekday,
};
use socialrx_store::{ActivityChange, Upserted};

pub fn provider(name: &str) -> NewProvider {
    NewProvider {
        name: name.into(),
        description: Some("Branch libraries".into()),
        ods_code: Some(OdsCode::parse("Y02794").unwrap()),
        contact: Contact {
            name: None,
            email: Some("libraries@example.org".into()),
            phone: Some("0113 378 5005".into()),
            website: Some("https://example.org".into()),
        },
        external_id: None,
    }
}

pub fn activity(provider_id: Uuid, name: &str) -> NewActivity {
    NewActivity {
        provider_id,
        name: name.into(),
        description: Some("Crochet, knitting and a cup of tea. ☕".into()),
        categories: vec![
            Category::ArtsAndCrafts,
            Category::SocialGroupsAndBefriending,
        ],
        status: ActivityStatus::Active,
        join_method: JoinMethod::DropIn,
        cost: Cost::Paid {
            pence: 250,
            unit: CostUnit::PerSession,
        },
        ages: AgeRange::parse(Some(18), Some(99)).unwrap(),
        accessibility: vec![
            AccessibilityFeature::StepFreeAccess,
            AccessibilityFeature::HearingLoop,
        ],
        online: false,
        location: Some(Location {
            address: Some("Headingley Library, North Lane".into()),
            town: Some("Leeds".into()),
            postcode: Some(Postcode::parse("LS6 3HG").unwrap()),
            point: Some(Point {
                lat: 53.819_712,
                lon: -1.578_634,
            }),
            area: Some("Headingley".into()),
        }),
        confidential_location: false,
        schedule: vec![Session {
            day: Weekday::Tuesday,
            start: TimeOfDay::parse("10:00").unwrap(),
            end: TimeOfDay::parse("11:30").unwrap(),
        }],
        contact: Contact::default(),
        capacity: Some(15),
        taking_new_people: true,
        last_verified_on: Some(date!(2026 - 11 - 01)),
        external_id: None,
    }
}

#[tokio::test]
async fn an_activity_reads_back_field_for_field_and_changes_by_version() {
    with_store(|store| async move {
        let p = store
            .create_provider("Y02794", provider("Leeds Libraries"))
            .await
            .unwrap();
        assert_eq!(store.get_provider(p.id).await.unwrap(), p);
        let new = activity(p.id, "Knit and Natter");
        let a = store.create_activity("Y02794", new.clone()).await.unwrap();
        assert_eq!(a.details, new);
        assert_eq!(
            (a.version, a.provider_name.as_str()),
            (1, "Leeds Libraries")
        );
        assert_eq!(store.get_activity(a.id).await.unwrap(), a);

        let mut changed = new.clone();
        changed.name = "Knit, Natter and Crochet".into();
        changed.location = None;
        changed.online = true;
        changed.cost = Cost::Free;
        let b = store
            .update_activity("Y02794", a.id, Some(1), changed.clone())
            .await
            .unwrap();
        assert_eq!((b.version, &b.details), (2, &changed));
        let stale = store
            .update_activity("Y02794", a.id, Some(1), new.clone())
            .await
            .unwrap_err();
        assert!(matches!(stale, StoreError::VersionMismatch), "{stale:?}");
        let foreign = store
            .update_activity("Y11111", a.id, None, new.clone())
            .await
            .unwrap_err();
        assert!(matches!(foreign, StoreError::NotFound), "{foreign:?}");
        // Another organisation's provider cannot be used.
        let theirs = store
            .create_provider("Y11111", provider("Theirs"))
            .await
            .unwrap();
        let err = store
            .create_activity("Y02794", activity(theirs.id, "x"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound), "{err:?}");

        store.delete_activity("Y02794", a.id).await.unwrap();
        assert!(matches!(
            store.get_activity(a.id).await.unwrap_err(),
            StoreError::NotFound
        ));
        assert!(store.list_activities(None, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_change_feed_carries_changes_and_deletions_in_order() {
    with_store(|store| async move {
        let start = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        let p = store.create_provider("Y02794", provider("Leeds Libraries")).await.unwrap();
        let a = store.create_activity("Y02794", activity(p.id, "One")).await.unwrap();
        let b = store.create_activity("Y02794", activity(p.id, "Two")).await.unwrap();
        store.delete_activity("Y02794", a.id).await.unwrap();
        let changes = store.activities_changed_since(start).await.unwrap();
        let seen: Vec<String> = changes
            .iter()
            .map(|(_, c)| match c {
                ActivityChange::Upserted(x) => format!("upsert {}", x.details.name),
                ActivityChange::Deleted { id, .. } => format!("delete {}", if *id == a.id { "One" } else { "?" }),
            })
            .collect();
        assert_eq!(seen, vec!["upsert Two", "delete One"]);
        let listed = store.list_activities(None, 10).await.unwrap();
        assert_eq!(listed.iter().map(|x| x.id).collect::<Vec<_>>(), vec![b.id]);
        // Renaming the provider marks its activities changed (their search text moves).
        let later = time::OffsetDateTime::now_utc();
        store.update_provider("Y02794", p.id, provider("Leeds Library Service")).await.unwrap();
        let changes = store.activities_changed_since(later - time::Duration::milliseconds(1)).await.unwrap();
        assert!(changes.iter().any(|(_, c)| matches!(c, ActivityChange::Upserted(x) if x.provider_name == "Leeds Library Service")));
    })
    .await;
}

#[tokio::test]
async fn an_import_upserts_by_external_id_and_a_second_run_changes_nothing() {
    with_store(|store| async move {
        let mut p = provider("Victor House");
        p.external_id = Some("org-1".into());
        let (first, what) = store.upsert_provider("Y02794", p.clone()).await.unwrap();
        assert_eq!(what, Upserted::Created);
        let (again, what) = store.upsert_provider("Y02794", p.clone()).await.unwrap();
        assert_eq!((what, again.id), (Upserted::Unchanged, first.id));
        let mut a = activity(first.id, "Drop-in");
        a.external_id = Some("svc-1".into());
        let (created, what) = store.upsert_activity("Y02794", a.clone()).await.unwrap();
        assert_eq!(what, Upserted::Created);
        let (same, what) = store.upsert_activity("Y02794", a.clone()).await.unwrap();
        assert_eq!((what, same.version), (Upserted::Unchanged, 1));
        a.name = "Drop-in (Thursdays)".into();
        let (updated, what) = store.upsert_activity("Y02794", a.clone()).await.unwrap();
        assert_eq!(
            (what, updated.id, updated.version),
            (Upserted::Updated, created.id, 2)
        );
    })
    .await;
}

#[tokio::test]
async fn an_unknown_cost_reads_back_as_unknown_not_free() {
    with_store(|store| async move {
        let p = store
            .create_provider("Y02794", provider("Leeds Libraries"))
            .await
            .unwrap();
        let mut new = activity(p.id, "Swimming");
        new.cost = Cost::Unknown;
        let a = store.create_activity("Y02794", new.clone()).await.unwrap();
        assert_eq!(
            store.get_activity(a.id).await.unwrap().details.cost,
            Cost::Unknown
        );
        let listed = store.list_activities(None, 10).await.unwrap();
        assert_eq!(listed[0].details.cost, Cost::Unknown);
    })
    .await;
}

#[tokio::test]
async fn imported_activities_are_found_by_their_feed_id_in_every_organisation() {
    with_store(|store| async move {
        let mut found = Vec::new();
        for org in ["Y02794", "Y11111"] {
            let mut p = provider("Victor House");
            p.external_id = Some("org-1".into());
            let (p, _) = store.upsert_provider(org, p).await.unwrap();
            let mut a = activity(p.id, "Drop-in");
            a.external_id = Some("738f94e0-aa6c-6a5c-2395-7b64421ba2a5".into());
            found.push(store.upsert_activity(org, a).await.unwrap().0.id);
        }
        let by_feed_id = store
            .activities_by_external_id("738f94e0-aa6c-6a5c-2395-7b64421ba2a5")
            .await
            .unwrap();
        assert_eq!(by_feed_id.iter().map(|a| a.id).collect::<Vec<_>>(), found);
        assert!(
            store
                .activities_by_external_id("svc-x")
                .await
                .unwrap()
                .is_empty()
        );
        store.delete_activity("Y11111", found[1]).await.unwrap();
        let live = store
            .activities_by_external_id("738f94e0-aa6c-6a5c-2395-7b64421ba2a5")
            .await
            .unwrap();
        assert_eq!(
            live.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![found[0]]
        );
    })
    .await;
}

#[tokio::test]
async fn connections_move_by_the_rules_with_history_and_stay_in_their_organisation() {
    with_store(|store| async move {
        let p = store
            .create_provider("Y02794", provider("Leeds Libraries"))
            .await
            .unwrap();
        let a = store
            .create_activity("Y02794", activity(p.id, "Local history group"))
            .await
            .unwrap();
        let r = created(
            store
                .create_referral(&ctx("Y02794"), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        let c = store
            .create_connection(
                &ctx("Y02794"),
                r.id,
                NewConnection {
                    activity_id: a.id,
                    supported_first_attendance: true,
                    note: Some("first".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (c.status, c.history.len()),
            (ConnectionStatus::Suggested, 1)
        );
        let moved = store
            .change_connection_status(
                &ctx("Y02794"),
                r.id,
                c.id,
                StatusChange {
                    status: ConnectionStatus::Attending,
                    note: None,
                    supported_first_attendance: None,
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            moved.history.iter().map(|e| e.to).collect::<Vec<_>>(),
            vec![ConnectionStatus::Suggested, ConnectionStatus::Attending]
        );
        let illegal = store
            .change_connection_status(
                &ctx("Y02794"),
                r.id,
                c.id,
                StatusChange {
                    status: ConnectionStatus::Suggested,
                    note: None,
                    supported_first_attendance: None,
                },
            )
            .await
            .unwrap();
        assert!(illegal.is_err());
        let foreign = store
            .list_connections(&ctx("Y11111"), r.id)
            .await
            .unwrap_err();
        assert!(matches!(foreign, StoreError::NotFound));
        let listed = store.list_connections(&ctx("Y02794"), r.id).await.unwrap();
        assert_eq!(listed, vec![moved]);
        let counts = store.connection_counts(a.id).await.unwrap();
        assert!(counts.contains(&(ConnectionStatus::Attending, 1)));
        assert!(counts.contains(&(ConnectionStatus::Suggested, 0)));
    })
    .await;
}

#[tokio::test]
async fn a_referral_is_connected_to_an_activity_once_while_the_connection_is_open() {
    with_store(|store| async move {
        let p = store
            .create_provider("Y02794", provider("Leeds Libraries"))
            .await
            .unwrap();
        let a = store
            .create_activity("Y02794", activity(p.id, "Local history group"))
            .await
            .unwrap();
        let r = created(
            store
                .create_referral(&ctx("Y02794"), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        let connect = || NewConnection {
            activity_id: a.id,
            supported_first_attendance: false,
            note: None,
        };
        let first = store
            .create_connection(&ctx("Y02794"), r.id, connect())
            .await
            .unwrap();
        let again = store
            .create_connection(&ctx("Y02794"), r.id, connect())
            .await
            .unwrap_err();
        match again {
            StoreError::AlreadyExists(detail) => {
                assert!(detail.contains(&first.id.to_string()), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        let counts = store.connection_counts(a.id).await.unwrap();
        assert!(
            counts.contains(&(ConnectionStatus::Suggested, 1)),
            "{counts:?}"
        );
        // Once it has ended, a fresh try is a new connection.
        store
            .change_connection_status(
                &ctx("Y02794"),
                r.id,
                first.id,
                StatusChange {
                    status: ConnectionStatus::Declined,
                    note: None,
                    supported_first_attendance: None,
                },
            )
            .await
            .unwrap()
            .unwrap();
        let fresh = store
            .create_connection(&ctx("Y02794"), r.id, connect())
            .await
            .unwrap();
        assert_ne!(fresh.id, first.id);
    })
    .await;
}
