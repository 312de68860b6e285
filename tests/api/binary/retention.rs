//! The retention command: closed cases past their time are anonymised, codes kept.

use super::*;

/// `socialrx retention` anonymises people whose referrals all closed before the cut-off and
/// leaves the codes and dates that reports need; open referrals are untouched.
#[tokio::test]
async fn retention_anonymises_closed_cases_and_keeps_codes() {
    let app = spawn_app().await;
    let coordinator = app.token(ORG, &["coordinator"]);
    let closed = app.create_referral(&app.referrer(), &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let open = app.create_referral(&app.referrer(), &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in [
        serde_json::json!({"to": "accepted"}),
        serde_json::json!({"to": "closed", "reason": "moved_away", "note": "Moved to Margaret's sister in Hull"}),
    ] {
        let r = app
            .post(&format!("/v1/referrals/{closed}/transitions"))
            .bearer_auth(&coordinator)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;

    let url = app.db.url.clone();
    let (code, out, err) = run(
        &["retention", "--older-than", "0s", "--dry-run"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("would anonymise 1 people (1 referrals)"),
        "{out}"
    );
    let (_, still) = app
        .get_json(&format!("/v1/referrals/{closed}"), &coordinator)
        .await;
    assert_eq!(
        still["person"]["given_name"], "Margaret",
        "a dry run changes nothing"
    );

    let (code, out, err) = run(
        &["retention", "--older-than", "0s"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("anonymised 1 people (1 referrals)"),
        "{out}"
    );

    let (_, gone) = app
        .get_json(&format!("/v1/referrals/{closed}"), &coordinator)
        .await;
    let person = &gone["person"];
    assert_eq!(person["given_name"], "[removed]");
    assert_eq!(person["family_name"], "[removed]");
    assert!(
        person["nhs_number"].is_null() && person["phone"].is_null() && person["email"].is_null()
    );
    assert_eq!(person["postcode"], "ZZ99 3WZ");
    assert_eq!(
        person["date_of_birth"], "1971-01-01",
        "only the year of birth stays"
    );
    assert!(gone["notes"].is_null());
    assert_eq!(
        gone["reasons"],
        referral_body()["reasons"],
        "codes stay for reporting"
    );
    assert_eq!(gone["status"], "closed");
    let (_, history) = app
        .get_json(&format!("/v1/referrals/{closed}/history"), &coordinator)
        .await;
    assert!(
        !history.to_string().contains("Hull"),
        "free text in the history is gone: {history}"
    );

    let (_, kept) = app
        .get_json(&format!("/v1/referrals/{open}"), &coordinator)
        .await;
    assert_eq!(
        kept["person"]["given_name"], "Margaret",
        "an open referral is never anonymised"
    );
    let person_id = person["id"].as_str().unwrap();
    let (_, trail) = app
        .get_json(&format!("/v1/audit?person_id={person_id}"), &coordinator)
        .await;
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "anonymise" && e["actor"] == "socialrx-retention")
    );

    let (code, out, _) = run(
        &["retention", "--older-than", "0s"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("anonymised 0 people"),
        "a second run finds nothing: {out}"
    );
    app.finish().await;
}
