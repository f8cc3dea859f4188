//! brat standoff export: a folder with `ID.txt` and `ID.ann` per document and
//! an `annotation.conf` that declares every label and attribute used.
//!
//! It must never drop a span brat cannot hold as one piece: a span that
//! crosses a line break becomes a discontinuous span of its lines' pieces.
//!
//! # Format
//!
//! `ID` is the project's document id. `ID.txt` is the document text exactly
//! as stored (UTF-8, no byte-order mark). Offsets in `ID.ann` are Unicode code
//! points into it (brat reads the text as a Python `str`), start inclusive,
//! end exclusive. Lines of `ID.ann`, tab-separated as brat wants:
//!
//! - `T1\tPLACE 370 374\tإدلب`: a span. A span that crosses a line break is
//!   written as its pieces between the line breaks, `T2\tACTOR 10 20;21 30\t…`,
//!   with the pieces' texts joined by one space (brat's rule), and counted
//!   under `newline_crossing_discontinuous`.
//! - `A1\tcount T2 19`: an attribute of a span, one line per attribute. The
//!   value is the string itself, or the JSON text of a number or boolean; a
//!   space or tab in a value becomes `_` (counted, `attr_value_whitespace`);
//!   a `null` value is not written (counted, `attr_value_null`).
//! - `#1\tAnnotatorNotes T2\tnote text`: the span's note; a line break or tab
//!   in it becomes a space (counted, `note_line_breaks`).
//!
//! Labels holding whitespace have it replaced by `_` (counted,
//! `label_whitespace`). `annotation.conf` lists the labels under
//! `[entities]`, allows any overlap of entities, and lists each attribute with
//! every value written (`count Arg:<ENTITY>, Value:19|3`). Example:
//!
//! ```text
//! T1	PLACE 370 374	إدلب
//! T2	CASUALTY 260 268	19 مدنياً
//! A1	count T2 19
//! #1	AnnotatorNotes T2	مدنيون فقط
//! ```

// The examples above are real lines of the format, tabs included.
#![allow(clippy::tabs_in_doc_comments)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Document, ExportError, FormatWriter, Part, Tally, WriterContext, describe};

pub struct BratWriter<'a> {
    ctx_staging: &'a super::Staging,
    split: bool,
    labels: BTreeSet<String>,
    attrs: BTreeMap<String, BTreeSet<String>>,
    files: Vec<String>,
    ann: String,
}

impl<'a> BratWriter<'a> {
    pub fn new(ctx: &WriterContext<'a>) -> Result<BratWriter<'a>, ExportError> {
        if ctx.split {
            for part in Part::ALL {
                ctx.staging.mkdir(part.name(super::Format::Brat))?;
            }
        }
        Ok(BratWriter {
            ctx_staging: ctx.staging,
            split: ctx.split,
            labels: ctx.labels.iter().map(|l| no_space(l)).collect(),
            attrs: BTreeMap::new(),
            files: Vec::new(),
            ann: String::new(),
        })
    }

    /// Write one small file whole. Not synced one by one (that would be two
    /// fsyncs per document); a full disk shows up as a write error here.
    fn write_file(&mut self, rel: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let path = self.ctx_staging.path(rel);
        std::fs::write(&path, bytes).map_err(|source| ExportError::Io {
            action: "write the export",
            path,
            source,
        })?;
        self.files.push(rel.to_owned());
        Ok(())
    }
}

/// `s` with every whitespace character replaced by `_`.
fn no_space(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

/// The pieces of `start..end` between line breaks, empty pieces skipped.
pub fn pieces(doc: &Document, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut piece = start;
    let text = doc.slice(start, end).unwrap_or("");
    for (i, c) in text.chars().enumerate() {
        if c == '\n' {
            if piece < start + i {
                out.push((piece, start + i));
            }
            piece = start + i + 1;
        }
    }
    if piece < end {
        out.push((piece, end));
    }
    out
}

impl FormatWriter for BratWriter<'_> {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let prefix = if self.split {
            format!("{}/", part.name(super::Format::Brat))
        } else {
            String::new()
        };
        let mut ann = std::mem::take(&mut self.ann);
        ann.clear();
        let (mut t, mut a, mut n) = (0, 0, 0);
        for span in &doc.doc.spans {
            let pieces = pieces(doc, span.start, span.end);
            if pieces.is_empty() {
                tally.policy(
                    "only_line_breaks_left_out",
                    "a span covering nothing but line breaks has no text brat can show; it is left out",
                    || describe(doc, span),
                );
                continue;
            }
            if pieces.len() > 1 {
                tally.policy(
                    "newline_crossing_discontinuous",
                    "a span that crosses a line break is written as a discontinuous span of its pieces between line breaks",
                    || describe(doc, span),
                );
            }
            let mut texts = Vec::with_capacity(pieces.len());
            let mut ranges = Vec::with_capacity(pieces.len());
            for &(s, e) in &pieces {
                let piece_text = doc.slice(s, e).unwrap_or("");
                texts.push(piece_text);
                ranges.push(format!("{s} {e}"));
            }
            // The pieces must cover exactly the span's text minus its line breaks.
            let joined: String = texts.concat();
            let expected: String = span.text.chars().filter(|c| *c != '\n').collect();
            if joined != expected {
                return Err(doc.mismatch(span, &joined, super::OffsetUnit::Codepoint));
            }
            tally.checked();
            let label = no_space(&span.label);
            if label != span.label {
                tally.policy(
                    "label_whitespace",
                    "whitespace in a label is replaced by _ (brat labels are one word)",
                    || describe(doc, span),
                );
                self.labels.insert(label.clone());
            }
            t += 1;
            let _ = writeln!(
                ann,
                "T{t}\t{label} {}\t{}",
                ranges.join(";"),
                texts.join(" ")
            );
            for (name, value) in &span.attrs {
                let value = match value {
                    serde_json::Value::Null => {
                        tally.policy(
                            "attr_value_null",
                            "an attribute whose value is null is not written",
                            || format!("{} ({name})", describe(doc, span)),
                        );
                        continue;
                    }
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let clean = no_space(&value);
                if clean != value || clean.is_empty() {
                    tally.policy(
                        "attr_value_whitespace",
                        "whitespace in an attribute value is replaced by _ (brat values are one word); an empty value becomes _",
                        || format!("{} ({name}={value:?})", describe(doc, span)),
                    );
                }
                let clean = if clean.is_empty() {
                    "_".to_owned()
                } else {
                    clean
                };
                let name = no_space(name);
                a += 1;
                let _ = writeln!(ann, "A{a}\t{name} T{t} {clean}");
                self.attrs.entry(name).or_default().insert(clean);
            }
            if !span.note.is_empty() {
                let note: String = span
                    .note
                    .chars()
                    .map(|c| {
                        if matches!(c, '\n' | '\r' | '\t') {
                            ' '
                        } else {
                            c
                        }
                    })
                    .collect();
                if note != span.note {
                    tally.policy(
                        "note_line_breaks",
                        "a line break or tab in a note becomes a space (brat notes are one line)",
                        || describe(doc, span),
                    );
                }
                n += 1;
                let _ = writeln!(ann, "#{n}\tAnnotatorNotes T{t}\t{note}");
            }
            tally.written(span);
        }
        let id = doc.doc.id;
        self.write_file(&format!("{prefix}{id}.txt"), doc.doc.text.as_bytes())?;
        self.write_file(&format!("{prefix}{id}.ann"), ann.as_bytes())?;
        self.ann = ann;
        Ok(())
    }

    fn finish(mut self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        let mut conf = String::from("[entities]\n");
        for label in &self.labels {
            let _ = writeln!(conf, "{label}");
        }
        conf.push_str("\n[relations]\n<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>\n");
        conf.push_str("\n[events]\n\n[attributes]\n");
        for (name, values) in &self.attrs {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let _ = writeln!(conf, "{name}\tArg:<ENTITY>, Value:{}", values.join("|"));
        }
        // Many documents: list the folder pattern, not every file.
        let count = self.files.len();
        self.write_file("annotation.conf", conf.as_bytes())?;
        let mut files = vec!["annotation.conf".to_owned()];
        files.push(format!(
            "{count} document files (ID.txt and ID.ann{})",
            if self.split {
                " in train/, dev/, test/"
            } else {
                ""
            }
        ));
        Ok(files)
    }
}
