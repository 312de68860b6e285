//! The contract of the outcome, webhook and report stores.

use socialrx_domain::outcome::{Instrument, NewMeasurement, TimePoint};
use socialrx_domain::referral::{Source, Status};
use socialrx_domain::webhook::{DeliveryStatus, EventType};
use socialrx_store::testing::{TestDatabase, require_postgres_in_ci};
use socialrx_store::{AttemptOutcome, NewWebhook, PageRequest, Reach, RetryPolicy, StoreError};
use time::macros::date;

use super::{created, ctx, referral, with_store};

fn measurement(instrument: Instrument, time_point: TimePoint, answers: &[i64]) -> NewMeasurement {
    NewMeasurement {
        instrument,
        time_point,
        measured_on: date!(2026 - 11 - 21),
        answers: answers.to_vec(),
    }
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
