//! The summary as a letter (headings, fields, lists, tables), rendered to PDF by
//! `socialrx-pdf` and to a FHIR document's section texts. The order is the standard's:
//! plan and requested actions at the top.

use socialrx_domain::outcome::Instrument;
use socialrx_pdf::{Block, Document};
use time::{Date, OffsetDateTime};

use super::{
    ConcernEntry, ContactsSummary, Intervention, PlanAndActions, ReferralSummary, SummaryRisks,
    instrument_name,
};

const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[day padding:none] [month repr:long] [year]");

fn day(d: Date) -> String {
    d.format(DAY).unwrap_or_else(|_| d.to_string())
}

fn day_of(t: OffsetDateTime) -> String {
    day(t.date())
}

fn day_text(raw: &str) -> String {
    socialrx_domain::when::parse_date(raw)
        .map(day)
        .unwrap_or_else(|_| raw.to_owned())
}

/// `9434765919` as `943 476 5919`, as NHS numbers are printed.
fn nhs_number(n: &str) -> String {
    if n.len() == 10 {
        format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
    } else {
        n.to_owned()
    }
}

/// A code as words: `low_mood_anxiety` as "low mood anxiety".
fn words(code: &str) -> String {
    code.replace('_', " ")
}

fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => "Yes".into(),
        Some(false) => "No".into(),
        None => "Not recorded".into(),
    }
}

/// The letter's sections, in order, each as a heading and its blocks.
pub fn sections(s: &ReferralSummary) -> Vec<(String, Vec<Block>)> {
    if let Some(why) = &s.withheld {
        return vec![
            (
                "Support withheld".to_owned(),
                vec![Block::Paragraph(why.clone())],
            ),
            ("Referral".to_owned(), vec![referral_fields(s)]),
        ];
    }
    let p = &s.plan_and_requested_actions;
    let mut out = vec![
        (
            "Plan and requested actions".to_owned(),
            vec![requested_actions(p)],
        ),
        (
            "What matters to the person".into(),
            vec![Block::Paragraph(
                p.what_matters_to_me
                    .clone()
                    .unwrap_or_else(|| "Not recorded.".into()),
            )],
        ),
        ("Goals and steps".into(), goals_and_steps(p)),
        (
            "Link worker's summary".into(),
            vec![Block::Paragraph(
                s.link_worker_summary
                    .clone()
                    .unwrap_or_else(|| "Not written yet.".into()),
            )],
        ),
        (
            "Activities tried".into(),
            vec![activities(&s.interventions)],
        ),
        (
            "Contacts".into(),
            vec![Block::Paragraph(contacts(&s.contacts))],
        ),
        ("Wellbeing measures".into(), vec![outcomes(s)]),
    ];
    // Only the receiving service's copy holds them.
    if let (Some(risks), Some(concerns)) = (&s.risks, &s.safeguarding) {
        out.push((
            "Risks and safeguarding".into(),
            risks_and_safeguarding(risks, concerns),
        ));
    }
    out.push(("Referral".into(), vec![referral_fields(s)]));
    out
}

fn requested_actions(p: &PlanAndActions) -> Block {
    Block::Fields(vec![
        (
            "Actions for the GP and other professionals".into(),
            p.actions_for_professionals.clone(),
        ),
        (
            "Actions for the person or their carer".into(),
            p.actions_for_person.clone(),
        ),
        (
            "Agreed with the person".into(),
            yes_no(p.agreed_with_person),
        ),
    ])
}

/// Strengths, goals, the steps as a table, and when the plan is to be reviewed.
fn goals_and_steps(p: &PlanAndActions) -> Vec<Block> {
    let mut plan = Vec::new();
    if !p.strengths.is_empty() {
        plan.push(Block::Paragraph("Strengths:".into()));
        plan.push(Block::List(p.strengths.clone()));
    }
    if !p.goals.is_empty() {
        plan.push(Block::Paragraph("Goals:".into()));
        plan.push(Block::List(p.goals.clone()));
    }
    if !p.steps.is_empty() {
        plan.push(Block::Table {
            headers: vec![
                "Step".into(),
                "Who".into(),
                "By".into(),
                "Status".into(),
                "Confidence".into(),
            ],
            rows: p
                .steps
                .iter()
                .map(|st| {
                    vec![
                        st.text.clone(),
                        st.who.clone().unwrap_or_default(),
                        st.due_on.as_deref().map(day_text).unwrap_or_default(),
                        words(st.status),
                        st.confidence.map(|c| format!("{c}/10")).unwrap_or_default(),
                    ]
                })
                .collect(),
        });
    }
    if let Some(on) = &p.planned_review_on {
        let by = p
            .review_by
            .as_deref()
            .map(|b| format!(", by {b}"))
            .unwrap_or_default();
        plan.push(Block::Paragraph(format!(
            "Plan to be reviewed on {}{by}.",
            day_text(on)
        )));
    }
    if plan.is_empty() {
        plan.push(Block::Paragraph("No goals or steps recorded.".into()));
    }
    plan
}

fn activities(interventions: &[Intervention]) -> Block {
    if interventions.is_empty() {
        return Block::Paragraph("The person was not connected to any activity.".into());
    }
    Block::Table {
        headers: vec!["Activity".into(), "Status".into(), "How it went".into()],
        rows: interventions
            .iter()
            .map(|i| {
                let mut status = words(i.status);
                if i.supported_first_attendance {
                    status.push_str(" (supported first visit)");
                }
                vec![i.activity.clone(), status, words(i.how_it_went)]
            })
            .collect(),
    }
}

/// The contacts that happened (how many, over which days, by which method), then a count
/// of those that did not.
fn contacts(c: &ContactsSummary) -> String {
    let contacts = match (c.first_at, c.last_at) {
        (Some(first), Some(last)) => {
            let methods: Vec<String> = c
                .by_method
                .iter()
                .map(|(m, n)| format!("{n} {}", words(m)))
                .collect();
            format!(
                "{} contact{} between {} and {}: {}.",
                c.count,
                if c.count == 1 { "" } else { "s" },
                day_of(first),
                day_of(last),
                methods.join(", ")
            )
        }
        _ => "No contacts recorded.".into(),
    };
    match c.not_attended {
        0 => contacts,
        n => format!("{contacts} Missed or cancelled: {n}."),
    }
}

fn risks_and_safeguarding(risks: &SummaryRisks, concerns: &[ConcernEntry]) -> Vec<Block> {
    let mut blocks = Vec::new();
    if risks.no_known_risks {
        blocks.push(Block::Paragraph("No known risks.".into()));
    } else if risks.risks.is_empty() {
        blocks.push(Block::Paragraph("Risks not recorded yet.".into()));
    } else {
        blocks.push(Block::List(
            risks
                .risks
                .iter()
                .map(|r| entry_line(&r.code, &r.description, &r.comment))
                .collect(),
        ));
    }
    blocks.push(Block::Paragraph(if concerns.is_empty() {
        "No safeguarding concerns recorded.".into()
    } else {
        "Safeguarding concerns:".into()
    }));
    if !concerns.is_empty() {
        blocks.push(Block::List(
            concerns
                .iter()
                .map(|c| entry_line(&c.code, &c.description, &c.comment))
                .collect(),
        ));
    }
    blocks
}

/// The referral as the standard's "Referral details" names it.
fn referral_fields(s: &ReferralSummary) -> Block {
    let r = &s.referral;
    let mut referral = vec![
        ("Received".into(), day_of(r.received_at)),
        (
            "Referred by".into(),
            match &r.referrer_role {
                Some(role) => format!("{} ({role}), {}", r.referrer_name, r.referrer_organisation),
                None => format!("{}, {}", r.referrer_name, r.referrer_organisation),
            },
        ),
        ("Source".into(), words(r.source)),
        (
            "Reasons".into(),
            r.reasons
                .iter()
                .map(|x| words(x))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ("Status".into(), words(r.status)),
    ];
    if let Some(closed) = r.closed_at {
        referral.push((
            "Closed".into(),
            match r.closure_reason {
                Some(reason) => format!("{} ({})", day_of(closed), words(reason)),
                None => day_of(closed),
            },
        ));
    }
    if let Some(method) = r.referral_method {
        referral.push(("Referral method".into(), words(method)));
    }
    if let Some(reason) = &r.reason_text {
        referral.push(("Reason for referral".into(), reason.clone()));
    }
    if let Some(contact) = &r.referrer_contact_details {
        referral.push(("Referrer's contact details".into(), contact.clone()));
    }
    if let Some(to) = &r.return_response_to {
        referral.push(("Return response to".into(), to.clone()));
    }
    Block::Fields(referral)
}

fn entry_line(
    code: &Option<String>,
    description: &Option<String>,
    comment: &Option<String>,
) -> String {
    let mut line = match (description, code) {
        (Some(d), Some(c)) => format!("{d} (SNOMED CT {c})"),
        (Some(d), None) => d.clone(),
        (None, Some(c)) => format!("SNOMED CT {c}"),
        (None, None) => String::new(),
    };
    if let Some(comment) = comment {
        line.push_str(" — ");
        line.push_str(comment);
    }
    line
}

fn outcomes(s: &ReferralSummary) -> Block {
    let mut rows = Vec::new();
    for o in &s.outcomes {
        let name = Instrument::parse(o.instrument)
            .map(instrument_name)
            .unwrap_or(o.instrument);
        if o.changes.is_empty() {
            rows.push(vec![
                name.to_owned(),
                o.baseline_on.as_deref().map(day_text).unwrap_or_default(),
                o.latest_on.as_deref().map(day_text).unwrap_or_default(),
                "Not yet compared".into(),
            ]);
        }
        for c in &o.changes {
            rows.push(vec![
                format!("{name}: {}", words(c.scale)),
                format!(
                    "{} on {}",
                    c.baseline,
                    o.baseline_on.as_deref().map(day_text).unwrap_or_default()
                ),
                format!(
                    "{} on {}",
                    c.value,
                    o.latest_on.as_deref().map(day_text).unwrap_or_default()
                ),
                format!(
                    "{:+} ({})",
                    c.change,
                    if c.improved { "better" } else { "not better" }
                ),
            ]);
        }
    }
    if rows.is_empty() {
        Block::Paragraph("No wellbeing measures recorded.".into())
    } else {
        Block::Table {
            headers: vec![
                "Measure".into(),
                "First".into(),
                "Latest".into(),
                "Change".into(),
            ],
            rows,
        }
    }
}

/// The whole letter.
pub fn of(s: &ReferralSummary) -> Document {
    let mut blocks = vec![Block::Fields(vec![
        (
            "Name".into(),
            format!("{} {}", s.person.given_name, s.person.family_name),
        ),
        (
            "NHS number".into(),
            s.person
                .nhs_number
                .as_deref()
                .map(nhs_number)
                .unwrap_or_else(|| "Not known".into()),
        ),
        ("Date of birth".into(), day_text(&s.person.date_of_birth)),
        (
            "GP practice".into(),
            s.person
                .gp_practice
                .clone()
                .unwrap_or_else(|| "Not known".into()),
        ),
        ("Referral".into(), s.reference.clone()),
    ])];
    if let Some(Block::Fields(fields)) = blocks.first_mut() {
        if let Some(pronouns) = &s.person.pronouns {
            fields.insert(1, ("Pronouns".into(), pronouns.clone()));
        }
        if s.person.carer == Some(true) {
            fields.push(("Carer".into(), "Yes: the person is a carer".into()));
        }
    }
    for (heading, body) in sections(s) {
        blocks.push(Block::Heading(heading));
        blocks.extend(body);
    }
    let note = match s.audience {
        "service" => "Service copy: includes risks and safeguarding.",
        _ => "Copy for the referrer: risks and safeguarding are shared separately where needed.",
    };
    blocks.push(Block::Paragraph(format!(
        "Produced by {} on {}. {note}",
        s.referral.receiving_service,
        day_of(s.generated_at)
    )));
    Document {
        title: "Social prescribing summary".into(),
        subtitle: Some(format!(
            "From {} to {}, about {} {}",
            s.referral.receiving_service,
            s.referral.referrer_organisation,
            s.person.given_name,
            s.person.family_name
        )),
        blocks,
    }
}
