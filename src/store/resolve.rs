//! The conflict rules that a merge of project files ([`super::merge`]) and a
//! sync with the team server ([`super::sync`]) share, so that a record
//! changed in two places ends the same whichever way the changes meet:
//!
//! | record | the state kept |
//! |---|---|
//! | span | the greater (`updated_at`, `label`, `attrs`, `note`, `deleted_at`), compared as stored (text, a live span's `deleted_at` below every time) |
//! | status, review, rejection, document note and direction, project setting ([`Keyed`]) | the state of the latest event for it (greater `at`, then greater event uid) |
//! | assignment | the greater (`updated_at`, `removed`) |
//!
//! Every rule picks a maximum, so applying the same change twice, or two
//! changes in either order, gives the same state. This module holds the
//! rules and their SQL; it must not know where the other side's records come
//! from (a file, a server).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::merge::MergeConflict;
use super::{During, StoreError, Uid};

/// A record whose state the latest event decides (local ids).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Keyed {
    Status { doc: i64, annotator: i64 },
    Review { doc: i64 },
    Note { doc: i64 },
    Direction { doc: i64 },
    Mark { doc: i64, span: i64, annotator: i64 },
    Setting { key: String },
}

impl Keyed {
    /// The records an event (local ids, `after` as stored) decides.
    pub(super) fn of_event(
        action: &str,
        doc: Option<i64>,
        span: Option<i64>,
        actor: Option<i64>,
        after: &Value,
    ) -> Vec<Keyed> {
        match (action, doc) {
            ("document.status", Some(doc)) => after
                .get("annotator")
                .and_then(Value::as_i64)
                .map(|annotator| Keyed::Status { doc, annotator })
                .into_iter()
                .collect(),
            ("document.review", Some(doc)) => vec![Keyed::Review { doc }],
            ("document.note", Some(doc)) => vec![Keyed::Note { doc }],
            ("document.direction", Some(doc)) => vec![Keyed::Direction { doc }],
            ("span.reject" | "span.unreject", Some(doc)) => match (span, actor) {
                (Some(span), Some(annotator)) => vec![Keyed::Mark {
                    doc,
                    span,
                    annotator,
                }],
                _ => Vec::new(),
            },
            ("project.setting", _) => after
                .as_object()
                .map(|obj| {
                    obj.keys()
                        .map(|key| Keyed::Setting { key: key.clone() })
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// One event of a [`Keyed`] record, as stored here.
#[derive(Debug, Clone)]
pub(super) struct KeyEvent {
    pub at: String,
    pub uid: Uid,
    pub actor: Option<i64>,
    pub after: String,
    pub import_id: Option<i64>,
    pub action: String,
}

/// The events of `key` here, latest first (greater `at`, then greater uid).
pub(super) fn key_events(tx: &Connection, key: &Keyed) -> Result<Vec<KeyEvent>, StoreError> {
    let (sql, args): (&str, Vec<rusqlite::types::Value>) = match key {
        Keyed::Status { doc, annotator } => (
            "SELECT at, uid, actor, after, import_id, action FROM main.audit
             WHERE doc_id = ?1 AND action = 'document.status'
               AND json_extract(after, '$.annotator') = ?2",
            vec![(*doc).into(), (*annotator).into()],
        ),
        Keyed::Review { doc } => (
            "SELECT at, uid, actor, after, import_id, action FROM main.audit
             WHERE doc_id = ?1 AND action = 'document.review'",
            vec![(*doc).into()],
        ),
        Keyed::Note { doc } => (
            "SELECT at, uid, actor, after, import_id, action FROM main.audit
             WHERE doc_id = ?1 AND action = 'document.note'",
            vec![(*doc).into()],
        ),
        Keyed::Direction { doc } => (
            "SELECT at, uid, actor, after, import_id, action FROM main.audit
             WHERE doc_id = ?1 AND action = 'document.direction'",
            vec![(*doc).into()],
        ),
        Keyed::Mark {
            doc,
            span,
            annotator,
        } => (
            "SELECT at, uid, actor, after, import_id, action FROM main.audit
             WHERE doc_id = ?1 AND action IN ('span.reject', 'span.unreject')
               AND span_id = ?2 AND actor = ?3",
            vec![(*doc).into(), (*span).into(), (*annotator).into()],
        ),
        Keyed::Setting { key } => (
            "SELECT at, uid, actor, after, import_id, action FROM main.audit
             WHERE action = 'project.setting' AND json_extract(after, '$.' || ?1) IS NOT NULL",
            vec![key.clone().into()],
        ),
    };
    let mut s = tx
        .prepare_cached(&format!("SELECT * FROM ({sql}) ORDER BY at DESC, uid DESC"))
        .during("read a record's history")?;
    let rows = s
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok(KeyEvent {
                at: r.get(0)?,
                uid: r.get(1)?,
                actor: r.get(2)?,
                after: r.get(3)?,
                import_id: r.get(4)?,
                action: r.get(5)?,
            })
        })
        .during("read a record's history")?;
    rows.collect::<Result<_, _>>()
        .during("read a record's history")
}

/// What [`apply_latest`] did.
#[derive(Debug, Default)]
pub(super) struct Applied {
    /// The stored state changed.
    pub changed: bool,
    /// The annotator whose status became `done`.
    pub done_by: Option<i64>,
    /// The record had changed here too (an older event here that the other
    /// side lacks) and the other side's later change was kept.
    pub conflict: Option<MergeConflict>,
}

/// Set `key`'s state from its latest event, when that event is one that
/// just came in (`incoming`); `other_lacks` says whether the other side
/// lacks an older event of this side (then the record changed in both
/// places, and the result names the conflict). `names` gives annotators'
/// names for the conflict's description.
pub(super) fn apply_latest(
    tx: &Connection,
    key: &Keyed,
    incoming: &dyn Fn(&KeyEvent) -> bool,
    other_lacks: &mut dyn FnMut(&KeyEvent) -> Result<bool, StoreError>,
    names: &HashMap<i64, String>,
) -> Result<Applied, StoreError> {
    let events = key_events(tx, key)?;
    let Some(latest) = events.first() else {
        return Ok(Applied::default());
    };
    if !incoming(latest) {
        // This side's own latest event decides; its state is already so.
        return Ok(Applied::default());
    }
    let (at, actor, action) = (&latest.at, latest.actor, latest.action.as_str());
    let after: Value = serde_json::from_str(&latest.after).unwrap_or(Value::Null);
    // Changed here too: an older event of this side the other lacks.
    let mut here_only = false;
    for event in events.iter().skip(1) {
        if incoming(event) {
            continue;
        }
        if other_lacks(event)? {
            here_only = true;
            break;
        }
    }
    let mut applied = Applied::default();
    match key {
        Keyed::Status { doc, annotator } => {
            let row = status_row(&after);
            let stored: Option<String> = tx
                .query_row(
                    "SELECT status FROM document_status WHERE doc_id = ?1 AND annotator_id = ?2",
                    params![doc, annotator],
                    |r| r.get(0),
                )
                .optional()
                .during("read a status")?;
            if stored != row {
                match &row {
                    None => tx
                        .execute(
                            "DELETE FROM document_status WHERE doc_id = ?1 AND annotator_id = ?2",
                            params![doc, annotator],
                        )
                        .during("merge a status")?,
                    Some(status) => tx
                        .execute(
                            "INSERT INTO document_status (doc_id, annotator_id, status, updated_at)
                             VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (doc_id, annotator_id)
                             DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                            params![doc, annotator, status, at],
                        )
                        .during("merge a status")?,
                };
                applied.changed = true;
                if row.as_deref() == Some("done") {
                    applied.done_by = Some(*annotator);
                }
                if here_only {
                    applied.conflict = Some(MergeConflict {
                        record: format!(
                            "status of document {doc} for {}",
                            names.get(annotator).map_or("?", String::as_str)
                        ),
                        kept: format!("{} set at {at}", row.as_deref().unwrap_or("new")),
                    });
                }
            }
        }
        Keyed::Review { doc } => {
            let wanted = review_row(&after);
            let stored: Option<String> = tx
                .query_row(
                    "SELECT status FROM document_review WHERE doc_id = ?1",
                    [doc],
                    |r| r.get(0),
                )
                .optional()
                .during("read a review status")?;
            if stored != wanted {
                match (&wanted, actor) {
                    (Some(status), Some(reviewer)) => tx
                        .execute(
                            "INSERT INTO document_review (doc_id, status, reviewer_id, updated_at)
                             VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (doc_id) DO UPDATE SET status = excluded.status,
                                 reviewer_id = excluded.reviewer_id, updated_at = excluded.updated_at",
                            params![doc, status, reviewer, at],
                        )
                        .during("merge a review status")?,
                    _ => tx
                        .execute("DELETE FROM document_review WHERE doc_id = ?1", [doc])
                        .during("merge a review status")?,
                };
                applied.changed = true;
                if here_only {
                    applied.conflict = Some(MergeConflict {
                        record: format!("review status of document {doc}"),
                        kept: format!("{} set at {at}", wanted.as_deref().unwrap_or("unreviewed")),
                    });
                }
            }
        }
        Keyed::Note { doc } => {
            let note = after.get("note").and_then(Value::as_str).unwrap_or("");
            let n = tx
                .execute(
                    "UPDATE main.documents SET note = ?2 WHERE id = ?1 AND note <> ?2",
                    params![doc, note],
                )
                .during("merge a document note")?;
            applied.changed = n > 0;
            if n > 0 && here_only {
                applied.conflict = Some(MergeConflict {
                    record: format!("note on document {doc}"),
                    kept: format!("«{note}» written at {at}"),
                });
            }
        }
        Keyed::Direction { doc } => {
            let direction = after
                .get("direction")
                .and_then(Value::as_str)
                .unwrap_or("rtl");
            let n = tx
                .execute(
                    "UPDATE main.documents SET direction = ?2 WHERE id = ?1 AND direction <> ?2",
                    params![doc, direction],
                )
                .during("merge a document direction")?;
            applied.changed = n > 0;
        }
        Keyed::Mark {
            span, annotator, ..
        } => {
            let n = if action == "span.reject" {
                tx.execute(
                    "INSERT INTO span_marks (span_id, annotator_id, mark, at)
                     VALUES (?1, ?2, 'rejected', ?3) ON CONFLICT DO NOTHING",
                    params![span, annotator, at],
                )
                .during("merge a rejection")?
            } else {
                tx.execute(
                    "DELETE FROM span_marks WHERE span_id = ?1 AND annotator_id = ?2",
                    params![span, annotator],
                )
                .during("merge a rejection")?
            };
            applied.changed = n > 0;
        }
        Keyed::Setting { key } => {
            if let Some(value) = after.get(key) {
                let n = tx
                    .execute(
                        "INSERT INTO project_settings (key, value) VALUES (?1, ?2)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value
                         WHERE value <> excluded.value",
                        params![key, value.to_string()],
                    )
                    .during("merge a project setting")?;
                applied.changed = n > 0;
            }
        }
    }
    Ok(applied)
}

/// The stored status a `document.status` event's `after` describes
/// (`None`: no row, i.e. new).
pub(super) fn status_row(after: &Value) -> Option<String> {
    match after.get("row") {
        Some(Value::Null) => None,
        Some(v) => v.as_str().map(str::to_owned),
        None => after
            .get("status")
            .and_then(Value::as_str)
            .filter(|s| *s != "new")
            .map(str::to_owned),
    }
}

/// The stored review status a `document.review` event's `after` describes
/// (`None`: unreviewed).
pub(super) fn review_row(after: &Value) -> Option<String> {
    let status = after.get("review").and_then(Value::as_str).unwrap_or("");
    (status != "unreviewed" && !status.is_empty()).then(|| status.to_owned())
}

/// The part of a span that changes, in the order that decides which state is
/// later (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SpanState {
    pub updated_at: String,
    pub label: String,
    /// JSON text as stored.
    pub attrs: String,
    pub note: String,
    pub deleted_at: Option<String>,
}

/// The local id and state of the span with `uid` here, hidden ones too.
pub(super) fn span_state(
    tx: &Connection,
    uid: Uid,
) -> Result<Option<(i64, SpanState)>, StoreError> {
    tx.prepare_cached(
        "SELECT id, updated_at, label, attrs, note, deleted_at FROM main.spans WHERE uid = ?1",
    )
    .and_then(|mut s| {
        s.query_row([uid], |r| {
            Ok((
                r.get(0)?,
                SpanState {
                    updated_at: r.get(1)?,
                    label: r.get(2)?,
                    attrs: r.get(3)?,
                    note: r.get(4)?,
                    deleted_at: r.get(5)?,
                },
            ))
        })
        .optional()
    })
    .during("look for the span")
}

/// Give span `local` the state `there` when it is later than `here`;
/// whether it did.
pub(super) fn take_later_span_state(
    tx: &Connection,
    local: i64,
    here: &SpanState,
    there: &SpanState,
) -> Result<bool, StoreError> {
    if there <= here {
        return Ok(false);
    }
    tx.prepare_cached(
        "UPDATE main.spans SET updated_at = ?2, label = ?3, attrs = ?4,
             note = ?5, deleted_at = ?6 WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            local,
            there.updated_at,
            there.label,
            there.attrs,
            there.note,
            there.deleted_at
        ])
    })
    .during("take a span's later state")?;
    Ok(true)
}

/// Write an assignment unless the stored one is as late or later (greater
/// (`updated_at`, `removed`) wins); how many rows changed (0 or 1).
pub(super) fn merge_assignment(
    tx: &Connection,
    doc: i64,
    annotator: i64,
    by: Option<i64>,
    updated_at: &str,
    removed: bool,
) -> Result<usize, StoreError> {
    tx.prepare_cached(
        "INSERT INTO main.assignments (doc_id, annotator_id, assigned_by, updated_at, removed)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (doc_id, annotator_id) DO UPDATE
         SET assigned_by = excluded.assigned_by, updated_at = excluded.updated_at,
             removed = excluded.removed
         WHERE (excluded.updated_at, excluded.removed) > (updated_at, removed)",
    )
    .and_then(|mut s| s.execute(params![doc, annotator, by, updated_at, removed]))
    .during("merge an assignment")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(at: &str, label: &str, deleted: Option<&str>) -> SpanState {
        SpanState {
            updated_at: at.into(),
            label: label.into(),
            attrs: "{}".into(),
            note: String::new(),
            deleted_at: deleted.map(str::to_owned),
        }
    }

    #[test]
    fn the_later_span_state_wins_and_ties_are_broken_the_same_way_everywhere() {
        let t0 = "2026-01-01T00:00:00.000Z";
        let t1 = "2026-01-01T00:00:00.001Z";
        // Later time wins whatever the label.
        assert!(state(t1, "ACTOR", None) > state(t0, "PLACE", None));
        // Same time: the greater label, then a deletion over a live span.
        assert!(state(t0, "PLACE", None) > state(t0, "ACTOR", None));
        assert!(state(t0, "PLACE", Some(t0)) > state(t0, "PLACE", None));
        // Equal states are not "later": applying twice changes nothing.
        assert!(state(t0, "PLACE", None) <= state(t0, "PLACE", None));
    }

    #[test]
    fn a_status_event_describes_its_stored_row() {
        let json = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert_eq!(
            status_row(&json(r#"{"status":"done","row":"done"}"#)),
            Some("done".into())
        );
        assert_eq!(
            status_row(&json(r#"{"status":"in_progress","row":null}"#)),
            None
        );
        // Events older than schema 5 have no `row`.
        assert_eq!(status_row(&json(r#"{"status":"new"}"#)), None);
        assert_eq!(
            review_row(&json(r#"{"review":"adjudicated"}"#)),
            Some("adjudicated".into())
        );
        assert_eq!(review_row(&json(r#"{"review":"unreviewed"}"#)), None);
    }
}
