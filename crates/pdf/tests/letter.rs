// A realistic test letter, shared by tests/render.rs and examples/sample.rs
// (both `include!` it). Every block kind, a paragraph long enough to wrap,
// non-ASCII text, and a 60-row table that forces a second page.

/// Words from the long paragraph, in reading order, for extraction checks.
pub const WRAPPED_WORDS: [&str; 8] = [
    "Zoë",
    "joined",
    "walking",
    "group",
    "Tuesday",
    "isolated",
    "allotment",
    "review",
];

pub fn letter() -> socialrx_pdf::Document {
    use socialrx_pdf::{Block, Document};
    let s = |t: &str| t.to_string();
    let rows = (1..=60)
        .map(|i| {
            vec![
                format!("Row {i}"),
                format!("{:02}/03/2025", (i % 28) + 1),
                if i % 3 == 0 {
                    s("Walking group — Riverside Park")
                } else {
                    s("Telephone check-in")
                },
                format!("£{}.00", i * 2),
            ]
        })
        .collect();
    Document {
        title: s("Social prescribing summary"),
        subtitle: Some(s("For the attention of Dr A. Patel, Riverside Surgery")),
        blocks: vec![
            Block::Fields(vec![
                (s("Patient"), s("Zoë Brontë-Smith")),
                (s("NHS number"), s("943 476 5919")),
                (s("Date of birth"), s("14/02/1961")),
                (s("Link worker"), s("Siân O’Connor")),
            ]),
            Block::Heading(s("What matters to Zoë")),
            Block::Paragraph(s(
                "Since her referral in January, Zoë joined the community walking group that \
                 meets every Tuesday morning and says she now feels far less isolated than \
                 she did over the winter. She has also taken on a half plot at the allotment \
                 society — rent £12 a year, paid by the small-grants fund — and would like a \
                 review of her pain medication before the spring digging begins in earnest.",
            )),
            Block::Heading(s("Agreed next steps")),
            Block::List(vec![
                s("Continue the walking group (Tuesdays, 10:00, Riverside Park café)."),
                s("Medication review with the practice pharmacist — please book within 4 weeks."),
                s("Link worker to follow up by telephone in six weeks."),
            ]),
            Block::Heading(s("Contacts and activities")),
            Block::Table {
                headers: vec![s("Ref"), s("Date"), s("Activity"), s("Cost")],
                rows,
            },
            Block::Paragraph(s(
                "Kind regards, Siân O’Connor, Social Prescribing Link Worker",
            )),
        ],
    }
}
