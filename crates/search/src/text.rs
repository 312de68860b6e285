//! The free-text half of the index: tantivy, English stemming, BM25. In RAM, or in a
//! directory on disk (memory-mapped) when the index is saved between starts; a saved
//! index also stores each activity's record (see `codec`) so that the filter table can be
//! rebuilt from it.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use socialrx_domain::directory::Activity;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::QueryParser;
use tantivy::schema::document::Value;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};

/// The text index failed: tantivy's error (attached as the source), or a saved index
/// that cannot be used as it is.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("search index")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("saved search index: {0}")]
    Saved(String),
}

#[derive(Clone, Copy)]
struct Fields {
    slot: Field,
    name: Field,
    provider: Field,
    categories: Field,
    description: Field,
    /// The activity's record (`codec`), stored only in a saved index.
    record: Field,
}

pub(crate) struct TextIndex {
    fields: Fields,
    writer: Mutex<Writer>,
    reader: IndexReader,
    parser: QueryParser,
    /// Whether documents carry their activity's record (a saved index).
    stored: bool,
}

struct Writer {
    inner: IndexWriter,
    /// Written into every commit's metadata (a saved index's stamp).
    payload: Option<String>,
}

/// The longest query text considered; longer input is cut.
const MAX_QUERY_CHARS: usize = 200;

fn schema() -> (Schema, Fields) {
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
        record: schema.add_bytes_field("record", STORED),
    };
    (schema.build(), fields)
}

impl TextIndex {
    /// A new index in RAM, lost when the process ends.
    pub fn new() -> Result<Self, TextError> {
        let (schema, fields) = schema();
        Self::with(Index::create_in_ram(schema), fields, false)
    }

    /// A new index in `dir`, which must hold none.
    pub fn create_in(dir: &Path) -> Result<Self, TextError> {
        let (schema, fields) = schema();
        Self::with(Index::create_in_dir(dir, schema)?, fields, true)
    }

    /// The index saved in `dir` and the payload of its last commit. An index whose
    /// schema is not this one is refused.
    pub fn open_in(dir: &Path) -> Result<(Self, Option<String>), TextError> {
        let (schema, fields) = schema();
        let index = Index::open_in_dir(dir)?;
        if index.schema() != schema {
            return Err(TextError::Saved(
                "the saved index has another schema".into(),
            ));
        }
        // Every file's checksum, before anything is read from them: a damaged file could
        // otherwise give wrong results rather than an error.
        let damaged = index.validate_checksum()?;
        if !damaged.is_empty() {
            return Err(TextError::Saved(format!(
                "{} file(s) of the saved index fail their checksum",
                damaged.len()
            )));
        }
        let payload = index.load_metas()?.payload;
        let mut text = Self::with(index, fields, true)?;
        text.writer
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .payload = payload.clone();
        Ok((text, payload))
    }

    fn with(index: Index, fields: Fields, stored: bool) -> Result<Self, TextError> {
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
            writer: Mutex::new(Writer {
                inner: writer,
                payload: None,
            }),
            reader,
            parser,
            stored,
        })
    }

    /// `decode` of every live document's stored record (a saved index), in no particular
    /// order, on a thread per core: decoding the records is most of the time a start takes to
    /// open a saved index.
    pub fn records<T: Send>(
        &self,
        decode: impl Fn(&[u8]) -> T + Sync,
    ) -> Result<Vec<T>, TextError> {
        let searcher = self.reader.searcher();
        let segment = |segment: &SegmentReader| -> Result<Vec<T>, TextError> {
            let store = segment
                .get_store_reader(1)
                .map_err(|e| TextError::Saved(format!("cannot read stored records: {e}")))?;
            let mut out = Vec::with_capacity(segment.num_docs() as usize);
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc?;
                let record = doc
                    .get_first(self.fields.record)
                    .and_then(|v| v.as_bytes())
                    .ok_or_else(|| TextError::Saved("a saved document has no record".into()))?;
                out.push(decode(record));
            }
            Ok(out)
        };
        // A thread per core (not per segment: a bulk load leaves several), each taking
        // every n-th segment.
        let segments = searcher.segment_readers();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, segments.len().max(1));
        let parts: Vec<Result<Vec<T>, TextError>> = std::thread::scope(|scope| {
            let running: Vec<_> = (0..threads)
                .map(|i| {
                    let segment = &segment;
                    scope.spawn(move || -> Result<Vec<T>, TextError> {
                        let mut out = Vec::new();
                        for s in segments.iter().skip(i).step_by(threads) {
                            out.append(&mut segment(s)?);
                        }
                        Ok(out)
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|t| {
                    t.join().unwrap_or_else(|_| {
                        Err(TextError::Saved("reading records panicked".into()))
                    })
                })
                .collect()
        });
        let mut all = Vec::new();
        for part in parts {
            all.append(&mut part?);
        }
        Ok(all)
    }

    /// How many live documents the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn batch(&self) -> Batch<'_> {
        Batch {
            index: self,
            writer: self.writer.lock().unwrap_or_else(|p| p.into_inner()),
            dirty: false,
            record: Vec::new(),
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
    writer: MutexGuard<'a, Writer>,
    dirty: bool,
    /// Reused for each record: one allocation per batch, not per document.
    record: Vec<u8>,
}

impl Batch<'_> {
    pub fn delete(&mut self, slot: u32) {
        self.writer.inner.delete_term(Term::from_field_u64(
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
        if self.index.stored {
            self.record.clear();
            crate::codec::encode(slot, a, &mut self.record);
            doc.add_bytes(f.record, &self.record);
        }
        self.writer.inner.add_document(doc)?;
        self.dirty = true;
        Ok(())
    }

    /// Sets the payload of this commit and of every later one, and makes this batch
    /// commit even when it changes no document (so that the payload is saved).
    pub fn set_payload(&mut self, payload: String) {
        self.writer.payload = Some(payload);
        self.dirty = true;
    }

    pub fn commit(mut self) -> Result<(), TextError> {
        if self.dirty {
            let payload = self.writer.payload.clone();
            let mut prepared = self.writer.inner.prepare_commit()?;
            if let Some(payload) = payload {
                prepared.set_payload(&payload);
            }
            prepared.commit()?;
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
