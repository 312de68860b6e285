//! The embeddable self-referral form, and the same form without JavaScript: it posts
//! itself, answers in HTML, and is held to the JSON API's rules.

use super::*;

#[tokio::test]
async fn the_embeddable_form_is_served_for_an_active_key_and_framed_only_by_its_origins() {
    let app = spawn_app().await;
    let (_, key) = app
        .register_partner(ORG, "Carers & <Friends>", &[PARTNER_SITE, OTHER_SITE])
        .await;
    let page = app
        .get(&format!("/embed/self-referral?key={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        header(&page, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = header(&page, "content-security-policy").unwrap().to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        csp.ends_with(&format!(
            "frame-ancestors 'self' {PARTNER_SITE} {OTHER_SITE}"
        )),
        "{csp}"
    );
    assert_eq!(header(&page, "cache-control"), Some("no-store"));
    assert_eq!(header(&page, "referrer-policy"), Some("same-origin"));
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("data-partner-key=\"{key}\"")));
    assert!(
        html.contains("Carers &amp; &lt;Friends&gt;"),
        "the name is escaped"
    );
    assert!(!html.contains("<script>"), "no inline script");
    // Nothing from elsewhere; the one address of another site is the quick exit's link.
    assert!(
        !html
            .replace("href=\"https://www.bbc.co.uk/weather\"", "")
            .contains("http"),
        "nothing from elsewhere"
    );
    for code in ["loneliness_isolation", "domestic_abuse", "other"] {
        assert!(html.contains(&format!("value=\"{code}\"")), "{code}");
    }

    for (path, content_type) in [
        ("/embed/self-referral.js", "text/javascript; charset=utf-8"),
        ("/embed/self-referral.css", "text/css; charset=utf-8"),
    ] {
        let asset = app.get(path).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{path}");
        assert_eq!(header(&asset, "content-type"), Some(content_type));
        assert_eq!(header(&asset, "x-content-type-options"), Some("nosniff"));
    }

    let missing = app.get("/embed/self-referral").send().await.unwrap();
    assert_eq!(missing.status(), 400);
    assert!(
        header(&missing, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let unknown = app
        .get("/embed/self-referral?key=srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("This form is not available")
    );
    app.finish().await;
}

/// The form as a browser without JavaScript sends it: urlencoded, the key in a field.
fn form_fields(key: &str) -> Vec<(&'static str, String)> {
    [
        ("key", key),
        ("idempotency_key", "form-retry-1"),
        ("given_name", "Delroy"),
        ("family_name", "Campbell"),
        ("dob-day", "2"),
        ("dob-month", "7"),
        ("dob-year", "1958"),
        ("postcode", "b11 4bw"),
        ("address_line", "12 Stratford Road"),
        ("address_line", ""),
        ("address_line", "Birmingham"),
        ("phone", ""),
        ("email", ""),
        ("preferred_contact", "letter"),
        ("nhs_number", ""),
        ("help_with", "loneliness_isolation"),
        ("help_with", "physical_activity"),
        ("help_with_details", "Since I retired I hardly see anyone."),
        ("website", ""),
        ("consent", "given"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

async fn post_form(app: &TestApp, fields: &[(&str, String)]) -> reqwest::Response {
    app.post("/embed/self-referral")
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn set(fields: &mut Vec<(&'static str, String)>, name: &'static str, value: &str) {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value.to_owned()));
}

#[tokio::test]
async fn without_javascript_the_form_posts_itself_and_answers_the_reference_in_html() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let response = post_form(&app, &form_fields(&key)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert!(header(&response, "content-security-policy").is_some());
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Referral sent: "), "{page}");
    let start = page.find("<strong id=\"reference\">").unwrap() + 23;
    let reference = &page[start..start + page[start..].find('<').unwrap()];
    assert!(reference.starts_with("SRX-"), "{reference}");
    assert!(!page.contains("Delroy"), "the answer echoes the details");

    // The same post again (a reload) is the same referral.
    let again = post_form(&app, &form_fields(&key)).await;
    assert_eq!(again.status(), 201);
    assert_eq!(header(&again, "idempotent-replayed"), Some("true"));
    assert!(again.text().await.unwrap().contains(reference));

    let (_, listed) = app
        .get_json(
            "/v1/referrals?source=self",
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let person = &items[0]["person"];
    assert_eq!(items[0]["reference"], reference);
    assert_eq!(person["date_of_birth"], "1958-07-02");
    assert_eq!(person["preferred_contact"], "letter");
    assert_eq!(
        person["address_lines"],
        json!(["12 Stratford Road", "Birmingham"])
    );
    assert_eq!(person["postcode"], "B11 4BW");
    app.finish().await;
}

#[tokio::test]
async fn without_javascript_errors_come_back_at_their_fields_with_the_answers_escaped() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let mut fields = form_fields(&key);
    fields.retain(|(k, _)| *k != "address_line" && *k != "consent");
    set(&mut fields, "given_name", "<script>alert(1)</script>");
    set(&mut fields, "postcode", "no\"><b>");
    let response = post_form(&app, &fields).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Error: "), "{page}");
    assert!(!page.contains("<script>alert"), "unescaped: {page}");
    assert!(page.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(page.contains("value=\"no&quot;&gt;&lt;b&gt;\""));
    // Each error at its field, the control marked and described, a summary linking to it.
    for (field, control, message) in [
        (
            "postcode",
            "postcode",
            "Enter a full UK postcode, like LS1 4AP",
        ),
        (
            "address_lines",
            "address_line_1",
            "Enter your address, or choose another way for us to contact you",
        ),
        ("consent", "consent-given", "Tick the box to agree"),
    ] {
        assert!(
            page.contains(&format!(
                "<p class=\"error-message\" id=\"{field}-error\"><span class=\"visually-hidden\">Error: </span>{message}"
            )),
            "{field}: {page}"
        );
        assert!(
            page.contains(&format!("<a href=\"#{control}\">{message}")),
            "{field}"
        );
        assert!(
            page.contains(&format!("class=\"field field-error\" id=\"{field}-field\""))
                || page.contains(&format!(
                    "class=\"field conditional field-error\" id=\"{field}-field\""
                )),
            "{field}"
        );
    }
    assert!(page.contains("id=\"postcode\" name=\"postcode\" value=\"no&quot;&gt;&lt;b&gt;\" aria-invalid=\"true\" aria-describedby=\"postcode-error\""));
    // What they chose stays chosen.
    assert!(page.contains("value=\"letter\" checked"));
    assert!(page.contains("value=\"physical_activity\" checked"));
    assert!(!page.contains("error-summary-title\" hidden"));
    // Nothing was made.
    let (_, listed) = app
        .get_json(
            "/v1/referrals?source=self",
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(listed["items"], json!([]));
    app.finish().await;
}

#[tokio::test]
async fn without_javascript_the_key_and_the_rate_limits_are_checked_as_for_json() {
    let app = spawn_app_with(|s| {
        s.self_referral_per_ip_per_minute = 2;
        s.self_referral_per_partner_per_minute = 100;
    })
    .await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let mut unknown = form_fields("srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    set(&mut unknown, "idempotency_key", "a");
    let refused = post_form(&app, &unknown).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        header(&refused, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("This form is not available")
    );
    let mut fields = form_fields(&key);
    set(&mut fields, "idempotency_key", "b");
    assert_eq!(post_form(&app, &fields).await.status(), 201);
    set(&mut fields, "idempotency_key", "c");
    let limited = post_form(&app, &fields).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = header(&limited, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(limited.text().await.unwrap().contains("Please wait"));
    // JSON is refused too: one limit for both ways in.
    let json = app.post_self_referral(&key, &self_referral_body()).await;
    assert_eq!(json.status(), 429);
    app.finish().await;
}

#[tokio::test]
async fn the_form_offers_an_address_and_safety_text_with_a_quick_exit() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let page = app
        .get(&format!("/embed/self-referral?key={key}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<form id=\"self-referral\" action=\"self-referral\" method=\"post\""));
    assert!(page.contains(&format!(
        "<input type=\"hidden\" name=\"key\" value=\"{key}\">"
    )));
    assert!(page.contains("id=\"address_line_1\" name=\"address_line\""));
    assert!(page.contains("aria-controls=\"address_lines-field\""));
    assert!(page.contains("value=\"domestic_abuse\" aria-controls=\"safety\""));
    assert!(page.contains(
        "<a href=\"https://www.bbc.co.uk/weather\" class=\"quick-exit\" id=\"quick-exit\""
    ));
    assert!(page.contains("history"));
    app.finish().await;
}
