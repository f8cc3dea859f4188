//! Span attribute values, span and document notes, and a document's history
//! as the audit view shows it.
//!
//! Attribute and note edits arrive as [`Change`] values through
//! [`Store::apply`] (audit rows `span.attrs`, `span.note`, `document.note`),
//! so undo and redo go through the same checks as the first edit: the stored
//! value must still be the change's `from`, or nothing is written. Every
//! attribute value an edit adds or changes is checked against the span's
//! label in the project's current schema ([`crate::schema::AttributeDef::check`]);
//! values it leaves as they were are kept even when the label does not define
//! them (a relabel keeps them, see [`Change`]). This module does not decide
//! what is shown or how values are typed: that is the UI's and
//! [`crate::schema`]'s part.

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::{AuditEvent, During, SpanRow, Store, StoreError, now, parse_json, write_audit};
use crate::model::{AnnotatorId, Attrs, DocId};

/// One line of a document's history: an audit event with the name of who did
/// it and when, in the computer's local time.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub event: AuditEvent,
    /// The annotator's name, `None` for the system (e.g. a command-line import).
    pub actor_name: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS` in the local time zone (SQLite's `localtime`).
    pub local_time: String,
}

impl Store {
    /// The note of document `doc` (empty when there is none).
    pub fn document_note(&self, doc: DocId) -> Result<String, StoreError> {
        self.conn
            .prepare_cached("SELECT note FROM documents WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([doc], |row| row.get(0)).optional())
            .during("read a document's note")?
            .ok_or(StoreError::DocumentNotFound { doc })
    }

    /// A document's audit events, newest first, with who and when.
    pub fn document_history(&self, doc: DocId) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.at, a.actor, a.action, a.doc_id, a.span_id, a.before, a.after,
                        coalesce(k.name, n.name),
                        coalesce(strftime('%Y-%m-%d %H:%M:%S', a.at, 'localtime'), a.at)
                 FROM audit a LEFT JOIN annotators n ON n.id = a.actor
                 LEFT JOIN annotators k ON k.id = n.joined_into
                 WHERE a.doc_id = ?1 ORDER BY a.id DESC",
            )
            .during("read a document's history")?;
        let rows = stmt
            .query_map([doc], |row| {
                Ok((
                    (
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<AnnotatorId>>(2)?,
                        row.get::<_, String>(3)?,
                    ),
                    (
                        row.get::<_, Option<DocId>>(4)?,
                        row.get::<_, Option<i64>>(5)?,
                        row.get::<_, String>(6)?,
                        row.get::<_, String>(7)?,
                    ),
                    row.get::<_, Option<String>>(8)?,
                    row.get::<_, String>(9)?,
                ))
            })
            .during("read a document's history")?;
        let mut out = Vec::new();
        for row in rows {
            let ((id, at, actor, action), (doc, span, before, after), actor_name, local_time) =
                row.during("read a document's history")?;
            let mut after = parse_json(&after, "audit.after")?;
            // Since schema 9 the event names the document only; its row
            // holds the title, which never changes.
            if action == "document.import"
                && let Some(fields) = after.as_object_mut()
                && !fields.contains_key("title")
            {
                let title: String = self
                    .conn
                    .prepare_cached("SELECT title FROM main.documents WHERE id = ?1")
                    .and_then(|mut stmt| stmt.query_row([doc], |row| row.get(0)))
                    .during("read a document's history")?;
                fields.insert("title".to_owned(), title.into());
            }
            out.push(HistoryEntry {
                event: AuditEvent {
                    id,
                    at,
                    actor,
                    action,
                    doc,
                    span,
                    before: parse_json(&before, "audit.before")?,
                    after,
                },
                actor_name,
                local_time,
            });
        }
        Ok(out)
    }

    /// Carry out a [`Change::DocumentNote`]: the note of `doc`, still `from`, becomes `to`.
    pub(super) fn set_document_note(
        &mut self,
        doc: &DocId,
        from: &str,
        to: &str,
        actor: AnnotatorId,
    ) -> Result<(), StoreError> {
        let tx = self.begin("change a document's note")?;
        super::ensure_annotator(&tx, actor)?;
        let current: Option<String> = tx
            .query_row("SELECT note FROM documents WHERE id = ?1", [doc], |row| {
                row.get(0)
            })
            .optional()
            .during("read a document's note")?;
        let Some(current) = current else {
            return Err(StoreError::DocumentNotFound { doc: *doc });
        };
        if current != from {
            return Err(StoreError::StaleDocumentNote { doc: *doc });
        }
        let at = now();
        tx.execute(
            "UPDATE main.documents SET note = ?1 WHERE id = ?2",
            params![to, doc],
        )
        .during("change a document's note")?;
        write_audit(
            &tx,
            &at,
            Some(actor),
            "document.note",
            Some(*doc),
            None,
            &json!({ "note": from }),
            &json!({ "note": to }),
        )?;
        tx.commit().during("save a document's note")
    }
}

/// Replace the attribute values of span `row` (still `from`) with `to`,
/// inside the caller's transaction; the caller writes the audit row.
pub(super) fn write_attrs(
    tx: &rusqlite::Connection,
    row: &SpanRow,
    from: &Attrs,
    to: &Attrs,
    at: &str,
) -> Result<(), StoreError> {
    if row.deleted_at.is_some() {
        return Err(StoreError::SpanDeleted { span: row.id });
    }
    let stored = match parse_json(&row.attrs, "spans.attrs")? {
        serde_json::Value::Object(map) => map,
        other => {
            return Err(StoreError::Corrupt {
                what: format!("span {} has attributes {other}", row.id),
            });
        }
    };
    if stored != *from {
        return Err(StoreError::StaleAttrs {
            span: row.id,
            expected: serde_json::Value::Object(from.clone()).to_string(),
            found: serde_json::Value::Object(stored).to_string(),
        });
    }
    let mut changed = to
        .iter()
        .filter(|(k, v)| from.get(*k) != Some(*v))
        .peekable();
    if changed.peek().is_some() {
        let (version, schema) = super::schema::current_schema(tx)?;
        let Some(label) = schema.label(&row.label) else {
            return Err(StoreError::LabelNotInSchema {
                span: row.id,
                label: row.label.clone(),
                version,
            });
        };
        for (name, value) in changed {
            label
                .check_attr(name, value)
                .map_err(|source| StoreError::Attribute {
                    span: row.id,
                    label: row.label.clone(),
                    source: Box::new(source),
                })?;
        }
    }
    let attrs = serde_json::Value::Object(to.clone()).to_string();
    tx.prepare_cached("UPDATE main.spans SET attrs = ?1, updated_at = ?2 WHERE id = ?3")
        .and_then(|mut stmt| stmt.execute(params![attrs, at, row.id]))
        .during("set a span's attributes")?;
    Ok(())
}

/// Replace the note of span `row` (still `from`) with `to`, inside the
/// caller's transaction; the caller writes the audit row.
pub(super) fn write_note(
    tx: &rusqlite::Connection,
    row: &SpanRow,
    from: &str,
    to: &str,
    at: &str,
) -> Result<(), StoreError> {
    if row.deleted_at.is_some() {
        return Err(StoreError::SpanDeleted { span: row.id });
    }
    if row.note != from {
        return Err(StoreError::StaleNote { span: row.id });
    }
    tx.prepare_cached("UPDATE main.spans SET note = ?1, updated_at = ?2 WHERE id = ?3")
        .and_then(|mut stmt| stmt.execute(params![to, at, row.id]))
        .during("set a span's note")?;
    Ok(())
}
