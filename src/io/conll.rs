//! CoNLL / IOB2 / BIO token files: one token and its tag per line.
//!
//! This module rebuilds documents from tokens and turns the tags into spans.
//! It must not map labels or touch the store; every problem it finds is
//! located as `file:line: reason`.
//!
//! # Format
//!
//! - One token per line: the token is the line's first field and the tag its
//!   last, separated by a tab or spaces (so `token POS chunk TAG` works too).
//! - A blank line ends a sentence. CRLF line ends are read like LF.
//! - A byte-order mark at the start and U+200E/U+200F (left-to-right and
//!   right-to-left marks) anywhere in a token are removed and counted.
//! - Tags: `O`, `B-TYPE` (begins a span of TYPE), `I-TYPE` (continues it). An
//!   `I-TYPE` that follows `O`, another type, or starts a sentence (an orphan)
//!   starts a new span, and is counted.
//! - A sentence's text is its tokens joined with single spaces. With `N`
//!   sentences per document, N consecutive sentences make one document, one
//!   sentence per line (joined with `\n`).
//! - Offsets are code points into that rebuilt text; a span covers its tokens
//!   and the spaces between them.
//!
//! Example (from NewsFANE; the file separates token and tag with a tab):
//!
//! ```text
//! فرانكفورت    B-Population-Center
//! (    O
//! د    B-Media
//! ب    I-Media
//! ا    I-Media
//! )    O
//! ```
//!
//! gives the text `فرانكفورت ( د ب ا )` with spans `0..9 Population-Center`
//! and `12..17 Media`.

use serde_json::json;

use super::txt::shorten_title;
use crate::model::Attrs;
use crate::store::NewDocument;
use crate::store::import::{ImportRecord, ImportSpan, Problem};

/// Records, problems and counts of one file.
#[derive(Debug, Default)]
pub struct ConllRead {
    pub records: Vec<ImportRecord>,
    /// One per bad document (its first bad line); the document is left out.
    pub problems: Vec<Problem>,
    pub sentences: usize,
    pub tokens: usize,
    /// `I-` tags that started a span.
    pub orphan_inside: usize,
    /// U+200E/U+200F removed from tokens.
    pub marks_removed: usize,
    pub had_bom: bool,
}

/// The document being built.
struct Group {
    text: String,
    char_len: usize,
    spans: Vec<ImportSpan>,
    sentences: usize,
    first_line: usize,
    /// First problem met in this document.
    problem: Option<Problem>,
}

/// The span open at the end of the previous token.
struct Open {
    label: String,
    start: usize,
    end: usize,
    line: usize,
}

/// Read a CoNLL/BIO file's bytes; `file` names it in messages, spans go into
/// `layer`, and `sentences_per_doc` sentences (at least 1) make a document.
pub fn parse_conll(bytes: &[u8], file: &str, layer: &str, sentences_per_doc: usize) -> ConllRead {
    let per_doc = sentences_per_doc.max(1);
    let mut out = ConllRead::default();
    let file_name = super::file_name(file);
    let (body, had_bom) = super::strip_bom(bytes);
    out.had_bom = had_bom;
    let mut group: Option<Group> = None;
    let mut open: Option<Open> = None;
    let mut in_sentence = false;
    let mut token = String::new();

    let finish_group = |group: Group, out: &mut ConllRead| {
        if let Some(problem) = group.problem {
            out.problems.push(problem);
            return;
        }
        let title = shorten_title(group.text.lines().next().unwrap_or_default());
        out.records.push(ImportRecord {
            doc: NewDocument {
                title,
                meta: json!({
                    "file_name": file_name,
                    "line": group.first_line,
                    "sentences": group.sentences,
                }),
                text: group.text,
                source: file.to_owned(),
            },
            spans: group.spans,
            layer: layer.to_owned(),
            file: file.to_owned(),
            line: group.first_line,
        });
    };

    for (index, raw) in body.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            if in_sentence {
                close(&mut open, group.as_mut());
                in_sentence = false;
                if let Some(g) = group.as_ref()
                    && g.sentences == per_doc
                    && let Some(g) = group.take()
                {
                    finish_group(g, &mut out);
                }
            }
            continue;
        }
        let g = group.get_or_insert_with(|| Group {
            text: String::new(),
            char_len: 0,
            spans: Vec::new(),
            sentences: 0,
            first_line: line,
            problem: None,
        });
        if !in_sentence {
            in_sentence = true;
            out.sentences += 1;
            g.sentences += 1;
            if g.sentences > 1 {
                g.text.push('\n');
                g.char_len += 1;
            }
        }
        out.tokens += 1;
        let problem = |reason: String| Problem {
            file: file.to_owned(),
            line: Some(line),
            reason,
        };
        let src = match std::str::from_utf8(raw) {
            Ok(src) => src,
            Err(e) => {
                g.problem.get_or_insert_with(|| {
                    problem(format!(
                        "not valid UTF-8 at byte {} of the line; save the file as UTF-8",
                        e.valid_up_to()
                    ))
                });
                continue;
            }
        };
        let mut fields = src.split_ascii_whitespace();
        let (Some(raw_token), Some(tag)) = (fields.next(), fields.next_back()) else {
            g.problem.get_or_insert_with(|| {
                problem(format!(
                    "expected a token and a tag separated by a tab or spaces, found {src:?}"
                ))
            });
            continue;
        };
        token.clear();
        let mut token_chars = 0;
        for c in raw_token.chars() {
            if c == '\u{200E}' || c == '\u{200F}' {
                out.marks_removed += 1;
            } else {
                token.push(c);
                token_chars += 1;
            }
        }
        if token_chars == 0 {
            g.problem.get_or_insert_with(|| {
                problem("the token is empty once its direction marks are removed".into())
            });
            continue;
        }
        let tag = match parse_tag(tag) {
            Ok(tag) => tag,
            Err(reason) => {
                g.problem.get_or_insert_with(|| problem(reason));
                continue;
            }
        };
        // A space before every token but a sentence's first.
        if !g.text.is_empty() && !g.text.ends_with('\n') {
            g.text.push(' ');
            g.char_len += 1;
        }
        let start = g.char_len;
        g.text.push_str(&token);
        g.char_len += token_chars;
        let end = g.char_len;
        match tag {
            Tag::Outside => close(&mut open, Some(g)),
            Tag::Begin(label) => {
                close(&mut open, Some(g));
                open = Some(Open {
                    label: label.to_owned(),
                    start,
                    end,
                    line,
                });
            }
            Tag::Inside(label) => match &mut open {
                Some(span) if span.label == label => span.end = end,
                _ => {
                    close(&mut open, Some(g));
                    out.orphan_inside += 1;
                    open = Some(Open {
                        label: label.to_owned(),
                        start,
                        end,
                        line,
                    });
                }
            },
        }
    }
    close(&mut open, group.as_mut());
    if let Some(g) = group.take() {
        finish_group(g, &mut out);
    }
    out
}

/// End the open span, if any, adding it to the document.
fn close(open: &mut Option<Open>, group: Option<&mut Group>) {
    let (Some(span), Some(group)) = (open.take(), group) else {
        return;
    };
    group.spans.push(ImportSpan {
        start: span.start,
        end: span.end,
        label: span.label,
        text: None,
        score: None,
        model: None,
        attrs: Attrs::new(),
        note: String::new(),
        field: format!("the span from line {}", span.line),
        provenance: None,
    });
}

enum Tag<'a> {
    Outside,
    Begin(&'a str),
    Inside(&'a str),
}

fn parse_tag(tag: &str) -> Result<Tag<'_>, String> {
    if tag == "O" {
        return Ok(Tag::Outside);
    }
    let parsed = if let Some(label) = tag.strip_prefix("B-") {
        Tag::Begin(label)
    } else if let Some(label) = tag.strip_prefix("I-") {
        Tag::Inside(label)
    } else {
        return Err(format!(
            "tag {tag:?} is not O, B-TYPE or I-TYPE; use IOB2/BIO tags"
        ));
    };
    match parsed {
        Tag::Begin("") | Tag::Inside("") => Err(format!("tag {tag:?} has no type after the dash")),
        tag => Ok(tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(read: &ConllRead, doc: usize) -> Vec<(usize, usize, &str)> {
        read.records[doc]
            .spans
            .iter()
            .map(|s| (s.start, s.end, s.label.as_str()))
            .collect()
    }

    #[test]
    fn tokens_join_with_spaces_and_spans_cover_them() {
        let src = "\u{feff}\u{200e}فرانكفورت\tB-Population-Center\r\n(\tO\r\n\u{200e}د\tB-Media\r\n\u{200e}ب\tI-Media\r\n\u{200e}ا\tI-Media\r\n)\tO\r\n\r\nقصف  B-EVENT\n";
        let read = parse_conll(src.as_bytes(), "x/n.txt", "L", 1);
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert!(read.had_bom);
        assert_eq!(read.marks_removed, 4);
        assert_eq!((read.sentences, read.tokens), (2, 7));
        assert_eq!(read.records[0].doc.text, "فرانكفورت ( د ب ا )");
        assert_eq!(
            spans(&read, 0),
            [(0, 9, "Population-Center"), (12, 17, "Media")]
        );
        assert_eq!(read.records[1].doc.text, "قصف");
        assert_eq!(read.records[1].line, 8);
    }

    #[test]
    fn orphan_inside_tags_start_spans_and_sentences_group_by_line() {
        let src = "أ\tI-PER\nب\tI-PER\nج\tI-LOC\nد\tO\nه\tI-LOC\n\nو\tB-LOC\nز\tI-LOC\n";
        let read = parse_conll(src.as_bytes(), "o.bio", "L", 2);
        assert_eq!(read.orphan_inside, 3);
        assert_eq!(read.records.len(), 1);
        assert_eq!(read.records[0].doc.text, "أ ب ج د ه\nو ز");
        assert_eq!(
            spans(&read, 0),
            [(0, 3, "PER"), (4, 5, "LOC"), (8, 9, "LOC"), (10, 13, "LOC")]
        );
    }

    #[test]
    fn a_bad_line_refuses_its_document_only() {
        let src = "أ\tO\n\nب\tX-PER\nج\tO\n\nد\n\nه\tB-\n\n\u{200f}\tO\n\nو\tO\n";
        let read = parse_conll(src.as_bytes(), "bad.conll", "L", 1);
        let messages: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "bad.conll:3: tag \"X-PER\" is not O, B-TYPE or I-TYPE; use IOB2/BIO tags",
                "bad.conll:6: expected a token and a tag separated by a tab or spaces, found \"د\"",
                "bad.conll:8: tag \"B-\" has no type after the dash",
                "bad.conll:10: the token is empty once its direction marks are removed",
            ]
        );
        let texts: Vec<&str> = read.records.iter().map(|r| r.doc.text.as_str()).collect();
        assert_eq!(texts, ["أ", "و"]);
    }
}
