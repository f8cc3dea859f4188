//! Article text: the one offset index, selection snapping, paragraphs for
//! display, newline normalisation at import, and inline markup for fixtures.
//!
//! Offsets everywhere in tawsim are Unicode code points into the text exactly as
//! stored (Python `str` indices), start inclusive, end exclusive. Byte offsets
//! (for slicing Rust strings) and UTF-16 offsets (for some export formats) are
//! derived only through [`OffsetIndex`], never ad hoc. Graphemes and UAX #29
//! words are used only to snap a user's drag ([`snap_to_words`],
//! [`snap_to_graphemes`], [`word_at`]).
//!
//! This module never changes a stored text (apart from [`normalize_newlines`],
//! which runs once, at import, before a text is stored) and knows nothing of
//! egui, glyphs or SQLite.

pub mod markup;
pub mod normalize;
mod offsets;
mod snap;

pub use offsets::OffsetIndex;
pub use snap::{is_trimmable, snap_to_graphemes, snap_to_words, word_at};

use std::ops::Range;

use unicode_bidi::{BidiClass, bidi_class};

/// One display paragraph of a text, without its separator.
///
/// `chars` are code points, `bytes` are UTF-8 byte offsets of the same range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    pub chars: Range<usize>,
    pub bytes: Range<usize>,
}

/// Splits `text` into paragraphs at every character of bidi class B
/// (paragraph separator: LF, CR, U+001C–U+001E, U+0085, U+2029).
///
/// cosmic-text shapes one paragraph per line and requires all paragraphs of a
/// line to share a direction, so the caller lays out each paragraph on its own.
/// Every separator ends a paragraph: `"a\n\nb"` gives three (the middle one
/// empty), a trailing separator gives a final empty paragraph, and CRLF gives
/// an empty paragraph between CR and LF (texts are normalised to LF at import,
/// see [`normalize_newlines`]). The empty text is one empty paragraph.
pub fn paragraphs(text: &str) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let (mut start_char, mut start_byte) = (0, 0);
    for (char_pos, (byte, c)) in text.char_indices().enumerate() {
        if bidi_class(c) == BidiClass::B {
            out.push(Paragraph {
                chars: start_char..char_pos,
                bytes: start_byte..byte,
            });
            start_char = char_pos + 1;
            start_byte = byte + c.len_utf8();
        }
    }
    let char_len = start_char
        + text
            .get(start_byte..)
            .map_or(0, |rest| rest.chars().count());
    out.push(Paragraph {
        chars: start_char..char_len,
        bytes: start_byte..text.len(),
    });
    out
}

/// A text after [`normalize_newlines`], with what was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// A leading byte-order mark (U+FEFF) was removed.
    pub had_bom: bool,
    /// Number of CRLF pairs turned into LF.
    pub crlf: usize,
    /// Number of lone CRs turned into LF.
    pub lone_cr: usize,
}

/// Prepares raw imported text for storage: strips one leading U+FEFF, turns
/// CRLF and lone CR into LF. Nothing else changes (no Unicode normalisation,
/// no trimming), so offsets into the result are offsets a user sees.
pub fn normalize_newlines(raw: &str) -> Normalized {
    let (had_bom, body) = match raw.strip_prefix('\u{FEFF}') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let mut text = String::with_capacity(body.len());
    let (mut crlf, mut lone_cr) = (0, 0);
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
                crlf += 1;
            } else {
                lone_cr += 1;
            }
            text.push('\n');
        } else {
            text.push(c);
        }
    }
    Normalized {
        text,
        had_bom,
        crlf,
        lone_cr,
    }
}
