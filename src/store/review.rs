//! Adjudication: a reviewer builds the gold layer from the spans of other
//! layers, and marks documents in review or adjudicated.
//!
//! Every decision is an ordinary, audited span change, so undo works as for
//! any other action and the decision's reviewer, time and source are on the
//! rows themselves:
//!
//! - **accept** copies a span into the layer named `gold` (kind gold): the
//!   gold span's `annotator_id` is the reviewer, `created_at` the time and
//!   `source_span_id` the span it came from (audit action `gold.accept`);
//! - **correct** does the same with other offsets or another label
//!   (`gold.correct`);
//! - **reject** is the reviewer's rejected mark on the source span
//!   (`Change::Reject`, audit `span.reject`);
//! - **accept all agreed** accepts, in one transaction, one span of every
//!   group that all compared layers agree on (same offsets and label).
//!
//! The review status of a document (`document_review`) is `unreviewed` (no
//! row), `in_review` (set by the first decision) or `adjudicated` (set by the
//! reviewer). Project-wide switches (blind annotation) live in
//! `project_settings` as JSON values.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::layers::copy_into;
use super::{
    During, LayerKind, NEW_UID, SPAN_SELECT, SpanRow, Store, StoreError, char_len_of, check_fits,
    ensure_annotator, layer_named, load_span, now, parse_json, write_audit,
};
use crate::model::{AnnotatorId, CharRange, DocId, LayerId, Span, SpanId};
use crate::review::{Category, categorize};

/// The `project_settings` key of blind annotation.
const BLIND_KEY: &str = "blind_annotation";

/// The name of the gold layer.
pub const GOLD: &str = "gold";

/// Where a document stands in adjudication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    Unreviewed,
    InReview,
    Adjudicated,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Unreviewed => "unreviewed",
            ReviewStatus::InReview => "in_review",
            ReviewStatus::Adjudicated => "adjudicated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unreviewed" => Some(ReviewStatus::Unreviewed),
            "in_review" => Some(ReviewStatus::InReview),
            "adjudicated" => Some(ReviewStatus::Adjudicated),
            _ => None,
        }
    }
}

impl Store {
    /// The gold layer, created on first use.
    pub fn gold_layer(&mut self, actor: Option<AnnotatorId>) -> Result<LayerId, StoreError> {
        self.layer_named(GOLD, LayerKind::Gold, actor)
    }

    /// Accept span `source` into gold as it is. Nothing new is written when
    /// gold already has a live span with the same offsets and label.
    pub fn accept_into_gold(
        &mut self,
        source: SpanId,
        reviewer: AnnotatorId,
    ) -> Result<super::Copied, StoreError> {
        let tx = self.begin("accept a span into gold")?;
        ensure_annotator(&tx, reviewer)?;
        let gold = layer_named(&tx, GOLD, LayerKind::Gold, Some(reviewer))?;
        let row = load_span(&tx, source)?;
        if row.deleted_at.is_some() {
            return Err(StoreError::SpanDeleted { span: source });
        }
        if let Some(existing) = same_live_span(&tx, gold, &row)? {
            return Ok(super::Copied::AlreadyThere(existing));
        }
        let span = copy_into(&tx, source, reviewer, gold, None, "gold.accept")?;
        mark_in_review(&tx, span.doc, reviewer)?;
        tx.commit().during("save a gold span")?;
        Ok(super::Copied::New(span))
    }

    /// Put a corrected version of span `source` (other offsets or label) into gold.
    pub fn correct_into_gold(
        &mut self,
        source: SpanId,
        reviewer: AnnotatorId,
        range: CharRange,
        label: &str,
    ) -> Result<Span, StoreError> {
        if label.trim().is_empty() {
            return Err(StoreError::BlankLabel);
        }
        let tx = self.begin("correct a span into gold")?;
        ensure_annotator(&tx, reviewer)?;
        let gold = layer_named(&tx, GOLD, LayerKind::Gold, Some(reviewer))?;
        let span = copy_into(
            &tx,
            source,
            reviewer,
            gold,
            Some((range, label)),
            "gold.correct",
        )?;
        mark_in_review(&tx, span.doc, reviewer)?;
        tx.commit().during("save a corrected gold span")?;
        Ok(span)
    }

    /// Accept every span the `layers` all agree on in document `doc`, one per
    /// agreed group, in one transaction. Groups gold already holds are skipped.
    /// Returns the new gold spans.
    pub fn accept_agreed(
        &mut self,
        doc: DocId,
        layers: &[LayerId],
        reviewer: AnnotatorId,
    ) -> Result<Vec<Span>, StoreError> {
        let tx = self.begin("accept all agreed spans")?;
        ensure_annotator(&tx, reviewer)?;
        let gold = layer_named(&tx, GOLD, LayerKind::Gold, Some(reviewer))?;
        let compared: Vec<LayerId> = layers.iter().copied().filter(|l| *l != gold).collect();
        let spans = live_spans(&tx, doc)?;
        let categories = categorize(&spans, &compared);
        let mut seen = std::collections::HashSet::new();
        let mut added = Vec::new();
        // The first layer's span of each agreed group is the source.
        let first = compared.first().copied();
        for span in spans.iter().filter(|s| Some(s.layer) == first) {
            if categories.get(&span.id) != Some(&Category::Agreed)
                || !seen.insert((span.range, span.label.clone()))
            {
                continue;
            }
            let row = load_span(&tx, span.id)?;
            if same_live_span(&tx, gold, &row)?.is_some() {
                continue;
            }
            added.push(copy_into(
                &tx,
                span.id,
                reviewer,
                gold,
                None,
                "gold.accept",
            )?);
        }
        if !added.is_empty() {
            mark_in_review(&tx, doc, reviewer)?;
        }
        tx.commit().during("save agreed spans into gold")?;
        Ok(added)
    }

    /// Add a span the compared layers missed straight into gold (audit `gold.add`).
    pub fn add_gold_span(
        &mut self,
        doc: DocId,
        reviewer: AnnotatorId,
        range: CharRange,
        label: &str,
    ) -> Result<Span, StoreError> {
        if label.trim().is_empty() {
            return Err(StoreError::BlankLabel);
        }
        let tx = self.begin("add a gold span")?;
        ensure_annotator(&tx, reviewer)?;
        let gold = layer_named(&tx, GOLD, LayerKind::Gold, Some(reviewer))?;
        check_fits(doc, range, char_len_of(&tx, doc)?)?;
        let at = now();
        let id: SpanId = tx
            .query_row(
                &format!(
                "INSERT INTO main.spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                                    schema_version, created_at, updated_at, uid)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, substr(text, ?4 + 1, ?5 - ?4), 'manual',
                        (SELECT max(version) FROM schemas), ?7, ?7, {NEW_UID}
                 FROM documents WHERE id = ?1
                 RETURNING id"),
                params![doc, reviewer, gold, range.start() as i64, range.end() as i64, label, at],
                |r| r.get(0),
            )
            .during("add a gold span")?;
        let row = load_span(&tx, id)?;
        write_audit(
            &tx,
            &at,
            Some(reviewer),
            "gold.add",
            Some(doc),
            Some(id),
            &serde_json::Value::Null,
            &row.json(),
        )?;
        mark_in_review(&tx, doc, reviewer)?;
        tx.commit().during("save a gold span")?;
        row.into_span()
    }

    /// The next undecided spans of `layer` across documents, lowest score
    /// first (spans without a score last), for the extraction queue. A span
    /// is decided when gold holds a live copy of it or `reviewer` rejected it.
    pub fn review_queue(
        &self,
        layer: LayerId,
        reviewer: AnnotatorId,
        limit: usize,
    ) -> Result<Vec<(Span, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SPAN_SELECT} s_
                 WHERE s_.layer_id = ?1 AND s_.deleted_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM spans g JOIN layers gl ON gl.id = g.layer_id
                                   WHERE g.source_span_id = s_.id AND gl.kind = 'gold'
                                     AND g.deleted_at IS NULL)
                   AND NOT EXISTS (SELECT 1 FROM span_marks m
                                   WHERE m.span_id = s_.id AND m.annotator_id = ?2)
                 ORDER BY s_.score IS NULL, s_.score, s_.doc_id, s_.start, s_.id
                 LIMIT ?3"
            ))
            .during("read the review queue")?;
        let rows = stmt
            .query_map(params![layer, reviewer, limit as i64], SpanRow::read)
            .during("read the review queue")?;
        let mut out = Vec::new();
        for row in rows {
            let span = row.during("read the review queue")?.into_span()?;
            let title: String = self
                .conn
                .prepare_cached("SELECT title FROM documents WHERE id = ?1")
                .and_then(|mut stmt| stmt.query_row([span.doc], |r| r.get(0)))
                .during("read a document title")?;
            out.push((span, title));
        }
        Ok(out)
    }

    /// The review status of document `doc`.
    pub fn review_status(&self, doc: DocId) -> Result<ReviewStatus, StoreError> {
        review_status(&self.conn, doc)
    }

    /// Set the review status of `doc` (audit `document.review`). Setting the
    /// status it already has writes nothing.
    pub fn set_review_status(
        &mut self,
        doc: DocId,
        status: ReviewStatus,
        reviewer: AnnotatorId,
    ) -> Result<(), StoreError> {
        let tx = self.begin("change a document's review status")?;
        ensure_annotator(&tx, reviewer)?;
        write_review_status(&tx, doc, status, reviewer)?;
        tx.commit().during("save a document's review status")
    }

    /// Whether annotators see only their own layer until they mark a document done.
    pub fn blind_annotation(&self) -> Result<bool, StoreError> {
        Ok(self.setting(BLIND_KEY)? == Some(json!(true)))
    }

    /// Turn blind annotation on or off for the project (audit `project.setting`).
    pub fn set_blind_annotation(
        &mut self,
        on: bool,
        actor: Option<AnnotatorId>,
    ) -> Result<(), StoreError> {
        self.set_setting(BLIND_KEY, json!(on), Some(json!(false)), actor)
    }

    /// A project setting's JSON value (`project_settings`); `None` when unset.
    pub(super) fn setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let value: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM project_settings WHERE key = ?1")
            .and_then(|mut stmt| stmt.query_row([key], |r| r.get(0)).optional())
            .during("read the project settings")?;
        value
            .map(|v| parse_json(&v, "project_settings.value"))
            .transpose()
    }

    /// Set a project setting, in one transaction with its `project.setting`
    /// audit row (`before`/`after` = `{key: value}`); nothing is written when
    /// it has the value already. `unset` is the value an absent setting
    /// stands for (compared, and recorded as `before`).
    pub(super) fn set_setting(
        &mut self,
        key: &str,
        value: serde_json::Value,
        unset: Option<serde_json::Value>,
        actor: Option<AnnotatorId>,
    ) -> Result<(), StoreError> {
        let tx = self.begin("change a project setting")?;
        if let Some(actor) = actor {
            ensure_annotator(&tx, actor)?;
        }
        let before: Option<String> = tx
            .query_row(
                "SELECT value FROM project_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .during("read the project settings")?;
        let before = before
            .map(|v| parse_json(&v, "project_settings.value"))
            .transpose()?
            .or(unset);
        if before.as_ref() == Some(&value) {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO project_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value.to_string()],
        )
        .during("change a project setting")?;
        write_audit(
            &tx,
            &now(),
            actor,
            "project.setting",
            None,
            None,
            &json!({ key: before }),
            &json!({ key: value }),
        )?;
        tx.commit().during("save a project setting")
    }
}

/// The live spans of a document, read inside the caller's transaction.
fn live_spans(conn: &Connection, doc: DocId) -> Result<Vec<Span>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "{SPAN_SELECT} WHERE doc_id = ?1 AND deleted_at IS NULL ORDER BY start, \"end\", id"
        ))
        .during("list spans")?;
    let rows = stmt.query_map([doc], SpanRow::read).during("list spans")?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.during("list spans")?.into_span()?);
    }
    Ok(out)
}

/// A live span of `layer` with the same document, offsets and label as `row`.
fn same_live_span(
    conn: &Connection,
    layer: LayerId,
    row: &SpanRow,
) -> Result<Option<Span>, StoreError> {
    let id: Option<SpanId> = conn
        .prepare_cached(
            "SELECT id FROM spans
             WHERE layer_id = ?1 AND doc_id = ?2 AND start = ?3 AND \"end\" = ?4
               AND label = ?5 AND deleted_at IS NULL
             ORDER BY id LIMIT 1",
        )
        .and_then(|mut stmt| {
            stmt.query_row(
                params![layer, row.doc, row.start, row.end, row.label],
                |r| r.get(0),
            )
            .optional()
        })
        .during("look for the same span")?;
    id.map(|id| load_span(conn, id)?.into_span()).transpose()
}

fn review_status(conn: &Connection, doc: DocId) -> Result<ReviewStatus, StoreError> {
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM document_review WHERE doc_id = ?1")
        .and_then(|mut stmt| stmt.query_row([doc], |r| r.get(0)).optional())
        .during("read a document's review status")?;
    match status {
        None => Ok(ReviewStatus::Unreviewed),
        Some(s) => ReviewStatus::parse(&s).ok_or_else(|| StoreError::Corrupt {
            what: format!("document {doc} has review status {s:?}"),
        }),
    }
}

/// An unreviewed document goes in review with its first decision.
fn mark_in_review(conn: &Connection, doc: DocId, reviewer: AnnotatorId) -> Result<(), StoreError> {
    if review_status(conn, doc)? == ReviewStatus::Unreviewed {
        write_review_status(conn, doc, ReviewStatus::InReview, reviewer)?;
    }
    Ok(())
}

fn write_review_status(
    conn: &Connection,
    doc: DocId,
    status: ReviewStatus,
    reviewer: AnnotatorId,
) -> Result<(), StoreError> {
    let before = review_status(conn, doc)?;
    if before == status {
        return Ok(());
    }
    let at = now();
    match status {
        ReviewStatus::Unreviewed => {
            conn.execute("DELETE FROM document_review WHERE doc_id = ?1", [doc])
                .during("change a document's review status")?;
        }
        _ => {
            conn.execute(
                "INSERT INTO document_review (doc_id, status, reviewer_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (doc_id) DO UPDATE
                 SET status = excluded.status, reviewer_id = excluded.reviewer_id,
                     updated_at = excluded.updated_at",
                params![doc, status.as_str(), reviewer, at],
            )
            .map_err(|source| match source.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => {
                    StoreError::DocumentNotFound { doc }
                }
                _ => StoreError::Sqlite {
                    action: "change a document's review status",
                    source,
                },
            })?;
        }
    }
    write_audit(
        conn,
        &at,
        Some(reviewer),
        "document.review",
        Some(doc),
        None,
        &json!({ "review": before.as_str() }),
        &json!({ "review": status.as_str() }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Change, Origin};
    use crate::store::{Copied, NewDocument};

    const TEXT: &str = "قصفت قوات الأسد مدينة إدلب يوم الخميس";

    fn project() -> (Store, DocId, [AnnotatorId; 3]) {
        let mut store = Store::open_in_memory().unwrap();
        let doc = store
            .import_document(
                &NewDocument {
                    title: "t".into(),
                    text: TEXT.into(),
                    source: "test".into(),
                    meta: json!({}),
                },
                None,
            )
            .unwrap()
            .id();
        let a = store.annotator_id("layla").unwrap();
        let b = store.annotator_id("omar").unwrap();
        let r = store.annotator_id("reviewer").unwrap();
        (store, doc, [a, b, r])
    }

    fn add(store: &mut Store, doc: DocId, who: AnnotatorId, s: usize, e: usize, l: &str) -> Span {
        store
            .add_span(doc, who, CharRange::new(s, e).unwrap(), l, Origin::Manual)
            .unwrap()
    }

    #[test]
    fn accept_correct_and_reject_record_reviewer_time_and_source() {
        let (mut store, doc, [a, b, r]) = project();
        let place = add(&mut store, doc, a, 22, 26, "PLACE");
        let actor = add(&mut store, doc, b, 5, 15, "ACTOR");
        let date = add(&mut store, doc, b, 27, 37, "PLACE");
        assert_eq!(store.review_status(doc).unwrap(), ReviewStatus::Unreviewed);

        let Copied::New(gold) = store.accept_into_gold(place.id, r).unwrap() else {
            panic!("a new gold span");
        };
        assert_eq!(gold.annotator, r);
        assert_eq!(gold.source_span, Some(place.id));
        assert_eq!(gold.text, "إدلب");
        let gold_layer = store.gold_layer(None).unwrap();
        assert_eq!(gold.layer, gold_layer);
        assert_eq!(store.review_status(doc).unwrap(), ReviewStatus::InReview);
        assert!(matches!(
            store.accept_into_gold(place.id, r).unwrap(),
            Copied::AlreadyThere(_)
        ));

        let corrected = store
            .correct_into_gold(date.id, r, CharRange::new(27, 37).unwrap(), "DATE")
            .unwrap();
        assert_eq!(
            (corrected.label.as_str(), corrected.text.as_str()),
            ("DATE", "يوم الخميس")
        );
        assert_eq!(corrected.source_span, Some(date.id));

        store.apply(&Change::Reject { span: actor.id }, r).unwrap();
        assert!(store.rejected_spans(doc, r).unwrap().contains(&actor.id));

        let actions: Vec<(String, Option<AnnotatorId>)> = store
            .audit(doc)
            .unwrap()
            .into_iter()
            .filter(|e| {
                e.action.starts_with("gold")
                    || e.action.contains("review")
                    || e.action == "span.reject"
            })
            .map(|e| (e.action, e.actor))
            .collect();
        assert_eq!(
            actions,
            [
                ("gold.accept".to_owned(), Some(r)),
                ("document.review".to_owned(), Some(r)),
                ("gold.correct".to_owned(), Some(r)),
                ("span.reject".to_owned(), Some(r)),
            ]
        );
        // Undo of an accept is deleting the gold span, like any span.
        store.apply(&Change::Delete { span: gold.id }, r).unwrap();
        assert!(store.spans(doc).unwrap().iter().all(|s| s.id != gold.id));
    }

    #[test]
    fn accept_all_agreed_takes_one_span_per_agreed_group_once() {
        let (mut store, doc, [a, b, r]) = project();
        add(&mut store, doc, a, 22, 26, "PLACE");
        add(&mut store, doc, b, 22, 26, "PLACE"); // agreed
        add(&mut store, doc, a, 5, 15, "ACTOR");
        add(&mut store, doc, b, 5, 15, "PLACE"); // conflict
        add(&mut store, doc, a, 27, 37, "DATE"); // one layer only
        let layers = [
            store.annotator_layer(a).unwrap(),
            store.annotator_layer(b).unwrap(),
        ];
        let added = store.accept_agreed(doc, &layers, r).unwrap();
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].text, "إدلب");
        assert!(store.accept_agreed(doc, &layers, r).unwrap().is_empty());
        store
            .set_review_status(doc, ReviewStatus::Adjudicated, r)
            .unwrap();
        assert_eq!(store.review_status(doc).unwrap(), ReviewStatus::Adjudicated);
    }

    #[test]
    fn the_queue_orders_by_score_and_drops_decided_spans() {
        let (mut store, doc, [a, _, r]) = project();
        let model = store.layer_named("ner", LayerKind::Imported, None).unwrap();
        let mut ids = Vec::new();
        for (s, e, score) in [(5, 15, 0.9), (22, 26, 0.2), (27, 37, 0.5)] {
            let span = add(&mut store, doc, a, s, e, "ACTOR");
            ids.push((span.id, score));
        }
        // Move the three into an imported layer with scores, as an import would.
        store
            .conn
            .execute_batch(&format!(
                "DROP TRIGGER spans_layer_is_immutable;
                 UPDATE main.spans SET layer_id = {model} WHERE id IN ({}, {}, {});
                 UPDATE main.spans SET score = 0.9 WHERE id = {};
                 UPDATE main.spans SET score = 0.2 WHERE id = {};
                 UPDATE main.spans SET score = 0.5 WHERE id = {};",
                ids[0].0, ids[1].0, ids[2].0, ids[0].0, ids[1].0, ids[2].0
            ))
            .unwrap();
        let order = |store: &Store| -> Vec<f64> {
            store
                .review_queue(model, r, 10)
                .unwrap()
                .into_iter()
                .filter_map(|(s, _)| s.score)
                .collect()
        };
        assert_eq!(order(&store), [0.2, 0.5, 0.9]);
        store.accept_into_gold(ids[1].0, r).unwrap();
        store.apply(&Change::Reject { span: ids[2].0 }, r).unwrap();
        assert_eq!(order(&store), [0.9]);
    }

    #[test]
    fn blind_annotation_is_a_project_setting() {
        let (mut store, _, [a, _, _]) = project();
        assert!(!store.blind_annotation().unwrap());
        store.set_blind_annotation(true, Some(a)).unwrap();
        assert!(store.blind_annotation().unwrap());
        store.set_blind_annotation(true, Some(a)).unwrap();
        store.set_blind_annotation(false, Some(a)).unwrap();
        assert!(!store.blind_annotation().unwrap());
    }
}
