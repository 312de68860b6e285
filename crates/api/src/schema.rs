//! Helpers that put domain rules into the OpenAPI schema: code lists become `enum`s,
//! and validator's errors become our `{field, code, message}` list.

use socialrx_domain::FieldError;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// A closed list of codes from `domain`, for the schema.
pub trait CodeList {
    const CODES: &'static [&'static str];
}

/// `codes!(SourceCodes = Source)`: a marker type carrying `Source::CODES` to the schema.
macro_rules! codes {
    ($marker:ident = $list:ty) => {
        pub struct $marker;
        impl $crate::schema::CodeList for $marker {
            const CODES: &'static [&'static str] = <$list>::CODES;
        }
    };
}
pub(crate) use codes;

pub fn code_list_schema<C: CodeList>() -> impl Into<RefOr<Schema>> {
    code_list::<C>()
}

/// A code from the list, or `null` (for response fields that may be empty).
pub fn optional_code_list_schema<C: CodeList>() -> impl Into<RefOr<Schema>> {
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(code_list::<C>())
        .item(ObjectBuilder::new().schema_type(Type::Null))
}

fn code_list<C: CodeList>() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(C::CODES.iter().copied()))
}

/// A list of codes that may be empty, each at most once (a repeat is refused).
pub fn optional_codes_array_schema<C: CodeList>() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new()
        .items(code_list::<C>())
        .max_items(Some(C::CODES.len()))
        .unique_items(true)
}

pub fn codes_array_schema<C: CodeList>() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new()
        .items(code_list::<C>())
        .min_items(Some(1))
        .max_items(Some(C::CODES.len()))
        .unique_items(true)
}

/// Runs validator's derive and names each failure by its dotted path.
pub fn validation_errors(value: &impl Validate) -> Vec<FieldError> {
    let mut out = Vec::new();
    if let Err(errors) = value.validate() {
        flatten("", &errors, &mut out);
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn flatten(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(describe(&path, e));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

fn describe(path: &str, e: &validator::ValidationError) -> FieldError {
    let bound = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (bound("min"), bound("max")) {
            (Some(min), Some(max)) => {
                FieldError::new(path, "length", format!("must have {min} to {max} entries"))
            }
            (_, Some(max)) => FieldError::new(
                path,
                "too_long",
                format!("must be at most {max} characters"),
            ),
            (Some(min), _) => {
                FieldError::new(path, "too_short", format!("must be at least {min} long"))
            }
            _ => FieldError::new(path, "length", "has the wrong length"),
        },
        _ => FieldError::new(path, "invalid", "is not valid"),
    }
}

/// The patterns the spec gives text fields, as `socialrx_domain::text` reads them. utoipa's
/// `pattern = ..` takes only a string literal, so each is written out where it is used;
/// the openapi tests check that every pattern in the spec is one of these or says why not.
pub mod patterns {
    /// `text::label`: no control characters and not blank.
    pub const LABEL: &str =
        r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";
    /// `text::optional_label`: no control characters (blank is absent).
    pub const OPTIONAL_LABEL: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";
    /// `text::free_text`: line breaks and tabs, but no other control characters.
    pub const FREE_TEXT: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
    /// A keyset cursor this API gave out: a UUID's 32 hex digits.
    pub const CURSOR: &str = r"^[0-9a-fA-F]{32}$";
    /// An ODS code: 3 to 10 letters and digits.
    pub const ODS_CODE: &str = r"^[A-Za-z0-9]{3,10}$";
}

/// The pattern every date and date-time of the spec carries: the years the service takes
/// (`socialrx_domain::when`, 1900 to 2199). A test ties it to `when::EARLIEST`/`LATEST`.
pub const YEARS_PATTERN: &str = r"^(19[0-9]{2}|2[01][0-9]{2})-";

/// Puts [`YEARS_PATTERN`] on every `date` and `date-time` string of the document that has
/// no pattern of its own: parameters, bodies and components alike, so the bound is
/// written once rather than on each field.
pub fn bound_dates(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::Operation;
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for Operation {
            parameters,
            request_body,
            ..
        } in operations.into_iter().flatten()
        {
            for p in parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && let Some(s) = p.schema.as_mut()
                {
                    bound_schema(s);
                }
            }
            if let Some(RefOr::T(body)) = request_body {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(s) = content.schema.as_mut()
                    {
                        bound_schema(s);
                    }
                }
            }
        }
    }
    if let Some(components) = doc.components.as_mut() {
        for s in components.schemas.values_mut() {
            bound_schema(s);
        }
    }
}

fn bound_schema(schema: &mut RefOr<Schema>) {
    use utoipa::openapi::schema::{ArrayItems, KnownFormat, SchemaFormat};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            let dated = matches!(
                o.format,
                Some(SchemaFormat::KnownFormat(
                    KnownFormat::Date | KnownFormat::DateTime
                ))
            );
            if dated && o.pattern.is_none() {
                o.pattern = Some(YEARS_PATTERN.to_owned());
            }
            for p in o.properties.values_mut() {
                bound_schema(p);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                bound_schema(items);
            }
        }
        Schema::OneOf(o) => o.items.iter_mut().for_each(bound_schema),
        Schema::AllOf(o) => o.items.iter_mut().for_each(bound_schema),
        Schema::AnyOf(o) => o.items.iter_mut().for_each(bound_schema),
        _ => {}
    }
}

/// A list of at most `ITEMS` labels (`text::label`, each at most `MAX` characters).
pub fn labels_schema<const MAX: usize, const ITEMS: usize>() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX))
                .pattern(Some(patterns::LABEL)),
        )
        .max_items(Some(ITEMS))
}

/// A web origin as `socialrx_domain::partner::Origin` reads it: `https://` and a host
/// name with a dot or an IPv4 address (or `localhost`), `http://` only for `localhost`
/// and `127.0.0.1`, an optional port, no path; in the one spelling it is stored in (lower
/// case, no trailing slash, no default port). The parser also takes those other spellings.
pub const ORIGIN_PATTERN: &str = concat!(
    r"^(https://(([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?",
    r"|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])",
    r"|localhost)|http://(localhost|127\.0\.0\.1))",
    // Any port but 80 and 443, which name the same origin as none: one spelling each, so
    // that distinct strings (uniqueItems) are distinct origins.
    r"(:([1-9]|[1-7][0-9]|8[1-9]|9[0-9]|[1-3][0-9]{2}|4[0-3][0-9]|44[0-24-9]|4[5-9][0-9]",
    r"|[5-9][0-9]{2}|[1-9][0-9]{3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]",
    r"|6553[0-5]))?$"
);

/// A partner's allowed origins: 1 to `limits::PARTNER_ORIGINS`, each once.
pub fn origins_schema() -> impl Into<RefOr<Schema>> {
    use socialrx_domain::limits;
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(limits::ORIGIN))
                .pattern(Some(ORIGIN_PATTERN)),
        )
        .min_items(Some(1))
        .max_items(Some(limits::PARTNER_ORIGINS))
        .unique_items(true)
}
