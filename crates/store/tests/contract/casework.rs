//! The contract of the PRSB standard's details of contacts and plans: outcome, location
//! type and who was present on a contact; strengths, agreement, review and each step's
//! who, confidence and review date on a plan. Every field reads back on both backends,
//! rows stored before the fields existed still read, a contact that did not happen
//! changes nothing on its referral, and retention blanks the new free text.

use std::sync::Arc;

use socialrx_domain::caseload::CaseloadScope;
use socialrx_domain::contact::{ContactOutcome, LocationType, NewContact};
use socialrx_domain::plan::{Plan, Step, StepStatus};
use socialrx_domain::referral::{Status, Urgency};
use socialrx_store::{CaseloadItem, CaseloadRead, ContactRecorded, PlanSaved, Store};
use time::macros::date;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::caseload::{accepted, assign, contact, decide, moved, today, worker};
use super::{ctx, with_database, with_store};

const ORG: &str = "Y02794";

fn with(outcome: ContactOutcome, days_ago: i64) -> NewContact {
    NewContact {
        outcome,
        location_type: Some(LocationType::Home),
        present: Some("Her daughter, Claire".into()),
        ..contact(days_ago, None)
    }
}

async fn record(store: &Arc<dyn Store>, id: Uuid, new: NewContact) -> (NewContact, Status) {
    match store.record_contact(&ctx(ORG), id, new).await.unwrap() {
        ContactRecorded::Recorded { contact, status } => (contact.details, status),
        other => panic!("{other:?}"),
    }
}

async fn the_item(store: &Arc<dyn Store>, worker: Uuid) -> CaseloadItem {
    match store
        .caseload(&ctx(ORG), worker, &CaseloadScope::Organisation, today())
        .await
        .unwrap()
    {
        CaseloadRead::Found(c) => c.items.into_iter().next().expect("one item"),
        other => panic!("{other:?}"),
    }
}

fn full_plan() -> Plan {
    Plan {
        what_matters_to_me: Some("Local history; crochet".into()),
        goals: vec!["Get out of the house once a week".into()],
        steps: vec![
            Step {
                due_on: Some(date!(2026 - 11 - 30)),
                who: Some("Margaret, with Sam (link worker)".into()),
                confidence: Some(6),
                review_on: Some(date!(2026 - 12 - 07)),
                ..Step::planned("Go to the local history group")
            },
            Step::planned("Ring her sister on Sundays"),
        ],
        strengths: vec![
            "Knows the area's history".into(),
            "Her sister lives nearby".into(),
        ],
        agreed_with_person: Some(true),
        planned_review_on: Some(date!(2027 - 01 - 11)),
        review_by: Some("Sam Taylor, link worker".into()),
    }
}

#[tokio::test]
async fn a_contact_that_did_not_happen_is_kept_and_changes_nothing_on_the_referral() {
    with_database(|store, db| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        let id = accepted(&store, 1, Urgency::Routine).await;
        assign(&store, id, w.id).await;
        db.backdate_referral(id, OffsetDateTime::now_utc() - Duration::days(30))
            .await;

        // Missed and cancelled: recorded, but the referral still waits for a first contact.
        for (outcome, days_ago) in [
            (ContactOutcome::DidNotAttend, 9),
            (ContactOutcome::CancelledByPerson, 8),
            (ContactOutcome::CancelledByService, 7),
        ] {
            let (details, status) = record(&store, id, with(outcome, days_ago)).await;
            assert_eq!(status, Status::Assigned, "{outcome}");
            assert_eq!(details.outcome, outcome);
        }
        let item = the_item(&store, w.id).await;
        assert_eq!(item.status, Status::Assigned);
        assert_eq!(
            (
                item.first_contact_at,
                item.last_contact_at,
                item.next_follow_up_on
            ),
            (None, None, None)
        );

        // The first that happened starts the work.
        let in_a_week = today() + Duration::days(7);
        let attended = NewContact {
            next_follow_up_on: Some(in_a_week),
            ..with(ContactOutcome::Attended, 5)
        };
        let (attended, status) = record(&store, id, attended).await;
        assert_eq!(status, Status::InProgress);

        // A newer one that did not happen is not the last contact, nor the follow-up.
        let (_, status) = record(&store, id, with(ContactOutcome::DidNotAttend, 1)).await;
        assert_eq!(status, Status::InProgress);
        let item = the_item(&store, w.id).await;
        assert_eq!(item.first_contact_at, Some(attended.occurred_at));
        assert_eq!(item.last_contact_at, Some(attended.occurred_at));
        assert_eq!(item.next_follow_up_on, Some(in_a_week));

        // Every one reads back with its details, in the order they happened.
        let contacts = store.list_contacts(&ctx(ORG), id).await.unwrap();
        let read: Vec<(ContactOutcome, Option<LocationType>, Option<&str>)> = contacts
            .iter()
            .map(|c| {
                (
                    c.details.outcome,
                    c.details.location_type,
                    c.details.present.as_deref(),
                )
            })
            .collect();
        let home = Some(LocationType::Home);
        let claire = Some("Her daughter, Claire");
        assert_eq!(
            read,
            vec![
                (ContactOutcome::DidNotAttend, home, claire),
                (ContactOutcome::CancelledByPerson, home, claire),
                (ContactOutcome::CancelledByService, home, claire),
                (ContactOutcome::Attended, home, claire),
                (ContactOutcome::DidNotAttend, home, claire),
            ]
        );
        assert_eq!(contacts[3].details, attended);
    })
    .await;
}

#[tokio::test]
async fn every_location_type_reads_back_and_a_contact_may_have_none() {
    with_database(|store, db| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        let id = accepted(&store, 1, Urgency::Routine).await;
        assign(&store, id, w.id).await;
        db.backdate_referral(id, OffsetDateTime::now_utc() - Duration::days(30))
            .await;
        for (i, location) in LocationType::ALL.iter().enumerate() {
            let new = NewContact {
                location_type: Some(*location),
                ..contact(10 - i as i64, None)
            };
            record(&store, id, new).await;
        }
        record(&store, id, contact(1, None)).await;
        let read: Vec<Option<LocationType>> = store
            .list_contacts(&ctx(ORG), id)
            .await
            .unwrap()
            .iter()
            .map(|c| c.details.location_type)
            .collect();
        let mut expected: Vec<Option<LocationType>> =
            LocationType::ALL.iter().copied().map(Some).collect();
        expected.push(None);
        assert_eq!(read, expected);
    })
    .await;
}

#[tokio::test]
async fn a_plans_standard_fields_read_back_and_are_part_of_its_version() {
    with_store(|store| async move {
        let id = accepted(&store, 1, Urgency::Routine).await;
        let plan = full_plan();
        let saved = match store
            .put_plan(&ctx(ORG), id, &[0], plan.clone())
            .await
            .unwrap()
        {
            PlanSaved::Saved(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!((saved.version, &saved.plan), (1, &plan));
        assert_eq!(store.get_plan(&ctx(ORG), id).await.unwrap(), saved);

        // Changing only a new field makes a new version; the old one is kept as it was.
        let mut next = plan.clone();
        next.agreed_with_person = Some(false);
        next.steps[0].confidence = Some(8);
        next.strengths.clear();
        next.review_by = None;
        next.planned_review_on = None;
        let v2 = match store
            .put_plan(&ctx(ORG), id, &[1], next.clone())
            .await
            .unwrap()
        {
            PlanSaved::Saved(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!((v2.version, &v2.plan), (2, &next));
        assert_eq!(
            store
                .put_plan(&ctx(ORG), id, &[1], plan.clone())
                .await
                .unwrap(),
            PlanSaved::Stale { current_version: 2 }
        );
        // Every version is kept whole, new fields and all (the subject access export).
        let person_id = store.get_referral(&ctx(ORG), id).await.unwrap().person_id;
        let export = store.export_person(&ctx(ORG), person_id).await.unwrap();
        let versions: Vec<&Plan> = export
            .records
            .iter()
            .flat_map(|r| r.plans.iter().map(|p| &p.plan))
            .collect();
        assert_eq!(versions, vec![&plan, &next]);
    })
    .await;
}

#[tokio::test]
async fn a_plan_and_a_contact_stored_before_the_new_fields_still_read() {
    with_database(|store, db| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        let id = accepted(&store, 1, Urgency::Routine).await;
        assign(&store, id, w.id).await;
        record(&store, id, with(ContactOutcome::Attended, 0)).await;
        assert!(matches!(
            store.put_plan(&ctx(ORG), id, &[0], full_plan()).await.unwrap(),
            PlanSaved::Saved(_)
        ));
        // As migration 0016 left rows written before it: steps without who, confidence or
        // review date; the new columns at their defaults.
        db.execute(
            "UPDATE plan_revisions SET \
             steps = '[{\"text\": \"Walk to the park\", \"due_on\": \"2026-11-30\", \"status\": \"done\"}, \
                       {\"text\": \"Try Tai Chi\", \"due_on\": null, \"status\": \"planned\"}]', \
             strengths = '[]', agreed_with_person = NULL, planned_review_on = NULL, \
             review_by = NULL",
        )
        .await;
        db.execute("UPDATE contacts SET outcome = 'attended', location_type = NULL, present = NULL")
            .await;

        let stored = store.get_plan(&ctx(ORG), id).await.unwrap();
        assert_eq!(
            stored.plan,
            Plan {
                what_matters_to_me: Some("Local history; crochet".into()),
                goals: vec!["Get out of the house once a week".into()],
                steps: vec![
                    Step {
                        due_on: Some(date!(2026 - 11 - 30)),
                        status: StepStatus::Done,
                        ..Step::planned("Walk to the park")
                    },
                    Step::planned("Try Tai Chi"),
                ],
                ..Plan::default()
            }
        );
        let contacts = store.list_contacts(&ctx(ORG), id).await.unwrap();
        let d = &contacts[0].details;
        assert_eq!(
            (d.outcome, d.location_type, d.present.as_deref()),
            (ContactOutcome::Attended, None, None)
        );
        // And the timeline still counts its steps.
        assert!(store.timeline(&ctx(ORG), id).await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn retention_blanks_who_was_present_strengths_and_the_reviewer() {
    with_store(|store| async move {
        let w = store
            .create_link_worker(&ctx(ORG), worker("lw-1", 10))
            .await
            .unwrap();
        let id = accepted(&store, 1, Urgency::Routine).await;
        assign(&store, id, w.id).await;
        record(&store, id, with(ContactOutcome::Attended, 0)).await;
        assert!(matches!(
            store
                .put_plan(&ctx(ORG), id, &[0], full_plan())
                .await
                .unwrap(),
            PlanSaved::Saved(_)
        ));
        moved(
            store
                .transition_referral(&ctx(ORG), id, decide(Status::Closed, Some("goals_met")))
                .await
                .unwrap(),
        );
        let later = OffsetDateTime::now_utc() + Duration::days(1);
        assert_eq!(
            store.anonymise_people(later, false).await.unwrap().people,
            1
        );

        let d = &store.list_contacts(&ctx(ORG), id).await.unwrap()[0].details;
        assert_eq!(d.present, None);
        assert_eq!(
            (d.outcome, d.location_type),
            (ContactOutcome::Attended, Some(LocationType::Home)),
            "codes stay"
        );
        let plan = store.get_plan(&ctx(ORG), id).await.unwrap().plan;
        assert!(plan.strengths.is_empty() && plan.steps.is_empty());
        assert_eq!(plan.review_by, None);
        assert_eq!(
            (plan.agreed_with_person, plan.planned_review_on),
            (Some(true), Some(date!(2027 - 01 - 11))),
            "the agreement and the review date are not free text"
        );
    })
    .await;
}
