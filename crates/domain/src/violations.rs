//! Validation failures, collected so that a request hears about all of its problems at once.

use std::fmt;

/// One rule broken by one field. `field` is a dotted path into the request body
/// (`person.nhs_number`, `reasons[1]`); `code` is a stable machine-readable rule name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// A query parameter the operation does not take. The name is the caller's text:
    /// shown, but short and without control characters.
    pub fn unknown_parameter(name: &str) -> Self {
        let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
        Self::new(
            shown,
            "unknown_parameter",
            "is not a parameter of this operation; unknown parameters are refused so that a \
             typo is never silently ignored",
        )
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}

/// A rule broken by a value, before we know which field held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Collects field errors while a request is parsed field by field.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the parsed value, or records why it was refused against `field`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, Invalid>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(e) => {
                // One message per field: a length limit checked at the edge and again
                // here should not be reported twice.
                if !self.0.iter().any(|x| x.field == field) {
                    self.0.push(FieldError::new(field, e.code, e.message));
                }
                None
            }
        }
    }

    /// Like [`Violations::check`] for optional input: absent stays absent.
    pub fn check_opt<T, U>(
        &mut self,
        field: &str,
        input: Option<U>,
        parse: impl FnOnce(U) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match input {
            None => Some(None),
            Some(raw) => self.check(field, parse(raw)).map(Some),
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, otherwise every recorded error.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            // Every field parsed, so every Option is Some; None here would be a bug in
            // the caller, reported as a generic failure rather than a panic.
            value().ok_or_else(|| {
                vec![FieldError::new(
                    "",
                    "invalid",
                    "the request could not be parsed",
                )]
            })
        } else {
            Err(self.0)
        }
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }
}
