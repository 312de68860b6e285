//! The contract of the caseload and casework stores: the caseload and the queue, contacts,
//! plans, the timeline and possible duplicates. The helpers here set referrals up for the
//! other modules too.

use std::sync::Arc;

use socialrx_domain::caseload::{Attention, CaseloadScope};
use socialrx_domain::contact::{ContactMode, ContactOutcome, NewContact};
use socialrx_domain::duplicates::Resolution;
use socialrx_domain::link_worker::NewLinkWorker;
use socialrx_domain::plan::{Plan, Step, StepStatus};
use socialrx_domain::referral::{ClosureReason, Move, MoveReason, Source, Status, Urgency};
use socialrx_store::{
    Assigned, CaseloadRead, ContactRecorded, Event, NewAssignment, PageRequest, PlanSaved,
    Resolved, Store, StoreError, Transitioned,
};
use time::macros::date;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use super::{created, ctx, referral, with_database, with_store};

pub(super) const ORG: &str = "Y02794";
pub(super) const OTHER: &str = "Y11111";

pub(super) fn worker(subject: &str, capacity: u32) -> NewLinkWorker {
    NewLinkWorker {
        subject: subject.into(),
        display_name: format!("Worker {subject}"),
        capacity,
        active: true,
    }
}

pub(super) fn decide(to: Status, reason: Option<&str>) -> Move {
    Move::decided(to, reason, None).unwrap()
}

pub(super) fn page(limit: u32, after: Option<Uuid>) -> PageRequest {
    PageRequest { limit, after }
}

pub(super) fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

pub(super) fn contact(days_ago: i64, next: Option<Date>) -> NewContact {
    NewContact {
        mode: ContactMode::Phone,
        occurred_at: OffsetDateTime::now_utc() - Duration::days(days_ago),
        minutes: Some(20),
        notes: Some("Talked about the week".into()),
        next_follow_up_on: next,
        outcome: ContactOutcome::Attended,
        location_type: None,
        present: None,
    }
}

/// A new referral for a person of their own (no duplicate flags), moved to `accepted`.
pub(super) async fn accepted(store: &Arc<dyn Store>, n: u32, urgency: Urgency) -> Uuid {
    let mut new = referral(Source::SelfReferral);
    new.person.nhs_number = None;
    new.person.given_name = format!("Person{n}");
    new.urgency = urgency;
    let id = created(store.create_referral(&ctx(ORG), new, None).await.unwrap()).id;
    moved(
        store
            .transition_referral(&ctx(ORG), id, decide(Status::Accepted, None))
            .await
            .unwrap(),
    );
    id
}

pub(super) fn moved(t: Transitioned) -> socialrx_store::StatusChange {
    match t {
        Transitioned::Moved(change) => change,
        other => panic!("expected a move, got {other:?}"),
    }
}

pub(super) async fn assign(store: &Arc<dyn Store>, id: Uuid, worker: Uuid) -> Assigned {
    store
        .assign_referral(
            &ctx(ORG),
            id,
            NewAssignment {
                link_worker_id: worker,
                override_capacity: false,
                note: None,
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_caseload_lists_open_referrals_by_what_needs_attention_first() {
    with_database(|store, db| async move {
        let me = store
            .create_link_worker(&ctx(ORG), worker("lw-me", 10))
            .await
            .unwrap();
        let colleague = store
            .create_link_worker(&ctx(ORG), worker("lw-colleague", 10))
            .await
            .unwrap();
        let today = today();

        let routine_new = accepted(&store, 1, Urgency::Routine).await;
        let overdue = accepted(&store, 2, Urgency::Routine).await;
        let scheduled = accepted(&store, 3, Urgency::Routine).await;
        let urgent = accepted(&store, 4, Urgency::Urgent).await;
        let closed = accepted(&store, 5, Urgency::Urgent).await;
        let theirs = accepted(&store, 6, Urgency::Urgent).await;
        for id in [routine_new, overdue, scheduled, urgent, closed] {
            assign(&store, id, me.id).await;
        }
        assign(&store, theirs, colleague.id).await;
        // Received a month ago, so that contacts may be dated back.
        for id in [overdue, scheduled] {
            db.backdate_referral(id, OffsetDateTime::now_utc() - Duration::days(30))
                .await;
        }
        store
            .record_contact(
                &ctx(ORG),
                overdue,
                contact(10, Some(today - Duration::days(3))),
            )
            .await
            .unwrap();
        store
            .record_contact(
                &ctx(ORG),
                scheduled,
                contact(1, Some(today + Duration::days(7))),
            )
            .await
            .unwrap();
        moved(
            store
                .transition_referral(
                    &ctx(ORG),
                    closed,
                    decide(Status::Closed, Some("moved_away")),
                )
                .await
                .unwrap(),
        );

        let caseload = match store
            .caseload(&ctx(ORG), me.id, &CaseloadScope::Organisation, today)
            .await
            .unwrap()
        {
            CaseloadRead::Found(c) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(caseload.link_worker.id, me.id);
        assert_eq!((caseload.assigned, caseload.in_progress), (2, 2));
        let order: Vec<(Uuid, Attention)> = caseload
            .items
            .iter()
            .map(|i| (i.referral_id, i.priority.attention))
            .collect();
        assert_eq!(
            order,
            vec![
                (urgent, Attention::WaitingFirstContact),
                (routine_new, Attention::WaitingFirstContact),
                (overdue, Attention::FollowUpOverdue),
                (scheduled, Attention::FollowUpScheduled),
            ]
        );
        assert!(caseload.items[0].priority.urgent);
        assert_eq!(
            caseload.items[1].priority.waiting_first_contact_days,
            Some(0)
        );
        assert_eq!(caseload.items[2].priority.follow_up_overdue_days, Some(3));
        assert_eq!(caseload.items[2].status, Status::InProgress);
        assert_eq!(caseload.items[0].given_name, "Person4");

        // Link workers see their own caseload only.
        let own = CaseloadScope::OwnOnly("lw-me".into());
        assert!(matches!(
            store.caseload(&ctx(ORG), me.id, &own, today).await.unwrap(),
            CaseloadRead::Found(_)
        ));
        assert_eq!(
            store
                .caseload(&ctx(ORG), colleague.id, &own, today)
                .await
                .unwrap(),
            CaseloadRead::NotPermitted
        );
        assert!(matches!(
            store
                .caseload(&ctx(OTHER), me.id, &CaseloadScope::Organisation, today)
                .await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn the_queue_lists_unassigned_referrals_oldest_first() {
    with_store(|store| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        let mut ids = Vec::new();
        for n in 0..4 {
            let mut new = referral(Source::SelfReferral);
            new.person.nhs_number = None;
            new.person.given_name = format!("Queue{n}");
            ids.push(created(store.create_referral(&ctx(ORG), new, None).await.unwrap()).id);
        }
        moved(
            store
                .transition_referral(&ctx(ORG), ids[1], decide(Status::Accepted, None))
                .await
                .unwrap(),
        );
        moved(
            store
                .transition_referral(&ctx(ORG), ids[2], decide(Status::Accepted, None))
                .await
                .unwrap(),
        );
        assign(&store, ids[2], w.id).await;
        created(
            store
                .create_referral(&ctx(OTHER), referral(Source::Gp), None)
                .await
                .unwrap(),
        );

        let first = store.queue(&ctx(ORG), page(2, None)).await.unwrap();
        assert_eq!(
            first
                .items
                .iter()
                .map(|i| (i.referral_id, i.status))
                .collect::<Vec<_>>(),
            vec![(ids[0], Status::Received), (ids[1], Status::Accepted)]
        );
        assert_eq!(first.items[0].given_name, "Queue0");
        let second = store.queue(&ctx(ORG), page(2, first.next)).await.unwrap();
        assert_eq!(
            second
                .items
                .iter()
                .map(|i| i.referral_id)
                .collect::<Vec<_>>(),
            vec![ids[3]]
        );
        assert_eq!(second.next, None);
    })
    .await;
}

#[tokio::test]
async fn contacts_start_the_work_and_the_newest_sets_the_follow_up() {
    with_database(|store, db| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        let id = accepted(&store, 1, Urgency::Routine).await;
        assert_eq!(
            store
                .record_contact(&ctx(ORG), id, contact(0, None))
                .await
                .unwrap(),
            ContactRecorded::WrongState(Status::Accepted)
        );
        assign(&store, id, w.id).await;
        // Received a month ago, so that contacts may be dated back.
        db.backdate_referral(id, OffsetDateTime::now_utc() - Duration::days(30))
            .await;
        // Not before it was received: refused, nothing written, the referral still assigned.
        match store.record_contact(&ctx(ORG), id, contact(31, None)).await {
            Err(StoreError::Invalid(errors)) => {
                assert_eq!(
                    (errors[0].field.as_str(), errors[0].code),
                    ("occurred_at", "before_received")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(store.list_contacts(&ctx(ORG), id).await.unwrap().is_empty());
        let in_a_week = today() + Duration::days(7);
        let first = match store
            .record_contact(&ctx(ORG), id, contact(1, Some(in_a_week)))
            .await
            .unwrap()
        {
            ContactRecorded::Recorded { contact, status } => {
                assert_eq!(status, Status::InProgress);
                contact
            }
            other => panic!("{other:?}"),
        };
        // A contact recorded late, that happened before the first, does not move the
        // follow-up date.
        let late = store
            .record_contact(&ctx(ORG), id, contact(3, Some(today() + Duration::days(1))))
            .await
            .unwrap();
        assert!(matches!(
            late,
            ContactRecorded::Recorded {
                status: Status::InProgress,
                ..
            }
        ));
        let caseload = match store
            .caseload(&ctx(ORG), w.id, &CaseloadScope::Organisation, today())
            .await
            .unwrap()
        {
            CaseloadRead::Found(c) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(caseload.items[0].next_follow_up_on, Some(in_a_week));
        assert_eq!(
            caseload.items[0].last_contact_at,
            Some(first.details.occurred_at)
        );

        let contacts = store.list_contacts(&ctx(ORG), id).await.unwrap();
        assert_eq!(contacts.len(), 2);
        assert!(contacts[0].details.occurred_at < contacts[1].details.occurred_at);
        assert_eq!(contacts[1], first);
        assert!(matches!(
            store.list_contacts(&ctx(OTHER), id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .record_contact(&ctx(OTHER), id, contact(0, None))
                .await,
            Err(StoreError::NotFound)
        ));

        moved(
            store
                .transition_referral(&ctx(ORG), id, decide(Status::Closed, Some("goals_met")))
                .await
                .unwrap(),
        );
        assert_eq!(
            store
                .record_contact(&ctx(ORG), id, contact(0, None))
                .await
                .unwrap(),
            ContactRecorded::WrongState(Status::Closed)
        );
    })
    .await;
}

#[tokio::test]
async fn plans_are_versioned_and_a_stale_version_is_refused() {
    with_store(|store| async move {
        let id = accepted(&store, 1, Urgency::Routine).await;
        let empty = store.get_plan(&ctx(ORG), id).await.unwrap();
        assert_eq!((empty.version, empty.plan.clone()), (0, Plan::default()));

        let plan = Plan {
            what_matters_to_me: Some("Local history; crochet".into()),
            goals: vec!["Get out of the house once a week".into()],
            steps: vec![Step {
                due_on: Some(date!(2026 - 11 - 30)),
                ..Step::planned("Walk to the park")
            }],
            ..Plan::default()
        };
        let saved = match store
            .put_plan(&ctx(ORG), id, &[0], plan.clone())
            .await
            .unwrap()
        {
            PlanSaved::Saved(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(saved.version, 1);
        assert_eq!(store.get_plan(&ctx(ORG), id).await.unwrap(), saved);
        assert_eq!(
            store
                .put_plan(&ctx(ORG), id, &[0], plan.clone())
                .await
                .unwrap(),
            PlanSaved::Stale { current_version: 1 }
        );
        assert_eq!(
            store
                .put_plan(&ctx(ORG), id, &[7], plan.clone())
                .await
                .unwrap(),
            PlanSaved::Stale { current_version: 1 }
        );
        let mut next = plan.clone();
        next.steps[0].status = StepStatus::Done;
        next.steps.push(Step::planned("Try the Tai Chi class"));
        let v2 = match store
            .put_plan(&ctx(ORG), id, &[1], next.clone())
            .await
            .unwrap()
        {
            PlanSaved::Saved(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!((v2.version, v2.plan.clone()), (2, next.clone()));
        assert!(matches!(
            store.get_plan(&ctx(OTHER), id).await,
            Err(StoreError::NotFound)
        ));

        moved(
            store
                .transition_referral(&ctx(ORG), id, decide(Status::Closed, Some("goals_met")))
                .await
                .unwrap(),
        );
        assert_eq!(
            store.put_plan(&ctx(ORG), id, &[2], next).await.unwrap(),
            PlanSaved::NotOpen(Status::Closed)
        );

        let plans: Vec<(u32, [usize; 3])> = store
            .timeline(&ctx(ORG), id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.event {
                Event::PlanUpdated { version, steps } => Some((version, steps)),
                _ => None,
            })
            .collect();
        assert_eq!(plans, vec![(1, [1, 0, 0]), (2, [1, 1, 0])]);
    })
    .await;
}

#[tokio::test]
async fn the_timeline_holds_every_event_in_order() {
    with_store(|store| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        let id = accepted(&store, 1, Urgency::Routine).await;
        assign(&store, id, w.id).await;
        store
            .record_contact(&ctx(ORG), id, contact(0, None))
            .await
            .unwrap();
        store
            .put_plan(&ctx(ORG), id, &[0], Plan::default())
            .await
            .unwrap();
        moved(
            store
                .transition_referral(&ctx(ORG), id, decide(Status::Closed, Some("goals_met")))
                .await
                .unwrap(),
        );
        let kinds: Vec<String> = store
            .timeline(&ctx(ORG), id)
            .await
            .unwrap()
            .iter()
            .map(|e| match &e.event {
                Event::StatusChanged(c) => format!("status:{}", c.to),
                Event::Assigned(_) => "assigned".into(),
                Event::Contact(_) => "contact".into(),
                Event::PlanUpdated { .. } => "plan".into(),
                other => format!("{other:?}"),
            })
            .collect();
        // The contact is recorded before the move it makes.
        assert_eq!(
            kinds,
            vec![
                "status:received",
                "status:accepted",
                "status:assigned",
                "assigned",
                "contact",
                "status:in_progress",
                "plan",
                "status:closed"
            ]
        );
        assert!(matches!(
            store.timeline(&ctx(OTHER), id).await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn possible_duplicates_are_flagged_on_both_and_resolved_by_merge_or_dismissal() {
    with_store(|store| async move {
        // Same NHS number.
        let first = created(
            store
                .create_referral(&ctx(ORG), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        assert!(first.possible_duplicates.is_empty());
        let second = created(
            store
                .create_referral(&ctx(ORG), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        assert_eq!(second.possible_duplicates, vec![first.id]);
        // Same name and date of birth, no NHS number, names written differently.
        let mut third = referral(Source::SelfReferral);
        third.person.nhs_number = None;
        third.person.family_name = "OBRIEN".into();
        let third = created(store.create_referral(&ctx(ORG), third, None).await.unwrap());
        assert_eq!(third.possible_duplicates, vec![first.id, second.id]);
        // Another organisation's referrals are never compared.
        let foreign = created(
            store
                .create_referral(&ctx(OTHER), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        assert!(foreign.possible_duplicates.is_empty());
        // Someone else entirely.
        let mut other_person = referral(Source::SelfReferral);
        other_person.person.nhs_number = None;
        other_person.person.given_name = "Bridget".into();
        let other_person = created(
            store
                .create_referral(&ctx(ORG), other_person, None)
                .await
                .unwrap(),
        );
        assert!(other_person.possible_duplicates.is_empty());

        let read = store.get_referral(&ctx(ORG), first.id).await.unwrap();
        assert_eq!(read.possible_duplicates, vec![second.id, third.id]);

        assert_eq!(
            store
                .resolve_duplicate(&ctx(ORG), first.id, third.id, Resolution::Dismissed)
                .await
                .unwrap(),
            Resolved::Done
        );
        assert_eq!(
            store
                .get_referral(&ctx(ORG), third.id)
                .await
                .unwrap()
                .possible_duplicates,
            vec![second.id]
        );
        assert!(matches!(
            store
                .resolve_duplicate(&ctx(ORG), first.id, third.id, Resolution::Dismissed)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .resolve_duplicate(&ctx(OTHER), first.id, second.id, Resolution::Merged)
                .await,
            Err(StoreError::NotFound)
        ));

        assert_eq!(
            store
                .resolve_duplicate(&ctx(ORG), first.id, second.id, Resolution::Merged)
                .await
                .unwrap(),
            Resolved::Done
        );
        let merged = store.get_referral(&ctx(ORG), second.id).await.unwrap();
        assert_eq!(merged.status, Status::Closed);
        let last = store
            .referral_history(&ctx(ORG), second.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            last.reason,
            Some(MoveReason::Closed(ClosureReason::Duplicate))
        );
        assert_eq!(
            last.note.unwrap(),
            format!("Merged into {}", first.reference)
        );
        let kept = store.get_referral(&ctx(ORG), first.id).await.unwrap();
        assert!(kept.possible_duplicates.is_empty());
        assert_eq!(kept.status, Status::Received);

        // A closed referral raises no new flags.
        let again = created(
            store
                .create_referral(&ctx(ORG), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        assert_eq!(again.possible_duplicates, vec![first.id, third.id]);
        // A merge needs the other referral still open.
        moved(
            store
                .transition_referral(
                    &ctx(ORG),
                    third.id,
                    decide(Status::Closed, Some("moved_away")),
                )
                .await
                .unwrap(),
        );
        assert_eq!(
            store
                .resolve_duplicate(&ctx(ORG), again.id, third.id, Resolution::Merged)
                .await
                .unwrap(),
            Resolved::OtherNotOpen(Status::Closed)
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_caseload_reads_share_audit_commits_and_all_answer() {
    with_store(|store| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        for n in 0..3 {
            let id = accepted(&store, n, Urgency::Routine).await;
            assign(&store, id, w.id).await;
        }
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..24 {
            let store = store.clone();
            reads.spawn(async move {
                store
                    .caseload(&ctx(ORG), w.id, &CaseloadScope::Organisation, today())
                    .await
            });
        }
        while let Some(read) = reads.join_next().await {
            match read.unwrap().unwrap() {
                CaseloadRead::Found(c) => assert_eq!(c.items.len(), 3),
                other => panic!("{other:?}"),
            }
        }
        // Writes still go through afterwards (the drain gave the writer back).
        accepted(&store, 9, Urgency::Routine).await;
    })
    .await;
}
