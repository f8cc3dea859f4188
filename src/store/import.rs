//! Writing a whole import (documents with their spans, from any reader in
//! [`crate::io`]) into the project in ONE transaction.
//!
//! [`Store::import_records`] is the single entry point. It checks every span
//! of every record first (in range, `start < end`, covered text equal to the
//! record's `text` when one is given), then writes: a document whose text
//! (SHA-256) is already in the project is not added again, and its spans are
//! attached to the existing document; a span identical to a live one (same
//! layer, document, offsets and label) is counted and not stored twice.
//! Documents go through `insert_document`, the only way documents enter the
//! project. It must not parse files, map labels or know about egui: readers
//! do the first two, and the caller decides what a bad record means.
//!
//! Audit rows: `document.import` for each new document (written by
//! `insert_document`), `span.import` for each document already in the project
//! that received spans (`after` = `{"layer": id, "layer_name": …, "spans": [ids]}`),
//! and one `import` row with the whole report ([`ImportReport::to_json`]) and
//! `"span_ids": [first, last]`, the range of span ids the import wrote (one
//! writer, so they are consecutive). Spans get origin `imported`, the importing annotator, the
//! named layer of kind `imported`, and `schema_version` = the newest stored
//! schema (like `add_span`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::{
    During, LayerKind, NewDocument, Store, StoreError, ensure_annotator, insert_document,
    layer_named, now, sha256_hex, to_i64, write_audit,
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

/// Page cache during an import, in KiB (SQLite's negative `cache_size`): 64 MiB.
const IMPORT_CACHE_SIZE: i64 = -65_536;

/// How often (in records) the progress callback is called.
const PROGRESS_EVERY: usize = 64;

impl Store {
    /// Write `records` in one transaction, by `actor`, completing `report`.
    ///
    /// Every record is checked first. A bad record fails the whole import
    /// ([`BatchError::Refused`], nothing written) unless `skip_bad`, which
    /// leaves it out and lists it in the report. `progress(done, total)` is
    /// called now and then; when it returns `false` the import stops and is
    /// rolled back ([`BatchError::Cancelled`]).
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
                Ok(()) => good.push(record),
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

        // A whole corpus is written in one transaction: with SQLite's default
        // 2 MB page cache, pages spill to disk and are read back midway.
        let cache_pages: i64 = self
            .conn
            .query_row("PRAGMA cache_size", [], |row| row.get(0))
            .during("read the page cache size")?;
        self.conn
            .pragma_update(None, "cache_size", IMPORT_CACHE_SIZE)
            .during("enlarge the page cache")?;
        let result = self.write_records(&good, actor, report, progress);
        self.conn
            .pragma_update(None, "cache_size", cache_pages)
            .during("restore the page cache size")?;
        result
    }

    fn write_records(
        &mut self,
        good: &[&ImportRecord],
        actor: AnnotatorId,
        mut report: ImportReport,
        progress: &mut dyn FnMut(usize, usize) -> bool,
    ) -> Result<ImportReport, BatchError> {
        let tx = self.begin("import documents and spans")?;
        ensure_annotator(&tx, actor)?;
        let schema_version: Option<i64> = tx
            .query_row("SELECT max(version) FROM schemas", [], |row| row.get(0))
            .during("read the schema version")?;
        let mut layers: HashMap<&str, LayerId> = HashMap::new();
        // First and last id of the spans written (one writer: ids are consecutive).
        let mut span_ids: Option<(SpanId, SpanId)> = None;
        let total = good.len();
        for (done, record) in good.iter().enumerate() {
            if done % PROGRESS_EVERY == 0 && !progress(done, total) {
                return Err(BatchError::Cancelled);
            }
            let sha256 = sha256_hex(record.doc.text.as_bytes());
            let existing: Option<DocId> = tx
                .prepare_cached("SELECT id FROM documents WHERE sha256 = ?1")
                .and_then(|mut stmt| stmt.query_row([&sha256], |row| row.get(0)).optional())
                .during("look for an identical document")?;
            let doc = match existing {
                Some(id) => {
                    report.documents_present += 1;
                    id
                }
                None => {
                    report.documents_added += 1;
                    let char_len = record.doc.text.chars().count();
                    insert_document(&tx, &record.doc, &sha256, char_len, Some(actor))?
                }
            };
            if record.spans.is_empty() {
                continue;
            }
            let layer = match layers.get(record.layer.as_str()) {
                Some(&id) => id,
                None => {
                    let id = layer_named(&tx, &record.layer, LayerKind::Imported, Some(actor))?;
                    layers.insert(&record.layer, id);
                    id
                }
            };
            let mut present: HashSet<(usize, usize, String)> = HashSet::new();
            if existing.is_some() {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT start, \"end\", label FROM spans
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
                    "INSERT INTO spans (doc_id, annotator_id, layer_id, start, \"end\", label, text,
                                        origin, attrs, score, model, schema_version, created_at, updated_at,
                                        note)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'imported', ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
                )
                .during("import a span")?;
            for (span, text) in record.spans.iter().zip(covered) {
                if !present.insert((span.start, span.end, span.label.clone())) {
                    report.spans_duplicate += 1;
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
                        schema_version,
                        at,
                        span.note
                    ])
                    .during("import a span")?;
                ids.push(tx.last_insert_rowid());
            }
            drop(insert);
            if let (Some(&first), Some(&last)) = (ids.first(), ids.last()) {
                span_ids.get_or_insert((first, last)).1 = last;
            }
            report.spans_added += ids.len();
            *report.layers.entry(record.layer.clone()).or_default() += ids.len();
            // A new document's spans are covered by its `document.import` row
            // and the `import` row's span id range; an existing document
            // gets its own row, so its history shows the attached spans.
            if existing.is_some() && !ids.is_empty() {
                write_audit(
                    &tx,
                    &at,
                    Some(actor),
                    "span.import",
                    Some(doc),
                    None,
                    &serde_json::Value::Null,
                    &json!({ "layer": layer, "layer_name": record.layer, "spans": ids }),
                )?;
            }
        }
        if !progress(total, total) {
            return Err(BatchError::Cancelled);
        }
        let mut after = report.to_json();
        after["span_ids"] = json!(span_ids.map(|(first, last)| [first, last]));
        write_audit(
            &tx,
            &now(),
            Some(actor),
            "import",
            None,
            None,
            &serde_json::Value::Null,
            &after,
        )?;
        tx.commit().during("save the import")?;
        Ok(report)
    }
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
