//! The message back to the GP and the referrer (PRSB Social Prescribing standard): risks
//! and safeguarding, the link worker's part of the message, and the summary as JSON, a
//! FHIR document and a PDF, with the referrer's copy never holding risks.

use serde_json::{Value, json};

use crate::support::*;

/// The text of a PDF as `pdftotext -layout` reads it; `None` (outside CI) when poppler
/// is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext failed");
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(_) => {
            assert!(
                std::env::var("CI").is_err(),
                "pdftotext is not installed (apt-get install poppler-utils)"
            );
            None
        }
    }
}

async fn pdf_of(app: &TestApp, id: &str, token: &str) -> Vec<u8> {
    let response = app
        .get(&format!("/v1/referrals/{id}/summary"))
        .bearer_auth(token)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    response.bytes().await.unwrap().to_vec()
}

/// Journey 1's ending: the practice that referred reads the summary in all three forms.
pub async fn the_practice_files_the_summary(app: &TestApp, id: &str, gp: &str, coordinator: &str) {
    let (status, summary) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), gp)
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["audience"], "referrer");
    assert_eq!(summary["person"]["family_name"], "Hughes");
    assert_eq!(summary["referral"]["status"], "closed");
    assert_eq!(summary["referral"]["closure_reason"], "goals_met");
    let plan = &summary["plan_and_requested_actions"];
    assert_eq!(plan["actions_for_professionals"], "No actions required");
    assert_eq!(
        plan["actions_for_person"],
        "Keep going to the group; keep the sitter booked."
    );
    assert_eq!(plan["agreed_with_person"], true);
    // Every intervention tried, including the one that did not work.
    let went: Vec<(String, String)> = summary["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["activity"].as_str().unwrap().to_owned(),
                i["how_it_went"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        went.contains(&(
            "Knit and Natter at Birstall Library".into(),
            "did_not_work".into()
        )),
        "{went:?}"
    );
    assert!(
        went.contains(&(
            "Local History Group at Dewsbury Library".into(),
            "worked".into()
        )),
        "{went:?}"
    );
    let swemwbs = summary["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["instrument"] == "swemwbs")
        .unwrap();
    assert!(
        swemwbs["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["scale"] == "metric" && c["change"] == 3.1)
    );
    assert_eq!(summary["assessments"].as_array().unwrap().len(), 4);
    // The practice's copy holds no risks or safeguarding; the service's does.
    assert_eq!(summary["risks"], Value::Null);
    assert_eq!(summary["safeguarding"], Value::Null);
    assert!(!summary.to_string().contains("Carer strain"));
    let (_, service_copy) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), coordinator)
        .await;
    assert_eq!(service_copy["audience"], "service");
    assert_eq!(
        service_copy["risks"]["risks"][0]["description"],
        "Carer strain: sole carer for her son"
    );

    // The FHIR document: a document Bundle, the Composition first, coded.
    let (status, bundle) = app
        .get_json(&format!("/fhir/r4/Composition/{id}/$document"), gp)
        .await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "document");
    let composition = &bundle["entry"][0]["resource"];
    assert_eq!(composition["resourceType"], "Composition");
    assert_eq!(composition["status"], "final");
    assert_eq!(composition["type"]["coding"][0]["code"], "371530004");
    assert_eq!(
        composition["event"][0]["code"][0]["coding"][0]["code"],
        "871731000000106"
    );
    let titles: Vec<&str> = composition["section"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles[0], "Plan and requested actions");
    assert!(!titles.contains(&"Risks and safeguarding"), "{titles:?}");
    let patient = &bundle["entry"][1]["resource"];
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["identifier"][0]["value"], "9434765919");
    assert!(!bundle.to_string().contains("Carer strain"));

    // The PDF, for the practice's document workflow.
    let pdf = pdf_of(app, id, gp).await;
    assert!(pdf.starts_with(b"%PDF-"));
    if let Some(text) = pdf_text(&pdf) {
        for expected in [
            "Social prescribing summary",
            "Margaret Hughes",
            "943 476 5919",
            "Plan and requested actions",
            "No actions required",
            "Local History Group at Dewsbury Library",
            "did not work",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} not in the PDF:\n{text}"
            );
        }
        assert!(
            !text.contains("Carer strain"),
            "risks in the referrer's PDF"
        );
        let plan_at = text.find("Plan and requested actions").unwrap();
        let referral_at = text.find("Wellbeing measures").unwrap();
        assert!(plan_at < referral_at, "the plan comes first");
    }
}

#[tokio::test]
async fn a_summary_says_no_actions_required_rather_than_nothing() {
    let app = spawn_app().await;
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let id = referral["id"].as_str().unwrap();
    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, summary) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), &coordinator)
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["audience"], "service");
    let plan = &summary["plan_and_requested_actions"];
    assert_eq!(plan["actions_for_professionals"], "No actions required");
    assert_eq!(plan["actions_for_person"], "No actions required");
    assert_eq!(summary["interventions"], json!([]));
    assert_eq!(summary["contacts"]["count"], 0);
    // Nothing recorded yet is said plainly, not hidden.
    assert_eq!(
        summary["risks"],
        json!({"no_known_risks": false, "risks": []})
    );
    let (status, bundle) = app
        .get_json(
            &format!("/fhir/r4/Composition/{id}/$document"),
            &coordinator,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(bundle["entry"][0]["resource"]["status"], "preliminary");
    let pdf = pdf_of(&app, id, &coordinator).await;
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("No actions required"), "{text}");
        assert!(text.contains("Risks not recorded yet."), "{text}");
    }
    // A format neither JSON nor PDF is refused, with a problem.
    let response = app
        .get(&format!("/v1/referrals/{id}/summary"))
        .bearer_auth(&coordinator)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let p = problem(response, 406).await;
    assert!(p["detail"].as_str().unwrap().contains("application/pdf"));
    app.finish().await;
}

#[tokio::test]
async fn risks_follow_the_standard_and_every_problem_is_named() {
    let app = spawn_app().await;
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let id = referral["id"].as_str().unwrap();
    let coordinator = app.token(ORG, &["coordinator"]);
    let path = format!("/v1/referrals/{id}/risks");
    let (status, _) = app.get_json(&path, &coordinator).await;
    assert_eq!(status, 404, "none recorded yet");

    for (body, field, code) in [
        (json!({}), "risks", "risks_required"),
        (
            json!({"no_known_risks": true, "risks": [{"description": "Falls"}]}),
            "risks",
            "no_known_risks_with_risks",
        ),
        (
            json!({"risks": [{"comment": "no risk named"}]}),
            "risks[0]",
            "required",
        ),
        // 224484003 with its check digit changed.
        (
            json!({"risks": [{"code": "224484004"}]}),
            "risks[0].code",
            "snomed_check_digit",
        ),
        (
            json!({"risks": [{"description": "x".repeat(151)}]}),
            "risks[0].description",
            "too_long",
        ),
        (
            json!({"no_known_risks": true, "safeguarding": [{"description": "Concern", "identified_on": "2026-11-02", "ended_on": "2026-11-01"}]}),
            "safeguarding[0].ended_on",
            "ends_before_start",
        ),
    ] {
        let p = problem(app.put_json(&path, &coordinator, &body).await, 422).await;
        assert_eq!(error_for(&p, field)["code"], code, "{body} gave {p}");
    }
    let (status, _) = app.get_json(&path, &coordinator).await;
    assert_eq!(status, 404, "nothing was written by the refused requests");

    let recorded = app
        .put_json(
            &path,
            &coordinator,
            &json!({"no_known_risks": true,
                    "safeguarding": [{"code": "224484003", "description": "Young carer in the household", "identified_on": "2026-11-02"}]}),
        )
        .await;
    assert_eq!(recorded.status(), 200);
    let (status, read) = app.get_json(&path, &coordinator).await;
    assert_eq!(status, 200);
    assert_eq!(read["no_known_risks"], true);
    assert_eq!(read["safeguarding"][0]["code"], "224484003");
    assert_eq!(read["safeguarding"][0]["identified_on"], "2026-11-02");

    // Referrers neither read nor write them; another service cannot reach them.
    let (status, _) = app.get_json(&path, &app.referrer()).await;
    assert_eq!(status, 403);
    let other = app.token("Y11111", &["coordinator"]);
    let (status, _) = app.get_json(&path, &other).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), &other)
        .await;
    assert_eq!(status, 404);
    app.finish().await;
}

#[tokio::test]
async fn the_summary_carries_the_care_and_support_plan() {
    let app = spawn_app().await;
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let id = referral["id"].as_str().unwrap();
    let coordinator = app.token(ORG, &["coordinator"]);
    let plan = json!({
        "what_matters_to_me": "Local history",
        "strengths": ["Knows everyone on her street"],
        "goals": ["Get out twice a week"],
        "steps": [{"text": "Visit the local history group", "who": "Margaret, with Jo",
                   "confidence": 6, "status": "planned"}],
        "agreed_with_person": true,
        "planned_review_on": "2027-01-15",
        "review_by": "Jo Wainwright, link worker"
    });
    let saved = app.put_plan(&coordinator, id, Some("\"v0\""), &plan).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let (_, summary) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), &app.referrer())
        .await;
    let p = &summary["plan_and_requested_actions"];
    assert_eq!(p["strengths"], json!(["Knows everyone on her street"]));
    assert_eq!(p["steps"][0]["who"], "Margaret, with Jo");
    assert_eq!(p["steps"][0]["confidence"], 6);
    assert_eq!(p["planned_review_on"], "2027-01-15");
    assert_eq!(p["agreed_with_person"], true, "agreement from the plan");
    let pdf = pdf_of(&app, id, &app.referrer()).await;
    if let Some(text) = pdf_text(&pdf) {
        for expected in [
            "Knows everyone on her street",
            "6/10",
            "Plan to be reviewed on 15 January 2027, by Jo Wainwright, link worker.",
        ] {
            assert!(text.contains(expected), "{expected:?} not in:\n{text}");
        }
    }
    app.finish().await;
}
