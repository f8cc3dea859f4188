//! JSONL documents with spans: one JSON object per line.
//!
//! This module turns the bytes of a `.jsonl` file into [`ImportRecord`]s and
//! located [`Problem`]s. It must not change a record's text in any way (every
//! offset points into it exactly as given), map labels or touch the store.
//!
//! # Format
//!
//! One JSON object per line; blank lines are skipped, a byte-order mark at the
//! start of the file and a CR before each LF are tolerated. Fields:
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `text` | string, required | the document, stored exactly as given |
//! | `id` | string or number | kept in the document's `meta.id`; the title when there is no `title` |
//! | `title` | string | display title (default: `id`, else the text's first line, cut to 80 characters) |
//! | `meta` | object | kept in the document's `meta.meta` |
//! | `label` | `[[start, end, "LABEL"], …]` | spans in doccano's form |
//! | `spans` | `[{"start", "end", "label", "text"?, "score"?, "model"?, "attrs"?, "notes"?}, …]` | spans with their details; a `label` entry with the same offsets and label as a `spans` entry is the same span, read once |
//!
//! Offsets are Unicode code points (Python `str` indices) into `text`, start
//! inclusive, end exclusive. A span's `text`, when given, must equal the text
//! at its offsets. Other fields are ignored, unless layers are read from the
//! file (below). Example (one line):
//!
//! ```json
//! {"id": "a1", "text": "قصف على إدلب",
//!  "spans": [{"start": 0, "end": 3, "label": "EVENT", "text": "قصف", "score": 0.91, "model": "ner-v2", "notes": ["غارة"]},
//!            {"start": 8, "end": 12, "label": "GPE"}]}
//! ```
//!
//! A bad line is reported as `file:line: field: reason`, e.g.
//! `news.jsonl:7: spans[2].end: expected a whole number ≥ 0, found -3`.
//!
//! ## Layers from the file
//!
//! With `layers_from_file` (`tawsim import --layers-from-file`), a `spans`
//! entry that has a `layer_kind` (as tawsim's own JSONL export writes, see
//! [`crate::export::jsonl`]) also gets a [`Provenance`] from these fields,
//! so the store puts it back where it was made:
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `layer_kind` | `"annotator"`, `"imported"` or `"gold"` | the kind of layer the span belongs to |
//! | `layer` | string | the layer's name (required for `"imported"`) |
//! | `annotator` | string | who made the span (for `"annotator"`, the layer's annotator; `layer` when absent) |
//! | `uid` | string, 32 hex digits (hyphens allowed) | the span's global identity |
//! | `created_at`, `updated_at` | string, RFC 3339 UTC, e.g. `"2025-01-16T09:30:12.345Z"` | when the span was made and last changed |
//!
//! Each is checked like the other fields (`spans[0].uid: "x" is not a uid
//! (32 hexadecimal digits)`). A span without `layer_kind` (a `label` entry,
//! another tool's file, an export older than the field) has no provenance
//! and goes into the file's layer, as without the option.

use serde_json::{Map, Value, json};

use super::txt::shorten_title;
use crate::model::Attrs;
use crate::store::import::{ImportRecord, ImportSpan, Problem, Provenance};
use crate::store::{LayerKind, NewDocument, Uid};

/// Records and problems of one file.
#[derive(Debug, Default)]
pub struct JsonlRead {
    pub records: Vec<ImportRecord>,
    pub problems: Vec<Problem>,
    /// A byte-order mark was removed from the start.
    pub had_bom: bool,
}

/// Read the bytes of a JSONL file named `file` (as shown in messages); spans
/// go into `layer`, or with `layers_from_file` where their fields say (see
/// the module documentation).
pub fn parse_jsonl(bytes: &[u8], file: &str, layer: &str, layers_from_file: bool) -> JsonlRead {
    let mut out = JsonlRead::default();
    let mut sink = |item: Result<ImportRecord, Problem>, _: usize| {
        match item {
            Ok(record) => out.records.push(record),
            Err(problem) => out.problems.push(problem),
        }
        true
    };
    // Reading from a slice cannot fail.
    let had_bom = read_jsonl(bytes, file, layer, layers_from_file, &mut sink).unwrap_or(false);
    out.had_bom = had_bom;
    out
}

/// Read a JSONL file named `file` line by line from `reader`, handing each
/// record or problem to `sink` with the bytes read so far, so a file of any
/// size is read in constant memory. `sink` returns `false` to stop reading.
/// `layers_from_file`: read each span's layer, annotator, uid and times too
/// (see the module documentation). Returns whether a byte-order mark was
/// removed; fails only when `reader` does.
pub fn read_jsonl(
    mut reader: impl std::io::BufRead,
    file: &str,
    layer: &str,
    layers_from_file: bool,
    sink: &mut dyn FnMut(Result<ImportRecord, Problem>, usize) -> bool,
) -> std::io::Result<bool> {
    let file_name = super::file_name(file);
    let mut had_bom = false;
    let mut buf = Vec::new();
    let mut consumed = 0;
    let mut line = 0;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        consumed += n;
        line += 1;
        let mut raw: &[u8] = &buf;
        if line == 1 {
            let (body, bom) = super::strip_bom(raw);
            had_bom = bom;
            raw = body;
        }
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let problem = |reason: String| Problem {
            file: file.to_owned(),
            line: Some(line),
            reason,
        };
        let item = match std::str::from_utf8(raw) {
            Err(e) => Err(problem(format!(
                "not valid UTF-8 at byte {} of the line; save the file as UTF-8",
                e.valid_up_to()
            ))),
            Ok(src) => match parse_line(src, &file_name, line, layers_from_file) {
                Ok((doc, spans)) => Ok(ImportRecord {
                    doc: NewDocument {
                        source: file.to_owned(),
                        ..doc
                    },
                    spans,
                    layer: layer.to_owned(),
                    file: file.to_owned(),
                    line,
                }),
                Err(reason) => Err(problem(reason)),
            },
        };
        if !sink(item, consumed) {
            break;
        }
    }
    Ok(had_bom)
}

fn parse_line(
    src: &str,
    file_name: &str,
    line: usize,
    layers_from_file: bool,
) -> Result<(NewDocument, Vec<ImportSpan>), String> {
    let value: Value = serde_json::from_str(src).map_err(|e| {
        format!(
            "not valid JSON at column {}: {e}; each line must be one JSON object",
            e.column()
        )
    })?;
    let Value::Object(object) = value else {
        return Err(format!(
            "expected a JSON object, found {}; each line must be one object with a \"text\"",
            kind(&value)
        ));
    };
    let text = match object.get("text") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => return Err(format!("text: expected a string, found {}", kind(other))),
        None => return Err("text: missing; every line needs a \"text\" string".into()),
    };
    let id = match object.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(format!(
                "id: expected a string or a number, found {}",
                kind(other)
            ));
        }
    };
    let title = match object.get("title") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(shorten_title(s.trim())),
        Some(Value::String(_)) => None,
        Some(other) => return Err(format!("title: expected a string, found {}", kind(other))),
    };
    let meta = match object.get("meta") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Object(m)) => Value::Object(m.clone()),
        Some(other) => return Err(format!("meta: expected an object, found {}", kind(other))),
    };
    let mut spans = Vec::new();
    match object.get("label") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                spans.push(doccano_span(item, i)?);
            }
        }
        Some(other) => {
            return Err(format!(
                "label: expected a list of [start, end, \"LABEL\"], found {}",
                kind(other)
            ));
        }
    }
    match object.get("spans") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let mut detailed = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                detailed.push(object_span(item, i, layers_from_file)?);
            }
            // A `label` entry that repeats a `spans` entry (same offsets and
            // label, as tawsim's own export writes for doccano) is the same
            // span: keep the detailed one only.
            spans.retain(|l: &ImportSpan| {
                !detailed
                    .iter()
                    .any(|d| (d.start, d.end, &d.label) == (l.start, l.end, &l.label))
            });
            spans.extend(detailed);
        }
        Some(other) => {
            return Err(format!(
                "spans: expected a list of span objects, found {}",
                kind(other)
            ));
        }
    }
    let title = title
        .or_else(|| id.clone())
        .unwrap_or_else(|| shorten_title(text.lines().next().unwrap_or_default().trim()));
    let mut doc_meta = Map::new();
    doc_meta.insert("file_name".into(), json!(file_name));
    doc_meta.insert("line".into(), json!(line));
    if let Some(id) = id {
        doc_meta.insert("id".into(), json!(id));
    }
    if !meta.is_null() {
        doc_meta.insert("meta".into(), meta);
    }
    Ok((
        NewDocument {
            title,
            text,
            source: String::new(),
            meta: Value::Object(doc_meta),
        },
        spans,
    ))
}

fn doccano_span(item: &Value, i: usize) -> Result<ImportSpan, String> {
    let field = format!("label[{i}]");
    let Value::Array(parts) = item else {
        return Err(format!(
            "{field}: expected [start, end, \"LABEL\"], found {}",
            kind(item)
        ));
    };
    if parts.len() != 3 {
        return Err(format!(
            "{field}: expected [start, end, \"LABEL\"], found a list of {}",
            parts.len()
        ));
    }
    let start = offset(&parts[0], &format!("{field}[0]"))?;
    let end = offset(&parts[1], &format!("{field}[1]"))?;
    let label = match &parts[2] {
        Value::String(s) => s.clone(),
        other => {
            return Err(format!(
                "{field}[2]: expected the label as a string, found {}",
                kind(other)
            ));
        }
    };
    Ok(ImportSpan {
        start,
        end,
        label,
        text: None,
        score: None,
        model: None,
        attrs: Attrs::new(),
        note: String::new(),
        field,
        provenance: None,
    })
}

fn object_span(item: &Value, i: usize, layers_from_file: bool) -> Result<ImportSpan, String> {
    let field = format!("spans[{i}]");
    let Value::Object(span) = item else {
        return Err(format!(
            "{field}: expected an object with start, end and label, found {}",
            kind(item)
        ));
    };
    let get = |name: &str| span.get(name).filter(|v| !v.is_null());
    let required = |name: &str| {
        get(name)
            .ok_or_else(|| format!("{field}.{name}: missing; a span needs start, end and label"))
    };
    let start = offset(required("start")?, &format!("{field}.start"))?;
    let end = offset(required("end")?, &format!("{field}.end"))?;
    let label = match required("label")? {
        Value::String(s) => s.clone(),
        other => {
            return Err(format!(
                "{field}.label: expected a string, found {}",
                kind(other)
            ));
        }
    };
    let text = match get("text") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(format!(
                "{field}.text: expected a string, found {}",
                kind(other)
            ));
        }
    };
    let score = match get("score") {
        None => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => {
            return Err(format!(
                "{field}.score: expected a number, found {}",
                kind(other)
            ));
        }
    };
    let model = match get("model") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(format!(
                "{field}.model: expected a string, found {}",
                kind(other)
            ));
        }
    };
    let attrs = match get("attrs") {
        None => Attrs::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(format!(
                "{field}.attrs: expected an object, found {}",
                kind(other)
            ));
        }
    };
    // tawsim's own export writes notes as a list of strings (`[]`: none).
    let note = match get("notes") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            let mut lines = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => lines.push(s.as_str()),
                    other => {
                        return Err(format!(
                            "{field}.notes: expected strings, found {}",
                            kind(other)
                        ));
                    }
                }
            }
            lines.join("\n")
        }
        Some(other) => {
            return Err(format!(
                "{field}.notes: expected a list of strings, found {}",
                kind(other)
            ));
        }
    };
    let provenance = if layers_from_file {
        provenance(span, &field)?
    } else {
        None
    };
    Ok(ImportSpan {
        start,
        end,
        label,
        text,
        score,
        model,
        attrs,
        note,
        field,
        provenance,
    })
}

/// The layer, annotator, uid and times of a `spans` entry (see the module
/// documentation); `None` when it has no `layer_kind`.
fn provenance(span: &Map<String, Value>, field: &str) -> Result<Option<Provenance>, String> {
    let string = |name: &str| match span.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
        Some(other) => Err(format!(
            "{field}.{name}: expected a string, found {}",
            kind(other)
        )),
    };
    let Some(kind_name) = string("layer_kind")? else {
        return Ok(None);
    };
    let layer_kind = LayerKind::parse(kind_name).ok_or_else(|| {
        format!(
            "{field}.layer_kind: expected \"annotator\", \"imported\" or \"gold\", found {kind_name:?}"
        )
    })?;
    let layer = string("layer")?;
    let annotator = string("annotator")?;
    let layer = match (layer_kind, layer, annotator) {
        (_, Some(layer), _) => layer,
        (LayerKind::Annotator, None, Some(annotator)) => annotator,
        (LayerKind::Gold, None, _) => "",
        (LayerKind::Annotator, None, None) => {
            return Err(format!(
                "{field}.annotator: missing; a span of an annotator's layer names its annotator"
            ));
        }
        (LayerKind::Imported, None, _) => {
            return Err(format!(
                "{field}.layer: missing; a span of an imported layer names its layer"
            ));
        }
    };
    let uid = string("uid")?
        .map(|s| s.parse::<Uid>().map_err(|e| format!("{field}.uid: {e}")))
        .transpose()?;
    let time = |name: &str| -> Result<Option<String>, String> {
        string(name)?
            .map(|s| {
                humantime::parse_rfc3339(s)
                    .map(|t| humantime::format_rfc3339_millis(t).to_string())
                    .map_err(|_| {
                        format!(
                            "{field}.{name}: expected a UTC time such as \"2025-01-16T09:30:12.345Z\", found {s:?}"
                        )
                    })
            })
            .transpose()
    };
    Ok(Some(Provenance {
        kind: layer_kind,
        layer: layer.to_owned(),
        annotator: annotator.map(str::to_owned),
        uid,
        created_at: time("created_at")?,
        updated_at: time("updated_at")?,
    }))
}

fn offset(value: &Value, field: &str) -> Result<usize, String> {
    value
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("{field}: expected a whole number ≥ 0, found {value}"))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_span_forms_are_read_with_their_fields() {
        let src = "\u{feff}{\"id\": 7, \"text\": \"قصف على إدلب\", \"label\": [[8, 12, \"GPE\"]]}\r\n\r\n{\"text\": \"قصف حماة\", \"label\": [[0, 3, \"EVENT\"]], \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"EVENT\", \"text\": \"قصف\", \"score\": 0.5, \"model\": \"m\", \"attrs\": {\"k\": 1}, \"notes\": [\"غارة\", \"ليلية\"]}]}\n";
        let read = parse_jsonl(src.as_bytes(), "dir/a.jsonl", "L", false);
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert!(read.had_bom);
        let [first, second] = read.records.as_slice() else {
            panic!("two records")
        };
        assert_eq!(first.doc.text, "قصف على إدلب");
        assert_eq!(first.doc.title, "7");
        assert_eq!(first.doc.meta["id"], "7");
        assert_eq!(first.doc.meta["file_name"], "a.jsonl");
        assert_eq!(first.line, 1);
        assert_eq!(first.spans[0].label, "GPE");
        assert_eq!((first.spans[0].start, first.spans[0].end), (8, 12));
        // A `label` entry repeating a `spans` entry is read once, with its details.
        assert_eq!(second.line, 3);
        let [span] = second.spans.as_slice() else {
            panic!("one span, from `spans`")
        };
        assert_eq!(span.score, Some(0.5));
        assert_eq!(span.model.as_deref(), Some("m"));
        assert_eq!(span.attrs["k"], 1);
        assert_eq!(span.note, "غارة\nليلية");
        assert_eq!(span.field, "spans[0]");
    }

    #[test]
    fn layer_fields_are_read_only_with_layers_from_the_file() {
        let src = r#"{"text": "قصف على إدلب", "label": [[8, 12, "PLACE"], [0, 3, "EVENT"]], "spans": [{"start": 8, "end": 12, "label": "PLACE", "layer": "عمر", "layer_kind": "annotator", "annotator": " عمر ", "uid": "0194687A93C17D2E8A4F3B9C2D1E0F11", "created_at": "2025-01-16T09:30:12Z", "updated_at": "2025-01-17T10:00:00.5Z"}, {"start": 8, "end": 12, "label": "PLACE", "layer": "gold", "layer_kind": "gold"}]}"#;
        let plain = parse_jsonl(src.as_bytes(), "a.jsonl", "a.jsonl", false);
        assert!(
            plain.records[0]
                .spans
                .iter()
                .all(|s| s.provenance.is_none())
        );
        let read = parse_jsonl(src.as_bytes(), "a.jsonl", "a.jsonl", true);
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let spans = &read.records[0].spans;
        // The `label` entry that no `spans` entry repeats has no provenance.
        assert_eq!(spans.len(), 3);
        assert_eq!(
            (spans[0].label.as_str(), &spans[0].provenance),
            ("EVENT", &None)
        );
        let omar = spans[1].provenance.as_ref().unwrap();
        assert_eq!(omar.kind, LayerKind::Annotator);
        assert_eq!(omar.annotator.as_deref(), Some("عمر"));
        assert_eq!(
            omar.uid.map(|u| u.to_string()).as_deref(),
            Some("0194687a-93c1-7d2e-8a4f-3b9c2d1e0f11")
        );
        // Times in the store's form: UTC with milliseconds.
        assert_eq!(omar.created_at.as_deref(), Some("2025-01-16T09:30:12.000Z"));
        assert_eq!(omar.updated_at.as_deref(), Some("2025-01-17T10:00:00.500Z"));
        let gold = spans[2].provenance.as_ref().unwrap();
        assert_eq!(
            (gold.kind, gold.annotator.as_deref(), gold.uid),
            (LayerKind::Gold, None, None)
        );
    }

    #[test]
    fn each_bad_line_names_its_line_and_field() {
        let src = [
            r#"{"text": "إدلب", "spans": [{"start": 0, "end": 4, "label": "PLACE"}, {"start": 0, "end": -3, "label": "PLACE"}]}"#,
            r#"{"title": "بلا نص"}"#,
            r#"{"text": "حماة", "label": [[0, 4]]}"#,
            r#"{"text": "حماة""#,
            r#"["حماة"]"#,
            r#"{"text": "حماة", "spans": [{"start": 0, "label": "PLACE"}]}"#,
        ]
        .join("\n");
        let read = parse_jsonl(src.as_bytes(), "bad.jsonl", "L", false);
        assert!(read.records.is_empty());
        let messages: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages[0],
            "bad.jsonl:1: spans[1].end: expected a whole number ≥ 0, found -3"
        );
        assert_eq!(
            messages[1],
            "bad.jsonl:2: text: missing; every line needs a \"text\" string"
        );
        assert_eq!(
            messages[2],
            "bad.jsonl:3: label[0]: expected [start, end, \"LABEL\"], found a list of 2"
        );
        assert!(
            messages[3].starts_with("bad.jsonl:4: not valid JSON at column"),
            "{}",
            messages[3]
        );
        assert_eq!(
            messages[4],
            "bad.jsonl:5: expected a JSON object, found a list; each line must be one object with a \"text\""
        );
        assert_eq!(
            messages[5],
            "bad.jsonl:6: spans[0].end: missing; a span needs start, end and label"
        );
    }
}
