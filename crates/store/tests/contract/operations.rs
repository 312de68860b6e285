//! The contract of what runs beside the referrals: rate limits, idempotency-key purges,
//! the audit trail, and the organisations and staff registered.

use socialrx_domain::OdsCode;
use socialrx_domain::referral::Source;
use socialrx_store::{IdempotencyKey, PageRequest, StoreError};

use super::{created, ctx, referral, with_store};

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
