//! Directory search: one in-process index that serves both backends with one ranking.
//!
//! The store is the system of record. [`SearchIndex`] is built from it at start-up (or
//! opened from a copy saved on local disk, see [`snapshot`]) and kept up to date on every write (directly after the store commits, and by following the
//! store's change feed, so that other instances' writes arrive within a second). Free text
//! is ranked by tantivy (BM25 over name, provider, categories and description, English
//! stemming: `walk` finds "Walking group"); the structured filters (category, day and time,
//! cost, age, accessibility, verification, distance) run over a compact in-memory table
//! kept beside it. Every order has a final tie-break on the activity id, so the same data
//! gives the same pages on SQLite and PostgreSQL.

mod codec;
mod cursor;
pub mod geo;
pub mod query;
pub mod snapshot;
mod text;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use socialrx_domain::directory::{
    AccessibilityFeature, Activity, ActivityStatus, BoundingBox, Category, Point, TimeOfDay,
    Weekday,
};
use time::Date;
use uuid::Uuid;

pub use codec::CodecError;
pub use cursor::Cursor;
pub use snapshot::SnapshotError;
pub use text::TextError;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best text match first (needs a text query).
    Relevance,
    /// Nearest first (needs a point).
    Distance,
    /// By name, A to Z.
    Name,
}

/// A search, every filter optional.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: Option<String>,
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// Within `radius_km` of a point; activities that cannot be placed publicly
    /// (online-only, confidential locations) are left out.
    pub near: Option<(Point, f64)>,
    /// Meets on any of these days ...
    pub days: Vec<Weekday>,
    /// ... in a session wholly within this window (UK local time).
    pub from: Option<TimeOfDay>,
    pub to: Option<TimeOfDay>,
    pub free: Option<bool>,
    pub online: Option<bool>,
    pub age: Option<u8>,
    /// Every one of these features.
    pub accessible: Vec<AccessibilityFeature>,
    pub verified_within_days: Option<u32>,
    pub open_to_new: Option<bool>,
    pub sort: Sort,
    pub limit: usize,
    pub after: Option<Cursor>,
    pub today: Date,
}

/// One result.
#[derive(Debug, Clone)]
pub struct Hit {
    pub activity: Arc<Activity>,
    pub distance_km: Option<f64>,
    pub score: Option<f32>,
}

#[derive(Debug, Clone)]
pub struct Results {
    pub hits: Vec<Hit>,
    pub next: Option<Cursor>,
}

/// The compact form of an activity that filters read.
struct Entry {
    /// The activity's id, kept here so that ordering never has to reach into the activity.
    id: Uuid,
    activity: Arc<Activity>,
    name_key: String,
    categories: u32,
    accessible: u32,
    /// A bit per weekday with a session.
    days: u8,
    point: Option<Point>,
}

impl Entry {
    fn new(activity: Arc<Activity>) -> Self {
        let d = &activity.details;
        Self {
            id: activity.id,
            name_key: name_key(&d.name),
            categories: d.categories.iter().fold(0, |acc, c| acc | c.bit()),
            accessible: d.accessibility.iter().fold(0, |acc, f| acc | f.bit()),
            days: d.schedule.iter().fold(0, |acc, s| acc | s.day.bit()),
            point: activity.public_point(),
            activity,
        }
    }

    fn matches(&self, q: &Filters) -> bool {
        let d = &self.activity.details;
        (q.categories == 0 || self.categories & q.categories != 0)
            && (q.days == 0 || self.days & q.days != 0)
            && self.accessible & q.accessible == q.accessible
            // `false` is "paid only": an unknown cost is neither free nor paid.
            && q.free.is_none_or(|f| if f { d.cost.is_free() } else { d.cost.is_paid() })
            && q.online.is_none_or(|o| d.online == o)
            && q.age.is_none_or(|a| d.ages.admits(a))
            && q.open_to_new.is_none_or(|o| d.taking_new_people == o)
            && q.verified_since
                .is_none_or(|since| d.last_verified_on.is_some_and(|v| v >= since))
            && (q.days == 0 && q.from.is_none() && q.to.is_none()
                || d.schedule
                    .iter()
                    .any(|s| (q.days == 0 || s.day.bit() & q.days != 0) && s.within(q.from, q.to)))
    }

    /// The exact distance, when the entry is within the search circle.
    fn distance(&self, near: &Near) -> Option<f64> {
        let p = self.point?;
        if !near.bbox.contains(p) {
            return None;
        }
        let d = near.centre.distance_km(p);
        (d <= near.radius_km).then_some(d)
    }
}

/// Case- and accent-insensitive enough for A to Z: lower case, trimmed.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

struct Filters {
    categories: u32,
    accessible: u32,
    days: u8,
    from: Option<TimeOfDay>,
    to: Option<TimeOfDay>,
    free: Option<bool>,
    online: Option<bool>,
    age: Option<u8>,
    open_to_new: Option<bool>,
    verified_since: Option<Date>,
}

impl Filters {
    /// No filter at all: every entry matches.
    fn is_empty(&self) -> bool {
        self.categories == 0
            && self.accessible == 0
            && self.days == 0
            && self.from.is_none()
            && self.to.is_none()
            && self.free.is_none()
            && self.online.is_none()
            && self.age.is_none()
            && self.open_to_new.is_none()
            && self.verified_since.is_none()
    }
}

struct Near {
    centre: Point,
    radius_km: f64,
    bbox: BoundingBox,
}

/// The codes and flags of an entry that the cheapest filters read (see [`Entry::matches`]).
#[derive(Clone, Copy, Default)]
struct Tags {
    categories: u32,
    accessible: u32,
    days: u8,
    free: bool,
    paid: bool,
    online: bool,
    open: bool,
}

impl Tags {
    fn of(e: &Entry) -> Self {
        let d = &e.activity.details;
        Self {
            categories: e.categories,
            accessible: e.accessible,
            days: e.days,
            free: d.cost.is_free(),
            paid: d.cost.is_paid(),
            online: d.online,
            open: d.taking_new_people,
        }
    }
}

/// The point of a slot without one: outside every box.
const NOWHERE: (f64, f64) = (f64::NAN, f64::NAN);

/// Latitude in millionths of a degree: an ordered key for the latitude band scan.
fn lat_key(p: Point) -> i32 {
    (p.lat * 1e6).round() as i32
}

#[derive(Default)]
struct Table {
    slots: Vec<Option<Entry>>,
    /// Each slot's public point (NaN when it has none), dense beside `slots`: a search
    /// around a point rules out most candidates here without reading their entries.
    points: Vec<(f64, f64)>,
    /// Each slot's codes and flags (none when empty), dense beside `slots`: the cheap
    /// filters rule most candidates out here without reading their entries.
    tags: Vec<Tags>,
    free: Vec<u32>,
    by_id: HashMap<Uuid, u32>,
    by_name: BTreeSet<(String, Uuid, u32)>,
    by_lat: BTreeSet<(i32, Uuid, u32)>,
}

impl Table {
    /// Puts the entry in its slot (reusing the activity's slot); returns the slot and
    /// whether it held the activity already (its text document must then be replaced;
    /// a new or freed slot has none: a freed slot's document went when it was freed).
    fn put(&mut self, entry: Entry) -> (u32, bool) {
        let id = entry.id;
        let (slot, replaced) = match self.by_id.get(&id) {
            Some(&slot) => {
                self.unlink(slot);
                (slot, true)
            }
            None => match self.free.pop() {
                Some(slot) => (slot, false),
                None => {
                    self.slots.push(None);
                    self.points.push(NOWHERE);
                    self.tags.push(Tags::default());
                    ((self.slots.len() - 1) as u32, false)
                }
            },
        };
        self.link(slot, entry);
        (slot, replaced)
    }

    /// Puts the entry in its (empty) slot and in the ordered sets.
    fn link(&mut self, slot: u32, entry: Entry) {
        let id = entry.id;
        self.by_id.insert(id, slot);
        self.by_name.insert((entry.name_key.clone(), id, slot));
        if let Some(p) = entry.point {
            self.by_lat.insert((lat_key(p), id, slot));
            self.points[slot as usize] = (p.lat, p.lon);
        }
        self.tags[slot as usize] = Tags::of(&entry);
        self.slots[slot as usize] = Some(entry);
    }

    /// Removes the entry from the ordered sets and empties its slot (the slot stays the
    /// activity's until [`Table::remove`]).
    fn unlink(&mut self, slot: u32) {
        self.points[slot as usize] = NOWHERE;
        self.tags[slot as usize] = Tags::default();
        if let Some(old) = self.slots[slot as usize].take() {
            let id = old.id;
            self.by_name.remove(&(old.name_key, id, slot));
            if let Some(p) = old.point {
                self.by_lat.remove(&(lat_key(p), id, slot));
            }
        }
    }

    fn remove(&mut self, id: Uuid) -> Option<u32> {
        let slot = self.by_id.remove(&id)?;
        self.unlink(slot);
        self.free.push(slot);
        Some(slot)
    }

    fn get(&self, slot: u32) -> Option<&Entry> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// Whether the slot may pass the filters: `false` rules it out, `true` leaves it to
    /// [`Entry::matches`], which decides.
    fn may_match(&self, slot: u32, f: &Filters) -> bool {
        self.tags.get(slot as usize).is_some_and(|t| {
            (f.categories == 0 || t.categories & f.categories != 0)
                && (f.days == 0 || t.days & f.days != 0)
                && t.accessible & f.accessible == f.accessible
                && f.free.is_none_or(|x| if x { t.free } else { t.paid })
                && f.online.is_none_or(|x| t.online == x)
                && f.open_to_new.is_none_or(|x| t.open == x)
        })
    }

    /// Whether the slot's public point may lie within the search: `false` rules the
    /// slot out, `true` leaves it to [`Entry::distance`], which decides.
    fn may_be_near(&self, slot: u32, near: &Near) -> bool {
        self.points
            .get(slot as usize)
            .is_some_and(|&(lat, lon)| near.bbox.contains(Point { lat, lon }))
    }
}

/// The directory's search index. Cheap to share (`Arc`); all methods take `&self`.
pub struct SearchIndex {
    table: RwLock<Table>,
    text: text::TextIndex,
    /// Set when the index is saved on disk.
    saved: Option<snapshot::Saved>,
}

impl SearchIndex {
    pub fn new() -> Result<Self, TextError> {
        Ok(Self {
            table: RwLock::new(Table::default()),
            text: text::TextIndex::new()?,
            saved: None,
        })
    }

    /// How many activities can be found.
    pub fn len(&self) -> usize {
        self.read().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The version and change time of an activity as indexed, if it is.
    pub fn indexed(&self, id: Uuid) -> Option<(i64, time::OffsetDateTime)> {
        let table = self.read();
        let slot = *table.by_id.get(&id)?;
        table
            .get(slot)
            .map(|e| (e.activity.version, e.activity.updated_at))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Brings the index in line with these activities (added, changed, or no longer
    /// active) and with these deletions, in one text-index commit.
    pub fn apply(&self, upserts: Vec<Activity>, deletions: &[Uuid]) -> Result<(), TextError> {
        self.apply_with(upserts, deletions, None)
    }

    /// `apply`, with a commit payload (a saved index's stamp) when one is given.
    fn apply_with(
        &self,
        upserts: Vec<Activity>,
        deletions: &[Uuid],
        payload: Option<String>,
    ) -> Result<(), TextError> {
        let mut batch = self.text.batch();
        if let Some(payload) = payload {
            batch.set_payload(payload);
        }
        {
            let mut table = self.write();
            for id in deletions {
                if let Some(slot) = table.remove(*id) {
                    batch.delete(slot);
                }
            }
            for activity in upserts {
                if activity.details.status != ActivityStatus::Active {
                    if let Some(slot) = table.remove(activity.id) {
                        batch.delete(slot);
                    }
                    continue;
                }
                let activity = Arc::new(activity);
                let (slot, replaced) = table.put(Entry::new(activity.clone()));
                // A delete per document costs tantivy a term lookup at commit: only
                // replacements need one (a start-up load has none).
                if replaced {
                    batch.delete(slot);
                }
                batch.add(slot, &activity)?;
            }
        }
        batch.commit()
    }

    pub fn upsert(&self, activity: Activity) -> Result<(), TextError> {
        self.apply(vec![activity], &[])
    }

    pub fn remove(&self, id: Uuid) -> Result<(), TextError> {
        self.apply(Vec::new(), &[id])
    }

    /// How many activities match `q` (its sort, limit and cursor are ignored).
    pub fn count(&self, q: &Query) -> Result<usize, TextError> {
        let all = Query {
            sort: if q.near.is_some() {
                Sort::Distance
            } else {
                Sort::Relevance
            },
            after: None,
            limit: usize::MAX / 4,
            ..q.clone()
        };
        Ok(self.search(&all)?.hits.len())
    }

    /// Runs a search. The caller has checked that the sort has what it needs (a text
    /// query for relevance, a point for distance) and that the cursor is of that sort.
    pub fn search(&self, q: &Query) -> Result<Results, TextError> {
        let filters = Filters::of(q);
        let near = q.near.map(|(centre, radius_km)| Near {
            centre,
            radius_km,
            bbox: BoundingBox::around(centre, radius_km),
        });
        let mut scored = match q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => Some(self.text.search(text)?),
            None => None,
        };
        let table = self.read();
        let limit = q.limit.max(1);
        // Name order without text or distance: walk the names from the cursor and stop
        // as soon as the page is full.
        if q.sort == Sort::Name && scored.is_none() && near.is_none() {
            return Ok(by_name(&table, &filters, q.after.as_ref(), limit));
        }
        // The first page of a text search with nothing else to filter on: only the best
        // scores can make the page.
        if let Some(scored) = scored.as_mut()
            && q.sort == Sort::Relevance
            && q.after.is_none()
            && near.is_none()
            && filters.is_empty()
            && let Some(results) = best_scores(&table, scored, limit)
        {
            return Ok(results);
        }
        Ok(candidates(
            &table,
            q,
            &filters,
            near.as_ref(),
            scored.as_deref(),
            limit,
        ))
    }
}

impl Filters {
    fn of(q: &Query) -> Self {
        Filters {
            categories: q.categories.iter().fold(0, |acc, c| acc | c.bit()),
            accessible: q.accessible.iter().fold(0, |acc, f| acc | f.bit()),
            days: q.days.iter().fold(0, |acc, d| acc | d.bit()),
            from: q.from,
            to: q.to,
            free: q.free,
            online: q.online,
            age: q.age,
            open_to_new: q.open_to_new,
            verified_since: q
                .verified_within_days
                .map(|d| q.today - time::Duration::days(i64::from(d))),
        }
    }
}

/// A page in name order, walking the names from the cursor.
fn by_name(table: &Table, filters: &Filters, after: Option<&Cursor>, limit: usize) -> Results {
    let start = match after {
        Some(Cursor::Name { key, id }) => std::ops::Bound::Excluded((key.clone(), *id, u32::MAX)),
        _ => std::ops::Bound::Unbounded,
    };
    let mut hits = Vec::with_capacity(limit.min(1024) + 1);
    for &(_, _, slot) in table.by_name.range((start, std::ops::Bound::Unbounded)) {
        if !table.may_match(slot, filters) {
            continue;
        }
        if let Some(e) = table.get(slot).filter(|e| e.matches(filters)) {
            hits.push((e, None, None));
            if hits.len() > limit {
                break;
            }
        }
    }
    page(hits, limit, Sort::Name)
}

/// The first page of a plain text search: find the lowest score that can make the page,
/// and read just the entries scored at or above it (ties at that score are decided by
/// id, as in every order). `None` when a match's slot is gone (a change being applied):
/// the general way, which skips it, answers instead.
fn best_scores(table: &Table, scored: &mut [(f32, u32)], limit: usize) -> Option<Results> {
    let k = limit.saturating_add(1);
    if scored.len() <= k {
        return None;
    }
    scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
    let floor = scored[k - 1].0;
    let mut best = Best::new(k);
    for &(score, slot) in scored.iter() {
        if score < floor {
            continue;
        }
        let e = table.get(slot)?;
        best.offer(Candidate {
            key: SortKey::Relevance(-score, e.id),
            entry: e,
            distance: None,
            score: Some(score),
        });
    }
    Some(page(best.into_hits(), limit, Sort::Relevance))
}

/// Every other search: the candidates (text matches, or the latitude band around the
/// point, or everything), filtered, then the best `limit + 1` kept in order. Each
/// candidate's sort key is made once, from the entry itself: ordering never reads the
/// activities (scattered on the heap) nor allocates.
fn candidates(
    table: &Table,
    q: &Query,
    filters: &Filters,
    near: Option<&Near>,
    scored: Option<&[(f32, u32)]>,
    limit: usize,
) -> Results {
    let after = q.after.as_ref().map(|after| match after {
        Cursor::Relevance { score, id } => SortKey::Relevance(-score, *id),
        Cursor::Distance { km, id } => SortKey::Distance(*km, *id),
        Cursor::Name { key, id } => SortKey::Name(key.as_str(), *id),
    });
    let mut best = Best::new(limit.saturating_add(1));
    let mut consider =
        |e, score| consider(&mut best, e, score, filters, near, q.sort, after.as_ref());
    match (scored, near) {
        (Some(scored), _) => {
            for &(score, slot) in scored {
                if near.is_some_and(|n| !table.may_be_near(slot, n))
                    || !table.may_match(slot, filters)
                {
                    continue;
                }
                if let Some(e) = table.get(slot) {
                    consider(e, Some(score));
                }
            }
        }
        (None, Some(n)) => {
            let lo = (
                lat_key(Point {
                    lat: n.bbox.min_lat,
                    lon: 0.0,
                }),
                Uuid::nil(),
                0,
            );
            let hi = (
                lat_key(Point {
                    lat: n.bbox.max_lat,
                    lon: 0.0,
                }),
                Uuid::max(),
                u32::MAX,
            );
            for &(_, _, slot) in table.by_lat.range(lo..=hi) {
                if !table.may_be_near(slot, n) || !table.may_match(slot, filters) {
                    continue;
                }
                if let Some(e) = table.get(slot) {
                    consider(e, None);
                }
            }
        }
        (None, None) => {
            for &(_, _, slot) in &table.by_name {
                if !table.may_match(slot, filters) {
                    continue;
                }
                if let Some(e) = table.get(slot) {
                    consider(e, None);
                }
            }
        }
    }
    page(best.into_hits(), limit, q.sort)
}

/// Offers `e` to the page when it passes the filters, lies within the search circle and
/// comes after the cursor.
fn consider<'t>(
    best: &mut Best<'t>,
    e: &'t Entry,
    score: Option<f32>,
    filters: &Filters,
    near: Option<&Near>,
    sort: Sort,
    after: Option<&SortKey<'t>>,
) {
    if !e.matches(filters) {
        return;
    }
    let distance = match near {
        Some(n) => match e.distance(n) {
            Some(d) => Some(d),
            None => return,
        },
        None => None,
    };
    let key = match sort {
        Sort::Relevance => SortKey::Relevance(-score.unwrap_or(0.0), e.id),
        Sort::Distance => SortKey::Distance(distance.unwrap_or(f64::MAX), e.id),
        Sort::Name => SortKey::Name(e.name_key.as_str(), e.id),
    };
    if after.is_some_and(|after| key.partial_cmp(after) != Some(std::cmp::Ordering::Greater)) {
        return;
    }
    best.offer(Candidate {
        key,
        entry: e,
        distance,
        score,
    });
}

/// Where a result stands in its order: smaller comes first. The id breaks every tie.
#[derive(PartialEq, PartialOrd)]
enum SortKey<'a> {
    Relevance(f32, Uuid),
    Distance(f64, Uuid),
    Name(&'a str, Uuid),
}

struct Candidate<'a> {
    key: SortKey<'a>,
    entry: &'a Entry,
    distance: Option<f64>,
    score: Option<f32>,
}

impl Candidate<'_> {
    fn cmp_key(&self, other: &Self) -> std::cmp::Ordering {
        self.key
            .partial_cmp(&other.key)
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

impl PartialEq for Candidate<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_key(other).is_eq()
    }
}

impl Eq for Candidate<'_> {}

impl PartialOrd for Candidate<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.cmp_key(other)
    }
}

/// The `keep` smallest candidates offered, by sort key: a max-heap whose top is the
/// worst kept, so that a candidate that cannot make the page costs one comparison.
struct Best<'a> {
    keep: usize,
    heap: std::collections::BinaryHeap<Candidate<'a>>,
}

impl<'a> Best<'a> {
    fn new(keep: usize) -> Self {
        Self {
            keep,
            heap: std::collections::BinaryHeap::with_capacity(keep.min(128)),
        }
    }

    fn offer(&mut self, c: Candidate<'a>) {
        if self.heap.len() < self.keep {
            self.heap.push(c);
        } else if let Some(mut worst) = self.heap.peek_mut()
            && c < *worst
        {
            *worst = c;
        }
    }

    /// The kept candidates, best first.
    fn into_hits(self) -> Vec<(&'a Entry, Option<f64>, Option<f32>)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|c| (c.entry, c.distance, c.score))
            .collect()
    }
}

fn page(mut hits: Vec<(&Entry, Option<f64>, Option<f32>)>, limit: usize, sort: Sort) -> Results {
    let more = hits.len() > limit;
    hits.truncate(limit);
    let next = if more {
        hits.last().map(|(e, d, s)| {
            let id = e.id;
            match sort {
                Sort::Relevance => Cursor::Relevance {
                    score: s.unwrap_or(0.0),
                    id,
                },
                Sort::Distance => Cursor::Distance {
                    km: d.unwrap_or(f64::MAX),
                    id,
                },
                Sort::Name => Cursor::Name {
                    key: e.name_key.clone(),
                    id,
                },
            }
        })
    } else {
        None
    };
    Results {
        hits: hits
            .into_iter()
            .map(|(e, distance_km, score)| Hit {
                activity: e.activity.clone(),
                distance_km,
                score,
            })
            .collect(),
        next,
    }
}

#[cfg(test)]
mod tests;
