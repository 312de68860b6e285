//! The store contract: every `Store` method, run against whichever backend the
//! environment selects (SQLite by default, PostgreSQL with `TEST_DATABASE_URL`). CI runs
//! this suite once per backend; a behaviour that differs between them is a bug.

use std::sync::Arc;

use socialrx_domain::person::{ContactMethod, Person, Phone};
use socialrx_domain::referral::{
    Consent, ConsentMethod, NewReferral, Reason, Referrer, Source, Status, Urgency,
};
use socialrx_domain::{NhsNumber, OdsCode, Postcode};
use socialrx_store::testing::{TestDatabase, require_postgres_in_ci};
use socialrx_store::{
    AuditContext, Created, IdempotencyKey, PageRequest, ReferralFilter, Store, StoreError,
};
use time::macros::{date, datetime};
use uuid::Uuid;

async fn with_store<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let store = db.store().await;
    test(store).await;
    db.drop_database().await;
}

fn ctx(org: &str) -> AuditContext {
    AuditContext {
        organisation: org.into(),
        actor: "user-1".into(),
        client_ip: Some("127.0.0.1".parse().unwrap()),
        request_id: Some("req-1".into()),
    }
}

fn referral(source: Source) -> NewReferral {
    NewReferral {
        person: Person {
            nhs_number: Some(NhsNumber::parse("9434765919").unwrap()),
            given_name: "Ada".into(),
            family_name: "O'Brien".into(),
            date_of_birth: date!(1971 - 03 - 14),
            postcode: Postcode::parse("HD1 2RS").unwrap(),
            phone: Some(Phone::parse("01484 496000").unwrap()),
            email: None,
            preferred_contact: ContactMethod::Phone,
            language: Some("English".into()),
            interpreter_needed: false,
            accessibility_needs: Some("Step-free access".into()),
            registered_practice: Some(OdsCode::parse("B85001").unwrap()),
        },
        source,
        referrer: Referrer {
            ods_code: Some(OdsCode::parse("B85001").unwrap()),
            name: "Dr Patel".into(),
            role: Some("GP".into()),
        },
        reasons: vec![Reason::LowMoodAnxiety, Reason::CarerSupport],
        notes: Some("Cares for her adult son.\nMornings are hard.".into()),
        urgency: Urgency::Routine,
        consent: Consent {
            given_at: datetime!(2026-11-20 10:15:00 UTC),
            method: ConsentMethod::Verbal,
        },
    }
}

fn created<T: std::fmt::Debug>(c: Created<T>) -> T {
    match c {
        Created::New(t) => t,
        other => panic!("expected a new record, got {other:?}"),
    }
}

#[tokio::test]
async fn ping_answers() {
    with_store(|store| async move {
        store.ping().await.unwrap();
        assert!(["sqlite", "postgres"].contains(&store.backend()));
    })
    .await;
}

#[tokio::test]
async fn a_created_referral_reads_back_field_for_field() {
    with_store(|store| async move {
        let new = referral(Source::Gp);
        let stored = created(
            store
                .create_referral(&ctx("Y02794"), new.clone(), None)
                .await
                .unwrap(),
        );
        assert_eq!(stored.status, Status::Received);
        assert_eq!(stored.details, new);
        assert!(stored.reference.as_str().starts_with("SRX-"));

        let read = store.get_referral(&ctx("Y02794"), stored.id).await.unwrap();
        assert_eq!(read, stored);
    })
    .await;
}

#[tokio::test]
async fn another_organisations_referral_is_not_found() {
    with_store(|store| async move {
        let stored = created(
            store
                .create_referral(&ctx("Y02794"), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        let err = store
            .get_referral(&ctx("Y99999"), stored.id)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound), "{err:?}");
        let err = store
            .get_referral(&ctx("Y02794"), Uuid::now_v7())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_is_used_once_per_organisation() {
    with_store(|store| async move {
        let key = IdempotencyKey {
            key: "k-1".into(),
            fingerprint: "f-1".into(),
        };
        let first = created(
            store
                .create_referral(&ctx("Y02794"), referral(Source::Gp), Some(key.clone()))
                .await
                .unwrap(),
        );
        let again_key = IdempotencyKey {
            key: "k-1".into(),
            fingerprint: "f-2".into(),
        };
        match store
            .create_referral(&ctx("Y02794"), referral(Source::Gp), Some(again_key))
            .await
            .unwrap()
        {
            Created::AlreadyDone { fingerprint, id } => {
                assert_eq!(fingerprint, "f-1");
                assert_eq!(id, first.id);
            }
            Created::New(_) => panic!("the key was reused but a second referral was written"),
        }
        let page = store
            .list_referrals(
                &ctx("Y02794"),
                &ReferralFilter::default(),
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "a retry must create nothing");

        // The same key in another organisation is another key.
        created(
            store
                .create_referral(&ctx("Y11111"), referral(Source::Gp), Some(key))
                .await
                .unwrap(),
        );
    })
    .await;
}

#[tokio::test]
async fn lists_are_newest_first_filtered_paged_and_scoped() {
    with_store(|store| async move {
        let mut ids = Vec::new();
        for source in [
            Source::Gp,
            Source::SelfReferral,
            Source::Gp,
            Source::LocalAgency,
            Source::Gp,
        ] {
            ids.push(
                created(
                    store
                        .create_referral(&ctx("Y02794"), referral(source), None)
                        .await
                        .unwrap(),
                )
                .id,
            );
        }
        created(
            store
                .create_referral(&ctx("Y11111"), referral(Source::Gp), None)
                .await
                .unwrap(),
        );

        let all = ReferralFilter::default();
        let first = store
            .list_referrals(
                &ctx("Y02794"),
                &all,
                PageRequest {
                    limit: 2,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            first.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[4], ids[3]]
        );
        let second = store
            .list_referrals(
                &ctx("Y02794"),
                &all,
                PageRequest {
                    limit: 2,
                    after: first.next,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            second.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[2], ids[1]]
        );
        let third = store
            .list_referrals(
                &ctx("Y02794"),
                &all,
                PageRequest {
                    limit: 2,
                    after: second.next,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            third.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[0]]
        );
        assert_eq!(third.next, None);

        let gp = ReferralFilter {
            source: Some(Source::Gp),
            ..Default::default()
        };
        let page = store
            .list_referrals(
                &ctx("Y02794"),
                &gp,
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[4], ids[2], ids[0]]
        );

        let closed = ReferralFilter {
            status: Some(Status::Closed),
            ..Default::default()
        };
        let page = store
            .list_referrals(
                &ctx("Y02794"),
                &closed,
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert!(page.items.is_empty());
        let received = ReferralFilter {
            status: Some(Status::Received),
            ..Default::default()
        };
        let page = store
            .list_referrals(
                &ctx("Y02794"),
                &received,
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 5);
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys_are_purged_by_age() {
    with_store(|store| async move {
        let key = IdempotencyKey {
            key: "old".into(),
            fingerprint: "f".into(),
        };
        created(
            store
                .create_referral(&ctx("Y02794"), referral(Source::Gp), Some(key.clone()))
                .await
                .unwrap(),
        );
        let kept = store
            .purge_idempotency_keys(time::OffsetDateTime::now_utc() - time::Duration::hours(24))
            .await
            .unwrap();
        assert_eq!(kept, 0, "a fresh key is kept for 24 hours");
        let purged = store
            .purge_idempotency_keys(time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(purged, 1);
        // With the key forgotten, the same key creates again.
        created(
            store
                .create_referral(&ctx("Y02794"), referral(Source::Gp), Some(key))
                .await
                .unwrap(),
        );
    })
    .await;
}

#[tokio::test]
async fn hostile_text_is_stored_verbatim_not_executed() {
    with_store(|store| async move {
        let mut new = referral(Source::Gp);
        new.person.family_name = "Robert'); DROP TABLE referrals;--".into();
        new.notes = Some("<script>alert(1)</script> ☃ 𝄞 ".into());
        let stored = created(
            store
                .create_referral(&ctx("Y02794"), new.clone(), None)
                .await
                .unwrap(),
        );
        let read = store.get_referral(&ctx("Y02794"), stored.id).await.unwrap();
        assert_eq!(read.details, new);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// The directory and connections

mod directory {
    use super::*;
    use socialrx_domain::connection::{ConnectionStatus, NewConnection, StatusChange};
    use socialrx_domain::directory::{
        AccessibilityFeature, ActivityStatus, AgeRange, Category, Contact, Cost, CostUnit,
        JoinMethod, Location, NewActivity, NewProvider, Point, Session, TimeOfDay, Weekday,
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
                    ActivityChange::Deleted(id) => format!("delete {}", if *id == a.id { "One" } else { "?" }),
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
}
