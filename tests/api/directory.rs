//! The directory: editors add providers and activities, anyone searches them.
//! Journeys 3 (Leeds North: Tai Chi near the person, a refuge never "near") and 4
//! (Camden: a practice that runs its own garden group).

use serde_json::{Value, json};

use crate::support::*;

pub fn editor(app: &TestApp) -> String {
    app.token(ORG, &["directory_editor"])
}

pub async fn add_provider(app: &TestApp, token: &str, name: &str) -> String {
    let response = app
        .post("/v1/providers")
        .bearer_auth(token)
        .json(&json!({"name": name, "contact": {"website": "https://example.org"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

pub fn activity_body(provider: &str, name: &str) -> Value {
    json!({
        "provider_id": provider,
        "name": name,
        "description": "A friendly group. Newcomers welcome.",
        "categories": ["social_groups_and_befriending"],
        "join_method": "drop_in",
        "cost": {"free": true},
        "location": {"address": "Headingley Library, North Lane", "town": "Leeds", "postcode": "LS6 3HG"},
        "schedule": [{"day": "tuesday", "start": "10:00", "end": "11:30"}],
        "last_verified_on": "2026-11-01"
    })
}

pub async fn add_activity(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app
        .post("/v1/activities")
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn search(app: &TestApp, query: &str) -> Value {
    let response = app
        .get(&format!("/v1/activities?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "{query}: {}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_editor_adds_an_activity_that_anyone_can_read_and_find_at_once() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Leeds Libraries").await;
    let created = add_activity(&app, &token, &activity_body(&provider, "Knit and Natter")).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["provider"]["name"], "Leeds Libraries");
    assert_eq!(created["status"], "active");
    assert_eq!(created["location"]["postcode"], "LS6 3HG");
    assert!(
        created["location"]["latitude"].as_f64().unwrap() > 53.7,
        "placed by sector"
    );
    assert!(
        created["next_session"]
            .as_str()
            .unwrap()
            .contains("T10:00:00")
    );

    // Public: no token.
    let read = app
        .get(&format!("/v1/activities/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"], "\"1\"");
    let page = search(&app, "q=knitting").await;
    assert_eq!(names(&page), vec!["Knit and Natter"]);
    let provider_read = app
        .get(&format!("/v1/providers/{provider}"))
        .send()
        .await
        .unwrap();
    assert_eq!(provider_read.status(), 200);
    let (_, categories) = app.get_json("/v1/categories", "").await;
    assert_eq!(categories.as_array().unwrap().len(), 14);
    app.finish().await;
}

#[tokio::test]
async fn changes_need_the_matching_etag_and_are_searchable_at_once() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Leeds Libraries").await;
    let created = add_activity(&app, &token, &activity_body(&provider, "Chess club")).await;
    let path = format!("/v1/activities/{}", created["id"].as_str().unwrap());

    let renamed = activity_body(&provider, "Draughts club");
    let response = app
        .client
        .put(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    assert_eq!(
        names(&search(&app, "q=draughts").await),
        vec!["Draughts club"]
    );
    assert!(names(&search(&app, "q=chess").await).is_empty());

    // A second editor still holding version 1 is refused.
    let stale = app
        .client
        .put(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&activity_body(&provider, "Backgammon club"))
        .send()
        .await
        .unwrap();
    problem(stale, 412).await;

    // Another organisation's editor cannot touch it.
    let other = app.token(OTHER_ORG, &["directory_editor"]);
    let foreign = app
        .client
        .put(app.url(&path))
        .bearer_auth(&other)
        .json(&renamed)
        .send()
        .await
        .unwrap();
    problem(foreign, 404).await;

    let deleted = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    problem(app.get(&path).send().await.unwrap(), 404).await;
    assert!(names(&search(&app, "q=draughts").await).is_empty());
    app.finish().await;
}

#[tokio::test]
async fn activity_rules_are_reported_field_by_field() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Leeds Libraries").await;
    let mut body = activity_body(&provider, " ");
    body["categories"] = json!(["knitting"]);
    body["cost"] = json!({"free": false});
    body["schedule"] = json!([{"day": "funday", "start": "11:00", "end": "10:00"}]);
    body["location"]["postcode"] = json!("BT1 1AA");
    body["last_verified_on"] = json!("2999-01-01");
    let response = app
        .post("/v1/activities")
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let p = problem(response, 422).await;
    for field in [
        "name",
        "categories[0]",
        "cost",
        "schedule[0].day",
        "location.postcode",
        "last_verified_on",
    ] {
        error_for(&p, field);
    }
    assert_eq!(
        error_for(&p, "location.postcode")["code"],
        "postcode_not_gb"
    );

    // Someone else's provider.
    let other = app.token(OTHER_ORG, &["directory_editor"]);
    let response = app
        .post("/v1/activities")
        .bearer_auth(&other)
        .json(&activity_body(&provider, "Tai Chi"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_for(&problem(response, 422).await, "provider_id")["code"],
        "unknown_provider"
    );
    app.finish().await;
}

/// Journey 3: a person in Leeds North who is very lonely; Tai Chi on a weekday morning
/// near them, free, and a walking group; a refuge never shown as near.
#[tokio::test]
async fn leeds_north_tai_chi_on_a_weekday_morning_near_the_person_and_a_walking_group() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Leeds North Wellbeing").await;
    let mut tai_chi = activity_body(&provider, "Tai Chi for beginners");
    tai_chi["categories"] = json!(["physical_activity"]);
    tai_chi["location"] =
        json!({"address": "Chapel Allerton Community Centre", "postcode": "LS7 4NZ"});
    tai_chi["schedule"] = json!([{"day": "wednesday", "start": "10:00", "end": "11:00"}]);
    add_activity(&app, &token, &tai_chi).await;
    let mut evening = tai_chi.clone();
    evening["name"] = json!("Tai Chi (evening)");
    evening["schedule"] = json!([{"day": "wednesday", "start": "18:30", "end": "19:30"}]);
    add_activity(&app, &token, &evening).await;
    let mut paid = tai_chi.clone();
    paid["name"] = json!("Tai Chi masterclass");
    paid["cost"] = json!({"free": false, "amount_pence": 500, "unit": "per_session"});
    add_activity(&app, &token, &paid).await;
    let mut far = tai_chi.clone();
    far["name"] = json!("Tai Chi in Bristol");
    far["location"] = json!({"postcode": "BS1 4DJ"});
    add_activity(&app, &token, &far).await;
    let mut walking = activity_body(&provider, "Meanwood Park Walking Group");
    walking["categories"] = json!(["physical_activity", "nature_and_gardening"]);
    walking["location"] = json!({"postcode": "LS6 4LZ"});
    add_activity(&app, &token, &walking).await;
    let mut refuge = activity_body(&provider, "Domestic abuse support drop-in");
    refuge["categories"] = json!(["domestic_abuse_support"]);
    refuge["join_method"] = json!("referral");
    refuge["confidential_location"] = json!(true);
    refuge["location"] = json!({"postcode": "LS7 3AB", "area": "North Leeds"});
    add_activity(&app, &token, &refuge).await;

    let weekday_mornings =
        "day=monday&day=tuesday&day=wednesday&day=thursday&day=friday&from=06:00&to=12:00";
    let page = search(
        &app,
        &format!("q=tai+chi&near=LS7+3AB&radius_km=5&free=true&{weekday_mornings}"),
    )
    .await;
    assert_eq!(names(&page), vec!["Tai Chi for beginners"]);
    let hit = &page["items"][0];
    assert!(hit["distance_km"].as_f64().unwrap() < 5.0);
    assert!(hit["next_session"].as_str().unwrap().contains("T10:00:00"));
    assert_eq!(hit["stale"], false);

    let page = search(&app, "q=walk&near=LS7&radius_km=10").await;
    assert_eq!(names(&page), vec!["Meanwood Park Walking Group"]);

    // Near the person: never the refuge, though it is 0 km away.
    let page = search(&app, "near=LS7+3AB&radius_km=50").await;
    let near = names(&page);
    assert!(!near.iter().any(|n| n.contains("abuse")), "{near:?}");
    assert!(!near.contains(&"Tai Chi in Bristol".to_owned()));
    let distances: Vec<f64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["distance_km"].as_f64().unwrap())
        .collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]),
        "nearest first: {distances:?}"
    );
    // It is in the directory, shown only as an area.
    let page = search(&app, "category=domestic_abuse_support").await;
    let refuge = &page["items"][0];
    assert_eq!(
        refuge["location"],
        json!({"address": null, "town": null, "postcode": null, "latitude": null, "longitude": null, "area": "North Leeds"})
    );
    assert!(refuge.get("distance_km").is_none());
    app.finish().await;
}

#[tokio::test]
async fn search_pages_by_cursor_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Camden Green Gym").await;
    for n in 0..7 {
        add_activity(
            &app,
            &token,
            &activity_body(&provider, &format!("Garden group {n}")),
        )
        .await;
    }
    for query in ["q=garden&limit=3", "limit=3", "near=LS6&limit=3"] {
        let mut seen = Vec::new();
        let mut page = search(&app, query).await;
        loop {
            seen.extend(names(&page));
            let Some(cursor) = page["next_cursor"].as_str() else {
                break;
            };
            page = search(&app, &format!("{query}&cursor={cursor}")).await;
        }
        let mut distinct = seen.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!((seen.len(), distinct.len()), (7, 7), "{query}: {seen:?}");
    }
    app.finish().await;
}

#[tokio::test]
async fn search_parameters_that_break_rules_are_named() {
    let app = spawn_app().await;
    for (query, field, code) in [
        ("near=BT1+1AA", "near", "postcode_not_gb"),
        ("near=ZZ99", "near", "postcode_unknown"),
        ("near=hello", "near", "postcode_format"),
        ("category=knitting", "category", "not_in_list"),
        ("day=funday", "day", "not_in_list"),
        ("free=yes", "free", "type"),
        ("radius_km=500&near=LS6", "radius_km", "out_of_range"),
        ("lat=53.8", "lon", "required"),
        ("sort=distance", "sort", "requires_point"),
        ("sort=relevance", "sort", "requires_q"),
        ("from=12:00&to=09:00", "to", "time_order"),
        ("cursor=nonsense", "cursor", "cursor_format"),
        ("colour=blue", "colour", "unknown_parameter"),
        ("limit=0", "limit", "out_of_range"),
    ] {
        let response = app
            .get(&format!("/v1/activities?{query}"))
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert_eq!(error_for(&body, field)["code"], code, "{query}");
    }
    app.finish().await;
}

#[tokio::test]
async fn an_activity_unverified_for_longer_than_the_period_is_stale() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Leeds Libraries").await;
    let mut old = activity_body(&provider, "Old group");
    old["last_verified_on"] = json!("2020-01-01");
    add_activity(&app, &token, &old).await;
    let mut never = activity_body(&provider, "Unchecked group");
    never.as_object_mut().unwrap().remove("last_verified_on");
    add_activity(&app, &token, &never).await;
    let page = search(&app, "sort=name").await;
    assert_eq!(names(&page), vec!["Old group", "Unchecked group"]);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["stale"] == true)
    );
    assert!(names(&search(&app, "verified_within_days=30").await).is_empty());
    app.finish().await;
}

#[tokio::test]
async fn a_confidential_address_is_shown_to_its_editor_to_correct_and_never_to_the_public() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Leeds Women's Aid").await;
    let mut body = activity_body(&provider, "Refuge drop-in");
    body["confidential_location"] = json!(true);
    body["location"]["area"] = json!("North Leeds");
    let created = add_activity(&app, &token, &body).await;
    // The editor who entered it sees what was stored ...
    assert_eq!(
        created["location"]["address"],
        "Headingley Library, North Lane"
    );
    assert_eq!(created["location"]["postcode"], "LS6 3HG");
    let id = created["id"].as_str().unwrap();
    let read = |token: Option<String>| {
        let mut request = app.get(&format!("/v1/activities/{id}"));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let theirs = read(Some(token.clone())).await;
    assert_eq!(
        theirs["location"]["address"],
        "Headingley Library, North Lane"
    );
    assert_eq!(theirs["location"]["postcode"], "LS6 3HG");
    // ... and nobody else does: not the public, not another organisation's editor, not a
    // link worker of the same organisation.
    for other in [
        None,
        Some(app.token("Y11111", &["directory_editor"])),
        Some(app.token(ORG, &["link_worker"])),
    ] {
        let seen = read(other).await;
        let l = &seen["location"];
        assert!(l["address"].is_null() && l["postcode"].is_null(), "{seen}");
        assert_eq!(l["area"], "North Leeds");
    }
    let found = search(&app, "q=refuge").await;
    assert!(!found.to_string().contains("LS6 3HG"), "{found}");
    app.finish().await;
}
