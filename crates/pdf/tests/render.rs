//! End-to-end tests: render real documents and read them back with poppler
//! (`pdftotext`, `pdfinfo`) when it is installed.

use std::path::PathBuf;
use std::process::Command;

use socialrx_pdf::{Block, Document, Error, render};

include!("letter.rs");

/// Writes `pdf` to a per-process temp file and returns its path.
fn temp_pdf(name: &str, pdf: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("socialrx-pdf-{}-{name}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("write temp PDF");
    path
}

/// Runs a poppler tool, or returns None (after saying so) if it is not installed.
fn poppler(cmd: &mut Command) -> Option<String> {
    let tool = cmd.get_program().to_string_lossy().into_owned();
    match cmd.output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{tool} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).expect("UTF-8 output"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // CI installs poppler-utils: there, a missing tool is a failure, not a skip.
            assert!(
                std::env::var("CI").is_err(),
                "{tool} is not installed (apt-get install poppler-utils)"
            );
            println!("SKIPPED: {tool} is not installed (apt-get install poppler-utils)");
            None
        }
        Err(e) => panic!("could not run {tool}: {e}"),
    }
}

#[test]
fn renders_every_block_kind_as_pdf() {
    let pdf = render(&letter()).expect("render");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF header");
    assert!(
        pdf.len() > 10_000,
        "suspiciously small PDF: {} bytes",
        pdf.len()
    );
}

#[test]
fn pdftotext_reads_text_in_order() {
    let path = temp_pdf("letter", &render(&letter()).expect("render"));
    // pdftotext wants an output file; "-" after the input means stdout.
    let Some(text) = poppler(Command::new("pdftotext").arg("-layout").arg(&path).arg("-")) else {
        return;
    };
    let first_page = text.split('\u{c}').next().unwrap_or_default();
    println!("--- pdftotext -layout, page 1 ---\n{first_page}");

    for expected in [
        "Social prescribing summary",
        "For the attention of Dr A. Patel",
        "What matters to Zoë",
        "943 476 5919",
        "Siân O’Connor",
        "society — rent £12 a year",
        "Medication review with the practice pharmacist",
        "Walking group — Riverside Park",
        "Row 1 ",
        "Row 60",
        "£120.00",
        "Page 1 of",
        "Page 2 of",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The wrapped paragraph comes out in reading order across its lines.
    let mut at = 0;
    for word in WRAPPED_WORDS {
        let found = text[at..]
            .find(word)
            .unwrap_or_else(|| panic!("{word:?} not after byte {at}"));
        at += found + word.len();
    }
    // It really wrapped: its first and last words are on different lines.
    let start = text.find("Since her referral").expect("paragraph start");
    let end = text.find("digging begins").expect("paragraph end");
    assert!(text[start..end].contains('\n'), "paragraph did not wrap");
    // The table spilled onto page 2, where its header row is repeated.
    let page2 = text.split('\u{c}').nth(1).expect("a second page");
    assert!(
        page2.contains("Activity") && page2.contains("Row 40"),
        "page 2:\n{page2}"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn pdfinfo_reports_tagged_title_and_pages() {
    let path = temp_pdf("info", &render(&letter()).expect("render"));
    let Some(info) = poppler(Command::new("pdfinfo").arg(&path)) else {
        return;
    };
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {name} in:\n{info}"))
    };
    assert_eq!(field("Tagged:"), "yes");
    assert_eq!(field("Title:"), "Social prescribing summary");
    assert_eq!(field("PDF version:"), "1.7");
    assert!(field("Pages:").parse::<u32>().expect("page count") >= 2);
    assert!(field("Page size:").contains("(A4)"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn unusual_text_and_shapes_do_not_panic() {
    let long_word = "https://example.org/".to_string() + &"very-long-path-segment/".repeat(20);
    let doc = Document {
        title: "Edge cases \u{FEFF}— Zoë".into(),
        subtitle: Some(String::new()),
        blocks: vec![
            // Characters DejaVu Sans lacks (CJK, emoji, private use), control
            // characters, a NUL, a BOM and a soft hyphen.
            Block::Paragraph(
                "漢字 🙂 \u{E000} tab\there\nnew line \0 nul \u{FEFF}bom co\u{AD}op".into(),
            ),
            Block::Paragraph(long_word.clone()),
            Block::Paragraph(String::new()),
            Block::Heading(String::new()),
            Block::List(vec![String::new(), "•".into()]),
            Block::Fields(vec![(String::new(), String::new())]),
            Block::Table {
                headers: vec![],
                rows: vec![],
            },
            Block::Table {
                headers: vec![],
                rows: vec![vec!["no header".into()]],
            },
            // Ragged rows, and one cell taller than a whole page.
            Block::Table {
                headers: vec!["A".into(), "B".into()],
                rows: vec![
                    vec!["1".into()],
                    vec!["2".into(), "x ".repeat(6000), "extra".into()],
                ],
            },
        ],
    };
    let pdf = render(&doc).expect("edge cases render");
    assert!(pdf.starts_with(b"%PDF-"));
    let path = temp_pdf("edge", &pdf);
    if let Some(text) = poppler(Command::new("pdftotext").arg(&path).arg("-")) {
        assert!(
            text.contains("\u{FFFD}"),
            "missing glyphs should show as U+FFFD"
        );
        assert!(text.contains("tab here"));
        assert!(text.contains("coop"));
        assert!(text.contains("extra"));
    }
    let _ = std::fs::remove_file(path);
}

#[test]
fn empty_title_is_refused() {
    let doc = Document {
        title: "  ".into(),
        ..Document::default()
    };
    assert_eq!(render(&doc), Err(Error::EmptyTitle));
}
