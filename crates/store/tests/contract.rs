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

#[path = "contract/caseload.rs"]
mod caseload;

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
