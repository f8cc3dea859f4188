//! Writing an import (documents with their spans, from any reader in
//! [`crate::io`]) into the project: in short transactions, invisible until
//! its last one commits (the mechanism is specified in the `store` module
//! documentation, "Imports in short transactions").
//!
//! [`Store::begin_import`], [`Store::import_batch`] (as often as needed),
//! then [`Store::finish_import`] or [`Store::abandon_import`];
//! [`Store::import_records`] does all of it for records in memory. Records
//! are checked first ([`check_record`]: in range, `start < end`, covered
//! text equal to the record's `text` when one is given). A document whose
//! text (SHA-256) is already in the project is not added again, and its
//! spans are attached to the existing document; a span identical to a live
//! one (same layer, document, offsets and label) is counted and not stored
//! twice. Documents go through `insert_document`, the only way documents
//! enter the project. It must not parse files, map labels or know about
//! egui: readers do the first two, and the caller decides what a bad record
//! means.
//!
//! Audit rows: `document.import` for each new document (written by
//! `insert_document`), `span.import` for each document already in the project
//! that received spans (`after` = `{"layer": id, "layer_name": …, "spans": [ids]}`),
//! and one `import` row with the whole report ([`ImportReport::to_json`]),
//! `"import_id"` and `"span_ids": [first, last]`, the first and last span id
//! the import wrote. Spans get origin `imported`, the importing annotator,
//! the named layer of kind `imported`, and `schema_version` = the newest
//! stored schema (like `add_span`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::{
    During, LayerKind, NewDocument, Store, StoreError, ensure_annotator, import_layer_named,
    insert_document, now, sha256_hex, to_i64, write_audit, write_import_audit,
};
use crate::model::{AnnotatorId, Attrs, DocId, LayerId, SpanId};

/// Where a record came from: `file:line`, and the field for span problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as given.
    pub file: String,
    /// 1-based line; `None` when the problem is about the whole file.
    pub line: Option<usize>,
    /// What is wrong and, where it helps, what to do.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// A span as a file states it, not yet checked against its document.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSpan {
    /// Code-point offsets into the record's text, start inclusive, end exclusive.
    pub start: usize,
    pub end: usize,
    pub label: String,
    /// The covered text as the file states it; must equal the text at the offsets.
    pub text: Option<String>,
    pub score: Option<f64>,
    pub model: Option<String>,
    pub attrs: Attrs,
    /// A note on the span (`""`: none).
    pub note: String,
    /// Where the span sits in its record, for messages, e.g. `spans[2]` or `label[0]`.
    pub field: String,
}

/// One document of an import with the spans to attach to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    pub doc: NewDocument,
    pub spans: Vec<ImportSpan>,
    /// The layer (kind `imported`) the spans go into.
    pub layer: String,
    /// File and first line of the record.
    pub file: String,
    pub line: usize,
}

impl ImportRecord {
    fn problem(&self, reason: String) -> Problem {
        Problem {
            file: self.file.clone(),
            line: Some(self.line),
            reason,
        }
    }
}

/// What an import did, filled in partly by the readers (marks, map drops,
/// problems of skipped records) and partly by [`Store::import_records`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Files read.
    pub files: usize,
    /// Records (documents) read from the files, bad ones included.
    pub records: usize,
    /// CoNLL sentences and tokens read.
    pub sentences: usize,
    pub tokens: usize,
    /// CoNLL `I-` tags that did not continue a span and so started one.
    pub orphan_inside: usize,
    /// U+200E/U+200F marks removed from CoNLL tokens.
    pub marks_removed: usize,
    /// Byte-order marks removed at the start of files.
    pub boms_removed: usize,
    /// Spans the files hold (before the label map).
    pub spans_read: usize,
    pub documents_added: usize,
    /// Documents whose text was already in the project (or earlier in this import).
    pub documents_present: usize,
    pub spans_added: usize,
    /// Spans identical to one already stored (same layer, document, offsets, label).
    pub spans_duplicate: usize,
    /// Spans the label map drops on purpose, by original label.
    pub dropped_by_map: BTreeMap<String, usize>,
    /// Labels neither in the schema nor mapped, kept as they are (`--keep-unknown`).
    pub unknown_kept: BTreeMap<String, usize>,
    /// Spans in records that were refused.
    pub spans_refused: usize,
    /// Records refused, with why (only with skip-bad; otherwise nothing is written).
    pub refused: Vec<Problem>,
    /// Spans added per layer name.
    pub layers: BTreeMap<String, usize>,
}

impl ImportReport {
    /// Spans the map dropped, all labels together.
    pub fn dropped_total(&self) -> usize {
        self.dropped_by_map.values().sum()
    }

    /// The report as JSON (stored in the `import` audit row).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "files": self.files,
            "records": self.records,
            "sentences": self.sentences,
            "tokens": self.tokens,
            "orphan_inside": self.orphan_inside,
            "marks_removed": self.marks_removed,
            "boms_removed": self.boms_removed,
            "spans_read": self.spans_read,
            "documents_added": self.documents_added,
            "documents_present": self.documents_present,
            "spans_added": self.spans_added,
            "spans_duplicate": self.spans_duplicate,
            "dropped_by_map": self.dropped_by_map,
            "unknown_kept": self.unknown_kept,
            "spans_refused": self.spans_refused,
            "refused": self.refused.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "layers": self.layers,
        })
    }
}

fn counts(map: &BTreeMap<String, usize>) -> String {
    let mut items: Vec<_> = map.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    items
        .iter()
        .map(|(label, n)| format!("{label} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} file{}: {} record{}",
            self.files,
            plural(self.files),
            self.records,
            plural(self.records)
        )?;
        if self.sentences > 0 {
            write!(f, ", {} sentences, {} tokens", self.sentences, self.tokens)?;
        }
        writeln!(f, ", {} spans", self.spans_read)?;
        if self.marks_removed > 0 || self.boms_removed > 0 {
            writeln!(
                f,
                "removed {} direction marks (U+200E/U+200F) from tokens and {} byte-order mark{}",
                self.marks_removed,
                self.boms_removed,
                plural(self.boms_removed)
            )?;
        }
        if self.orphan_inside > 0 {
            writeln!(
                f,
                "{} I- tag{} without a B- tag started a new span",
                self.orphan_inside,
                plural(self.orphan_inside)
            )?;
        }
        writeln!(
            f,
            "documents: {} added, {} already in the project",
            self.documents_added, self.documents_present
        )?;
        writeln!(
            f,
            "spans: {} added, {} already there, {} dropped by the label map, {} in refused records",
            self.spans_added,
            self.spans_duplicate,
            self.dropped_total(),
            self.spans_refused
        )?;
        for (layer, n) in &self.layers {
            writeln!(f, "  layer {layer:?}: {n} spans added")?;
        }
        if !self.dropped_by_map.is_empty() {
            writeln!(
                f,
                "dropped by the label map: {}",
                counts(&self.dropped_by_map)
            )?;
        }
        if !self.unknown_kept.is_empty() {
            writeln!(
                f,
                "kept labels that are not in the schema: {}",
                counts(&self.unknown_kept)
            )?;
        }
        for problem in &self.refused {
            writeln!(f, "refused {problem}")?;
        }
        write!(
            f,
            "added {} documents and {} spans, skipped {} documents already present, {} duplicate spans and {} spans dropped by the map, refused {} record{}",
            self.documents_added,
            self.spans_added,
            self.documents_present,
            self.spans_duplicate,
            self.dropped_total(),
            self.refused.len(),
            plural(self.refused.len())
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Bad records, and skipping them was not asked for.
    #[error(
        "{} bad record{}, so nothing was imported; fix them, or skip bad records (--skip-bad) to import the rest:\n{}",
        problems.len(),
        plural(problems.len()),
        list_problems(problems)
    )]
    Refused { problems: Vec<Problem> },
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
    /// Another import is writing to the project; imports run one at a time.
    #[error(
        "{running} is still writing to this project; imports run one at a time, so wait for it to finish and import again"
    )]
    Busy { running: RunningImport },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The problems one per line, at most 20, then how many more.
pub fn list_problems(problems: &[Problem]) -> String {
    const SHOWN: usize = 20;
    let mut lines: Vec<String> = problems
        .iter()
        .take(SHOWN)
        .map(|p| format!("  {p}"))
        .collect();
    if problems.len() > SHOWN {
        lines.push(format!("  … and {} more", problems.len() - SHOWN));
    }
    lines.join("\n")
}

/// Page cache while importing, in KiB (SQLite's negative `cache_size`): 64 MiB.
const IMPORT_CACHE_SIZE: i64 = -65_536;
/// SQLite's default page cache (2 MiB).
const DEFAULT_CACHE_SIZE: i64 = -2_000;

/// How long one import transaction may hold the write lock, about. Between
/// two transactions the importer pauses for [`IMPORT_YIELD`], so a waiting
/// writer (the window) gets the lock.
pub const IMPORT_TX_BUDGET: Duration = Duration::from_millis(5);
/// The pause between two import transactions.
pub const IMPORT_YIELD: Duration = Duration::from_micros(500);
/// An import whose heartbeat is older than this is taken for dead, even when
/// its process cannot be checked (another machine, a reused pid).
pub const IMPORT_STALE_AFTER: Duration = Duration::from_secs(60);
/// How often a running import refreshes its heartbeat, at most.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// Rows removed per transaction when cleaning up an abandoned import.
const CLEANUP_CHUNK: i64 = 2_000;

/// Who runs an import, for the message that says what holds the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOrigin {
    /// `tawsim import`.
    CommandLine,
    /// File ▸ Import… in the app.
    App,
    /// A program using the library (tests, benchmarks).
    Library,
}

impl ImportOrigin {
    /// `imports.origin`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportOrigin::CommandLine => "command line",
            ImportOrigin::App => "app",
            ImportOrigin::Library => "library",
        }
    }
}

/// An import that has begun ([`Store::begin_import`]): its rows are hidden
/// until [`Store::finish_import`] commits them, or removed by
/// [`Store::abandon_import`].
#[derive(Debug)]
pub struct ImportRun {
    id: i64,
    actor: AnnotatorId,
    schema_version: Option<i64>,
    layers: HashMap<String, LayerId>,
    /// First and last id of the spans written.
    span_ids: Option<(SpanId, SpanId)>,
    last_heartbeat: Instant,
    /// Records written so far.
    pub written: usize,
    /// The counts the store fills in (documents and spans added, …).
    pub report: ImportReport,
}

impl ImportRun {
    /// `imports.id` of this import.
    pub fn id(&self) -> i64 {
        self.id
    }
}

/// An import that is running, as `imports` records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningImport {
    pub id: i64,
    pub origin: String,
    /// The files, as given.
    pub source: String,
    pub pid: i64,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// `HH:MM` in the computer's local time.
    pub started_local: String,
}

impl fmt::Display for RunningImport {
    /// `an import of news.jsonl started at 14:02 from the command line (process 4711)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = match self.origin.as_str() {
            "app" => "in a tawsim window",
            "command line" => "from the command line",
            _ => "by a program",
        };
        write!(
            f,
            "an import of {} started at {} {from} (process {})",
            self.source, self.started_local, self.pid
        )
    }
}

impl Store {
    /// Begin an import by `actor`: clean up what abandoned imports left,
    /// refuse if another import is running (imports run one at a time; the
    /// error names it), and record this one as running. Short transactions.
    pub fn begin_import(
        &mut self,
        actor: AnnotatorId,
        origin: ImportOrigin,
        source: &str,
    ) -> Result<ImportRun, BatchError> {
        self.clean_up_imports()?;
        let tx = self.begin("begin an import")?;
        ensure_annotator(&tx, actor)?;
        if let Some(running) = running_imports(&tx)?.into_iter().next() {
            return Err(BatchError::Busy { running });
        }
        let at = now();
        let id: i64 = tx
            .query_row(
                "INSERT INTO main.imports (state, origin, source, actor, pid, host, started_at, heartbeat_at,
                                           doc_floor, span_floor, audit_floor, layer_floor)
                 VALUES ('running', ?1, ?2, ?3, ?4, ?5, ?6, ?6,
                         (SELECT coalesce(max(id), 0) FROM main.documents),
                         (SELECT coalesce(max(id), 0) FROM main.spans),
                         (SELECT coalesce(max(id), 0) FROM main.audit),
                         (SELECT coalesce(max(id), 0) FROM main.layers))
                 RETURNING id",
                params![
                    origin.as_str(),
                    source,
                    actor,
                    i64::from(std::process::id()),
                    host_name(),
                    at
                ],
                |row| row.get(0),
            )
            .during("begin an import")?;
        let schema_version: Option<i64> = tx
            .query_row("SELECT max(version) FROM schemas", [], |row| row.get(0))
            .during("read the schema version")?;
        tx.commit().during("begin an import")?;
        self.tune_for_import(true)?;
        Ok(ImportRun {
            id,
            actor,
            schema_version,
            layers: HashMap::new(),
            span_ids: None,
            last_heartbeat: Instant::now(),
            written: 0,
            report: ImportReport::default(),
        })
    }

    /// Write checked `records` (see [`check_record`]) for `run`, in
    /// transactions of about [`IMPORT_TX_BUDGET`] each, hidden until the run
    /// is finished. `keep_going` is asked between transactions; `false`
    /// stops with [`BatchError::Cancelled`] (the caller then abandons the run).
    pub fn import_batch(
        &mut self,
        run: &mut ImportRun,
        records: &[ImportRecord],
        keep_going: &mut dyn FnMut(&ImportRun) -> bool,
    ) -> Result<(), BatchError> {
        let mut next = 0;
        while next < records.len() {
            if !keep_going(run) {
                return Err(BatchError::Cancelled);
            }
            let started = Instant::now();
            let tx = self.begin("import documents and spans")?;
            while next < records.len() {
                write_record(&tx, run, &records[next])?;
                next += 1;
                run.written += 1;
                if started.elapsed() >= IMPORT_TX_BUDGET {
                    break;
                }
            }
            if run.last_heartbeat.elapsed() >= HEARTBEAT_EVERY {
                tx.execute(
                    "UPDATE main.imports SET heartbeat_at = ?1 WHERE id = ?2",
                    params![now(), run.id],
                )
                .during("record that the import is alive")?;
                run.last_heartbeat = Instant::now();
            }
            tx.commit().during("save part of the import")?;
            std::thread::sleep(IMPORT_YIELD);
        }
        Ok(())
    }

    /// Make everything `run` wrote visible at once: one short transaction
    /// that writes the `import` audit row with `report` (the readers' counts
    /// merged with the run's) and marks the import committed.
    pub fn finish_import(
        &mut self,
        run: ImportRun,
        mut report: ImportReport,
    ) -> Result<ImportReport, BatchError> {
        merge_counts(&mut report, &run.report);
        // The last commit is synced again, and with it everything before it.
        self.tune_for_import(false)?;
        let tx = self.begin("finish the import")?;
        let mut after = report.to_json();
        after["span_ids"] = json!(run.span_ids.map(|(first, last)| [first, last]));
        after["import_id"] = json!(run.id);
        let at = now();
        write_audit(
            &tx,
            &at,
            Some(run.actor),
            "import",
            None,
            None,
            &serde_json::Value::Null,
            &after,
        )?;
        let updated = tx
            .execute(
                "UPDATE main.imports SET state = 'committed', finished_at = ?1
                 WHERE id = ?2 AND state = 'running'",
                params![at, run.id],
            )
            .during("finish the import")?;
        if updated != 1 {
            // Another program took this import for dead and abandoned it.
            return Err(BatchError::Store(StoreError::Corrupt {
                what: format!(
                    "import {} was abandoned by another program while it ran",
                    run.id
                ),
            }));
        }
        tx.commit().during("finish the import")?;
        Ok(report)
    }

    /// Give up `run`: mark it abandoned (its rows stay hidden) and remove
    /// what it wrote, in short transactions. If removing fails, the rows
    /// stay hidden and the next [`Store::open`] removes them.
    pub fn abandon_import(&mut self, run: ImportRun) -> Result<(), StoreError> {
        self.tune_for_import(false)?;
        self.conn
            .execute(
                "UPDATE main.imports SET state = 'abandoned', finished_at = ?1 WHERE id = ?2",
                params![now(), run.id],
            )
            .during("abandon the import")?;
        self.remove_import_rows(run.id)
    }

    /// Settings of this connection while it imports (`on`) and after: a
    /// 64 MiB page cache, `synchronous=NORMAL` (the batches are not synced
    /// one by one; [`Store::finish_import`] syncs the last commit, and with
    /// it the whole write-ahead log) and checkpoints every 32 MiB of log
    /// instead of 4.
    fn tune_for_import(&self, on: bool) -> Result<(), StoreError> {
        let (cache, synchronous, checkpoint) = if on {
            (IMPORT_CACHE_SIZE, "NORMAL", 8_000)
        } else {
            (DEFAULT_CACHE_SIZE, "FULL", 1_000)
        };
        self.conn
            .pragma_update(None, "cache_size", cache)
            .and_then(|()| self.conn.pragma_update(None, "synchronous", synchronous))
            .and_then(|()| {
                self.conn
                    .pragma_update(None, "wal_autocheckpoint", checkpoint)
            })
            .during("set up the connection for an import")
    }

    /// Imports recorded as running whose process is alive.
    pub fn running_imports(&self) -> Result<Vec<RunningImport>, StoreError> {
        running_imports(&self.conn)
    }

    /// Abandon imports recorded as running whose process is gone (killed,
    /// crashed, machine restarted) and remove the rows of every abandoned
    /// import, in short transactions. Returns how many imports were cleaned
    /// up. [`Store::open`] calls it.
    pub fn clean_up_imports(&mut self) -> Result<usize, StoreError> {
        let dead: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT id, pid, host, heartbeat_at FROM main.imports WHERE state = 'running'",
                )
                .during("look for stopped imports")?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                })
                .during("look for stopped imports")?;
            let mut dead = Vec::new();
            for row in rows {
                let (id, pid, host, heartbeat) = row.during("look for stopped imports")?;
                if !import_alive(pid, &host, &heartbeat) {
                    dead.push(id);
                }
            }
            dead
        };
        for id in &dead {
            self.conn
                .execute(
                    "UPDATE main.imports SET state = 'abandoned', finished_at = ?1
                     WHERE id = ?2 AND state = 'running'",
                    params![now(), id],
                )
                .during("abandon a stopped import")?;
        }
        let abandoned: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id FROM main.imports WHERE state = 'abandoned'")
                .during("look for abandoned imports")?;
            let rows = stmt
                .query_map([], |row| row.get(0))
                .during("look for abandoned imports")?;
            rows.collect::<Result<_, _>>()
                .during("look for abandoned imports")?
        };
        for id in &abandoned {
            self.remove_import_rows(*id)?;
        }
        Ok(abandoned.len())
    }

    /// Remove the rows of abandoned import `id` (audit rows, spans, span
    /// counts, search queue, documents, layers, in that order for the foreign keys), a chunk
    /// per transaction, then mark it cleaned.
    fn remove_import_rows(&mut self, id: i64) -> Result<(), StoreError> {
        // Its rows lie above the floors recorded when it began; no index on
        // import_id is kept (it would cost every import row an entry).
        let above_floor = |table: &str, floor: &str| {
            format!(
                "DELETE FROM main.{table} WHERE rowid IN
                    (SELECT rowid FROM main.{table}
                     WHERE rowid > (SELECT {floor} FROM main.imports WHERE id = ?1)
                       AND import_id = ?1 LIMIT ?2)"
            )
        };
        let steps = [
            above_floor("audit", "audit_floor"),
            above_floor("spans", "span_floor"),
            // Its span counts, all zero once its spans are gone (schema 4).
            "DELETE FROM main.span_counts WHERE import_id = ?1 AND live = 0 AND ?2 > 0".to_owned(),
            "DELETE FROM main.search_queue WHERE doc_id IN
                (SELECT doc_id FROM main.search_queue WHERE import_id = ?1 LIMIT ?2)"
                .to_owned(),
            above_floor("documents", "doc_floor"),
            above_floor("layers", "layer_floor"),
        ];
        for step in &steps {
            loop {
                let tx = self.begin("remove an abandoned import")?;
                let removed = tx
                    .execute(step, params![id, CLEANUP_CHUNK])
                    .during("remove an abandoned import")?;
                tx.commit().during("remove an abandoned import")?;
                if removed == 0 {
                    break;
                }
                std::thread::sleep(IMPORT_YIELD);
            }
        }
        self.conn
            .execute(
                "UPDATE main.imports SET state = 'cleaned' WHERE id = ?1 AND state = 'abandoned'",
                [id],
            )
            .during("remove an abandoned import")?;
        Ok(())
    }

    /// Check, write and commit `records` by `actor` as one import from
    /// `origin` (in short transactions, hidden until the last one), completing
    /// `report`.
    ///
    /// Every record is checked first. A bad record fails the whole import
    /// ([`BatchError::Refused`], nothing written) unless `skip_bad`, which
    /// leaves it out and lists it in the report. `progress(done, total)` is
    /// called now and then; when it returns `false` the import stops and
    /// what it wrote is removed ([`BatchError::Cancelled`]).
    pub fn import_records(
        &mut self,
        records: &[ImportRecord],
        actor: AnnotatorId,
        skip_bad: bool,
        mut report: ImportReport,
        progress: &mut dyn FnMut(usize, usize) -> bool,
    ) -> Result<ImportReport, BatchError> {
        let mut good = Vec::with_capacity(records.len());
        let mut problems = Vec::new();
        for record in records {
            match check_record(record) {
                Ok(()) => good.push(record.clone()),
                Err(problem) => {
                    report.spans_refused += record.spans.len();
                    problems.push(problem);
                }
            }
        }
        if !problems.is_empty() && !skip_bad {
            return Err(BatchError::Refused { problems });
        }
        report.refused.extend(problems);
        let total = good.len();
        let mut run = self.begin_import(actor, ImportOrigin::Library, "records")?;
        let written = self.import_batch(&mut run, &good, &mut |run| progress(run.written, total));
        let finished = written.and_then(|()| {
            if progress(total, total) {
                Ok(())
            } else {
                Err(BatchError::Cancelled)
            }
        });
        match finished {
            Ok(()) => self.finish_import(run, report),
            Err(error) => {
                self.abandon_import(run)?;
                Err(error)
            }
        }
    }
}

/// Add the store's counts from a run to the readers' report.
fn merge_counts(report: &mut ImportReport, run: &ImportReport) {
    report.documents_added += run.documents_added;
    report.documents_present += run.documents_present;
    report.spans_added += run.spans_added;
    report.spans_duplicate += run.spans_duplicate;
    for (layer, n) in &run.layers {
        *report.layers.entry(layer.clone()).or_default() += n;
    }
}

/// Write one checked record inside the caller's transaction.
fn write_record(
    tx: &rusqlite::Connection,
    run: &mut ImportRun,
    record: &ImportRecord,
) -> Result<(), BatchError> {
    let actor = run.actor;
    let sha256 = sha256_hex(record.doc.text.as_bytes());
    // `main.`: the import's own hidden documents count (a text twice in one import).
    let existing: Option<DocId> = tx
        .prepare_cached("SELECT id FROM main.documents WHERE sha256 = ?1")
        .and_then(|mut stmt| stmt.query_row([&sha256], |row| row.get(0)).optional())
        .during("look for an identical document")?;
    let doc = match existing {
        Some(id) => {
            run.report.documents_present += 1;
            id
        }
        None => {
            run.report.documents_added += 1;
            let char_len = record.doc.text.chars().count();
            insert_document(
                tx,
                &record.doc,
                &sha256,
                char_len,
                Some(actor),
                Some(run.id),
            )?
        }
    };
    if record.spans.is_empty() {
        return Ok(());
    }
    let layer = match run.layers.get(record.layer.as_str()) {
        Some(&id) => id,
        None => {
            let id = import_layer_named(
                tx,
                &record.layer,
                LayerKind::Imported,
                Some(actor),
                Some(run.id),
            )?;
            run.layers.insert(record.layer.clone(), id);
            id
        }
    };
    let mut present: HashSet<(usize, usize, String)> = HashSet::new();
    if existing.is_some() {
        let mut stmt = tx
            .prepare_cached(
                "SELECT start, \"end\", label FROM main.spans
                 WHERE layer_id = ?1 AND doc_id = ?2 AND deleted_at IS NULL",
            )
            .during("read the spans of a document")?;
        let rows = stmt
            .query_map(params![layer, doc], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .during("read the spans of a document")?;
        for row in rows {
            let (start, end, label) = row.during("read the spans of a document")?;
            present.insert((start as usize, end as usize, label));
        }
    }
    let covered = covered_texts(&record.doc.text, &record.spans);
    let at = now();
    let mut ids: Vec<SpanId> = Vec::new();
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO main.spans (doc_id, annotator_id, layer_id, start, \"end\", label, text,
                                origin, attrs, score, model, schema_version, created_at, updated_at,
                                note, import_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'imported', ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14)",
        )
        .during("import a span")?;
    for (span, text) in record.spans.iter().zip(covered) {
        if !present.insert((span.start, span.end, span.label.clone())) {
            run.report.spans_duplicate += 1;
            continue;
        }
        let attrs = serde_json::Value::Object(span.attrs.clone()).to_string();
        insert
            .execute(params![
                doc,
                actor,
                layer,
                to_i64(span.start),
                to_i64(span.end),
                span.label,
                text,
                attrs,
                span.score,
                span.model,
                run.schema_version,
                at,
                span.note,
                run.id
            ])
            .during("import a span")?;
        ids.push(tx.last_insert_rowid());
    }
    drop(insert);
    if let (Some(&first), Some(&last)) = (ids.first(), ids.last()) {
        run.span_ids.get_or_insert((first, last)).1 = last;
    }
    run.report.spans_added += ids.len();
    *run.report.layers.entry(record.layer.clone()).or_default() += ids.len();
    // A new document's spans are covered by its `document.import` row
    // and the `import` row's span id range; an existing document
    // gets its own row, so its history shows the attached spans.
    if existing.is_some() && !ids.is_empty() {
        write_import_audit(
            tx,
            Some(run.id),
            &at,
            Some(actor),
            "span.import",
            Some(doc),
            None,
            &serde_json::Value::Null,
            &json!({ "layer": layer, "layer_name": record.layer, "spans": ids }),
        )?;
    }
    Ok(())
}

/// Running imports whose process is alive, oldest first.
fn running_imports(conn: &rusqlite::Connection) -> Result<Vec<RunningImport>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, origin, source, pid, host, started_at, heartbeat_at,
                    coalesce(strftime('%H:%M', started_at, 'localtime'), started_at)
             FROM main.imports WHERE state = 'running' ORDER BY id",
        )
        .during("look for running imports")?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                RunningImport {
                    id: row.get(0)?,
                    origin: row.get(1)?,
                    source: row.get(2)?,
                    pid: row.get(3)?,
                    started_at: row.get(5)?,
                    started_local: row.get(7)?,
                },
                row.get::<_, String>(4)?,
                row.get::<_, String>(6)?,
            ))
        })
        .during("look for running imports")?;
    let mut out = Vec::new();
    for row in rows {
        let (running, host, heartbeat) = row.during("look for running imports")?;
        if import_alive(running.pid, &host, &heartbeat) {
            out.push(running);
        }
    }
    Ok(out)
}

/// Whether the import recorded with `pid` on `host` and last `heartbeat` may
/// still be running: its heartbeat is recent and, on this machine (where
/// `/proc` tells), its process exists.
fn import_alive(pid: i64, host: &str, heartbeat: &str) -> bool {
    let fresh = humantime::parse_rfc3339(heartbeat)
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_none_or(|age| age < IMPORT_STALE_AFTER);
    if !fresh {
        return false;
    }
    if host == host_name() && Path::new("/proc/self").exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    true
}

/// This machine's name, `""` where it cannot be read.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The covered text of each span (already checked to be in range).
fn covered_texts<'a>(text: &'a str, spans: &[ImportSpan]) -> Vec<&'a str> {
    let bounds = char_bounds(text);
    spans
        .iter()
        .map(|s| &text[bounds[s.start]..bounds[s.end]])
        .collect()
}

/// Byte offset of every code point, plus the text's length at the end.
fn char_bounds(text: &str) -> Vec<usize> {
    let mut bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    bounds.push(text.len());
    bounds
}

/// Check a record's text and every span: in range, `start < end`, a label,
/// and the stated covered text equal to the text at the offsets.
pub fn check_record(record: &ImportRecord) -> Result<(), Problem> {
    let text = &record.doc.text;
    if text.is_empty() {
        return Err(record.problem("text: the text is empty; a document needs text".into()));
    }
    if text.contains('\0') {
        let offset = text.chars().position(|c| c == '\0').unwrap_or_default();
        return Err(record.problem(format!(
            "text: a NUL character at character {offset}, which an article never has; remove it"
        )));
    }
    if record.spans.is_empty() {
        return Ok(());
    }
    let char_len = text.chars().count();
    // Byte offsets only when a span states its text.
    let mut bounds: Option<Vec<usize>> = None;
    for span in &record.spans {
        let field = &span.field;
        if span.start >= span.end {
            return Err(record.problem(format!(
                "{field}: start {} is not before end {}; a span covers at least one character",
                span.start, span.end
            )));
        }
        if span.end > char_len {
            return Err(record.problem(format!(
                "{field}: end {} is past the end of the text ({char_len} characters); offsets are code points",
                span.end
            )));
        }
        if span.label.trim().is_empty() {
            return Err(record.problem(format!("{field}: the label is empty; give a label")));
        }
        if let Some(stated) = &span.text {
            let bounds = bounds.get_or_insert_with(|| char_bounds(text));
            let actual = &text[bounds[span.start]..bounds[span.end]];
            if stated != actual {
                return Err(record.problem(format!(
                    "{field}: text {stated:?} differs from {actual:?} at {}..{}; offsets are code points (Python str indices) into the text",
                    span.start, span.end
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str, spans: Vec<ImportSpan>) -> ImportRecord {
        ImportRecord {
            doc: NewDocument {
                title: "t".into(),
                text: text.into(),
                source: "s".into(),
                meta: json!({}),
            },
            spans,
            layer: "model".into(),
            file: "a.jsonl".into(),
            line: 3,
        }
    }

    fn span(start: usize, end: usize, text: Option<&str>) -> ImportSpan {
        ImportSpan {
            start,
            end,
            label: "PLACE".into(),
            text: text.map(str::to_owned),
            score: None,
            model: None,
            attrs: Attrs::new(),
            note: String::new(),
            field: "spans[0]".into(),
        }
    }

    #[test]
    fn spans_are_checked_in_code_points() {
        let text = "قصف على إدلب";
        assert!(check_record(&record(text, vec![span(8, 12, Some("إدلب"))])).is_ok());
        let err = check_record(&record(text, vec![span(8, 13, None)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.jsonl:3: spans[0]: end 13 is past the end of the text (12 characters); offsets are code points"
        );
        let err = check_record(&record(text, vec![span(8, 8, None)])).unwrap_err();
        assert!(err.reason.contains("start 8 is not before end 8"), "{err}");
        // Byte offsets (إدلب starts at byte 14) give the wrong text.
        let err = check_record(&record(text, vec![span(4, 7, Some("إدلب"))])).unwrap_err();
        assert!(
            err.reason
                .starts_with("spans[0]: text \"إدلب\" differs from \"على\" at 4..7"),
            "{err}"
        );
    }
}
