//! Organisations are tenants: two are registered, each with staff and referrals, and every
//! read and write is tried across the boundary.

use serde_json::{Value, json};

use crate::support::*;

async fn register(app: &TestApp, admin: &str, ods: &str, name: &str) -> Value {
    let response = app
        .post("/v1/organisations")
        .bearer_auth(admin)
        .json(&json!({"ods_code": ods, "name": name, "kind": "social_prescribing_service"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn nothing_crosses_from_one_organisation_to_another() {
    let app = spawn_app().await;
    let admin_a = app.token(ORG, &["admin"]);
    let admin_b = app.token(OTHER_ORG, &["admin"]);
    let org = register(&app, &admin_a, ORG, "Kirklees Social Prescribing").await;
    assert_eq!(org["ods_code"], ORG);
    register(&app, &admin_b, OTHER_ORG, "Leeds North Wellbeing").await;

    // The same ODS code cannot be registered twice.
    let again = app
        .post("/v1/organisations")
        .bearer_auth(&admin_b)
        .json(&json!({"ods_code": ORG.to_lowercase(), "name": "Impostor", "kind": "other"}))
        .send()
        .await
        .unwrap();
    let p = problem(again, 409).await;
    assert!(p["detail"].as_str().unwrap().contains(ORG));
    let (_, orgs) = app.get_json("/v1/organisations", &admin_b).await;
    assert_eq!(orgs["items"].as_array().unwrap().len(), 2);

    for (admin, subject) in [(&admin_a, "idp|a-lw"), (&admin_b, "idp|b-lw")] {
        let response = app
            .post("/v1/staff")
            .bearer_auth(admin)
            .json(&json!({"subject": subject, "name": "Sam Okafor", "roles": ["link_worker"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let (_, staff_b) = app.get_json("/v1/staff", &admin_b).await;
    let subjects: Vec<&str> = staff_b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["idp|b-lw"], "B sees only its own staff");

    // A's referral, every way B might reach it.
    let a_referrer = app.token(ORG, &["referrer"]);
    let created = app.create_referral(&a_referrer, &referral_body()).await;
    let id = created["id"].as_str().unwrap();
    let (_, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &a_referrer)
        .await;
    let person = referral["person"]["id"].as_str().unwrap();

    let b_all = app.token(
        OTHER_ORG,
        &["referrer", "link_worker", "coordinator", "admin"],
    );
    assert_eq!(
        app.get_json(&format!("/v1/referrals/{id}"), &b_all).await.0,
        404
    );
    assert_eq!(
        app.get_json(&format!("/v1/people/{person}/export"), &b_all)
            .await
            .0,
        404
    );
    let (_, list) = app.get_json("/v1/referrals", &b_all).await;
    assert_eq!(list["items"], json!([]));
    let (_, audit) = app
        .get_json(&format!("/v1/audit?person_id={person}"), &b_all)
        .await;
    assert_eq!(audit["items"], json!([]));
    let (_, audit) = app
        .get_json(&format!("/v1/audit?resource_id={id}"), &b_all)
        .await;
    assert_eq!(audit["items"], json!([]));

    // A cursor taken from A's list gives B nothing of A's.
    for _ in 0..2 {
        app.create_referral(&a_referrer, &referral_body()).await;
    }
    let (_, page) = app.get_json("/v1/referrals?limit=1", &a_referrer).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, foreign) = app
        .get_json(&format!("/v1/referrals?cursor={cursor}"), &b_all)
        .await;
    assert_eq!(foreign["items"], json!([]));

    // Writes: an Idempotency-Key A used does not replay A's referral to B.
    let key_a = app
        .post("/v1/referrals")
        .bearer_auth(&a_referrer)
        .header("Idempotency-Key", "shared")
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    let key_b = app
        .post("/v1/referrals")
        .bearer_auth(&b_all)
        .header("Idempotency-Key", "shared")
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    let a: Value = key_a.json().await.unwrap();
    let b: Value = key_b.json().await.unwrap();
    assert_ne!(a["id"], b["id"]);
    assert_eq!(
        app.get_json(
            &format!("/v1/referrals/{}", b["id"].as_str().unwrap()),
            &a_referrer
        )
        .await
        .0,
        404
    );
    app.finish().await;
}

#[tokio::test]
async fn staff_and_organisation_fields_are_checked() {
    let app = spawn_app().await;
    let admin = app.token(ORG, &["admin"]);
    let response = app
        .post("/v1/organisations")
        .bearer_auth(&admin)
        .json(&json!({"ods_code": "x", "name": "", "kind": "club"}))
        .send()
        .await
        .unwrap();
    let mut got = fields(&problem(response, 422).await);
    got.sort();
    assert_eq!(got, vec!["kind", "name", "ods_code"]);

    let response = app
        .post("/v1/staff")
        .bearer_auth(&admin)
        .json(&json!({"subject": "s", "name": "N", "email": "nope", "roles": ["link_worker", "wizard"]}))
        .send()
        .await
        .unwrap();
    let mut got = fields(&problem(response, 422).await);
    got.sort();
    assert_eq!(got, vec!["email", "roles[1]"]);

    let body = json!({"subject": "idp|1", "name": "N", "roles": ["coordinator"]});
    assert_eq!(
        app.post("/v1/staff")
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    problem(
        app.post("/v1/staff")
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    app.finish().await;
}
