//! What the PRSB Social Prescribing standard adds to a referral: how it was sent, the
//! reason in words, who to answer, the referrer's contact details, consent to share
//! information, and "about me". Each is checked, kept, returned and summarised; a person
//! who would not share keeps their casework from the referrer.

use serde_json::{Value, json};

use crate::support::*;

fn prsb_referral() -> Value {
    let mut body = referral_body();
    body["referral_method"] = json!("secure_email");
    body["reason_text"] =
        json!("Low mood since her son's care package was cut; wants to get out more.");
    body["return_response_to"] = json!("Sister J Okafor, practice nurse");
    body["referrer"]["contact_details"] = json!("01484 496111, asha.patel@nhs.net");
    body["consent"]["information_sharing"] = json!(true);
    body["person"]["pronouns"] = json!("she/her");
    body["person"]["carer"] = json!(true);
    body["person"]["communication_needs"] = json!("Hard of hearing: face her when speaking");
    body
}

#[tokio::test]
async fn the_standards_referral_details_are_kept_and_returned() {
    let app = spawn_app().await;
    let created = app.create_referral(&app.referrer(), &prsb_referral()).await;
    let id = created["id"].as_str().unwrap();
    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, r) = app
        .get_json(&format!("/v1/referrals/{id}"), &coordinator)
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["referral_method"], "secure_email");
    assert_eq!(
        r["reason_text"],
        "Low mood since her son's care package was cut; wants to get out more."
    );
    assert_eq!(r["return_response_to"], "Sister J Okafor, practice nurse");
    assert_eq!(
        r["referrer"]["contact_details"],
        "01484 496111, asha.patel@nhs.net"
    );
    assert_eq!(r["consent"]["information_sharing"], true);
    assert_eq!(
        r["consent"]["information_sharing_not_obtained_reason"],
        Value::Null
    );
    assert_eq!(r["person"]["pronouns"], "she/her");
    assert_eq!(r["person"]["carer"], true);
    assert_eq!(
        r["person"]["communication_needs"],
        "Hard of hearing: face her when speaking"
    );

    // The summary carries them to the practice.
    let (_, summary) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), &app.referrer())
        .await;
    assert_eq!(summary["referral"]["referral_method"], "secure_email");
    assert_eq!(
        summary["referral"]["return_response_to"],
        "Sister J Okafor, practice nurse"
    );
    assert_eq!(summary["person"]["carer"], true);
    assert_eq!(summary["withheld"], Value::Null);
    app.finish().await;
}

#[tokio::test]
async fn every_broken_rule_of_the_standards_fields_is_named() {
    let app = spawn_app().await;
    let mut body = prsb_referral();
    body["referral_method"] = json!("fax");
    body["reason_text"] = json!("x".repeat(151));
    body["return_response_to"] = json!("y".repeat(71));
    body["person"]["pronouns"] = json!("z".repeat(36));
    body["consent"]["information_sharing"] = json!(false);
    let p = problem(app.post_referral(&app.referrer(), &body).await, 422).await;
    let mut got: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let expected: Vec<(String, String)> = [
        (
            "consent.information_sharing_not_obtained_reason",
            "reason_required",
        ),
        ("person.pronouns", "too_long"),
        ("reason_text", "too_long"),
        ("referral_method", "not_in_list"),
        ("return_response_to", "too_long"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    // Schema bounds and domain rules may both name a field; each named field is here.
    for e in &expected {
        assert!(got.iter().any(|g| g.0 == e.0), "{e:?} missing from {got:?}");
    }
    let mut reason_only = referral_body();
    reason_only["consent"]["information_sharing_not_obtained_reason"] = json!("No reason");
    let p = problem(app.post_referral(&app.referrer(), &reason_only).await, 422).await;
    assert_eq!(
        error_for(&p, "consent.information_sharing_not_obtained_reason")["code"],
        "reason_without_refusal"
    );
    let (_, list) = app
        .get_json("/v1/referrals", &app.token(ORG, &["coordinator"]))
        .await;
    assert_eq!(list["items"], json!([]), "nothing was written");
    app.finish().await;
}

#[tokio::test]
async fn a_gp_referral_names_the_practice_and_each_channel_names_its_method() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["person"]
        .as_object_mut()
        .unwrap()
        .remove("registered_practice");
    let created = app.create_referral(&app.referrer(), &body).await;
    let coordinator = app.token(ORG, &["coordinator"]);
    let (_, r) = app
        .get_json(
            &format!("/v1/referrals/{}", created["id"].as_str().unwrap()),
            &coordinator,
        )
        .await;
    // The referring practice is the person's practice unless the referral says otherwise.
    assert_eq!(r["person"]["registered_practice"], "B85001");
    assert_eq!(r["referral_method"], Value::Null);

    let (_, key) = app
        .register_partner(ORG, "Carers Trust", &[crate::self_referrals::PARTNER_SITE])
        .await;
    let response = app
        .self_referral(&key)
        .header("Origin", crate::self_referrals::PARTNER_SITE)
        .json(&self_referral_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (_, list) = app.get_json("/v1/referrals", &coordinator).await;
    let r = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["source"] == "self")
        .unwrap_or_else(|| panic!("no self-referral in {list}"))
        .clone();
    assert_eq!(r["referral_method"], "self_referral");
    app.finish().await;
}

#[tokio::test]
async fn a_person_who_would_not_share_keeps_the_casework_from_the_referrer() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["consent"]["information_sharing"] = json!(false);
    body["consent"]["information_sharing_not_obtained_reason"] =
        json!("Does not want the surgery told about her support");
    let created = app.create_referral(&app.referrer(), &body).await;
    let id = created["id"].as_str().unwrap();
    let coordinator = app.token(ORG, &["coordinator"]);
    let written = app
        .put_json(
            &format!("/v1/referrals/{id}/message-back"),
            &coordinator,
            &json!({"summary": "Joined the walking group"}),
        )
        .await;
    assert_eq!(written.status(), 200);

    let (status, summary) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), &app.referrer())
        .await;
    assert_eq!(status, 200, "{summary}");
    assert!(
        summary["withheld"]
            .as_str()
            .unwrap()
            .contains("did not agree")
    );
    assert_eq!(summary["link_worker_summary"], Value::Null);
    assert!(!summary.to_string().contains("walking group"));
    assert_eq!(summary["referral"]["status"], "received");
    // The service itself still sees its own work.
    let (_, own) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), &coordinator)
        .await;
    assert_eq!(own["withheld"], Value::Null);
    assert_eq!(own["link_worker_summary"], "Joined the walking group");
    let (_, bundle) = app
        .get_json(
            &format!("/fhir/r4/Composition/{id}/$document"),
            &app.referrer(),
        )
        .await;
    assert!(!bundle.to_string().contains("walking group"));
    assert_eq!(
        bundle["entry"][0]["resource"]["section"][0]["title"],
        "Support withheld"
    );
    app.finish().await;
}
