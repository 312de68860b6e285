//! The contract of the message back: risks and safeguarding and the link worker's part
//! are the holding service's to write and read, the summary's source is read within the
//! caller's reach, the referrer organisation hears a summary exists, and retention
//! leaves no free text behind.

use socialrx_domain::message_back::MessageBack;
use socialrx_domain::referral::{DeclineReason, Move, MoveReason, Source, Status};
use socialrx_domain::risk::{Concern, Risk, Risks};
use socialrx_domain::snomed::ConceptId;
use socialrx_store::{PageRequest, Reach, StoreError};
use time::macros::date;

use super::{created, ctx, referral, with_store};

const SERVICE: &str = "Y02794";

fn risks() -> Risks {
    Risks {
        no_known_risks: false,
        risks: vec![Risk {
            code: None,
            description: Some("Falls at home".into()),
            comment: Some("Uses a stick outdoors".into()),
            started_on: Some(date!(2026 - 10 - 01)),
            ended_on: None,
        }],
        safeguarding: vec![Concern {
            code: Some(ConceptId::parse("224484003").unwrap()),
            description: None,
            comment: None,
            identified_on: Some(date!(2026 - 11 - 02)),
            ended_on: Some(date!(2026 - 11 - 30)),
        }],
    }
}

#[tokio::test]
async fn risks_and_the_message_back_read_back_as_written_and_only_by_the_service() {
    with_store(|store| async move {
        let r = created(
            store
                .create_referral(&ctx(SERVICE), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        assert_eq!(store.get_risks(&ctx(SERVICE), r.id).await.unwrap(), None);
        let written = store.put_risks(&ctx(SERVICE), r.id, risks()).await.unwrap();
        let read = store.get_risks(&ctx(SERVICE), r.id).await.unwrap().unwrap();
        assert_eq!(read.risks, risks());
        assert_eq!(read.updated_at, written.updated_at);
        // Replaced whole, not merged.
        let none = Risks {
            no_known_risks: true,
            risks: vec![],
            safeguarding: vec![],
        };
        store
            .put_risks(&ctx(SERVICE), r.id, none.clone())
            .await
            .unwrap();
        assert_eq!(
            store
                .get_risks(&ctx(SERVICE), r.id)
                .await
                .unwrap()
                .unwrap()
                .risks,
            none
        );
        // Another organisation reaches none of it.
        assert!(matches!(
            store.get_risks(&ctx("Y11111"), r.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.put_risks(&ctx("Y11111"), r.id, risks()).await,
            Err(StoreError::NotFound)
        ));

        let message = MessageBack {
            summary: Some("Goes to the group weekly.".into()),
            actions_for_professionals: None,
            actions_for_person: Some("Keep going.".into()),
            agreed_with_person: Some(true),
        };
        store
            .put_message_back(&ctx(SERVICE), r.id, message.clone())
            .await
            .unwrap();
        assert!(matches!(
            store
                .put_message_back(&ctx("Y11111"), r.id, message.clone())
                .await,
            Err(StoreError::NotFound)
        ));
        let source = store
            .referral_summary(&ctx(SERVICE), Reach::Held, r.id)
            .await
            .unwrap();
        assert_eq!(source.referral.id, r.id);
        assert_eq!(source.message.unwrap().message, message);
        assert_eq!(source.risks.unwrap().risks, none);
        assert_eq!(source.plan.version, 0);
        assert!(source.connections.is_empty() && source.contacts.is_empty());
        // The referrer's reach is what its organisation sent: this one it did not.
        assert!(matches!(
            store
                .referral_summary(&ctx("B85001"), Reach::Sent, r.id)
                .await,
            Err(StoreError::NotFound)
        ));
        // Reading the summary is audited in the service's trail.
        let trail = store
            .list_audit_events(
                SERVICE,
                &Default::default(),
                PageRequest {
                    limit: 50,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert!(
            trail
                .items
                .iter()
                .any(|e| e.action == "read_summary" && e.resource_id == r.id),
            "{:?}",
            trail.items
        );
    })
    .await;
}

#[tokio::test]
async fn retention_leaves_no_risk_or_message_text_behind() {
    with_store(|store| async move {
        let r = created(
            store
                .create_referral(&ctx(SERVICE), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        store.put_risks(&ctx(SERVICE), r.id, risks()).await.unwrap();
        store
            .put_message_back(
                &ctx(SERVICE),
                r.id,
                MessageBack {
                    summary: Some("Goes to the group weekly.".into()),
                    actions_for_professionals: Some("Review her pain relief.".into()),
                    actions_for_person: None,
                    agreed_with_person: Some(true),
                },
            )
            .await
            .unwrap();
        let declined = store
            .transition_referral(
                &ctx(SERVICE),
                r.id,
                Move {
                    to: Status::Declined,
                    reason: Some(MoveReason::Declined(DeclineReason::OutOfArea)),
                    note: None,
                },
            )
            .await;
        assert!(declined.is_ok(), "{declined:?}");
        let later = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        let report = store.anonymise_people(later, false).await.unwrap();
        assert_eq!(report.people, 1);
        assert_eq!(store.get_risks(&ctx(SERVICE), r.id).await.unwrap(), None);
        let source = store
            .referral_summary(&ctx(SERVICE), Reach::Held, r.id)
            .await
            .unwrap();
        let message = source.message.unwrap().message;
        assert_eq!(message.summary, None);
        assert_eq!(message.actions_for_professionals, None);
        assert_eq!(message.agreed_with_person, Some(true));
    })
    .await;
}

#[tokio::test]
async fn the_standards_particulars_and_about_me_read_back_as_written() {
    use socialrx_domain::particulars::{AboutMe, InformationSharing, Particulars, ReferralMethod};
    with_store(|store| async move {
        let mut new = referral(Source::Gp);
        new.particulars = Particulars {
            method: Some(ReferralMethod::NhsEReferralService),
            reason_text: Some("Low mood since the winter".into()),
            return_response_to: Some("Sister J Okafor".into()),
            referrer_contact: Some("01484 496111".into()),
            information_sharing: Some(InformationSharing::NotObtained {
                reason: "Lacked capacity on the day".into(),
            }),
        };
        new.person.about_me = AboutMe {
            pronouns: Some("they/them".into()),
            carer: Some(false),
            communication_needs: Some("Easy read letters".into()),
        };
        let r = created(
            store
                .create_referral(&ctx(SERVICE), new.clone(), None)
                .await
                .unwrap(),
        );
        let read = store.get_referral(&ctx(SERVICE), r.id).await.unwrap();
        assert_eq!(read.details.particulars, new.particulars);
        assert_eq!(read.details.person.about_me, new.person.about_me);
        // A referral without them reads back with none.
        let plain = created(
            store
                .create_referral(&ctx(SERVICE), referral(Source::Gp), None)
                .await
                .unwrap(),
        );
        let read = store.get_referral(&ctx(SERVICE), plain.id).await.unwrap();
        assert_eq!(read.details.particulars, Particulars::default());
        assert_eq!(read.details.person.about_me, AboutMe::default());
    })
    .await;
}
