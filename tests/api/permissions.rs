//! The permission table, checked whole: every operation with every role.

use socialrx_domain::Role;

use crate::support::*;

fn concrete(path: &str) -> String {
    // Any id will do: the role check comes before the lookup.
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        out.push_str("01a20159-67f6-732d-b6ed-d9503e62ffc1");
        rest = &rest[rest[start..].find('}').unwrap() + start + 1..];
    }
    out + rest
}

#[test]
fn the_table_lists_exactly_the_documented_operations() {
    let spec = serde_json::to_value(socialrx_api::openapi()).unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut table: Vec<(String, String)> = socialrx_api::routes::operations()
        .iter()
        .map(|o| (o.method.to_owned(), o.path.to_owned()))
        .collect();
    documented.sort();
    table.sort();
    assert_eq!(table, documented);
}

#[tokio::test]
async fn every_operation_refuses_every_role_it_does_not_grant_and_admits_the_rest() {
    let app = spawn_app().await;
    let spec = serde_json::to_value(socialrx_api::openapi()).unwrap();
    for op in socialrx_api::routes::operations() {
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let url = app.url(&concrete(&op.path));
        let Some(permission) = op.permission else {
            let status = app
                .client
                .request(method, &url)
                .send()
                .await
                .unwrap()
                .status();
            // A public route that takes a partner key instead of a token (self-referral
            // forms) is 401 without one, whatever the roles.
            let security = &spec["paths"][&op.path][op.method.to_lowercase()]["security"];
            if security.to_string().contains("partner_key") {
                assert_eq!(status, 401, "{} {} needs a partner key", op.method, op.path);
            } else {
                // Not 5xx either: a handler that takes `Authorized` on an endpoint the
                // table declares public fails closed with 500.
                assert!(
                    status != 401 && status != 403 && !status.is_server_error(),
                    "{} {} is public: {status}",
                    op.method,
                    op.path
                );
            }
            continue;
        };
        for role in Role::ALL {
            let token = app.token(ORG, &[role.as_str()]);
            let mut request = app.client.request(method.clone(), &url).bearer_auth(token);
            if matches!(op.method, "POST" | "PUT" | "PATCH") {
                request = request.json(&serde_json::json!({}));
            }
            let status = request.send().await.unwrap().status().as_u16();
            let granted = permission.roles().contains(role);
            if granted {
                assert!(
                    status != 401 && status != 403,
                    "{} {} should admit {role}: {status}",
                    op.method,
                    op.path
                );
            } else {
                assert_eq!(
                    status, 403,
                    "{} {} should refuse {role}",
                    op.method, op.path
                );
            }
        }
    }
    app.finish().await;
}

/// The README's Roles section is the permission table, row for row.
#[test]
fn the_readme_shows_the_permission_table_as_it_is_in_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let operations = socialrx_api::routes::operations();
    let mut expected = String::from("| permission | roles | operations |\n|---|---|---|\n");
    for permission in socialrx_domain::Permission::ALL {
        let roles: Vec<&str> = permission.roles().iter().map(|r| r.as_str()).collect();
        let ops: Vec<String> = operations
            .iter()
            .filter(|o| o.permission == Some(*permission))
            .map(|o| format!("`{} {}`", o.method, o.path))
            .collect();
        expected.push_str(&format!(
            "| `{permission}` | {} | {} |\n",
            roles.join(", "),
            ops.join("<br>")
        ));
    }
    assert!(
        readme.contains(&expected),
        "README.md's Roles table is out of date; replace it with:\n\n{expected}"
    );
}
