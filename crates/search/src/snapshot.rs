//! A saved index: the text index in a directory on local disk, each document carrying its
//! activity's record, and every commit stamped with the database it follows and how far
//! along the store's change feed it is. A start opens it and catches up from the feed
//! instead of reading the whole directory; anything doubtful is an error here, and the
//! caller builds afresh (`create_in`). The store stays the system of record: deleting the
//! directory only costs a rebuild.
//!
//! Layout of `dir`: `socialrx-search.lock` (held with an exclusive file lock while a
//! process uses the index; it also marks the directory as ours, so that a rebuild never
//! empties a directory that holds anything else) and `index/` (tantivy's files).

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use socialrx_domain::directory::{Activity, ActivityStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::codec::{self, CodecError};
use crate::text::TextIndex;
use crate::{Entry, NOWHERE, SearchIndex, Table, Tags, TextError, lat_key};

/// The layout of a saved index (schema, record codec, stamp). Bump it with any change to
/// them: a saved index of another format is rebuilt, never read.
pub const FORMAT: u32 = 1;
const LOCK: &str = "socialrx-search.lock";
const INDEX: &str = "index";
const PAYLOAD_TAG: &str = "socialrx-search";

/// Why a saved index was not opened.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "{0} holds files but no {LOCK}: not a socialrx search index directory, so it is neither used nor emptied"
    )]
    NotOurs(PathBuf),
    #[error("another process is using the saved search index in {0}")]
    Busy(PathBuf),
    #[error("there is no saved search index in {0}")]
    Missing(PathBuf),
    #[error("the saved search index does not fit: {0}")]
    Mismatch(&'static str),
    #[error("the saved search index is damaged")]
    Text(#[from] TextError),
    #[error("the saved search index is damaged")]
    Record(#[from] CodecError),
    #[error("the saved search index is damaged: {0}")]
    Damaged(&'static str),
    #[error("cannot use {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a saved index holds beside the text index: its lock, and the database it follows.
pub(crate) struct Saved {
    origin: String,
    /// Held (locked) for as long as the index is in use.
    _lock: File,
}

/// What every commit of a saved index records.
#[derive(Debug, Clone, PartialEq)]
struct Stamp {
    origin: String,
    /// The change feed was followed up to here: changes stamped at or after it may be
    /// missing (the caller's overlap already allowed for).
    since: OffsetDateTime,
}

impl Stamp {
    fn payload(&self) -> String {
        format!(
            "{PAYLOAD_TAG} format={FORMAT} origin={} since={}",
            self.origin,
            self.since.unix_timestamp_nanos()
        )
    }

    fn parse(payload: &str) -> Result<Self, SnapshotError> {
        let mut words = payload.split_whitespace();
        if words.next() != Some(PAYLOAD_TAG) {
            return Err(SnapshotError::Mismatch("it has no socialrx stamp"));
        }
        let (mut format, mut origin, mut since) = (None, None, None);
        for word in words {
            match word.split_once('=') {
                Some(("format", v)) => format = v.parse::<u32>().ok(),
                Some(("origin", v)) => origin = Some(v.to_owned()),
                Some(("since", v)) => {
                    since = v
                        .parse::<i128>()
                        .ok()
                        .and_then(|n| OffsetDateTime::from_unix_timestamp_nanos(n).ok())
                }
                _ => {}
            }
        }
        if format != Some(FORMAT) {
            return Err(SnapshotError::Mismatch("it was saved in another format"));
        }
        match (origin, since) {
            (Some(origin), Some(since)) => Ok(Self { origin, since }),
            _ => Err(SnapshotError::Damaged("its stamp is incomplete")),
        }
    }
}

/// Creates `dir` if needed and locks it for this process; refuses a directory that holds
/// anything but a saved index.
fn claim(dir: &Path) -> Result<File, SnapshotError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(LOCK);
    if !path.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        return Err(SnapshotError::NotOurs(dir.to_owned()));
    }
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(SnapshotError::Busy(dir.to_owned())),
        Err(TryLockError::Error(e)) => return Err(io(&path)(e)),
    }
    if file.metadata().map_err(io(&path))?.len() == 0 {
        file.write_all(
            b"socialrx keeps a copy of its directory search index here (a cache: the database \
              is the record). Deleting this directory while no socialrx process uses it only \
              makes the next start rebuild the index.\n",
        )
        .map_err(io(&path))?;
    }
    Ok(file)
}

impl SearchIndex {
    /// A new, empty index saved in `dir` for the database `origin` (an opaque word, such
    /// as a hash of the database's address); whatever index was saved there is removed.
    pub fn create_in(dir: &Path, origin: &str) -> Result<Self, SnapshotError> {
        let lock = claim(dir)?;
        let path = dir.join(INDEX);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        std::fs::create_dir(&path).map_err(io(&path))?;
        Ok(Self {
            table: RwLock::new(Table::default()),
            text: TextIndex::create_in(&path)?,
            saved: Some(Saved {
                origin: clean_origin(origin),
                _lock: lock,
            }),
        })
    }

    /// The index saved in `dir` for the database `origin`, and the time to follow the
    /// change feed from. Errors say why it cannot be used; the index is then rebuilt.
    pub fn open(dir: &Path, origin: &str) -> Result<(Self, OffsetDateTime), SnapshotError> {
        let lock = claim(dir)?;
        let path = dir.join(INDEX);
        if !path.join("meta.json").exists() {
            return Err(SnapshotError::Missing(dir.to_owned()));
        }
        let (text, payload) = TextIndex::open_in(&path)?;
        let stamp = Stamp::parse(payload.as_deref().unwrap_or_default())?;
        if stamp.origin != clean_origin(origin) {
            return Err(SnapshotError::Mismatch(
                "it was built from another database",
            ));
        }
        let records = text
            .records(|bytes| codec::decode(bytes).map(|(slot, a)| (slot, Entry::new(Arc::new(a)))))?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        if records.len() as u64 != text.len() {
            return Err(SnapshotError::Damaged("documents and records differ"));
        }
        let table = restore(records)?;
        let index = Self {
            table: RwLock::new(table),
            text,
            saved: Some(Saved {
                origin: stamp.origin,
                _lock: lock,
            }),
        };
        Ok((index, stamp.since))
    }

    /// As [`SearchIndex::apply`], and records (in a saved index, with the same commit)
    /// that the index holds every change stamped before `since`. The commit is made even
    /// with nothing to change, so that a saved index always has a stamp.
    pub fn apply_until(
        &self,
        upserts: Vec<Activity>,
        deletions: &[Uuid],
        since: OffsetDateTime,
    ) -> Result<(), TextError> {
        let payload = self.saved.as_ref().map(|s| {
            Stamp {
                origin: s.origin.clone(),
                since,
            }
            .payload()
        });
        self.apply_with(upserts, deletions, payload)
    }

    /// Whether the index is saved on disk (else it lives in RAM only).
    pub fn is_saved(&self) -> bool {
        self.saved.is_some()
    }

    /// The latest change time of the activities the index holds.
    pub fn latest_change(&self) -> Option<OffsetDateTime> {
        let table = self.read();
        table
            .slots
            .iter()
            .flatten()
            .map(|e| e.activity.updated_at)
            .max()
    }
}

/// Origins are one word of the payload.
fn clean_origin(origin: &str) -> String {
    origin
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

/// The table the saved records describe, each activity in the slot its text document
/// names (searches map documents to entries by slot). As `Table::link` for each, but the
/// ordered sets are built in bulk from sorted lists, several times faster than 100,000
/// single inserts.
fn restore(records: Vec<(u32, Entry)>) -> Result<Table, SnapshotError> {
    let slots = records
        .iter()
        .map(|(s, _)| *s as usize + 1)
        .max()
        .unwrap_or(0);
    // Slots are reused, so there are never many more than activities; a damaged slot
    // number must not allocate gigabytes.
    if slots > records.len() * 4 + 65_536 {
        return Err(SnapshotError::Damaged("a slot number is out of range"));
    }
    let mut table = Table::default();
    table.slots.resize_with(slots, || None);
    table.points.resize(slots, NOWHERE);
    table.tags.resize(slots, Tags::default());
    table.by_id.reserve(records.len());
    let mut names = Vec::with_capacity(records.len());
    let mut lats = Vec::with_capacity(records.len());
    for (slot, entry) in records {
        if entry.activity.details.status != ActivityStatus::Active {
            return Err(SnapshotError::Damaged(
                "it holds an activity that is not active",
            ));
        }
        let at = slot as usize;
        if table.slots[at].is_some() || table.by_id.insert(entry.id, slot).is_some() {
            return Err(SnapshotError::Damaged(
                "a slot or an activity is saved twice",
            ));
        }
        names.push((entry.name_key.clone(), entry.id, slot));
        if let Some(p) = entry.point {
            lats.push((lat_key(p), entry.id, slot));
            table.points[at] = (p.lat, p.lon);
        }
        table.tags[at] = Tags::of(&entry);
        table.slots[at] = Some(entry);
    }
    table.by_name = BTreeSet::from_iter(names);
    table.by_lat = BTreeSet::from_iter(lats);
    table.free = (0..slots as u32)
        .rev()
        .filter(|&s| table.slots[s as usize].is_none())
        .collect();
    Ok(table)
}

#[cfg(test)]
mod tests;
