//! Renders a small document model (headings, paragraphs, label/value fields,
//! bullet lists, tables) to an accessible PDF: tagged, titled, in "en-GB",
//! validated by krilla as PDF/UA-1, with DejaVu Sans embedded.
//!
//! ```
//! use socialrx_pdf::{render, Block, Document};
//! let doc = Document {
//!     title: "Social prescribing summary".into(),
//!     subtitle: None,
//!     blocks: vec![Block::Paragraph("Dear Dr Patel,".into())],
//! };
//! let pdf = render(&doc).unwrap();
//! assert!(pdf.starts_with(b"%PDF-"));
//! ```
#![forbid(unsafe_code)]

mod layout;

use krilla::color::rgb;
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{Artifact, ArtifactType, ContentTag, Identifier, SpanTag, TagGroup, TagTree};
use krilla::{SerializeSettings, error::KrillaError};

use layout::{Face, Fonts, Layout, MARGIN, Mark, Node, Op, PAGE_H, PAGE_W};

/// The language of every letter; written to the catalog and the structure root.
const LANG: &str = "en-GB";

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A letter: the title becomes the H1 (and the PDF's title), the optional
/// subtitle a paragraph under it, and the blocks follow in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    pub title: String,
    pub subtitle: Option<String>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading (H2).
    Heading(String),
    /// A paragraph; runs of whitespace (including newlines) become one space.
    Paragraph(String),
    /// Label/value pairs, e.g. ("NHS number", "943 476 5919"): a two-column
    /// table whose labels are row headers.
    Fields(Vec<(String, String)>),
    /// A bullet list.
    List(Vec<String>),
    /// A table; rows shorter than the widest row are padded with empty cells.
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// PDF/UA requires a document title, so an empty one is refused.
    EmptyTitle,
    /// An embedded font could not be read (a build problem, not an input one).
    Font(&'static str),
    /// krilla refused to write the PDF, e.g. a PDF/UA validation failure.
    Pdf(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::EmptyTitle => write!(f, "the document title is empty"),
            Error::Font(name) => write!(f, "the embedded font {name} could not be read"),
            Error::Pdf(msg) => write!(f, "PDF export failed: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// Renders the document to the bytes of a tagged PDF/UA-1 file.
pub fn render(doc: &Document) -> Result<Vec<u8>, Error> {
    let title = doc.title.trim();
    if title.is_empty() {
        return Err(Error::EmptyTitle);
    }
    let fonts = Fonts {
        regular: Face::load(REGULAR, "DejaVuSans.ttf")?,
        bold: Face::load(BOLD, "DejaVuSans-Bold.ttf")?,
    };
    let laid = layout::layout(doc, &fonts);

    // PDF/UA-1 makes krilla check what it can (title, language, tagging,
    // outline, heading titles, no .notdef glyphs, Unicode for every glyph).
    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| Error::Pdf(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    let mut pdf = krilla::Document::new_with(settings);

    // Draw every page, collecting each slot's marked-content ids in order.
    let mut content: Vec<Vec<Identifier>> = vec![Vec::new(); laid.slots];
    let page_settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| Error::Pdf("invalid page size".into()))?;
    for ops in &laid.pages {
        let mut page = pdf.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &fonts, op, &mut content);
        }
        surface.finish();
        page.finish();
    }

    let children: Vec<_> = laid
        .structure
        .iter()
        .flat_map(|n| tag_nodes(n, &mut content))
        .collect();
    pdf.set_tag_tree(TagTree::from(children).with_lang(Some(LANG.into())));
    pdf.set_outline(outline(&laid));
    let mut metadata = Metadata::new()
        .title(title.to_owned())
        .language(LANG.into())
        .creator("socialrx".into());
    if let Some(subtitle) = &doc.subtitle {
        metadata = metadata.description(subtitle.clone());
    }
    pdf.set_metadata(metadata);
    pdf.finish().map_err(describe)
}

fn draw(surface: &mut Surface, fonts: &Fonts, op: &Op, content: &mut [Vec<Identifier>]) {
    match op {
        Op::Text {
            x,
            baseline,
            style,
            text,
            mark,
        } => {
            let face = fonts.face(style.bold);
            let tag = match mark {
                Mark::Content(_) => ContentTag::Span(SpanTag::empty()),
                Mark::Artifact(kind) => ContentTag::Artifact(Artifact::with_kind(*kind)),
            };
            let id = surface.start_tagged(tag);
            let grey = if style.muted { 70 } else { 0 };
            surface.set_stroke(None);
            surface.set_fill(Some(Fill {
                paint: rgb::Color::new(grey, grey, grey).into(),
                ..Fill::default()
            }));
            let glyphs = face.glyphs(text);
            let origin = Point::from_xy(*x, *baseline);
            surface.draw_glyphs(origin, &glyphs, face.font.clone(), text, style.size, false);
            surface.end_tagged();
            if let Mark::Content(slot) = mark
                && let Some(ids) = content.get_mut(*slot)
            {
                ids.push(id);
            }
        }
        Op::Rule { x1, x2, y, width } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y);
            pb.line_to(*x2, *y);
            // A two-point line always yields a path; skip silently if not.
            let Some(path) = pb.finish() else { return };
            surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::Layout,
            )));
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: rgb::Color::new(110, 110, 110).into(),
                width: *width,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
            surface.end_tagged();
        }
    }
}

/// Turns the layout's structure skeleton into krilla tag nodes; a content
/// slot expands to the ids of all its lines (one per line, across pages).
fn tag_nodes(node: &Node, content: &mut [Vec<Identifier>]) -> Vec<krilla::tagging::Node> {
    match node {
        Node::Group(kind, children) => {
            let children = children
                .iter()
                .flat_map(|c| tag_nodes(c, content))
                .collect();
            vec![TagGroup::with_children(kind.clone(), children).into()]
        }
        Node::Content(slot) => content
            .get_mut(*slot)
            .map(std::mem::take)
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
    }
}

/// Bookmarks (required by PDF/UA): the title, with the section headings under it.
fn outline(laid: &Layout) -> Outline {
    let mut outline = Outline::new();
    let mut top: Option<OutlineNode> = None;
    for h in &laid.headings {
        let dest = XyzDestination::new(h.page, Point::from_xy(MARGIN, h.y));
        let node = OutlineNode::new(h.text.clone(), dest);
        match (h.level, top.as_mut()) {
            (1, _) | (_, None) => {
                if let Some(done) = top.replace(node.with_open(true)) {
                    outline.push_child(done);
                }
            }
            (_, Some(parent)) => parent.push_child(node),
        }
    }
    if let Some(done) = top {
        outline.push_child(done);
    }
    outline
}

/// krilla's Display only counts validation errors; list them so a failure
/// says which PDF/UA rule broke.
fn describe(err: KrillaError) -> Error {
    match err {
        KrillaError::Validation(errors) => {
            let list: Vec<String> = errors.iter().map(|(e, _)| format!("{e:?}")).collect();
            Error::Pdf(format!("PDF/UA-1 validation failed: {}", list.join("; ")))
        }
        other => Error::Pdf(other.to_string()),
    }
}
