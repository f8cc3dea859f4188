//! [`OffsetIndex`]: the one conversion between code-point offsets and byte or
//! UTF-16 offsets of a document's text.

use crate::model::CharRange;

/// Code points per checkpoint. With at most 4 bytes (or 2 UTF-16 units) per
/// code point, the offset of any code point from its checkpoint is at most
/// `63 * 4 = 252` bytes and fits in a `u8`.
const BLOCK: usize = 64;

/// Positions, in one kind of unit (bytes or UTF-16 code units), of every code
/// point boundary `0..=char_len` of a text.
///
/// Stored as a checkpoint every [`BLOCK`] boundaries plus a one-byte delta per
/// boundary, about 1.1 bytes per code point. An empty table means the unit
/// count equals the code-point count (ASCII text for bytes, text without
/// characters outside the Basic Multilingual Plane for UTF-16).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct UnitTable {
    checkpoints: Vec<usize>,
    deltas: Vec<u8>,
}

impl UnitTable {
    /// Builds the table from the unit length of each code point, in order.
    fn build(widths: impl Iterator<Item = usize>) -> Self {
        let mut table = UnitTable::default();
        let mut pos = 0usize;
        let push = |table: &mut UnitTable, i: usize, pos: usize| {
            if i.is_multiple_of(BLOCK) {
                table.checkpoints.push(pos);
            }
            let base = table.checkpoints.last().copied().unwrap_or(0);
            // At most (BLOCK - 1) * 4 = 252: see `BLOCK`.
            table
                .deltas
                .push(u8::try_from(pos - base).unwrap_or(u8::MAX));
        };
        let mut i = 0;
        for width in widths {
            push(&mut table, i, pos);
            pos += width;
            i += 1;
        }
        push(&mut table, i, pos);
        table
    }

    fn is_identity(&self) -> bool {
        self.deltas.is_empty()
    }

    /// Units before code point `c`; `c` must be at most `char_len`.
    fn units_of(&self, c: usize) -> usize {
        if self.is_identity() {
            return c;
        }
        self.checkpoints[c / BLOCK] + usize::from(self.deltas[c])
    }

    /// The code point boundary at exactly `u` units, if `u` is one.
    fn char_at(&self, u: usize, char_len: usize) -> Option<usize> {
        if self.is_identity() {
            return (u <= char_len).then_some(u);
        }
        let c = self.char_containing(u);
        (self.units_of(c) == u).then_some(c)
    }

    /// The last boundary at or before `u` units, at most `char_len`
    /// (an identity table returns `u` itself: the caller clamps).
    fn char_containing(&self, u: usize) -> usize {
        if self.is_identity() {
            return u;
        }
        // Last checkpoint at or before `u` (the first one is 0, so block >= 0).
        let block = self.checkpoints.partition_point(|&p| p <= u).max(1) - 1;
        let start = block * BLOCK;
        let end = (start + BLOCK).min(self.deltas.len());
        let base = self.checkpoints[block];
        let within = &self.deltas[start..end];
        let k = within
            .partition_point(|&d| base + usize::from(d) <= u)
            .max(1)
            - 1;
        start + k
    }
}

/// Converts between code-point offsets and byte or UTF-16 offsets of one text.
///
/// Built once per document with [`OffsetIndex::new`]. Code point to byte and
/// code point to UTF-16 are O(1); the way back is a binary search, O(log n).
/// It costs about 1.1 bytes per code point for each of the two tables, and
/// nothing for a table that is the identity (ASCII text needs no byte table;
/// text without emoji or other astral characters needs no UTF-16 table).
///
/// The index remembers only lengths, not the text: pass the same text to
/// [`OffsetIndex::slice`] that it was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetIndex {
    char_len: usize,
    byte_len: usize,
    utf16_len: usize,
    bytes: UnitTable,
    utf16: UnitTable,
}

impl OffsetIndex {
    pub fn new(text: &str) -> Self {
        let char_len = text.chars().count();
        let byte_len = text.len();
        let bytes = if byte_len == char_len {
            UnitTable::default()
        } else {
            UnitTable::build(text.chars().map(char::len_utf8))
        };
        let astral = text.chars().any(|c| c.len_utf16() == 2);
        let utf16 = if astral {
            UnitTable::build(text.chars().map(char::len_utf16))
        } else {
            UnitTable::default()
        };
        let utf16_len = if astral {
            utf16.units_of(char_len)
        } else {
            char_len
        };
        OffsetIndex {
            char_len,
            byte_len,
            utf16_len,
            bytes,
            utf16,
        }
    }

    /// Number of code points in the text.
    pub fn char_len(&self) -> usize {
        self.char_len
    }

    /// Number of bytes (UTF-8) in the text.
    pub fn byte_len(&self) -> usize {
        self.byte_len
    }

    /// Number of UTF-16 code units in the text.
    pub fn utf16_len(&self) -> usize {
        self.utf16_len
    }

    /// Byte offset of code point `c`; `c == char_len()` gives the text's length.
    pub fn byte_of_char(&self, c: usize) -> Option<usize> {
        (c <= self.char_len).then(|| self.bytes.units_of(c))
    }

    /// Code point starting at byte `b`; `None` unless `b` is a char boundary
    /// (the text's length counts as one).
    pub fn char_of_byte(&self, b: usize) -> Option<usize> {
        if b > self.byte_len {
            return None;
        }
        self.bytes.char_at(b, self.char_len)
    }

    /// The code point that byte `b` belongs to, for any byte. Bytes at or past
    /// the end give `char_len()`.
    pub fn char_containing_byte(&self, b: usize) -> usize {
        if b >= self.byte_len {
            return self.char_len;
        }
        if self.bytes.is_identity() {
            return b;
        }
        self.bytes.char_containing(b)
    }

    /// UTF-16 offset of code point `c`; `c == char_len()` gives `utf16_len()`.
    pub fn utf16_of_char(&self, c: usize) -> Option<usize> {
        (c <= self.char_len).then(|| self.utf16.units_of(c))
    }

    /// Code point starting at UTF-16 offset `u`; `None` inside a surrogate
    /// pair or past the end.
    pub fn char_of_utf16(&self, u: usize) -> Option<usize> {
        if u > self.utf16_len {
            return None;
        }
        self.utf16.char_at(u, self.char_len)
    }

    /// The text covered by `range`, or `None` when the range does not fit or
    /// `text` is not the text this index was built from (its length differs).
    pub fn slice<'a>(&self, text: &'a str, range: CharRange) -> Option<&'a str> {
        if text.len() != self.byte_len {
            return None;
        }
        let start = self.byte_of_char(range.start())?;
        let end = self.byte_of_char(range.end())?;
        text.get(start..end)
    }

    /// Byte range of a code-point range, if it fits the text.
    pub fn byte_range(&self, range: CharRange) -> Option<std::ops::Range<usize>> {
        Some(self.byte_of_char(range.start())?..self.byte_of_char(range.end())?)
    }
}
