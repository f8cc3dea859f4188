//! Working across layers: copying another layer's span into an annotator's
//! own layer, and rejected marks (an annotator hides a span of another layer
//! from their view without touching that layer).
//!
//! A copy is a new span row in the annotator's layer whose `source_span_id`
//! names the original; the original is never changed. A rejected mark is a
//! row of `span_marks` for (span, annotator); taking it back removes the row.
//! Both are audited like every other change (`span.copy`, `span.reject`,
//! `span.unreject`).

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    During, NEW_UID, Store, StoreError, annotator_layer, ensure_annotator, load_span, now, to_i64,
    write_audit,
};
use crate::model::{AnnotatorId, CharRange, DocId, LayerId, Span, SpanId};

/// What [`Store::copy_span`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Copied {
    /// A new span in the annotator's layer.
    New(Span),
    /// The annotator's layer already had a live span with the same offsets and label.
    AlreadyThere(Span),
}

impl Copied {
    pub fn span(&self) -> &Span {
        match self {
            Copied::New(span) | Copied::AlreadyThere(span) => span,
        }
    }
}

impl Store {
    /// Copy span `source` (of any layer) into `annotator`'s own layer, with its
    /// label, attributes and note. Nothing is written when the annotator's
    /// layer already holds a live span with the same offsets and label.
    pub fn copy_span(
        &mut self,
        source: SpanId,
        annotator: AnnotatorId,
    ) -> Result<Copied, StoreError> {
        let tx = self.begin("copy a span into your layer")?;
        ensure_annotator(&tx, annotator)?;
        let layer = annotator_layer(&tx, annotator)?;
        let row = load_span(&tx, source)?;
        if row.deleted_at.is_some() {
            return Err(StoreError::SpanDeleted { span: source });
        }
        let existing: Option<SpanId> = tx
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
            .during("look for the same span in your layer")?;
        if let Some(id) = existing {
            return Ok(Copied::AlreadyThere(load_span(&tx, id)?.into_span()?));
        }
        let copy = copy_into(&tx, source, annotator, layer, None, "span.copy")?;
        tx.commit().during("save a copied span")?;
        Ok(Copied::New(copy))
    }

    /// The spans of document `doc` that `annotator` has rejected.
    pub fn rejected_spans(
        &self,
        doc: DocId,
        annotator: AnnotatorId,
    ) -> Result<HashSet<SpanId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.span_id FROM span_marks m JOIN spans s ON s.id = m.span_id
                 WHERE s.doc_id = ?1 AND m.annotator_id = ?2 AND m.mark = 'rejected'",
            )
            .during("read rejected spans")?;
        let rows = stmt
            .query_map(params![doc, annotator], |r| r.get(0))
            .during("read rejected spans")?;
        rows.collect::<Result<_, _>>().during("read rejected spans")
    }
}

/// Write a copy of span `source` into `layer`, made by `annotator`, with an
/// audit row `action`, inside the caller's transaction. `change` replaces the
/// copy's range (the covered text is taken from the document again) and label.
pub(super) fn copy_into(
    conn: &Connection,
    source: SpanId,
    annotator: AnnotatorId,
    layer: LayerId,
    change: Option<(CharRange, &str)>,
    action: &str,
) -> Result<Span, StoreError> {
    let row = load_span(conn, source)?;
    let (start, end, label) = match change {
        Some((range, label)) => (to_i64(range.start()), to_i64(range.end()), label.to_owned()),
        None => (row.start, row.end, row.label.clone()),
    };
    let char_len: i64 = conn
        .prepare_cached("SELECT char_len FROM documents WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([row.doc], |r| r.get(0)))
        .during("read a document's length")?;
    if end > char_len {
        return Err(StoreError::SpanOutOfRange {
            doc: row.doc,
            start: start as usize,
            end: end as usize,
            char_len: char_len as usize,
        });
    }
    let at = now();
    let id: SpanId = conn
        .prepare_cached(
            &format!(
                "INSERT INTO main.spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                                attrs, note, schema_version, source_span_id, created_at, updated_at, uid)
             SELECT s.doc_id, ?1, ?2, ?3, ?4, ?5, substr(d.text, ?3 + 1, ?4 - ?3), 'manual',
                    s.attrs, s.note, (SELECT max(version) FROM schemas), s.id, ?6, ?6, {NEW_UID}
             FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.id = ?7
             RETURNING id"),
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![annotator, layer, start, end, label, at, source], |r| {
                r.get(0)
            })
        })
        .during("copy a span")?;
    let copy = load_span(conn, id)?;
    write_audit(
        conn,
        &at,
        Some(annotator),
        action,
        Some(copy.doc),
        Some(id),
        &row.json(),
        &copy.json(),
    )?;
    copy.into_span()
}

/// Set or clear `annotator`'s rejected mark on `span`, inside the caller's
/// transaction. Refuses a span of the annotator's own layer (delete it
/// instead) and a mark that is already in the asked state.
pub(super) fn set_rejected(
    conn: &Connection,
    span: SpanId,
    annotator: AnnotatorId,
    reject: bool,
    at: &str,
) -> Result<(), StoreError> {
    let own = annotator_layer(conn, annotator)?;
    let row = load_span(conn, span)?;
    if row.layer == own {
        return Err(StoreError::RejectOwnSpan { span });
    }
    if reject {
        let inserted = conn
            .prepare_cached(
                "INSERT INTO span_marks (span_id, annotator_id, mark, at)
                 VALUES (?1, ?2, 'rejected', ?3) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut stmt| stmt.execute(params![span, annotator, at]))
            .during("reject a span")?;
        if inserted == 0 {
            return Err(StoreError::AlreadyRejected { span });
        }
    } else {
        let removed = conn
            .prepare_cached("DELETE FROM span_marks WHERE span_id = ?1 AND annotator_id = ?2")
            .and_then(|mut stmt| stmt.execute(params![span, annotator]))
            .during("take back a rejection")?;
        if removed == 0 {
            return Err(StoreError::NotRejected { span });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::model::{Change, CharRange, Origin};
    use crate::store::{LayerKind, NewDocument, Store, StoreError};

    fn project() -> (Store, i64, i64, i64) {
        let mut store = Store::open_in_memory().unwrap();
        let doc = store
            .import_document(
                &NewDocument {
                    title: "إدلب".into(),
                    text: "قصفت قوات الأسد مدينة إدلب يوم الخميس".into(),
                    source: "test".into(),
                    meta: serde_json::json!({}),
                },
                None,
            )
            .unwrap()
            .id();
        let layla = store.annotator_id("layla").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        (store, doc, layla, omar)
    }

    #[test]
    fn copying_another_layers_span_makes_my_own_once() {
        let (mut store, doc, layla, omar) = project();
        let theirs = store
            .add_span(
                doc,
                omar,
                CharRange::new(22, 26).unwrap(),
                "PLACE",
                Origin::Manual,
            )
            .unwrap();
        let copied = store.copy_span(theirs.id, layla).unwrap();
        let super::Copied::New(mine) = copied else {
            panic!("expected a new span, got {copied:?}");
        };
        assert_eq!(mine.text, "إدلب");
        assert_eq!(mine.layer, store.annotator_layer(layla).unwrap());
        assert_eq!(mine.source_span, Some(theirs.id));
        assert_eq!(mine.annotator, layla);
        // The original is untouched, and a second copy writes nothing.
        assert_eq!(store.span(theirs.id).unwrap(), theirs);
        let again = store.copy_span(theirs.id, layla).unwrap();
        assert_eq!(again, super::Copied::AlreadyThere(mine.clone()));
        let audit = store.audit(doc).unwrap();
        assert_eq!(audit.iter().filter(|e| e.action == "span.copy").count(), 1);
        assert_eq!(store.spans(doc).unwrap().len(), 2);
    }

    #[test]
    fn rejecting_hides_for_me_only_and_undoes() {
        let (mut store, doc, layla, omar) = project();
        let model = store
            .layer_named("ner-model", LayerKind::Imported, None)
            .unwrap();
        assert_ne!(model, store.annotator_layer(omar).unwrap());
        let theirs = store
            .add_span(
                doc,
                omar,
                CharRange::new(5, 15).unwrap(),
                "ACTOR",
                Origin::Manual,
            )
            .unwrap();
        store
            .apply(&Change::Reject { span: theirs.id }, layla)
            .unwrap();
        assert!(
            store
                .rejected_spans(doc, layla)
                .unwrap()
                .contains(&theirs.id)
        );
        assert!(store.rejected_spans(doc, omar).unwrap().is_empty());
        let err = store
            .apply(&Change::Reject { span: theirs.id }, layla)
            .unwrap_err();
        assert!(matches!(err, StoreError::AlreadyRejected { .. }), "{err}");
        // Omar cannot reject his own span: he deletes it instead.
        let err = store
            .apply(&Change::Reject { span: theirs.id }, omar)
            .unwrap_err();
        assert!(matches!(err, StoreError::RejectOwnSpan { .. }), "{err}");
        store
            .apply(&Change::Reject { span: theirs.id }.invert(), layla)
            .unwrap();
        assert!(store.rejected_spans(doc, layla).unwrap().is_empty());
        let actions: Vec<String> = store
            .audit(doc)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a.contains("reject"))
            .collect();
        assert_eq!(actions, ["span.reject", "span.unreject"]);
    }
}
