//! The contract of referrals between organisations: a referral held by the receiving
//! service and sent by another organisation, the referrer's reach, referral agreements,
//! and the migration that named the referrer organisation of every earlier referral.

use socialrx_domain::OdsCode;
use socialrx_domain::agreement::Referrers;
use socialrx_domain::referral::{Source, Status};
use socialrx_store::testing::{TestDatabase, require_postgres_in_ci};
use socialrx_store::{
    AuditFilter, Created, IdempotencyKey, PageRequest, Reach, Recipient, SentFilter, Store,
    StoreError,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{created, ctx, referral, with_store};

const SERVICE: &str = "Y02794";
const PRACTICE: &str = "B85001";
const OTHER_PRACTICE: &str = "B85002";

fn page(limit: u32, after: Option<Uuid>) -> PageRequest {
    PageRequest { limit, after }
}

fn to(service: &str) -> Recipient {
    Recipient {
        service: service.into(),
        issuer: "socialrx".into(),
    }
}

/// The service agrees to take referrals from each of `practices`.
async fn agree(store: &dyn Store, practices: &[&str]) {
    for p in practices {
        store
            .create_agreement(
                &ctx(SERVICE),
                Referrers::Organisation(OdsCode::parse(p).unwrap()),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_service_refuses_a_referral_without_an_agreement_and_writes_nothing() {
    with_store(|store| async move {
        let refused = store
            .refer(&ctx(PRACTICE), &to(SERVICE), referral(Source::Gp), None)
            .await;
        match refused {
            Err(StoreError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "receiving_service");
                assert_eq!(errors[0].code, "not_accepted");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let held = store
            .list_referrals(&ctx(SERVICE), &Default::default(), page(10, None))
            .await
            .unwrap();
        assert!(held.items.is_empty());
        let sent = store
            .list_sent_referrals(&ctx(PRACTICE), &SentFilter::default(), page(10, None))
            .await
            .unwrap();
        assert!(sent.items.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_retry_of_an_accepted_referral_is_answered_after_the_agreement_ends() {
    with_store(|store| async move {
        agree(store.as_ref(), &[PRACTICE]).await;
        let key = IdempotencyKey {
            key: "k-1".into(),
            fingerprint: "f-1".into(),
        };
        let first = created(
            store
                .refer(
                    &ctx(PRACTICE),
                    &to(SERVICE),
                    referral(Source::Gp),
                    Some(key.clone()),
                )
                .await
                .unwrap(),
        );
        let agreements = store
            .list_agreements(SERVICE, page(10, None))
            .await
            .unwrap();
        store
            .delete_agreement(&ctx(SERVICE), agreements.items[0].id)
            .await
            .unwrap();
        match store
            .refer(
                &ctx(PRACTICE),
                &to(SERVICE),
                referral(Source::Gp),
                Some(key),
            )
            .await
            .unwrap()
        {
            Created::AlreadyDone { fingerprint, id } => {
                assert_eq!((fingerprint.as_str(), id), ("f-1", first.id));
            }
            other => panic!("expected the first answer again, got {other:?}"),
        }
        // A new referral is refused now.
        assert!(matches!(
            store
                .refer(&ctx(PRACTICE), &to(SERVICE), referral(Source::Gp), None)
                .await,
            Err(StoreError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_referral_to_another_service_is_held_by_the_service_and_names_its_sender() {
    with_store(|store| async move {
        agree(store.as_ref(), &[PRACTICE]).await;
        let sent = created(
            store
                .refer(&ctx(PRACTICE), &to(SERVICE), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        assert_eq!(sent.organisation, SERVICE);
        assert_eq!(sent.referrer_organisation, PRACTICE);

        // The full record is the service's: the practice does not hold it.
        let held = store.get_referral(&ctx(SERVICE), sent.id).await.unwrap();
        assert_eq!(held.referrer_organisation, PRACTICE);
        assert_eq!(held.details, referral(Source::Gp));
        assert!(matches!(
            store.get_referral(&ctx(PRACTICE), sent.id).await,
            Err(StoreError::NotFound)
        ));

        // The service's trail records the intake, naming the practice.
        let trail = store
            .list_audit_events(SERVICE, &AuditFilter::default(), page(50, None))
            .await
            .unwrap();
        let create = trail
            .items
            .iter()
            .find(|e| e.action == "create" && e.resource_id == sent.id)
            .expect("the intake is in the service's trail");
        assert_eq!(create.actor_organisation.as_deref(), Some(PRACTICE));
        let own = store
            .list_audit_events(PRACTICE, &AuditFilter::default(), page(50, None))
            .await
            .unwrap();
        assert!(own.items.iter().all(|e| e.resource_id != sent.id));
    })
    .await;
}

#[tokio::test]
async fn a_referrer_reaches_only_what_its_organisation_sent() {
    with_store(|store| async move {
        agree(store.as_ref(), &[PRACTICE, OTHER_PRACTICE]).await;
        let mine = created(
            store
                .refer(&ctx(PRACTICE), &to(SERVICE), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        let theirs = created(
            store
                .refer(
                    &ctx(OTHER_PRACTICE),
                    &to(SERVICE),
                    referral(Source::Gp),
                    None,
                )
                .await
                .unwrap(),
        );
        let services_own = created(
            store
                .create_referral(&ctx(SERVICE), referral(Source::LocalAgency), None)
                .await
                .unwrap(),
        );

        let view = store
            .referral_status(&ctx(PRACTICE), Reach::Sent, mine.id)
            .await
            .unwrap();
        assert_eq!(view.organisation, SERVICE);
        assert_eq!(view.referrer_organisation, PRACTICE);
        assert_eq!(view.status, Status::Received);
        for (reach, id) in [
            (Reach::Sent, theirs.id),
            (Reach::Sent, services_own.id),
            (Reach::Held, mine.id),
            (Reach::HeldOrSent, theirs.id),
        ] {
            assert!(
                matches!(
                    store.referral_status(&ctx(PRACTICE), reach, id).await,
                    Err(StoreError::NotFound)
                ),
                "{reach:?}"
            );
        }
        // The service's staff reach what it holds, whoever sent it.
        for id in [mine.id, theirs.id, services_own.id] {
            store
                .referral_status(&ctx(SERVICE), Reach::HeldOrSent, id)
                .await
                .unwrap();
        }
        let (referral, _) = store
            .get_fhir_referral(&ctx(PRACTICE), Reach::Sent, mine.id)
            .await
            .unwrap();
        assert!(
            referral.possible_duplicates.is_empty(),
            "the service's flags stay with it"
        );

        // The practice's read is in the service's trail, naming the practice.
        let trail = store
            .list_audit_events(
                SERVICE,
                &AuditFilter {
                    resource_id: Some(mine.id),
                    ..Default::default()
                },
                page(50, None),
            )
            .await
            .unwrap();
        // Newest first: the service's own read, then the practice's.
        let reads: Vec<(&str, Option<&str>)> = trail
            .items
            .iter()
            .filter(|e| e.action == "read_status")
            .map(|e| (e.organisation.as_str(), e.actor_organisation.as_deref()))
            .collect();
        assert_eq!(reads, vec![(SERVICE, None), (SERVICE, Some(PRACTICE))]);
    })
    .await;
}

#[tokio::test]
async fn sent_referrals_list_newest_first_by_status_and_day() {
    with_store(|store| async move {
        agree(store.as_ref(), &[PRACTICE, OTHER_PRACTICE]).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(
                created(
                    store
                        .refer(&ctx(PRACTICE), &to(SERVICE), referral(Source::Gp), None)
                        .await
                        .unwrap(),
                )
                .id,
            );
        }
        // To itself, and another practice's: only the first is the practice's.
        let to_self = created(
            store
                .create_referral(&ctx(PRACTICE), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        store
            .refer(
                &ctx(OTHER_PRACTICE),
                &to(SERVICE),
                referral(Source::Gp),
                None,
            )
            .await
            .unwrap();
        let everything = SentFilter::default();
        let first = store
            .list_sent_referrals(&ctx(PRACTICE), &everything, page(2, None))
            .await
            .unwrap();
        assert_eq!(
            first.items.iter().map(|v| v.id).collect::<Vec<_>>(),
            vec![to_self.id, ids[2]]
        );
        let second = store
            .list_sent_referrals(&ctx(PRACTICE), &everything, page(2, first.next))
            .await
            .unwrap();
        assert_eq!(
            second.items.iter().map(|v| v.id).collect::<Vec<_>>(),
            vec![ids[1], ids[0]]
        );
        assert_eq!(second.next, None);

        let today = OffsetDateTime::now_utc().date();
        let received_today = SentFilter {
            received_from: Some(today),
            received_to: Some(today),
            ..Default::default()
        };
        let n = |f: SentFilter| {
            let store = store.clone();
            async move {
                store
                    .list_sent_referrals(&ctx(PRACTICE), &f, page(100, None))
                    .await
                    .unwrap()
                    .items
                    .len()
            }
        };
        assert_eq!(n(received_today).await, 4);
        let tomorrow = today.next_day().unwrap();
        assert_eq!(
            n(SentFilter {
                received_from: Some(tomorrow),
                ..Default::default()
            })
            .await,
            0
        );
        assert_eq!(
            n(SentFilter {
                status: Some(Status::Accepted),
                ..Default::default()
            })
            .await,
            0
        );

        // One list event in each holding service's trail, naming the reader.
        let trail = store
            .list_audit_events(SERVICE, &AuditFilter::default(), page(100, None))
            .await
            .unwrap();
        let listing = trail
            .items
            .iter()
            .find(|e| e.action == "list" && e.resource_type == "referral_status")
            .expect("the list read is in the service's trail");
        assert_eq!(listing.actor_organisation.as_deref(), Some(PRACTICE));
        assert!(listing.listed.iter().all(|l| l.resource_id != to_self.id));
    })
    .await;
}

#[tokio::test]
async fn agreements_say_who_may_refer_in() {
    with_store(|store| async move {
        let practice = Referrers::Organisation(OdsCode::parse(PRACTICE).unwrap());
        assert!(
            store
                .accepts_referrals(SERVICE, SERVICE, "socialrx")
                .await
                .unwrap()
        );
        assert!(
            !store
                .accepts_referrals(SERVICE, PRACTICE, "socialrx")
                .await
                .unwrap()
        );

        let agreement = store
            .create_agreement(&ctx(SERVICE), practice.clone())
            .await
            .unwrap();
        assert_eq!(agreement.referrers, practice);
        assert!(
            store
                .accepts_referrals(SERVICE, PRACTICE, "socialrx")
                .await
                .unwrap()
        );
        assert!(
            !store
                .accepts_referrals(SERVICE, OTHER_PRACTICE, "socialrx")
                .await
                .unwrap()
        );
        // An agreement is the receiving service's: it does not work the other way round.
        assert!(
            !store
                .accepts_referrals(PRACTICE, SERVICE, "socialrx")
                .await
                .unwrap()
        );
        assert!(matches!(
            store
                .create_agreement(&ctx(SERVICE), practice.clone())
                .await,
            Err(StoreError::AlreadyExists(_))
        ));

        let idp = store
            .create_agreement(
                &ctx(SERVICE),
                Referrers::Issuer("https://idp.example".into()),
            )
            .await
            .unwrap();
        assert!(
            store
                .accepts_referrals(SERVICE, OTHER_PRACTICE, "https://idp.example")
                .await
                .unwrap()
        );

        let listed = store.list_agreements(SERVICE, page(1, None)).await.unwrap();
        assert_eq!(listed.items, vec![idp.clone()]);
        let rest = store
            .list_agreements(SERVICE, page(1, listed.next))
            .await
            .unwrap();
        assert_eq!(rest.items, vec![agreement.clone()]);
        assert_eq!(rest.next, None);
        assert_eq!(store.get_agreement(SERVICE, idp.id).await.unwrap(), idp);
        assert!(matches!(
            store.get_agreement(PRACTICE, idp.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_agreement(&ctx(PRACTICE), agreement.id).await,
            Err(StoreError::NotFound)
        ));
        store
            .delete_agreement(&ctx(SERVICE), agreement.id)
            .await
            .unwrap();
        assert!(
            !store
                .accepts_referrals(SERVICE, PRACTICE, "socialrx")
                .await
                .unwrap()
        );
        let trail = store
            .list_audit_events(SERVICE, &AuditFilter::default(), page(50, None))
            .await
            .unwrap();
        let actions: Vec<(&str, &str)> = trail
            .items
            .iter()
            .filter(|e| e.resource_type == "referral_agreement")
            .map(|e| (e.action.as_str(), e.actor.as_str()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("delete", "user-1"),
                ("create", "user-1"),
                ("create", "user-1")
            ]
        );
    })
    .await;
}

/// Writes a referral as the schema before migration 11 held it, then migrates.
macro_rules! migrate_a_legacy_referral {
    ($pool:expr, $migrations:literal) => {{
        let pool = $pool;
        let migrator = sqlx::migrate!($migrations);
        migrator.run_to(10, &pool).await.unwrap();
        let (person, referral) = (Uuid::now_v7(), Uuid::now_v7());
        let at = OffsetDateTime::now_utc();
        sqlx::query(
            "INSERT INTO people (id, organisation, given_name, family_name, date_of_birth, \
             postcode, preferred_contact, interpreter_needed, created_at) \
             VALUES ($1, $2, 'Ada', 'Lovelace', $3, 'HD1 2RS', 'phone', $4, $5)",
        )
        .bind(person)
        .bind(SERVICE)
        .bind(time::macros::date!(1950 - 01 - 01))
        .bind(false)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO referrals (id, organisation, reference, person_id, source, \
             referrer_name, reasons, urgency, consent_given_at, consent_method, status, \
             created_by, created_at, updated_at) \
             VALUES ($1, $2, 'SRX-AAAA-BBBB', $3, 'gp', 'Dr Patel', $4, 'routine', $5, \
             'verbal', 'received', 'user-1', $5, $5)",
        )
        .bind(referral)
        .bind(SERVICE)
        .bind(person)
        .bind(sqlx::types::Json(vec!["other"]))
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
        migrator.run(&pool).await.unwrap();
        let (referrer,): (String,) =
            sqlx::query_as("SELECT referrer_organisation FROM referrals WHERE id = $1")
                .bind(referral)
                .fetch_one(&pool)
                .await
                .unwrap();
        pool.close().await;
        (referral, referrer)
    }};
}

#[tokio::test]
async fn earlier_referrals_were_sent_by_the_service_itself() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let (id, referrer) = if db.is_postgres() {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        migrate_a_legacy_referral!(pool, "../../migrations/postgres")
    } else {
        let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        migrate_a_legacy_referral!(pool, "../../migrations/sqlite")
    };
    assert_eq!(referrer, SERVICE);
    // And the store reads it as the service's own referral, sent by itself.
    let store = db.store().await;
    let read = store.get_referral(&ctx(SERVICE), id).await.unwrap();
    assert_eq!(read.referrer_organisation, SERVICE);
    let sent = store
        .list_sent_referrals(&ctx(SERVICE), &SentFilter::default(), page(10, None))
        .await
        .unwrap();
    assert_eq!(
        sent.items.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![id]
    );
    drop(store);
    db.drop_database().await;
}
