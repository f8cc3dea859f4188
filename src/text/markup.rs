//! Inline span markup for test fixtures and benchmarks, after helix's `test.rs`.
//!
//! Format: plain text in which `[LABEL|covered text]` marks a span. Spans nest
//! (`[ACTOR|قوات [PLACE|الأسد]]`), and `\[`, `\]`, `\|`, `\\` stand for the
//! literal characters. A `|` outside a span's label part is ordinary text.
//! Offsets of the returned spans are code points into the returned text.
//!
//! ```
//! use tawsim::text::markup;
//! let (text, spans) = markup::parse("[PLACE|إدلب] و[PLACE|حماة]").unwrap();
//! assert_eq!(text, "إدلب وحماة");
//! assert_eq!(spans[0].0.as_range(), 0..4);
//! assert_eq!(spans[1].0.as_range(), 6..10);
//! assert_eq!(spans[1].1, "PLACE");
//! ```
//!
//! This is fixture syntax, not a file format users write: errors say what is
//! wrong and at which byte of the markup.

use crate::model::CharRange;

/// Why a markup string could not be parsed; positions are byte offsets into it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkupError {
    #[error(
        "markup: the span opened at byte {byte} has no `|` after its label; write `[LABEL|text]`, or `\\[` for a literal bracket"
    )]
    MissingBar { byte: usize },
    #[error("markup: the span opened at byte {byte} has an empty label; write `[LABEL|text]`")]
    EmptyLabel { byte: usize },
    #[error(
        "markup: the `{label}` span opened at byte {byte} covers no text; put at least one character between `|` and `]`"
    )]
    EmptySpan { label: String, byte: usize },
    #[error(
        "markup: the `{label}` span opened at byte {byte} is never closed; add `]` or escape the `[` as `\\[`"
    )]
    Unclosed { label: String, byte: usize },
    #[error("markup: `]` at byte {byte} closes no span; remove it or escape it as `\\]`")]
    UnmatchedClose { byte: usize },
    #[error(
        "markup: unknown escape `\\{found}` at byte {byte}; only `\\[`, `\\]`, `\\|` and `\\\\` are escapes"
    )]
    BadEscape { found: char, byte: usize },
    #[error("markup: the text ends with a lone `\\` at byte {byte}; write `\\\\` for a backslash")]
    TrailingBackslash { byte: usize },
}

/// Parses inline markup into the plain text and its spans `(range, label)`,
/// sorted by start, longer spans first at the same start.
pub fn parse(src: &str) -> Result<(String, Vec<(CharRange, String)>), MarkupError> {
    struct Open {
        label: String,
        start: usize,
        byte: usize,
    }
    let mut text = String::with_capacity(src.len());
    let mut chars_out = 0usize;
    let mut open: Vec<Open> = Vec::new();
    let mut spans = Vec::new();
    let mut it = src.char_indices();
    while let Some((byte, c)) = it.next() {
        match c {
            '\\' => match it.next() {
                Some((_, e @ ('[' | ']' | '|' | '\\'))) => {
                    text.push(e);
                    chars_out += 1;
                }
                Some((_, found)) => return Err(MarkupError::BadEscape { found, byte }),
                None => return Err(MarkupError::TrailingBackslash { byte }),
            },
            '[' => {
                let mut label = String::new();
                loop {
                    match it.next() {
                        Some((_, '|')) => break,
                        Some((_, '[' | ']' | '\\')) | None => {
                            return Err(MarkupError::MissingBar { byte });
                        }
                        Some((_, l)) => label.push(l),
                    }
                }
                if label.trim().is_empty() {
                    return Err(MarkupError::EmptyLabel { byte });
                }
                open.push(Open {
                    label,
                    start: chars_out,
                    byte,
                });
            }
            ']' => {
                let Some(span) = open.pop() else {
                    return Err(MarkupError::UnmatchedClose { byte });
                };
                let range =
                    CharRange::new(span.start, chars_out).map_err(|_| MarkupError::EmptySpan {
                        label: span.label.clone(),
                        byte: span.byte,
                    })?;
                spans.push((range, span.label));
            }
            _ => {
                text.push(c);
                chars_out += 1;
            }
        }
    }
    if let Some(span) = open.pop() {
        return Err(MarkupError::Unclosed {
            label: span.label,
            byte: span.byte,
        });
    }
    spans.sort_by_key(|(range, _)| (range.start(), std::cmp::Reverse(range.end())));
    Ok((text, spans))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: usize, end: usize) -> CharRange {
        CharRange::new(start, end).unwrap()
    }

    #[test]
    fn nested_spans_come_outer_first() {
        let (text, spans) = parse("[ACTOR|قوات [PLACE|الأسد]]").unwrap();
        assert_eq!(text, "قوات الأسد");
        assert_eq!(
            spans,
            vec![
                (r(0, 10), "ACTOR".to_string()),
                (r(5, 10), "PLACE".to_string())
            ]
        );
    }

    #[test]
    fn escapes_are_literal_text() {
        let (text, spans) = parse(r"\[[DATE|2017\]] a\|b \\").unwrap();
        assert_eq!(text, r"[2017] a|b \");
        assert_eq!(spans, vec![(r(1, 6), "DATE".to_string())]);
    }

    #[test]
    fn errors_point_at_the_byte() {
        // «إدلب» is 8 bytes, so the `[` after it and a space is at byte 9.
        assert_eq!(
            parse("إدلب [PLACE"),
            Err(MarkupError::MissingBar { byte: 9 })
        );
        assert_eq!(
            parse("إدلب [PLACE|حماة"),
            Err(MarkupError::Unclosed {
                label: "PLACE".into(),
                byte: 9
            })
        );
        assert_eq!(parse("إدلب]"), Err(MarkupError::UnmatchedClose { byte: 8 }));
        assert_eq!(
            parse("[PLACE|]"),
            Err(MarkupError::EmptySpan {
                label: "PLACE".into(),
                byte: 0
            })
        );
        assert_eq!(parse("[|x]"), Err(MarkupError::EmptyLabel { byte: 0 }));
        assert_eq!(
            parse(r"a\n"),
            Err(MarkupError::BadEscape {
                found: 'n',
                byte: 1
            })
        );
        assert_eq!(
            parse("a\\"),
            Err(MarkupError::TrailingBackslash { byte: 1 })
        );
        let message = parse("إدلب]").unwrap_err().to_string();
        assert!(
            message.contains("byte 8") && message.contains(r"\]"),
            "{message}"
        );
    }
}
