//! CSV export: one row per span, for auditors reading the project in a
//! spreadsheet.
//!
//! It must not leave out or reorder spans (rows follow documents in id order,
//! spans by start, end, layer, id) and must not write anything a spreadsheet
//! could misread: every field that holds a comma, a quote, CR or LF is quoted.
//!
//! # Format
//!
//! RFC 4180: UTF-8 (no byte-order mark), CRLF after every row, a header row,
//! a field quoted with `"` when it holds `,` `"` CR or LF, a `"` inside a
//! quoted field doubled. Columns:
//!
//! `document_id, title, label, start, end, text, layer, annotator, attributes,
//! note, score, model, created_at, updated_at`
//!
//! `document_id` is the id written by the JSONL export (the imported `id`, else
//! the project's document id). `start`/`end` are code points (Python `str`
//! indices) or, with `--offsets utf16`, UTF-16 code units; start inclusive, end
//! exclusive. `attributes` is the attribute object as JSON (`{}` when none);
//! `score` and `model` are empty when not set; times are RFC 3339 UTC.
//! Example:
//!
//! ```text
//! document_id,title,label,start,end,text,layer,annotator,attributes,note,score,model,created_at,updated_at
//! 1,"خرق وقف إطلاق النار، إدلب",PLACE,370,374,إدلب,layla,layla,{},,,,2025-01-16T09:30:12.345Z,2025-01-16T09:30:12.345Z
//! 1,"خرق وقف إطلاق النار، إدلب",CASUALTY,260,268,19 مدنياً,layla,layla,"{""count"":19}",,,,2025-01-16T09:31:00.000Z,2025-01-16T09:31:00.000Z
//! ```

use super::{
    Document, ExportError, Format, FormatWriter, Out, Part, Tally, WriterContext, part_out,
};

const HEADER: &str = "document_id,title,label,start,end,text,layer,annotator,attributes,note,score,model,created_at,updated_at\r\n";

/// Append `field` to `row` with RFC 4180 quoting.
pub fn push_field(row: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        row.push('"');
        for c in field.chars() {
            if c == '"' {
                row.push('"');
            }
            row.push(c);
        }
        row.push('"');
    } else {
        row.push_str(field);
    }
}

pub struct CsvWriter {
    outs: Vec<Out>,
    unit: super::OffsetUnit,
    row: String,
}

impl CsvWriter {
    pub fn new(ctx: &WriterContext<'_>) -> Result<CsvWriter, ExportError> {
        let mut outs = ctx.part_files(Format::Csv, "csv")?;
        for out in &mut outs {
            out.write(HEADER.as_bytes())?;
        }
        Ok(CsvWriter {
            outs,
            unit: ctx.offsets,
            row: String::new(),
        })
    }
}

impl FormatWriter for CsvWriter {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let row = &mut self.row;
        row.clear();
        for span in &doc.doc.spans {
            let start = doc.offset(span.start, self.unit);
            let end = doc.offset(span.end, self.unit);
            doc.check_written(span, start, end, self.unit, tally)?;
            let attrs = serde_json::Value::Object(span.attrs.clone()).to_string();
            let score = span.score.map(|s| s.to_string()).unwrap_or_default();
            let fields: [&str; 14] = [
                &doc.export_id,
                &doc.doc.title,
                &span.label,
                &start.to_string(),
                &end.to_string(),
                &span.text,
                &span.layer,
                &span.annotator,
                &attrs,
                &span.note,
                &score,
                span.model.as_deref().unwrap_or(""),
                &span.created_at,
                &span.updated_at,
            ];
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    row.push(',');
                }
                push_field(row, field);
            }
            row.push_str("\r\n");
            tally.written(span);
        }
        part_out(&mut self.outs, part).write(row.as_bytes())
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        self.outs.into_iter().map(Out::finish).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_rfc_4180_needs_it() {
        let cases = [
            ("إدلب", "إدلب"),
            ("إدلب، حماة", "إدلب، حماة"),
            ("a,b", "\"a,b\""),
            ("قال \"لا\"", "\"قال \"\"لا\"\"\""),
            ("سطر\nثان", "\"سطر\nثان\""),
            ("cr\r", "\"cr\r\""),
            ("", ""),
        ];
        for (field, want) in cases {
            let mut row = String::new();
            push_field(&mut row, field);
            assert_eq!(row, want, "{field:?}");
        }
    }
}
