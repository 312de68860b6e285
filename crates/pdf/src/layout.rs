//! Layout: turns the document model into positioned text lines and rules,
//! page by page, plus the logical structure (the skeleton of the tag tree)
//! that those lines belong to. Nothing here touches a PDF surface, so the
//! page count is known before anything is drawn and every footer can say
//! "Page N of M".

use std::num::NonZeroU16;

use krilla::tagging::{ArtifactType, ListNumbering, TableHeaderScope, Tag, TagKind};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::{Block, Document, Error};

// A4 portrait in PDF points (1 pt = 1/72 in), with 2 cm margins.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN: f32 = 56.69;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
const BOTTOM: f32 = PAGE_H - MARGIN;

// size in pt, bold, muted
const BODY: Style = Style::new(10.5, false, false);
const TITLE: Style = Style::new(18.0, true, false);
const SUBTITLE: Style = Style::new(11.0, false, true);
const HEADING: Style = Style::new(13.0, true, false);
const FOOTER: Style = Style::new(8.5, false, true);
const LEADING: f32 = 1.35; // line box height as a multiple of the font size
const PAD_X: f32 = 4.0; // table cell padding
const PAD_Y: f32 = 2.5;
const LIST_INDENT: f32 = 16.0;
const BLOCK_GAP: f32 = 7.0;

#[derive(Clone, Copy)]
pub(crate) struct Style {
    pub(crate) size: f32,
    pub(crate) bold: bool,
    /// Dark grey instead of black, for secondary text (still > 7:1 contrast).
    pub(crate) muted: bool,
}

impl Style {
    const fn new(size: f32, bold: bool, muted: bool) -> Style {
        Style { size, bold, muted }
    }
    fn line_h(self) -> f32 {
        self.size * LEADING
    }
    fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
}

/// One embedded font plus the tables needed to measure and map text.
pub(crate) struct Face {
    pub(crate) font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    upem: f32,
    ascent: f32,  // in ems
    descent: f32, // in ems, positive
    /// Stand-in for characters the font lacks: U+FFFD if present, else '?'.
    replacement: char,
}

impl Face {
    pub(crate) fn load(bytes: &'static [u8], name: &'static str) -> Result<Face, Error> {
        let font = Font::new(bytes.into(), 0).ok_or(Error::Font(name))?;
        let font_ref = FontRef::new(bytes).map_err(|_| Error::Font(name))?;
        let m = font_ref.metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(m.units_per_em.max(1));
        let mut face = Face {
            font,
            charmap: font_ref.charmap(),
            metrics: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem,
            ascent: m.ascent / upem,
            descent: m.descent.abs() / upem,
            replacement: '?',
        };
        if face.glyph('\u{FFFD}').is_some() {
            face.replacement = '\u{FFFD}';
        }
        Ok(face)
    }

    /// The glyph for `c`, or None if the font only has .notdef for it.
    fn glyph(&self, c: char) -> Option<skrifa::GlyphId> {
        self.charmap.map(c).filter(|g| g.to_u32() != 0)
    }

    fn advance(&self, c: char) -> f32 {
        let gid = self.glyph(c).unwrap_or(skrifa::GlyphId::NOTDEF);
        self.metrics.advance_width(gid).unwrap_or(0.0) / self.upem
    }

    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// Makes text drawable with this face, so that drawn glyphs and the
    /// extractable text always agree: control characters become spaces,
    /// code points PDF/UA forbids in text (NUL, BOM, U+FFFE) and soft hyphens
    /// (we never hyphenate) are dropped, and characters the font lacks become
    /// the replacement character instead of an invisible .notdef box.
    pub(crate) fn clean(&self, text: &str) -> String {
        text.chars()
            .filter_map(|c| match c {
                '\0' | '\u{FEFF}' | '\u{FFFE}' | '\u{00AD}' => None,
                c if c.is_control() => Some(' '),
                c if self.glyph(c).is_some() => Some(c),
                _ => Some(self.replacement),
            })
            .collect()
    }

    /// One glyph per character, advanced by the font's own widths, so what is
    /// drawn matches exactly what `width` measured for wrapping. (No kerning or
    /// ligatures: letters need neither, and it keeps extraction simple.)
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let gid = self.glyph(c).map_or(0, |g| g.to_u32());
                let range = i..i + c.len_utf8();
                KrillaGlyph::new(
                    GlyphId::new(gid),
                    self.advance(c),
                    0.0,
                    0.0,
                    0.0,
                    range,
                    None,
                )
            })
            .collect()
    }
}

pub(crate) struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

impl Fonts {
    pub(crate) fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}

/// Who a drawn line belongs to: a leaf of the tag tree (by slot number; the
/// renderer collects the marked-content ids per slot), or an artifact such as
/// a footer or a repeated table header, which screen readers skip.
#[derive(Clone, Copy)]
pub(crate) enum Mark {
    Content(usize),
    Artifact(ArtifactType),
}

pub(crate) enum Op {
    /// One line of text; `baseline` is measured from the top of the page.
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
        mark: Mark,
    },
    /// A thin horizontal rule, always drawn as a layout artifact.
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
}

/// Structure skeleton: groups with krilla tags; `Content(slot)` stands for all
/// lines drawn with `Mark::Content(slot)`, in drawing (= reading) order.
pub(crate) enum Node {
    Group(TagKind, Vec<Node>),
    Content(usize),
}

/// A heading, for the PDF outline (bookmarks), which PDF/UA requires.
pub(crate) struct Heading {
    pub(crate) level: u16,
    pub(crate) text: String,
    pub(crate) page: usize,
    pub(crate) y: f32,
}

/// A table row ready to place: each cell's text already wrapped to its column.
struct Row {
    cells: Vec<(Vec<String>, Style, usize)>, // lines, style, slot
}

impl Row {
    fn lines(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.0.len())
            .max()
            .unwrap_or(0)
            .max(1)
    }
}

pub(crate) struct Layout<'f> {
    fonts: &'f Fonts,
    pub(crate) pages: Vec<Vec<Op>>,
    pub(crate) structure: Vec<Node>,
    pub(crate) headings: Vec<Heading>,
    pub(crate) slots: usize,
    y: f32,      // top of the next line box, from the top of the page
    fresh: bool, // nothing placed on the current page yet
}

pub(crate) fn layout<'f>(doc: &Document, fonts: &'f Fonts) -> Layout<'f> {
    let mut l = Layout {
        fonts,
        pages: vec![Vec::new()],
        structure: Vec::new(),
        headings: Vec::new(),
        slots: 0,
        y: MARGIN,
        fresh: true,
    };
    l.heading(1, &doc.title, TITLE);
    if let Some(subtitle) = &doc.subtitle {
        l.paragraph(subtitle, SUBTITLE);
    }
    for block in &doc.blocks {
        match block {
            Block::Heading(text) => l.heading(2, text, HEADING),
            Block::Paragraph(text) => l.paragraph(text, BODY),
            Block::List(items) => l.list(items),
            Block::Fields(pairs) => l.fields(pairs),
            Block::Table { headers, rows } => l.table(headers, rows),
        }
    }
    l.footers();
    l
}

impl Layout<'_> {
    fn slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
        self.fresh = true;
    }

    /// Starts a new page unless `height` still fits on this one. A fresh page
    /// never breaks again, so oversized content cannot loop forever.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && !self.fresh {
            self.new_page();
        }
    }

    fn gap(&mut self, height: f32) {
        if !self.fresh {
            self.y += height;
        }
    }

    fn push(&mut self, op: Op) {
        self.fresh = false;
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Places one line whose line box starts at `top`, centring the font's
    /// ascent+descent in the box.
    fn text(&mut self, x: f32, top: f32, style: Style, text: String, mark: Mark) {
        let face = self.fonts.face(style.bold);
        let inner = (face.ascent + face.descent) * style.size;
        let baseline = top + (style.line_h() - inner) / 2.0 + face.ascent * style.size;
        self.push(Op::Text {
            x,
            baseline,
            style,
            text,
            mark,
        });
    }

    fn rule(&mut self, y: f32, width: f32) {
        self.push(Op::Rule {
            x1: MARGIN,
            x2: PAGE_W - MARGIN,
            y,
            width,
        });
    }

    /// Flows wrapped lines down the page, breaking pages between lines.
    fn flow(&mut self, x: f32, lines: Vec<String>, style: Style, slot: usize) {
        for line in lines {
            self.ensure(style.line_h());
            self.text(x, self.y, style, line, Mark::Content(slot));
            self.y += style.line_h();
        }
    }

    fn wrap(&self, text: &str, style: Style, width: f32) -> Vec<String> {
        let face = self.fonts.face(style.bold);
        wrap(face, &face.clean(text), style.size, width)
    }

    fn heading(&mut self, level: u16, text: &str, style: Style) {
        let lines = self.wrap(text, style, CONTENT_W);
        if lines.is_empty() {
            return; // an empty heading would be an untitled H element under PDF/UA
        }
        self.gap(2.0 * BLOCK_GAP);
        // Keep the heading with at least two lines of what follows.
        self.ensure(lines.len() as f32 * style.line_h() + 2.0 * BODY.line_h() + 8.0);
        let text = lines.join(" ");
        self.headings.push(Heading {
            level,
            text: text.clone(),
            page: self.pages.len() - 1, // never 0: layout starts with a page
            y: self.y,
        });
        let slot = self.slot();
        self.flow(MARGIN, lines, style, slot);
        self.y += 2.0;
        self.rule(self.y, if level == 1 { 1.0 } else { 0.5 });
        self.y += BLOCK_GAP;
        // PDF/UA wants a title on every heading element.
        let level = NonZeroU16::MIN.saturating_add(level - 1);
        let tag = Tag::Hn(level, Some(text));
        self.structure
            .push(Node::Group(tag.into(), vec![Node::Content(slot)]));
    }

    fn paragraph(&mut self, text: &str, style: Style) {
        let lines = self.wrap(text, style, CONTENT_W);
        let slot = self.slot();
        self.flow(MARGIN, lines, style, slot);
        self.gap(BLOCK_GAP);
        self.structure
            .push(Node::Group(Tag::P.into(), vec![Node::Content(slot)]));
    }

    fn list(&mut self, items: &[String]) {
        let mut list_items = Vec::new();
        for item in items {
            let lines = self.wrap(item, BODY, CONTENT_W - LIST_INDENT);
            let (label, body) = (self.slot(), self.slot());
            // The bullet goes on the same page and line as the item's first line.
            self.ensure(BODY.line_h());
            self.text(MARGIN + 4.0, self.y, BODY, "•".into(), Mark::Content(label));
            if lines.is_empty() {
                self.y += BODY.line_h();
            }
            self.flow(MARGIN + LIST_INDENT, lines, BODY, body);
            self.y += 2.0;
            list_items.push(Node::Group(
                Tag::LI.into(),
                vec![
                    Node::Group(Tag::Lbl.into(), vec![Node::Content(label)]),
                    Node::Group(Tag::LBody.into(), vec![Node::Content(body)]),
                ],
            ));
        }
        self.gap(BLOCK_GAP - 2.0);
        let list = Tag::L(ListNumbering::Disc);
        self.structure.push(Node::Group(list.into(), list_items));
    }

    /// Label/value pairs as a borderless two-column table whose labels are
    /// row headers (TH scope=Row), so "NHS number" is announced with its value.
    fn fields(&mut self, pairs: &[(String, String)]) {
        let bold = self.fonts.face(true);
        let widest = pairs
            .iter()
            .map(|(k, _)| bold.width(&bold.clean(k), BODY.size));
        let label_w = (widest.fold(0.0, f32::max) + 2.0 * PAD_X + 8.0).min(0.4 * CONTENT_W);
        let widths = [label_w, CONTENT_W - label_w];
        let mut rows = Vec::new();
        for (label, value) in pairs {
            let row = self.row(&[label.as_str(), value.as_str()], &widths, |i| {
                let th = Tag::TH(TableHeaderScope::Row).into();
                if i == 0 {
                    (BODY.bold(), th)
                } else {
                    (BODY, Tag::TD.into())
                }
            });
            self.place_row(&row.0, &widths, None, None);
            rows.push(row.1);
        }
        self.gap(BLOCK_GAP);
        let body = Node::Group(Tag::TBody.into(), rows);
        self.structure
            .push(Node::Group(Tag::Table.into(), vec![body]));
    }

    fn table(&mut self, headers: &[String], rows: &[Vec<String>]) {
        let cols = rows
            .iter()
            .map(Vec::len)
            .chain([headers.len()])
            .max()
            .unwrap_or(0);
        if cols == 0 {
            return;
        }
        let cell = |row: &[String], i: usize| row.get(i).map_or("", |s| s.as_str()).to_owned();
        let header_texts: Vec<String> = (0..cols).map(|i| cell(headers, i)).collect();
        let body_texts: Vec<Vec<String>> = rows
            .iter()
            .map(|r| (0..cols).map(|i| cell(r, i)).collect())
            .collect();
        let widths = self.column_widths(&header_texts, &body_texts);

        let mut parts = Vec::new();
        let mut header = None;
        if !headers.is_empty() {
            let texts: Vec<&str> = header_texts.iter().map(String::as_str).collect();
            let (row, node) = self.row(&texts, &widths, |_| {
                (BODY.bold(), Tag::TH(TableHeaderScope::Column).into())
            });
            // Header plus the first body row must start on the same page.
            self.ensure((row.lines() + 1) as f32 * BODY.line_h() + 4.0 * PAD_Y);
            self.place_row(&row, &widths, None, Some(0.8));
            parts.push(Node::Group(Tag::THead.into(), vec![node]));
            header = Some(row);
        }
        let mut body_rows = Vec::new();
        for texts in &body_texts {
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let (row, node) = self.row(&texts, &widths, |_| (BODY, Tag::TD.into()));
            self.place_row(&row, &widths, header.as_ref(), Some(0.3));
            body_rows.push(node);
        }
        parts.push(Node::Group(Tag::TBody.into(), body_rows));
        self.gap(BLOCK_GAP);
        self.structure.push(Node::Group(Tag::Table.into(), parts));
    }

    /// Wraps each cell to its column and builds the matching TR node.
    fn row(
        &mut self,
        texts: &[&str],
        widths: &[f32],
        kind: impl Fn(usize) -> (Style, TagKind),
    ) -> (Row, Node) {
        let mut cells = Vec::new();
        let mut nodes = Vec::new();
        for (i, (text, width)) in texts.iter().zip(widths).enumerate() {
            let (style, tag) = kind(i);
            let slot = self.slot();
            cells.push((self.wrap(text, style, width - 2.0 * PAD_X), style, slot));
            nodes.push(Node::Group(tag, vec![Node::Content(slot)]));
        }
        (Row { cells }, Node::Group(Tag::TR.into(), nodes))
    }

    /// Places a row, keeping it on one page when it fits on one; a row taller
    /// than a page is split between lines. After a page break inside a table
    /// the header row is repeated as an artifact (it is tagged only once).
    fn place_row(&mut self, row: &Row, widths: &[f32], header: Option<&Row>, rule: Option<f32>) {
        let line_h = BODY.line_h();
        let lines_in = |space: f32| ((space - 2.0 * PAD_Y) / line_h).floor().max(0.0) as usize;
        let header_h = header.map_or(0.0, |h| h.lines() as f32 * line_h + 2.0 * PAD_Y);
        // Rows that cannot fit even on a fresh page start splitting right here.
        let fresh_room = lines_in(BOTTOM - MARGIN - header_h);
        let total = row.lines();
        let mut start = 0;
        let mut just_broke = false;
        while start < total {
            let room = lines_in(BOTTOM - self.y);
            let need = total - start;
            let whole_row_would_fit = start == 0 && need <= fresh_room;
            if room < need && !just_broke && !self.fresh && (whole_row_would_fit || room == 0) {
                self.new_page();
                if let Some(h) = header {
                    self.place_lines(h, widths, 0..h.lines(), true, Some(0.8));
                }
                just_broke = true;
                continue;
            }
            let take = need.min(room).max(1);
            self.place_lines(row, widths, start..start + take, false, rule);
            start += take;
            just_broke = false;
        }
    }

    fn place_lines(
        &mut self,
        row: &Row,
        widths: &[f32],
        range: std::ops::Range<usize>,
        artifact: bool,
        rule: Option<f32>,
    ) {
        let top = self.y + PAD_Y;
        let mut x = MARGIN;
        for ((lines, style, slot), width) in row.cells.iter().zip(widths) {
            let mark = match artifact {
                true => Mark::Artifact(ArtifactType::PaginationOther),
                false => Mark::Content(*slot),
            };
            for (i, line) in lines.iter().enumerate().take(range.end).skip(range.start) {
                let line_top = top + (i - range.start) as f32 * style.line_h();
                self.text(x + PAD_X, line_top, *style, line.clone(), mark);
            }
            x += width;
        }
        self.y += range.len() as f32 * BODY.line_h() + 2.0 * PAD_Y;
        if let Some(width) = rule {
            self.rule(self.y, width);
        }
    }

    /// Content-sized columns, like HTML's automatic table layout: each column
    /// gets at least its longest word and shares the rest of the width in
    /// proportion to how much more its longest cell would like.
    fn column_widths(&self, header: &[String], rows: &[Vec<String>]) -> Vec<f32> {
        // `table` padded header and rows to the same column count, so the
        // indexing below stays in bounds.
        let mut min = vec![0.0f32; header.len()];
        let mut max = vec![0.0f32; header.len()];
        let all = std::iter::once((header, true)).chain(rows.iter().map(|r| (&r[..], false)));
        for (cells, bold) in all {
            let face = self.fonts.face(bold);
            for (i, text) in cells.iter().enumerate() {
                let text = face.clean(text);
                let longest_word = words(&text).map(|w| face.width(w, BODY.size));
                let word = longest_word.fold(0.0, f32::max).min(CONTENT_W / 2.0);
                min[i] = min[i].max(word + 2.0 * PAD_X);
                max[i] = max[i].max(face.width(&text, BODY.size) + 2.0 * PAD_X);
            }
        }
        let (sum_min, sum_max): (f32, f32) = (min.iter().sum(), max.iter().sum());
        if sum_max <= CONTENT_W {
            // Everything fits unwrapped: stretch to full width in proportion.
            max.iter()
                .map(|w| w * CONTENT_W / sum_max.max(1.0))
                .collect()
        } else if sum_min >= CONTENT_W {
            min.iter().map(|w| w * CONTENT_W / sum_min).collect()
        } else {
            let spare = CONTENT_W - sum_min;
            let want = (sum_max - sum_min).max(1.0);
            min.iter()
                .zip(&max)
                .map(|(lo, hi)| lo + spare * (hi - lo) / want)
                .collect()
        }
    }

    fn footers(&mut self) {
        let total = self.pages.len();
        let face = self.fonts.face(FOOTER.bold);
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = format!("Page {} of {}", i + 1, total);
            let x = PAGE_W - MARGIN - face.width(&text, FOOTER.size);
            let baseline = PAGE_H - MARGIN / 2.0;
            let mark = Mark::Artifact(ArtifactType::Footer);
            page.push(Op::Text {
                x,
                baseline,
                style: FOOTER,
                text,
                mark,
            });
        }
    }
}

/// Breakable whitespace; no-break spaces keep e.g. "943 476 5919" together.
fn is_break(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{00A0}' | '\u{2007}' | '\u{202F}')
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_break).filter(|w| !w.is_empty())
}

/// Greedy word wrap by glyph advances. A word wider than the line (a long
/// URL, say) is split between characters so that nothing runs off the page.
fn wrap(face: &Face, text: &str, size: f32, max_w: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    let (mut line, mut line_w) = (String::new(), 0.0);
    for piece in words(text).flat_map(|w| split_long(face, w, size, max_w)) {
        let w = face.width(&piece, size);
        if line.is_empty() {
            (line, line_w) = (piece, w);
        } else if line_w + space + w <= max_w {
            line.push(' ');
            line.push_str(&piece);
            line_w += space + w;
        } else {
            lines.push(std::mem::replace(&mut line, piece));
            line_w = w;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn split_long(face: &Face, word: &str, size: f32, max_w: f32) -> Vec<String> {
    if face.width(word, size) <= max_w {
        return vec![word.to_owned()];
    }
    let mut pieces = vec![String::new()];
    let mut w = 0.0;
    for c in word.chars() {
        let cw = face.width(c.encode_utf8(&mut [0; 4]), size);
        if w + cw > max_w && pieces.last().is_some_and(|p| !p.is_empty()) {
            pieces.push(String::new());
            w = 0.0;
        }
        if let Some(p) = pieces.last_mut() {
            p.push(c);
        }
        w += cw;
    }
    pieces
}
