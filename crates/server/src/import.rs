//! `socialrx import-oruk <path>`: reads Open Referral UK services (the 3.0 shape, bare or
//! in a page envelope, or the older v1 list format) and upserts them into the directory
//! by the feed's own ids, so that a second import of the same feed changes nothing. A
//! record that cannot be taken is reported with the reason; the import goes on.
//!
//! Feeds are untrusted input: HTML is stripped from descriptions, every field passes the
//! same rules as the API, and staff details in feed metadata are not read.
//!
//! - A feed id seen twice (in one file or across the files of a directory, read in name
//!   order): the first record is imported, each later one is rejected as a duplicate, so
//!   that a re-import finds everything unchanged instead of flipping between the two.
//! - The feed's ids are kept as `external_id`; `/oruk/services/{feed id}` answers by them.
//! - A service with no `organization` (v1 feeds have them) is imported under a provider
//!   of the importing organisation named "<ODS code> (organisation not named in the
//!   feed)", and listed on a `flagged <id>: ...` line of the output: the provider's name
//!   shows in the directory and ORUK responses until an editor moves the activity to its
//!   real provider.
//! - An empty v1 `fees` is "cost unknown", not "free".

use std::path::Path;

use serde_json::Value;
use socialrx_store::{Store, Upserted};

mod categories;
mod convert;

use convert::{Converted, convert};

#[derive(Debug, Default)]
pub struct Report {
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<(String, String)>,
    /// Imported, but with something for an editor to put right.
    pub flagged: Vec<(String, String)>,
}

/// The service records in a file: an array, a page envelope's `contents`, or one service.
fn records(doc: Value) -> Vec<Value> {
    match doc {
        Value::Array(items) => items,
        Value::Object(mut o) if o.contains_key("contents") => match o.remove("contents") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        other @ Value::Object(_) => vec![other],
        _ => Vec::new(),
    }
}

/// Files to read: the path itself, or the `.json` files in a directory, in name order.
fn files(path: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    if path.is_dir() {
        let mut out: Vec<_> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        out.sort();
        Ok(out)
    } else {
        Ok(vec![path.to_path_buf()])
    }
}

pub async fn run(store: &dyn Store, organisation: &str, path: &Path) -> Result<Report, String> {
    let mut report = Report::default();
    let today = time::OffsetDateTime::now_utc().date();
    let mut seen = std::collections::HashSet::new();
    for file in files(path).map_err(|e| format!("cannot read {}: {e}", path.display()))? {
        let raw =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let doc: Value = serde_json::from_slice(&raw)
            .map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
        for record in records(doc) {
            report.read += 1;
            let id = record["id"]
                .as_str()
                .unwrap_or("(no id)")
                .chars()
                .take(80)
                .collect::<String>();
            if let Some(full_id) = record["id"].as_str()
                && !seen.insert(full_id.to_owned())
            {
                report.rejected.push((
                    id,
                    "its id is a duplicate; the first record with this id is the one imported"
                        .into(),
                ));
                continue;
            }
            let parsed = match convert(&record, today, organisation) {
                Ok(p) => p,
                Err(reason) => {
                    report.rejected.push((id, reason));
                    continue;
                }
            };
            let Converted {
                provider,
                mut activity,
                flag,
            } = parsed;
            let result = async {
                let (p, _) = store.upsert_provider(organisation, provider).await?;
                activity.provider_id = p.id;
                store.upsert_activity(organisation, activity).await
            }
            .await;
            match result {
                Ok((_, Upserted::Created)) => report.created += 1,
                Ok((_, Upserted::Updated)) => report.updated += 1,
                Ok((_, Upserted::Unchanged)) => report.unchanged += 1,
                Err(e) => {
                    report
                        .rejected
                        .push((id, format!("the database refused it: {e}")));
                    continue;
                }
            }
            if let Some(flag) = flag {
                report.flagged.push((id, flag));
            }
        }
    }
    Ok(report)
}

/// Text without HTML tags and with the common entities decoded, whitespace collapsed.
pub fn strip_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&rsquo;", "’")
        .replace("&pound;", "£");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `v`'s `key` as a string, trimmed; none when it is missing, not a string, or blank.
fn string<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_stripped_and_entities_decoded() {
        assert_eq!(
            strip_html("<p>Drug &amp; Alcohol&nbsp;support</p><p>Thursdays</p>"),
            "Drug & Alcohol support Thursdays"
        );
    }
}
