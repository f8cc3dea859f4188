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

/// Whether each word is followed by the next with only whitespace between:
/// `joined[k]` is true when `words[k]` and `words[k + 1]` may belong to one
/// name (no «،», «.», «/» or bracket between them).
pub fn joined(text: &str, words: &[Word]) -> Vec<bool> {
    let mut out = vec![false; words.len()];
    let mut chars = text.chars();
    let mut at = 0; // code points consumed from `chars`
    for k in 0..words.len().saturating_sub(1) {
        let (end, next) = (words[k].range.end(), words[k + 1].range.start());
        if at < end {
            chars.nth(end - at - 1);
            at = end;
        }
        let mut white = true;
        while at < next {
            match chars.next() {
                Some(c) if c.is_whitespace() => {}
                Some(_) => white = false,
                None => break,
            }
            at += 1;
        }
        out[k] = white;
    }
    out
}

/// Split a phrase (a gazetteer name, an accepted span's text) into its
/// normalised words, as the text's words would be split.
pub fn phrase_words(phrase: &str) -> Vec<String> {
    words(phrase).into_iter().map(|w| w.norm.text).collect()
}

/// A table of multi-word phrases keyed by their normalised first word, so a
/// lookup at a word costs one hash probe per reading, never a scan of the
/// entries.
#[derive(Debug, Clone)]
pub struct Phrases<T> {
    by_first: std::collections::HashMap<String, Vec<(Vec<String>, T)>>,
    len: usize,
}

impl<T> Default for Phrases<T> {
    fn default() -> Self {
        Phrases {
            by_first: std::collections::HashMap::new(),
            len: 0,
        }
    }
}

/// Where a phrase of a [`Phrases`] table was found.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseMatch<'a, T> {
    /// Stored code points, from the first word's stem (its proclitics left
    /// out) to the end of the last word.
    pub range: CharRange,
    /// Index of the first and the last word (inclusive).
    pub first: usize,
    pub last: usize,
    /// The proclitics left out of the first word ("" for none).
    pub clitics: String,
    /// The first word's normalised stem (the proclitics left out).
    pub stem: String,
    pub value: &'a T,
}

impl<T> Phrases<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of phrases.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `phrase` (normalised words), creating it with `make`
    /// when it is new; `None` when the phrase has no words.
    pub fn entry(&mut self, phrase: &[String], make: impl FnOnce() -> T) -> Option<&mut T> {
        let (first, rest) = phrase.split_first()?;
        let list = self.by_first.entry(first.clone()).or_default();
        let at = match list.iter().position(|(r, _)| r.as_slice() == rest) {
            Some(at) => at,
            None => {
                list.push((rest.to_vec(), make()));
                // Longest first, so the first hit in `longest_at` is the longest.
                list.sort_by_key(|(r, _)| std::cmp::Reverse(r.len()));
                self.len += 1;
                list.iter().position(|(r, _)| r.as_slice() == rest)?
            }
        };
        list.get_mut(at).map(|(_, v)| v)
    }

    /// The value of `phrase` (normalised words), if present.
    pub fn get(&self, phrase: &[String]) -> Option<&T> {
        let (first, rest) = phrase.split_first()?;
        let list = self.by_first.get(first)?;
        list.iter()
            .find(|(r, _)| r.as_slice() == rest)
            .map(|(_, v)| v)
    }

    /// The longest phrase that starts at word `i`: the first word read whole
    /// or without its proclitics ([`Word::readings`]), the following words
    /// whole and `joined` to it (see [`joined`]). On equal length, the reading
    /// with fewer proclitics wins.
    pub fn longest_at<'a>(
        &'a self,
        words: &[Word],
        i: usize,
        joined: &[bool],
    ) -> Option<PhraseMatch<'a, T>> {
        let word = words.get(i)?;
        // Most words start with no proclitic letter and match no entry: look
        // them up without building their readings.
        let clitic_letter = matches!(
            word.norm.text.chars().next(),
            Some('و' | 'ف' | 'ب' | 'ل' | 'ك')
        );
        if !clitic_letter && !self.by_first.contains_key(&word.norm.text) {
            return None;
        }
        let mut best: Option<PhraseMatch<'a, T>> = None;
        for reading in word.readings() {
            let Some(list) = self.by_first.get(&reading.stem) else {
                continue;
            };
            for (rest, value) in list {
                let last = i + rest.len();
                if best.as_ref().is_some_and(|b| b.last >= last) {
                    break; // longest first: nothing longer follows
                }
                let fits = last < words.len()
                    && rest.iter().enumerate().all(|(k, w)| {
                        joined.get(i + k).copied().unwrap_or(false)
                            && words[i + k + 1].norm.text == *w
                    });
                if fits {
                    let end = words[last].range.end();
                    best = CharRange::new(reading.range.start(), end)
                        .ok()
                        .map(|range| PhraseMatch {
                            range,
                            first: i,
                            last,
                            clitics: reading.clitics.clone(),
                            stem: reading.stem.clone(),
                            value,
                        });
                    break;
                }
            }
        }
        best
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
    fn joined_is_false_across_punctuation() {
        let text = "ريف حلب، دير  الزور/ حماة";
        let ws = words(text);
        assert_eq!(joined(text, &ws), vec![true, false, true, false, false]);
    }

    #[test]
    fn phrases_find_the_longest_name_through_proclitics() {
        let mut table = Phrases::new();
        for (name, v) in [("دير الزور", 1), ("دير", 2), ("معرة النعمان", 3)] {
            *table.entry(&phrase_words(name), || 0).unwrap() = v;
        }
        assert_eq!(table.len(), 3);
        let text = "وبدير الزور ودير، ومعرة النعمانِ";
        let ws = words(text);
        let j = joined(text, &ws);
        let m = table.longest_at(&ws, 0, &j).unwrap();
        assert_eq!(
            (m.range.start(), m.range.end(), m.last, *m.value),
            (2, 11, 1, 1)
        );
        assert_eq!(m.clitics, "وب");
        // «ودير،»: the comma ends the name, so only «دير» fits.
        let m = table.longest_at(&ws, 2, &j).unwrap();
        assert_eq!((m.range.start(), m.range.end(), *m.value), (13, 16, 2));
        let m = table.longest_at(&ws, 3, &j).unwrap();
        assert_eq!((m.range.start(), m.range.end(), *m.value), (19, 32, 3));
        assert!(table.longest_at(&ws, 4, &j).is_none());
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
