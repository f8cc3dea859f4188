//! Joining two annotators who are one person: the lead's deliberate answer
//! to a merge that showed the same person twice (`omar` and `omar · 2`: one
//! person on two laptops, two uids).
//!
//! [`Store::join_annotators`] makes `other` part of `keep`:
//!
//! 1. `other` and their layer get `joined_into` (schema 6): lists leave them
//!    out; their name and uid find `keep` (so `annotator_id("omar · 2")`, and
//!    a later merge of a file of `other`'s, come in as `keep`'s work).
//! 2. `other`'s spans move into `keep`'s layer and name `keep` as their
//!    annotator; their uids, times and history stay. The trigger that keeps a
//!    span in its layer allows exactly this move.
//! 3. Statuses, rejections, review decisions and assignments of `other`
//!    become `keep`'s; where both have one for the same document (or span),
//!    the later one stays.
//! 4. The audit log is append-only: `other`'s events keep their actor, and
//!    histories show them under `keep`'s name.
//!
//! The join writes an `annotator.join` audit row first and then works in
//! short transactions ([`super::import::IMPORT_TX_BUDGET`]); stopped half
//! way, joining again finishes it.

use std::time::Instant;

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::import::{IMPORT_TX_BUDGET, IMPORT_YIELD};
use super::{During, Store, StoreError, now, write_audit};
use crate::model::AnnotatorId;

/// What a join did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinReport {
    pub kept: String,
    pub joined: String,
    pub spans_moved: usize,
    pub statuses: usize,
    pub marks: usize,
    pub reviews: usize,
    pub assignments: usize,
}

impl std::fmt::Display for JoinReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is now part of {}: {} spans moved into {}'s layer; {} statuses, {} rejections, {} review decisions and {} assignments taken over",
            self.joined,
            self.kept,
            self.spans_moved,
            self.kept,
            self.statuses,
            self.marks,
            self.reviews,
            self.assignments
        )
    }
}

/// Rows moved per transaction, at most.
const JOIN_CHUNK: i64 = 2_000;

impl Store {
    /// Join annotator `other` into `keep`, as `actor` (see the module
    /// documentation).
    pub fn join_annotators(
        &mut self,
        keep: AnnotatorId,
        other: AnnotatorId,
        actor: Option<AnnotatorId>,
    ) -> Result<JoinReport, StoreError> {
        if keep == other {
            return Err(StoreError::JoinSelf);
        }
        let tx = self.begin("join two annotators")?;
        let name = |id: AnnotatorId| -> Result<(String, Option<i64>), StoreError> {
            tx.query_row(
                "SELECT name, joined_into FROM annotators WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .during("look up an annotator")?
            .ok_or(StoreError::AnnotatorNotFound { annotator: id })
        };
        let (kept, kept_into) = name(keep)?;
        let (joined, joined_into) = name(other)?;
        if kept_into.is_some() {
            return Err(StoreError::JoinedAlready { name: kept });
        }
        if joined_into.is_some_and(|into| into != keep) {
            return Err(StoreError::JoinedAlready { name: joined });
        }
        let layer = |id: AnnotatorId| -> Result<i64, StoreError> {
            tx.query_row(
                "SELECT id FROM main.layers WHERE annotator_id = ?1",
                [id],
                |r| r.get(0),
            )
            .during("look up an annotator's layer")
        };
        let (keep_layer, other_layer) = (layer(keep)?, layer(other)?);
        if joined_into.is_none() {
            tx.execute(
                "UPDATE annotators SET joined_into = ?1 WHERE id = ?2",
                params![keep, other],
            )
            .during("join two annotators")?;
            tx.execute(
                "UPDATE main.layers SET joined_into = ?1 WHERE id = ?2",
                params![keep_layer, other_layer],
            )
            .during("join two annotators")?;
            write_audit(
                &tx,
                &now(),
                actor,
                "annotator.join",
                None,
                None,
                &json!({ "annotator": other, "name": joined }),
                &json!({ "annotator": other, "joined_into": keep, "name": kept }),
            )?;
        }
        tx.commit().during("join two annotators")?;
        let mut report = JoinReport {
            kept,
            joined,
            ..JoinReport::default()
        };
        // Spans, then the per-person records, a chunk per transaction.
        report.spans_moved = self.in_chunks(
            "UPDATE main.spans SET layer_id = ?1, annotator_id = ?2
             WHERE rowid IN (SELECT rowid FROM main.spans WHERE layer_id = ?3 LIMIT ?4)",
            params![keep_layer, keep, other_layer, JOIN_CHUNK],
        )?;
        // Other's row goes where keep has none or an older one (by ranges of
        // document or span ids); then other's rows are dropped.
        let max_doc: i64 = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM main.documents", [], |r| {
                r.get(0)
            })
            .during("join two annotators")?;
        let max_span: i64 = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM main.spans", [], |r| {
                r.get(0)
            })
            .during("join two annotators")?;
        report.statuses = self.in_ranges(
            "INSERT INTO document_status (doc_id, annotator_id, status, updated_at)
             SELECT doc_id, ?1, status, updated_at FROM document_status
             WHERE annotator_id = ?2 AND doc_id > ?3 AND doc_id <= ?4
             ON CONFLICT (doc_id, annotator_id) DO UPDATE
             SET status = excluded.status, updated_at = excluded.updated_at
             WHERE excluded.updated_at > document_status.updated_at",
            keep,
            other,
            max_doc,
        )?;
        self.in_chunks(
            "DELETE FROM document_status WHERE annotator_id = ?1 AND doc_id IN (
                 SELECT doc_id FROM document_status WHERE annotator_id = ?1 LIMIT ?2)",
            params![other, JOIN_CHUNK],
        )?;
        report.marks = self.in_ranges(
            "INSERT INTO span_marks (span_id, annotator_id, mark, at)
             SELECT span_id, ?1, mark, at FROM span_marks
             WHERE annotator_id = ?2 AND span_id > ?3 AND span_id <= ?4
             ON CONFLICT DO NOTHING",
            keep,
            other,
            max_span,
        )?;
        self.in_chunks(
            "DELETE FROM span_marks WHERE annotator_id = ?1 AND span_id IN (
                 SELECT span_id FROM span_marks WHERE annotator_id = ?1 LIMIT ?2)",
            params![other, JOIN_CHUNK],
        )?;
        report.reviews = self.in_chunks(
            "UPDATE document_review SET reviewer_id = ?1 WHERE doc_id IN (
                 SELECT doc_id FROM document_review WHERE reviewer_id = ?2 LIMIT ?3)",
            params![keep, other, JOIN_CHUNK],
        )?;
        report.assignments = self.in_ranges(
            "INSERT INTO main.assignments (doc_id, annotator_id, assigned_by, updated_at, removed)
             SELECT doc_id, ?1, assigned_by, updated_at, removed FROM main.assignments
             WHERE annotator_id = ?2 AND doc_id > ?3 AND doc_id <= ?4
             ON CONFLICT (doc_id, annotator_id) DO UPDATE
             SET assigned_by = excluded.assigned_by, updated_at = excluded.updated_at,
                 removed = excluded.removed
             WHERE (excluded.updated_at, excluded.removed) > (updated_at, removed)",
            keep,
            other,
            max_doc,
        )?;
        // An assignment is never deleted (a merge needs its removal), so the
        // joined person's rows stay, taken back.
        self.in_chunks(
            "UPDATE main.assignments SET removed = 1 WHERE annotator_id = ?1 AND doc_id IN (
                 SELECT doc_id FROM main.assignments WHERE annotator_id = ?1 AND removed = 0 LIMIT ?2)",
            params![other, JOIN_CHUNK],
        )?;
        Ok(report)
    }

    /// Run `sql` (which changes at most a chunk of rows, each of which then
    /// no longer matches) in short transactions until it changes nothing;
    /// the rows changed.
    fn in_chunks(
        &mut self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let started = Instant::now();
            let tx = self.begin("join two annotators")?;
            let mut changed = 0;
            while started.elapsed() < IMPORT_TX_BUDGET {
                let n = tx.execute(sql, params).during("join two annotators")?;
                changed += n;
                if n == 0 {
                    break;
                }
            }
            tx.commit().during("join two annotators")?;
            total += changed;
            if changed == 0 {
                return Ok(total);
            }
            std::thread::sleep(IMPORT_YIELD);
        }
    }

    /// Run `sql` (parameters: keep, other, and a range `(lo, hi]` of ids)
    /// over the ids up to `max`, a range of [`JOIN_CHUNK`] at a time, in
    /// short transactions; the rows changed.
    fn in_ranges(
        &mut self,
        sql: &str,
        keep: AnnotatorId,
        other: AnnotatorId,
        max: i64,
    ) -> Result<usize, StoreError> {
        let mut total = 0;
        let mut lo = 0;
        while lo < max {
            let started = Instant::now();
            let tx = self.begin("join two annotators")?;
            while lo < max && started.elapsed() < IMPORT_TX_BUDGET {
                let hi = lo + JOIN_CHUNK;
                total += tx
                    .execute(sql, params![keep, other, lo, hi])
                    .during("join two annotators")?;
                lo = hi;
            }
            tx.commit().during("join two annotators")?;
            std::thread::sleep(IMPORT_YIELD);
        }
        Ok(total)
    }
}
