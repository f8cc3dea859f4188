//! The document browser's queries: pages of the document list filtered by
//! status, label and layer, sorted by import order, title or last change, with
//! each annotator's status per document and per-label span counts.
//!
//! Everything here is computed in SQL for one page at a time: a page reads
//! the first characters of each text (`substr`), never a whole text, and
//! counts spans only for the documents of the page, so the cost of a page
//! does not grow with the project. It must not cache rows (the UI keeps its
//! own page cache, keyed by a generation it bumps on every change).
//!
//! # Status
//!
//! A document's status is per annotator:
//!
//! | status | when |
//! |---|---|
//! | `done`, `skipped` | the annotator's `document_status` row says so |
//! | `in_progress` | the row says so, or there is no row and the annotator's own layer has a live span in the document |
//! | `new` | no row and no live span of the annotator's |
//!
//! Only `in_progress`, `done` and `skipped` are stored; setting `new` removes
//! the row. A status change is one transaction with an audit row
//! `document.status` whose `before`/`after` are
//! `{"annotator":1,"status":"in_progress"}` and `{"annotator":1,"status":"done"}`.
//!
//! Status changes are deliberately **not** on the undo stack: undo covers the
//! span edits made in a document, while a status is about the document list
//! and is usually set by Ctrl+Enter, which also opens another document (whose
//! undo history would then be the one Ctrl+Z acts on). A status is reversed by
//! setting it again (Document ▸ Reopen), and every change is in the audit log.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::ReviewStatus;
use super::{
    During, Store, StoreError, annotator_layer, ensure_annotator, now, to_usize, write_audit,
};
use crate::model::{AnnotatorId, DocId, LayerId};

/// How far the first line of a document is read for the list, in characters.
const FIRST_LINE_CHARS: i64 = 120;

/// Where an annotator is with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not touched: no status row and no live span of the annotator's.
    New,
    /// Begun: spans of the annotator's, or reopened.
    InProgress,
    Done,
    Skipped,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::InProgress,
        Status::Done,
        Status::Skipped,
    ];

    /// The stored name: `new`, `in_progress`, `done`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::Done => "done",
            Status::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// The words shown to people: `new`, `in progress`, `done`, `skipped`.
    pub fn label(self) -> &'static str {
        match self {
            Status::InProgress => "in progress",
            other => other.as_str(),
        }
    }

    /// New or in progress: what N and Ctrl+Enter go to next.
    pub fn is_unfinished(self) -> bool {
        matches!(self, Status::New | Status::InProgress)
    }
}

/// The order of the document list. Ties are broken by import order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sort {
    /// Import order (document id).
    #[default]
    Import,
    /// Title, by code point.
    Title,
    /// Time of the last audited change to the document (import, span edit, status).
    Changed,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Import, Sort::Title, Sort::Changed];

    pub fn label(self) -> &'static str {
        match self {
            Sort::Import => "import order",
            Sort::Title => "title",
            Sort::Changed => "last change",
        }
    }

    /// The sort key column, `None` for import order (the id alone).
    fn column(self) -> Option<&'static str> {
        match self {
            Sort::Import => None,
            Sort::Title => Some("d.title"),
            Sort::Changed => Some("d.changed_at"),
        }
    }
}

/// Which documents the list shows, and in what order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DocQuery {
    /// Whose status is shown and filtered on; `None`: every document is `new`.
    pub annotator: Option<AnnotatorId>,
    /// Only documents with this status for `annotator`.
    pub status: Option<Status>,
    /// Only documents with a live span of this label (in `layer`, if set).
    pub label: Option<String>,
    /// Only documents with a live span in this layer (with `label`, if set).
    /// It also restricts the per-label counts of each row to this layer.
    pub layer: Option<LayerId>,
    /// Only documents with this review status.
    pub review: Option<ReviewStatus>,
    /// Only documents assigned to this annotator (a live assignment, see `assign`).
    pub assigned: Option<AnnotatorId>,
    /// Only documents ready for review: assigned, and marked done by every
    /// live assignee (see `assign`).
    pub ready: bool,
    pub sort: Sort,
    pub descending: bool,
}

/// One row of the document list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRow {
    pub id: DocId,
    pub title: String,
    /// The first line of the text, at most 120 characters (then `…`).
    pub first_line: String,
    /// For the query's annotator.
    pub status: Status,
    /// Where the document stands in adjudication.
    pub review: ReviewStatus,
    /// Live spans per label, in the query's layer or else in all layers,
    /// by label name; labels without spans are left out.
    pub counts: Vec<(String, usize)>,
    /// The document's live assignees, by name, and whether each marked it done.
    pub assignees: Vec<super::Assignee>,
}

impl DocRow {
    /// The title, or the first line when the title is blank.
    pub fn display_title(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.first_line
        } else {
            &self.title
        }
    }
}

/// A query turned into SQL: the WHERE clause over `documents d`, the status
/// expression, and the named parameters both use.
struct Filter {
    status_expr: &'static str,
    conditions: Vec<String>,
    params: Vec<(&'static str, Value)>,
}

const STATUS_EXPR: &str = "coalesce(
    (SELECT ds.status FROM document_status ds
     WHERE ds.doc_id = d.id AND ds.annotator_id = :annotator),
    CASE WHEN EXISTS (SELECT 1 FROM spans s
                      WHERE s.layer_id = :own_layer AND s.doc_id = d.id AND s.deleted_at IS NULL)
         THEN 'in_progress' ELSE 'new' END)";

impl Filter {
    /// `statuses`: keep documents whose status is one of these (None: any).
    fn new(
        conn: &Connection,
        query: &DocQuery,
        statuses: Option<&[Status]>,
    ) -> Result<Filter, StoreError> {
        let mut filter = Filter {
            status_expr: "'new'",
            conditions: Vec::new(),
            params: Vec::new(),
        };
        if let Some(annotator) = query.annotator {
            let own_layer = annotator_layer(conn, annotator)?;
            filter.status_expr = STATUS_EXPR;
            filter
                .params
                .push((":annotator", Value::Integer(annotator)));
            filter
                .params
                .push((":own_layer", Value::Integer(own_layer)));
        }
        if let Some(statuses) = statuses {
            filter
                .conditions
                .push(status_condition(statuses, query.annotator.is_some()));
        }
        match query.review {
            None => {}
            Some(ReviewStatus::Unreviewed) => filter
                .conditions
                .push("d.id NOT IN (SELECT doc_id FROM document_review)".into()),
            Some(review) => {
                filter.conditions.push(
                    "d.id IN (SELECT doc_id FROM document_review WHERE status = :review)".into(),
                );
                filter
                    .params
                    .push((":review", Value::Text(review.as_str().to_owned())));
            }
        }
        if let Some(assignee) = query.assigned {
            filter
                .conditions
                .push(super::assign::ASSIGNED_CONDITION.into());
            filter.params.push((":assignee", Value::Integer(assignee)));
        }
        if query.ready {
            filter
                .conditions
                .push(super::assign::READY_CONDITION.into());
        }
        match (&query.label, query.layer) {
            (Some(label), Some(layer)) => {
                filter.conditions.push(
                    "EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = d.id AND s.label = :label
                             AND s.layer_id = :layer AND s.deleted_at IS NULL)"
                        .into(),
                );
                filter.params.push((":label", Value::Text(label.clone())));
                filter.params.push((":layer", Value::Integer(layer)));
            }
            (Some(label), None) => {
                filter.conditions.push(
                    "EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = d.id AND s.label = :label
                             AND s.deleted_at IS NULL)"
                        .into(),
                );
                filter.params.push((":label", Value::Text(label.clone())));
            }
            (None, Some(layer)) => {
                filter.conditions.push(
                    "EXISTS (SELECT 1 FROM spans s WHERE s.layer_id = :layer AND s.doc_id = d.id
                             AND s.deleted_at IS NULL)"
                        .into(),
                );
                filter.params.push((":layer", Value::Integer(layer)));
            }
            (None, None) => {}
        }
        Ok(filter)
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// The parameters `sql` uses (SQLite refuses to bind any other).
    fn named(&self, sql: &str) -> Vec<(&str, &dyn rusqlite::ToSql)> {
        self.params
            .iter()
            .filter(|(name, _)| sql.contains(name))
            .map(|(name, value)| (*name, value as &dyn rusqlite::ToSql))
            .collect()
    }
}

/// A WHERE condition keeping documents whose status is one of `statuses`.
///
/// Written as set membership (`d.id IN (SELECT …)`), not with the per-row
/// status expression: SQLite builds each set once per query from an index
/// (`document_status_by_annotator`, `spans_live_by_layer_doc`) and then tests
/// each document in memory, which keeps a filtered count or a deep page of
/// 100,000 documents within tens of milliseconds.
fn status_condition(statuses: &[Status], has_annotator: bool) -> String {
    if !has_annotator {
        // Without an annotator every document is new.
        return if statuses.contains(&Status::New) {
            "1".into()
        } else {
            "0".into()
        };
    }
    let row = |status: &str| {
        format!(
            "d.id IN (SELECT ds.doc_id FROM document_status ds
                      WHERE ds.annotator_id = :annotator AND ds.status {status})"
        )
    };
    let any_row = "d.id IN (SELECT ds.doc_id FROM document_status ds
                            WHERE ds.annotator_id = :annotator)";
    let own_spans = "d.id IN (SELECT s.doc_id FROM spans s
                              WHERE s.layer_id = :own_layer AND s.deleted_at IS NULL)";
    let mut sorted = statuses.to_vec();
    sorted.sort_by_key(|s| s.as_str());
    sorted.dedup();
    if sorted == [Status::InProgress, Status::New] {
        return format!("NOT ({})", row("IN ('done', 'skipped')"));
    }
    let parts: Vec<String> = sorted
        .iter()
        .map(|status| match status {
            Status::New => format!("(NOT {any_row} AND NOT {own_spans})"),
            Status::InProgress => format!(
                "({} OR (NOT {any_row} AND {own_spans}))",
                row("= 'in_progress'")
            ),
            Status::Done => row("= 'done'"),
            Status::Skipped => row("= 'skipped'"),
        })
        .collect();
    if parts.is_empty() {
        "0".into()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

/// `ORDER BY …` for a sort, and the row-value comparison that selects the
/// rows after a given key in that order.
fn order_by(sort: Sort, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    match sort.column() {
        None => format!("ORDER BY d.id {dir}"),
        Some(column) => format!("ORDER BY {column} {dir}, d.id {dir}"),
    }
}

/// The ids of one page: `SELECT d.id … LIMIT :limit OFFSET :offset`.
fn page_ids_sql(filter: &Filter, query: &DocQuery) -> String {
    format!(
        "SELECT d.id FROM documents d {} {} LIMIT :limit OFFSET :offset",
        filter.where_clause(),
        order_by(query.sort, query.descending)
    )
}

/// The stored status text of a document for an annotator, if any.
fn status_row(
    conn: &Connection,
    doc: DocId,
    annotator: AnnotatorId,
) -> Result<Option<Status>, StoreError> {
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT status FROM document_status WHERE doc_id = ?1 AND annotator_id = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![doc, annotator], |r| r.get(0))
                .optional()
        })
        .during("read a document's status")?;
    stored.map(|s| parse_status(&s)).transpose()
}

fn parse_status(s: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| StoreError::Corrupt {
        what: format!("document status {s:?}"),
    })
}

/// The status of `doc` for `annotator` (see the module documentation).
fn status_of(conn: &Connection, doc: DocId, annotator: AnnotatorId) -> Result<Status, StoreError> {
    if let Some(status) = status_row(conn, doc, annotator)? {
        return Ok(status);
    }
    let layer = annotator_layer(conn, annotator)?;
    let has_spans: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM spans s
                            WHERE s.layer_id = ?1 AND s.doc_id = ?2 AND s.deleted_at IS NULL)",
        )
        .and_then(|mut stmt| stmt.query_row(params![layer, doc], |r| r.get(0)))
        .during("read a document's status")?;
    Ok(if has_spans {
        Status::InProgress
    } else {
        Status::New
    })
}

/// The first line of `head` (the first [`FIRST_LINE_CHARS`] + 1 characters
/// of a text), cut to [`FIRST_LINE_CHARS`] with `…`.
fn first_line(head: &str) -> String {
    let line = head.lines().next().unwrap_or_default().trim();
    let max = FIRST_LINE_CHARS as usize;
    if line.chars().count() > max {
        let mut out: String = line.chars().take(max).collect();
        out.push('…');
        out
    } else {
        line.to_owned()
    }
}

impl Store {
    /// How many documents `query` shows.
    pub fn document_count(&self, query: &DocQuery) -> Result<usize, StoreError> {
        let filter = Filter::new(
            &self.conn,
            query,
            query.status.as_ref().map(std::slice::from_ref),
        )?;
        let sql = format!("SELECT count(*) FROM documents d {}", filter.where_clause());
        let count: i64 = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.query_row(filter.named(&sql).as_slice(), |r| r.get(0)))
            .during("count documents")?;
        to_usize(count, "document count")
    }

    /// Rows `offset..offset + limit` of the list `query` shows.
    pub fn document_page(
        &self,
        query: &DocQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<DocRow>, StoreError> {
        let mut filter = Filter::new(
            &self.conn,
            query,
            query.status.as_ref().map(std::slice::from_ref),
        )?;
        // The page's ids come from narrow indexes alone, so a deep offset
        // skips index entries, not whole documents; only the page's own
        // rows are read from the table.
        let sql = format!(
            "SELECT d.id, d.title, substr(d.text, 1, {FIRST_LINE_CHARS} + 1), {status}
             FROM documents d WHERE d.id IN ({ids}) {order}",
            status = filter.status_expr,
            ids = page_ids_sql(&filter, query),
            order = order_by(query.sort, query.descending),
        );
        filter
            .params
            .push((":limit", Value::Integer(super::to_i64(limit))));
        filter
            .params
            .push((":offset", Value::Integer(super::to_i64(offset))));
        let mut stmt = self.conn.prepare_cached(&sql).during("list documents")?;
        let rows = stmt
            .query_map(filter.named(&sql).as_slice(), |row| {
                Ok((
                    row.get::<_, DocId>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .during("list documents")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, title, head, status) = row.during("list documents")?;
            out.push(DocRow {
                id,
                title,
                first_line: first_line(&head),
                status: parse_status(&status)?,
                review: ReviewStatus::Unreviewed,
                counts: Vec::new(),
                assignees: Vec::new(),
            });
        }
        self.fill_counts(&mut out, query.layer)?;
        self.fill_review(&mut out)?;
        self.fill_assignees(&mut out)?;
        Ok(out)
    }

    /// The review status of `rows` (one query for the page).
    fn fill_review(&self, rows: &mut [DocRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids =
            serde_json::Value::from(rows.iter().map(|r| r.id).collect::<Vec<_>>()).to_string();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT doc_id, status FROM document_review
                 WHERE doc_id IN (SELECT value FROM json_each(?1))",
            )
            .during("read review statuses")?;
        let found = stmt
            .query_map([ids], |r| {
                Ok((r.get::<_, DocId>(0)?, r.get::<_, String>(1)?))
            })
            .during("read review statuses")?;
        for row in found {
            let (doc, status) = row.during("read review statuses")?;
            let status = ReviewStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                what: format!("document {doc} has review status {status:?}"),
            })?;
            if let Some(r) = rows.iter_mut().find(|r| r.id == doc) {
                r.review = status;
            }
        }
        Ok(())
    }

    /// Per-label live span counts of `rows`, in `layer` or in all layers.
    fn fill_counts(&self, rows: &mut [DocRow], layer: Option<LayerId>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids =
            serde_json::Value::from(rows.iter().map(|r| r.id).collect::<Vec<_>>()).to_string();
        let layer_condition = if layer.is_some() {
            "AND s.layer_id = :layer"
        } else {
            ""
        };
        let sql = format!(
            "SELECT s.doc_id, s.label, count(*) FROM spans s
             WHERE s.doc_id IN (SELECT value FROM json_each(:ids)) AND s.deleted_at IS NULL
                   {layer_condition}
             GROUP BY s.doc_id, s.label ORDER BY s.doc_id, s.label"
        );
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":ids", &ids)];
        if let Some(layer) = &layer {
            named.push((":layer", layer));
        }
        let mut stmt = self.conn.prepare_cached(&sql).during("count spans")?;
        let counted = stmt
            .query_map(named.as_slice(), |row| {
                Ok((
                    row.get::<_, DocId>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .during("count spans")?;
        for count in counted {
            let (doc, label, n) = count.during("count spans")?;
            let n = to_usize(n, "span count")?;
            for row in rows.iter_mut().filter(|r| r.id == doc) {
                row.counts.push((label.clone(), n));
            }
        }
        Ok(())
    }

    /// The status of `doc` for `annotator` (see the module documentation).
    pub fn status(&self, doc: DocId, annotator: AnnotatorId) -> Result<Status, StoreError> {
        ensure_annotator(&self.conn, annotator)?;
        document_exists(&self.conn, doc)?;
        status_of(&self.conn, doc, annotator)
    }

    /// Set `annotator`'s status of `doc`, with a `document.status` audit row.
    /// `New` removes the stored status (the document then shows `new`, or
    /// `in progress` if it has spans of the annotator's). Setting the status
    /// already stored writes nothing. Not undoable by Ctrl+Z: see the module
    /// documentation.
    pub fn set_status(
        &mut self,
        doc: DocId,
        annotator: AnnotatorId,
        status: Status,
    ) -> Result<(), StoreError> {
        let tx = self.begin("set a document's status")?;
        ensure_annotator(&tx, annotator)?;
        document_exists(&tx, doc)?;
        let stored = status_row(&tx, doc, annotator)?;
        let before = status_of(&tx, doc, annotator)?;
        let at = now();
        match (status, stored) {
            (Status::New, None) => return Ok(()),
            (status, Some(stored)) if status == stored => return Ok(()),
            (Status::New, Some(_)) => {
                tx.prepare_cached(
                    "DELETE FROM document_status WHERE doc_id = ?1 AND annotator_id = ?2",
                )
                .and_then(|mut stmt| stmt.execute(params![doc, annotator]))
                .during("set a document's status")?;
            }
            (status, _) => {
                tx.prepare_cached(
                    "INSERT INTO document_status (doc_id, annotator_id, status, updated_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (doc_id, annotator_id)
                     DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                )
                .and_then(|mut stmt| stmt.execute(params![doc, annotator, status.as_str(), at]))
                .during("set a document's status")?;
            }
        }
        let after = status_of(&tx, doc, annotator)?;
        write_audit(
            &tx,
            &at,
            Some(annotator),
            "document.status",
            Some(doc),
            None,
            &json!({ "annotator": annotator, "status": before.as_str() }),
            // `row`: the stored status (`null`: no row), which a merge
            // replays; `status` is the one shown.
            &json!({
                "annotator": annotator,
                "status": after.as_str(),
                "row": (status != Status::New).then(|| status.as_str()),
            }),
        )?;
        tx.commit().during("save a document's status")
    }

    /// The next document after `after`, in the order and within the label and
    /// layer filters of `query`, that is new or in progress for its
    /// annotator (the query's status filter is not used). Wraps around to the
    /// top of the list, so it can return `after` itself when that is the only
    /// unfinished document; `None` when every document in the list is done or
    /// skipped. `after = None` starts at the top.
    pub fn next_unfinished(
        &self,
        query: &DocQuery,
        after: Option<DocId>,
    ) -> Result<Option<DocId>, StoreError> {
        let unfinished = [Status::New, Status::InProgress];
        if let Some(after) = after {
            let mut filter = Filter::new(&self.conn, query, Some(&unfinished))?;
            let cmp = if query.descending { "<" } else { ">" };
            match query.sort.column() {
                None => filter.conditions.push(format!("d.id {cmp} :after")),
                Some(column) => {
                    // The key of `after`; a missing document starts at the top.
                    let key: Option<Option<String>> = self
                        .conn
                        .prepare_cached(&format!(
                            "SELECT {column} FROM documents d WHERE d.id = ?1"
                        ))
                        .and_then(|mut stmt| stmt.query_row([after], |r| r.get(0)).optional())
                        .during("find the next unfinished document")?;
                    let Some(key) = key else {
                        return self.next_unfinished(query, None);
                    };
                    filter
                        .conditions
                        .push(format!("({column}, d.id) {cmp} (:key, :after)"));
                    filter
                        .params
                        .push((":key", Value::Text(key.unwrap_or_default())));
                }
            }
            filter.params.push((":after", Value::Integer(after)));
            if let Some(found) = self.first(&filter, query)? {
                return Ok(Some(found));
            }
        }
        let filter = Filter::new(&self.conn, query, Some(&unfinished))?;
        self.first(&filter, query)
    }

    /// The first document `filter` keeps, in the order of `query`.
    fn first(&self, filter: &Filter, query: &DocQuery) -> Result<Option<DocId>, StoreError> {
        let sql = format!(
            "SELECT d.id FROM documents d {} {} LIMIT 1",
            filter.where_clause(),
            order_by(query.sort, query.descending)
        );
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_row(filter.named(&sql).as_slice(), |r| r.get(0))
                    .optional()
            })
            .during("find the next unfinished document")
    }
}

/// The id and SHA-256 of every document the filters of `query` keep (its
/// status filter included; its order and page are not used).
pub(super) fn matching_documents(
    conn: &Connection,
    query: &DocQuery,
) -> Result<Vec<(DocId, String)>, StoreError> {
    let filter = Filter::new(conn, query, query.status.as_ref().map(std::slice::from_ref))?;
    let sql = format!(
        "SELECT d.id, d.sha256 FROM documents d {}",
        filter.where_clause()
    );
    let mut stmt = conn.prepare(&sql).during("find the documents to assign")?;
    let rows = stmt
        .query_map(filter.named(&sql).as_slice(), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .during("find the documents to assign")?;
    rows.collect::<Result<_, _>>()
        .during("find the documents to assign")
}

pub(super) fn document_exists(conn: &Connection, doc: DocId) -> Result<(), StoreError> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)")
        .and_then(|mut stmt| stmt.query_row([doc], |r| r.get(0)))
        .during("look up a document")?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::DocumentNotFound { doc })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of a page for every sort and filter, checked against the plan
    /// SQLite chooses: no full scan of `spans`, read in the order of a
    /// covering index (no temporary B-tree for ORDER BY).
    #[test]
    fn browser_queries_use_indexes() {
        let mut store = Store::open_in_memory().unwrap();
        let annotator = store.annotator_id("layla").unwrap();
        let layer = store.annotator_layer(annotator).unwrap();
        for sort in Sort::ALL {
            for (status, label, layer, assigned, ready) in [
                (None, None, None, None, false),
                (Some(Status::Done), None, None, None, false),
                (Some(Status::New), Some("PLACE"), None, None, false),
                (None, None, Some(layer), None, false),
                (None, Some("DATE"), Some(layer), None, false),
                (None, None, None, Some(annotator), false),
                (None, None, None, None, true),
                (Some(Status::New), None, None, Some(annotator), true),
            ] {
                let query = DocQuery {
                    annotator: Some(annotator),
                    status,
                    label: label.map(str::to_owned),
                    layer,
                    review: None,
                    assigned,
                    ready,
                    sort,
                    descending: sort == Sort::Changed,
                };
                let mut filter = Filter::new(
                    &store.conn,
                    &query,
                    status.as_ref().map(std::slice::from_ref),
                )
                .unwrap();
                let sql = format!("EXPLAIN QUERY PLAN {}", page_ids_sql(&filter, &query));
                filter.params.push((":limit", Value::Integer(100)));
                filter.params.push((":offset", Value::Integer(0)));
                let mut stmt = store.conn.prepare(&sql).unwrap();
                let plan: Vec<String> = stmt
                    .query_map(filter.named(&sql).as_slice(), |r| r.get::<_, String>(3))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let text = plan.join("\n");
                assert!(!text.contains("SCAN s"), "{query:?}\n{text}");
                // Assignments and statuses are read from indexes only.
                for line in &plan {
                    if line.contains("SCAN x") || line.contains("SCAN ds") {
                        assert!(line.contains("INDEX"), "{query:?}\n{text}");
                    }
                }
                // Either the page walks a narrow index in order (skipping
                // index entries, never table rows), or it starts from the
                // few documents that have a status row, or that are
                // assigned to the annotator, and sorts those.
                let from_status_rows = text.contains("USING INTEGER PRIMARY KEY")
                    && (text.contains("document_status_by_annotator")
                        || text.contains("USING COVERING INDEX assignments_by_annotator"));
                assert!(
                    from_status_rows || text.contains("COVERING INDEX"),
                    "{query:?}\n{text}"
                );
                assert!(
                    from_status_rows || !text.contains("TEMP B-TREE"),
                    "{query:?}\n{text}"
                );
            }
        }
    }
}
