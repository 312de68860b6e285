//! The spec is the product's face: committed, generated from code, complete.

use serde_json::Value;

use crate::support::*;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");

fn generated() -> Value {
    serde_json::to_value(socialrx_api::openapi()).unwrap()
}

#[test]
fn the_committed_spec_matches_the_code() {
    let generated = generated();
    let rendered = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(COMMITTED, rendered).unwrap();
        return;
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap();
    assert!(
        committed == generated,
        "openapi/openapi.json differs from the code; run \
         `UPDATE_OPENAPI=1 cargo test -p socialrx --test api openapi` and commit the file"
    );
}

/// Operations the permission table marks public (directory reads): no token, no 401/403.
fn is_public(path: &str, method: &str) -> bool {
    socialrx_api::routes::operations()
        .iter()
        .any(|o| o.path == path && o.method.eq_ignore_ascii_case(method) && o.permission.is_none())
}

fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn every_api_operation_documents_auth_errors_and_examples() {
    let spec = generated();
    for (path, method, op) in operations(&spec) {
        let name = format!("{method} {path}");
        assert!(
            op["description"].as_str().is_some_and(|d| !d.is_empty()) || op["summary"].is_string(),
            "{name}: no description"
        );
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            // FHIR routes answer FHIR: every error there is an OperationOutcome.
            if (status.starts_with('4') || status.starts_with('5')) && path.starts_with("/fhir/") {
                let outcome = &response["content"]["application/fhir+json"]["schema"]["$ref"];
                assert_eq!(
                    outcome, "#/components/schemas/OperationOutcome",
                    "{name} {status} must be an OperationOutcome"
                );
            } else if (status.starts_with('4') || status.starts_with('5'))
                && path.starts_with("/embed/")
            {
                // The self-referral form's page is for people: its errors are pages too.
                assert!(
                    response["content"]["text/html"].is_object(),
                    "{name} {status} must be an HTML page"
                );
            } else if status.starts_with('4') || status.starts_with('5') {
                let problem = &response["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    problem, "#/components/schemas/Problem",
                    "{name} {status} must be a problem"
                );
            }
        }
        // Public operations (self-referrals take a partner key; FHIR metadata) need no token.
        let public = socialrx_api::routes::operations().iter().any(|o| {
            o.permission.is_none() && o.path == path && o.method.eq_ignore_ascii_case(&method)
        });
        let needs_token = (path.starts_with("/v1/") || path.starts_with("/fhir/")) && !public;
        if needs_token {
            assert_eq!(
                op["security"],
                serde_json::json!([{"bearer": []}]),
                "{name}: security"
            );
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{name}: no {status}");
            }
            assert!(
                op["description"].as_str().unwrap().contains("Roles:"),
                "{name}: roles not documented"
            );
        }
        if let Some(body) = op.get("requestBody")
            && path.starts_with("/embed/")
        {
            let form = &body["content"]["application/x-www-form-urlencoded"];
            assert!(form["example"].is_string(), "{name}: no example form");
        } else if let Some(body) = op.get("requestBody") {
            let media = if path.starts_with("/fhir/") {
                "application/fhir+json"
            } else {
                "application/json"
            };
            let schema_ref = body["content"][media]["schema"]["$ref"].as_str().unwrap();
            let name_of = schema_ref.rsplit('/').next().unwrap();
            assert!(
                spec["components"]["schemas"][name_of]["example"].is_object(),
                "{name}: the request body has no example"
            );
        }
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    for (path, method, _) in operations(&generated()) {
        let concrete = path.replace("{id}", "01a20159-67f6-732d-b6ed-d9503e62ffc1");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            status != 405 && (status != 404 || path.contains("{id}")),
            "{method} {path}: {status}"
        );
        if (path.starts_with("/v1/") || path.starts_with("/fhir/"))
            && !is_public(&path, method.as_str())
        {
            assert_eq!(status, 401, "{method} {path} must need a token");
        }
    }
    app.finish().await;
}

/// utoipa takes only literals for `maxLength`, `minimum`, `pattern` and the like, so the
/// spec repeats the limits the code enforces; this ties each copy to its constant.
#[test]
fn the_bounds_in_the_spec_are_the_codes_constants() {
    use socialrx_api::schema::{YEARS_PATTERN, patterns};
    use socialrx_domain::{limits, plan, when};

    let spec = generated();
    let schemas = &spec["components"]["schemas"];
    let prop = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
    let param = |path: &str, name: &str| {
        spec["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"))["schema"]
            .clone()
    };

    // Lengths of text fields.
    for (schema, field, limit) in [
        ("PersonRequest", "given_name", limits::NAME),
        ("PersonRequest", "family_name", limits::NAME),
        ("PersonRequest", "email", limits::EMAIL),
        ("PersonRequest", "phone", limits::PHONE),
        ("PersonRequest", "language", limits::LANGUAGE),
        (
            "PersonRequest",
            "accessibility_needs",
            limits::ACCESSIBILITY_NEEDS,
        ),
        ("ReferrerRequest", "name", limits::NAME),
        ("ReferrerRequest", "role", limits::SHORT_TEXT),
        ("CreateReferralRequest", "notes", limits::NOTES),
        ("ProviderRequest", "name", limits::SHORT_TEXT),
        ("ActivityRequest", "name", limits::SHORT_TEXT),
        ("ContactBody", "name", limits::NAME),
        ("ContactBody", "email", limits::EMAIL),
        ("ContactBody", "phone", limits::PHONE),
        ("LocationBody", "address", limits::SHORT_TEXT),
        ("LocationBody", "town", limits::NAME),
        ("CreateOrganisationRequest", "name", limits::SHORT_TEXT),
        ("CreateStaffMemberRequest", "subject", limits::SHORT_TEXT),
        ("CreateStaffMemberRequest", "name", limits::NAME),
        ("CreatePartnerRequest", "name", limits::NAME),
        ("LinkWorkerRequest", "display_name", limits::NAME),
        ("StepRequest", "text", plan::ITEM_TEXT),
        ("PlanRequest", "what_matters_to_me", limits::NOTES),
        ("TransitionRequest", "note", limits::NOTES),
        ("ContactRequest", "notes", limits::NOTES),
    ] {
        assert_eq!(
            prop(schema, field)["maxLength"],
            limit,
            "{schema}.{field}: maxLength"
        );
    }
    assert_eq!(prop("PlanRequest", "goals")["maxItems"], plan::MAX_GOALS);
    assert_eq!(prop("PlanRequest", "steps")["maxItems"], plan::MAX_STEPS);
    assert_eq!(
        prop("PersonRequest", "address_lines")["maxItems"],
        limits::ADDRESS_LINES
    );

    // Every label (required, so minLength 1) carries the label pattern, and the text
    // patterns written out as literals are the constants'.
    let known = [
        patterns::LABEL,
        patterns::OPTIONAL_LABEL,
        patterns::FREE_TEXT,
        patterns::CURSOR,
        patterns::ODS_CODE,
    ];
    let mut labels = 0;
    for (name, schema) in schemas.as_object().unwrap() {
        for (field, p) in schema["properties"].as_object().into_iter().flatten() {
            let Some(pattern) = p["pattern"].as_str() else {
                continue;
            };
            if p["minLength"] == 1 && p["type"] == "string" {
                assert_eq!(pattern, patterns::LABEL, "{name}.{field}");
                labels += 1;
            }
            // A text pattern (one that only refuses control characters) is a constant's.
            if pattern.starts_with(r"^[^\x00-") {
                assert!(known.contains(&pattern), "{name}.{field}: {pattern}");
            }
        }
    }
    assert!(labels >= 10, "only {labels} labels found");
    for path in [
        "/v1/referrals",
        "/v1/queue",
        "/v1/audit",
        "/v1/providers",
        "/v1/staff",
    ] {
        assert_eq!(param(path, "cursor")["pattern"], patterns::CURSOR, "{path}");
    }
    assert_eq!(
        prop("CreateOrganisationRequest", "ods_code")["pattern"],
        patterns::ODS_CODE
    );

    // Query bounds.
    let search = |name: &str| param("/v1/activities", name);
    assert_eq!(
        search("radius_km")["minimum"],
        socialrx_api::routes::directory::MIN_RADIUS_KM
    );
    assert_eq!(
        search("radius_km")["maximum"],
        socialrx_api::routes::directory::MAX_RADIUS_KM
    );
    assert_eq!(
        search("age")["maximum"],
        socialrx_api::routes::directory::MAX_AGE
    );
    assert_eq!(
        search("verified_within_days")["maximum"],
        socialrx_api::routes::directory::MAX_VERIFIED_WITHIN_DAYS
    );
    for path in ["/oruk/services", "/oruk/taxonomies"] {
        assert_eq!(
            param(path, "page")["maximum"],
            socialrx_api::routes::oruk::MAX_PAGE
        );
        assert_eq!(
            param(path, "per_page")["maximum"],
            socialrx_api::routes::oruk::MAX_PER_PAGE
        );
    }

    // Dates: the year pattern covers whole years, from EARLIEST's to LATEST's.
    assert_eq!(YEARS_PATTERN, r"^(19[0-9]{2}|2[01][0-9]{2})-");
    assert_eq!(when::EARLIEST.to_string(), "1900-01-01");
    assert_eq!(when::LATEST.to_string(), "2199-12-31");
    assert_eq!(
        param("/v1/reports/summary", "from")["pattern"],
        YEARS_PATTERN
    );
    assert_eq!(
        prop("PersonRequest", "date_of_birth")["pattern"],
        YEARS_PATTERN
    );
}
