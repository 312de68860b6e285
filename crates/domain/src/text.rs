//! Free text and short labels: trimmed, bounded, and free of control characters that
//! would corrupt logs, CSV exports or (for NUL) be refused by PostgreSQL.

use crate::violations::Invalid;

/// A required single-line label such as a name: trimmed, 1..=max characters.
pub fn label(raw: &str, max: usize) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new("required", "must not be empty"));
    }
    single_line(trimmed, max)
}

/// An optional single-line label: blank becomes absent.
pub fn optional_label(raw: &str, max: usize) -> Result<Option<String>, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        Ok(None)
    } else {
        single_line(trimmed, max).map(Some)
    }
}

/// Multi-line free text (notes): line breaks and tabs allowed, other control characters not.
pub fn free_text(raw: &str, max: usize) -> Result<Option<String>, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    check_length(trimmed, max)?;
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(control_characters());
    }
    Ok(Some(trimmed.to_owned()))
}

fn single_line(trimmed: &str, max: usize) -> Result<String, Invalid> {
    check_length(trimmed, max)?;
    if trimmed.chars().any(char::is_control) {
        return Err(control_characters());
    }
    Ok(trimmed.to_owned())
}

fn check_length(s: &str, max: usize) -> Result<(), Invalid> {
    let count = s.chars().count();
    if count > max {
        Err(Invalid::new(
            "too_long",
            format!("must be at most {max} characters (got {count})"),
        ))
    } else {
        Ok(())
    }
}

fn control_characters() -> Invalid {
    Invalid::new("control_characters", "must not contain control characters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_trimmed() {
        assert_eq!(label("  Ada  ", 10).unwrap(), "Ada");
    }

    #[test]
    fn a_blank_label_is_refused_as_required() {
        assert_eq!(label("   ", 10).unwrap_err().code, "required");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(label("Siân Ó", 6).is_ok());
        assert_eq!(label("Siân Óg", 6).unwrap_err().code, "too_long");
    }

    #[test]
    fn a_nul_byte_is_refused_everywhere() {
        assert_eq!(label("a\0b", 10).unwrap_err().code, "control_characters");
        assert_eq!(
            free_text("a\0b", 10).unwrap_err().code,
            "control_characters"
        );
    }

    #[test]
    fn notes_may_hold_line_breaks_but_labels_may_not() {
        assert_eq!(free_text("a\nb", 10).unwrap().as_deref(), Some("a\nb"));
        assert_eq!(label("a\nb", 10).unwrap_err().code, "control_characters");
    }

    #[test]
    fn blank_optional_text_is_absent() {
        assert_eq!(optional_label(" ", 10).unwrap(), None);
        assert_eq!(free_text("\n", 10).unwrap(), None);
    }
}
