//! The form page, server-rendered: `form.html` with every `{{placeholder}}` filled from
//! the person's answers and the errors of the referral rules, in the person's words, each
//! beside its field and listed in a summary at the top. Every value is escaped.

use socialrx_domain::FieldError;
use socialrx_domain::referral::Reason;

use super::Answers;

const FORM: &str = include_str!("../form.html");

/// The fields of the form in the order of the page, with what the error summary calls
/// the control its link goes to. `group` fields are fieldsets: their controls are marked
/// invalid, the fieldset is described by the error.
const FIELDS: &[(&str, &str, bool)] = &[
    ("given_name", "given_name", false),
    ("family_name", "family_name", false),
    ("date_of_birth", "dob-day", true),
    ("postcode", "postcode", false),
    ("phone", "phone", false),
    ("email", "email", false),
    ("preferred_contact", "preferred_contact-phone", true),
    ("address_lines", "address_line_1", true),
    ("nhs_number", "nhs_number", false),
    ("help_with", "help_with-loneliness_isolation", true),
    ("help_with_details", "help_with_details", false),
    ("consent", "consent-given", true),
];

/// What the form page shows: the form (with errors, maybe) or the reference.
pub enum Shown {
    Form(Vec<FieldError>),
    Sent(String),
}

/// A fresh retry key for the next post of the form: reposting the same answers (a reload,
/// a second click) then makes one referral.
fn retry_key() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// The form page for `shown`, every value escaped.
pub fn render(partner: &str, key: &str, answers: &Answers, shown: &Shown) -> String {
    let (errors, reference) = match shown {
        Shown::Form(errors) => (errors.as_slice(), None),
        Shown::Sent(reference) => (&[][..], Some(reference.as_str())),
    };
    let messages = Messages::of(errors, answers);
    let summary = messages.summary();
    let failed = !summary.is_empty();
    let help_with: Vec<&str> = answers.all("help_with").collect();
    let hidden = |h: bool| if h { " hidden" } else { "" }.to_owned();

    fill(FORM, |name| {
        let (subject, part) = name.split_once('.').unwrap_or((name, ""));
        let error = messages.about(subject);
        match (subject, part) {
            ("partner", "") => escape(partner),
            ("key", "") => escape(key),
            ("idempotency_key", "") => retry_key(),
            ("title_prefix", "") => match (failed, reference) {
                (true, _) => "Error: ".into(),
                (_, Some(_)) => "Referral sent: ".into(),
                _ => String::new(),
            },
            ("summary", "") => summary.clone(),
            ("summary_hidden", "") => hidden(!failed),
            ("form_view_hidden", "") => hidden(reference.is_some()),
            ("done_hidden", "") => hidden(reference.is_none()),
            ("reference", "") => escape(reference.unwrap_or_default()),
            ("done_message", "") => {
                if reference.is_some() {
                    escape(super::super::ACCEPTED_MESSAGE)
                } else {
                    String::new()
                }
            }
            ("help_with", "") => help_with_choices(&help_with, error.is_some()),
            _ => field_placeholder(subject, part, error, answers),
        }
    })
}

/// The error messages of a refused form: one per field of the page (the first the API
/// gave), and those about no field of the page.
struct Messages {
    per_field: Vec<(&'static str, String)>,
    other: Vec<String>,
}

impl Messages {
    fn of(errors: &[FieldError], answers: &Answers) -> Self {
        let mut per_field: Vec<(&'static str, String)> = Vec::new();
        let mut other: Vec<String> = Vec::new();
        for e in errors {
            match page_field(&e.field) {
                Some(field) if !per_field.iter().any(|(f, _)| *f == field) => {
                    per_field.push((field, message_for(field, e, answers)));
                }
                Some(_) => {}
                None => other.push(format!(
                    "Something in the form was not accepted: {}",
                    e.message
                )),
            }
        }
        Self { per_field, other }
    }

    fn about(&self, field: &str) -> Option<&str> {
        self.per_field
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The error summary's items, in the order of the page, each linked to its control;
    /// empty when nothing was refused.
    fn summary(&self) -> String {
        let mut summary = String::new();
        for (field, target, _) in FIELDS {
            if let Some(m) = self.about(field) {
                summary.push_str(&format!("<li><a href=\"#{target}\">{}</a></li>", escape(m)));
            }
        }
        for m in &self.other {
            summary.push_str(&format!("<li>{}</li>", escape(m)));
        }
        summary
    }
}

/// A placeholder of one field of the form (`{{postcode.value}}`, `{{phone.error}}`, ...):
/// the answer given, or the error shown beside it and its ARIA attributes.
fn field_placeholder(subject: &str, part: &str, error: Option<&str>, answers: &Answers) -> String {
    match (subject, part) {
        ("address_line_1" | "address_line_2" | "address_line_3", "value") => {
            let i = subject.as_bytes()[subject.len() - 1] - b'1';
            escape(
                answers
                    .all("address_line")
                    .nth(usize::from(i))
                    .unwrap_or_default(),
            )
        }
        ("preferred_contact", method @ ("phone" | "text" | "email" | "letter")) => {
            if answers.one("preferred_contact") == method {
                " checked"
            } else {
                ""
            }
            .to_owned()
        }
        ("consent", "checked") => if answers.one("consent") == "given" {
            " checked"
        } else {
            ""
        }
        .to_owned(),
        (_, "value") => escape(answers.one(subject)),
        (_, "class") => if error.is_some() { " field-error" } else { "" }.to_owned(),
        (_, "error") => match error {
            Some(m) => format!(
                "<p class=\"error-message\" id=\"{subject}-error\">\
                 <span class=\"visually-hidden\">Error: </span>{}</p>",
                escape(m)
            ),
            None => format!("<p class=\"error-message\" id=\"{subject}-error\" hidden></p>"),
        },
        (_, "described") if error.is_some() => format!(" {subject}-error"),
        (_, "group_described") if error.is_some() => {
            format!(" aria-describedby=\"{subject}-error\"")
        }
        (_, "invalid") if error.is_some() => {
            let group = FIELDS.iter().any(|(f, _, g)| *f == subject && *g);
            if group {
                " aria-invalid=\"true\"".into()
            } else {
                format!(" aria-invalid=\"true\" aria-describedby=\"{subject}-error\"")
            }
        }
        (_, "invalid_hinted") if error.is_some() => " aria-invalid=\"true\"".into(),
        _ => String::new(),
    }
}

/// Replaces each `{{name}}` of `template` with `value(name)`.
fn fill(template: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push_str(&value(&after[..end]));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The field of the page an error of the API is about.
fn page_field(api_field: &str) -> Option<&'static str> {
    let base = api_field.split('[').next().unwrap_or_default();
    let base = if base == "consent.given" {
        "consent"
    } else {
        base
    };
    FIELDS.iter().map(|(f, _, _)| *f).find(|f| *f == base)
}

/// Plain words for the person (the script says the same), else the field and the rule.
fn message_for(field: &str, e: &FieldError, answers: &Answers) -> String {
    let code: &str = e.code;
    match (field, code) {
        ("given_name", "required") => "Enter your first name".into(),
        ("family_name", "required") => "Enter your last name".into(),
        ("date_of_birth", "date_format") => {
            "Enter your date of birth as day, month and year, for example 27 3 1980".into()
        }
        ("date_of_birth", "in_future") => "Date of birth must be in the past".into(),
        ("postcode", "postcode_format") => "Enter a full UK postcode, like LS1 4AP".into(),
        ("phone", "phone_format") => {
            "Enter a phone number, like 01632 960 001 or 07700 900 982".into()
        }
        ("email", "email_format") => "Enter an email address like name@example.com".into(),
        ("nhs_number", _) => {
            "Enter a 10 digit NHS number, like 485 777 3456, or leave it empty".into()
        }
        ("preferred_contact", "contact_missing") => {
            if answers.one("preferred_contact") == "email" {
                "Enter an email address, or choose another way for us to contact you".into()
            } else {
                "Enter a phone number, or choose another way for us to contact you".into()
            }
        }
        ("preferred_contact", _) => "Choose how you would like us to contact you".into(),
        ("address_lines", "contact_missing") => {
            "Enter your address, or choose another way for us to contact you".into()
        }
        ("help_with", _) => "Choose at least one thing you would like help with".into(),
        ("consent", _) => "Tick the box to agree, so that we can contact you".into(),
        _ => {
            let label = match field {
                "given_name" => "First name",
                "family_name" => "Last name",
                "date_of_birth" => "Date of birth",
                "postcode" => "Postcode",
                "phone" => "Phone number",
                "email" => "Email address",
                "address_lines" => "Address",
                "help_with_details" => "Anything else",
                _ => "This answer",
            };
            format!("{label} {}", e.message)
        }
    }
}

/// How each reason code is put to the person filling in the form.
pub fn help_with_label(reason: Reason) -> &'static str {
    match reason {
        Reason::LonelinessIsolation => "Feeling lonely or cut off",
        Reason::LowMoodAnxiety => "Low mood, stress or anxiety",
        Reason::LongTermCondition => "Living with a long-term health condition",
        Reason::CarerSupport => "Looking after someone (being a carer)",
        Reason::MoneyBenefitsDebt => "Money, benefits or debt",
        Reason::Housing => "Housing",
        Reason::EmploymentSkills => "Work, training or skills",
        Reason::PhysicalActivity => "Being more active",
        Reason::Bereavement => "Losing someone close (bereavement)",
        Reason::DomesticAbuse => "Domestic abuse",
        Reason::SubstanceUse => "Alcohol or drugs",
        Reason::Other => "Something else",
    }
}

fn help_with_choices(chosen: &[&str], invalid: bool) -> String {
    Reason::ALL
        .iter()
        .map(|r| {
            let code = r.as_str();
            let checked = if chosen.contains(&code) { " checked" } else { "" };
            let invalid = if invalid { " aria-invalid=\"true\"" } else { "" };
            // The safety text is shown for domestic abuse; the script reveals it on ticking.
            let controls = if *r == Reason::DomesticAbuse {
                " aria-controls=\"safety\""
            } else {
                ""
            };
            format!(
                "      <div class=\"choice\"><input type=\"checkbox\" id=\"help_with-{code}\" \
                 name=\"help_with\" value=\"{code}\"{checked}{invalid}{controls}><label for=\"help_with-{code}\">{}</label></div>\n",
                escape(help_with_label(*r))
            )
        })
        .collect()
}

/// Text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape(r#"<b a="1">'&'</b>"#),
            "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn every_reason_is_offered_once() {
        let choices = help_with_choices(&[], false);
        for r in Reason::ALL {
            assert_eq!(choices.matches(&format!("value=\"{r}\"")).count(), 1, "{r}");
        }
    }
}
