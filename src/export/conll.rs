//! CoNLL export (IOB2) and the Arabic tokenizer it shares with the `hf`
//! export.
//!
//! It must not drop a span silently: a span IOB2 cannot hold (one that
//! overlaps another, or covers no token) is left out and counted with
//! examples in the manifest, and every split of a token at a span edge is
//! counted too.
//!
//! # Tokenizer
//!
//! 1. Whitespace (`char::is_whitespace`) separates tokens and is never part of one.
//! 2. Punctuation is split off as one-character tokens: ASCII punctuation,
//!    Arabic `،` `؛` `؟` `٪` `٫` `٬` `۔`, quotes `«` `»` `“` `”` `‘` `’` `„`,
//!    `…`, dashes `–` `—`, and the ornate brackets `﴾` `﴿` — except `.` `,`
//!    `:` `٫` `٬` between two digits (`2.5`, `00:01`, `66,000` stay whole).
//! 3. **Span-edge policy** (Treebank style, the only one): a span edge that
//!    falls inside a token splits the token there, so «إدلب» tagged inside
//!    «وإدلب» gives the tokens `و` `إدلب`. Each such split is counted under
//!    `token_split_at_span_edge`.
//!
//! Sentences end at a line break, and after a `.` `!` `?` `؟` `۔` `…` token
//! that is not followed by another of these — but never inside a span: such a
//! break is skipped and counted under `sentence_break_inside_span`.
//!
//! IOB2 holds one label per token, so overlapping spans cannot all be
//! written: spans are taken by start, longer first, and a span that overlaps
//! one already taken is left out (`overlapping_span_left_out`, with
//! examples). A span with no token (only whitespace) is left out too
//! (`span_without_token_left_out`). The entity a span becomes covers its
//! tokens; if the span began or ended with whitespace the entity does not
//! include it (`span_edge_whitespace`). Each written entity is checked: its
//! tokens, concatenated, equal the span's text without whitespace.
//!
//! # Format
//!
//! UTF-8, `\n` line ends. One token per line, `TOKEN\tTAG`; a blank line after
//! every sentence; documents follow each other in id order with no marker.
//! Tags are `O`, `B-LABEL` (first token of a span), `I-LABEL` (the others).
//! There are no offsets: a token is its text. Example (from «شنّت غارات على
//! وإدلب.» with PLACE on «إدلب»):
//!
//! ```text
//! شنّت	O
//! غارات	O
//! على	O
//! و	O
//! إدلب	B-PLACE
//! .	O
//!
//! ```

// The examples above are real lines of the format, tabs included.
#![allow(clippy::tabs_in_doc_comments)]

use std::fmt::Write as _;

use super::{
    Document, ExportError, Format, FormatWriter, Out, Part, Tally, WriterContext, describe,
    part_out,
};

/// A token: code points `start..end` of its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
}

/// Whether `c` is split off as a token of its own (see the module documentation).
pub fn is_split_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '،' | '؛'
                | '؟'
                | '٪'
                | '٫'
                | '٬'
                | '۔'
                | '«'
                | '»'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '„'
                | '…'
                | '–'
                | '—'
                | '﴾'
                | '﴿'
        )
}

fn is_digit(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_numeric())
}

/// Tokens of `chars` by whitespace and punctuation (steps 1 and 2).
pub fn tokenize(chars: &[char]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut run: Option<usize> = None;
    for (i, &c) in chars.iter().enumerate() {
        let number_inside = matches!(c, '.' | ',' | ':' | '٫' | '٬')
            && i > 0
            && is_digit(chars.get(i - 1))
            && is_digit(chars.get(i + 1));
        if c.is_whitespace() || (is_split_punct(c) && !number_inside) {
            if let Some(s) = run.take() {
                tokens.push(Token { start: s, end: i });
            }
            if !c.is_whitespace() {
                tokens.push(Token {
                    start: i,
                    end: i + 1,
                });
            }
        } else if run.is_none() {
            run = Some(i);
        }
    }
    if let Some(s) = run {
        tokens.push(Token {
            start: s,
            end: chars.len(),
        });
    }
    tokens
}

/// Split `tokens` at every offset of `cuts` that falls inside one (step 3).
/// `cuts` must be sorted. Returns the new tokens.
pub fn split_at(tokens: &[Token], cuts: &[usize]) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len() + cuts.len());
    let mut k = 0;
    for t in tokens {
        let mut start = t.start;
        while k < cuts.len() && cuts[k] <= t.start {
            k += 1;
        }
        while k < cuts.len() && cuts[k] < t.end {
            if cuts[k] > start {
                out.push(Token {
                    start,
                    end: cuts[k],
                });
                start = cuts[k];
            }
            k += 1;
        }
        out.push(Token { start, end: t.end });
    }
    out
}

/// A token's tag: `O`, or `B-`/`I-` of a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag<'a> {
    O,
    B(&'a str),
    I(&'a str),
}

/// A document as tokens with IOB2 tags, cut into sentences.
#[derive(Debug)]
pub struct Tagged<'a> {
    pub tokens: Vec<Token>,
    pub tags: Vec<Tag<'a>>,
    /// Token index ranges of the sentences.
    pub sentences: Vec<std::ops::Range<usize>>,
}

fn is_final(chars: &[char], t: Token) -> bool {
    t.end == t.start + 1 && matches!(chars[t.start], '.' | '!' | '?' | '؟' | '۔' | '…')
}

/// Tokenize `doc`, apply the span-edge policy, tag its spans and cut sentences,
/// counting every policy decision in `tally`.
pub fn tag_document<'a>(doc: &'a Document, tally: &mut Tally) -> Result<Tagged<'a>, ExportError> {
    let chars: Vec<char> = doc.doc.text.chars().collect();
    let base = tokenize(&chars);

    // Spans IOB2 can hold: by start, longer first, no overlap.
    let mut order: Vec<usize> = (0..doc.doc.spans.len()).collect();
    order.sort_by_key(|&i| {
        let s = &doc.doc.spans[i];
        (s.start, std::cmp::Reverse(s.end), i)
    });
    let mut kept = Vec::with_capacity(order.len());
    let mut taken_end = 0;
    for i in order {
        let span = &doc.doc.spans[i];
        if span.start < taken_end {
            tally.policy(
                "overlapping_span_left_out",
                "IOB2 gives a token one label: a span overlapping one already taken (by start, longer first) is left out",
                || describe(doc, span),
            );
            continue;
        }
        if chars[span.start..span.end]
            .iter()
            .all(|c| c.is_whitespace())
        {
            tally.policy(
                "span_without_token_left_out",
                "a span of only whitespace has no token to tag; it is left out",
                || describe(doc, span),
            );
            continue;
        }
        taken_end = span.end;
        kept.push(i);
    }

    // Span edges inside a token split it.
    let mut cuts: Vec<usize> = Vec::with_capacity(kept.len() * 2);
    for &i in &kept {
        let span = &doc.doc.spans[i];
        let mut split = false;
        for edge in [span.start, span.end] {
            let k = base.partition_point(|t| t.end <= edge);
            if base.get(k).is_some_and(|t| t.start < edge) {
                cuts.push(edge);
                split = true;
            }
        }
        if split {
            tally.policy(
                "token_split_at_span_edge",
                "a span edge inside a token splits the token there (Treebank style)",
                || describe(doc, span),
            );
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let tokens = split_at(&base, &cuts);

    let mut tags = vec![Tag::O; tokens.len()];
    for &i in &kept {
        let span = &doc.doc.spans[i];
        let first = tokens.partition_point(|t| t.start < span.start);
        let last = tokens.partition_point(|t| t.end <= span.end);
        if first >= last {
            tally.policy(
                "span_without_token_left_out",
                "a span of only whitespace has no token to tag; it is left out",
                || describe(doc, span),
            );
            continue;
        }
        let joined: String = tokens[first..last]
            .iter()
            .flat_map(|t| chars[t.start..t.end].iter())
            .collect();
        let expected: String = span.text.chars().filter(|c| !c.is_whitespace()).collect();
        if joined != expected {
            return Err(doc.mismatch(span, &joined, super::OffsetUnit::Codepoint));
        }
        tally.checked();
        if tokens[first].start != span.start || tokens[last - 1].end != span.end {
            tally.policy(
                "span_edge_whitespace",
                "a span that begins or ends with whitespace becomes an entity of its tokens, without that whitespace",
                || describe(doc, span),
            );
        }
        tags[first] = Tag::B(&span.label);
        for tag in &mut tags[first + 1..last] {
            *tag = Tag::I(&span.label);
        }
        tally.written(span);
    }

    let mut sentences = Vec::new();
    let mut begin = 0;
    for i in 0..tokens.len() {
        let Some(next) = tokens.get(i + 1) else {
            break;
        };
        let line_break = chars[tokens[i].end..next.start].contains(&'\n');
        let full_stop = is_final(&chars, tokens[i]) && !is_final(&chars, *next);
        if line_break || full_stop {
            if matches!(tags[i + 1], Tag::I(_)) {
                tally.policy(
                    "sentence_break_inside_span",
                    "a sentence is not ended inside a span (at a line break or full stop it covers)",
                    || format!("doc {}: token {}..{}", doc.export_id, next.start, next.end),
                );
                continue;
            }
            sentences.push(begin..i + 1);
            begin = i + 1;
        }
    }
    if begin < tokens.len() {
        sentences.push(begin..tokens.len());
    }
    Ok(Tagged {
        tokens,
        tags,
        sentences,
    })
}

pub struct ConllWriter {
    outs: Vec<Out>,
    buf: String,
}

impl ConllWriter {
    pub fn new(ctx: &WriterContext<'_>) -> Result<ConllWriter, ExportError> {
        Ok(ConllWriter {
            outs: ctx.part_files(Format::Conll, "conll")?,
            buf: String::new(),
        })
    }
}

impl FormatWriter for ConllWriter {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let tagged = tag_document(doc, tally)?;
        let buf = &mut self.buf;
        buf.clear();
        let text = &doc.doc.text;
        for sentence in &tagged.sentences {
            for i in sentence.clone() {
                let t = tagged.tokens[i];
                let token = doc.slice(t.start, t.end).unwrap_or_else(|| &text[..0]);
                buf.push_str(token);
                buf.push('\t');
                let _ = match tagged.tags[i] {
                    Tag::O => write!(buf, "O"),
                    Tag::B(l) => write!(buf, "B-{l}"),
                    Tag::I(l) => write!(buf, "I-{l}"),
                };
                buf.push('\n');
            }
            buf.push('\n');
        }
        part_out(&mut self.outs, part).write(buf.as_bytes())
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        self.outs.into_iter().map(Out::finish).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, tokens: &[Token]) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        tokens
            .iter()
            .map(|t| chars[t.start..t.end].iter().collect())
            .collect()
    }

    #[test]
    fn arabic_punctuation_and_brackets_are_split_off_but_numbers_stay_whole() {
        let text =
            "أعلن فريق (منسقو الاستجابة)، في «إدلب»؛ هل انتهى؟ من الساعة (00:01) نحو 2.5٪ و66,000.";
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(
            words(text, &tokenize(&chars)),
            [
                "أعلن",
                "فريق",
                "(",
                "منسقو",
                "الاستجابة",
                ")",
                "،",
                "في",
                "«",
                "إدلب",
                "»",
                "؛",
                "هل",
                "انتهى",
                "؟",
                "من",
                "الساعة",
                "(",
                "00:01",
                ")",
                "نحو",
                "2.5",
                "٪",
                "و66,000",
                "."
            ]
        );
    }

    #[test]
    fn span_edges_inside_a_token_split_it_and_others_do_not() {
        let text = "قصف وإدلب وحماة";
        let chars: Vec<char> = text.chars().collect();
        let base = tokenize(&chars);
        // «إدلب» is 5..9 inside «وإدلب» (4..9); 4 is already a token edge.
        let split = split_at(&base, &[4, 5, 9]);
        assert_eq!(words(text, &split), ["قصف", "و", "إدلب", "وحماة"]);
        // A cut inside the last token at both sides.
        let split = split_at(&base, &[11, 13]);
        assert_eq!(words(text, &split), ["قصف", "وإدلب", "و", "حم", "اة"]);
    }
}
