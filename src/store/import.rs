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
//! twice. A new document's row goes in through `insert_document_row`, and
//! before each transaction commits `record_imported_documents` queues that
//! transaction's new documents for search and writes their audit rows, two
//! statements for all of them (what `insert_document` does for a single
//! article, one document at a time). It must not parse files, map labels
//! or know about egui: readers do the first two, and the caller decides
//! what a bad record means.
//!
//! Audit rows: `document.import` for each new document (`after` =
//! `{"id": id}`, the document's `imported_at` as its time), `span.import`
//! for each document already in the project that received spans, one per layer (`after` = `{"layer": id, "layer_name": …, "spans": [ids]}`),
//! and one `import` row with the whole report ([`ImportReport::to_json`]),
//! `"import_id"` and `"span_ids": [first, last]`, the first and last span id
//! the import wrote. Spans get origin `imported`, the importing annotator,
//! the record's layer of kind `imported`, a new uid, the import's time, and
//! `schema_version` = the newest stored schema (like `add_span`).
//!
//! A span with a [`Provenance`] (tawsim's own JSONL export, read with layers
//! from the file) goes where it says instead: into the layer of its
//! annotator (an annotator missing from the project is added with their
//! layer, as [`Store::annotator_id`] does, with an `annotator.create` row
//! hidden with the import), into the imported layer it names, or into the
//! project's gold layer; made by the annotator it names, with its uid and
//! times. A span whose uid the project already holds is the same span: it
//! is counted as already there. A name the project cannot take (an
//! annotator whose name another kind of layer has) refuses the import
//! ([`BatchError::Target`], naming the record and field).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::review::GOLD;
use super::turn::{LOOK_EVERY, WantFile};
use super::{
    During, LayerKind, NEW_UID, NewDocument, Store, StoreError, Uid, document_with_sha256,
    ensure_annotator, import_layer_named, insert_annotator, insert_document_row, now,
    record_imported_documents, sha256_hex, to_i64, write_audit, write_import_audit,
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
    /// The layer, annotator, uid and times the file states for the span
    /// (tawsim's own JSONL export, read with layers from the file); `None`:
    /// the record's layer, by the importing annotator, made now.
    pub provenance: Option<Provenance>,
}

/// Where a span came from, as tawsim's own JSONL export states it: the span
/// goes back into a layer of that kind, made by that annotator.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// [`LayerKind::Annotator`]: the layer of annotator `annotator` (created,
    /// with the annotator, if missing); [`LayerKind::Imported`]: the imported
    /// layer `layer`; [`LayerKind::Gold`]: the project's gold layer.
    pub kind: LayerKind,
    /// The layer's name in the file (used for imported layers).
    pub layer: String,
    /// Who made the span; `None`: the importing annotator (not allowed for
    /// an annotator layer: the reader refuses such a span).
    pub annotator: Option<String>,
    /// The span's global identity; `None`: a new one. A span whose uid the
    /// project already holds is the same span and is not stored again.
    pub uid: Option<Uid>,
    /// RFC 3339 UTC with milliseconds; `None`: the time of the import.
    pub created_at: Option<String>,
    /// RFC 3339 UTC with milliseconds; `None`: `created_at`.
    pub updated_at: Option<String>,
}

/// One document of an import with the spans to attach to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    pub doc: NewDocument,
    pub spans: Vec<ImportSpan>,
    /// The layer (kind `imported`) the spans without a [`Provenance`] go into.
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
    /// With layers from the file: spans that named no layer (a file not from
    /// tawsim's own JSONL export, or from one older than these fields), by
    /// the layer they went into instead (the file's name or `--layer`).
    pub spans_without_layer: BTreeMap<String, usize>,
    /// Annotators the import added because the file named them.
    pub annotators_added: Vec<String>,
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
            "spans_without_layer": self.spans_without_layer,
            "annotators_added": self.annotators_added,
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
        if !self.annotators_added.is_empty() {
            writeln!(f, "annotators added: {}", self.annotators_added.join(", "))?;
        }
        for (layer, n) in &self.spans_without_layer {
            writeln!(
                f,
                "note: {n} span{} named no layer (not tawsim's own JSONL export, or one older than its layer_kind field), so {} went into layer {layer:?} as before",
                plural(*n),
                if *n == 1 { "it" } else { "they" }
            )?;
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
    /// A span names a layer or an annotator the project cannot take
    /// (layers from the file).
    #[error("{problem}; nothing was imported")]
    Target { problem: Problem },
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

/// How long one transaction of a background writer (merge, join, sync)
/// may hold the write lock, about. Between two transactions it pauses for
/// [`IMPORT_YIELD`], so a waiting writer (the window) gets the lock.
pub const IMPORT_TX_BUDGET: Duration = Duration::from_millis(5);
/// How long one import transaction may hold the write lock when the import
/// can hear the window ask for it (see `turn`): it ends at once when the
/// window waits, and after this long otherwise. An import that cannot hear
/// (an in-memory store) keeps to [`IMPORT_TX_BUDGET`].
pub const IMPORT_TX_LONGEST: Duration = Duration::from_millis(20);
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
    /// Annotators named by spans' [`Provenance`], by name.
    makers: HashMap<String, Maker>,
    /// The gold layer, once a span went into it.
    gold: Option<LayerId>,
    /// Annotators (and their layers) this run added: removed again when it
    /// is abandoned, if nothing else refers to them by then.
    added_annotators: Vec<(AnnotatorId, LayerId)>,
    /// First and last id of the spans written.
    span_ids: Option<(SpanId, SpanId)>,
    /// `P-want`, where the window says it waits for the write lock (see
    /// `turn`); `None` for an in-memory store.
    want: Option<WantFile>,
    /// First and last id of the documents added in the open transaction,
    /// whose search-queue and audit rows are written before it commits
    /// ([`record_imported_documents`]).
    new_docs: Option<(DocId, DocId)>,
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
            makers: HashMap::new(),
            gold: None,
            added_annotators: Vec::new(),
            span_ids: None,
            want: self
                .path
                .as_deref()
                .and_then(|path| WantFile::open(path).ok()),
            new_docs: None,
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
        self.import_prepared_batch(run, records, &[], keep_going)
    }

    /// [`Store::import_batch`] with each record's [`PreparedDoc`] made
    /// already (by a reading thread), `prepared[i]` for `records[i]`; a
    /// record without one gets it made here.
    pub fn import_prepared_batch(
        &mut self,
        run: &mut ImportRun,
        records: &[ImportRecord],
        prepared: &[PreparedDoc],
        keep_going: &mut dyn FnMut(&ImportRun) -> bool,
    ) -> Result<(), BatchError> {
        let mut next = 0;
        while next < records.len() {
            if !keep_going(run) {
                return Err(BatchError::Cancelled);
            }
            let started = Instant::now();
            let budget = match run.want {
                Some(_) => IMPORT_TX_LONGEST,
                None => IMPORT_TX_BUDGET,
            };
            let mut asked = false;
            // Nothing of a transaction that failed is pending any more.
            run.new_docs = None;
            let tx = self.begin("import documents and spans")?;
            // The transaction's documents are imported at its beginning.
            let at = now();
            let mut in_tx = 0;
            while next < records.len() {
                let made;
                let doc = match prepared.get(next) {
                    Some(doc) => doc,
                    None => {
                        made = PreparedDoc::of(&records[next]);
                        &made
                    }
                };
                write_record(&tx, run, &records[next], doc, &at)?;
                next += 1;
                run.written += 1;
                in_tx += 1;
                if started.elapsed() >= budget {
                    break;
                }
                if in_tx % LOOK_EVERY == 0 && run.want.as_ref().is_some_and(WantFile::someone_waits)
                {
                    asked = true;
                    break;
                }
            }
            if let Some(range) = run.new_docs.take() {
                record_imported_documents(&tx, run.id, run.actor, range)?;
            }
            Store::beat(run, &tx)?;
            tx.commit().during("save part of the import")?;
            match &run.want {
                Some(want) if asked => want.hold_back(),
                _ => std::thread::sleep(IMPORT_YIELD),
            }
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
        let mut after = report.to_json();
        after["span_ids"] = json!(run.span_ids.map(|(first, last)| [first, last]));
        after["import_id"] = json!(run.id);
        self.commit_run(run, "import", &after)?;
        Ok(report)
    }

    /// Make everything `run` wrote visible at once: one short transaction
    /// that writes an audit row `action` with `after` and marks the run
    /// committed (imports and merges end here).
    pub(super) fn commit_run(
        &mut self,
        run: ImportRun,
        action: &str,
        after: &serde_json::Value,
    ) -> Result<(), BatchError> {
        // The last commit is synced again, and with it everything before it.
        self.tune_for_import(false)?;
        let tx = self.begin("finish the import")?;
        let at = now();
        write_audit(
            &tx,
            &at,
            Some(run.actor),
            action,
            None,
            None,
            &serde_json::Value::Null,
            after,
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
        Ok(())
    }

    /// Refresh `run`'s heartbeat inside the caller's transaction when it is
    /// due (see [`IMPORT_STALE_AFTER`]).
    pub(super) fn beat(run: &mut ImportRun, tx: &rusqlite::Connection) -> Result<(), StoreError> {
        if run.last_heartbeat.elapsed() >= HEARTBEAT_EVERY {
            tx.execute(
                "UPDATE main.imports SET heartbeat_at = ?1 WHERE id = ?2",
                params![now(), run.id],
            )
            .during("record that the import is alive")?;
            run.last_heartbeat = Instant::now();
        }
        Ok(())
    }

    /// Give up `run`: mark it abandoned (its rows stay hidden) and remove
    /// what it wrote, in short transactions. If removing fails, the rows
    /// stay hidden and the next [`Store::open`] removes them. Annotators the
    /// run added (see [`Provenance`]) are removed with their layers unless
    /// something else refers to them by then (someone chose that name in a
    /// window meanwhile); a run whose process died leaves them, with empty
    /// layers.
    pub fn abandon_import(&mut self, run: ImportRun) -> Result<(), StoreError> {
        self.tune_for_import(false)?;
        self.conn
            .execute(
                "UPDATE main.imports SET state = 'abandoned', finished_at = ?1 WHERE id = ?2",
                params![now(), run.id],
            )
            .during("abandon the import")?;
        self.remove_import_rows(run.id)?;
        for &(annotator, layer) in run.added_annotators.iter().rev() {
            let tx = self.begin("remove an annotator the import added")?;
            let removed = tx
                .execute("DELETE FROM main.layers WHERE id = ?1", [layer])
                .and_then(|_| tx.execute("DELETE FROM annotators WHERE id = ?1", [annotator]));
            match removed {
                Ok(_) => tx.commit().during("remove an annotator the import added")?,
                // Referred to (a span, a status, an audit row): it stays.
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation => {}
                Err(e) => return Err(e).during("remove an annotator the import added"),
            }
        }
        Ok(())
    }

    /// Settings of this connection while it imports (`on`) and after: a
    /// 64 MiB page cache, `synchronous=NORMAL` (the batches are not synced
    /// one by one; [`Store::finish_import`] syncs the last commit, and with
    /// it the whole write-ahead log) and checkpoints every 32 MiB of log
    /// instead of 4.
    pub(super) fn tune_for_import(&self, on: bool) -> Result<(), StoreError> {
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
        // Foreign keys are not checked while removing: nothing outside the
        // import can refer to its hidden rows, and SQLite would check every
        // removed span against the unindexed `spans.source_span_id` and
        // `audit.span_id`, a scan of both tables per span.
        self.conn
            .pragma_update(None, "foreign_keys", "OFF")
            .during("remove an abandoned import")?;
        let removed = self.remove_steps(id, &steps);
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .during("remove an abandoned import")?;
        removed?;
        self.conn
            .execute(
                "UPDATE main.imports SET state = 'cleaned' WHERE id = ?1 AND state = 'abandoned'",
                [id],
            )
            .during("remove an abandoned import")?;
        Ok(())
    }

    fn remove_steps(&mut self, id: i64, steps: &[String]) -> Result<(), StoreError> {
        for step in steps {
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
    report
        .annotators_added
        .extend(run.annotators_added.iter().cloned());
}

/// What writing a record's document takes besides SQLite: made by the
/// thread that reads the files ([`PreparedDoc::of`]), so that the writer,
/// which holds the write lock, only writes.
#[derive(Debug, Clone)]
pub struct PreparedDoc {
    /// Lowercase hex SHA-256 of the text.
    sha256: String,
    /// Code points of the text.
    char_len: usize,
    /// `meta` as JSON text.
    meta: String,
}

impl PreparedDoc {
    pub fn of(record: &ImportRecord) -> PreparedDoc {
        PreparedDoc {
            sha256: sha256_hex(record.doc.text.as_bytes()),
            char_len: record.doc.text.chars().count(),
            meta: record.doc.meta.to_string(),
        }
    }
}

/// Write one checked record inside the caller's transaction.
fn write_record(
    tx: &rusqlite::Connection,
    run: &mut ImportRun,
    record: &ImportRecord,
    prepared: &PreparedDoc,
    imported_at: &str,
) -> Result<(), BatchError> {
    let sha256 = &prepared.sha256;
    // The import's own hidden documents count (a text twice in one import).
    let existing = document_with_sha256(tx, sha256)?;
    let doc = match existing {
        Some(id) => {
            run.report.documents_present += 1;
            id
        }
        None => {
            run.report.documents_added += 1;
            let id = insert_document_row(
                tx,
                &record.doc,
                sha256,
                prepared.char_len,
                &prepared.meta,
                imported_at,
                Some(run.id),
            )?;
            let range = run.new_docs.get_or_insert((id, id));
            range.1 = id;
            id
        }
    };
    if record.spans.is_empty() {
        return Ok(());
    }
    let covered = covered_texts(&record.doc.text, &record.spans);
    let at = now();
    // Per layer the spans go into: its live spans in this document (an
    // existing document only), and the ids added, with the layer's name.
    let mut present: HashMap<LayerId, HashSet<(usize, usize, String)>> = HashMap::new();
    let mut added: Vec<(LayerId, String, Vec<SpanId>)> = Vec::new();
    let mut insert = tx
        .prepare_cached(&format!(
            "INSERT INTO main.spans (doc_id, annotator_id, layer_id, start, \"end\", label, text,
                                origin, attrs, score, model, schema_version, created_at, updated_at,
                                note, import_id, uid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'imported', ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                     coalesce(?16, {NEW_UID}))"
        ))
        .during("import a span")?;
    // The record's own layer, for the spans without a provenance.
    let mut record_layer: Option<LayerId> = None;
    for (span, text) in record.spans.iter().zip(covered) {
        let provenance = span.provenance.as_ref();
        let uid = provenance.and_then(|p| p.uid);
        if let Some(uid) = uid
            && uid_present(tx, uid)?
        {
            run.report.spans_duplicate += 1;
            continue;
        }
        let (layer, annotator) = match provenance {
            Some(provenance) => span_target(tx, run, record, span, provenance)?,
            None => match record_layer {
                Some(layer) => (layer, run.actor),
                None => {
                    let layer = imported_layer(tx, run, &record.layer)?;
                    record_layer = Some(layer);
                    (layer, run.actor)
                }
            },
        };
        let live = match present.entry(layer) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => entry.insert(match existing {
                Some(_) => live_spans(tx, layer, doc)?,
                None => HashSet::new(),
            }),
        };
        if !live.insert((span.start, span.end, span.label.clone())) {
            run.report.spans_duplicate += 1;
            continue;
        }
        let created = provenance
            .and_then(|p| p.created_at.as_deref())
            .unwrap_or(&at);
        let updated = provenance
            .and_then(|p| p.updated_at.as_deref())
            .unwrap_or(created);
        let attrs = serde_json::Value::Object(span.attrs.clone()).to_string();
        insert
            .execute(params![
                doc,
                annotator,
                layer,
                to_i64(span.start),
                to_i64(span.end),
                span.label,
                text,
                attrs,
                span.score,
                span.model,
                run.schema_version,
                created,
                updated,
                span.note,
                run.id,
                uid
            ])
            .during("import a span")?;
        let id = tx.last_insert_rowid();
        match added.iter_mut().find(|(l, _, _)| *l == layer) {
            Some((_, _, ids)) => ids.push(id),
            None => added.push((layer, layer_name(run, record, span), vec![id])),
        }
    }
    drop(insert);
    for (layer, name, ids) in &added {
        if let (Some(&first), Some(&last)) = (ids.iter().min(), ids.iter().max()) {
            let range = run.span_ids.get_or_insert((first, last));
            range.0 = range.0.min(first);
            range.1 = range.1.max(last);
        }
        run.report.spans_added += ids.len();
        *run.report.layers.entry(name.clone()).or_default() += ids.len();
        // A new document's spans are covered by its `document.import` row
        // and the `import` row's span id range; an existing document
        // gets its own row per layer, so its history shows the attached spans.
        if existing.is_some() {
            write_import_audit(
                tx,
                Some(run.id),
                &at,
                Some(run.actor),
                "span.import",
                Some(doc),
                None,
                &serde_json::Value::Null,
                &json!({ "layer": layer, "layer_name": name, "spans": ids }),
            )?;
        }
    }
    Ok(())
}

/// The layer `span` goes into and the annotator who made it, as its
/// `provenance` says. Layers and annotators are looked up once per run and
/// created when missing (an annotator with their layer, as
/// [`Store::annotator_id`] does).
fn span_target(
    tx: &rusqlite::Connection,
    run: &mut ImportRun,
    record: &ImportRecord,
    span: &ImportSpan,
    provenance: &Provenance,
) -> Result<(LayerId, AnnotatorId), BatchError> {
    // A name the project cannot take is the file's problem: say where.
    let refuse = |what: &str, error: StoreError| match error {
        StoreError::LayerNameTaken { .. } | StoreError::BlankAnnotatorName => BatchError::Target {
            problem: record.problem(format!("{}.{what}: {error}", span.field)),
        },
        other => BatchError::Store(other),
    };
    let made_by = |run: &mut ImportRun| match &provenance.annotator {
        Some(name) => maker(tx, run, name)
            .map(|(id, _)| id)
            .map_err(|e| refuse("annotator", e)),
        None => Ok(run.actor),
    };
    match provenance.kind {
        LayerKind::Annotator => {
            let name = provenance.annotator.as_deref().unwrap_or(&provenance.layer);
            let (annotator, layer) = maker(tx, run, name).map_err(|e| refuse("annotator", e))?;
            Ok((layer, annotator))
        }
        LayerKind::Imported => {
            let layer =
                imported_layer(tx, run, &provenance.layer).map_err(|e| refuse("layer", e))?;
            Ok((layer, made_by(run)?))
        }
        LayerKind::Gold => {
            let layer = match run.gold {
                Some(layer) => layer,
                None => {
                    let layer = import_layer_named(
                        tx,
                        GOLD,
                        LayerKind::Gold,
                        Some(run.actor),
                        Some(run.id),
                    )
                    .map_err(|e| refuse("layer", e))?;
                    run.gold = Some(layer);
                    layer
                }
            };
            Ok((layer, made_by(run)?))
        }
    }
}

/// The name of the layer [`span_target`] chose for `span`.
fn layer_name(run: &ImportRun, record: &ImportRecord, span: &ImportSpan) -> String {
    match &span.provenance {
        None => record.layer.clone(),
        Some(p) => match p.kind {
            LayerKind::Imported => p.layer.clone(),
            LayerKind::Gold => GOLD.to_owned(),
            LayerKind::Annotator => {
                let name = p.annotator.as_deref().unwrap_or(&p.layer).trim();
                run.makers
                    .get(name)
                    .map_or_else(|| name.to_owned(), |m| m.layer_name.clone())
            }
        },
    }
}

/// The imported layer `name`, created (hidden with the run) when missing.
fn imported_layer(
    tx: &rusqlite::Connection,
    run: &mut ImportRun,
    name: &str,
) -> Result<LayerId, StoreError> {
    if let Some(&id) = run.layers.get(name) {
        return Ok(id);
    }
    let id = import_layer_named(tx, name, LayerKind::Imported, Some(run.actor), Some(run.id))?;
    run.layers.insert(name.to_owned(), id);
    Ok(id)
}

/// An annotator named by a span's [`Provenance`], with their layer.
#[derive(Debug)]
struct Maker {
    id: AnnotatorId,
    layer: LayerId,
    layer_name: String,
}

/// The annotator called `name` (trimmed) and their layer, added with
/// their layer when the project has no such annotator (see
/// [`ImportRun::added_annotators`]).
fn maker(
    tx: &rusqlite::Connection,
    run: &mut ImportRun,
    name: &str,
) -> Result<(AnnotatorId, LayerId), StoreError> {
    let name = name.trim();
    if let Some(m) = run.makers.get(name) {
        return Ok((m.id, m.layer));
    }
    if name.is_empty() {
        return Err(StoreError::BlankAnnotatorName);
    }
    let found: Option<(AnnotatorId, Option<LayerId>, Option<String>)> = tx
        .prepare_cached(
            "SELECT a.id, l.id, l.name FROM annotators a
             LEFT JOIN main.layers l ON l.annotator_id = a.id WHERE a.name = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([name], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .optional()
        })
        .during("look up an annotator")?;
    let maker = match found {
        Some((id, Some(layer), Some(layer_name))) => Maker {
            id,
            layer,
            layer_name,
        },
        Some((annotator, _, _)) => return Err(StoreError::AnnotatorNotFound { annotator }),
        None => {
            let (id, layer) = insert_annotator(tx, name, Some(run.id))?;
            run.added_annotators.push((id, layer));
            run.report.annotators_added.push(name.to_owned());
            Maker {
                id,
                layer,
                layer_name: name.to_owned(),
            }
        }
    };
    let ids = (maker.id, maker.layer);
    run.makers.insert(name.to_owned(), maker);
    Ok(ids)
}

/// Whether a span with `uid` is in the project (the run's own hidden ones included).
fn uid_present(tx: &rusqlite::Connection, uid: Uid) -> Result<bool, StoreError> {
    tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM main.spans WHERE uid = ?1)")
        .and_then(|mut stmt| stmt.query_row([uid], |row| row.get(0)))
        .during("look up a span by its uid")
}

/// The live spans of `layer` in `doc`, as (start, end, label).
fn live_spans(
    tx: &rusqlite::Connection,
    layer: LayerId,
    doc: DocId,
) -> Result<HashSet<(usize, usize, String)>, StoreError> {
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
    let mut present = HashSet::new();
    for row in rows {
        let (start, end, label) = row.during("read the spans of a document")?;
        present.insert((start as usize, end as usize, label));
    }
    Ok(present)
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
pub(super) fn host_name() -> String {
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
            provenance: None,
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
