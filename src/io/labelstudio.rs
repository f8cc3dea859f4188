//! Reading a Label Studio project's JSON export into import records: each
//! task is a document, each annotator's annotations one imported layer and
//! each prediction model version another, with scores and model kept.
//!
//! This module must not change a task's text (every offset points into it as
//! given), map labels or touch the store; labels are checked against the
//! schema by the import pipeline like every other format's.
//!
//! # Accepted format
//!
//! The file Label Studio writes for *Export → JSON* (and
//! `GET /api/projects/{id}/export?exportType=JSON`): one JSON list of tasks,
//! UTF-8 (a leading byte-order mark is removed). Fields read:
//!
//! | field | meaning |
//! |---|---|
//! | `id` | the task's id (kept in the document's `meta.label_studio_task`) |
//! | `data.text` | the document; without a `text` string, the only string of `data` other than `title`, `tawsim_id` and `sha256` |
//! | `data.title` | the document's title (default: the text's first line) |
//! | `data.tawsim_id` | the document's id in tawsim's own export (kept in `meta.id`, so a round trip keeps it) |
//! | `annotations[]` | `completed_by` (a user id, or an object with `email`/`id`), `created_at`, `updated_at`, `was_cancelled`, `result[]` |
//! | `predictions[]` | `model_version`, `score`, `created_at`, `updated_at`, `result[]`; a bare number (a prediction's id) is passed over |
//! | `result[]` | a region: `type` must be `"labels"`; `value.start`, `value.end` (offsets), `value.labels` (one span per label), `value.text` (checked), `score` (a prediction region's own score) |
//!
//! Example (shortened):
//!
//! ```json
//! [{"id": 7, "data": {"text": "قصف على وإدلب 😢"},
//!   "annotations": [{"completed_by": {"id": 1, "email": "layla@news.example"},
//!     "created_at": "2025-01-16T09:30:12.345678Z", "was_cancelled": false,
//!     "result": [{"id": "r1", "type": "labels", "from_name": "label", "to_name": "text",
//!       "value": {"start": 9, "end": 13, "text": "إدلب", "labels": ["PLACE"]}}]}],
//!   "predictions": [{"model_version": "ner-v2", "score": 0.91, "result": […]}]}]
//! ```
//!
//! # Layers
//!
//! The spans of every annotation go into the imported layer named after its
//! annotator: the `email` of `completed_by` when the export gives one, else
//! `label-studio-user-ID`; their times are the annotation's `created_at` and
//! `updated_at`. A cancelled (skipped) annotation holds no spans and is
//! passed over. The spans of every prediction go into the imported layer
//! named after its `model_version` (`predictions` when it has none), with
//! `model` set to the model version and `score` to the region's `score`, else
//! the prediction's. `--layer` does not apply to this format.
//!
//! Label Studio's quick export (*Export* in its web page, `GET
//! /api/projects/{id}/export`) lists predictions by id only, so it carries
//! no prediction regions; take the export with predictions in full, as
//! `scripts/interop_servers.sh` does: `POST /api/projects/{id}/exports/`
//! with `{"serialization_options": {"predictions": {"only_id": false},
//! "annotations__completed_by": {"only_id": false}}}` (the second gives
//! annotators' emails instead of their ids), then `GET
//! /api/projects/{id}/exports/{export}/download?exportType=JSON`.
//! An annotation's `prediction` (the prediction it started from) and the
//! task's `drafts` are not read: their regions are not anyone's finished
//! work.
//!
//! # Offsets
//!
//! Offsets are Unicode code points (Python `str` indices), start inclusive,
//! end exclusive, as tawsim stores them: not UTF-16 code units, although
//! Label Studio's editor is JavaScript, and not graphemes. The evidence, on
//! Label Studio 1.23.2 with the text
//! `قصف 😢 على وإدلب في 12 آذار 2024، و3 قتلى 👍🏽 بينهم طفلان في معرة النعمان.`
//! (😢 is one code point and two UTF-16 units; 👍🏽 two code points, four
//! UTF-16 units and one grapheme):
//!
//! - Its editor, driven in Chromium 156 by a real mouse drag over a word and
//!   *Submit* (`tests/interop/labelstudio_offsets_browser.mjs`), saved
//!   «إدلب» as `11..15` (UTF-16: `12..16`), «طفلان» as `50..55` (UTF-16:
//!   `53..58`, graphemes: `49..54`) and «معرة» as `59..63` (UTF-16:
//!   `62..66`): code points.
//! - Its source says why: `web/libs/editor/src/utils/selection-tools.js`
//!   counts each text node as `[...node.textContent].length` in
//!   `findGlobalOffset`, and `charsToCodePoints` notes that "for external
//!   usage js length should be converted to code points count";
//!   `tags/object/RichText/domManager.ts` builds its offsets from `[...text]`.
//! - Its server stores and exports the offsets it is given:
//!   `scripts/interop_servers.sh` imports tawsim's tasks through the API,
//!   exports them back and checks every region of the emoji document against
//!   the text at its code points.
//!
//! Each region's `value.text`, when given, must be the text at its offsets
//! (read through [`OffsetIndex`]). A region that differs refuses its task
//! with `file:line: task 3 (id 17), annotations[0].result[2] (region "r1"):
//! …`, where the line is the task's first line in the file; when the offsets
//! would fit as UTF-16 code units, the message says so (a file written by a
//! tool that counts UTF-16). A region of another type (`choices`,
//! `relation`, `textarea`, …), a task without text and a label missing from
//! the project's schema refuse the import likewise, so nothing is lost
//! silently.

use serde_json::{Map, Value, json};

use super::txt::shorten_title;
use crate::model::{Attrs, CharRange};
use crate::store::import::{ImportRecord, ImportSpan, Problem, Provenance};
use crate::store::{LayerKind, NewDocument};
use crate::text::OffsetIndex;

/// The layer of predictions that name no model version.
pub const PREDICTIONS_LAYER: &str = "predictions";

/// Fields of `data` that are not the text when `data.text` is missing.
const NOT_TEXT: [&str; 3] = ["title", "tawsim_id", "sha256"];

/// Records and problems of one Label Studio export.
#[derive(Debug, Default)]
pub struct LabelStudioRead {
    pub records: Vec<ImportRecord>,
    pub problems: Vec<Problem>,
    /// Tasks in the file (records and refused tasks).
    pub tasks: usize,
    /// A byte-order mark was removed from the start.
    pub had_bom: bool,
}

/// Read the bytes of a Label Studio JSON export named `file` (as shown in
/// messages); see the module documentation. `layer` is the record layer for
/// spans without a provenance (there are none: every span names its layer).
pub fn parse_label_studio(bytes: &[u8], file: &str, layer: &str) -> LabelStudioRead {
    let mut out = LabelStudioRead::default();
    let whole = |reason: String| Problem {
        file: file.to_owned(),
        line: None,
        reason,
    };
    let (body, had_bom) = super::strip_bom(bytes);
    out.had_bom = had_bom;
    let src = match std::str::from_utf8(body) {
        Ok(src) => src,
        Err(e) => {
            out.problems.push(whole(format!(
                "not valid UTF-8 at byte {}; save the file as UTF-8",
                e.valid_up_to()
            )));
            return out;
        }
    };
    let tasks: Vec<Value> = match serde_json::from_str::<Value>(src) {
        Ok(Value::Array(tasks)) => tasks,
        Ok(other) => {
            out.problems.push(whole(format!(
                "expected a JSON list of tasks (Label Studio's \"JSON\" export), found {}",
                kind(&other)
            )));
            return out;
        }
        Err(e) => {
            out.problems.push(Problem {
                file: file.to_owned(),
                line: Some(e.line()),
                reason: format!(
                    "not valid JSON at column {}: {e}; export the project from Label Studio as JSON",
                    e.column()
                ),
            });
            return out;
        }
    };
    let lines = element_lines(src);
    let file_name = super::file_name(file);
    out.tasks = tasks.len();
    for (index, task) in tasks.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(1);
        match read_task(task, index, line, file, &file_name, layer) {
            Ok(record) => out.records.push(record),
            Err(reason) => out.problems.push(Problem {
                file: file.to_owned(),
                line: Some(line),
                reason,
            }),
        }
    }
    out
}

/// The 1-based line on which each element of the top-level JSON list in
/// `src` starts (`src` is valid JSON).
fn element_lines(src: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut line = 1;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_element = false;
    for b in src.bytes() {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if depth == 1 && expect_element && !b.is_ascii_whitespace() && b != b']' {
            lines.push(line);
            expect_element = false;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth == 1 {
                    expect_element = true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_element = true,
            _ => {}
        }
    }
    lines
}

/// `task 3 (id 17)`: how messages name a task (index from 1).
fn task_name(task: &Value, index: usize) -> String {
    match task.get("id") {
        Some(Value::Number(n)) => format!("task {} (id {n})", index + 1),
        Some(Value::String(s)) => format!("task {} (id {s:?})", index + 1),
        _ => format!("task {}", index + 1),
    }
}

fn read_task(
    task: &Value,
    index: usize,
    line: usize,
    file: &str,
    file_name: &str,
    layer: &str,
) -> Result<ImportRecord, String> {
    let name = task_name(task, index);
    let Value::Object(task_obj) = task else {
        return Err(format!(
            "{name}: expected a task object with \"data\", found {}",
            kind(task)
        ));
    };
    let data = match task_obj.get("data") {
        Some(Value::Object(data)) => data,
        Some(other) => {
            return Err(format!(
                "{name}: data: expected an object, found {}",
                kind(other)
            ));
        }
        None => {
            return Err(format!(
                "{name}: data: missing; a task holds its text in data"
            ));
        }
    };
    let text = task_text(data).map_err(|e| format!("{name}: {e}"))?;
    let index_of = OffsetIndex::new(text);
    let mut spans = Vec::new();
    for (a, annotation) in array(task_obj, "annotations").map_err(|e| format!("{name}: {e}"))? {
        let field = format!("annotations[{a}]");
        let Value::Object(annotation) = annotation else {
            return Err(format!(
                "{name}, {field}: expected an object, found {}",
                kind(annotation)
            ));
        };
        if annotation.get("was_cancelled") == Some(&Value::Bool(true)) {
            continue;
        }
        let annotator = annotator_name(annotation.get("completed_by"))
            .map_err(|e| format!("{name}, {field}.completed_by: {e}"))?;
        let created_at =
            time(annotation, "created_at").map_err(|e| format!("{name}, {field}.{e}"))?;
        let updated_at =
            time(annotation, "updated_at").map_err(|e| format!("{name}, {field}.{e}"))?;
        let provenance = Provenance {
            kind: LayerKind::Imported,
            layer: annotator,
            annotator: None,
            uid: None,
            updated_at: updated_at.or_else(|| created_at.clone()),
            created_at,
        };
        let source = Source {
            field: &field,
            provenance: &provenance,
            score: None,
            model: None,
        };
        read_results(annotation, &source, text, &index_of, &name, &mut spans)?;
    }
    for (p, prediction) in array(task_obj, "predictions").map_err(|e| format!("{name}: {e}"))? {
        let field = format!("predictions[{p}]");
        if prediction.is_u64() {
            // Only the prediction's id (Label Studio's quick export): no regions.
            continue;
        }
        let Value::Object(prediction) = prediction else {
            return Err(format!(
                "{name}, {field}: expected an object, found {}",
                kind(prediction)
            ));
        };
        let model = match prediction.get("model_version") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim()).filter(|s| !s.is_empty()),
            Some(other) => {
                return Err(format!(
                    "{name}, {field}.model_version: expected a string, found {}",
                    kind(other)
                ));
            }
        };
        let score = number(prediction, "score").map_err(|e| format!("{name}, {field}.{e}"))?;
        let created_at =
            time(prediction, "created_at").map_err(|e| format!("{name}, {field}.{e}"))?;
        let updated_at =
            time(prediction, "updated_at").map_err(|e| format!("{name}, {field}.{e}"))?;
        let provenance = Provenance {
            kind: LayerKind::Imported,
            layer: model.unwrap_or(PREDICTIONS_LAYER).to_owned(),
            annotator: None,
            uid: None,
            updated_at: updated_at.or_else(|| created_at.clone()),
            created_at,
        };
        let source = Source {
            field: &field,
            provenance: &provenance,
            score,
            model,
        };
        read_results(prediction, &source, text, &index_of, &name, &mut spans)?;
    }
    let title = match data.get("title") {
        Some(Value::String(s)) if !s.trim().is_empty() => shorten_title(s.trim()),
        _ => shorten_title(text.lines().next().unwrap_or_default().trim()),
    };
    let mut meta = Map::new();
    meta.insert("file_name".into(), json!(file_name));
    meta.insert("line".into(), json!(line));
    match data.get("tawsim_id") {
        Some(Value::String(s)) => {
            meta.insert("id".into(), json!(s));
        }
        Some(Value::Number(n)) => {
            meta.insert("id".into(), json!(n.to_string()));
        }
        _ => {}
    }
    if let Some(id) = task_obj.get("id").filter(|v| !v.is_null()) {
        meta.insert("label_studio_task".into(), id.clone());
    }
    Ok(ImportRecord {
        doc: NewDocument {
            title,
            text: text.to_owned(),
            source: file.to_owned(),
            meta: Value::Object(meta),
        },
        spans,
        layer: layer.to_owned(),
        file: file.to_owned(),
        line,
    })
}

/// The text of a task's `data` (see the module documentation).
fn task_text(data: &Map<String, Value>) -> Result<&str, String> {
    match data.get("text") {
        Some(Value::String(text)) => return Ok(text),
        Some(other) => {
            return Err(format!(
                "data.text: expected a string, found {}",
                kind(other)
            ));
        }
        None => {}
    }
    let strings: Vec<(&String, &str)> = data
        .iter()
        .filter(|(k, _)| !NOT_TEXT.contains(&k.as_str()))
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s)))
        .collect();
    match strings.as_slice() {
        [(_, text)] => Ok(text),
        [] => Err("data holds no text: give each task a \"text\" string in data".into()),
        many => Err(format!(
            "data has no \"text\" and several strings ({}); rename the one that holds the document to \"text\"",
            many.iter()
                .map(|(k, _)| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The layer name of an annotation's `completed_by`.
fn annotator_name(value: Option<&Value>) -> Result<String, String> {
    let id = |v: &Value| match v {
        Value::Number(n) => Some(format!("label-studio-user-{n}")),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    match value {
        Some(Value::Object(user)) => user
            .get("email")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .or_else(|| user.get("id").and_then(id))
            .ok_or_else(|| "the user has neither an email nor an id".to_owned()),
        Some(v) => id(v).ok_or_else(|| {
            format!(
                "expected a user id, an email or a user object, found {}",
                kind(v)
            )
        }),
        None => Err("missing; every annotation names who completed it".into()),
    }
}

/// An annotation or a prediction: where its spans go.
struct Source<'a> {
    field: &'a str,
    provenance: &'a Provenance,
    score: Option<f64>,
    model: Option<&'a str>,
}

/// Read the `result` regions of an annotation or prediction into `spans`.
fn read_results(
    object: &Map<String, Value>,
    source: &Source<'_>,
    text: &str,
    index: &OffsetIndex,
    task: &str,
    spans: &mut Vec<ImportSpan>,
) -> Result<(), String> {
    let results = array(object, "result").map_err(|e| format!("{task}, {}.{e}", source.field))?;
    for (r, region) in results {
        let mut field = format!("{}.result[{r}]", source.field);
        if let Some(Value::String(id)) = region.get("id") {
            field.push_str(&format!(" (region {id:?})"));
        }
        let at = |e: String| format!("{task}, {field}: {e}");
        let Value::Object(region) = region else {
            return Err(at(format!("expected an object, found {}", kind(region))));
        };
        match region.get("type") {
            Some(Value::String(t)) if t == "labels" => {}
            Some(Value::String(t)) => {
                return Err(at(format!(
                    "type {t:?} is not a span of text; tawsim imports only \"labels\" regions, so remove the others (or the {t:?} control) before importing"
                )));
            }
            _ => return Err(at("type: missing; expected \"labels\"".into())),
        }
        let Some(Value::Object(value)) = region.get("value") else {
            return Err(at(
                "value: missing; a region holds start, end and labels in value".into(),
            ));
        };
        let start = offset(value.get("start")).map_err(|e| at(format!("value.start: {e}")))?;
        let end = offset(value.get("end")).map_err(|e| at(format!("value.end: {e}")))?;
        let stated = match value.get("text") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                return Err(at(format!(
                    "value.text: expected a string, found {}",
                    kind(other)
                )));
            }
        };
        if let Some(stated) = stated {
            check_text(text, index, start, end, stated).map_err(at)?;
        }
        let labels = match value.get("labels") {
            Some(Value::Array(labels)) if !labels.is_empty() => labels,
            _ => {
                return Err(at(
                    "value.labels: expected a list of at least one label".into()
                ));
            }
        };
        let score = number(region, "score").map_err(at)?.or(source.score);
        for label in labels {
            let Value::String(label) = label else {
                return Err(at(format!(
                    "value.labels: expected strings, found {}",
                    kind(label)
                )));
            };
            spans.push(ImportSpan {
                start,
                end,
                label: label.clone(),
                text: stated.map(str::to_owned),
                score,
                model: source.model.map(str::to_owned),
                attrs: Attrs::new(),
                note: String::new(),
                field: format!("{task}, {field}"),
                provenance: Some(source.provenance.clone()),
            });
        }
    }
    Ok(())
}

/// Check that `stated` is the text at code points `start..end`.
fn check_text(
    text: &str,
    index: &OffsetIndex,
    start: usize,
    end: usize,
    stated: &str,
) -> Result<(), String> {
    let at = |s: usize, e: usize| {
        CharRange::new(s, e)
            .ok()
            .and_then(|range| index.slice(text, range))
    };
    let found = at(start, end);
    if found == Some(stated) {
        return Ok(());
    }
    let as_utf16 = match (index.char_of_utf16(start), index.char_of_utf16(end)) {
        (Some(s), Some(e)) => at(s, e) == Some(stated),
        _ => false,
    };
    let hint = if as_utf16 {
        "; the offsets fit as UTF-16 code units, so the file was written by a tool that counts UTF-16 (Label Studio counts code points): convert its offsets to code points"
    } else {
        "; offsets are code points (Python str indices) into data.text"
    };
    Err(match found {
        Some(found) => format!(
            "value.text {stated:?} differs from {found:?}, the text at {start}..{end}{hint}"
        ),
        None => format!(
            "value.start..value.end {start}..{end} is not a span of the text ({} characters){hint}",
            index.char_len()
        ),
    })
}

/// The elements of list `name` in `object` (none when missing or null).
fn array<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<std::iter::Enumerate<std::slice::Iter<'a, Value>>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok([].iter().enumerate()),
        Some(Value::Array(items)) => Ok(items.iter().enumerate()),
        Some(other) => Err(format!("{name}: expected a list, found {}", kind(other))),
    }
}

fn number(object: &Map<String, Value>, name: &str) -> Result<Option<f64>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(other) => Err(format!("{name}: expected a number, found {}", kind(other))),
    }
}

/// A time field in the store's form (RFC 3339 UTC with milliseconds).
fn time(object: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    let s = match object.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim(),
        Some(other) => return Err(format!("{name}: expected a string, found {}", kind(other))),
    };
    let utc = s.strip_suffix("+00:00").map(|t| format!("{t}Z"));
    humantime::parse_rfc3339(utc.as_deref().unwrap_or(s))
        .map(|t| Some(humantime::format_rfc3339_millis(t).to_string()))
        .map_err(|_| {
            format!("{name}: expected a UTC time such as \"2025-01-16T09:30:12.345Z\", found {s:?}")
        })
}

fn offset(value: Option<&Value>) -> Result<usize, String> {
    match value {
        None | Some(Value::Null) => Err("missing".into()),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| format!("expected a whole number ≥ 0, found {v}")),
    }
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

    /// Arabic, digits and an emoji (two UTF-16 units) before the spans.
    const TEXT: &str = "قصف 😢 على وإدلب في 12 آذار";

    fn read(json: &str) -> LabelStudioRead {
        parse_label_studio(json.as_bytes(), "dir/export.json", "export.json")
    }

    #[test]
    fn annotations_and_predictions_become_layers_with_code_point_offsets() {
        // «إدلب» is at code points 11..15 (UTF-16 units 12..16: after the emoji).
        let json = format!(
            r#"[
  {{"id": 17, "data": {{"text": "{TEXT}", "title": "غارة", "tawsim_id": "a1"}},
    "annotations": [
      {{"completed_by": {{"id": 3, "email": "layla@news.example"}}, "was_cancelled": false,
        "created_at": "2025-01-16T09:30:12.345678Z", "updated_at": "2025-01-17T10:00:00+00:00",
        "result": [{{"id": "r1", "type": "labels", "from_name": "label", "to_name": "text",
          "value": {{"start": 11, "end": 15, "text": "إدلب", "labels": ["PLACE"]}}}}]}},
      {{"completed_by": 4, "result": [{{"type": "labels",
          "value": {{"start": 19, "end": 26, "labels": ["DATE"]}}}}]}},
      {{"completed_by": 5, "was_cancelled": true, "result": []}}],
    "predictions": [
      {{"model_version": "ner-v2", "score": 0.5, "result": [
        {{"type": "labels", "value": {{"start": 11, "end": 15, "text": "إدلب", "labels": ["PLACE"]}}, "score": 0.9}},
        {{"type": "labels", "value": {{"start": 0, "end": 3, "text": "قصف", "labels": ["EVENT"]}}}}]}},
      {{"model_version": "", "result": [
        {{"type": "labels", "value": {{"start": 0, "end": 3, "labels": ["EVENT"]}}}}]}},
      4]}}
]"#
        );
        let read = read(&json);
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let [record] = read.records.as_slice() else {
            panic!("one record")
        };
        assert_eq!(record.doc.text, TEXT);
        assert_eq!(record.doc.title, "غارة");
        assert_eq!(record.doc.meta["id"], "a1");
        assert_eq!(record.doc.meta["label_studio_task"], 17);
        assert_eq!(record.line, 2);
        type Row<'a> = (&'a str, usize, usize, &'a str, Option<f64>, Option<&'a str>);
        let got: Vec<Row> = record
            .spans
            .iter()
            .map(|s| {
                let p = s.provenance.as_ref().unwrap();
                assert_eq!(p.kind, LayerKind::Imported);
                (
                    p.layer.as_str(),
                    s.start,
                    s.end,
                    s.label.as_str(),
                    s.score,
                    s.model.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("layla@news.example", 11, 15, "PLACE", None, None),
                ("label-studio-user-4", 19, 26, "DATE", None, None),
                ("ner-v2", 11, 15, "PLACE", Some(0.9), Some("ner-v2")),
                ("ner-v2", 0, 3, "EVENT", Some(0.5), Some("ner-v2")),
                (PREDICTIONS_LAYER, 0, 3, "EVENT", None, None),
            ]
        );
        let layla = record.spans[0].provenance.as_ref().unwrap();
        assert_eq!(
            layla.created_at.as_deref(),
            Some("2025-01-16T09:30:12.345Z")
        );
        assert_eq!(
            layla.updated_at.as_deref(),
            Some("2025-01-17T10:00:00.000Z")
        );
        // The covered texts, through the offset index, are the stated ones.
        let index = OffsetIndex::new(TEXT);
        let at = |s: &ImportSpan| index.slice(TEXT, CharRange::new(s.start, s.end).unwrap());
        assert_eq!(at(&record.spans[0]), Some("إدلب"));
        assert_eq!(at(&record.spans[1]), Some("12 آذار"));
    }

    #[test]
    fn a_region_whose_text_differs_names_file_task_and_region() {
        // UTF-16 offsets of «إدلب» (12..16) read as code points cover «دلب ».
        let json = format!(
            r#"[{{"id": 1, "data": {{"text": "قصف"}}}},
{{"id": 17, "data": {{"text": "{TEXT}"}}, "annotations": [{{"completed_by": 1, "result": [
  {{"id": "ok", "type": "labels", "value": {{"start": 0, "end": 3, "text": "قصف", "labels": ["EVENT"]}}}},
  {{"id": "Xy1", "type": "labels", "value": {{"start": 12, "end": 16, "text": "إدلب", "labels": ["PLACE"]}}}}]}}]}}]"#
        );
        let read = read(&json);
        assert_eq!(read.records.len(), 1);
        let [problem] = read.problems.as_slice() else {
            panic!("one problem: {:?}", read.problems)
        };
        let message = problem.to_string();
        assert!(
            message.starts_with(
                "dir/export.json:2: task 2 (id 17), annotations[0].result[1] (region \"Xy1\"): value.text \"إدلب\" differs from \"دلب \", the text at 12..16"
            ),
            "{message}"
        );
        assert!(message.contains("fit as UTF-16 code units"), "{message}");
    }

    #[test]
    fn other_region_types_and_bad_files_are_refused_with_where() {
        let choices = r#"[{"data": {"text": "قصف"}, "annotations": [{"completed_by": 1, "result": [{"type": "choices", "value": {"choices": ["war"]}}]}]}]"#;
        let refused = read(choices);
        assert!(refused.records.is_empty());
        assert!(
            refused.problems[0].to_string().starts_with(
                "dir/export.json:1: task 1, annotations[0].result[0]: type \"choices\" is not a span of text"
            ),
            "{}",
            refused.problems[0]
        );
        let no_text = r#"[{"data": {"body": "a", "url": "b"}}]"#;
        assert!(
            read_problem(no_text)
                .contains("data has no \"text\" and several strings (\"body\", \"url\")")
        );
        let one_string = r#"[{"data": {"body": "قصف", "n": 3}}]"#;
        assert_eq!(read(one_string).records[0].doc.text, "قصف");
        assert!(read_problem(r#"{"data": {}}"#).contains("expected a JSON list of tasks"));
        assert!(read_problem("[{\"data\": ").starts_with("dir/export.json:1: not valid JSON"));
        let past = r#"[{"data": {"text": "قصف"}, "predictions": [{"result": [{"type": "labels", "value": {"start": 1, "end": 9, "text": "x", "labels": ["A"]}}]}]}]"#;
        assert!(
            read_problem(past).contains("1..9 is not a span of the text (3 characters)"),
            "{}",
            read_problem(past)
        );
    }

    fn read_problem(json: &str) -> String {
        read(json)
            .problems
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    #[test]
    fn element_lines_follow_strings_and_nesting() {
        let src = "[\n {\"a\": \"x,]\\\"{\"},\n\n [1, {\"b\": [2]}], 3\n]";
        assert_eq!(element_lines(src), [2, 4, 4]);
        assert_eq!(element_lines("[]"), Vec::<usize>::new());
    }
}
