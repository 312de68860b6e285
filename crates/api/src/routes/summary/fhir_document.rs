//! The summary as a FHIR R4 document: a `Bundle` of type `document` whose first entry is
//! the `Composition` (coded with SNOMED CT), then the Patient and the two Organizations
//! it names. Each section carries its narrative as XHTML, the same text as the PDF.
//!
//! Codes: the Composition's type is 371530004 |Clinical consultation report (record
//! artifact)|; its event is 871731000000106 |Referral to social prescribing service|,
//! the code the GP system recorded when it referred.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use socialrx_pdf::Block;
use socialrx_store::Store;
use uuid::Uuid;

use super::{ReferralSummary, document, read_summary, rfc3339};
use crate::access::Authorized;
use crate::error::ApiError;
use crate::error::fhir::FHIR_JSON;
use crate::routes::fhir::mapping::{
    NHS_NUMBER, ODS_ORGANISATION_CODE, SNOMED, SOCIAL_PRESCRIBING_REFERRAL,
};

/// SNOMED CT 371530004 |Clinical consultation report (record artifact)|.
const CONSULTATION_REPORT: &str = "371530004";

/// Text safe inside XHTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A section's blocks as the XHTML a FHIR narrative holds.
fn xhtml(blocks: &[Block]) -> String {
    let mut html = String::from("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
    for block in blocks {
        match block {
            Block::Heading(t) => html.push_str(&format!("<h3>{}</h3>", escape(t))),
            Block::Paragraph(t) => html.push_str(&format!("<p>{}</p>", escape(t))),
            Block::List(items) => {
                html.push_str("<ul>");
                for i in items {
                    html.push_str(&format!("<li>{}</li>", escape(i)));
                }
                html.push_str("</ul>");
            }
            Block::Fields(pairs) => {
                html.push_str("<table>");
                for (label, value) in pairs {
                    html.push_str(&format!(
                        "<tr><th>{}</th><td>{}</td></tr>",
                        escape(label),
                        escape(value)
                    ));
                }
                html.push_str("</table>");
            }
            Block::Table { headers, rows } => {
                html.push_str("<table><thead><tr>");
                for h in headers {
                    html.push_str(&format!("<th>{}</th>", escape(h)));
                }
                html.push_str("</tr></thead><tbody>");
                for row in rows {
                    html.push_str("<tr>");
                    for cell in row {
                        html.push_str(&format!("<td>{}</td>", escape(cell)));
                    }
                    html.push_str("</tr>");
                }
                html.push_str("</tbody></table>");
            }
        }
    }
    html.push_str("</div>");
    html
}

fn organization(id: Uuid, ods: &str) -> Value {
    json!({
        "fullUrl": format!("urn:uuid:{id}"),
        "resource": {
            "resourceType": "Organization",
            "id": id,
            "identifier": [{"system": ODS_ORGANISATION_CODE, "value": ods}],
        }
    })
}

/// The document Bundle of a summary. Ids inside it are derived from the referral (UUID
/// v5), so the same summary read twice names the same resources.
pub fn bundle(s: &ReferralSummary) -> Value {
    let derived = |what: &str| Uuid::new_v5(&s.referral_id, what.as_bytes());
    let (composition, patient, service, referrer) = (
        derived("composition"),
        derived("patient"),
        derived("service"),
        derived("referrer"),
    );
    let mut identifiers = Vec::new();
    if let Some(n) = &s.person.nhs_number {
        identifiers.push(json!({"system": NHS_NUMBER, "value": n}));
    }
    let mut patient_resource = json!({
        "resourceType": "Patient",
        "id": patient,
        "identifier": identifiers,
        "name": [{"family": s.person.family_name, "given": [s.person.given_name]}],
        "birthDate": s.person.date_of_birth,
    });
    if let Some(practice) = &s.person.gp_practice {
        patient_resource["generalPractitioner"] =
            json!([{"identifier": {"system": ODS_ORGANISATION_CODE, "value": practice}}]);
    }
    let sections: Vec<Value> = document::sections(s)
        .into_iter()
        .map(|(title, blocks)| {
            json!({
                "title": title,
                "text": {"status": "generated", "div": xhtml(&blocks)},
            })
        })
        .collect();
    let mut period = json!({"start": rfc3339(s.referral.received_at)});
    if let Some(closed) = s.referral.closed_at {
        period["end"] = json!(rfc3339(closed));
    }
    let generated = rfc3339(s.generated_at);
    json!({
        "resourceType": "Bundle",
        "id": Uuid::new_v4(),
        "meta": {"lastUpdated": generated},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{composition}")},
        "type": "document",
        "timestamp": generated,
        "entry": [
            {
                "fullUrl": format!("urn:uuid:{composition}"),
                "resource": {
                    "resourceType": "Composition",
                    "id": composition,
                    "status": if s.referral.closed_at.is_some() { "final" } else { "preliminary" },
                    "type": {"coding": [{"system": SNOMED, "code": CONSULTATION_REPORT,
                        "display": "Clinical consultation report"}],
                        "text": "Social prescribing summary"},
                    "subject": {"reference": format!("urn:uuid:{patient}")},
                    "date": generated,
                    "author": [{"reference": format!("urn:uuid:{service}")}],
                    "title": "Social prescribing summary",
                    "custodian": {"reference": format!("urn:uuid:{service}")},
                    "event": [{
                        "code": [{"coding": [{"system": SNOMED, "code": SOCIAL_PRESCRIBING_REFERRAL,
                            "display": "Referral to social prescribing service"}]}],
                        "period": period,
                    }],
                    "section": sections,
                }
            },
            {"fullUrl": format!("urn:uuid:{patient}"), "resource": patient_resource},
            organization(service, &s.referral.receiving_service),
            organization(referrer, &s.referral.referrer_organisation),
        ]
    })
}

/// The summary for the GP and the referrer as a FHIR R4 document.
///
/// A `Bundle` of type `document`: the `Composition` first (type SNOMED CT 371530004
/// |Clinical consultation report|, event 871731000000106 |Referral to social prescribing
/// service|, status `final` once the referral is closed, `preliminary` before), then the
/// Patient (NHS number, registered practice) and the receiving and referring
/// Organizations. Its sections are those of `GET /v1/referrals/{id}/summary`, as
/// narrative, in the same order and with the same audience rule: the organisation that
/// sent the referral reads it without risks and safeguarding.
#[utoipa::path(get, path = "/fhir/r4/Composition/{id}/$document", tag = "fhir", operation_id = "fhir_summary_document",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The document Bundle", body = crate::routes::fhir::schemas::Bundle, content_type = "application/fhir+json"),
        (status = 401, description = "No valid token", body = crate::routes::fhir::schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::routes::fhir::schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No such referral sent or held by your organisation", body = crate::routes::fhir::schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "The database is unavailable", body = crate::routes::fhir::schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn get_document(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let summary = read_summary(&req, &caller, id.into_inner(), store.as_ref()).await?;
    Ok(HttpResponse::Ok()
        .content_type(FHIR_JSON)
        .body(bundle(&summary).to_string()))
}
