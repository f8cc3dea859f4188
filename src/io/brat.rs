//! Reading brat standoff annotations (`ID.ann` beside `ID.txt`) into import
//! records, so that brat projects — and tawsim's own brat export — can be
//! imported.
//!
//! # Accepted format
//!
//! `ID.txt` is the document, UTF-8 (a leading byte-order mark is removed; the
//! text is otherwise stored exactly, since offsets count in it). `ID.ann`
//! holds tab-separated lines; offsets are Unicode code points into the text
//! (brat reads it as a Python `str`):
//!
//! - `T1\tPLACE 370 374\tإدلب`: a span. A discontinuous span
//!   `T2\tACTOR 10 20;21 30\t…` is read as one span from the start of its
//!   first piece to the end of its last (tawsim writes a span that crosses a
//!   line break that way); its text is then checked piece by piece.
//! - `A1\tcount T2 19`: an attribute; a value that reads as JSON (a number,
//!   `true`, `false`) keeps that type, anything else is a string; a flag
//!   attribute without value (`A1\tNegated T2`) is `true`.
//! - `#1\tAnnotatorNotes T2\tnote text`: the span's note.
//! - Relations (`R`), events (`E`), equivalences (`*`) and normalisations
//!   (`N`) are not spans: they are skipped and counted in the report.
//!
//! A bad line is reported as `ID.ann:line: reason`. Example:
//!
//! ```text
//! T1	PLACE 370 374	إدلب
//! A1	count T1 19
//! #1	AnnotatorNotes T1	مدنيون فقط
//! ```

// The example above has real tabs, as brat wants.
#![allow(clippy::tabs_in_doc_comments)]

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::model::Attrs;
use crate::store::NewDocument;
use crate::store::import::{ImportRecord, ImportSpan, Problem};

/// What [`parse_brat`] read from one `.ann` / `.txt` pair.
#[derive(Debug, Default)]
pub struct BratRead {
    pub record: Option<ImportRecord>,
    pub problems: Vec<Problem>,
    /// Relation, event, equivalence and normalisation lines skipped.
    pub skipped_lines: usize,
    pub had_bom: bool,
}

/// Read `ann` (the `.ann` file named `file`) against `txt` (its `.txt`);
/// spans go into `layer`.
pub fn parse_brat(txt: &[u8], ann: &[u8], file: &str, layer: &str) -> BratRead {
    let mut out = BratRead::default();
    let whole = |reason: String| Problem {
        file: file.to_owned(),
        line: None,
        reason,
    };
    let (text_bytes, had_bom) = super::strip_bom(txt);
    out.had_bom = had_bom;
    let text = match std::str::from_utf8(text_bytes) {
        Ok(t) => t.to_owned(),
        Err(e) => {
            out.problems.push(whole(format!(
                "its .txt is not valid UTF-8 at byte {}; save it as UTF-8",
                e.valid_up_to()
            )));
            return out;
        }
    };
    if text.is_empty() {
        out.problems
            .push(whole("its .txt is empty: there is no document".into()));
        return out;
    }
    let ann = match std::str::from_utf8(super::strip_bom(ann).0) {
        Ok(a) => a,
        Err(e) => {
            out.problems.push(whole(format!(
                "not valid UTF-8 at byte {}; save it as UTF-8",
                e.valid_up_to()
            )));
            return out;
        }
    };
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<ImportSpan> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (index, raw) in ann.lines().enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        let problem = |reason: String| Problem {
            file: file.to_owned(),
            line: Some(line),
            reason,
        };
        let fields: Vec<&str> = raw.split('\t').collect();
        let id = fields[0];
        match id.chars().next() {
            Some('T') => match text_bound(&fields, &chars) {
                Ok(mut span) => {
                    span.field = format!("{id} (line {line})");
                    by_id.insert(id.to_owned(), spans.len());
                    spans.push(span);
                }
                Err(reason) => out.problems.push(problem(format!("{id}: {reason}"))),
            },
            Some('A') | Some('M') => {
                let parts: Vec<&str> = fields.get(1).map_or(Vec::new(), |f| f.split(' ').collect());
                let (name, target) = match parts.as_slice() {
                    [name, target, ..] => (*name, *target),
                    _ => {
                        out.problems.push(problem(format!(
                            "{id}: an attribute line is `{id}<TAB>NAME TARGET [VALUE]`"
                        )));
                        continue;
                    }
                };
                let Some(&k) = by_id.get(target) else {
                    out.problems.push(problem(format!(
                        "{id}: attribute of {target}, which is not a span defined above"
                    )));
                    continue;
                };
                let value = match parts.get(2) {
                    None => Value::Bool(true),
                    Some(v) => match serde_json::from_str::<Value>(v) {
                        Ok(n @ (Value::Number(_) | Value::Bool(_))) => n,
                        _ => json!(v),
                    },
                };
                spans[k].attrs.insert(name.to_owned(), value);
            }
            Some('#') => {
                let target = fields
                    .get(1)
                    .and_then(|f| f.strip_prefix("AnnotatorNotes "))
                    .map(str::trim);
                let (Some(target), Some(note)) = (target, fields.get(2)) else {
                    out.problems.push(problem(format!(
                        "{id}: a note line is `{id}<TAB>AnnotatorNotes TARGET<TAB>text`"
                    )));
                    continue;
                };
                match by_id.get(target) {
                    Some(&k) => {
                        let span = &mut spans[k];
                        if !span.note.is_empty() {
                            span.note.push('\n');
                        }
                        span.note.push_str(note);
                    }
                    None => out.problems.push(problem(format!(
                        "{id}: note on {target}, which is not a span defined above"
                    ))),
                }
            }
            Some('R') | Some('E') | Some('*') | Some('N') => out.skipped_lines += 1,
            _ => out.problems.push(problem(format!(
                "unknown line type {id:?}; brat lines start with T, A, M, #, R, E, * or N"
            ))),
        }
    }
    let id = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file_name = super::file_name(file);
    let title = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| crate::io::txt::shorten_title(l.trim()))
        .unwrap_or_else(|| id.clone());
    out.record = Some(ImportRecord {
        doc: NewDocument {
            title,
            text,
            source: file.to_owned(),
            meta: json!({ "file_name": file_name, "id": id, "format": "brat" }),
        },
        spans,
        layer: layer.to_owned(),
        file: file.to_owned(),
        line: 1,
    });
    out
}

/// A `T` line: `ID<TAB>LABEL START END[;START END…]<TAB>TEXT`.
fn text_bound(fields: &[&str], chars: &[char]) -> Result<ImportSpan, String> {
    let [_, spec, rest @ ..] = fields else {
        return Err("a span line is `T1<TAB>LABEL START END<TAB>text`".into());
    };
    let (label, ranges) = spec
        .split_once(' ')
        .ok_or_else(|| format!("{spec:?} has no offsets; expected `LABEL START END`"))?;
    let mut pieces = Vec::new();
    for piece in ranges.split(';') {
        let nums: Vec<&str> = piece.split_whitespace().collect();
        let [s, e] = nums.as_slice() else {
            return Err(format!("{piece:?} is not `START END`"));
        };
        let parse = |n: &str| {
            n.parse::<usize>()
                .map_err(|_| format!("offset {n:?} is not a whole number"))
        };
        let (s, e) = (parse(s)?, parse(e)?);
        if s >= e || e > chars.len() {
            return Err(format!(
                "offsets {s} {e} do not fit the text of {} characters",
                chars.len()
            ));
        }
        pieces.push((s, e));
    }
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return Err("a span needs offsets".into());
    };
    let (start, end) = (first.0, last.1);
    if pieces.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err("the pieces of a discontinuous span must be in order".into());
    }
    // brat joins the pieces' texts with one space.
    let stated = rest.first().copied();
    let pieces_text: Vec<String> = pieces
        .iter()
        .map(|(s, e)| chars[*s..*e].iter().collect())
        .collect();
    if let Some(stated) = stated
        && stated != pieces_text.join(" ")
    {
        return Err(format!(
            "the line says {stated:?}, but the text at those offsets is {:?}",
            pieces_text.join(" ")
        ));
    }
    Ok(ImportSpan {
        start,
        end,
        label: label.to_owned(),
        text: (pieces.len() == 1).then(|| pieces_text.concat()),
        score: None,
        model: None,
        attrs: Attrs::new(),
        note: String::new(),
        field: String::new(),
        provenance: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "قصفت قوات الأسد\nمدينة إدلب يوم الخميس";

    #[test]
    fn spans_attributes_notes_and_discontinuous_spans_are_read() {
        let ann = "T1\tPLACE 22 26\tإدلب\nT2\tACTOR 5 15;16 21\tقوات الأسد مدينة\nA1\tcount T2 19\nA2\tside T2 government\nA3\tNegated T1\n#1\tAnnotatorNotes T1\tمدينة في الشمال\nR1\tLocated Arg1:T2 Arg2:T1\n";
        let read = parse_brat(TEXT.as_bytes(), ann.as_bytes(), "d/42.ann", "brat");
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert_eq!(read.skipped_lines, 1);
        let record = read.record.unwrap();
        assert_eq!(record.doc.text, TEXT);
        assert_eq!(record.doc.meta["id"], "42");
        let [place, actor] = record.spans.as_slice() else {
            panic!("two spans")
        };
        assert_eq!(
            (place.start, place.end, place.label.as_str()),
            (22, 26, "PLACE")
        );
        assert_eq!(place.text.as_deref(), Some("إدلب"));
        assert_eq!(place.note, "مدينة في الشمال");
        assert_eq!(place.attrs["Negated"], true);
        // The line-crossing span comes back whole.
        assert_eq!((actor.start, actor.end), (5, 21));
        assert_eq!(actor.attrs["count"], 19);
        assert_eq!(actor.attrs["side"], "government");
    }

    #[test]
    fn bad_lines_name_their_line_and_problem() {
        let ann = "T1\tPLACE 22 26\tحلب\nT2\tPLACE 30 999\tx\nA1\tcount T9 3\nX1\twhat\n";
        let read = parse_brat(TEXT.as_bytes(), ann.as_bytes(), "42.ann", "brat");
        let lines: Vec<String> = read.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(
            lines[0].starts_with("42.ann:1:") && lines[0].contains("\"إدلب\""),
            "{lines:?}"
        );
        assert!(lines[1].contains("do not fit the text"), "{lines:?}");
        assert!(lines[2].contains("T9, which is not a span"), "{lines:?}");
        assert!(lines[3].contains("unknown line type"), "{lines:?}");
    }
}
