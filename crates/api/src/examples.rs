//! Request and response examples for the OpenAPI spec and the README tour.

use serde_json::{Value, json};

pub fn referral_request() -> Value {
    json!({
        "person": {
            "nhs_number": "9434765919",
            "given_name": "Margaret",
            "family_name": "Hughes",
            "date_of_birth": "1971-03-14",
            "postcode": "HD1 2RS",
            "phone": "01484 496000",
            "preferred_contact": "phone",
            "language": "English",
            "interpreter_needed": false,
            "accessibility_needs": "Mornings are difficult",
            "registered_practice": "B85001"
        },
        "source": "gp",
        "referrer": {"ods_code": "B85001", "name": "Dr Asha Patel", "role": "GP"},
        "reasons": ["low_mood_anxiety", "long_term_condition", "carer_support"],
        "notes": "Cares for her adult son. Interested in local history and crochet.",
        "urgency": "routine",
        "consent": {"given": true, "given_at": "2026-11-20T10:15:00Z", "method": "verbal"}
    })
}

pub fn self_referral_request() -> Value {
    json!({
        "given_name": "Delroy",
        "family_name": "Campbell",
        "date_of_birth": "1958-07-02",
        "postcode": "B11 4BW",
        "phone": "0121 496 0000",
        "preferred_contact": "phone",
        "help_with": ["loneliness_isolation", "physical_activity"],
        "help_with_details": "Since I retired I hardly see anyone. I used to play dominoes.",
        "consent": {"given": true}
    })
}

pub fn referral_response() -> Value {
    let mut body = referral_request();
    let person = body["person"].as_object_mut().expect("an object");
    person.insert("id".into(), json!("019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7b"));
    person.insert("email".into(), Value::Null);
    body["id"] = json!("019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a");
    body["reference"] = json!("SRX-7K3M-9QPD");
    body["status"] = json!("received");
    body["created_at"] = json!("2026-11-22T09:30:00Z");
    body["updated_at"] = json!("2026-11-22T09:30:00Z");
    body["link_worker_id"] = Value::Null;
    body["possible_duplicates"] = json!([]);
    body
}

pub fn provider_request() -> Value {
    json!({
        "name": "Leeds Libraries",
        "description": "Branch libraries across Leeds hosting community groups.",
        "contact": {"phone": "0113 378 5005", "website": "https://www.leeds.gov.uk/libraries"}
    })
}

pub fn activity_request() -> Value {
    json!({
        "provider_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b90",
        "name": "Knit and Natter",
        "description": "A friendly knitting and crochet group. Beginners welcome; wool provided.",
        "categories": ["arts_and_crafts", "social_groups_and_befriending"],
        "join_method": "drop_in",
        "cost": {"free": true},
        "age_min": 18,
        "accessibility": ["step_free_access", "accessible_toilet"],
        "location": {"address": "Headingley Library, North Lane", "town": "Leeds", "postcode": "LS6 3HG"},
        "schedule": [{"day": "tuesday", "start": "10:00", "end": "11:30"}],
        "contact": {"name": "Library desk", "phone": "0113 378 5005"},
        "capacity": 15,
        "taking_new_people": true,
        "last_verified_on": "2026-11-01"
    })
}

pub fn activity_response() -> Value {
    let mut body = activity_request();
    let object = body.as_object_mut().expect("an object");
    let provider_id = object.remove("provider_id").unwrap_or(Value::Null);
    object.insert("id".into(), json!("019a9f6e-2b1c-7d40-9a51-3c2f1e0d4c01"));
    object.insert(
        "provider".into(),
        json!({"id": provider_id, "name": "Leeds Libraries"}),
    );
    object.insert("status".into(), json!("active"));
    object.insert("age_max".into(), Value::Null);
    object.insert("online".into(), json!(false));
    object.insert("confidential_location".into(), json!(false));
    object.insert(
        "location".into(),
        json!({"address": "Headingley Library, North Lane", "town": "Leeds", "postcode": "LS6 3HG",
               "latitude": 53.8197, "longitude": -1.5786, "area": null}),
    );
    object.insert("next_session".into(), json!("2026-11-24T10:00:00Z"));
    object.insert("stale".into(), json!(false));
    object.insert("distance_km".into(), json!(1.42));
    object.insert("version".into(), json!(1));
    object.insert("updated_at".into(), json!("2026-11-22T09:30:00Z"));
    body
}
