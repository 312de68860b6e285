//! The free-text half of the index: tantivy in RAM, English stemming, BM25.

use std::sync::{Mutex, MutexGuard};

use socialrx_domain::directory::Activity;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::QueryParser;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};

/// The text index failed; tantivy's error stays attached as the source.
#[derive(Debug, thiserror::Error)]
#[error("search index")]
pub struct TextError(#[from] tantivy::TantivyError);

#[derive(Clone, Copy)]
struct Fields {
    slot: Field,
    name: Field,
    provider: Field,
    categories: Field,
    description: Field,
}

pub(crate) struct TextIndex {
    fields: Fields,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
    parser: QueryParser,
}

/// The longest query text considered; longer input is cut.
const MAX_QUERY_CHARS: usize = 200;

impl TextIndex {
    pub fn new() -> Result<Self, TextError> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            slot: schema.add_u64_field("slot", INDEXED | FAST),
            name: schema.add_text_field("name", text.clone()),
            provider: schema.add_text_field("provider", text.clone()),
            categories: schema.add_text_field("categories", text.clone()),
            description: schema.add_text_field("description", text),
        };
        let index = Index::create_in_ram(schema.build());
        // An indexing thread per core (at most two) with 16 MB of arena each: day to day
        // directory writes are few and small, but the start-up load indexes the whole
        // directory at once and is what readiness waits for.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
        let writer = index.writer_with_num_threads(threads, threads * 16_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut parser = QueryParser::for_index(
            &index,
            vec![
                fields.name,
                fields.provider,
                fields.categories,
                fields.description,
            ],
        );
        parser.set_field_boost(fields.name, 3.0);
        parser.set_field_boost(fields.categories, 2.0);
        parser.set_field_boost(fields.provider, 1.5);
        Ok(Self {
            fields,
            writer: Mutex::new(writer),
            reader,
            parser,
        })
    }

    pub fn batch(&self) -> Batch<'_> {
        Batch {
            index: self,
            writer: self.writer.lock().unwrap_or_else(|p| p.into_inner()),
            dirty: false,
        }
    }

    /// Every document matching `text`, with its score and slot. The text is reduced to
    /// words first: query syntax (fields, ranges, phrases) is not offered to the public.
    pub fn search(&self, text: &str) -> Result<Vec<(Score, u32)>, TextError> {
        let words: String = text
            .chars()
            .take(MAX_QUERY_CHARS)
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        if words.trim().is_empty() {
            return Ok(Vec::new());
        }
        let (query, _) = self.parser.parse_query_lenient(&words);
        let searcher = self.reader.searcher();
        Ok(searcher.search(&query, &AllScored)?)
    }
}

/// Writes to the text index, made visible to searches by [`Batch::commit`].
pub(crate) struct Batch<'a> {
    index: &'a TextIndex,
    writer: MutexGuard<'a, IndexWriter>,
    dirty: bool,
}

impl Batch<'_> {
    pub fn delete(&mut self, slot: u32) {
        self.writer.delete_term(Term::from_field_u64(
            self.index.fields.slot,
            u64::from(slot),
        ));
        self.dirty = true;
    }

    pub fn add(&mut self, slot: u32, a: &Activity) -> Result<(), TextError> {
        let f = self.index.fields;
        let d = &a.details;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.slot, u64::from(slot));
        doc.add_text(f.name, &d.name);
        doc.add_text(f.provider, &a.provider_name);
        for c in &d.categories {
            doc.add_text(f.categories, c.label());
        }
        if let Some(description) = &d.description {
            doc.add_text(f.description, description);
        }
        self.writer.add_document(doc)?;
        self.dirty = true;
        Ok(())
    }

    pub fn commit(mut self) -> Result<(), TextError> {
        if self.dirty {
            self.writer.commit()?;
            self.index.reader.reload()?;
        }
        Ok(())
    }
}

/// Collects every matching document with its score and slot.
struct AllScored;

struct AllScoredSegment {
    slots: Column<u64>,
    out: Vec<(Score, u32)>,
}

impl Collector for AllScored {
    type Fruit = Vec<(Score, u32)>;
    type Child = AllScoredSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<AllScoredSegment> {
        Ok(AllScoredSegment {
            slots: segment.fast_fields().u64("slot")?,
            out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(Score, u32)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for AllScoredSegment {
    type Fruit = Vec<(Score, u32)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(slot) = self.slots.first(doc) {
            self.out.push((score, slot as u32));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.out
    }
}
