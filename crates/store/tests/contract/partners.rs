//! The contract of the partner store: partners' keys, origins and their audit trail.

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
