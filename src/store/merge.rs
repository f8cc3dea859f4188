//! Merging project files: bring another tawsim project (an annotator's
//! laptop copy, a reviewer's copy) into this one, losslessly, by the global
//! identities of schema 5.
//!
//! ## What is matched by what
//!
//! | record | identity | when both files hold it |
//! |---|---|---|
//! | document | `sha256` of its text | kept as it is here; its note, direction, statuses and review follow the events below |
//! | annotator | `uid` | kept; a new one whose name is taken here is shown as `name · 2` (`given_name` keeps the name they chose) |
//! | layer | `uid`; an annotator's layer also by its annotator; the gold layer has one uid in every project | kept; a new one whose name is taken gets `name · 2` |
//! | span | `uid` | the later state wins: greater `updated_at`, then the greater (label, attrs, note, deleted_at) |
//! | audit event | `uid` | added once, with its original actor, time and contents (ids inside `before`/`after` are translated to this project's ids; `import_id`, `span_ids` of an `import` row stay the source's) |
//! | status, review, rejection, document note and direction, project setting | (document, annotator), document, (span, annotator), document, setting name | the state of the latest event for it (greater `at`, then greater event uid) |
//! | assignment | (document, annotator) | the greater (`updated_at`, `removed`) |
//!
//! Every rule picks a maximum, so merging is idempotent (the same file twice
//! adds nothing) and order-free (A then B equals B then A), up to the
//! `name · 2` display names of same-named people, which go by arrival.
//!
//! A record **changed in both** files (both hold events of it the other
//! lacks) and ending in different states is a conflict: the later change is
//! kept and the report lists it.
//!
//! ## Refusals (nothing is written)
//!
//! A file that does not exist, is not SQLite, is not a tawsim project, is of
//! a newer schema, or is this project itself; a file with span labels this
//! project's schema lacks (listed with their counts, as imports do). A file
//! of an older schema is first brought up to date in place, as opening it in
//! tawsim would (with its automatic backup), and the report says so.
//!
//! ## Transactions
//!
//! A merge runs as an import (see [`super::import`]): new documents, layers,
//! spans and audit events are written in short transactions, hidden, and
//! become visible together in one short commit that also writes a
//! `project.merge` audit row with the report. Then the states of records both
//! files held (later span states, statuses, reviews, rejections, notes,
//! assignments) are written in short transactions; a merge stopped before
//! it ends is completed by merging the same file again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde_json::{Value, json};

use super::import::{BatchError, IMPORT_TX_BUDGET, IMPORT_YIELD, ImportOrigin, ImportRun};
use super::resolve::{
    Keyed, SpanState, apply_latest, merge_assignment, span_state, take_later_span_state,
};
use super::{During, SCHEMA_VERSION, Store, StoreError, Uid, document_with_sha256, search};
use crate::model::AnnotatorId;

/// Pages of write-ahead log between checkpoints while merging.
const MERGE_CHECKPOINT: i64 = 64_000;

/// What went wrong with a merge; nothing was written unless it says so.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot merge {}: {problem}", path.display())]
    Source { path: PathBuf, problem: String },
    #[error(
        "cannot merge {}: its spans use labels this project's schema lacks, so nothing was merged; add them to the schema (or switch schema) and merge again:\n{}",
        path.display(),
        labels.iter().map(|(l, n)| format!("  {l}: {n} span{}", if *n == 1 { "" } else { "s" })).collect::<Vec<_>>().join("\n")
    )]
    UnknownLabels {
        path: PathBuf,
        labels: Vec<(String, usize)>,
    },
    #[error(transparent)]
    Batch(#[from] BatchError),
}

impl From<StoreError> for MergeError {
    fn from(e: StoreError) -> Self {
        MergeError::Batch(BatchError::Store(e))
    }
}

/// A record changed in both files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeConflict {
    /// What the record is, e.g. `span «إدلب» (PLACE) in document 12, layer gold`.
    pub record: String,
    /// Which change was kept and when.
    pub kept: String,
}

/// What one annotator brought in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnotatorMerge {
    /// Documents whose status for them became `done`.
    pub documents_done: usize,
    /// Spans new to this project in their layer.
    pub spans: usize,
    /// Review decisions new to this project (gold and review events).
    pub decisions: usize,
}

/// What a merge did.
#[derive(Debug, Clone, Default)]
pub struct MergeReport {
    pub source: PathBuf,
    /// The source's schema version when it had to be brought up to date.
    pub migrated_from: Option<i64>,
    pub documents_added: usize,
    pub documents_present: usize,
    /// Local names of annotators new to this project.
    pub annotators_added: Vec<String>,
    pub layers_added: Vec<String>,
    pub spans_added: usize,
    pub spans_present: usize,
    /// Spans both files held whose later state came from the source.
    pub spans_updated: usize,
    pub events_added: usize,
    pub events_present: usize,
    /// Events that refer to records the source does not show (left out).
    pub events_skipped: usize,
    /// Statuses, reviews, rejections, notes, settings and assignments changed.
    pub states_changed: usize,
    /// By the annotator's local name.
    pub per_annotator: BTreeMap<String, AnnotatorMerge>,
    pub conflicts: Vec<MergeConflict>,
}

impl MergeReport {
    /// Whether the merge changed nothing.
    pub fn nothing_new(&self) -> bool {
        self.documents_added == 0
            && self.annotators_added.is_empty()
            && self.layers_added.is_empty()
            && self.spans_added == 0
            && self.spans_updated == 0
            && self.events_added == 0
            && self.states_changed == 0
    }

    pub fn to_json(&self) -> Value {
        json!({
            "source": self.source.display().to_string(),
            "migrated_from": self.migrated_from,
            "documents": {"added": self.documents_added, "present": self.documents_present},
            "annotators_added": self.annotators_added,
            "layers_added": self.layers_added,
            "spans": {"added": self.spans_added, "present": self.spans_present, "updated": self.spans_updated},
            "events": {"added": self.events_added, "present": self.events_present, "skipped": self.events_skipped},
            "states_changed": self.states_changed,
            "per_annotator": self.per_annotator.iter().map(|(name, a)| json!({
                "annotator": name, "documents_done": a.documents_done, "spans": a.spans, "decisions": a.decisions,
            })).collect::<Vec<_>>(),
            "conflicts": self.conflicts.iter().map(|c| json!({"record": c.record, "kept": c.kept})).collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for MergeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "merged {}", self.source.display())?;
        if let Some(v) = self.migrated_from {
            writeln!(
                f,
                "  (the file was of schema {v}; it was brought up to schema {SCHEMA_VERSION} first, a backup kept beside it)"
            )?;
        }
        if self.nothing_new() {
            writeln!(f, "  nothing new: everything in it was already here")?;
        }
        writeln!(
            f,
            "  documents: {} added, {} already here",
            self.documents_added, self.documents_present
        )?;
        if !self.annotators_added.is_empty() {
            writeln!(
                f,
                "  annotators added: {}",
                self.annotators_added.join(", ")
            )?;
        }
        for name in self.annotators_added.iter().filter(|n| n.contains(" · ")) {
            let base = name.rsplit_once(" · ").map_or(name.as_str(), |(b, _)| b);
            writeln!(
                f,
                "  {name} is another person who calls themselves {base}; if it is the same person, join them: tawsim join --into {base:?} {name:?}"
            )?;
        }
        if !self.layers_added.is_empty() {
            writeln!(f, "  layers added: {}", self.layers_added.join(", "))?;
        }
        writeln!(
            f,
            "  spans: {} added, {} already here, {} taken in a later state",
            self.spans_added, self.spans_present, self.spans_updated
        )?;
        writeln!(
            f,
            "  history: {} events added, {} already here{}",
            self.events_added,
            self.events_present,
            if self.events_skipped > 0 {
                format!(
                    ", {} left out (they refer to records the file does not show)",
                    self.events_skipped
                )
            } else {
                String::new()
            }
        )?;
        writeln!(
            f,
            "  statuses, reviews, rejections, notes and assignments changed: {}",
            self.states_changed
        )?;
        for (name, a) in &self.per_annotator {
            writeln!(
                f,
                "  {name}: {} documents done, {} spans, {} review decisions",
                a.documents_done, a.spans, a.decisions
            )?;
        }
        if self.conflicts.is_empty() {
            write!(f, "  no conflicts")
        } else {
            write!(
                f,
                "  {} changed in both files, the later change kept:",
                self.conflicts.len()
            )?;
            for c in &self.conflicts {
                write!(f, "\n    {}: {}", c.record, c.kept)?;
            }
            Ok(())
        }
    }
}

/// How far a merge is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeStage {
    Documents { done: usize, total: usize },
    Spans { done: usize, total: usize },
    History { done: usize, total: usize },
    States { done: usize, total: usize },
}

/// Rows of the source that its own readers see (see the visibility views).
fn visible(alias: &str) -> String {
    format!(
        "({alias}.import_id IS NULL OR {alias}.import_id IN (SELECT id FROM imports WHERE state = 'committed'))"
    )
}

/// Source ids → ids here, for one merge.
struct Maps {
    annotators: HashMap<i64, i64>,
    layers: HashMap<i64, i64>,
    schemas: HashMap<i64, i64>,
    current_schema: Option<i64>,
}

impl Store {
    /// Merge the project file `source` into this project as `actor` (see the
    /// module documentation). `progress` is told how far it is; returning
    /// `false` stops the merge before its visible commit (nothing is kept).
    pub fn merge(
        &mut self,
        source: &Path,
        actor: AnnotatorId,
        origin: ImportOrigin,
        progress: &mut dyn FnMut(MergeStage) -> bool,
    ) -> Result<MergeReport, MergeError> {
        let (src, migrated_from) = self.open_source(source)?;
        let mut report = MergeReport {
            source: source.to_path_buf(),
            migrated_from,
            ..MergeReport::default()
        };
        self.check_labels(&src, source)?;
        let mut run =
            self.begin_import(actor, origin, &format!("merge of {}", source.display()))?;
        // Checkpoint every 256 MB of log instead of an import's 32: a merge
        // rewrites the same index pages transaction after transaction, and
        // each checkpoint copies them all again.
        self.conn
            .pragma_update(None, "wal_autocheckpoint", MERGE_CHECKPOINT)
            .during("set up the connection for a merge")?;
        let result = self.merge_hidden(&src, &mut run, &mut report, progress);
        let keyed = match result {
            Ok(keyed) => keyed,
            Err(e) => {
                // Best effort: the next open cleans up what is left.
                let _ = self.drop_maps();
                let _ = self.abandon_import(run);
                return Err(e);
            }
        };
        let run_id = run.id();
        self.commit_run(run, "project.merge", &report.to_json())?;
        self.merge_states(&src, run_id, keyed, &mut report, progress)?;
        self.drop_maps()?;
        Ok(report)
    }

    /// Open `path` read-only after checking what it is; bring a project of an
    /// older schema up to date first.
    fn open_source(&self, path: &Path) -> Result<(Connection, Option<i64>), MergeError> {
        let refuse = |problem: String| MergeError::Source {
            path: path.to_path_buf(),
            problem,
        };
        if !path.is_file() {
            return Err(refuse("there is no such file".into()));
        }
        if let Some(own) = &self.path {
            let same = match (std::fs::canonicalize(own), std::fs::canonicalize(path)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            if same {
                return Err(refuse("it is this project itself".into()));
            }
        }
        let open = || {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| refuse(format!("it cannot be opened ({e})")))
        };
        let conn = open()?;
        let version: i64 = match conn.query_row("PRAGMA user_version", [], |r| r.get(0)) {
            Ok(v) => v,
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
                return Err(refuse(
                    "it is not a tawsim project (it is not an SQLite database)".into(),
                ));
            }
            Err(e) => return Err(refuse(format!("it cannot be read ({e})"))),
        };
        if version > SCHEMA_VERSION {
            return Err(refuse(format!(
                "it was written by a newer tawsim (schema {version}; this one reads up to {SCHEMA_VERSION}); update tawsim to merge it"
            )));
        }
        if version == 0 {
            return Err(refuse(
                "it is not a tawsim project (an SQLite database without tawsim's tables)".into(),
            ));
        }
        if version == SCHEMA_VERSION {
            return Ok((conn, None));
        }
        drop(conn);
        // Older: migrate in place (with its backup), as opening it would.
        Store::open(path)
            .map_err(|e| refuse(format!("it could not be brought up to date: {e}")))?;
        Ok((open()?, Some(version)))
    }

    fn check_labels(&self, src: &Connection, path: &Path) -> Result<(), MergeError> {
        let schema = self.current_schema()?;
        let mut stmt = src
            .prepare(&format!(
                "SELECT label, count(*) FROM spans s WHERE {} GROUP BY label ORDER BY label",
                visible("s")
            ))
            .during("read the labels of the file to merge")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .during("read the labels of the file to merge")?;
        let mut missing = Vec::new();
        for row in rows {
            let (label, n) = row.during("read the labels of the file to merge")?;
            if schema.label(&label).is_none() {
                missing.push((label, n as usize));
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(MergeError::UnknownLabels {
                path: path.to_path_buf(),
                labels: missing,
            })
        }
    }

    fn drop_maps(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "DROP TABLE IF EXISTS temp.merge_docs; DROP TABLE IF EXISTS temp.merge_spans;
                 DROP TABLE IF EXISTS temp.merge_changed;",
            )
            .during("end a merge")
    }

    /// Write the new rows, hidden under `run`; return the records whose
    /// state the latest event decides.
    fn merge_hidden(
        &mut self,
        src: &Connection,
        run: &mut ImportRun,
        report: &mut MergeReport,
        progress: &mut dyn FnMut(MergeStage) -> bool,
    ) -> Result<BTreeSet<Keyed>, MergeError> {
        self.conn
            .execute_batch(
                "DROP TABLE IF EXISTS temp.merge_docs; DROP TABLE IF EXISTS temp.merge_spans;
                 DROP TABLE IF EXISTS temp.merge_changed;
                 CREATE TEMP TABLE merge_docs (src INTEGER PRIMARY KEY, dst INTEGER NOT NULL);
                 CREATE TEMP TABLE merge_spans (src INTEGER PRIMARY KEY, dst INTEGER NOT NULL);
                 CREATE TEMP TABLE merge_changed (doc INTEGER PRIMARY KEY, at TEXT NOT NULL);",
            )
            .during("begin a merge")?;
        let maps = self.merge_people(src, run, report)?;
        self.merge_documents(src, run, report, progress)?;
        self.merge_spans(src, run, &maps, report, progress)?;
        let keyed = self.merge_events(src, run, &maps, report, progress)?;
        Ok(keyed)
    }

    /// Annotators, layers and schema versions (few rows: one transaction).
    fn merge_people(
        &mut self,
        src: &Connection,
        run: &mut ImportRun,
        report: &mut MergeReport,
    ) -> Result<Maps, MergeError> {
        let run_id = run.id();
        let tx = self.begin("merge annotators and layers")?;
        let mut annotators = HashMap::new();
        {
            let mut stmt = src
                .prepare("SELECT id, uid, given_name, created_at FROM annotators ORDER BY id")
                .during("read the annotators of the file to merge")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Uid>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .during("read the annotators of the file to merge")?;
            for row in rows {
                let (id, uid, given, created) =
                    row.during("read the annotators of the file to merge")?;
                let found: Option<i64> = tx
                    .query_row(
                        "SELECT coalesce(joined_into, id) FROM annotators WHERE uid = ?1",
                        [uid],
                        |r| r.get(0),
                    )
                    .optional()
                    .during("look up an annotator")?;
                let local = match found {
                    Some(local) => local,
                    None => {
                        let name = free_name(&tx, "annotators", &given)?;
                        let local: i64 = tx
                            .query_row(
                                "INSERT INTO annotators (name, given_name, created_at, uid)
                                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
                                params![name, given, created, uid],
                                |r| r.get(0),
                            )
                            .during("add a merged annotator")?;
                        report.annotators_added.push(name);
                        local
                    }
                };
                annotators.insert(id, local);
            }
        }
        let mut layers = HashMap::new();
        {
            let mut stmt = src
                .prepare(&format!(
                    "SELECT l.id, l.uid, l.name, l.kind, l.annotator_id, l.created_at FROM layers l
                     WHERE {} ORDER BY l.id",
                    visible("l")
                ))
                .during("read the layers of the file to merge")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Uid>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .during("read the layers of the file to merge")?;
            for row in rows {
                let (id, uid, name, kind, annotator, created) =
                    row.during("read the layers of the file to merge")?;
                let annotator = annotator.and_then(|a| annotators.get(&a).copied());
                let mut found: Option<i64> = tx
                    .query_row(
                        "SELECT coalesce(joined_into, id) FROM main.layers WHERE uid = ?1",
                        [uid],
                        |r| r.get(0),
                    )
                    .optional()
                    .during("look up a layer")?;
                if found.is_none()
                    && let Some(a) = annotator
                {
                    found = tx
                        .query_row(
                            "SELECT coalesce(joined_into, id) FROM main.layers WHERE annotator_id = ?1",
                            [a],
                            |r| r.get(0),
                        )
                        .optional()
                        .during("look up a layer")?;
                }
                let local = match found {
                    Some(local) => local,
                    None => {
                        let base = match annotator {
                            Some(a) => tx
                                .query_row("SELECT name FROM annotators WHERE id = ?1", [a], |r| {
                                    r.get::<_, String>(0)
                                })
                                .during("look up an annotator")?,
                            None => name,
                        };
                        let name = free_name(&tx, "layers", &base)?;
                        let local: i64 = tx
                            .query_row(
                                "INSERT INTO main.layers (name, kind, annotator_id, created_at, uid, import_id)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                                params![name, kind, annotator, created, uid, run_id],
                                |r| r.get(0),
                            )
                            .during("add a merged layer")?;
                        report.layers_added.push(name);
                        local
                    }
                };
                layers.insert(id, local);
            }
        }
        let mut schemas = HashMap::new();
        {
            let mut stmt = src
                .prepare("SELECT version, sha256 FROM schemas")
                .during("read the schemas of the file to merge")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .during("read the schemas of the file to merge")?;
            for row in rows {
                let (version, sha) = row.during("read the schemas of the file to merge")?;
                let local: Option<i64> = tx
                    .query_row(
                        "SELECT max(version) FROM schemas WHERE sha256 = ?1",
                        [sha],
                        |r| r.get(0),
                    )
                    .during("look up a schema")?;
                if let Some(local) = local {
                    schemas.insert(version, local);
                }
            }
        }
        let current_schema: Option<i64> = tx
            .query_row("SELECT max(version) FROM schemas", [], |r| r.get(0))
            .during("look up the schema")?;
        Store::beat(run, &tx)?;
        tx.commit().during("merge annotators and layers")?;
        Ok(Maps {
            annotators,
            layers,
            schemas,
            current_schema,
        })
    }

    fn merge_documents(
        &mut self,
        src: &Connection,
        run: &mut ImportRun,
        report: &mut MergeReport,
        progress: &mut dyn FnMut(MergeStage) -> bool,
    ) -> Result<(), MergeError> {
        let run_id = run.id();
        let total: i64 = src
            .query_row(
                &format!("SELECT count(*) FROM documents d WHERE {}", visible("d")),
                [],
                |r| r.get(0),
            )
            .during("count the documents of the file to merge")?;
        let total = total as usize;
        let mut stmt = src
            .prepare(&format!(
                "SELECT id, sha256, title, text, source, meta, direction, char_len, imported_at,
                        note, changed_at
                 FROM documents d WHERE {} ORDER BY id",
                visible("d")
            ))
            .during("read the documents of the file to merge")?;
        let mut rows = stmt
            .query([])
            .during("read the documents of the file to merge")?;
        let mut done = 0;
        let mut more = true;
        while more {
            if !progress(MergeStage::Documents { done, total }) {
                return Err(BatchError::Cancelled.into());
            }
            let started = Instant::now();
            let tx = self.begin("merge documents")?;
            loop {
                let Some(row) = rows
                    .next()
                    .during("read the documents of the file to merge")?
                else {
                    more = false;
                    break;
                };
                let id: i64 = row.get(0).during("read a document")?;
                let sha: String = row.get(1).during("read a document")?;
                let local = match document_with_sha256(&tx, &sha)? {
                    Some(local) => {
                        report.documents_present += 1;
                        local
                    }
                    None => {
                        let local: i64 = tx
                            .prepare_cached(
                                "INSERT INTO main.documents (sha256, title, text, source, meta, direction,
                                     char_len, imported_at, note, changed_at, import_id)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                            )
                            .and_then(|mut s| {
                                s.execute(
                                    params![
                                        sha,
                                        row.get::<_, String>(2)?,
                                        row.get::<_, String>(3)?,
                                        row.get::<_, String>(4)?,
                                        row.get::<_, String>(5)?,
                                        row.get::<_, String>(6)?,
                                        row.get::<_, i64>(7)?,
                                        row.get::<_, String>(8)?,
                                        row.get::<_, String>(9)?,
                                        row.get::<_, Option<String>>(10)?,
                                        run_id
                                    ],
                                )
                            })
                            .map(|_| tx.last_insert_rowid())
                            .during("add a merged document")?;
                        search::enqueue(&tx, local, Some(run_id))?;
                        report.documents_added += 1;
                        local
                    }
                };
                tx.prepare_cached("INSERT INTO temp.merge_docs (src, dst) VALUES (?1, ?2)")
                    .and_then(|mut s| s.execute(params![id, local]))
                    .during("remember a merged document")?;
                done += 1;
                if started.elapsed() >= IMPORT_TX_BUDGET {
                    break;
                }
            }
            Store::beat(run, &tx)?;
            tx.commit().during("merge documents")?;
            std::thread::sleep(IMPORT_YIELD);
        }
        Ok(())
    }

    fn merge_spans(
        &mut self,
        src: &Connection,
        run: &mut ImportRun,
        maps: &Maps,
        report: &mut MergeReport,
        progress: &mut dyn FnMut(MergeStage) -> bool,
    ) -> Result<(), MergeError> {
        let run_id = run.id();
        let total: i64 = src
            .query_row(
                &format!("SELECT count(*) FROM spans s WHERE {}", visible("s")),
                [],
                |r| r.get(0),
            )
            .during("count the spans of the file to merge")?;
        let total = total as usize;
        let mut stmt = src
            .prepare(&format!(
                "SELECT s.id, s.uid, s.doc_id, s.annotator_id, s.layer_id, s.start, s.\"end\", s.label,
                        s.text, s.origin, s.created_at, s.updated_at, s.deleted_at, s.attrs, s.note,
                        s.score, s.model, s.schema_version, s.source_span_id
                 FROM spans s WHERE {} ORDER BY s.id",
                visible("s")
            ))
            .during("read the spans of the file to merge")?;
        let mut rows = stmt
            .query([])
            .during("read the spans of the file to merge")?;
        let layer_owner = self.layer_owners()?;
        let mut done = 0;
        let mut more = true;
        while more {
            if !progress(MergeStage::Spans { done, total }) {
                return Err(BatchError::Cancelled.into());
            }
            let started = Instant::now();
            let tx = self.begin("merge spans")?;
            loop {
                let Some(row) = rows.next().during("read the spans of the file to merge")? else {
                    more = false;
                    break;
                };
                let span = SrcSpan::read(row).during("read a span of the file to merge")?;
                done += 1;
                let doc = map_doc(&tx, span.doc)?;
                let (Some(doc), Some(&layer), Some(&annotator)) = (
                    doc,
                    maps.layers.get(&span.layer),
                    maps.annotators.get(&span.annotator),
                ) else {
                    continue;
                };
                let found = span_state(&tx, span.uid)?;
                let local = match found {
                    None => {
                        let source_span = match span.source_span {
                            Some(s) => map_span(&tx, s)?,
                            None => None,
                        };
                        let schema = span
                            .schema_version
                            .and_then(|v| maps.schemas.get(&v).copied())
                            .or(maps.current_schema);
                        let local: i64 = tx
                            .prepare_cached(
                                "INSERT INTO main.spans (uid, doc_id, annotator_id, layer_id, start, \"end\",
                                     label, text, origin, created_at, updated_at, deleted_at, attrs, note,
                                     score, model, schema_version, source_span_id, import_id)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                                     ?15, ?16, ?17, ?18, ?19)",
                            )
                            .and_then(|mut s| {
                                s.execute(
                                    params![
                                        span.uid,
                                        doc,
                                        annotator,
                                        layer,
                                        span.start,
                                        span.end,
                                        span.label,
                                        span.text,
                                        span.origin,
                                        span.created_at,
                                        span.updated_at,
                                        span.deleted_at,
                                        span.attrs,
                                        span.note,
                                        span.score,
                                        span.model,
                                        schema,
                                        source_span,
                                        run_id
                                    ],
                                )
                            })
                            .map(|_| tx.last_insert_rowid())
                            .during("add a merged span")?;
                        report.spans_added += 1;
                        if let Some(name) = layer_owner.get(&layer) {
                            report.per_annotator.entry(name.clone()).or_default().spans += 1;
                        }
                        local
                    }
                    Some((local, here)) => {
                        report.spans_present += 1;
                        let there = SpanState {
                            updated_at: span.updated_at.clone(),
                            label: span.label.clone(),
                            attrs: span.attrs.clone(),
                            note: span.note.clone(),
                            deleted_at: span.deleted_at.clone(),
                        };
                        if here != there {
                            if changed_in_both(&tx, src, doc, local, span.id, span.doc)? {
                                let kept = if there > here { &there } else { &here };
                                report.conflicts.push(MergeConflict {
                                    record: format!(
                                        "span {} ({}) at {}–{} of document {doc}",
                                        quote(&span.text),
                                        span.label,
                                        span.start,
                                        span.end
                                    ),
                                    kept: format!(
                                        "{} {}, changed at {}",
                                        kept.label,
                                        if kept.deleted_at.is_some() {
                                            "(deleted)"
                                        } else {
                                            ""
                                        },
                                        kept.updated_at
                                    ),
                                });
                            }
                            if take_later_span_state(&tx, local, &here, &there)? {
                                report.spans_updated += 1;
                            }
                        }
                        local
                    }
                };
                tx.prepare_cached("INSERT INTO temp.merge_spans (src, dst) VALUES (?1, ?2)")
                    .and_then(|mut s| s.execute(params![span.id, local]))
                    .during("remember a merged span")?;
                if started.elapsed() >= IMPORT_TX_BUDGET {
                    break;
                }
            }
            Store::beat(run, &tx)?;
            tx.commit().during("merge spans")?;
            std::thread::sleep(IMPORT_YIELD);
        }
        Ok(())
    }

    /// Layer id → the local name of its annotator (annotator layers).
    fn layer_owners(&self) -> Result<HashMap<i64, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.id, a.name FROM main.layers l JOIN annotators a ON a.id = l.annotator_id",
            )
            .during("read layers")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .during("read layers")?;
        rows.collect::<Result<_, _>>().during("read layers")
    }

    fn merge_events(
        &mut self,
        src: &Connection,
        run: &mut ImportRun,
        maps: &Maps,
        report: &mut MergeReport,
        progress: &mut dyn FnMut(MergeStage) -> bool,
    ) -> Result<BTreeSet<Keyed>, MergeError> {
        let run_id = run.id();
        let total: i64 = src
            .query_row(
                &format!("SELECT count(*) FROM audit a WHERE {}", visible("a")),
                [],
                |r| r.get(0),
            )
            .during("count the history of the file to merge")?;
        let total = total as usize;
        let mut stmt = src
            .prepare(&format!(
                "SELECT a.uid, a.at, a.actor, a.action, a.doc_id, a.span_id, a.before, a.after
                 FROM audit a WHERE {} ORDER BY a.id",
                visible("a")
            ))
            .during("read the history of the file to merge")?;
        let mut rows = stmt
            .query([])
            .during("read the history of the file to merge")?;
        let names: HashMap<i64, String> = {
            let mut s = self
                .conn
                .prepare("SELECT id, name FROM annotators")
                .during("read annotators")?;
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .during("read annotators")?
                .collect::<Result<_, _>>()
                .during("read annotators")?
        };
        let mut keyed = BTreeSet::new();
        let mut done = 0;
        let mut more = true;
        while more {
            if !progress(MergeStage::History { done, total }) {
                return Err(BatchError::Cancelled.into());
            }
            let started = Instant::now();
            let tx = self.begin("merge history")?;
            loop {
                let Some(row) = rows
                    .next()
                    .during("read the history of the file to merge")?
                else {
                    more = false;
                    break;
                };
                done += 1;
                let uid: Uid = row.get(0).during("read an event")?;
                let present: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM main.audit WHERE uid = ?1)")
                    .and_then(|mut s| s.query_row([uid], |r| r.get(0)))
                    .during("look for the event")?;
                if present {
                    report.events_present += 1;
                    continue;
                }
                let at: String = row.get(1).during("read an event")?;
                let actor: Option<i64> = row.get(2).during("read an event")?;
                let action: String = row.get(3).during("read an event")?;
                let src_doc: Option<i64> = row.get(4).during("read an event")?;
                let src_span: Option<i64> = row.get(5).during("read an event")?;
                let before: String = row.get(6).during("read an event")?;
                let after: String = row.get(7).during("read an event")?;
                // An event naming a record the file does not show is left out.
                let (Some(actor), Some(doc), Some(span)) = (
                    translate(actor, |a| Ok(maps.annotators.get(&a).copied()))?,
                    translate(src_doc, |d| map_doc(&tx, d))?,
                    translate(src_span, |s| map_span(&tx, s))?,
                ) else {
                    report.events_skipped += 1;
                    continue;
                };
                let mut before: Value = serde_json::from_str(&before).unwrap_or(Value::Null);
                let mut after: Value = serde_json::from_str(&after).unwrap_or(Value::Null);
                remap_json(&tx, &action, &mut before, maps)?;
                remap_json(&tx, &action, &mut after, maps)?;
                tx.prepare_cached(
                    "INSERT INTO main.audit (uid, at, actor, action, doc_id, span_id, before, after, import_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        uid,
                        at,
                        actor,
                        action,
                        doc,
                        span,
                        before.to_string(),
                        after.to_string(),
                        run_id
                    ])
                })
                .during("add a merged event")?;
                report.events_added += 1;
                if let Some(doc) = doc
                    && action != "document.import"
                {
                    tx.prepare_cached(
                        "INSERT INTO temp.merge_changed (doc, at) VALUES (?1, ?2)
                         ON CONFLICT (doc) DO UPDATE SET at = max(at, excluded.at)",
                    )
                    .and_then(|mut s| s.execute(params![doc, at]))
                    .during("remember a document's last change")?;
                }
                if (action.starts_with("gold.") || action == "document.review")
                    && let Some(name) = actor.and_then(|a| names.get(&a))
                {
                    report
                        .per_annotator
                        .entry(name.clone())
                        .or_default()
                        .decisions += 1;
                }
                keyed.extend(Keyed::of_event(&action, doc, span, actor, &after));
                if started.elapsed() >= IMPORT_TX_BUDGET {
                    break;
                }
            }
            Store::beat(run, &tx)?;
            tx.commit().during("merge history")?;
            std::thread::sleep(IMPORT_YIELD);
        }
        Ok(keyed)
    }

    /// After the visible commit: the state of each keyed record from its
    /// latest event, and assignments; short transactions.
    fn merge_states(
        &mut self,
        src: &Connection,
        run_id: i64,
        keyed: BTreeSet<Keyed>,
        report: &mut MergeReport,
        progress: &mut dyn FnMut(MergeStage) -> bool,
    ) -> Result<(), MergeError> {
        let total = keyed.len();
        let names: HashMap<i64, String> = {
            let mut s = self
                .conn
                .prepare("SELECT id, name FROM annotators")
                .during("read annotators")?;
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .during("read annotators")?
                .collect::<Result<_, _>>()
                .during("read annotators")?
        };
        let mut keys = keyed.into_iter().peekable();
        let mut done = 0;
        while keys.peek().is_some() {
            // Past the visible commit: no cancelling, only progress.
            progress(MergeStage::States { done, total });
            let started = Instant::now();
            let tx = self.begin("merge statuses and reviews")?;
            for key in keys.by_ref() {
                done += 1;
                let applied = apply_latest(
                    &tx,
                    &key,
                    &|e| e.import_id == Some(run_id),
                    &mut |e| {
                        let in_source: bool = src
                            .prepare_cached("SELECT EXISTS (SELECT 1 FROM audit WHERE uid = ?1)")
                            .and_then(|mut s| s.query_row([e.uid], |r| r.get(0)))
                            .during("look for an event in the file to merge")?;
                        Ok(!in_source)
                    },
                    &names,
                )?;
                if applied.changed {
                    report.states_changed += 1;
                }
                if let Some(name) = applied.done_by.and_then(|a| names.get(&a)) {
                    report
                        .per_annotator
                        .entry(name.clone())
                        .or_default()
                        .documents_done += 1;
                }
                report.conflicts.extend(applied.conflict);
                if started.elapsed() >= IMPORT_TX_BUDGET {
                    break;
                }
            }
            tx.commit().during("merge statuses and reviews")?;
            std::thread::sleep(IMPORT_YIELD);
        }
        self.merge_assignments(src, report)?;
        self.merge_changed_at()?;
        Ok(())
    }

    /// Move each document's `changed_at` to its latest merged event (the
    /// trigger leaves merged events alone), in short transactions.
    fn merge_changed_at(&mut self) -> Result<(), MergeError> {
        let mut last = i64::MIN;
        loop {
            let started = Instant::now();
            let tx = self.begin("merge documents' last changes")?;
            let mut any = false;
            {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT doc, at FROM temp.merge_changed WHERE doc > ?1 ORDER BY doc LIMIT 500",
                    )
                    .during("read documents' last changes")?;
                let rows: Vec<(i64, String)> = stmt
                    .query_map([last], |r| Ok((r.get(0)?, r.get(1)?)))
                    .during("read documents' last changes")?
                    .collect::<Result<_, _>>()
                    .during("read documents' last changes")?;
                for (doc, at) in rows {
                    any = true;
                    last = doc;
                    tx.prepare_cached(
                        "UPDATE main.documents SET changed_at = ?2
                         WHERE id = ?1 AND (changed_at IS NULL OR changed_at < ?2)",
                    )
                    .and_then(|mut s| s.execute(params![doc, at]))
                    .during("set a document's last change")?;
                    if started.elapsed() >= IMPORT_TX_BUDGET {
                        break;
                    }
                }
            }
            tx.commit().during("merge documents' last changes")?;
            if !any {
                return Ok(());
            }
            std::thread::sleep(IMPORT_YIELD);
        }
    }

    fn merge_assignments(
        &mut self,
        src: &Connection,
        report: &mut MergeReport,
    ) -> Result<(), MergeError> {
        let mut stmt = src
            .prepare(
                "SELECT g.doc_id, a.uid, b.uid, g.updated_at, g.removed FROM assignments g
                 JOIN annotators a ON a.id = g.annotator_id
                 LEFT JOIN annotators b ON b.id = g.assigned_by ORDER BY g.doc_id",
            )
            .during("read the assignments of the file to merge")?;
        let mut rows = stmt
            .query([])
            .during("read the assignments of the file to merge")?;
        let mut more = true;
        while more {
            let started = Instant::now();
            let tx = self.begin("merge assignments")?;
            loop {
                let Some(row) = rows
                    .next()
                    .during("read the assignments of the file to merge")?
                else {
                    more = false;
                    break;
                };
                let doc: i64 = row.get(0).during("read an assignment")?;
                let annotator: Uid = row.get(1).during("read an assignment")?;
                let by: Option<Uid> = row.get(2).during("read an assignment")?;
                let updated_at: String = row.get(3).during("read an assignment")?;
                let removed: i64 = row.get(4).during("read an assignment")?;
                let Some(doc) = map_doc(&tx, doc)? else {
                    continue;
                };
                let annotator: Option<i64> = tx
                    .query_row(
                        "SELECT coalesce(joined_into, id) FROM annotators WHERE uid = ?1",
                        [annotator],
                        |r| r.get(0),
                    )
                    .optional()
                    .during("look up an annotator")?;
                let Some(annotator) = annotator else { continue };
                let by: Option<i64> = match by {
                    Some(by) => tx
                        .query_row(
                            "SELECT coalesce(joined_into, id) FROM annotators WHERE uid = ?1",
                            [by],
                            |r| r.get(0),
                        )
                        .optional()
                        .during("look up an annotator")?,
                    None => None,
                };
                let changed = merge_assignment(&tx, doc, annotator, by, &updated_at, removed != 0)?;
                report.states_changed += changed;
                if started.elapsed() >= IMPORT_TX_BUDGET {
                    break;
                }
            }
            tx.commit().during("merge assignments")?;
            std::thread::sleep(IMPORT_YIELD);
        }
        Ok(())
    }
}

/// A span row of the source.
struct SrcSpan {
    id: i64,
    uid: Uid,
    doc: i64,
    annotator: i64,
    layer: i64,
    start: i64,
    end: i64,
    label: String,
    text: String,
    origin: String,
    created_at: String,
    updated_at: String,
    deleted_at: Option<String>,
    attrs: String,
    note: String,
    score: Option<f64>,
    model: Option<String>,
    schema_version: Option<i64>,
    source_span: Option<i64>,
}

impl SrcSpan {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<SrcSpan> {
        Ok(SrcSpan {
            id: r.get(0)?,
            uid: r.get(1)?,
            doc: r.get(2)?,
            annotator: r.get(3)?,
            layer: r.get(4)?,
            start: r.get(5)?,
            end: r.get(6)?,
            label: r.get(7)?,
            text: r.get(8)?,
            origin: r.get(9)?,
            created_at: r.get(10)?,
            updated_at: r.get(11)?,
            deleted_at: r.get(12)?,
            attrs: r.get(13)?,
            note: r.get(14)?,
            score: r.get(15)?,
            model: r.get(16)?,
            schema_version: r.get(17)?,
            source_span: r.get(18)?,
        })
    }
}

fn quote(s: &str) -> String {
    format!("«{s}»")
}

/// `base`, or `base · 2`, `base · 3`… whichever is free in `table.name`.
pub(super) fn free_name(conn: &Connection, table: &str, base: &str) -> Result<String, StoreError> {
    let taken = |name: &str| -> Result<bool, StoreError> {
        conn.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM main.{table} WHERE name = ?1)"),
            [name],
            |r| r.get(0),
        )
        .during("look up a name")
    };
    if !taken(base)? {
        return Ok(base.to_owned());
    }
    let mut n = 2;
    loop {
        let name = format!("{base} · {n}");
        if !taken(&name)? {
            return Ok(name);
        }
        n += 1;
    }
}

/// `Some(None)` for no id, `Some(Some(local))` for an id `map` knows, `None`
/// for an id it does not.
fn translate(
    id: Option<i64>,
    map: impl FnOnce(i64) -> Result<Option<i64>, StoreError>,
) -> Result<Option<Option<i64>>, StoreError> {
    match id {
        None => Ok(Some(None)),
        Some(id) => Ok(map(id)?.map(Some)),
    }
}

fn map_doc(conn: &Connection, src: i64) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached("SELECT dst FROM temp.merge_docs WHERE src = ?1")
        .and_then(|mut s| s.query_row([src], |r| r.get(0)).optional())
        .during("translate a document id")
}

fn map_span(conn: &Connection, src: i64) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached("SELECT dst FROM temp.merge_spans WHERE src = ?1")
        .and_then(|mut s| s.query_row([src], |r| r.get(0)).optional())
        .during("translate a span id")
}

/// Translate the source's ids inside an event's `before`/`after` (see
/// [`super`]'s audit documentation for their shapes).
fn remap_json(
    conn: &Connection,
    action: &str,
    value: &mut Value,
    maps: &Maps,
) -> Result<(), StoreError> {
    let Some(obj) = value.as_object_mut() else {
        return Ok(());
    };
    let small = |map: &HashMap<i64, i64>, v: &mut Value| {
        if let Some(id) = v.as_i64()
            && let Some(&local) = map.get(&id)
        {
            *v = json!(local);
        }
    };
    for (key, v) in obj.iter_mut() {
        match key.as_str() {
            "annotator" => small(&maps.annotators, v),
            "layer" => small(&maps.layers, v),
            "schema_version" => small(&maps.schemas, v),
            "doc" => {
                if let Some(id) = v.as_i64()
                    && let Some(local) = map_doc(conn, id)?
                {
                    *v = json!(local);
                }
            }
            "source_span" => {
                if let Some(id) = v.as_i64()
                    && let Some(local) = map_span(conn, id)?
                {
                    *v = json!(local);
                }
            }
            "spans" => {
                if let Some(items) = v.as_array_mut() {
                    for item in items {
                        if let Some(id) = item.as_i64()
                            && let Some(local) = map_span(conn, id)?
                        {
                            *item = json!(local);
                        }
                    }
                }
            }
            "id" => {
                let Some(id) = v.as_i64() else { continue };
                let local = if action.starts_with("span.") || action.starts_with("gold.") {
                    map_span(conn, id)?
                } else if action == "document.import" {
                    map_doc(conn, id)?
                } else if action == "annotator.create" {
                    maps.annotators.get(&id).copied()
                } else if action == "layer.create" {
                    maps.layers.get(&id).copied()
                } else {
                    None
                };
                if let Some(local) = local {
                    *v = json!(local);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a span both files hold was changed in each: this project has an
/// event of it the source lacks, and the source one this project lacks.
fn changed_in_both(
    tx: &Connection,
    src: &Connection,
    doc: i64,
    local: i64,
    src_span: i64,
    src_doc: i64,
) -> Result<bool, StoreError> {
    let here: Vec<Uid> = {
        let mut s = tx
            .prepare_cached("SELECT uid FROM main.audit WHERE doc_id = ?1 AND span_id = ?2")
            .during("read a span's history")?;
        s.query_map(params![doc, local], |r| r.get(0))
            .during("read a span's history")?
            .collect::<Result<_, _>>()
            .during("read a span's history")?
    };
    let there: Vec<Uid> = {
        let mut s = src
            .prepare_cached("SELECT uid FROM audit WHERE doc_id = ?1 AND span_id = ?2")
            .during("read a span's history")?;
        s.query_map(params![src_doc, src_span], |r| r.get(0))
            .during("read a span's history")?
            .collect::<Result<_, _>>()
            .during("read a span's history")?
    };
    let here_only = here.iter().any(|u| !there.contains(u));
    let there_only = there.iter().any(|u| !here.contains(u));
    Ok(here_only && there_only)
}
