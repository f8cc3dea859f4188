//! Label Studio export: a folder that Label Studio takes in one step, its
//! labelling config and its tasks, every tawsim layer a prediction.
//!
//! It must not drop or move a span: every live span of the chosen layers
//! (after `--labels`) is written with the code-point offsets it has in the
//! store, and [`crate::io::labelstudio`] reads Label Studio's export of it
//! back into the same layers.
//!
//! # Format
//!
//! A folder with `config.xml`, `tasks.json` (with `--split`: `train.json`,
//! `dev.json`, `test.json`) and `manifest.json`.
//!
//! `config.xml` is the project's labelling config: one `<Label>` per label
//! of the project's label schema, in the schema's order, with its colour,
//! then any other label the exported spans carry (kept on import with
//! `--keep-unknown`), in grey:
//!
//! ```xml
//! <View>
//!   <Labels name="label" toName="text">
//!     <Label value="PLACE" background="#2e7d32"/>
//!     <Label value="DATE" background="#1565c0"/>
//!   </Labels>
//!   <Text name="text" value="$text"/>
//! </View>
//! ```
//!
//! `tasks.json` is a JSON list of tasks, one a line, in the form Label
//! Studio's *Import* (and `POST /api/projects/{id}/import`) reads. Each task's
//! `data` holds `text` (the document exactly as stored), `title`,
//! `tawsim_id` (the document's export id, see [`super::jsonl`]) and `sha256`
//! (of the text's UTF-8 bytes: a stable id whatever the project). Each layer
//! with spans in the document is one prediction, so an annotator sees every
//! layer as a pre-annotation and Label Studio keeps the layer's name:
//!
//! | key | meaning |
//! |---|---|
//! | `model_version` | the layer's name |
//! | `result[]` | one region per span: `id` (the span's uid without hyphens), `from_name` `"label"`, `to_name` `"text"`, `type` `"labels"`, `value` `{start, end, text, labels: [LABEL]}`, and `score` when the span has one |
//!
//! Offsets are Unicode code points, start inclusive, end exclusive: what
//! Label Studio itself counts (see [`crate::io::labelstudio`] for the
//! evidence), so `--offsets utf16` does not apply. Example (one task,
//! wrapped here):
//!
//! ```json
//! [{"data":{"text":"قصف على وإدلب","title":"قصف","tawsim_id":"1","sha256":"9f…"},
//!   "predictions":[{"model_version":"layla","result":[{"id":"0194687a93c17d2e8a4f3b9c2d1e0f11",
//!     "from_name":"label","to_name":"text","type":"labels",
//!     "value":{"start":9,"end":13,"text":"إدلب","labels":["PLACE"]}}]}]}
//! ]
//! ```

use serde::Serialize;

use super::{Document, ExportError, FormatWriter, OffsetUnit, Out, Part, Tally, WriterContext};
use crate::schema::Schema;

#[derive(Serialize)]
struct Task<'a> {
    data: Data<'a>,
    predictions: Vec<Prediction<'a>>,
}

#[derive(Serialize)]
struct Data<'a> {
    text: &'a str,
    title: &'a str,
    tawsim_id: &'a str,
    sha256: String,
}

#[derive(Serialize)]
struct Prediction<'a> {
    model_version: &'a str,
    result: Vec<Region<'a>>,
}

#[derive(Serialize)]
struct Region<'a> {
    id: String,
    from_name: &'static str,
    to_name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    value: Value<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
}

#[derive(Serialize)]
struct Value<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    labels: [&'a str; 1],
}

/// The labelling config for `schema` plus `extra` labels (see the module
/// documentation).
pub fn config_xml(schema: &Schema, extra: &[String]) -> String {
    let mut xml = String::from("<View>\n  <Labels name=\"label\" toName=\"text\">\n");
    let mut label = |name: &str, [r, g, b]: [u8; 3]| {
        xml.push_str(&format!(
            "    <Label value=\"{}\" background=\"#{r:02x}{g:02x}{b:02x}\"/>\n",
            escape_attr(name)
        ));
    };
    for def in schema.labels() {
        label(&def.name, def.color);
    }
    for name in extra {
        if schema.label(name).is_none() {
            label(name, [0x9e, 0x9e, 0x9e]);
        }
    }
    xml.push_str("  </Labels>\n  <Text name=\"text\" value=\"$text\"/>\n</View>\n");
    xml
}

/// `s` escaped for an XML attribute in double quotes.
fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// One list file (`tasks.json` or a part) being written.
struct TaskFile {
    out: Out,
    first: bool,
}

pub struct LabelStudioWriter<'a> {
    files: Vec<TaskFile>,
    staging: &'a super::Staging,
    config: String,
}

impl<'a> LabelStudioWriter<'a> {
    /// Files in `ctx`'s staging folder; `schema` is the project's label
    /// schema, for `config.xml`.
    pub fn new(ctx: &WriterContext<'a>, schema: &Schema) -> Result<Self, ExportError> {
        let names: &[&str] = if ctx.split {
            &["train.json", "dev.json", "test.json"]
        } else {
            &["tasks.json"]
        };
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let mut out = ctx.staging.create(name, name)?;
            out.write(b"[")?;
            files.push(TaskFile { out, first: true });
        }
        Ok(LabelStudioWriter {
            files,
            staging: ctx.staging,
            config: config_xml(schema, ctx.labels),
        })
    }
}

impl FormatWriter for LabelStudioWriter<'_> {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let mut predictions: Vec<Prediction<'_>> = Vec::new();
        for span in &doc.doc.spans {
            doc.check_written(span, span.start, span.end, OffsetUnit::Codepoint, tally)?;
            let region = Region {
                id: span.uid.map_or_else(
                    || format!("span{}", span.id),
                    |uid| uid.to_string().replace('-', ""),
                ),
                from_name: "label",
                to_name: "text",
                kind: "labels",
                value: Value {
                    start: span.start,
                    end: span.end,
                    text: &span.text,
                    labels: [&span.label],
                },
                score: span.score,
            };
            match predictions
                .iter_mut()
                .find(|p| p.model_version == &*span.layer)
            {
                Some(p) => p.result.push(region),
                None => predictions.push(Prediction {
                    model_version: &span.layer,
                    result: vec![region],
                }),
            }
            tally.written(span);
        }
        let task = Task {
            data: Data {
                text: &doc.doc.text,
                title: &doc.doc.title,
                tawsim_id: &doc.export_id,
                sha256: crate::store::sha256_hex(doc.doc.text.as_bytes()),
            },
            predictions,
        };
        let i = if self.files.len() == 3 {
            match part {
                Part::Train => 0,
                Part::Dev => 1,
                Part::Test => 2,
            }
        } else {
            0
        };
        let file = &mut self.files[i];
        file.out.write(if file.first { b"\n" } else { b",\n" })?;
        file.first = false;
        let path = file.out.path.clone();
        let json = serde_json::to_vec(&task).map_err(|e| ExportError::Io {
            action: "write the export",
            path,
            source: e.into(),
        })?;
        file.out.write(&json)
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        let mut names = Vec::with_capacity(self.files.len() + 1);
        for mut file in self.files {
            file.out.write(b"\n]\n")?;
            names.push(file.out.finish()?);
        }
        let mut config = self.staging.create("config.xml", "config.xml")?;
        config.write(self.config.as_bytes())?;
        names.push(config.finish()?);
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lists_schema_labels_with_colours_then_extra_labels_escaped() {
        let schema = Schema::parse(
            r##"(name: "news", version: 1, labels: [
                (name: "PLACE", arabic: "مكان", color: "#2e7d32"),
                (name: "DATE", arabic: "تاريخ", color: "#1565C0"),
            ])"##,
            "news.ron",
        )
        .unwrap();
        let xml = config_xml(&schema, &["DATE".into(), "A&\"B\"".into()]);
        assert_eq!(
            xml,
            "<View>\n  <Labels name=\"label\" toName=\"text\">\n    <Label value=\"PLACE\" background=\"#2e7d32\"/>\n    <Label value=\"DATE\" background=\"#1565c0\"/>\n    <Label value=\"A&amp;&quot;B&quot;\" background=\"#9e9e9e\"/>\n  </Labels>\n  <Text name=\"text\" value=\"$text\"/>\n</View>\n"
        );
    }
}
