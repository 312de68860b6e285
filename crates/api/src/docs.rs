//! The readable API docs at `/docs`: Swagger UI reading `/openapi.json`, every byte of it
//! served from this binary. The service runs on closed networks, so the page names no
//! other host, and its policy (CSP) lets the browser load nothing from anywhere else.
//!
//! The Swagger UI files are the `swagger-ui-dist` npm package, vendored unchanged in
//! `crates/api/vendor/swagger-ui-dist` (its README says how to update them). Their
//! addresses carry the version, so browsers may keep them for a year; the page itself is
//! never cached, so a new binary brings its new spec and assets at once.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::middleware::Compress;
use actix_web::{HttpResponse, web};

use crate::resource::resource;

/// The vendored `swagger-ui-dist` version; also the assets' folder in their addresses.
pub const SWAGGER_UI_VERSION: &str = "5.35.0";

const BUNDLE: &str = include_str!("../vendor/swagger-ui-dist/swagger-ui-bundle.js");
const STYLESHEET: &str = include_str!("../vendor/swagger-ui-dist/swagger-ui.css");
const START: &str = include_str!("docs/docs.js");
const PAGE: &str = include_str!("docs/docs.html");

/// Scripts and styles from this service only; Swagger UI sets inline styles, and shows
/// `data:` images. Requests ("Try it out") go to this service only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
    connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

/// Where the assets are, relative to `/docs`.
fn asset_folder() -> String {
    format!("docs/swagger-ui-{SWAGGER_UI_VERSION}")
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let folder = format!("/{}", asset_folder());
    cfg.service(resource("/docs").get(page))
        .service(resource("/docs/docs.js").get(start))
        .service(
            web::scope(&folder)
                // 1.7 MB of script is 0.45 MB gzipped; the browser then keeps it.
                .wrap(Compress::default())
                .service(resource("/swagger-ui-bundle.js").get(bundle))
                .service(resource("/swagger-ui.css").get(stylesheet)),
        );
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .body(PAGE.replace("{{assets}}", &asset_folder()))
}

async fn bundle() -> HttpResponse {
    asset("text/javascript; charset=utf-8", BUNDLE)
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// Ours, not versioned: browsers check it again after five minutes.
async fn start() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(300),
        ]))
        .body(START)
}

/// A versioned asset: its address changes whenever its content does.
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(31_536_000),
            CacheDirective::Extension("immutable".into(), None),
        ]))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_no_other_host() {
        let page = PAGE.replace("{{assets}}", &asset_folder());
        for attribute in ["src=\"", "href=\""] {
            for (i, _) in page.match_indices(attribute) {
                let url = &page[i + attribute.len()..];
                assert!(
                    url.starts_with("docs/") || url.starts_with("openapi.json"),
                    "{attribute}{}",
                    &url[..url.find('"').unwrap_or(url.len())]
                );
            }
        }
        assert!(!START.contains("://"), "docs.js names no address: {START}");
    }

    #[test]
    fn the_vendored_version_is_the_one_in_the_addresses() {
        let package = include_str!("../vendor/swagger-ui-dist/package.json");
        assert!(
            package.contains(&format!("\"version\": \"{SWAGGER_UI_VERSION}\"")),
            "update SWAGGER_UI_VERSION with the vendored files"
        );
    }
}
