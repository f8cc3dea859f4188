//! What the store keeps of suggestions ([`crate::suggest`]): the spans an
//! annotator accepts (origin `suggested`), the suggestions they reject, the
//! layer `tawsim suggest` fills, the project's recogniser settings, and the
//! counts the project's string matcher learns from.
//!
//! It runs no recogniser and knows nothing of egui: the app and the command
//! line compute suggestions and hand them here.
//!
//! # Accepting
//!
//! [`Store::accept_suggestion`] adds the suggestion to the annotator's own
//! layer as a span of origin `suggested` (schema 8), with the recogniser's
//! name as `model`, its `score`, and the attribute values the recogniser
//! filled that the label defines in the current schema (others are left
//! out); audit `span.add`, as for a span made by hand. A label given by the
//! annotator (a correction) replaces the suggested one; the span keeps the
//! recogniser and score, so evaluation can tell corrections apart.
//! [`Store::accept_suggestions`] adds many in one transaction, one
//! `span.add` row each. Undo deletes them like any span.
//!
//! # Rejecting
//!
//! A rejection is a row of `suggestion_rejections` (schema 8): document,
//! annotator, range, label, the covered text, time. The same suggestion is
//! never shown to that annotator in that document again. It is made and
//! taken back through [`Store::apply`] with
//! [`Change::RejectSuggestion`](crate::model::Change::RejectSuggestion) /
//! `UnrejectSuggestion` (audit `suggestion.reject` / `suggestion.unreject`,
//! `after` = `{"start":…,"end":…,"label":…,"text":…,"rejected":true}`), so
//! undo and redo work as for spans. Rejections stay in this project: the
//! events travel with a sync or a merge as history, the rejection rows do
//! not (a team shares accepted spans, not each person's dismissals).
//!
//! # The suggestions layer
//!
//! `tawsim suggest` stores suggestions in an `imported` layer
//! ([`SUGGESTIONS_LAYER`] unless named otherwise), so the review queue,
//! evaluation and exports treat it like any machine extraction, and an
//! annotator's sync never pushes it (only an admin's, as for every imported
//! layer). [`Store::write_suggestions`] replaces a document's earlier
//! suggestions in that layer: the live ones are marked deleted, the new
//! ones inserted (origin `imported`, `model` = recogniser, `score`, the
//! reason as the span's note), and one `span.import` audit row per
//! document records it (`after` = `{"layer": id, "layer_name": …, "spans":
//! [ids], "replaced": n}`). A document whose suggestions are unchanged is
//! left alone. It writes documents for about
//! [`IMPORT_TX_BUDGET`](super::import::IMPORT_TX_BUDGET) per transaction;
//! the caller pauses between calls so the window's writes get in. A long
//! run sets its connection up as an import does
//! ([`Store::tune_for_suggestions`]: commits not synced one by one) and
//! ends with one `suggest` audit row ([`Store::finish_suggestions`],
//! `after` = the run's summary), synced, which makes every commit before it
//! durable too.
//!
//! # Settings
//!
//! `project_settings` keys (audit `project.setting`, synced and merged like
//! every project setting): `suggest_recognisers`, a JSON array of the names
//! of the enabled recognisers (no row: all of them), and
//! `suggest_threshold`, the score from which Shift+A accepts a suggestion
//! (no row: [`DEFAULT_THRESHOLD`]).

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::import::IMPORT_TX_BUDGET;
use super::{
    During, LayerKind, NEW_UID, Store, StoreError, annotator_layer, char_len_of, check_fits,
    ensure_annotator, load_span, now, span_json, to_i64, to_usize, write_audit,
};
use crate::model::{AnnotatorId, Attrs, CharRange, DocId, LayerId, Span, SpanId};
use crate::suggest::project::{LayerWork, Matcher};
use crate::suggest::words::words;
use crate::suggest::{Recogniser, Suggestion};

/// The layer `tawsim suggest` fills unless told otherwise.
pub const SUGGESTIONS_LAYER: &str = "suggestions";

/// How many of the documents people worked on (the latest first) the
/// project matcher reads for words they passed by untagged.
pub const OBSERVED_DOCUMENTS: usize = 20_000;

/// The score from which Shift+A accepts a suggestion, unless the project
/// says otherwise.
pub const DEFAULT_THRESHOLD: f64 = 0.8;

const RECOGNISERS_KEY: &str = "suggest_recognisers";
const THRESHOLD_KEY: &str = "suggest_threshold";

/// What the project has accepted and rejected of one text and label, for
/// the project's string matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherCount {
    /// The covered text as stored (not normalised).
    pub text: String,
    pub label: String,
    /// Live spans with this text and label in annotator and gold layers.
    pub accepted: u32,
    /// Rejections of suggestions with this text and label.
    pub rejected: u32,
}

impl Store {
    /// Accept suggestion `s` into `annotator`'s layer, with `label` instead
    /// of the suggested one when given (see the module documentation).
    pub fn accept_suggestion(
        &mut self,
        doc: DocId,
        annotator: AnnotatorId,
        s: &Suggestion,
        label: Option<&str>,
    ) -> Result<Span, StoreError> {
        let tx = self.begin("accept a suggestion")?;
        let span = insert_suggested(&tx, doc, annotator, s, label)?;
        tx.commit().during("save an accepted suggestion")?;
        Ok(span)
    }

    /// Accept all of `suggestions` into `annotator`'s layer in one
    /// transaction; one already in the layer (same range and label, live)
    /// is skipped. Returns the spans added.
    pub fn accept_suggestions(
        &mut self,
        doc: DocId,
        annotator: AnnotatorId,
        suggestions: &[Suggestion],
    ) -> Result<Vec<Span>, StoreError> {
        let tx = self.begin("accept suggestions")?;
        ensure_annotator(&tx, annotator)?;
        let layer = annotator_layer(&tx, annotator)?;
        let mut out = Vec::new();
        for s in suggestions {
            let there: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM spans WHERE layer_id = ?1 AND doc_id = ?2
                       AND start = ?3 AND \"end\" = ?4 AND label = ?5 AND deleted_at IS NULL)",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(
                        params![
                            layer,
                            doc,
                            to_i64(s.range.start()),
                            to_i64(s.range.end()),
                            s.label
                        ],
                        |r| r.get(0),
                    )
                })
                .during("look for the same span in your layer")?;
            if !there {
                out.push(insert_suggested(&tx, doc, annotator, s, None)?);
            }
        }
        tx.commit().during("save accepted suggestions")?;
        Ok(out)
    }

    /// The suggestions `annotator` rejected in `doc`, as (range, label).
    pub fn suggestion_rejections(
        &self,
        doc: DocId,
        annotator: AnnotatorId,
    ) -> Result<HashSet<(CharRange, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT start, \"end\", label FROM suggestion_rejections
                 WHERE doc_id = ?1 AND annotator_id = ?2",
            )
            .during("read rejected suggestions")?;
        let rows = stmt
            .query_map(params![doc, annotator], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .during("read rejected suggestions")?;
        let mut out = HashSet::new();
        for row in rows {
            let (start, end, label) = row.during("read rejected suggestions")?;
            let (start, end) = (
                to_usize(start, "suggestion_rejections.start")?,
                to_usize(end, "suggestion_rejections.end")?,
            );
            let range = CharRange::new(start, end).map_err(|e| StoreError::Corrupt {
                what: format!("a rejected suggestion of document {doc}: {e}"),
            })?;
            out.insert((range, label));
        }
        Ok(out)
    }

    /// Carry out [`crate::model::Change::RejectSuggestion`] (`reject`) or
    /// its inverse for `actor`, with its audit row.
    pub(super) fn set_suggestion_rejected(
        &mut self,
        doc: DocId,
        range: CharRange,
        label: &str,
        actor: AnnotatorId,
        reject: bool,
    ) -> Result<(), StoreError> {
        if label.trim().is_empty() {
            return Err(StoreError::BlankLabel);
        }
        let tx = self.begin("reject a suggestion")?;
        ensure_annotator(&tx, actor)?;
        let text: Option<String> = tx
            .prepare_cached(
                "SELECT substr(text, ?2 + 1, ?3 - ?2) FROM documents WHERE id = ?1 AND char_len >= ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![doc, to_i64(range.start()), to_i64(range.end())],
                    |r| r.get(0),
                )
                .optional()
            })
            .during("read a suggestion's text")?;
        let Some(text) = text else {
            return Err(StoreError::DocumentNotFound { doc });
        };
        let at = now();
        let keys = params![
            doc,
            actor,
            to_i64(range.start()),
            to_i64(range.end()),
            label
        ];
        let changed = if reject {
            tx.prepare_cached(
                "INSERT INTO suggestion_rejections (doc_id, annotator_id, start, \"end\", label, text, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    doc,
                    actor,
                    to_i64(range.start()),
                    to_i64(range.end()),
                    label,
                    text,
                    at
                ])
            })
        } else {
            tx.prepare_cached(
                "DELETE FROM suggestion_rejections
                 WHERE doc_id = ?1 AND annotator_id = ?2 AND start = ?3 AND \"end\" = ?4 AND label = ?5",
            )
            .and_then(|mut stmt| stmt.execute(keys))
        }
        .during("record a rejected suggestion")?;
        if changed == 0 {
            // Already in the state asked for: nothing to record.
            return Ok(());
        }
        let state = |rejected: bool| {
            json!({
                "start": range.start(),
                "end": range.end(),
                "label": label,
                "text": text,
                "rejected": rejected,
            })
        };
        write_audit(
            &tx,
            &at,
            Some(actor),
            if reject {
                "suggestion.reject"
            } else {
                "suggestion.unreject"
            },
            Some(doc),
            None,
            &state(!reject),
            &state(reject),
        )?;
        tx.commit().during("save a rejected suggestion")
    }

    /// The recognisers the project has turned on (all of them unless set).
    pub fn enabled_recognisers(&self) -> Result<Vec<Recogniser>, StoreError> {
        let Some(value) = self.setting(RECOGNISERS_KEY)? else {
            return Ok(Recogniser::ALL.to_vec());
        };
        let names = value.as_array().ok_or_else(|| StoreError::Corrupt {
            what: format!("project setting {RECOGNISERS_KEY} is {value}, not a list"),
        })?;
        Ok(Recogniser::ALL
            .into_iter()
            .filter(|r| names.iter().any(|n| n.as_str() == Some(r.as_str())))
            .collect())
    }

    /// Turn recognisers on or off for the whole project (audit
    /// `project.setting`); writing what is already set writes nothing.
    pub fn set_enabled_recognisers(
        &mut self,
        enabled: &[Recogniser],
        actor: Option<AnnotatorId>,
    ) -> Result<(), StoreError> {
        let names: Vec<&str> = Recogniser::ALL
            .into_iter()
            .filter(|r| enabled.contains(r))
            .map(Recogniser::as_str)
            .collect();
        self.set_setting(RECOGNISERS_KEY, json!(names), None, actor)
    }

    /// The score from which Shift+A accepts a suggestion.
    pub fn suggest_threshold(&self) -> Result<f64, StoreError> {
        match self.setting(THRESHOLD_KEY)? {
            None => Ok(DEFAULT_THRESHOLD),
            Some(value) => value.as_f64().ok_or_else(|| StoreError::Corrupt {
                what: format!("project setting {THRESHOLD_KEY} is {value}, not a number"),
            }),
        }
    }

    /// Set the score from which Shift+A accepts a suggestion (clamped to
    /// `0.0..=1.0`; audit `project.setting`).
    pub fn set_suggest_threshold(
        &mut self,
        threshold: f64,
        actor: Option<AnnotatorId>,
    ) -> Result<(), StoreError> {
        let threshold = if threshold.is_finite() {
            threshold.clamp(0.0, 1.0)
        } else {
            DEFAULT_THRESHOLD
        };
        // Two decimals: the value a person chose, not a float's noise.
        let threshold = (threshold * 100.0).round() / 100.0;
        self.set_setting(THRESHOLD_KEY, json!(threshold), None, actor)
    }

    /// Every (text, label) the project accepted or rejected, with counts,
    /// for [`crate::suggest::project::Matcher`]. Reads every live span of
    /// the annotator and gold layers: seconds on a project of millions of
    /// spans, so callers run it off the window's thread.
    pub fn matcher_counts(&self) -> Result<Vec<MatcherCount>, StoreError> {
        let mut counts: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
        let mut read = |sql: &str, accepted: bool| -> Result<(), StoreError> {
            let mut stmt = self
                .conn
                .prepare(sql)
                .during("read what the project accepted")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .during("read what the project accepted")?;
            for row in rows {
                let (text, label, n) = row.during("read what the project accepted")?;
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                let entry = counts.entry((text, label)).or_default();
                if accepted {
                    entry.0 = entry.0.saturating_add(n);
                } else {
                    entry.1 = entry.1.saturating_add(n);
                }
            }
            Ok(())
        };
        read(
            "SELECT s.text, s.label, count(*) FROM spans s JOIN layers l ON l.id = s.layer_id
             WHERE s.deleted_at IS NULL AND l.kind IN ('annotator', 'gold')
             GROUP BY s.text, s.label",
            true,
        )?;
        read(
            "SELECT text, label, count(*) FROM suggestion_rejections GROUP BY text, label",
            false,
        )?;
        Ok(counts
            .into_iter()
            .map(|((text, label), (accepted, rejected))| MatcherCount {
                text,
                label,
                accepted,
                rejected,
            })
            .collect())
    }

    /// The project's string matcher, learnt from [`Store::matcher_counts`]
    /// and from the documents people worked on ([`Matcher::observe`]: the
    /// [`OBSERVED_DOCUMENTS`] documents whose human spans changed last).
    /// Slow on a big project: off the window's thread.
    pub fn project_matcher(&self) -> Result<Matcher, StoreError> {
        let mut matcher = Matcher::new();
        for count in self.matcher_counts()? {
            matcher.add(&count.text, &count.label, count.accepted, count.rejected);
        }
        if matcher.is_empty() {
            return Ok(matcher);
        }
        let docs: Vec<DocId> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT s.doc_id FROM spans s JOIN layers l ON l.id = s.layer_id
                     WHERE s.deleted_at IS NULL AND l.kind IN ('annotator', 'gold')
                     GROUP BY s.doc_id ORDER BY max(s.updated_at) DESC, s.doc_id DESC
                     LIMIT ?1",
                )
                .during("find the documents people worked on")?;
            stmt.query_map([to_i64(OBSERVED_DOCUMENTS)], |r| r.get(0))
                .during("find the documents people worked on")?
                .collect::<Result<_, _>>()
                .during("find the documents people worked on")?
        };
        let mut text_of = self
            .conn
            .prepare_cached("SELECT text FROM documents WHERE id = ?1")
            .during("read a document people worked on")?;
        let mut spans_of = self
            .conn
            .prepare_cached(
                "SELECT s.layer_id, s.start, s.\"end\"
                 FROM spans s JOIN layers l ON l.id = s.layer_id
                 WHERE s.doc_id = ?1 AND s.deleted_at IS NULL AND l.kind IN ('annotator', 'gold')
                 ORDER BY s.layer_id",
            )
            .during("read the spans of a document people worked on")?;
        // Whether the layer's person finished the document: its annotator
        // marked it done, or (gold) a reviewer adjudicated it.
        let mut done_of = self
            .conn
            .prepare_cached(
                "SELECT CASE l.kind
                          WHEN 'gold' THEN EXISTS (SELECT 1 FROM document_review r
                                                   WHERE r.doc_id = ?1 AND r.status = 'adjudicated')
                          ELSE EXISTS (SELECT 1 FROM document_status t
                                       WHERE t.doc_id = ?1 AND t.annotator_id = l.annotator_id
                                         AND t.status = 'done')
                        END
                 FROM layers l WHERE l.id = ?2",
            )
            .during("read whether a document is finished")?;
        for doc in docs {
            let Some(text) = text_of
                .query_row([doc], |r| r.get::<_, String>(0))
                .optional()
                .during("read a document people worked on")?
            else {
                continue;
            };
            // (layer, done, spans), in layer order.
            let mut layers: Vec<(LayerId, bool, Vec<CharRange>)> = Vec::new();
            let rows = spans_of
                .query_map([doc], |r| {
                    Ok((
                        r.get::<_, LayerId>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .during("read the spans of a document people worked on")?;
            for row in rows {
                let (layer, start, end) =
                    row.during("read the spans of a document people worked on")?;
                let range =
                    CharRange::new(to_usize(start, "spans.start")?, to_usize(end, "spans.end")?)
                        .map_err(|e| StoreError::Corrupt {
                            what: format!("a span in document {doc}: {e}"),
                        })?;
                match layers.last_mut() {
                    Some((id, _, spans)) if *id == layer => spans.push(range),
                    _ => layers.push((layer, false, vec![range])),
                }
            }
            for (layer, done, _) in &mut layers {
                *done = done_of
                    .query_row(params![doc, *layer], |r| r.get(0))
                    .during("read whether a document is finished")?;
            }
            let work: Vec<LayerWork<'_>> = layers
                .iter()
                .map(|(_, done, spans)| LayerWork { spans, done: *done })
                .collect();
            matcher.observe(&text, &words(&text), &work);
        }
        Ok(matcher)
    }

    /// The live spans of layer `layer` (by name) in `doc` as suggestions:
    /// a span whose `model` names no recogniser is left out. `None` when
    /// there is no such layer.
    pub fn stored_suggestions(
        &self,
        doc: DocId,
        layer: &str,
    ) -> Result<Option<Vec<Suggestion>>, StoreError> {
        let id: Option<LayerId> = self
            .conn
            .prepare_cached("SELECT id FROM layers WHERE name = ?1 AND kind = 'imported'")
            .and_then(|mut stmt| stmt.query_row([layer], |r| r.get(0)).optional())
            .during("look up a layer")?;
        let Some(id) = id else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id FROM spans WHERE layer_id = ?1 AND doc_id = ?2 AND deleted_at IS NULL
                 ORDER BY start, \"end\", id",
            )
            .during("read stored suggestions")?;
        let ids: Vec<SpanId> = stmt
            .query_map(params![id, doc], |r| r.get(0))
            .during("read stored suggestions")?
            .collect::<Result<_, _>>()
            .during("read stored suggestions")?;
        let mut out = Vec::new();
        for span in ids {
            let span = load_span(&self.conn, span)?.into_span()?;
            let Some(recogniser) = span.model.as_deref().and_then(Recogniser::parse) else {
                continue;
            };
            out.push(Suggestion {
                range: span.range,
                label: span.label,
                attrs: span.attrs,
                score: span.score.unwrap_or(0.0),
                recogniser,
                reason: span.note,
            });
        }
        Ok(Some(out))
    }

    /// Up to `limit` documents with an id above `after`, in id order, with
    /// their text: all documents, those of `docs` when given, and of those
    /// only the ones live-assigned to `assigned` when given (`tawsim
    /// suggest` pages through a project with it).
    pub fn documents_to_suggest(
        &self,
        after: DocId,
        limit: usize,
        docs: Option<&[DocId]>,
        assigned: Option<AnnotatorId>,
    ) -> Result<Vec<(DocId, String)>, StoreError> {
        let wanted = docs.map(|d| serde_json::to_string(d).unwrap_or_else(|_| "[]".into()));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT d.id, d.text FROM documents d
                 WHERE d.id > ?1
                   AND (?2 IS NULL OR d.id IN (SELECT value FROM json_each(?2)))
                   AND (?3 IS NULL OR EXISTS (SELECT 1 FROM assignments a
                        WHERE a.doc_id = d.id AND a.annotator_id = ?3 AND a.removed = 0))
                 ORDER BY d.id LIMIT ?4",
            )
            .during("list documents to suggest for")?;
        let rows = stmt
            .query_map(params![after, wanted, assigned, to_i64(limit)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .during("list documents to suggest for")?;
        rows.collect::<Result<_, _>>()
            .during("list documents to suggest for")
    }

    /// How many documents the project holds.
    pub fn documents_count(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM documents")
            .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
            .during("count documents")?;
        to_usize(n, "document count")
    }

    /// The imported layer `name` for suggestions, created if missing.
    pub fn suggestions_layer(
        &mut self,
        name: &str,
        actor: Option<AnnotatorId>,
    ) -> Result<LayerId, StoreError> {
        self.layer_named(name, LayerKind::Imported, actor)
    }

    /// Replace the suggestions of the documents of `batch`, from the first
    /// on, in layer `layer`, for about one transaction budget; returns how
    /// many documents were written (at least one when `batch` is not
    /// empty) and how many of them changed. See the module documentation.
    pub fn write_suggestions(
        &mut self,
        layer: LayerId,
        actor: AnnotatorId,
        batch: &[(DocId, Vec<Suggestion>)],
    ) -> Result<(usize, usize), StoreError> {
        let started = Instant::now();
        let tx = self.begin("store suggestions")?;
        ensure_annotator(&tx, actor)?;
        let layer_name: Option<String> = tx
            .query_row(
                "SELECT name FROM layers WHERE id = ?1 AND kind = 'imported'",
                [layer],
                |r| r.get(0),
            )
            .optional()
            .during("look up a layer")?;
        let Some(layer_name) = layer_name else {
            return Err(StoreError::LayerNotFound { layer });
        };
        let schema_version: Option<i64> = tx
            .query_row("SELECT max(version) FROM schemas", [], |r| r.get(0))
            .during("read the schema version")?;
        let mut written = 0;
        let mut changed = 0;
        for (doc, suggestions) in batch {
            if replace_document(
                &tx,
                layer,
                &layer_name,
                actor,
                schema_version,
                *doc,
                suggestions,
            )? {
                changed += 1;
            }
            written += 1;
            if started.elapsed() >= IMPORT_TX_BUDGET {
                break;
            }
        }
        tx.commit().during("save suggestions")?;
        Ok((written, changed))
    }

    /// Set this connection up for a long run of [`Store::write_suggestions`]
    /// (`on`: as an import, commits not synced one by one) and back.
    pub fn tune_for_suggestions(&self, on: bool) -> Result<(), StoreError> {
        self.tune_for_import(on)
    }

    /// End a run of `tawsim suggest`: its `suggest` audit row (`after` =
    /// `summary`) in one transaction synced to disk, and with it every
    /// commit before it. Call after [`Store::tune_for_suggestions`]`(false)`.
    pub fn finish_suggestions(
        &mut self,
        actor: AnnotatorId,
        summary: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let tx = self.begin("record the suggestions run")?;
        write_audit(
            &tx,
            &now(),
            Some(actor),
            "suggest",
            None,
            None,
            &serde_json::Value::Null,
            summary,
        )?;
        tx.commit().during("record the suggestions run")
    }
}

/// The attribute values of `attrs` that label `label` defines in the
/// current schema and that fit it.
fn fitting_attrs(conn: &Connection, label: &str, attrs: &Attrs) -> Result<Attrs, StoreError> {
    if attrs.is_empty() {
        return Ok(Attrs::new());
    }
    let (_, schema) = super::schema::current_schema(conn)?;
    let Some(def) = schema.label(label) else {
        return Ok(Attrs::new());
    };
    Ok(attrs
        .iter()
        .filter(|(name, value)| def.check_attr(name, value).is_ok())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect())
}

/// Insert suggestion `s` into `annotator`'s layer inside the caller's
/// transaction, with its `span.add` audit row.
fn insert_suggested(
    tx: &Connection,
    doc: DocId,
    annotator: AnnotatorId,
    s: &Suggestion,
    label: Option<&str>,
) -> Result<Span, StoreError> {
    let label = label.unwrap_or(&s.label);
    if label.trim().is_empty() {
        return Err(StoreError::BlankLabel);
    }
    ensure_annotator(tx, annotator)?;
    let layer = annotator_layer(tx, annotator)?;
    check_fits(doc, s.range, char_len_of(tx, doc)?)?;
    let attrs = fitting_attrs(tx, label, &s.attrs)?;
    let at = now();
    let schema_version: Option<i64> = tx
        .query_row("SELECT max(version) FROM schemas", [], |r| r.get(0))
        .during("read the schema version")?;
    let id = insert_span(
        tx,
        &NewSuggestedSpan {
            doc,
            annotator,
            layer,
            suggestion: s,
            label,
            attrs: &attrs,
            origin: "suggested",
            note: "",
            schema_version,
            at: &at,
        },
    )?;
    let span = load_span(tx, id)?.into_span()?;
    write_audit(
        tx,
        &at,
        Some(annotator),
        "span.add",
        Some(doc),
        Some(id),
        &serde_json::Value::Null,
        &span_json(&span, None),
    )?;
    Ok(span)
}

/// A span made from a suggestion: accepted into a person's layer (origin
/// `suggested`) or stored in a suggestions layer (origin `imported`).
struct NewSuggestedSpan<'a> {
    doc: DocId,
    annotator: AnnotatorId,
    layer: LayerId,
    suggestion: &'a Suggestion,
    label: &'a str,
    attrs: &'a Attrs,
    origin: &'static str,
    note: &'a str,
    schema_version: Option<i64>,
    at: &'a str,
}

/// Insert `span` (its covered text copied from the document by SQLite)
/// inside the caller's transaction; its id. No audit row: the caller
/// writes the one its action needs.
fn insert_span(tx: &Connection, span: &NewSuggestedSpan<'_>) -> Result<SpanId, StoreError> {
    let s = span.suggestion;
    tx.prepare_cached(&format!(
        "INSERT INTO main.spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                                 attrs, note, score, model, schema_version, created_at, updated_at, uid)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, substr(text, ?4 + 1, ?5 - ?4), ?7,
                ?8, ?9, ?10, ?11, ?12, ?13, ?13, {NEW_UID}
         FROM documents WHERE id = ?1
         RETURNING id"
    ))
    .and_then(|mut stmt| {
        stmt.query_row(
            params![
                span.doc,
                span.annotator,
                span.layer,
                to_i64(s.range.start()),
                to_i64(s.range.end()),
                span.label,
                span.origin,
                serde_json::Value::Object(span.attrs.clone()).to_string(),
                span.note,
                s.score,
                s.recogniser.as_str(),
                span.schema_version,
                span.at
            ],
            |r| r.get(0),
        )
    })
    .during("store a suggestion")
}

/// Replace the live suggestions of `doc` in `layer` by `suggestions`
/// inside the caller's transaction; false when they were the same already.
fn replace_document(
    tx: &Connection,
    layer: LayerId,
    layer_name: &str,
    actor: AnnotatorId,
    schema_version: Option<i64>,
    doc: DocId,
    suggestions: &[Suggestion],
) -> Result<bool, StoreError> {
    type Key = (i64, i64, String, Option<String>);
    let mut old: Vec<(SpanId, Key)> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT id, start, \"end\", label, model FROM spans
                 WHERE layer_id = ?1 AND doc_id = ?2 AND deleted_at IS NULL",
            )
            .during("read stored suggestions")?;
        stmt.query_map(params![layer, doc], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        })
        .during("read stored suggestions")?
        .collect::<Result<_, _>>()
        .during("read stored suggestions")?
    };
    let mut new: Vec<Key> = suggestions
        .iter()
        .map(|s| {
            (
                to_i64(s.range.start()),
                to_i64(s.range.end()),
                s.label.clone(),
                Some(s.recogniser.as_str().to_owned()),
            )
        })
        .collect();
    new.sort();
    old.sort_by(|a, b| a.1.cmp(&b.1));
    if old.iter().map(|(_, k)| k).eq(new.iter()) {
        return Ok(false);
    }
    let at = now();
    let char_len = char_len_of(tx, doc)?;
    tx.prepare_cached(
        "UPDATE main.spans SET deleted_at = ?1, updated_at = ?1
         WHERE layer_id = ?2 AND doc_id = ?3 AND deleted_at IS NULL",
    )
    .and_then(|mut stmt| stmt.execute(params![at, layer, doc]))
    .during("replace stored suggestions")?;
    let mut ids = Vec::with_capacity(suggestions.len());
    for s in suggestions {
        check_fits(doc, s.range, char_len)?;
        let id = insert_span(
            tx,
            &NewSuggestedSpan {
                doc,
                annotator: actor,
                layer,
                suggestion: s,
                label: &s.label,
                attrs: &s.attrs,
                origin: "imported",
                note: &s.reason,
                schema_version,
                at: &at,
            },
        )?;
        ids.push(id);
    }
    write_audit(
        tx,
        &at,
        Some(actor),
        "span.import",
        Some(doc),
        None,
        &serde_json::Value::Null,
        &json!({
            "layer": layer,
            "layer_name": layer_name,
            "spans": ids,
            "replaced": old.len(),
        }),
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Change, Origin};
    use crate::store::NewDocument;

    const TEXT: &str = "قصفت الطائرات مدينة إدلب يوم الخميس وقتل 19 مدنياً في إدلب.";

    fn char_range(word: &str, nth: usize) -> CharRange {
        let chars: Vec<char> = TEXT.chars().collect();
        let w: Vec<char> = word.chars().collect();
        let start = (0..chars.len())
            .filter(|&i| chars[i..].starts_with(&w))
            .nth(nth)
            .unwrap();
        CharRange::new(start, start + w.len()).unwrap()
    }

    fn suggestion(word: &str, nth: usize, label: &str, score: f64) -> Suggestion {
        Suggestion {
            range: char_range(word, nth),
            label: label.into(),
            attrs: Attrs::new(),
            score,
            recogniser: Recogniser::Place,
            reason: "gazetteer: Syria, city".into(),
        }
    }

    fn setup() -> (Store, DocId, AnnotatorId) {
        let mut store = Store::open_in_memory().unwrap();
        let doc = store
            .import_document(
                &NewDocument {
                    title: "إدلب".into(),
                    text: TEXT.into(),
                    source: "test".into(),
                    meta: json!({}),
                },
                None,
            )
            .unwrap()
            .id();
        let layla = store.annotator_id("layla").unwrap();
        (store, doc, layla)
    }

    #[test]
    fn an_accepted_suggestion_is_my_span_with_origin_suggested_score_and_recogniser() {
        let (mut store, doc, layla) = setup();
        let mut s = suggestion("إدلب", 0, "PLACE", 0.93);
        s.attrs.insert("not_in_schema".into(), json!(1));
        let span = store.accept_suggestion(doc, layla, &s, None).unwrap();
        assert_eq!(span.origin, Origin::Suggested);
        assert_eq!(span.text, "إدلب");
        assert_eq!(span.score, Some(0.93));
        assert_eq!(span.model.as_deref(), Some("place"));
        assert_eq!(span.layer, store.annotator_layer(layla).unwrap());
        assert!(
            span.attrs.is_empty(),
            "an attribute the label lacks is left out"
        );
        let corrected = store
            .accept_suggestion(
                doc,
                layla,
                &suggestion("إدلب", 1, "PLACE", 0.5),
                Some("ACTOR"),
            )
            .unwrap();
        assert_eq!(corrected.label, "ACTOR");
        assert_eq!(corrected.model.as_deref(), Some("place"));
        let audit = store.audit(doc).unwrap();
        let adds: Vec<_> = audit.iter().filter(|e| e.action == "span.add").collect();
        assert_eq!(adds.len(), 2);
        assert_eq!(adds[0].after["origin"], "suggested");
        // Undo is a delete, as for any span.
        store
            .apply(&Change::Delete { span: span.id }, layla)
            .unwrap();
        assert_eq!(store.spans(doc).unwrap().len(), 1);
    }

    #[test]
    fn the_project_matcher_counts_what_a_finished_document_left_untagged() {
        let (mut store, doc, layla) = setup();
        store
            .accept_suggestion(doc, layla, &suggestion("إدلب", 0, "PLACE", 0.9), None)
            .unwrap();
        let found = |store: &Store| {
            let text = "قصف على إدلب";
            let m = store.project_matcher().unwrap();
            m.recognise(text, &words(text))
                .into_iter()
                .map(|s| (s.label, s.reason))
                .collect::<Vec<_>>()
        };
        // The second «إدلب» comes after layla's last span: not read yet.
        assert_eq!(
            found(&store),
            vec![(
                "PLACE".into(),
                "accepted 1 of 1 times in the project".into()
            )]
        );
        // Done, with the second left untagged: one against one.
        store
            .set_status(doc, layla, crate::store::Status::Done)
            .unwrap();
        assert_eq!(found(&store), vec![]);
        // Tagging the second too makes it two of two.
        store
            .accept_suggestion(doc, layla, &suggestion("إدلب", 1, "PLACE", 0.9), None)
            .unwrap();
        assert_eq!(
            found(&store),
            vec![(
                "PLACE".into(),
                "accepted 2 of 2 times in the project".into()
            )]
        );
    }

    #[test]
    fn a_rejection_is_recorded_per_annotator_undone_and_audited() {
        let (mut store, doc, layla) = setup();
        let omar = store.annotator_id("omar").unwrap();
        let s = suggestion("إدلب", 0, "PLACE", 0.9);
        let change = Change::RejectSuggestion {
            doc,
            range: s.range,
            label: s.label.clone(),
        };
        store.apply(&change, layla).unwrap();
        let rejected = store.suggestion_rejections(doc, layla).unwrap();
        assert!(rejected.contains(&(s.range, "PLACE".to_owned())));
        assert!(store.suggestion_rejections(doc, omar).unwrap().is_empty());
        // Rejecting twice records nothing new.
        store.apply(&change, layla).unwrap();
        let events: Vec<_> = store
            .audit(doc)
            .unwrap()
            .into_iter()
            .filter(|e| e.action.starts_with("suggestion."))
            .collect();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].after["text"], "إدلب");
        assert_eq!(events[0].after["rejected"], true);
        store.apply(&change.invert(), layla).unwrap();
        assert!(store.suggestion_rejections(doc, layla).unwrap().is_empty());
        let counts = store.matcher_counts().unwrap();
        assert!(counts.is_empty(), "an undone rejection counts for nothing");
        store.apply(&change, layla).unwrap();
        store
            .accept_suggestion(doc, omar, &suggestion("إدلب", 1, "PLACE", 0.9), None)
            .unwrap();
        assert_eq!(
            store.matcher_counts().unwrap(),
            vec![MatcherCount {
                text: "إدلب".into(),
                label: "PLACE".into(),
                accepted: 1,
                rejected: 1,
            }]
        );
    }

    #[test]
    fn recogniser_and_threshold_settings_default_change_and_are_audited() {
        let (mut store, _, layla) = setup();
        assert_eq!(
            store.enabled_recognisers().unwrap(),
            Recogniser::ALL.to_vec()
        );
        assert_eq!(store.suggest_threshold().unwrap(), DEFAULT_THRESHOLD);
        store
            .set_enabled_recognisers(&[Recogniser::Place, Recogniser::Date], Some(layla))
            .unwrap();
        assert_eq!(
            store.enabled_recognisers().unwrap(),
            vec![Recogniser::Date, Recogniser::Place]
        );
        store.set_suggest_threshold(0.654, Some(layla)).unwrap();
        assert_eq!(store.suggest_threshold().unwrap(), 0.65);
        // The same value again writes no audit row.
        store.set_suggest_threshold(0.65, Some(layla)).unwrap();
        let n: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM audit WHERE action = 'project.setting'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn writing_suggestions_replaces_a_documents_earlier_ones_and_skips_unchanged() {
        let (mut store, doc, layla) = setup();
        let layer = store
            .suggestions_layer(SUGGESTIONS_LAYER, Some(layla))
            .unwrap();
        let first = vec![
            suggestion("إدلب", 0, "PLACE", 0.9),
            suggestion("إدلب", 1, "PLACE", 0.9),
        ];
        assert_eq!(
            store
                .write_suggestions(layer, layla, &[(doc, first.clone())])
                .unwrap(),
            (1, 1)
        );
        let stored = store
            .stored_suggestions(doc, SUGGESTIONS_LAYER)
            .unwrap()
            .unwrap();
        assert_eq!(stored, first);
        // The same again changes nothing.
        assert_eq!(
            store
                .write_suggestions(layer, layla, &[(doc, first)])
                .unwrap(),
            (1, 0)
        );
        let second = vec![suggestion("إدلب", 1, "PLACE", 0.7)];
        store
            .write_suggestions(layer, layla, &[(doc, second.clone())])
            .unwrap();
        let stored = store
            .stored_suggestions(doc, SUGGESTIONS_LAYER)
            .unwrap()
            .unwrap();
        assert_eq!(stored, second);
        let spans = store.spans(doc).unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].origin, Origin::Imported);
        assert_eq!(spans[0].note, "gazetteer: Syria, city");
        let imports: Vec<_> = store
            .audit(doc)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "span.import")
            .collect();
        assert_eq!(imports.len(), 2);
        assert_eq!(imports[1].after["replaced"], 2);
        assert_eq!(imports[1].after["spans"].as_array().unwrap().len(), 1);
        assert!(
            store.stored_suggestions(doc, "nothing").unwrap().is_none(),
            "no such layer"
        );
    }
}

#[cfg(test)]
mod migration_tests {
    use super::super::{MIGRATIONS, Store, migrate};

    /// A project of schema 7 with a span takes spans of origin `suggested`
    /// after migrating, keeps its span, and every connection sees the new CHECK.
    #[test]
    fn schema_8_widens_the_origin_check_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            migrate(&mut conn, Some(&path), &MIGRATIONS[..7]).unwrap();
            conn.execute_batch(
                "INSERT INTO documents (title, text, sha256, source, char_len, imported_at)
                 VALUES ('t', 'إدلب', printf('%064d', 1), 's', 4, '2025-01-01T00:00:00.000Z');
                 INSERT INTO annotators (name, given_name, created_at, uid)
                 VALUES ('layla', 'layla', '2025-01-01T00:00:00.000Z', randomblob(16));
                 INSERT INTO layers (name, kind, annotator_id, created_at, uid)
                 VALUES ('layla', 'annotator', 1, '2025-01-01T00:00:00.000Z', randomblob(16));
                 INSERT INTO spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                                    created_at, updated_at, uid)
                 VALUES (1, 1, 1, 0, 4, 'PLACE', 'إدلب', 'manual',
                         '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', randomblob(16));",
            )
            .unwrap();
            let refused = conn.execute("UPDATE spans SET origin = 'suggested' WHERE id = 1", []);
            assert!(refused.is_err(), "schema 7 refuses origin suggested");
        }
        // Another connection open before the migration, as the window's would be.
        let other = rusqlite::Connection::open(&path).unwrap();
        let n: i64 = other
            .query_row("SELECT count(*) FROM spans", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let store = Store::open(&path).unwrap();
        assert!(path.with_extension("db.v7.bak").exists(), "backed up first");
        store
            .conn
            .execute(
                "UPDATE main.spans SET origin = 'suggested' WHERE id = 1",
                [],
            )
            .unwrap();
        other
            .execute("UPDATE spans SET origin = 'suggested' WHERE id = 1", [])
            .expect("the other connection reloads the widened schema");
        assert!(
            other
                .execute("UPDATE spans SET origin = 'guessed' WHERE id = 1", [])
                .is_err(),
            "other origins are still refused"
        );
        let ok: String = store
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
}
