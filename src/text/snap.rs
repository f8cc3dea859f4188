//! Turning a drag (two code-point offsets) into the range a span should cover.

use std::ops::Range;

use unicode_segmentation::{GraphemeCursor, UnicodeSegmentation};

use super::OffsetIndex;
use crate::model::CharRange;

/// True for a character that a word snap drops from the ends of a selection:
/// whitespace, punctuation (ASCII, Arabic and typographic quotes, dashes and
/// brackets) and invisible direction or format marks.
///
/// Combining marks (harakat, shadda) and tatweel are never trimmed: they belong
/// to the letter before them.
pub fn is_trimmable(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || matches!(
            c,
            // Arabic punctuation: comma, date separator, semicolon, triple dot,
            // question mark, percent, decimal and thousands separators, star,
            // full stop, ornate parentheses.
            '\u{060C}' | '\u{060D}' | '\u{061B}' | '\u{061E}' | '\u{061F}'
                | '\u{066A}'..='\u{066D}' | '\u{06D4}' | '\u{FD3E}' | '\u{FD3F}'
                // Quotes, guillemets, dashes, ellipsis, bullets.
                | '«' | '»' | '‹' | '›' | '“' | '”' | '„' | '‟' | '‘' | '’' | '‚' | '‛'
                | '\u{2010}'..='\u{2015}' | '…' | '•' | '·' | '¡' | '¿' | '§' | '¶'
                // CJK and fullwidth brackets seen in pasted news.
                | '〈' | '〉' | '《' | '》' | '「' | '」' | '【' | '】' | '（' | '）'
                // Direction and format marks: LRM, RLM, ALM, embeddings and
                // isolates, zero width space, BOM.
                | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
                | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// A UAX #29 word segment in code points, and whether it holds a word.
struct Segment {
    chars: Range<usize>,
    wordlike: bool,
}

/// Word segments of `text` (UAX #29) that share a code point with `lo..hi`
/// (`lo < hi`), in order.
fn segments_overlapping(text: &str, index: &OffsetIndex, lo: usize, hi: usize) -> Vec<Segment> {
    let (Some(lo_b), Some(hi_b)) = (index.byte_of_char(lo), index.byte_of_char(hi)) else {
        return Vec::new();
    };
    // UAX #29 always breaks after a line break (WB3a), so segmenting from the
    // start of the line holding `lo` gives the same segments as from the start
    // of the text, without scanning a long article on every drag.
    let line_b = text
        .get(..lo_b)
        .and_then(|before| before.char_indices().rev().find(|&(_, c)| is_wb_newline(c)))
        .map_or(0, |(at, c)| at + c.len_utf8());
    let Some(line) = text.get(line_b..) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (rel_b, segment) in line.split_word_bound_indices() {
        let start_b = line_b + rel_b;
        let end_b = start_b + segment.len();
        if end_b <= lo_b {
            continue;
        }
        if start_b >= hi_b {
            break;
        }
        let (Some(start), Some(end)) = (index.char_of_byte(start_b), index.char_of_byte(end_b))
        else {
            return Vec::new();
        };
        out.push(Segment {
            chars: start..end,
            wordlike: segment.chars().any(char::is_alphanumeric),
        });
    }
    out
}

/// Characters after which UAX #29 always breaks words (classes CR, LF, Newline).
fn is_wb_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Drops trimmable characters (see [`is_trimmable`]) from both ends of
/// `range`; `None` if nothing is left.
fn trim(text: &str, index: &OffsetIndex, range: Range<usize>) -> Option<CharRange> {
    let bytes = index.byte_of_char(range.start)?..index.byte_of_char(range.end)?;
    let covered = text.get(bytes)?;
    let leading = covered.chars().take_while(|&c| is_trimmable(c)).count();
    let trailing = covered
        .chars()
        .rev()
        .take_while(|&c| is_trimmable(c))
        .count();
    let start = range.start + leading;
    let end = range.end.saturating_sub(trailing);
    CharRange::new(start, end).ok()
}

/// Snaps a drag from `a` to `b` (code points, either order) to whole words.
///
/// Both ends move outward to UAX #29 word boundaries, so a selection inside one
/// word selects that word, and a drag ending exactly on a boundary does not pull
/// in the next word. Whitespace and punctuation at the ends are then dropped
/// («، ؛ ؟ « » “ ”», brackets, direction marks). Clitics are not split: «وإدلب»
/// is one word (the user holds Alt for [`snap_to_graphemes`]).
///
/// `None` when `a == b` or nothing word-like (letters or digits) is selected.
/// Offsets past the end of the text are clamped to it.
pub fn snap_to_words(text: &str, index: &OffsetIndex, a: usize, b: usize) -> Option<CharRange> {
    let (lo, hi) = ordered(index, a, b)?;
    let segments = segments_overlapping(text, index, lo, hi);
    let first = segments.iter().position(|s| s.wordlike)?;
    let last = segments.iter().rposition(|s| s.wordlike)?;
    trim(
        text,
        index,
        segments[first].chars.start..segments[last].chars.end,
    )
}

/// The word containing code point `offset` (a double-click), without
/// surrounding punctuation; `None` on whitespace, punctuation or past the end.
pub fn word_at(text: &str, index: &OffsetIndex, offset: usize) -> Option<CharRange> {
    if offset >= index.char_len() {
        return None;
    }
    let segments = segments_overlapping(text, index, offset, offset + 1);
    let segment = segments.into_iter().find(|s| s.wordlike)?;
    trim(text, index, segment.chars)
}

/// Snaps a drag from `a` to `b` (code points, either order) to extended
/// grapheme clusters, for character precision (Alt).
///
/// Both ends move outward only as far as needed so that a letter is never
/// separated from its combining marks: a range ending between «م» and its «ُ»
/// is extended past the mark. Nothing is trimmed; `None` when `a == b` or the
/// result is only whitespace.
pub fn snap_to_graphemes(text: &str, index: &OffsetIndex, a: usize, b: usize) -> Option<CharRange> {
    let (lo, hi) = ordered(index, a, b)?;
    let lo_b = index.byte_of_char(lo)?;
    let hi_b = index.byte_of_char(hi)?;
    let start_b = grapheme_boundary(text, lo_b, Direction::Back)?;
    let end_b = grapheme_boundary(text, hi_b, Direction::Forward)?;
    if text.get(start_b..end_b)?.chars().all(char::is_whitespace) {
        return None;
    }
    CharRange::new(index.char_of_byte(start_b)?, index.char_of_byte(end_b)?).ok()
}

/// `(min, max)` of the two offsets clamped to the text; `None` when they are equal.
fn ordered(index: &OffsetIndex, a: usize, b: usize) -> Option<(usize, usize)> {
    let (a, b) = (a.min(index.char_len()), b.min(index.char_len()));
    (a != b).then(|| (a.min(b), a.max(b)))
}

enum Direction {
    Back,
    Forward,
}

/// `byte` itself when it is a grapheme boundary, else the nearest boundary in
/// `direction`.
fn grapheme_boundary(text: &str, byte: usize, direction: Direction) -> Option<usize> {
    let mut cursor = GraphemeCursor::new(byte, text.len(), true);
    // The whole text is one chunk starting at 0, so the cursor never asks for
    // more context; an error would mean a bug, and gives `None`.
    if cursor.is_boundary(text, 0).ok()? {
        return Some(byte);
    }
    match direction {
        Direction::Back => cursor.prev_boundary(text, 0).ok()?,
        Direction::Forward => cursor.next_boundary(text, 0).ok()?,
    }
}
