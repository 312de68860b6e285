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
#[path = "contract/directory.rs"]
mod directory;
#[path = "contract/directory_summary.rs"]
mod directory_summary;
#[path = "contract/exchange.rs"]
mod exchange;
#[path = "contract/lifecycle.rs"]
mod lifecycle;
#[path = "contract/operations.rs"]
mod operations;
#[path = "contract/outcomes.rs"]
mod outcomes;
#[path = "contract/partners.rs"]
mod partners;
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
