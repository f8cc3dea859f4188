//! JSONL export: one document per line, importable by doccano as is and by
//! tawsim's own JSONL import for a byte-identical round trip.
//!
//! It must not reorder, normalise or drop anything: every live span of the
//! chosen layers (after `--labels`) is written, in the order start, end,
//! layer, span id.
//!
//! # Format
//!
//! One JSON object per line, UTF-8, `\n` line ends, keys in this order:
//!
//! | key | meaning |
//! |---|---|
//! | `id` | string: the `id` a JSONL import kept (`meta.id`), else the project's document id |
//! | `title` | the document title |
//! | `text` | the document text exactly as stored |
//! | `label` | `[[start, end, "LABEL"], …]`: doccano's form of the spans |
//! | `spans` | `[{"start", "end", "label", "text", "layer", "annotator", "attrs", "notes", "score"?, "model"?, "layer_kind", "uid", "created_at", "updated_at"}, …]` |
//! | `meta` | the document's meta object; for a document that came from a JSONL import, the `meta` it had in that file |
//!
//! Offsets are Unicode code points (Python `str` indices) by default, or UTF-16
//! code units with `--offsets utf16` (the manifest says which), start inclusive,
//! end exclusive. `attrs` is the span's attribute object (`{}` when none).
//! `notes` is a list of strings: `[]` when the span has no note, else one
//! element, the note. `score` and `model` appear only when set (imported
//! machine spans).
//!
//! Who made each span, so that `tawsim import --layers-from-file` can put it
//! back (see [`crate::io::jsonl`]): `layer` is the layer's name and
//! `layer_kind` its kind, `"annotator"` (one annotator's own layer),
//! `"imported"` or `"gold"`; `annotator` is the name of the annotator who
//! made the span (for an annotator layer, its owner); `uid` the span's global
//! identity, a hyphenated UUID (lowercase hex, 8-4-4-4-12); `created_at` and
//! `updated_at` when it was made and last changed, RFC 3339 UTC with
//! milliseconds. These four fields come after the others, so readers of
//! older exports are not disturbed. Example (one line, wrapped here):
//!
//! ```json
//! {"id":"1","title":"قصف","text":"قصف على وإدلب","label":[[9,13,"PLACE"]],
//!  "spans":[{"start":9,"end":13,"label":"PLACE","text":"إدلب","layer":"layla",
//!  "annotator":"layla","attrs":{},"notes":[],"layer_kind":"annotator",
//!  "uid":"0194687a-93c1-7d2e-8a4f-3b9c2d1e0f11","created_at":"2025-01-16T09:30:12.345Z",
//!  "updated_at":"2025-01-16T09:30:12.345Z"}],"meta":{"file_name":"a.txt"}}
//! ```

use serde::Serialize;

use super::{
    Document, ExportError, Format, FormatWriter, Out, Part, Tally, WriterContext, part_out,
};
use crate::model::Attrs;
use crate::store::Uid;

/// One line of the export.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    title: &'a str,
    text: &'a str,
    label: Vec<(usize, usize, &'a str)>,
    spans: Vec<SpanOut<'a>>,
    meta: &'a serde_json::Value,
}

#[derive(Serialize)]
struct SpanOut<'a> {
    start: usize,
    end: usize,
    label: &'a str,
    text: &'a str,
    layer: &'a str,
    annotator: &'a str,
    attrs: &'a Attrs,
    notes: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    layer_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<UidOut>,
    created_at: &'a str,
    updated_at: &'a str,
}

/// A uid written in its hyphenated form, straight into the output.
struct UidOut(Uid);

impl Serialize for UidOut {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// The meta object written for a document (see the module documentation).
pub fn meta_of(meta: &serde_json::Value) -> &serde_json::Value {
    match meta.get("meta") {
        Some(inner @ serde_json::Value::Object(_)) => inner,
        _ => meta,
    }
}

pub struct JsonlWriter {
    outs: Vec<Out>,
    unit: super::OffsetUnit,
}

impl JsonlWriter {
    pub fn new(ctx: &WriterContext<'_>) -> Result<JsonlWriter, ExportError> {
        Ok(JsonlWriter {
            outs: ctx.part_files(Format::Jsonl, "jsonl")?,
            unit: ctx.offsets,
        })
    }
}

impl FormatWriter for JsonlWriter {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let mut label = Vec::with_capacity(doc.doc.spans.len());
        let mut spans = Vec::with_capacity(doc.doc.spans.len());
        for span in &doc.doc.spans {
            let start = doc.offset(span.start, self.unit);
            let end = doc.offset(span.end, self.unit);
            doc.check_written(span, start, end, self.unit, tally)?;
            label.push((start, end, span.label.as_str()));
            spans.push(SpanOut {
                start,
                end,
                label: &span.label,
                text: &span.text,
                layer: &span.layer,
                annotator: &span.annotator,
                attrs: &span.attrs,
                notes: if span.note.is_empty() {
                    Vec::new()
                } else {
                    vec![span.note.as_str()]
                },
                score: span.score,
                model: span.model.as_deref(),
                layer_kind: span.layer_kind.as_str(),
                uid: span.uid.map(UidOut),
                created_at: &span.created_at,
                updated_at: &span.updated_at,
            });
            tally.written(span);
        }
        let line = Line {
            id: &doc.export_id,
            title: &doc.doc.title,
            text: &doc.doc.text,
            label,
            spans,
            meta: meta_of(&doc.doc.meta),
        };
        part_out(&mut self.outs, part).json_line(&line)
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        self.outs.into_iter().map(Out::finish).collect()
    }
}
