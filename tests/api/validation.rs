//! Every rule of intake, reported together, naming the field and the rule.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn every_failure_of_a_request_is_reported_together() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["person"]["nhs_number"] = "9434765918".into();
    body["person"]["date_of_birth"] = "2190-01-01".into();
    body["person"]["postcode"] = "NOT A CODE".into();
    body["person"]["registered_practice"] = "B8-5001".into();
    body["referrer"]["ods_code"] = "X".into();
    body["reasons"] = json!(["housing", "astrology"]);
    body["consent"]["given"] = false.into();

    let response = app.post_referral(&app.referrer(), &body).await;
    let problem = problem(response, 422).await;
    let mut got = fields(&problem);
    got.sort();
    assert_eq!(
        got,
        vec![
            "consent.given",
            "person.date_of_birth",
            "person.nhs_number",
            "person.postcode",
            "person.registered_practice",
            "reasons[1]",
            "referrer.ods_code",
        ]
    );
    assert_eq!(
        error_for(&problem, "person.nhs_number")["code"],
        "nhs_number_check_digit"
    );
    assert_eq!(
        error_for(&problem, "person.date_of_birth")["code"],
        "in_future"
    );
    assert_eq!(
        error_for(&problem, "person.postcode")["code"],
        "postcode_format"
    );
    assert_eq!(error_for(&problem, "reasons[1]")["code"], "not_in_list");
    assert_eq!(
        error_for(&problem, "consent.given")["code"],
        "consent_required"
    );
    assert_eq!(problem["detail"], "7 fields are not valid");

    let (status, list) = app
        .get_json("/v1/referrals", &app.token(ORG, &["coordinator"]))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"], json!([]), "nothing may be written");
    let (status, sent) = app.get_json("/v1/sent-referrals", &app.referrer()).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["items"], json!([]), "nothing may be sent");
    app.finish().await;
}

#[tokio::test]
async fn nhs_numbers_are_checked_with_the_published_examples() {
    let app = spawn_app().await;
    let token = app.referrer();
    for valid in ["9434765919", "6541003238", "4010232137", "943 476 5919"] {
        let mut body = referral_body();
        body["person"]["nhs_number"] = valid.into();
        app.create_referral(&token, &body).await;
    }
    for (invalid, code) in [
        ("9434765918", "nhs_number_check_digit"),
        ("0000000060", "nhs_number_check_digit"),
        ("943476591", "nhs_number_format"),
        ("94347659AB", "nhs_number_format"),
    ] {
        let mut body = referral_body();
        body["person"]["nhs_number"] = invalid.into();
        let problem = problem(app.post_referral(&token, &body).await, 422).await;
        assert_eq!(
            error_for(&problem, "person.nhs_number")["code"],
            code,
            "{invalid}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn dates_of_birth_more_than_120_years_ago_and_bad_dates_are_refused() {
    let app = spawn_app().await;
    let token = app.referrer();
    for (dob, code) in [
        ("1901-01-01", "too_old"),
        // Before the first day the service accepts at all.
        ("1880-01-01", "out_of_range"),
        ("14/03/1971", "date_format"),
        ("1971-02-30", "date_format"),
    ] {
        let mut body = referral_body();
        body["person"]["date_of_birth"] = dob.into();
        let problem = problem(app.post_referral(&token, &body).await, 422).await;
        assert_eq!(
            error_for(&problem, "person.date_of_birth")["code"],
            code,
            "{dob}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn every_string_has_a_length_limit() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["person"]["given_name"] = "A".repeat(101).into();
    body["notes"] = "n".repeat(4001).into();
    body["referrer"]["role"] = "r".repeat(201).into();
    let problem = problem(app.post_referral(&app.referrer(), &body).await, 422).await;
    for field in ["person.given_name", "notes", "referrer.role"] {
        assert_eq!(error_for(&problem, field)["code"], "too_long", "{field}");
    }
    // One message per field even though two layers check the length.
    assert_eq!(fields(&problem).len(), 3);
    app.finish().await;
}

#[tokio::test]
async fn hostile_strings_are_refused_or_stored_verbatim_never_a_500() {
    let app = spawn_app().await;
    let token = app.referrer();
    let mut body = referral_body();
    body["person"]["family_name"] = "Robert'); DROP TABLE referrals;--".into();
    body["notes"] = "<script>alert('x')</script> ☃ 𝄞 \u{202e}".into();
    let created = app.create_referral(&token, &body).await;
    let (status, read) = app
        .get_json(
            &format!("/v1/referrals/{}", created["id"].as_str().unwrap()),
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        read["person"]["family_name"],
        "Robert'); DROP TABLE referrals;--"
    );
    assert_eq!(read["notes"], "<script>alert('x')</script> ☃ 𝄞 \u{202e}");

    let mut body = referral_body();
    body["person"]["given_name"] = "Ada\u{0}Lovelace".into();
    body["notes"] = "bell\u{7}".into();
    let problem = problem(app.post_referral(&token, &body).await, 422).await;
    assert_eq!(
        error_for(&problem, "person.given_name")["code"],
        "control_characters"
    );
    assert_eq!(error_for(&problem, "notes")["code"], "control_characters");
    app.finish().await;
}

#[tokio::test]
async fn the_preferred_contact_method_needs_its_detail() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["person"]["preferred_contact"] = "email".into();
    let problem = problem(app.post_referral(&app.referrer(), &body).await, 422).await;
    assert_eq!(
        error_for(&problem, "person.preferred_contact")["code"],
        "contact_missing"
    );
    app.finish().await;
}
