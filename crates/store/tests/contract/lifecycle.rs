//! The contract of the lifecycle and link-worker stores: link workers per organisation,
//! the referral state machine, and assignment.

use socialrx_domain::link_worker::Refusal;
use socialrx_domain::referral::{
    ClosureReason, DeclineReason, IllegalTransition, Move, MoveReason, Source, Status, Urgency,
};
use socialrx_store::{
    Assigned, Deletion, Event, LinkWorkerFilter, NewAssignment, StoreError, Transitioned, Versioned,
};
use uuid::Uuid;

use super::caseload::{ORG, OTHER, accepted, assign, contact, decide, moved, page, worker};
use super::{created, ctx, referral, with_store};

#[tokio::test]
async fn link_workers_are_created_read_listed_updated_and_deleted_per_organisation() {
    with_store(|store| async move {
        let a = store
            .create_link_worker(&ctx(ORG), worker("lw-a", 30))
            .await
            .unwrap();
        assert_eq!(a.version, 1);
        assert_eq!(store.get_link_worker(&ctx(ORG), a.id).await.unwrap(), a);
        assert_eq!(store.find_link_worker(&ctx(ORG), "lw-a").await.unwrap(), a);
        assert!(matches!(
            store.get_link_worker(&ctx(OTHER), a.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.find_link_worker(&ctx(OTHER), "lw-a").await,
            Err(StoreError::NotFound)
        ));
        // One subject, one link worker, per organisation.
        assert!(matches!(
            store.create_link_worker(&ctx(ORG), worker("lw-a", 5)).await,
            Err(StoreError::Conflict(_))
        ));
        store
            .create_link_worker(&ctx(OTHER), worker("lw-a", 5))
            .await
            .unwrap();

        let mut inactive = worker("lw-b", 10);
        inactive.active = false;
        let b = store.create_link_worker(&ctx(ORG), inactive).await.unwrap();
        let c = store
            .create_link_worker(&ctx(ORG), worker("lw-c", 10))
            .await
            .unwrap();

        let all = LinkWorkerFilter::default();
        let first = store
            .list_link_workers(&ctx(ORG), &all, page(2, None))
            .await
            .unwrap();
        assert_eq!(
            first.items.iter().map(|w| w.worker.id).collect::<Vec<_>>(),
            vec![a.id, b.id]
        );
        let second = store
            .list_link_workers(&ctx(ORG), &all, page(2, first.next))
            .await
            .unwrap();
        assert_eq!(
            second.items.iter().map(|w| w.worker.id).collect::<Vec<_>>(),
            vec![c.id]
        );
        assert_eq!(second.next, None);
        let active = store
            .list_link_workers(
                &ctx(ORG),
                &LinkWorkerFilter { active: Some(true) },
                page(10, None),
            )
            .await
            .unwrap();
        assert_eq!(
            active.items.iter().map(|w| w.worker.id).collect::<Vec<_>>(),
            vec![a.id, c.id]
        );

        let mut changed = worker("lw-a", 40);
        changed.display_name = "Sam Taylor".into();
        let saved = match store
            .update_link_worker(&ctx(ORG), a.id, Some(&[1]), changed.clone())
            .await
            .unwrap()
        {
            Versioned::Saved(w) => w,
            other => panic!("{other:?}"),
        };
        assert_eq!((saved.version, saved.details.capacity), (2, 40));
        assert_eq!(store.get_link_worker(&ctx(ORG), a.id).await.unwrap(), saved);
        assert_eq!(
            store
                .update_link_worker(&ctx(ORG), a.id, Some(&[1]), changed.clone())
                .await
                .unwrap(),
            Versioned::Stale { current_version: 2 }
        );
        assert!(matches!(
            store
                .update_link_worker(&ctx(OTHER), a.id, None, changed)
                .await,
            Err(StoreError::NotFound)
        ));

        assert_eq!(
            store.delete_link_worker(&ctx(ORG), c.id).await.unwrap(),
            Deletion::Deleted
        );
        assert!(matches!(
            store.get_link_worker(&ctx(ORG), c.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_link_worker(&ctx(OTHER), a.id).await,
            Err(StoreError::NotFound)
        ));
        let id = accepted(&store, 1, Urgency::Routine).await;
        assign(&store, id, a.id).await;
        assert_eq!(
            store.delete_link_worker(&ctx(ORG), a.id).await.unwrap(),
            Deletion::InUse
        );
    })
    .await;
}

#[tokio::test]
async fn transitions_follow_the_state_machine_and_keep_their_history() {
    with_store(|store| async move {
        let id = created(
            store
                .create_referral(&ctx(ORG), referral(Source::Gp), None)
                .await
                .unwrap(),
        )
        .id;
        let change = moved(
            store
                .transition_referral(&ctx(ORG), id, decide(Status::Accepted, None))
                .await
                .unwrap(),
        );
        assert_eq!(
            (change.from, change.to, change.actor.as_str()),
            (Some(Status::Received), Status::Accepted, "user-1")
        );
        assert_eq!(
            store
                .transition_referral(&ctx(ORG), id, decide(Status::Declined, Some("out_of_area")))
                .await
                .unwrap(),
            Transitioned::Refused(IllegalTransition {
                from: Status::Accepted,
                to: Status::Declined
            })
        );
        assert!(matches!(
            store
                .transition_referral(&ctx(OTHER), id, decide(Status::Closed, Some("moved_away")))
                .await,
            Err(StoreError::NotFound)
        ));
        let closing =
            Move::decided(Status::Closed, Some("other"), Some("Moved abroad".into())).unwrap();
        moved(
            store
                .transition_referral(&ctx(ORG), id, closing)
                .await
                .unwrap(),
        );
        assert_eq!(
            store.get_referral(&ctx(ORG), id).await.unwrap().status,
            Status::Closed
        );

        let history = store.referral_history(&ctx(ORG), id).await.unwrap();
        let moves: Vec<_> = history
            .iter()
            .map(|c| (c.from, c.to, c.reason, c.note.as_deref()))
            .collect();
        assert_eq!(
            moves,
            vec![
                (None, Status::Received, None, None),
                (Some(Status::Received), Status::Accepted, None, None),
                (
                    Some(Status::Accepted),
                    Status::Closed,
                    Some(MoveReason::Closed(ClosureReason::Other)),
                    Some("Moved abroad")
                ),
            ]
        );
        assert!(matches!(
            store.referral_history(&ctx(OTHER), id).await,
            Err(StoreError::NotFound)
        ));

        let declined = created(
            store
                .create_referral(&ctx(ORG), referral(Source::Gp), None)
                .await
                .unwrap(),
        )
        .id;
        let change = moved(
            store
                .transition_referral(
                    &ctx(ORG),
                    declined,
                    decide(Status::Declined, Some("needs_clinical_care")),
                )
                .await
                .unwrap(),
        );
        assert_eq!(
            change.reason,
            Some(MoveReason::Declined(DeclineReason::NeedsClinicalCare))
        );
    })
    .await;
}

#[tokio::test]
async fn assignment_checks_state_capacity_and_the_active_flag_and_keeps_history() {
    with_store(|store| async move {
        let small = store
            .create_link_worker(&ctx(ORG), worker("lw-small", 1))
            .await
            .unwrap();
        let big = store
            .create_link_worker(&ctx(ORG), worker("lw-big", 10))
            .await
            .unwrap();
        let mut off = worker("lw-off", 10);
        off.active = false;
        let off = store.create_link_worker(&ctx(ORG), off).await.unwrap();
        let foreign = store
            .create_link_worker(&ctx(OTHER), worker("lw-x", 10))
            .await
            .unwrap();

        let received = created(
            store
                .create_referral(&ctx(ORG), referral(Source::Gp), None)
                .await
                .unwrap(),
        )
        .id;
        assert_eq!(
            assign(&store, received, big.id).await,
            Assigned::WrongState(Status::Received)
        );

        let first = accepted(&store, 1, Urgency::Routine).await;
        let second = accepted(&store, 2, Urgency::Routine).await;
        assert_eq!(
            assign(&store, first, foreign.id).await,
            Assigned::NoSuchLinkWorker
        );
        assert_eq!(
            assign(&store, first, Uuid::now_v7()).await,
            Assigned::NoSuchLinkWorker
        );
        assert_eq!(
            assign(&store, first, off.id).await,
            Assigned::Refused(Refusal::Inactive)
        );
        match assign(&store, first, small.id).await {
            Assigned::Done { assignment, status } => {
                assert_eq!(status, Status::Assigned);
                assert_eq!(assignment.previous_link_worker_id, None);
                assert!(!assignment.capacity_overridden);
            }
            other => panic!("{other:?}"),
        }
        let read = store.get_referral(&ctx(ORG), first).await.unwrap();
        assert_eq!(
            (read.status, read.link_worker_id),
            (Status::Assigned, Some(small.id))
        );
        assert!(matches!(
            assign(&store, first, small.id).await,
            Assigned::Unchanged {
                status: Status::Assigned,
                assignment,
            } if assignment.link_worker_id == small.id
        ));
        assert_eq!(
            assign(&store, second, small.id).await,
            Assigned::Refused(Refusal::AtCapacity {
                capacity: 1,
                open: 1
            })
        );
        let overridden = store
            .assign_referral(
                &ctx(ORG),
                second,
                NewAssignment {
                    link_worker_id: small.id,
                    override_capacity: true,
                    note: Some("Covering for leave".into()),
                },
            )
            .await
            .unwrap();
        assert!(
            matches!(&overridden, Assigned::Done { assignment, .. } if assignment.capacity_overridden),
            "{overridden:?}"
        );
        // The list counts each worker's open referrals, past capacity included.
        let listed = store
            .list_link_workers(&ctx(ORG), &LinkWorkerFilter::default(), page(10, None))
            .await
            .unwrap();
        let open = |id: Uuid| listed.items.iter().find(|w| w.worker.id == id).unwrap().open;
        assert_eq!((open(small.id), open(big.id), open(off.id)), (2, 0, 0));

        // Reassignment keeps the status and the history.
        store
            .record_contact(&ctx(ORG), first, contact(0, None))
            .await
            .unwrap();
        match assign(&store, first, big.id).await {
            Assigned::Done { assignment, status } => {
                assert_eq!(status, Status::InProgress);
                assert_eq!(assignment.previous_link_worker_id, Some(small.id));
            }
            other => panic!("{other:?}"),
        }
        let timeline = store.timeline(&ctx(ORG), first).await.unwrap();
        let workers: Vec<Uuid> = timeline
            .iter()
            .filter_map(|e| match &e.event {
                Event::Assigned(a) => Some(a.link_worker_id),
                _ => None,
            })
            .collect();
        assert_eq!(workers, vec![small.id, big.id]);

        // Closed referrals are not reassigned.
        moved(
            store
                .transition_referral(&ctx(ORG), first, decide(Status::Closed, Some("goals_met")))
                .await
                .unwrap(),
        );
        assert_eq!(
            assign(&store, first, small.id).await,
            Assigned::WrongState(Status::Closed)
        );
    })
    .await;
}
