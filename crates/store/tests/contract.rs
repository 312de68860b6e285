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
    AuditContext, Created, IdempotencyKey, PageRequest, Reach, Recipient, ReferralFilter, Store,
    StoreError,
};
use time::macros::{date, datetime};
use uuid::Uuid;

#[path = "contract/caseload.rs"]
mod caseload;
#[path = "contract/casework.rs"]
mod casework;
#[path = "contract/directory_summary.rs"]
mod directory_summary;
#[path = "contract/exchange.rs"]
mod exchange;
#[path = "contract/summary.rs"]
mod summary;

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

/// As `with_store`, with the database at hand for what the store's API cannot do (such as
/// pretending a referral was received days ago).
async fn with_database<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>, Arc<TestDatabase>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    require_postgres_in_ci();
    let db = Arc::new(TestDatabase::create().await);
    let store = db.store().await;
    test(store, db.clone()).await;
    if let Ok(db) = Arc::try_unwrap(db) {
        db.drop_database().await;
    }
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
        particulars: Default::default(),
        person: Person {
            about_me: Default::default(),
            nhs_number: Some(NhsNumber::parse("9434765919").unwrap()),
            given_name: "Ada".into(),
            family_name: "O'Brien".into(),
            date_of_birth: date!(1971 - 03 - 14),
            postcode: Postcode::parse("HD1 2RS").unwrap(),
            address_lines: vec!["Flat 2".into(), "14 Wood Street".into()],
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

/// Many referrals at once (on SQLite they share one group-committed transaction): each is
/// written once, each answer is its own, and requests sharing an idempotency key resolve
/// to one referral, whichever group they fall in.
#[tokio::test]
async fn concurrent_referrals_are_each_written_once_and_answered_with_their_own() {
    with_store(|store| async move {
        let mut tasks = Vec::new();
        for n in 0..40u32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut new = referral(Source::Gp);
                new.person.given_name = format!("Person {n}");
                let key = (n % 4 == 0).then(|| IdempotencyKey {
                    key: "shared".into(),
                    fingerprint: "same-body".into(),
                });
                (
                    n,
                    store
                        .create_referral(&ctx("Y02794"), new, key)
                        .await
                        .unwrap(),
                )
            }));
        }
        let mut fresh = Vec::new();
        let mut replayed = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (n, Created::New(r)) => {
                    if n % 4 != 0 {
                        assert_eq!(r.details.person.given_name, format!("Person {n}"));
                    }
                    fresh.push((n, r.id));
                }
                (n, Created::AlreadyDone { id, fingerprint }) => {
                    assert_eq!(n % 4, 0, "only keyed requests replay");
                    assert_eq!(fingerprint, "same-body");
                    replayed.push(id);
                }
            }
        }
        // 30 without a key, one of the ten with it; the other nine name that one.
        assert_eq!(fresh.len(), 31, "{fresh:?}");
        assert_eq!(replayed.len(), 9);
        let keyed: Vec<_> = fresh.iter().filter(|(n, _)| n % 4 == 0).collect();
        assert_eq!(keyed.len(), 1);
        assert!(replayed.iter().all(|id| *id == keyed[0].1));
        let page = store
            .list_referrals(
                &ctx("Y02794"),
                &ReferralFilter::default(),
                PageRequest {
                    limit: 100,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 31);
        for (_, id) in &fresh {
            let read = store.get_referral(&ctx("Y02794"), *id).await.unwrap();
            assert_eq!(read.id, *id);
        }
    })
    .await;
}

/// Rate-limit counts: per bucket and minute, counted atomically under concurrency, and
/// purged by minute.
#[tokio::test]
async fn rate_limit_hits_are_counted_per_bucket_and_minute_and_purged() {
    with_store(|store| async move {
        let buckets = vec!["partner:a".to_owned(), "net:b".to_owned()];
        assert_eq!(
            store.count_rate_limit_hits(&buckets, 100).await.unwrap(),
            vec![1, 1]
        );
        assert_eq!(
            store
                .count_rate_limit_hits(&buckets[..1], 100)
                .await
                .unwrap(),
            vec![2]
        );
        assert_eq!(
            store
                .count_rate_limit_hits(&buckets[..1], 101)
                .await
                .unwrap(),
            vec![1]
        );
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .count_rate_limit_hits(&["net:c".to_owned()], 100)
                    .await
                    .unwrap()[0]
            }));
        }
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap());
        }
        seen.sort();
        assert_eq!(
            seen,
            (1..=20).collect::<Vec<u32>>(),
            "each hit counted once"
        );
        assert_eq!(store.purge_rate_limit_hits(101).await.unwrap(), 3);
        assert_eq!(
            store
                .count_rate_limit_hits(&buckets[..1], 101)
                .await
                .unwrap(),
            vec![2]
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

#[tokio::test]
async fn audit_events_are_written_with_each_access_and_listed_by_filter() {
    use socialrx_store::AuditFilter;
    with_store(|store| async move {
        let stored = created(
            store
                .create_referral(&ctx("Y02794"), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        store.get_referral(&ctx("Y02794"), stored.id).await.unwrap();
        let everything = AuditFilter::default();
        let page = store
            .list_audit_events(
                "Y02794",
                &everything,
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        let actions: Vec<&str> = page.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["read", "create"]);
        assert!(
            page.items
                .iter()
                .all(|e| e.person_id == Some(stored.person_id)
                    && e.resource_id == stored.id
                    && e.actor == "user-1"
                    && e.client_ip.as_deref() == Some("127.0.0.1")
                    && e.request_id.as_deref() == Some("req-1"))
        );

        let reads = AuditFilter {
            resource_type: Some("referral".into()),
            from: Some(page.items[0].at),
            ..Default::default()
        };
        let page = store
            .list_audit_events(
                "Y02794",
                &reads,
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let none = store
            .list_audit_events(
                "Y11111",
                &everything,
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert!(none.items.is_empty());

        // A failed read (another organisation's referral) writes nothing.
        let _ = store.get_referral(&ctx("Y11111"), stored.id).await;
        let none = store
            .list_audit_events(
                "Y11111",
                &everything,
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert!(none.items.is_empty());
    })
    .await;
}

#[tokio::test]
async fn organisations_and_staff_are_registered_once_and_listed_by_tenant() {
    use socialrx_domain::Role;
    use socialrx_domain::organisation::{NewOrganisation, NewStaffMember, OrganisationKind};
    with_store(|store| async move {
        let new = NewOrganisation {
            ods_code: OdsCode::parse("Y02794").unwrap(),
            name: "Kirklees".into(),
            kind: OrganisationKind::SocialPrescribingService,
        };
        let org = store.create_organisation(new.clone()).await.unwrap();
        assert!(matches!(
            store.create_organisation(new).await,
            Err(StoreError::AlreadyExists(_))
        ));
        let page = store
            .list_organisations(PageRequest {
                limit: 10,
                after: None,
            })
            .await
            .unwrap();
        assert_eq!(page.items, vec![org]);

        let member = NewStaffMember {
            subject: "idp|1".into(),
            name: "Sam".into(),
            email: None,
            roles: vec![Role::LinkWorker],
        };
        let stored = store
            .create_staff_member("Y02794", member.clone())
            .await
            .unwrap();
        assert!(matches!(
            store.create_staff_member("Y02794", member.clone()).await,
            Err(StoreError::AlreadyExists(_))
        ));
        store.create_staff_member("Y11111", member).await.unwrap();
        let page = store
            .list_staff(
                "Y02794",
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items, vec![stored]);
    })
    .await;
}

mod partners {
    use super::*;
    use socialrx_domain::partner::{NewPartner, Origin};
    use socialrx_store::AuditFilter;

    fn partner(name: &str, origins: &[&str]) -> NewPartner {
        NewPartner {
            name: name.into(),
            allowed_origins: origins.iter().map(|o| Origin::parse(o).unwrap()).collect(),
        }
    }

    fn page(limit: u32, after: Option<Uuid>) -> PageRequest {
        PageRequest { limit, after }
    }

    #[tokio::test]
    async fn partners_are_created_listed_newest_first_and_scoped() {
        with_store(|store| async move {
            let a = store
                .create_partner(
                    &ctx("Y02794"),
                    partner(
                        "Carers Trust",
                        &["https://www.carers.org.uk", "https://carers.org.uk"],
                    ),
                    "hash-a",
                    "srxpk_AAAA",
                )
                .await
                .unwrap();
            assert!(a.active && a.disabled_at.is_none());
            assert_eq!(a.created_by, "user-1");
            let b = store
                .create_partner(
                    &ctx("Y02794"),
                    partner("Age UK", &["https://ageuk.org.uk"]),
                    "hash-b",
                    "srxpk_BBBB",
                )
                .await
                .unwrap();
            store
                .create_partner(
                    &ctx("Y11111"),
                    partner("Elsewhere", &["https://else.org"]),
                    "hash-c",
                    "srxpk_CCCC",
                )
                .await
                .unwrap();

            let first = store.list_partners("Y02794", page(1, None)).await.unwrap();
            assert_eq!(first.items, vec![b.clone()]);
            let second = store
                .list_partners("Y02794", page(1, first.next))
                .await
                .unwrap();
            assert_eq!(second.items, vec![a.clone()]);
            assert_eq!(second.next, None);
            assert_eq!(
                second.items[0]
                    .allowed_origins
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>(),
                vec!["https://www.carers.org.uk", "https://carers.org.uk"],
                "origins keep the order they were given in"
            );
            let theirs = store.list_partners("Y11111", page(10, None)).await.unwrap();
            assert_eq!(theirs.items.len(), 1);
            assert_eq!(theirs.items[0].name, "Elsewhere");
        })
        .await;
    }

    #[tokio::test]
    async fn a_partner_is_found_by_its_key_hash_and_stays_found_once_revoked() {
        with_store(|store| async move {
            let created = store
                .create_partner(
                    &ctx("Y02794"),
                    partner("Carers Trust", &["https://carers.org.uk"]),
                    "hash-a",
                    "srxpk_AAAA",
                )
                .await
                .unwrap();
            assert_eq!(store.find_partner_by_key("hash-a").await.unwrap(), created);
            let err = store.find_partner_by_key("hash-x").await.unwrap_err();
            assert!(matches!(err, StoreError::NotFound), "{err:?}");

            let err = store
                .disable_partner(&ctx("Y11111"), created.id)
                .await
                .unwrap_err();
            assert!(
                matches!(err, StoreError::NotFound),
                "another organisation's: {err:?}"
            );
            let err = store
                .disable_partner(&ctx("Y02794"), Uuid::now_v7())
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::NotFound), "{err:?}");

            let revoked = store
                .disable_partner(&ctx("Y02794"), created.id)
                .await
                .unwrap();
            assert!(!revoked.active);
            let at = revoked.disabled_at.expect("a revocation time");
            let again = store
                .disable_partner(&ctx("Y02794"), created.id)
                .await
                .unwrap();
            assert_eq!(
                again.disabled_at,
                Some(at),
                "revoking twice changes nothing"
            );
            let found = store.find_partner_by_key("hash-a").await.unwrap();
            assert!(!found.active);
            assert_eq!(found.allowed_origins, created.allowed_origins);
        })
        .await;
    }

    #[tokio::test]
    async fn a_key_hash_belongs_to_one_partner() {
        with_store(|store| async move {
            store
                .create_partner(
                    &ctx("Y02794"),
                    partner("A", &["https://a.org"]),
                    "same",
                    "srxpk_AAAA",
                )
                .await
                .unwrap();
            let err = store
                .create_partner(
                    &ctx("Y11111"),
                    partner("B", &["https://b.org"]),
                    "same",
                    "srxpk_AAAA",
                )
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        })
        .await;
    }

    #[tokio::test]
    async fn an_origin_is_allowed_while_an_active_partner_lists_it() {
        with_store(|store| async move {
            assert!(!store.origin_allowed("https://a.org").await.unwrap());
            let a = store
                .create_partner(
                    &ctx("Y02794"),
                    partner("A", &["https://a.org", "https://shared.org"]),
                    "h1",
                    "srxpk_AAAA",
                )
                .await
                .unwrap();
            store
                .create_partner(
                    &ctx("Y11111"),
                    partner("B", &["https://shared.org"]),
                    "h2",
                    "srxpk_BBBB",
                )
                .await
                .unwrap();
            assert!(store.origin_allowed("https://a.org").await.unwrap());
            assert!(
                !store.origin_allowed("https://A.org").await.unwrap(),
                "exact match only"
            );
            assert!(!store.origin_allowed("https://b.org").await.unwrap());
            store.disable_partner(&ctx("Y02794"), a.id).await.unwrap();
            assert!(!store.origin_allowed("https://a.org").await.unwrap());
            assert!(
                store.origin_allowed("https://shared.org").await.unwrap(),
                "still listed by another active partner"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn registering_and_revoking_a_partner_are_audited() {
        with_store(|store| async move {
            let p = store
                .create_partner(
                    &ctx("Y02794"),
                    partner("A", &["https://a.org"]),
                    "h1",
                    "srxpk_AAAA",
                )
                .await
                .unwrap();
            store.disable_partner(&ctx("Y02794"), p.id).await.unwrap();
            store.disable_partner(&ctx("Y02794"), p.id).await.unwrap();
            let filter = AuditFilter {
                resource_type: Some("partner".into()),
                ..Default::default()
            };
            let events = store
                .list_audit_events("Y02794", &filter, page(10, None))
                .await
                .unwrap();
            let actions: Vec<&str> = events.items.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(actions, vec!["disable", "create"]);
            assert!(
                events
                    .items
                    .iter()
                    .all(|e| e.resource_id == p.id && e.person_id.is_none())
            );
        })
        .await;
    }
}

// ---------------------------------------------------------------------------------------
// Outcomes, webhooks, reports

use socialrx_domain::outcome::{Instrument, NewMeasurement, TimePoint};
use socialrx_domain::webhook::{DeliveryStatus, EventType};
use socialrx_store::{AttemptOutcome, NewWebhook, RetryPolicy};

fn measurement(instrument: Instrument, time_point: TimePoint, answers: &[i64]) -> NewMeasurement {
    NewMeasurement {
        instrument,
        time_point,
        measured_on: date!(2026 - 11 - 21),
        answers: answers.to_vec(),
    }
}

#[tokio::test]
async fn a_fhir_referral_is_an_ordinary_referral_with_its_codings_kept_beside_it() {
    with_store(|store| async move {
        let intake = socialrx_store::FhirIntake {
            source_id: Some("urn:uuid:236bb75d-90ef-461f-b71e-fde7f899802c".into()),
            request_id: Some("bars-req-1".into()),
            codings: serde_json::json!([{"element": "category[0]", "system": "http://snomed.info/sct",
                "code": "871731000000106", "display": null, "reason": null}]),
            requested: serde_json::json!({"code": {"text": "Social prescribing"},
                "basedOn": [{"reference": "CarePlan/1"}]}),
        };
        let key = IdempotencyKey {
            key: "fhir-1".into(),
            fingerprint: "f-1".into(),
        };
        let new = referral(Source::Gp);
        let stored = created(
            store
                .create_fhir_referral(&ctx("Y02794"), &Recipient::own(&ctx("Y02794")), new.clone(), Some(key.clone()), intake.clone())
                .await
                .unwrap(),
        );
        assert_eq!(stored.details, new);
        // The same referral through the ordinary read.
        assert_eq!(
            store.get_referral(&ctx("Y02794"), stored.id).await.unwrap(),
            stored
        );
        let (read, kept) = store
            .get_fhir_referral(&ctx("Y02794"), Reach::Held, stored.id)
            .await
            .unwrap();
        assert_eq!(read, stored);
        assert_eq!(kept, Some(intake.clone()));

        // Idempotency keys are shared with POST /v1/referrals: the retry writes nothing.
        match store
            .create_fhir_referral(&ctx("Y02794"), &Recipient::own(&ctx("Y02794")), new.clone(), Some(key), intake.clone())
            .await
            .unwrap()
        {
            Created::AlreadyDone { id, .. } => assert_eq!(id, stored.id),
            Created::New(_) => panic!("a retried FHIR referral was written twice"),
        }

        // A referral sent as our own JSON has no FHIR intake; another tenant sees nothing.
        let plain = created(
            store
                .create_referral(&ctx("Y02794"), new, None)
                .await
                .unwrap(),
        );
        let (_, none) = store
            .get_fhir_referral(&ctx("Y02794"), Reach::Held, plain.id)
            .await
            .unwrap();
        assert_eq!(none, None);
        assert!(matches!(
            store.get_fhir_referral(&ctx("Y11111"), Reach::HeldOrSent, stored.id).await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn outcomes_are_checked_scored_scoped_and_announced_in_the_same_transaction() {
    with_store(|store| async move {
        let a = ctx("Y02794");
        let hook = store
            .create_webhook(
                &a,
                NewWebhook {
                    url: "http://127.0.0.1:9/hooks".into(),
                    secret: "whsec-0123456789abcdef".into(),
                    event_types: vec![EventType::OutcomeRecorded],
                },
            )
            .await
            .unwrap();
        assert_eq!(
            store.list_webhooks("Y02794").await.unwrap(),
            vec![hook.clone()]
        );
        assert!(store.list_webhooks("Y11111").await.unwrap().is_empty());

        let r = created(
            store
                .create_referral(&a, referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        let m = store
            .record_outcome(
                &a,
                r.id,
                measurement(Instrument::Swemwbs, TimePoint::Baseline, &[3; 7]),
            )
            .await
            .unwrap();
        assert_eq!(
            m.scores
                .iter()
                .map(|s| (s.scale, s.value))
                .collect::<Vec<_>>(),
            vec![("raw", 21.0), ("metric", 19.25)]
        );
        // A second baseline and a bad answer: both listed, nothing written.
        match store
            .record_outcome(
                &a,
                r.id,
                measurement(
                    Instrument::Swemwbs,
                    TimePoint::Baseline,
                    &[3, 3, 3, 3, 3, 3, 9],
                ),
            )
            .await
        {
            Err(StoreError::Invalid(errors)) => {
                let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
                assert_eq!(codes, vec!["out_of_range", "baseline_exists"]);
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        store
            .record_outcome(
                &a,
                r.id,
                measurement(Instrument::Swemwbs, TimePoint::FollowUp, &[4; 7]),
            )
            .await
            .unwrap();
        let b = ctx("Y11111");
        assert!(matches!(
            store
                .record_outcome(
                    &b,
                    r.id,
                    measurement(Instrument::Ucla3, TimePoint::Baseline, &[1, 1, 1])
                )
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.list_outcomes(&b, r.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.referral_status(&b, Reach::HeldOrSent, r.id).await,
            Err(StoreError::NotFound)
        ));

        let all = store.list_outcomes(&a, r.id).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], m);
        let view = store.referral_status(&a, Reach::Held, r.id).await.unwrap();
        assert_eq!(view.status, Status::Received);
        assert_eq!(view.history.len(), 1);
        assert_eq!(view.outcomes.len(), 2);

        // Two committed measurements, two deliveries; the refused one raised nothing.
        let now = time::OffsetDateTime::now_utc();
        let lease = now + time::Duration::minutes(1);
        let due = store.claim_due_deliveries(now, lease, 10).await.unwrap();
        assert_eq!(due.len(), 2);
        assert!(
            store
                .claim_due_deliveries(now, lease, 10)
                .await
                .unwrap()
                .is_empty(),
            "leased"
        );
        let payload: serde_json::Value = serde_json::from_str(&due[0].payload).unwrap();
        assert_eq!(payload["type"], "outcome.recorded");
        assert_eq!(payload["data"]["referral_id"], r.id.to_string());
        assert_eq!(due[0].url, hook.url);

        let policy = RetryPolicy {
            max_attempts: 2,
            backoff_base_seconds: 60,
        };
        store
            .record_delivery_attempt(
                due[0].id,
                AttemptOutcome::Failed {
                    status_code: Some(503),
                    error: "503".into(),
                },
                policy,
            )
            .await
            .unwrap();
        store
            .record_delivery_attempt(
                due[1].id,
                AttemptOutcome::Delivered { status_code: 204 },
                policy,
            )
            .await
            .unwrap();
        let log = store
            .list_deliveries(
                "Y02794",
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        let of = |id| log.items.iter().find(|d| d.id == id).unwrap().clone();
        let failed_once = of(due[0].id);
        assert_eq!(
            (
                failed_once.status,
                failed_once.attempts,
                failed_once.last_status_code
            ),
            (DeliveryStatus::Pending, 1, Some(503))
        );
        assert!(
            failed_once.next_attempt_at > now + time::Duration::seconds(50),
            "backoff"
        );
        assert_eq!(of(due[1].id).status, DeliveryStatus::Delivered);
        // Due again after the backoff; a second failure is the last (max_attempts 2).
        let later = now + time::Duration::minutes(5);
        let again = store
            .claim_due_deliveries(later, later + time::Duration::minutes(1), 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        store
            .record_delivery_attempt(
                again[0].id,
                AttemptOutcome::Failed {
                    status_code: None,
                    error: "refused".into(),
                },
                policy,
            )
            .await
            .unwrap();
        let failed = store
            .list_deliveries(
                "Y02794",
                PageRequest {
                    limit: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            failed
                .items
                .iter()
                .find(|d| d.id == due[0].id)
                .unwrap()
                .status,
            DeliveryStatus::Failed
        );
        // Redelivery: back to pending, attempts reset; never across organisations.
        assert!(matches!(
            store.redeliver("Y11111", due[0].id).await,
            Err(StoreError::NotFound)
        ));
        let back = store.redeliver("Y02794", due[0].id).await.unwrap();
        assert_eq!((back.status, back.attempts), (DeliveryStatus::Pending, 0));
        assert!(
            store
                .list_deliveries(
                    "Y11111",
                    PageRequest {
                        limit: 10,
                        after: None
                    }
                )
                .await
                .unwrap()
                .items
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn instrument_wording_is_replaced_and_kept_per_organisation() {
    with_store(|store| async move {
        let a = ctx("Y02794");
        store
            .set_instrument_wording(
                &a,
                Instrument::Ucla3,
                vec!["a".into(), "b".into(), "c".into()],
                None,
            )
            .await
            .unwrap();
        let w = store
            .set_instrument_wording(
                &a,
                Instrument::Ucla3,
                vec!["x".into(), "y".into(), "z".into()],
                Some("L-1".into()),
            )
            .await
            .unwrap();
        assert_eq!(
            store.list_instrument_wordings("Y02794").await.unwrap(),
            vec![w]
        );
        assert!(
            store
                .list_instrument_wordings("Y11111")
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

/// Days to first contact run from receipt to when the first contact happened
/// (`first_contact_at`); contacts cannot be dated in the future, so the test writes those
/// times itself, days after referrals it has just created.
#[tokio::test]
async fn the_report_finds_median_and_90th_percentile_days_to_first_contact() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let store = db.store().await;
    let a = ctx("Y02794");
    let mut moves = Vec::new();
    for days in [2.0, 4.0, 10.0, 1.0] {
        let r = created(
            store
                .create_referral(&a, referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        moves.push((
            r.id,
            r.created_at + time::Duration::seconds_f64(days * 86_400.0),
        ));
    }
    created(
        store
            .create_referral(&a, referral(Source::SelfReferral), None)
            .await
            .unwrap(),
    );
    let insert = "UPDATE referrals SET first_contact_at = $2 WHERE id = $1";
    if db.is_postgres() {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        for (id, at) in &moves {
            sqlx::query(insert)
                .bind(id)
                .bind(at)
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        for (id, at) in &moves {
            sqlx::query(insert)
                .bind(id)
                .bind(at)
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    }
    let now = time::OffsetDateTime::now_utc();
    let report = store
        .summary_report(
            "Y02794",
            now - time::Duration::days(1),
            now + time::Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(report.referrals, 5);
    // Sorted 1, 2, 4, 10: median 3.0; p90 at rank 3.7 is 4 + 0.7 * 6 = 8.2.
    assert_eq!(report.first_contact.referrals, 4);
    assert_eq!(report.first_contact.median, Some(3.0));
    assert_eq!(report.first_contact.p90, Some(8.2));
    assert!(
        store
            .summary_report("Y11111", now - time::Duration::days(1), now)
            .await
            .unwrap()
            .by_source
            .is_empty()
    );
    drop(store);
    db.drop_database().await;
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
}

#[tokio::test]
async fn dates_at_both_ends_of_the_accepted_range_read_back_exactly() {
    use socialrx_domain::when::{EARLIEST, LATEST};
    with_store(|store| async move {
        let mut new = referral(Source::Gp);
        new.person.date_of_birth = EARLIEST;
        new.consent.given_at = LATEST
            .with_hms_micro(23, 59, 59, 999_999)
            .unwrap()
            .assume_utc();
        let stored = created(
            store
                .create_referral(&ctx("Y02794"), new.clone(), None)
                .await
                .unwrap(),
        );
        let read = store.get_referral(&ctx("Y02794"), stored.id).await.unwrap();
        assert_eq!(read.details, new);
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
        assert_eq!(page.items[0].details, new);
        let export = store
            .export_person(&ctx("Y02794"), stored.person_id)
            .await
            .unwrap();
        assert_eq!(export.referrals[0].details, new);
    })
    .await;
}

/// Both backends are migrated by the same steps: each folder holds the same file names,
/// so a change made for one backend cannot be forgotten for the other.
#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend: &str| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert_eq!(sqlite, names("postgres"));
    assert!(sqlite.len() >= 16, "{sqlite:?}");
}
