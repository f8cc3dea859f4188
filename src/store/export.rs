//! Streaming reads for exports: documents in id order, each with its live
//! spans of the chosen layers, one document at a time.
//!
//! [`Store::export_documents`] walks one prepared statement over `documents`
//! row by row and runs one indexed query (`spans_by_layer_doc`) per document
//! for its spans, so memory stays at one document whatever the project size.
//! It must not write anything, format files or filter labels (the caller
//! decides what a label filter means and counts what it leaves out).

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{OptionalExtension, params_from_iter};

use super::{During, LayerKind, Store, StoreError, Uid, parse_json, to_usize};
use crate::model::{DocId, LayerId};

/// What to read for an export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportQuery {
    /// The layers whose live spans are read (at least one).
    pub layers: Vec<LayerId>,
    /// Only documents marked `done` by one of these annotators; `None` reads
    /// every document.
    pub done_by: Option<DoneBy>,
    /// Only documents changed (`documents.changed_at`) at or after this RFC 3339
    /// timestamp or `YYYY-MM-DD` date (compared as text, which orders them).
    pub since: Option<String>,
}

/// Whose `done` mark counts for `--only-done`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoneBy {
    /// This annotator (the owner of an annotator layer).
    Annotator(crate::model::AnnotatorId),
    /// Any annotator (imported and gold layers, or all layers).
    Anyone,
}

/// One document with the spans to export, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportDocument {
    pub id: DocId,
    pub title: String,
    pub text: String,
    /// The document's `meta` JSON object.
    pub meta: serde_json::Value,
    /// Live spans of the chosen layers, ordered by start, end, layer, id.
    pub spans: Vec<ExportSpan>,
}

/// A live span with the names of its layer and annotator.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSpan {
    pub id: crate::model::SpanId,
    /// Code-point offsets, start inclusive, end exclusive.
    pub start: usize,
    pub end: usize,
    pub label: String,
    /// The stored copy of the covered text.
    pub text: String,
    /// The layer's name (shared by all spans of the layer).
    pub layer: Arc<str>,
    /// The layer's kind.
    pub layer_kind: LayerKind,
    /// The annotator's name.
    pub annotator: Arc<str>,
    pub attrs: crate::model::Attrs,
    pub note: String,
    pub score: Option<f64>,
    pub model: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The span's global identity (`None` only in a damaged file).
    pub uid: Option<Uid>,
}

impl Store {
    /// The newest stored label schema as `(name, version)`, if any.
    pub fn latest_schema(&self) -> Result<Option<(String, i64)>, StoreError> {
        self.conn
            .prepare_cached("SELECT name, version FROM schemas ORDER BY version DESC LIMIT 1")
            .and_then(|mut stmt| {
                stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .during("read the label schema")
    }

    /// The distinct labels of live spans in `layers`, sorted.
    pub fn labels_in_layers(&self, layers: &[LayerId]) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT label FROM spans WHERE deleted_at IS NULL AND layer_id IN ({}) ORDER BY label",
            placeholders(layers.len())
        );
        let mut stmt = self.conn.prepare(&sql).during("list labels")?;
        let rows = stmt
            .query_map(params_from_iter(layers), |r| r.get(0))
            .during("list labels")?;
        rows.collect::<Result<_, _>>().during("list labels")
    }

    /// Call `each` for every document that `query` selects, in id order,
    /// with its live spans of `query.layers`. Stops at the first error of
    /// `each` and returns it.
    pub fn export_documents<E>(
        &self,
        query: &ExportQuery,
        mut each: impl FnMut(ExportDocument) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<StoreError>,
    {
        let mut where_ = vec!["1".to_owned()];
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        match &query.done_by {
            None => {}
            Some(DoneBy::Annotator(a)) => {
                where_.push(format!(
                    "EXISTS (SELECT 1 FROM document_status s WHERE s.doc_id = d.id AND s.status = 'done' AND s.annotator_id = ?{})",
                    args.len() + 1
                ));
                args.push((*a).into());
            }
            Some(DoneBy::Anyone) => where_.push(
                "EXISTS (SELECT 1 FROM document_status s WHERE s.doc_id = d.id AND s.status = 'done')"
                    .to_owned(),
            ),
        }
        if let Some(since) = &query.since {
            where_.push(format!("d.changed_at >= ?{}", args.len() + 1));
            args.push(since.clone().into());
        }
        let docs_sql = format!(
            "SELECT d.id, d.title, d.text, d.meta FROM documents d WHERE {} ORDER BY d.id",
            where_.join(" AND ")
        );
        let spans_sql = format!(
            "SELECT s.id, s.start, s.\"end\", s.label, s.text, s.layer_id, s.annotator_id, s.attrs,
                    s.note, s.score, s.model, s.created_at, s.updated_at, s.uid
             FROM spans s
             WHERE s.doc_id = ?1 AND s.deleted_at IS NULL AND s.layer_id IN ({})
             ORDER BY s.start, s.\"end\", s.layer_id, s.id",
            (0..query.layers.len())
                .map(|i| format!("?{}", i + 2))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let names = Names {
            layers: self.names("SELECT id, name FROM layers")?,
            kinds: self
                .names("SELECT id, kind FROM layers")?
                .into_iter()
                .map(|(id, kind)| match LayerKind::parse(&kind) {
                    Some(kind) => Ok((id, kind)),
                    None => Err(StoreError::Corrupt {
                        what: format!("layer {id} is of kind {kind:?}"),
                    }),
                })
                .collect::<Result<_, _>>()?,
            annotators: self.names("SELECT id, name FROM annotators")?,
        };
        let mut docs = self
            .conn
            .prepare(&docs_sql)
            .during("read documents for an export")?;
        let mut spans = self
            .conn
            .prepare(&spans_sql)
            .during("read spans for an export")?;
        let mut rows = docs
            .query(params_from_iter(args.iter()))
            .during("read documents for an export")?;
        while let Some(row) = rows.next().during("read documents for an export")? {
            let id: DocId = row.get(0).during("read a document for an export")?;
            let title: String = row.get(1).during("read a document for an export")?;
            let text: String = row.get(2).during("read a document for an export")?;
            let meta: String = row.get(3).during("read a document for an export")?;
            let meta = parse_json(&meta, "documents.meta")?;
            let mut span_args: Vec<i64> = Vec::with_capacity(query.layers.len() + 1);
            span_args.push(id);
            span_args.extend(query.layers.iter().copied());
            let mut span_rows = spans
                .query(params_from_iter(span_args))
                .during("read spans for an export")?;
            let mut out = Vec::new();
            while let Some(r) = span_rows.next().during("read spans for an export")? {
                out.push(read_span(r, &names)?);
            }
            each(ExportDocument {
                id,
                title,
                text,
                meta,
                spans: out,
            })?;
        }
        Ok(())
    }
}

/// Layer and annotator names (and layer kinds) by id, shared by every span.
struct Names {
    layers: HashMap<i64, Arc<str>>,
    kinds: HashMap<i64, LayerKind>,
    annotators: HashMap<i64, Arc<str>>,
}

impl Store {
    fn names(&self, sql: &str) -> Result<HashMap<i64, Arc<str>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(sql)
            .during("read layer and annotator names")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, Arc::from(r.get::<_, String>(1)?)))
            })
            .during("read layer and annotator names")?;
        rows.collect::<Result<_, _>>()
            .during("read layer and annotator names")
    }
}

fn read_span(r: &rusqlite::Row<'_>, names: &Names) -> Result<ExportSpan, StoreError> {
    let get = |e| StoreError::Sqlite {
        action: "read spans for an export",
        source: e,
    };
    let id: crate::model::SpanId = r.get(0).map_err(get)?;
    let name =
        |map: &HashMap<i64, Arc<str>>, col: usize, what: &str| -> Result<Arc<str>, StoreError> {
            let key: i64 = r.get(col).map_err(get)?;
            map.get(&key).cloned().ok_or_else(|| StoreError::Corrupt {
                what: format!("span {id} names {what} {key}, which does not exist"),
            })
        };
    let attrs = match r.get_ref(7).map_err(get)?.as_str() {
        // Most spans have none: skip the parse.
        Ok("{}") => crate::model::Attrs::new(),
        Ok(src) => match parse_json(src, "spans.attrs")? {
            serde_json::Value::Object(map) => map,
            other => {
                return Err(StoreError::Corrupt {
                    what: format!("span {id} has attributes {other}"),
                });
            }
        },
        Err(_) => {
            return Err(StoreError::Corrupt {
                what: format!("span {id} has attributes that are not text"),
            });
        }
    };
    Ok(ExportSpan {
        id,
        start: to_usize(r.get(1).map_err(get)?, "spans.start")?,
        end: to_usize(r.get(2).map_err(get)?, "spans.end")?,
        label: r.get(3).map_err(get)?,
        text: r.get(4).map_err(get)?,
        layer: name(&names.layers, 5, "layer")?,
        layer_kind: {
            let layer: i64 = r.get(5).map_err(get)?;
            *names.kinds.get(&layer).ok_or_else(|| StoreError::Corrupt {
                what: format!("span {id} names layer {layer}, which does not exist"),
            })?
        },
        annotator: name(&names.annotators, 6, "annotator")?,
        attrs,
        note: r.get(8).map_err(get)?,
        score: r.get(9).map_err(get)?,
        model: r.get(10).map_err(get)?,
        created_at: r.get(11).map_err(get)?,
        updated_at: r.get(12).map_err(get)?,
        uid: r.get(13).map_err(get)?,
    })
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
