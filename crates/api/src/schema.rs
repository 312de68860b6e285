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

/// A list of codes that may be empty, each at most once.
pub fn optional_codes_array_schema<C: CodeList>() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new()
        .items(code_list::<C>())
        .max_items(Some(C::CODES.len()))
}

pub fn codes_array_schema<C: CodeList>() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new()
        .items(code_list::<C>())
        .min_items(Some(1))
        .max_items(Some(C::CODES.len()))
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
