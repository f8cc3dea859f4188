//! Words of a stored text for the recognisers: each word's code-point range
//! and its search-normalised form, and the proclitic readings of a word.
//!
//! A word is a maximal run of letters, combining marks (Arabic diacritics),
//! digits (ASCII, Arabic-Indic, Extended Arabic-Indic) and tatweel; anything
//! else (whitespace, punctuation, «،», «/», brackets) separates words and is
//! never part of one. «وإدلبُ،» is one word, «إدلبُ» + the damma, whose
//! normalised form is «وادلب».
//!
//! [`Word::readings`] lists the ways a word can be read as proclitics + a
//! stem, longest stem first: «وبالرقة» → «وبالرقه» (no clitic), «بالرقه»
//! (و), «الرقه» (و + ب). The proclitics are و ف (conjunctions), ب ل ك
//! (prepositions) in that order, at most one conjunction and one preposition,
//! and a stem is always at least two letters. «لل» before a stem is ل + ال
//! with the alef dropped («للحكومة» → ل + «الحكومه»), offered as the stem
//! «ال…» whose stored range starts at the second ل.

use crate::model::CharRange;
use crate::text::normalize::{Normalized, normalize};

/// One word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Code points of the stored text.
    pub range: CharRange,
    /// The normalised word; `norm.map` is relative to `range.start()`.
    pub norm: Normalized,
}

/// A reading of a word as proclitics and a stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The normalised stem (with «ال» when the word has it).
    pub stem: String,
    /// Code points of the stem in the stored text (the proclitics left out).
    pub range: CharRange,
    /// The normalised proclitics, e.g. "وب"; empty for the whole word.
    pub clitics: String,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || c == '\u{0640}'
        || matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}')
}

/// The words of `text`, in order.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (char offset, byte offset)
    let mut push = |from: (usize, usize), to_char: usize, to_byte: usize| {
        if let Ok(range) = CharRange::new(from.0, to_char) {
            out.push(Word {
                range,
                norm: normalize(&text[from.1..to_byte]),
            });
        }
    };
    let mut chars = 0;
    for (byte, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some((chars, byte));
            }
        } else if let Some(from) = start.take() {
            push(from, chars, byte);
        }
        chars += 1;
    }
    if let Some(from) = start.take() {
        push(from, chars, text.len());
    }
    out
}

impl Word {
    /// The stored code-point range of the normalised characters `from..to` of
    /// this word.
    pub fn stored(&self, from: usize, to: usize) -> CharRange {
        let r = self.norm.original_range(from..to);
        let base = self.range.start();
        CharRange::new(base + r.start, base + r.end.max(r.start + 1)).unwrap_or(self.range)
    }

    /// The word's readings as proclitics + stem, the whole word first (see
    /// the module documentation).
    pub fn readings(&self) -> Vec<Reading> {
        let norm: Vec<char> = self.norm.text.chars().collect();
        let mut out = vec![Reading {
            stem: self.norm.text.clone(),
            range: self.range,
            clitics: String::new(),
        }];
        let mut at = 0;
        if matches!(norm.first(), Some('و' | 'ف')) && norm.len() > 3 {
            at = 1;
            out.push(self.reading(&norm, at));
        }
        if at < norm.len() && matches!(norm[at], 'ب' | 'ل' | 'ك') && norm.len() - at > 3 {
            if norm[at] == 'ل' && norm.get(at + 1) == Some(&'ل') && norm.len() - at > 4 {
                // «للـ» = ل + ال: the stem is «ال» + the rest, starting at the
                // second ل in the stored text.
                let rest: String = norm[at + 2..].iter().collect();
                out.push(Reading {
                    stem: format!("ال{rest}"),
                    range: self.stored(at + 1, norm.len()),
                    clitics: norm[..=at].iter().collect(),
                });
            } else {
                out.push(self.reading(&norm, at + 1));
            }
        }
        out
    }

    fn reading(&self, norm: &[char], at: usize) -> Reading {
        Reading {
            stem: norm[at..].iter().collect(),
            range: self.stored(at, norm.len()),
            clitics: norm[..at].iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_have_stored_ranges_and_normalised_forms() {
        let text = "قصف «وإدلبُ»، و١٩ مدنياً";
        let ws = words(text);
        let got: Vec<(usize, usize, &str)> = ws
            .iter()
            .map(|w| (w.range.start(), w.range.end(), w.norm.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 3, "قصف"),
                (5, 11, "وادلب"),
                (14, 17, "و19"),
                (18, 24, "مدنيا")
            ]
        );
    }

    #[test]
    fn readings_strip_one_conjunction_and_one_preposition() {
        let ws = words("وبالرقة للحكومة وإدلبُ");
        let stems: Vec<Vec<(String, usize, usize)>> = ws
            .iter()
            .map(|w| {
                w.readings()
                    .into_iter()
                    .map(|r| (r.stem, r.range.start(), r.range.end()))
                    .collect()
            })
            .collect();
        assert_eq!(
            stems[0],
            vec![
                ("وبالرقه".to_owned(), 0, 7),
                ("بالرقه".to_owned(), 1, 7),
                ("الرقه".to_owned(), 2, 7)
            ]
        );
        assert_eq!(
            stems[1],
            vec![("للحكومه".to_owned(), 8, 15), ("الحكومه".to_owned(), 9, 15)]
        );
        // The damma after the last letter stays in the stem's range.
        assert_eq!(
            stems[2],
            vec![("وادلب".to_owned(), 16, 22), ("ادلب".to_owned(), 17, 22)]
        );
    }
}
