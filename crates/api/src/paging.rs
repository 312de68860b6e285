//! Keyset paging: the `?limit=&cursor=` of every list, and the cursors it gives out.

use serde::Deserialize;
use socialrx_domain::Violations;
use socialrx_domain::violations::Invalid;
use socialrx_store::PageRequest;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page asked for; a bad limit or cursor is a 422 naming the parameter.
    pub fn parse(self) -> Result<PageRequest, ApiError> {
        let mut v = Violations::new();
        let page = self.check(&mut v);
        if v.is_empty() {
            Ok(page)
        } else {
            Err(ApiError::Validation(v.into_errors()))
        }
    }

    /// The page asked for, its problems added to `v` beside a list's other parameters.
    pub fn check(self, v: &mut Violations) -> PageRequest {
        page(v, self.limit, self.cursor)
    }
}

/// The page asked for by a list's own `limit` and `cursor` parameters (default 20), their
/// problems added to `v` under those names.
pub fn page(v: &mut Violations, limit: Option<String>, cursor: Option<String>) -> PageRequest {
    let limit = v
        .check_opt("limit", limit, |l| parse_limit(&l))
        .flatten()
        .unwrap_or(20);
    let after = v
        .check_opt("cursor", cursor, |c| decode_cursor(&c))
        .flatten();
    PageRequest { limit, after }
}

/// Page sizes are 1 to 100.
pub fn parse_limit(raw: &str) -> Result<u32, Invalid> {
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=100).contains(&n) => Ok(n),
        _ => Err(Invalid::new(
            "out_of_range",
            "must be a whole number from 1 to 100",
        )),
    }
}

pub fn encode_cursor(id: Uuid) -> String {
    id.simple().to_string()
}

/// The form [`encode_cursor`] gives out, and only that: a UUID's 32 hex digits (the spec's
/// pattern). Other spellings of a UUID are not cursors.
pub fn decode_cursor(raw: &str) -> Result<Uuid, Invalid> {
    let simple = raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit());
    Some(raw)
        .filter(|_| simple)
        .and_then(|r| Uuid::try_parse(r).ok())
        .ok_or_else(|| Invalid::new("cursor_format", "is not a cursor this API gave out"))
}
