//! The embeddable self-referral form in a real browser: headless Chromium driven through
//! ChromeDriver (Debian's `chromium` and `chromium-driver`).
//!
//! Skipped with a message when they are not installed, except with `CI=true`, where a
//! missing browser fails the run: CI installs them.

mod webdriver;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use self::webdriver::{Browser, ENTER, NO_SCRIPT, OFFLINE, find_browser};
use crate::support::*;

/// One browser at a time: two cores do not run several Chromiums and the suite well.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn browser_or_skip(test: &str) -> Option<(PathBuf, PathBuf)> {
    match find_browser() {
        Some(found) => Some(found),
        None if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "CI=true but Chromium or ChromeDriver is not installed: \
             `apt-get install -y chromium chromium-driver` before the tests"
        ),
        None => {
            eprintln!(
                "SKIPPED {test}: Chromium and ChromeDriver are not installed \
                 (apt-get install chromium chromium-driver); with CI=true this fails"
            );
            None
        }
    }
}

/// Saves what the browser shows when `SOCIALRX_SCREENSHOTS` names a folder.
async fn screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("SOCIALRX_SCREENSHOTS") {
        browser
            .screenshot(&PathBuf::from(dir).join(format!("{name}.png")))
            .await;
    }
}

/// A partner's website on an origin of its own (`http://localhost:<port>`, while the
/// service is on `http://127.0.0.1:<port>`): one page, served to every request.
struct PartnerSite {
    origin: String,
    port: u16,
    listener: Option<TcpListener>,
    stop: Arc<AtomicBool>,
}

impl PartnerSite {
    fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        Self {
            origin: format!("http://localhost:{port}"),
            port,
            listener: Some(listener),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    fn serve(mut self, html: String) -> Self {
        let listener = self.listener.take().unwrap();
        let stop = self.stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
            }
        });
        self
    }
}

impl Drop for PartnerSite {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    )
}

async fn self_referrals(app: &TestApp) -> Vec<Value> {
    let (status, page) = app
        .get_json(
            "/v1/referrals?source=self",
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(status, 200);
    page["items"].as_array().unwrap().clone()
}

async fn focused_id(browser: &Browser) -> String {
    browser
        .execute(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_person_refers_themself_in_the_form_framed_on_a_partner_site_and_a_coordinator_finds_it()
{
    let Some((chromium, driver)) = browser_or_skip("browser: framed form") else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let app = spawn_app().await;
    let site = PartnerSite::bind();
    let (_, key) = app
        .register_partner(ORG, "Carers Trust Birmingham", &[&site.origin])
        .await;
    let embed = app.url(&format!("/embed/self-referral?key={key}"));
    let site = site.serve(page(
        "Carers Trust Birmingham",
        &format!(
            "<iframe id=\"form\" title=\"Refer yourself for social prescribing\" src=\"{embed}\" \
             style=\"width:100%;height:2400px;border:0\"></iframe>"
        ),
    ));
    let browser = Browser::start(&chromium, &driver).await;
    browser.goto(&site.origin).await;
    let frame = browser.find("iframe#form").await;
    browser.enter_frame(&frame).await;

    browser.find("#given_name").await.type_text("Delroy").await;
    browser
        .find("#family_name")
        .await
        .type_text("Campbell")
        .await;
    browser.find("#dob-day").await.type_text("2").await;
    browser.find("#dob-month").await.type_text("7").await;
    browser.find("#dob-year").await.type_text("1958").await;
    browser.find("#postcode").await.type_text("B11 4BW").await;
    browser
        .find("#phone")
        .await
        .type_text("0121 496 0000")
        .await;
    // Labels are tied to their controls: clicking the words chooses the option.
    browser
        .find("label[for=preferred_contact-phone]")
        .await
        .click()
        .await;
    assert!(
        browser
            .find("#preferred_contact-phone")
            .await
            .is_selected()
            .await
    );
    for code in ["loneliness_isolation", "physical_activity"] {
        browser
            .find(&format!("label[for=help_with-{code}]"))
            .await
            .click()
            .await;
    }
    browser
        .find("#help_with_details")
        .await
        .type_text("Since I retired I hardly see anyone.")
        .await;
    browser.find("label[for=consent-given]").await.click().await;
    screenshot(&browser, "self-referral-filled").await;
    // Enter in a text field sends the form, as with any form.
    browser.find("#postcode").await.type_text(ENTER).await;

    let reference = browser
        .wait_for(
            "the reference",
            "var done = document.getElementById('done');
             return !done.hidden && document.getElementById('reference').textContent;",
        )
        .await;
    let reference = reference.as_str().unwrap().to_owned();
    assert!(reference.starts_with("SRX-"), "{reference}");
    assert_eq!(
        focused_id(&browser).await,
        "done-title",
        "focus moves to the outcome"
    );
    screenshot(&browser, "self-referral-sent").await;

    let found = self_referrals(&app).await;
    assert_eq!(found.len(), 1);
    let referral = &found[0];
    assert_eq!(referral["reference"], reference.as_str());
    assert_eq!(referral["person"]["given_name"], "Delroy");
    assert_eq!(referral["person"]["date_of_birth"], "1958-07-02");
    assert_eq!(referral["person"]["postcode"], "B11 4BW");
    assert_eq!(referral["person"]["preferred_contact"], "phone");
    assert_eq!(referral["referrer"]["name"], "Carers Trust Birmingham");
    assert_eq!(
        referral["reasons"],
        json!(["loneliness_isolation", "physical_activity"])
    );
    drop(browser);
    drop(site);
    app.finish().await;
}

#[tokio::test]
async fn an_invalid_form_shows_each_error_at_its_field_and_a_focused_summary() {
    let Some((chromium, driver)) = browser_or_skip("browser: invalid form") else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let app = spawn_app().await;
    let (_, key) = app
        .register_partner(
            ORG,
            "Carers Trust Birmingham",
            &["https://www.example-charity.org.uk"],
        )
        .await;
    let browser = Browser::start(&chromium, &driver).await;
    // Linked rather than framed: the form works at the top level too.
    browser
        .goto(&app.url(&format!("/embed/self-referral?key={key}")))
        .await;

    browser.find("#postcode").await.type_text("nowhere").await;
    browser
        .find("label[for=preferred_contact-email]")
        .await
        .click()
        .await;
    browser.find("#submit").await.click().await;
    browser
        .wait_for(
            "the error summary",
            "return !document.getElementById('error-summary').hidden;",
        )
        .await;
    screenshot(&browser, "self-referral-errors").await;
    assert_eq!(
        focused_id(&browser).await,
        "error-summary",
        "the summary takes focus"
    );
    let title = browser.execute("return document.title;", vec![]).await;
    assert!(title.as_str().unwrap().starts_with("Error: "), "{title}");

    let summary = browser.find("#error-summary").await.text().await;
    for expected in [
        "Enter your first name",
        "Enter your last name",
        "Enter your date of birth as day, month and year",
        "Enter a full UK postcode, like LS1 4AP",
        "Enter an email address, or choose another way for us to contact you",
        "Choose at least one thing you would like help with",
        "Tick the box to agree",
    ] {
        assert!(
            summary.contains(expected),
            "{expected:?} not in {summary:?}"
        );
    }

    // Each message is at its field, and the field says it is invalid and points to it.
    for (control, error, message) in [
        ("#given_name", "given_name-error", "Enter your first name"),
        ("#postcode", "postcode-error", "Enter a full UK postcode"),
        (
            "#dob-day",
            "date_of_birth-error",
            "Enter your date of birth",
        ),
        ("#consent-given", "consent-error", "Tick the box to agree"),
        (
            "#help_with-housing",
            "help_with-error",
            "Choose at least one thing",
        ),
        (
            "#preferred_contact-email",
            "preferred_contact-error",
            "Enter an email address",
        ),
    ] {
        let element = browser.find(control).await;
        assert_eq!(
            element.attribute("aria-invalid").await.as_deref(),
            Some("true"),
            "{control}"
        );
        let text = browser.find(&format!("#{error}")).await.text().await;
        assert!(text.contains(message), "{error}: {text:?}");
        assert!(
            text.starts_with("Error:"),
            "{error} says it is an error: {text:?}"
        );
        // Text inputs are described by their message; groups by their fieldset.
        let described = browser
            .execute(
                "var el = document.querySelector(arguments[0]);
                 var group = el.closest('fieldset');
                 return ((group ? group : el).getAttribute('aria-describedby') || '');",
                vec![json!(control)],
            )
            .await;
        assert!(
            described.as_str().unwrap().split(' ').any(|id| id == error),
            "{control} is not described by {error}: {described}"
        );
    }
    assert_eq!(
        browser
            .find("#family_name")
            .await
            .attribute("aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        browser.find("#email").await.attribute("aria-invalid").await,
        None,
        "a field without a problem is not marked"
    );

    // The summary's links lead to the fields.
    browser.find("#error-summary a").await.click().await;
    assert_eq!(focused_id(&browser).await, "given_name");
    assert!(self_referrals(&app).await.is_empty(), "nothing was kept");

    // Put right, the same form is accepted and the errors go.
    browser.find("#given_name").await.type_text("Delroy").await;
    browser
        .find("#family_name")
        .await
        .type_text("Campbell")
        .await;
    browser.find("#dob-day").await.type_text("2").await;
    browser.find("#dob-month").await.type_text("7").await;
    browser.find("#dob-year").await.type_text("1958").await;
    browser
        .execute("document.getElementById('postcode').value = '';", vec![])
        .await;
    browser.find("#postcode").await.type_text("B11 4BW").await;
    browser
        .find("#email")
        .await
        .type_text("delroy@example.org")
        .await;
    browser
        .find("label[for=help_with-other]")
        .await
        .click()
        .await;
    browser.find("label[for=consent-given]").await.click().await;
    browser.find("#submit").await.click().await;
    let reference = browser
        .wait_for(
            "the reference",
            "return !document.getElementById('done').hidden && document.getElementById('reference').textContent;",
        )
        .await;
    let found = self_referrals(&app).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["reference"], reference);
    assert_eq!(found[0]["person"]["email"], "delroy@example.org");
    drop(browser);
    app.finish().await;
}

#[tokio::test]
async fn a_partners_own_page_may_post_across_origins_and_a_strangers_page_may_not() {
    let Some((chromium, driver)) = browser_or_skip("browser: CORS") else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let app = spawn_app().await;
    let partner = PartnerSite::bind();
    let (_, key) = app
        .register_partner(ORG, "Carers Trust Birmingham", &[&partner.origin])
        .await;
    let partner = partner.serve(page("Carers Trust Birmingham", "<p>Our own form</p>"));
    let stranger = PartnerSite::bind().serve(page("Somewhere else", "<p>Not a partner</p>"));
    let browser = Browser::start(&chromium, &driver).await;
    let send = "var done = arguments[arguments.length - 1];
        fetch(arguments[0], {method: 'POST', body: JSON.stringify(arguments[2]),
            headers: {'Content-Type': 'application/json', 'X-Partner-Key': arguments[1]}})
        .then(function (r) { return r.json().then(function (b) { done({status: r.status, body: b}); }); })
        .catch(function (e) { done({error: String(e)}); });";
    let args = vec![
        json!(app.url("/v1/self-referrals")),
        json!(key),
        self_referral_body(),
    ];

    browser.goto(&partner.origin).await;
    let answer = browser.execute_async(send, args.clone()).await;
    assert_eq!(answer["status"], 201, "{answer}");
    let reference = answer["body"]["reference"].as_str().unwrap().to_owned();

    browser.goto(&stranger.origin).await;
    let answer = browser.execute_async(send, args).await;
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "the browser keeps the answer from a stranger's page: {answer}"
    );

    let found = self_referrals(&app).await;
    assert_eq!(found.len(), 1, "the refused preflight sent nothing");
    assert_eq!(found[0]["reference"], reference.as_str());
    drop(browser);
    app.finish().await;
}

/// `/docs` on a closed network: Chromium can reach this machine only, and the page still
/// shows our operations, having asked nothing of any other host.
#[tokio::test]
async fn the_docs_render_offline_from_the_binary() {
    let Some((chromium, driver)) = browser_or_skip("browser: docs offline") else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let app = spawn_app().await;
    let browser = Browser::start_with(&chromium, &driver, OFFLINE).await;
    browser.goto(&app.url("/docs")).await;
    let shown = browser
        .wait_for(
            "the operations of the spec",
            "var ops = document.querySelectorAll('.opblock');
             return ops.length > 20 && document.body.innerText;",
        )
        .await;
    let shown = shown.as_str().unwrap();
    screenshot(&browser, "docs").await;
    for expected in [
        "/v1/self-referrals",
        "Refer yourself, from a partner's web form.",
        "/v1/referrals/{id}",
        "self-referrals",
    ] {
        assert!(shown.contains(expected), "{expected:?} not on the page");
    }
    // Everything the page loaded came from the service itself.
    let origin = app.url("");
    let loaded = browser
        .execute(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; });",
            vec![],
        )
        .await;
    let loaded: Vec<&str> = loaded
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        loaded.iter().any(|u| u.ends_with("/openapi.json")),
        "{loaded:?}"
    );
    for url in &loaded {
        assert!(url.starts_with(&origin), "{url} is not from {origin}");
    }
    drop(browser);
    app.finish().await;
}

/// With JavaScript off, the form posts itself: errors come back at their fields, then the
/// reference, all as pages from the server.
#[tokio::test]
async fn without_javascript_the_form_is_sent_and_answered_in_html() {
    let Some((chromium, driver)) = browser_or_skip("browser: no script") else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let app = spawn_app().await;
    let (_, key) = app
        .register_partner(
            ORG,
            "Carers Trust Birmingham",
            &["https://www.example.org.uk"],
        )
        .await;
    let browser = Browser::start_with(&chromium, &driver, NO_SCRIPT).await;
    browser
        .goto(&app.url(&format!("/embed/self-referral?key={key}")))
        .await;
    browser.find("#given_name").await.type_text("Delroy").await;
    browser
        .find("#family_name")
        .await
        .type_text("Campbell")
        .await;
    browser.find("#dob-day").await.type_text("2").await;
    browser.find("#dob-month").await.type_text("7").await;
    browser.find("#dob-year").await.type_text("1958").await;
    browser.find("#postcode").await.type_text("B11 4BW").await;
    browser
        .find("label[for=preferred_contact-letter]")
        .await
        .click()
        .await;
    browser
        .find("label[for=help_with-loneliness_isolation]")
        .await
        .click()
        .await;
    browser.find("label[for=consent-given]").await.click().await;
    browser.find("#submit").await.click().await;

    // A letter needs an address: the page comes back with the error at the address.
    // (The old page has the same ids, hidden: waiting for them shown waits for the new.)
    let error = browser
        .find("#address_lines-error:not([hidden])")
        .await
        .text()
        .await;
    screenshot(&browser, "self-referral-no-script-errors").await;
    assert!(error.contains("Enter your address"), "{error}");
    let summary = browser
        .find("#error-summary:not([hidden])")
        .await
        .text()
        .await;
    assert!(summary.contains("Enter your address"), "{summary}");
    assert_eq!(
        browser
            .find("#given_name")
            .await
            .attribute("value")
            .await
            .as_deref(),
        Some("Delroy"),
        "the answers are kept"
    );
    assert!(
        browser
            .find("#preferred_contact-letter")
            .await
            .is_selected()
            .await
    );
    assert_eq!(
        browser
            .find("#address_line_1")
            .await
            .attribute("aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    browser
        .find("#address_line_1")
        .await
        .type_text("12 Stratford Road")
        .await;
    browser
        .find("#address_line_3")
        .await
        .type_text("Birmingham")
        .await;
    browser.find("#submit").await.click().await;

    let reference = browser
        .find("#done:not([hidden]) #reference")
        .await
        .text()
        .await;
    screenshot(&browser, "self-referral-no-script-sent").await;
    assert!(reference.starts_with("SRX-"), "{reference}");
    let found = self_referrals(&app).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["reference"], reference.as_str());
    assert_eq!(
        found[0]["person"]["address_lines"],
        json!(["12 Stratford Road", "Birmingham"])
    );
    drop(browser);
    app.finish().await;
}

/// Ticking domestic abuse shows the safety text; Escape then replaces the page with a
/// neutral one, leaving no history entry behind.
#[tokio::test]
async fn domestic_abuse_shows_safety_text_and_escape_leaves_the_page() {
    let Some((chromium, driver)) = browser_or_skip("browser: quick exit") else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let app = spawn_app().await;
    let neutral = PartnerSite::bind();
    let neutral_url = format!("{}/weather", neutral.origin);
    let neutral = neutral.serve(page("Weather", "<p>Sunny intervals.</p>"));
    let (_, key) = app
        .register_partner(
            ORG,
            "Carers Trust Birmingham",
            &["https://www.example.org.uk"],
        )
        .await;
    let browser = Browser::start_with(&chromium, &driver, OFFLINE).await;
    browser
        .goto(&app.url(&format!("/embed/self-referral?key={key}")))
        .await;
    let safety = browser.find("#safety").await;
    let shown = "return getComputedStyle(document.getElementById('safety')).display !== 'none';";
    assert_eq!(
        browser.execute(shown, vec![]).await,
        false,
        "hidden at first"
    );
    browser
        .find("label[for=help_with-domestic_abuse]")
        .await
        .click()
        .await;
    assert_eq!(
        browser.execute(shown, vec![]).await,
        true,
        "shown when ticked"
    );
    let text = safety.text().await;
    assert!(
        text.contains("history") && text.contains("Escape"),
        "{text}"
    );
    let exit = browser.find("#quick-exit").await;
    assert_eq!(
        exit.attribute("href").await.as_deref(),
        Some("https://www.bbc.co.uk/weather")
    );
    screenshot(&browser, "self-referral-safety").await;
    // The browser here cannot reach the BBC: the exit goes to a local stand-in.
    browser
        .execute(
            "document.getElementById('quick-exit').href = arguments[0];",
            vec![json!(neutral_url)],
        )
        .await;
    let before = browser.execute("return history.length;", vec![]).await;
    browser
        .find("#given_name")
        .await
        .type_text("\u{E00C}")
        .await;
    browser
        .wait_for("the neutral page", "return document.title === 'Weather';")
        .await;
    let after = browser.execute("return history.length;", vec![]).await;
    assert_eq!(
        before, after,
        "the form's page was replaced, not left in history"
    );
    drop(browser);
    drop(neutral);
    app.finish().await;
}
