//! Reading doccano's JSONL export of a sequence-labelling project into
//! import records, its UTF-16 offsets turned into code points.
//!
//! The lines are read by the [`jsonl`](super::jsonl) reader (the same
//! fields: `text`, `id`, `title`, `meta`, `label`); this module only changes
//! the unit of each span's offsets, through [`OffsetIndex`], and takes the
//! document id tawsim's own doccano export left in the metadata. It must not
//! change a text, map labels or touch the store.
//!
//! # Format
//!
//! One JSON object per line, as doccano 1.8 writes it (its *Export dataset*,
//! JSONL, a zip holding `all.jsonl` or one file per member), e.g.
//!
//! ```json
//! {"id": 2, "text": "قصف 😢 على وإدلب", "label": [[12, 16, "PLACE"]], "Comments": [], "tawsim_id": "a1"}
//! ```
//!
//! `label` is `[[start, end, "LABEL"], …]`; the metadata doccano kept at
//! import comes back as more keys (`title` and `tawsim_id` from tawsim's
//! [`doccano`](crate::export::doccano) export: the title, and the document id
//! kept in `meta.id`; else doccano's `id` is). A line with `entities` or
//! `relations` (a project with relations) is refused: tawsim does not read
//! relations, so nothing of them would come in.
//!
//! # Offsets
//!
//! Offsets are UTF-16 code units (JavaScript string indices), start
//! inclusive, end exclusive, not code points, although doccano's server is
//! Python: its server stores and exports whatever offsets it is given, and
//! its editor counts UTF-16 units when a project's grapheme mode is off (the
//! default) and grapheme clusters when it is on. Evidence, doccano 1.8.4
//! driven in Chromium 156 by a mouse drag over a word and a click on a label
//! (`tests/interop/doccano_offsets_browser.mjs`), on
//! `قصف 😢 على وإدلب في 12 آذار 2024، و3 قتلى 👍🏽 بينهم طفلان في معرة النعمان.`
//! (😢: one code point, two UTF-16 units; 👍🏽: two code points, four UTF-16
//! units, one grapheme): grapheme mode off, «طفلان» was saved as `53..58`
//! (code points `50..55`); grapheme mode on, «بينهم» as `43..48` (code
//! points `44..49`, UTF-16 `47..52`); and spans imported with code-point
//! offsets were drawn shifted by one unit per emoji before them. So use
//! doccano projects with grapheme mode off (tawsim's doccano export writes
//! UTF-16 units as well). An offset inside a character outside the Basic
//! Multilingual Plane (between the two halves of a surrogate pair) or past
//! the end of the text refuses its line with `file:line: label[i]: …`.

use serde_json::Value;

use super::jsonl::parse_jsonl;
use crate::store::import::{ImportRecord, Problem};
use crate::text::OffsetIndex;

/// Records and problems of one doccano export file.
#[derive(Debug, Default)]
pub struct DoccanoRead {
    pub records: Vec<ImportRecord>,
    pub problems: Vec<Problem>,
    /// A byte-order mark was removed from the start.
    pub had_bom: bool,
}

/// Read the bytes of a doccano JSONL export named `file` (as shown in
/// messages); spans go into `layer`. See the module documentation.
pub fn parse_doccano(bytes: &[u8], file: &str, layer: &str) -> DoccanoRead {
    let read = parse_jsonl(bytes, file, layer, false);
    let mut out = DoccanoRead {
        records: Vec::with_capacity(read.records.len()),
        problems: read.problems,
        had_bom: read.had_bom,
    };
    let body = super::strip_bom(bytes).0;
    // The raw objects by line, for the fields the JSONL reader does not keep.
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    for mut record in read.records {
        let raw = lines
            .get(record.line - 1)
            .and_then(|line| serde_json::from_slice::<Value>(line).ok());
        match convert(&mut record, raw.as_ref()) {
            Ok(()) => out.records.push(record),
            Err(reason) => out.problems.push(Problem {
                file: file.to_owned(),
                line: Some(record.line),
                reason,
            }),
        }
    }
    out.problems.sort_by_key(|p| p.line);
    out
}

/// Turn `record`'s UTF-16 offsets into code points; take `tawsim_id` from
/// the line's object `raw`.
fn convert(record: &mut ImportRecord, raw: Option<&Value>) -> Result<(), String> {
    for key in ["entities", "relations"] {
        if raw
            .and_then(|r| r.get(key))
            .and_then(Value::as_array)
            .is_some_and(|items| !items.is_empty())
        {
            return Err(format!(
                "{key}: a doccano project with relations; tawsim reads spans from \"label\" only, so export a sequence-labelling project without relations"
            ));
        }
    }
    match raw.and_then(|r| r.get("tawsim_id")) {
        Some(Value::String(id)) => record.doc.meta["id"] = Value::String(id.clone()),
        Some(Value::Number(n)) => record.doc.meta["id"] = Value::String(n.to_string()),
        _ => {}
    }
    let index = OffsetIndex::new(&record.doc.text);
    for span in &mut record.spans {
        let to_char = |u: usize, which: &str| {
            index.char_of_utf16(u).ok_or_else(|| {
                if u > index.utf16_len() {
                    format!(
                        "{}: {which} {u} is past the end of the text ({} UTF-16 units); doccano counts UTF-16 units",
                        span.field,
                        index.utf16_len()
                    )
                } else {
                    format!(
                        "{}: {which} {u} falls inside a character outside the Basic Multilingual Plane (an emoji?); doccano counts UTF-16 units, so the offsets are not doccano's (a project in grapheme mode?)",
                        span.field
                    )
                }
            })
        };
        let start = to_char(span.start, "start")?;
        let end = to_char(span.end, "end")?;
        span.start = start;
        span.end = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_become_code_points_after_emoji() {
        // «إدلب»: code points 11..15, UTF-16 units 12..16 (after 😢).
        let src = "{\"id\": 2, \"text\": \"قصف 😢 على وإدلب 👍🏽 حماة\", \"label\": [[0, 3, \"EVENT\"], [12, 16, \"PLACE\"], [22, 26, \"PLACE\"]], \"Comments\": [], \"title\": \"قصف\", \"tawsim_id\": \"a1\"}\n";
        let read = parse_doccano(src.as_bytes(), "all.jsonl", "doccano");
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let record = &read.records[0];
        let got: Vec<(usize, usize, String)> = record
            .spans
            .iter()
            .map(|s| {
                let text: String = record
                    .doc
                    .text
                    .chars()
                    .skip(s.start)
                    .take(s.end - s.start)
                    .collect();
                (s.start, s.end, text)
            })
            .collect();
        assert_eq!(
            got,
            [
                (0, 3, "قصف".to_owned()),
                (11, 15, "إدلب".to_owned()),
                (19, 23, "حماة".to_owned())
            ]
        );
        assert_eq!(record.doc.title, "قصف");
        assert_eq!(record.doc.meta["id"], "a1");
    }

    #[test]
    fn offsets_inside_an_emoji_or_past_the_end_and_relations_are_refused() {
        let src = [
            "{\"text\": \"قصف 😢 إدلب\", \"label\": [[5, 8, \"PLACE\"]]}",
            "{\"text\": \"قصف\", \"label\": [[0, 9, \"EVENT\"]]}",
            "{\"text\": \"قصف\", \"entities\": [{\"id\": 1, \"start_offset\": 0, \"end_offset\": 3, \"label\": \"EVENT\"}], \"relations\": []}",
            "{\"text\": \"قصف\", \"label\": [[0, 3]]}",
        ]
        .join("\n");
        let read = parse_doccano(src.as_bytes(), "all.jsonl", "doccano");
        assert!(read.records.is_empty());
        let messages: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
        assert!(
            messages[0].starts_with(
                "all.jsonl:1: label[0]: start 5 falls inside a character outside the Basic Multilingual Plane"
            ),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with(
                "all.jsonl:2: label[0]: end 9 is past the end of the text (3 UTF-16 units)"
            ),
            "{messages:?}"
        );
        assert!(
            messages[2].starts_with("all.jsonl:3: entities: a doccano project with relations"),
            "{messages:?}"
        );
        assert!(
            messages[3].starts_with("all.jsonl:4: label[0]: expected [start, end, \"LABEL\"]"),
            "{messages:?}"
        );
    }
}
