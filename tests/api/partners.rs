//! Partner forms: an organisation's admin registers the partner websites that host its
//! self-referral form, sees them listed (never their keys) and revokes them.

use serde_json::{Value, json};

use crate::support::*;

async fn create(app: &TestApp, org: &str, body: &Value) -> reqwest::Response {
    app.post("/v1/partners")
        .bearer_auth(app.token(org, &["admin"]))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_registers_a_partner_and_sees_its_key_only_once() {
    let app = spawn_app().await;
    let response = create(
        &app,
        ORG,
        &json!({"name": "Carers Trust Birmingham",
                "allowed_origins": ["https://WWW.Carers-Birmingham.org.uk:443/", "http://localhost:3000"]}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("srxpk_") && key.len() == 38, "{key}");
    assert_eq!(created["key_prefix"], &key[..10]);
    assert_eq!(
        created["embed_path"],
        format!("/embed/self-referral?key={key}")
    );
    assert_eq!(created["active"], true);
    assert_eq!(
        created["allowed_origins"],
        json!([
            "https://www.carers-birmingham.org.uk",
            "http://localhost:3000"
        ]),
        "origins are kept as browsers send them"
    );

    let admin = app.token(ORG, &["admin"]);
    let (status, page) = app.get_json("/v1/partners", &admin).await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], created["id"]);
    assert_eq!(items[0]["name"], "Carers Trust Birmingham");
    assert!(items[0].get("key").is_none(), "a listing never shows a key");
    assert!(!page.to_string().contains(&key[10..]));

    let (_, theirs) = app
        .get_json("/v1/partners", &app.token(OTHER_ORG, &["admin"]))
        .await;
    assert_eq!(
        theirs["items"],
        json!([]),
        "another organisation sees none of ours"
    );
    app.finish().await;
}

#[tokio::test]
async fn partners_are_listed_newest_first_a_page_at_a_time() {
    let app = spawn_app().await;
    for name in ["First", "Second", "Third"] {
        app.register_partner(ORG, name, &["https://a.example.org"])
            .await;
    }
    let admin = app.token(ORG, &["admin"]);
    let (_, first) = app.get_json("/v1/partners?limit=2", &admin).await;
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Third", "Second"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get_json(&format!("/v1/partners?limit=2&cursor={cursor}"), &admin)
        .await;
    assert_eq!(rest["items"][0]["name"], "First");
    assert!(rest["next_cursor"].is_null());
    let (status, _) = app.get_json("/v1/partners?limit=0", &admin).await;
    assert_eq!(status, 422);
    app.finish().await;
}

#[tokio::test]
async fn each_origin_is_checked_and_named_in_the_errors() {
    let app = spawn_app().await;
    let p = problem(
        create(
            &app,
            ORG,
            &json!({"name": " ", "allowed_origins": [
                "http://www.example.org", "https://example.org/refer", "*", "https://ok.example.org"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_for(&p, "name")["code"], "required");
    assert_eq!(
        error_for(&p, "allowed_origins[0]")["code"],
        "origin_insecure"
    );
    assert_eq!(
        error_for(&p, "allowed_origins[1]")["code"],
        "origin_has_path"
    );
    assert_eq!(
        error_for(&p, "allowed_origins[2]")["code"],
        "origin_wildcard"
    );
    assert_eq!(fields(&p).len(), 4, "{p}");

    let p = problem(
        create(&app, ORG, &json!({"name": "A", "allowed_origins": []})).await,
        422,
    )
    .await;
    assert_eq!(error_for(&p, "allowed_origins")["code"], "required");
    let p = problem(
        create(
            &app,
            ORG,
            &json!({"name": "A", "allowed_origins": ["https://a.org", "https://A.org:443"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_for(&p, "allowed_origins")["code"], "duplicate");
    app.finish().await;
}

#[tokio::test]
async fn a_revoked_partner_key_is_refused_everywhere_from_then_on() {
    let app = spawn_app().await;
    let (id, key) = app
        .register_partner(ORG, "Age UK", &["https://www.ageuk.example.org"])
        .await;
    assert_eq!(
        app.post_self_referral(&key, &self_referral_body())
            .await
            .status(),
        201
    );

    // Another organisation's admin cannot revoke it: to them it does not exist.
    let theirs = app
        .client
        .delete(app.url(&format!("/v1/partners/{id}")))
        .bearer_auth(app.token(OTHER_ORG, &["admin"]))
        .send()
        .await
        .unwrap();
    problem(theirs, 404).await;

    let admin = app.token(ORG, &["admin"]);
    let revoke = || {
        app.client
            .delete(app.url(&format!("/v1/partners/{id}")))
            .bearer_auth(&admin)
            .send()
    };
    let revoked: Value = revoke().await.unwrap().json().await.unwrap();
    assert_eq!(revoked["active"], false);
    assert!(revoked["disabled_at"].is_string());
    let again = revoke().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<Value>().await.unwrap()["disabled_at"],
        revoked["disabled_at"]
    );

    let p = problem(
        app.post_self_referral(&key, &self_referral_body()).await,
        401,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("revoked"));
    let page = app
        .get(&format!("/embed/self-referral?key={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);

    let (_, list) = app.get_json("/v1/partners", &admin).await;
    assert_eq!(
        list["items"][0]["active"], false,
        "a revoked partner is still listed"
    );

    // Registering and revoking are in the audit trail.
    let (_, audit) = app
        .get_json(
            &format!("/v1/audit?resource_id={id}"),
            &app.token(ORG, &["admin"]),
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["disable", "create"]);
    app.finish().await;
}
