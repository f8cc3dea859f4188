//! Document assignment: which annotators are to label which documents,
//! spread evenly and reproducibly, listed, changed and removed; and "ready
//! for review", a document every assignee has marked done.
//!
//! Assignments are data like spans: rows of `assignments` that a merge of
//! project files carries, resolving each (document, annotator) pair by its
//! latest `updated_at`. So a removal is never a DELETE: it sets `removed = 1`
//! with a new `updated_at`, and every change moves `updated_at` forward, by a
//! millisecond if the clock has not. Only the rows of visible documents are
//! read (the `documents` view hides uncommitted imports); writes name
//! `main.assignments`. This module must not decide what the UI shows, and
//! holds no state between calls.
//!
//! # Spreading documents
//!
//! [`Store::assign`] takes a plan ([`AssignPlan`]): annotator names,
//! how many distinct annotators each document gets, a seed and the document
//! list's filters. It is deterministic across machines: the names are
//! sorted; the documents the filters keep are ordered by the SHA-256 of
//! their text (never by local ids), then shuffled with a SplitMix64 generator
//! seeded with the plan's seed (Fisher–Yates, index `j = (x * (i + 1)) >> 64`
//! of the next 64-bit output `x`); the same generator then shuffles the
//! sorted names into the order that breaks ties. Each document in turn that
//! has fewer than `per_document` live assignees gets the missing ones from
//! the plan's annotators not yet on it, fewest live assignments first (over
//! the whole project, so topping up stays even), ties by that order. Each
//! annotator thus ends within one document of the others when they started
//! so; a document that already has `per_document` assignees is left alone.
//! A run stopped half way (the project file held by another program) and
//! run again gives the same result as one uninterrupted run.
//!
//! # Audit
//!
//! | action | `doc_id` | `before` → `after` |
//! |---|---|---|
//! | `assignment.set` (one document) | the document | `{"annotator":3,"assigned":false}` → `{"annotator":3,"assigned":true}` |
//! | `assignment.remove` (one document) | the document | `{"annotator":3,"assigned":true}` → `{"annotator":3,"assigned":false}` |
//! | `assignment.set` (a transaction of [`Store::assign`]) | `NULL` | `null` → `{"per_document":2,"seed":7,"assigned":[{"annotator":3,"docs":[1,4]},…]}` |
//! | `assignment.remove` (a transaction of [`Store::unassign_all`]) | `NULL` | `null` → `{"annotator":3,"removed":[1,4,…]}` |
//!
//! Bulk writes go in transactions of at most [`ASSIGN_CHUNK`] rows or about
//! [`super::import::IMPORT_TX_BUDGET`], pausing between them as an import
//! does, so the window's own writes get in.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::browse::{DocQuery, DocRow, matching_documents};
use super::import::{IMPORT_TX_BUDGET, IMPORT_YIELD};
use super::{During, Store, StoreError, ensure_annotator, now, to_usize, write_audit};
use crate::model::{AnnotatorId, DocId};

/// Rows written per transaction by [`Store::assign`] and
/// [`Store::unassign_all`], at most.
pub const ASSIGN_CHUNK: usize = 2_000;

/// `DocQuery::assigned`: a live assignment to `:assignee` (read from the
/// partial index `assignments_by_annotator`).
pub(super) const ASSIGNED_CONDITION: &str = "d.id IN (SELECT x.doc_id FROM assignments x
                  WHERE x.annotator_id = :assignee AND x.removed = 0)";

/// `DocQuery::ready`: some live assignment, and none whose annotator has not
/// marked the document done. Both sets come from the partial index
/// `assignments_by_annotator`, the check from `document_status`'s key.
pub(super) const READY_CONDITION: &str =
    "d.id IN (SELECT x.doc_id FROM assignments x WHERE x.removed = 0)
    AND d.id NOT IN (SELECT x.doc_id FROM assignments x
                     WHERE x.removed = 0
                       AND NOT EXISTS (SELECT 1 FROM document_status ds
                                       WHERE ds.doc_id = x.doc_id
                                         AND ds.annotator_id = x.annotator_id
                                         AND ds.status = 'done'))";

/// A row's new `updated_at`: now, or a millisecond after its stored
/// `updated_at` when the clock is not past it (so the latest change wins a
/// merge). `?now` is the current time.
const LATER: &str = "CASE WHEN :now > updated_at THEN :now
     ELSE strftime('%Y-%m-%dT%H:%M:%fZ', updated_at, '+0.001 seconds') END";

/// Who is to label which documents (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssignPlan {
    /// Annotator names; a name not in the project yet is added.
    pub annotators: Vec<String>,
    /// How many distinct annotators each document gets.
    pub per_document: usize,
    pub seed: u64,
    /// Which documents: the filters of the document list (its sort and
    /// page are not used).
    pub filter: DocQuery,
}

impl AssignPlan {
    /// The names, trimmed, without repeats, sorted; refused when the plan
    /// cannot be carried out.
    fn checked_names(&self) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = self
            .annotators
            .iter()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Err(StoreError::NoAssignees);
        }
        if self.per_document == 0 {
            return Err(StoreError::NoneAssignedPerDocument);
        }
        if self.per_document > names.len() {
            return Err(StoreError::TooFewAssignees {
                per_document: self.per_document,
                names: names.join(", "),
                annotators: names.len(),
            });
        }
        Ok(names)
    }
}

/// What one annotator got from [`Store::assign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatorAssignments {
    pub id: AnnotatorId,
    pub name: String,
    /// Documents newly assigned by this run.
    pub added: usize,
    /// Live assignments in the whole project after it.
    pub total: usize,
}

/// What [`Store::assign`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignReport {
    /// Documents the filters kept.
    pub documents: usize,
    /// Of those, documents that already had enough live assignees and were left alone.
    pub already_assigned: usize,
    /// Per annotator of the plan, by name.
    pub per_annotator: Vec<AnnotatorAssignments>,
}

impl fmt::Display for AssignReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let added: usize = self.per_annotator.iter().map(|a| a.added).sum();
        write!(
            f,
            "{} documents: {added} assignments added, {} documents already had enough annotators",
            self.documents, self.already_assigned
        )?;
        for a in &self.per_annotator {
            write!(
                f,
                "\n  {}: {} new, {} assigned in all",
                a.name, a.added, a.total
            )?;
        }
        Ok(())
    }
}

/// A live assignee of a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assignee {
    pub id: AnnotatorId,
    pub name: String,
    /// The annotator marked the document done.
    pub done: bool,
}

/// A document with live assignments, for listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedDocument {
    pub doc: DocId,
    /// The title, or the first line of the text when the title is blank.
    pub title: String,
    /// By name.
    pub assignees: Vec<Assignee>,
}

impl AssignedDocument {
    /// Every assignee marked the document done.
    pub fn is_ready(&self) -> bool {
        !self.assignees.is_empty() && self.assignees.iter().all(|a| a.done)
    }
}

/// One annotator's assigned documents and how far they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentProgress {
    pub id: AnnotatorId,
    pub name: String,
    pub assigned: usize,
    /// Of the assigned documents, marked done.
    pub done: usize,
    /// Of the assigned documents, in progress (as the document list says).
    pub in_progress: usize,
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small generator whose output
/// is fixed by its seed on every machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// Fisher–Yates, from the last element down.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Which plan annotators each document gets: `(doc, annotator)` in the
/// order decided, and how many documents were already full. `docs` are in
/// the shuffled order; `live` are the live assignees of each document;
/// `counts[i]` is annotator `ids[i]`'s live assignments, updated;
/// `rank[i]` breaks ties.
fn spread(
    docs: &[DocId],
    live: &HashMap<DocId, Vec<AnnotatorId>>,
    ids: &[AnnotatorId],
    rank: &[usize],
    counts: &mut [usize],
    per_document: usize,
) -> (Vec<(DocId, usize)>, usize) {
    let mut out = Vec::new();
    let mut full = 0;
    for &doc in docs {
        let have = live.get(&doc).map_or(&[][..], Vec::as_slice);
        let need = per_document.saturating_sub(have.len());
        if need == 0 {
            full += 1;
            continue;
        }
        let mut candidates: Vec<usize> = (0..ids.len())
            .filter(|&i| !have.contains(&ids[i]))
            .collect();
        candidates.sort_by_key(|&i| (counts[i], rank[i]));
        for &i in candidates.iter().take(need) {
            counts[i] += 1;
            out.push((doc, i));
        }
    }
    (out, full)
}

impl Store {
    /// Assign documents to annotators as `plan` says (see the module
    /// documentation), in short transactions, each with one
    /// `assignment.set` audit row. `actor` is recorded as who assigned.
    pub fn assign(
        &mut self,
        plan: &AssignPlan,
        actor: Option<AnnotatorId>,
    ) -> Result<AssignReport, StoreError> {
        let names = plan.checked_names()?;
        if let Some(actor) = actor {
            ensure_annotator(&self.conn, actor)?;
        }
        let ids = names
            .iter()
            .map(|name| self.annotator_id(name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut docs = matching_documents(&self.conn, &plan.filter)?;
        docs.sort_by(|a, b| a.1.cmp(&b.1));
        let mut rng = SplitMix64(plan.seed);
        rng.shuffle(&mut docs);
        let mut order: Vec<usize> = (0..ids.len()).collect();
        rng.shuffle(&mut order);
        let mut rank = vec![0; ids.len()];
        for (position, &i) in order.iter().enumerate() {
            rank[i] = position;
        }
        let live = live_assignments(&self.conn)?;
        let mut counts: Vec<usize> = ids
            .iter()
            .map(|id| {
                live.values()
                    .filter(|assignees| assignees.contains(id))
                    .count()
            })
            .collect();
        let before = counts.clone();
        let docs: Vec<DocId> = docs.into_iter().map(|(id, _)| id).collect();
        let (writes, full) = spread(&docs, &live, &ids, &rank, &mut counts, plan.per_document);
        let mut rest = &writes[..];
        while !rest.is_empty() {
            let written = self.write_assignments(rest, &ids, plan, actor)?;
            rest = &rest[written..];
            if !rest.is_empty() {
                std::thread::sleep(IMPORT_YIELD);
            }
        }
        Ok(AssignReport {
            documents: docs.len(),
            already_assigned: full,
            per_annotator: names
                .into_iter()
                .enumerate()
                .map(|(i, name)| AnnotatorAssignments {
                    id: ids[i],
                    name,
                    added: counts[i] - before[i],
                    total: counts[i],
                })
                .collect(),
        })
    }

    /// One transaction of [`Store::assign`]: the first rows of `rows` (at
    /// most [`ASSIGN_CHUNK`], about [`IMPORT_TX_BUDGET`]); returns how many.
    fn write_assignments(
        &mut self,
        rows: &[(DocId, usize)],
        ids: &[AnnotatorId],
        plan: &AssignPlan,
        actor: Option<AnnotatorId>,
    ) -> Result<usize, StoreError> {
        let started = Instant::now();
        let tx = self.begin("assign documents")?;
        let at = now();
        let mut written = 0;
        let mut per_annotator: Vec<Vec<DocId>> = vec![Vec::new(); ids.len()];
        {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "INSERT INTO main.assignments (doc_id, annotator_id, assigned_by, updated_at, removed)
                     VALUES (:doc, :annotator, :by, :now, 0)
                     ON CONFLICT (doc_id, annotator_id) DO UPDATE
                     SET removed = 0, assigned_by = excluded.assigned_by, updated_at = {LATER}
                     WHERE removed = 1"
                ))
                .during("assign documents")?;
            for &(doc, i) in rows {
                if written >= ASSIGN_CHUNK || (written > 0 && started.elapsed() >= IMPORT_TX_BUDGET)
                {
                    break;
                }
                stmt.execute(rusqlite::named_params! {
                    ":doc": doc, ":annotator": ids[i], ":by": actor, ":now": at,
                })
                .during("assign documents")?;
                per_annotator[i].push(doc);
                written += 1;
            }
        }
        let assigned: Vec<serde_json::Value> = per_annotator
            .iter()
            .enumerate()
            .filter(|(_, docs)| !docs.is_empty())
            .map(|(i, docs)| json!({ "annotator": ids[i], "docs": docs }))
            .collect();
        write_audit(
            &tx,
            &at,
            actor,
            "assignment.set",
            None,
            None,
            &serde_json::Value::Null,
            &json!({
                "per_document": plan.per_document,
                "seed": plan.seed,
                "assigned": assigned,
            }),
        )?;
        tx.commit().during("save assignments")?;
        Ok(written)
    }

    /// Assign `doc` to `annotator` or remove the assignment, in one
    /// transaction with an `assignment.set` or `assignment.remove` audit row.
    /// Returns whether anything changed: assigning an assigned document, or
    /// removing an assignment there is not, writes nothing.
    pub fn set_assignment(
        &mut self,
        doc: DocId,
        annotator: AnnotatorId,
        assigned: bool,
        actor: Option<AnnotatorId>,
    ) -> Result<bool, StoreError> {
        let tx = self.begin("change an assignment")?;
        ensure_annotator(&tx, annotator)?;
        if let Some(actor) = actor {
            ensure_annotator(&tx, actor)?;
        }
        super::browse::document_exists(&tx, doc)?;
        let was = is_assigned(&tx, doc, annotator)?;
        if was == assigned {
            return Ok(false);
        }
        let at = now();
        tx.prepare_cached(&format!(
            "INSERT INTO main.assignments (doc_id, annotator_id, assigned_by, updated_at, removed)
             VALUES (:doc, :annotator, :by, :now, :removed)
             ON CONFLICT (doc_id, annotator_id) DO UPDATE
             SET removed = excluded.removed, updated_at = {LATER},
                 assigned_by = CASE WHEN excluded.removed = 0 THEN excluded.assigned_by
                               ELSE assigned_by END"
        ))
        .and_then(|mut stmt| {
            stmt.execute(rusqlite::named_params! {
                ":doc": doc, ":annotator": annotator, ":by": actor, ":now": at,
                ":removed": !assigned,
            })
        })
        .during("change an assignment")?;
        write_audit(
            &tx,
            &at,
            actor,
            if assigned {
                "assignment.set"
            } else {
                "assignment.remove"
            },
            Some(doc),
            None,
            &json!({ "annotator": annotator, "assigned": was }),
            &json!({ "annotator": annotator, "assigned": assigned }),
        )?;
        tx.commit().during("save an assignment")?;
        Ok(true)
    }

    /// Remove every live assignment of `annotator`, in short transactions
    /// each with one `assignment.remove` audit row; returns how many.
    pub fn unassign_all(
        &mut self,
        annotator: AnnotatorId,
        actor: Option<AnnotatorId>,
    ) -> Result<usize, StoreError> {
        ensure_annotator(&self.conn, annotator)?;
        if let Some(actor) = actor {
            ensure_annotator(&self.conn, actor)?;
        }
        let docs = self.assigned_documents(annotator)?;
        let mut rest = &docs[..];
        while !rest.is_empty() {
            let started = Instant::now();
            let tx = self.begin("remove assignments")?;
            let at = now();
            let mut removed = Vec::new();
            {
                let mut stmt = tx
                    .prepare_cached(&format!(
                        "UPDATE main.assignments SET removed = 1, updated_at = {LATER}
                         WHERE doc_id = :doc AND annotator_id = :annotator AND removed = 0"
                    ))
                    .during("remove assignments")?;
                for &doc in rest {
                    if removed.len() >= ASSIGN_CHUNK
                        || (!removed.is_empty() && started.elapsed() >= IMPORT_TX_BUDGET)
                    {
                        break;
                    }
                    stmt.execute(rusqlite::named_params! {
                        ":doc": doc, ":annotator": annotator, ":now": at,
                    })
                    .during("remove assignments")?;
                    removed.push(doc);
                }
            }
            write_audit(
                &tx,
                &at,
                actor,
                "assignment.remove",
                None,
                None,
                &serde_json::Value::Null,
                &json!({ "annotator": annotator, "removed": removed }),
            )?;
            tx.commit().during("save removed assignments")?;
            rest = &rest[removed.len()..];
            if !rest.is_empty() {
                std::thread::sleep(IMPORT_YIELD);
            }
        }
        Ok(docs.len())
    }

    /// The live assignees of `doc`, by name.
    pub fn assignments_of_document(
        &self,
        doc: DocId,
    ) -> Result<Vec<(AnnotatorId, String)>, StoreError> {
        super::browse::document_exists(&self.conn, doc)?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.name FROM assignments x JOIN annotators a ON a.id = x.annotator_id
                 WHERE x.doc_id = ?1 AND x.removed = 0 ORDER BY a.name, a.id",
            )
            .during("read a document's assignees")?;
        let rows = stmt
            .query_map([doc], |r| Ok((r.get(0)?, r.get(1)?)))
            .during("read a document's assignees")?;
        rows.collect::<Result<_, _>>()
            .during("read a document's assignees")
    }

    /// The documents assigned to `annotator` (live), in import order.
    pub fn assigned_documents(&self, annotator: AnnotatorId) -> Result<Vec<DocId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT x.doc_id FROM assignments x JOIN documents d ON d.id = x.doc_id
                 WHERE x.annotator_id = ?1 AND x.removed = 0 ORDER BY x.doc_id",
            )
            .during("read assigned documents")?;
        let rows = stmt
            .query_map([annotator], |r| r.get(0))
            .during("read assigned documents")?;
        rows.collect::<Result<_, _>>()
            .during("read assigned documents")
    }

    /// How many documents are assigned to `annotator` (live).
    pub fn assigned_count(&self, annotator: AnnotatorId) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM assignments x JOIN documents d ON d.id = x.doc_id
                 WHERE x.annotator_id = ?1 AND x.removed = 0",
            )
            .and_then(|mut stmt| stmt.query_row([annotator], |r| r.get(0)))
            .during("count assigned documents")?;
        to_usize(n, "assigned documents")
    }

    /// Whether any visible document has a live assignment.
    pub fn has_assignments(&self) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM assignments x JOIN documents d ON d.id = x.doc_id
                                WHERE x.removed = 0)",
            )
            .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
            .during("look for assignments")
    }

    /// Whether `annotator` has a live assignment to a visible document.
    pub fn has_assignments_for(&self, annotator: AnnotatorId) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM assignments x JOIN documents d ON d.id = x.doc_id
                                WHERE x.annotator_id = ?1 AND x.removed = 0)",
            )
            .and_then(|mut stmt| stmt.query_row([annotator], |r| r.get(0)))
            .during("look for assignments")
    }

    /// Every document with live assignments (only those assigned to
    /// `annotator`, if given), in import order, with its assignees and who
    /// of them marked it done.
    pub fn assignment_list(
        &self,
        annotator: Option<AnnotatorId>,
    ) -> Result<Vec<AssignedDocument>, StoreError> {
        let only = if annotator.is_some() {
            "AND x.doc_id IN (SELECT y.doc_id FROM assignments y
                              WHERE y.annotator_id = :annotator AND y.removed = 0)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT x.doc_id, d.title, substr(d.text, 1, 121), a.id, a.name,
                    EXISTS (SELECT 1 FROM document_status ds
                            WHERE ds.doc_id = x.doc_id AND ds.annotator_id = x.annotator_id
                              AND ds.status = 'done')
             FROM assignments x
             JOIN documents d ON d.id = x.doc_id
             JOIN annotators a ON a.id = x.annotator_id
             WHERE x.removed = 0 {only}
             ORDER BY x.doc_id, a.name, a.id"
        );
        let mut stmt = self.conn.prepare(&sql).during("list assignments")?;
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
        if let Some(annotator) = &annotator {
            named.push((":annotator", annotator));
        }
        let rows = stmt
            .query_map(named.as_slice(), |r| {
                Ok((
                    r.get::<_, DocId>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    Assignee {
                        id: r.get(3)?,
                        name: r.get(4)?,
                        done: r.get(5)?,
                    },
                ))
            })
            .during("list assignments")?;
        let mut out: Vec<AssignedDocument> = Vec::new();
        for row in rows {
            let (doc, title, head, assignee) = row.during("list assignments")?;
            match out.last_mut() {
                Some(last) if last.doc == doc => last.assignees.push(assignee),
                _ => out.push(AssignedDocument {
                    doc,
                    title: if title.trim().is_empty() {
                        first_line(&head)
                    } else {
                        title
                    },
                    assignees: vec![assignee],
                }),
            }
        }
        Ok(out)
    }

    /// Per annotator with live assignments, by name: how many documents
    /// they have and how many of those are done and in progress (with the
    /// statuses of the document list).
    pub fn assignment_progress(&self) -> Result<Vec<AssignmentProgress>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.id, a.name, count(*),
                        coalesce(sum(ds.status = 'done'), 0),
                        coalesce(sum(ds.status = 'in_progress'
                            OR (ds.status IS NULL AND EXISTS (
                                SELECT 1 FROM layers l JOIN spans s ON s.layer_id = l.id
                                WHERE l.kind = 'annotator' AND l.annotator_id = a.id
                                  AND s.doc_id = x.doc_id AND s.deleted_at IS NULL))), 0)
                 FROM assignments x
                 JOIN documents d ON d.id = x.doc_id
                 JOIN annotators a ON a.id = x.annotator_id
                 LEFT JOIN document_status ds
                        ON ds.doc_id = x.doc_id AND ds.annotator_id = x.annotator_id
                 WHERE x.removed = 0
                 GROUP BY a.id ORDER BY a.name, a.id",
            )
            .during("read assignment progress")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, AnnotatorId>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .during("read assignment progress")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, assigned, done, in_progress) = row.during("read assignment progress")?;
            out.push(AssignmentProgress {
                id,
                name,
                assigned: to_usize(assigned, "assigned documents")?,
                done: to_usize(done, "done documents")?,
                in_progress: to_usize(in_progress, "documents in progress")?,
            });
        }
        Ok(out)
    }

    /// The next document ready for review and not adjudicated yet, after
    /// `after` in import order, wrapping around to the first (so it can be
    /// `after` itself); `None` when there is none.
    pub fn next_ready_for_review(&self, after: Option<DocId>) -> Result<Option<DocId>, StoreError> {
        let sql = format!(
            "SELECT d.id FROM documents d
             WHERE {READY_CONDITION}
               AND d.id NOT IN (SELECT doc_id FROM document_review WHERE status = 'adjudicated')
               AND d.id > :after
             ORDER BY d.id LIMIT 1"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .during("find the next document ready for review")?;
        let mut first_after = |after: DocId| {
            stmt.query_row(rusqlite::named_params! { ":after": after }, |r| r.get(0))
                .optional()
                .during("find the next document ready for review")
        };
        match after {
            Some(after) => match first_after(after)? {
                Some(next) => Ok(Some(next)),
                None => first_after(DocId::MIN),
            },
            None => first_after(DocId::MIN),
        }
    }

    /// The live assignees of `rows` with who marked each done (one query for
    /// the page).
    pub(super) fn fill_assignees(&self, rows: &mut [DocRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids =
            serde_json::Value::from(rows.iter().map(|r| r.id).collect::<Vec<_>>()).to_string();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT x.doc_id, a.id, a.name,
                        EXISTS (SELECT 1 FROM document_status ds
                                WHERE ds.doc_id = x.doc_id AND ds.annotator_id = x.annotator_id
                                  AND ds.status = 'done')
                 FROM assignments x JOIN annotators a ON a.id = x.annotator_id
                 WHERE x.doc_id IN (SELECT value FROM json_each(?1)) AND x.removed = 0
                 ORDER BY x.doc_id, a.name, a.id",
            )
            .during("read assignees")?;
        let found = stmt
            .query_map([ids], |r| {
                Ok((
                    r.get::<_, DocId>(0)?,
                    Assignee {
                        id: r.get(1)?,
                        name: r.get(2)?,
                        done: r.get(3)?,
                    },
                ))
            })
            .during("read assignees")?;
        for row in found {
            let (doc, assignee) = row.during("read assignees")?;
            if let Some(r) = rows.iter_mut().find(|r| r.id == doc) {
                r.assignees.push(assignee);
            }
        }
        Ok(())
    }
}

/// The live assignees of every visible document.
fn live_assignments(conn: &Connection) -> Result<HashMap<DocId, Vec<AnnotatorId>>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT x.doc_id, x.annotator_id FROM assignments x
             JOIN documents d ON d.id = x.doc_id WHERE x.removed = 0",
        )
        .during("read assignments")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, DocId>(0)?, r.get::<_, AnnotatorId>(1)?))
        })
        .during("read assignments")?;
    let mut out: HashMap<DocId, Vec<AnnotatorId>> = HashMap::new();
    for row in rows {
        let (doc, annotator) = row.during("read assignments")?;
        out.entry(doc).or_default().push(annotator);
    }
    Ok(out)
}

fn is_assigned(conn: &Connection, doc: DocId, annotator: AnnotatorId) -> Result<bool, StoreError> {
    let removed: Option<bool> = conn
        .prepare_cached("SELECT removed FROM assignments WHERE doc_id = ?1 AND annotator_id = ?2")
        .and_then(|mut stmt| {
            stmt.query_row(params![doc, annotator], |r| r.get(0))
                .optional()
        })
        .during("read an assignment")?;
    Ok(removed == Some(false))
}

/// The first line of `head`, cut to 120 characters with `…`.
fn first_line(head: &str) -> String {
    let line = head.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 120 {
        let mut out: String = line.chars().take(120).collect();
        out.push('…');
        out
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewDocument, Status};

    fn store_with(texts: &[String]) -> (Store, Vec<DocId>) {
        let mut store = Store::open_in_memory().unwrap();
        let docs = texts
            .iter()
            .map(|text| {
                store
                    .import_document(
                        &NewDocument {
                            title: String::new(),
                            text: text.clone(),
                            source: "test".into(),
                            meta: json!({}),
                        },
                        None,
                    )
                    .unwrap()
                    .id()
            })
            .collect();
        (store, docs)
    }

    fn texts(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("قصفت قوات الأسد مدينة إدلب، الخبر {i}"))
            .collect()
    }

    fn plan(names: &[&str], per_document: usize, seed: u64) -> AssignPlan {
        AssignPlan {
            annotators: names.iter().map(|n| (*n).to_owned()).collect(),
            per_document,
            seed,
            filter: DocQuery::default(),
        }
    }

    /// The assignments as (text hash, annotator name): what is the same on
    /// every machine.
    fn global(store: &Store) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = store
            .assignment_list(None)
            .unwrap()
            .into_iter()
            .flat_map(|d| {
                let sha = store.document(d.doc).unwrap().sha256;
                d.assignees.into_iter().map(move |a| (sha.clone(), a.name))
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn splitmix64_gives_the_published_sequence() {
        // The reference outputs for seed 0 (Vigna's splitmix64.c).
        let mut rng = SplitMix64(0);
        assert_eq!(rng.next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(rng.next(), 0x06c4_5d18_8009_454f);
    }

    /// A run cut after any number of rows (the project file held by another
    /// program between two transactions) and run again ends where one
    /// uninterrupted run ends.
    #[test]
    fn an_interrupted_run_finishes_as_one_run_would() {
        let docs: Vec<DocId> = (1..=40).collect();
        let ids: Vec<AnnotatorId> = vec![10, 20, 30, 40];
        let rank = [2, 0, 3, 1];
        // Some documents already have an assignee, one of them not in the plan.
        let mut live: HashMap<DocId, Vec<AnnotatorId>> = HashMap::new();
        live.insert(3, vec![20]);
        live.insert(7, vec![99]);
        live.insert(8, vec![10, 30, 40]);
        let start = [1, 1, 0, 1];
        let mut counts = start;
        let (whole, _) = spread(&docs, &live, &ids, &rank, &mut counts, 3);
        let mut whole_sorted = whole.clone();
        whole_sorted.sort();
        for cut in 0..whole.len() {
            let mut live = live.clone();
            let mut counts = start;
            for &(doc, i) in &whole[..cut] {
                live.entry(doc).or_default().push(ids[i]);
                counts[i] += 1;
            }
            let (rest, _) = spread(&docs, &live, &ids, &rank, &mut counts, 3);
            let mut both: Vec<(DocId, usize)> = whole[..cut].iter().chain(&rest).copied().collect();
            both.sort();
            assert_eq!(both, whole_sorted, "cut after {cut} rows");
        }
    }

    #[test]
    fn spreads_evenly_with_distinct_annotators_per_document() {
        let (mut store, docs) = store_with(&texts(31));
        let report = store
            .assign(&plan(&["omar", "layla", "sara"], 2, 7), None)
            .unwrap();
        assert_eq!(report.documents, 31);
        assert_eq!(report.already_assigned, 0);
        let added: Vec<usize> = report.per_annotator.iter().map(|a| a.added).collect();
        assert_eq!(added.iter().sum::<usize>(), 62);
        assert!(
            added.iter().max().unwrap() - added.iter().min().unwrap() <= 1,
            "{added:?}"
        );
        let names: Vec<&str> = report
            .per_annotator
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["layla", "omar", "sara"]);
        for doc in docs {
            let assignees = store.assignments_of_document(doc).unwrap();
            assert_eq!(assignees.len(), 2, "document {doc}");
            assert_ne!(assignees[0].0, assignees[1].0);
        }
        for a in &report.per_annotator {
            assert_eq!(store.assigned_count(a.id).unwrap(), a.added);
            assert_eq!(store.assigned_documents(a.id).unwrap().len(), a.added);
        }
    }

    #[test]
    fn the_same_plan_and_seed_give_the_same_assignments_in_any_import_order() {
        let forward = texts(40);
        let mut backward = forward.clone();
        backward.reverse();
        let (mut a, _) = store_with(&forward);
        // Other local ids: annotators created in another order too.
        let (mut b, _) = store_with(&backward);
        b.annotator_id("sara").unwrap();
        a.assign(&plan(&["omar", "layla", "sara"], 2, 11), None)
            .unwrap();
        b.assign(&plan(&["sara", "layla", "omar"], 2, 11), None)
            .unwrap();
        assert_eq!(global(&a), global(&b));
        // Another seed spreads differently.
        let (mut c, _) = store_with(&forward);
        c.assign(&plan(&["omar", "layla", "sara"], 2, 12), None)
            .unwrap();
        assert_ne!(global(&a), global(&c));
    }

    #[test]
    fn topping_up_keeps_counts_even_and_leaves_full_documents_alone() {
        let (mut store, docs) = store_with(&texts(10));
        let first = store.assign(&plan(&["layla", "omar"], 1, 3), None).unwrap();
        assert_eq!(
            first
                .per_annotator
                .iter()
                .map(|a| a.added)
                .collect::<Vec<_>>(),
            [5, 5]
        );
        // Again with the same plan: nothing to do.
        let again = store.assign(&plan(&["layla", "omar"], 1, 3), None).unwrap();
        assert_eq!(again.already_assigned, 10);
        assert!(again.per_annotator.iter().all(|a| a.added == 0));
        // Seven more documents, and a third annotator.
        for (i, text) in texts(17).into_iter().enumerate().skip(10) {
            let doc = store
                .import_document(
                    &NewDocument {
                        title: format!("{i}"),
                        text,
                        source: "test".into(),
                        meta: json!({}),
                    },
                    None,
                )
                .unwrap();
            assert!(matches!(doc, crate::store::Imported::Added(_)));
        }
        let top = store
            .assign(&plan(&["layla", "omar", "sara"], 1, 3), None)
            .unwrap();
        assert_eq!(top.already_assigned, 10);
        // 17 documents over three: sara catches up with the 5 each of the
        // others had, then the last two go one each: 6, 6, 5 in some order.
        assert!(top.per_annotator[2].added >= 5);
        let mut totals: Vec<usize> = top.per_annotator.iter().map(|a| a.total).collect();
        totals.sort();
        assert_eq!(totals, [5, 6, 6]);
        // A removed assignment is filled again, still evenly.
        let layla = top.per_annotator[0].id;
        let doc = store.assigned_documents(layla).unwrap()[0];
        assert!(store.set_assignment(doc, layla, false, None).unwrap());
        let refill = store
            .assign(&plan(&["layla", "omar", "sara"], 1, 3), None)
            .unwrap();
        assert_eq!(refill.already_assigned, 16);
        assert_eq!(
            refill.per_annotator.iter().map(|a| a.added).sum::<usize>(),
            1
        );
        let mut totals: Vec<usize> = refill.per_annotator.iter().map(|a| a.total).collect();
        totals.sort();
        assert_eq!(totals, [5, 6, 6]);
        for doc in docs {
            assert_eq!(store.assignments_of_document(doc).unwrap().len(), 1);
        }
    }

    #[test]
    fn an_impossible_plan_is_refused_before_anything_is_written() {
        let (mut store, _) = store_with(&texts(3));
        let error = store
            .assign(&plan(&["layla", "omar"], 3, 0), None)
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("3 different annotators"), "{message}");
        assert!(message.contains("layla, omar"), "{message}");
        assert!(
            store.annotators().unwrap().is_empty(),
            "no annotator created"
        );
        assert!(!store.has_assignments().unwrap());
        assert!(matches!(
            store.assign(&plan(&[" ", ""], 1, 0), None),
            Err(StoreError::NoAssignees)
        ));
        assert!(matches!(
            store.assign(&plan(&["layla"], 0, 0), None),
            Err(StoreError::NoneAssignedPerDocument)
        ));
    }

    #[test]
    fn set_and_remove_write_one_audit_row_and_keep_the_removed_row() {
        let (mut store, docs) = store_with(&texts(2));
        let lead = store.annotator_id("lead").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        assert!(
            store
                .set_assignment(docs[0], omar, true, Some(lead))
                .unwrap()
        );
        assert!(
            !store
                .set_assignment(docs[0], omar, true, Some(lead))
                .unwrap()
        );
        assert!(
            store
                .set_assignment(docs[0], omar, false, Some(lead))
                .unwrap()
        );
        assert!(
            !store
                .set_assignment(docs[0], omar, false, Some(lead))
                .unwrap()
        );
        assert!(
            store
                .set_assignment(docs[0], omar, true, Some(lead))
                .unwrap()
        );
        let events: Vec<_> = store
            .audit(docs[0])
            .unwrap()
            .into_iter()
            .filter(|e| e.action.starts_with("assignment."))
            .collect();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["assignment.set", "assignment.remove", "assignment.set"]
        );
        assert_eq!(
            events[1].before,
            json!({"annotator": omar, "assigned": true})
        );
        assert_eq!(
            events[1].after,
            json!({"annotator": omar, "assigned": false})
        );
        assert!(events.iter().all(|e| e.actor == Some(lead)));
        // One row, never deleted; its time only moves forward.
        let (rows, removed, by): (i64, bool, Option<i64>) = store
            .conn
            .query_row(
                "SELECT count(*), max(removed), max(assigned_by) FROM main.assignments",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((rows, removed, by), (1, false, Some(lead)));
        assert_eq!(
            store.assignments_of_document(docs[0]).unwrap(),
            [(omar, "omar".to_owned())]
        );
        assert!(store.assignments_of_document(docs[1]).unwrap().is_empty());
        assert!(matches!(
            store.set_assignment(999, omar, true, None),
            Err(StoreError::DocumentNotFound { doc: 999 })
        ));
    }

    #[test]
    fn updated_at_moves_forward_even_within_one_millisecond() {
        let (mut store, docs) = store_with(&texts(1));
        let omar = store.annotator_id("omar").unwrap();
        let mut times = Vec::new();
        for assigned in [true, false, true, false, true, false] {
            store.set_assignment(docs[0], omar, assigned, None).unwrap();
            let at: String = store
                .conn
                .query_row("SELECT updated_at FROM main.assignments", [], |r| r.get(0))
                .unwrap();
            times.push(at);
        }
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        assert!(
            times.iter().all(|t| t.len() == 24 && t.ends_with('Z')),
            "{times:?}"
        );
    }

    #[test]
    fn bulk_writes_are_short_transactions_each_with_a_summary() {
        let n = ASSIGN_CHUNK + 500;
        let (mut store, _) = store_with(&texts(n));
        let report = store.assign(&plan(&["layla", "omar"], 1, 5), None).unwrap();
        assert_eq!(
            report.per_annotator.iter().map(|a| a.added).sum::<usize>(),
            n
        );
        let summaries: Vec<serde_json::Value> = store
            .conn
            .prepare("SELECT after FROM audit WHERE action = 'assignment.set' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|s| serde_json::from_str(&s.unwrap()).unwrap())
            .collect();
        assert!(summaries.len() >= 2, "{} transactions", summaries.len());
        let docs: usize = summaries
            .iter()
            .flat_map(|s| s["assigned"].as_array().unwrap().clone())
            .map(|a| a["docs"].as_array().unwrap().len())
            .sum();
        assert_eq!(docs, n);
        assert!(
            summaries
                .iter()
                .all(|s| s["per_document"] == 1 && s["seed"] == 5)
        );
        let layla = report.per_annotator[0].id;
        assert_eq!(
            store.unassign_all(layla, None).unwrap(),
            report.per_annotator[0].added
        );
        assert_eq!(store.assigned_count(layla).unwrap(), 0);
        let removed: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM main.assignments WHERE removed = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(removed as usize, report.per_annotator[0].added);
    }

    #[test]
    fn ready_for_review_once_every_assignee_is_done() {
        let (mut store, docs) = store_with(&texts(4));
        let layla = store.annotator_id("layla").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        for doc in &docs[..3] {
            store.set_assignment(*doc, layla, true, None).unwrap();
            store.set_assignment(*doc, omar, true, None).unwrap();
        }
        let ready = |store: &Store| {
            store
                .document_page(
                    &DocQuery {
                        ready: true,
                        ..DocQuery::default()
                    },
                    0,
                    100,
                )
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert!(ready(&store).is_empty());
        store.set_status(docs[0], layla, Status::Done).unwrap();
        assert!(ready(&store).is_empty(), "omar is not done");
        store.set_status(docs[0], omar, Status::Done).unwrap();
        // Done by someone not assigned does not count; skipped is not done.
        store.set_status(docs[3], layla, Status::Done).unwrap();
        store.set_status(docs[1], layla, Status::Done).unwrap();
        store.set_status(docs[1], omar, Status::Skipped).unwrap();
        assert_eq!(ready(&store), [docs[0]]);
        // Removing the one who has not finished makes it ready.
        store.set_assignment(docs[1], omar, false, None).unwrap();
        assert_eq!(ready(&store), [docs[0], docs[1]]);
        assert_eq!(store.next_ready_for_review(None).unwrap(), Some(docs[0]));
        assert_eq!(
            store.next_ready_for_review(Some(docs[0])).unwrap(),
            Some(docs[1])
        );
        assert_eq!(
            store.next_ready_for_review(Some(docs[1])).unwrap(),
            Some(docs[0])
        );
        store
            .set_review_status(docs[0], crate::store::ReviewStatus::Adjudicated, layla)
            .unwrap();
        assert_eq!(
            store.next_ready_for_review(Some(docs[1])).unwrap(),
            Some(docs[1])
        );
        let row = &store.document_page(&DocQuery::default(), 0, 1).unwrap()[0];
        assert_eq!(
            row.assignees,
            [
                Assignee {
                    id: layla,
                    name: "layla".into(),
                    done: true
                },
                Assignee {
                    id: omar,
                    name: "omar".into(),
                    done: true
                },
            ]
        );
        // Assigned-to filter and list.
        let omars = store
            .document_page(
                &DocQuery {
                    assigned: Some(omar),
                    ..DocQuery::default()
                },
                0,
                100,
            )
            .unwrap();
        assert_eq!(
            omars.iter().map(|r| r.id).collect::<Vec<_>>(),
            [docs[0], docs[2]]
        );
        let listed = store.assignment_list(Some(omar)).unwrap();
        assert_eq!(
            listed.iter().map(|d| d.doc).collect::<Vec<_>>(),
            [docs[0], docs[2]]
        );
        assert!(listed[0].is_ready());
        assert!(!listed[1].is_ready());
        let progress = store.assignment_progress().unwrap();
        assert_eq!(
            progress
                .iter()
                .map(|p| (p.name.as_str(), p.assigned, p.done))
                .collect::<Vec<_>>(),
            [("layla", 3, 2), ("omar", 2, 1)]
        );
    }

    #[test]
    fn a_filter_chooses_the_documents() {
        let (mut store, docs) = store_with(&texts(6));
        let layla = store.annotator_id("layla").unwrap();
        for doc in &docs[..2] {
            store.set_status(*doc, layla, Status::Done).unwrap();
        }
        let mut p = plan(&["omar"], 1, 1);
        p.filter = DocQuery {
            annotator: Some(layla),
            status: Some(Status::Done),
            ..DocQuery::default()
        };
        let report = store.assign(&p, Some(layla)).unwrap();
        assert_eq!(report.documents, 2);
        let omar = report.per_annotator[0].id;
        assert_eq!(store.assigned_documents(omar).unwrap(), docs[..2]);
        assert!(store.has_assignments().unwrap());
        assert!(store.has_assignments_for(omar).unwrap());
        assert!(!store.has_assignments_for(layla).unwrap());
    }
}
