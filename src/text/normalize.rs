//! Arabic-aware search folding: a normalised shadow of a text, with a map from
//! every normalised character back to the stored code points it came from.
//!
//! Search compares normalised strings, so a reader who types «اسرائيل» finds
//! «إسرائيل», «ادلب» finds «إدلبُ», and «19» finds «١٩». The rules ([`fold`]):
//!
//! | input | becomes |
//! |---|---|
//! | Arabic diacritics U+064B–U+065F, superscript alef U+0670, Quranic marks U+06D6–U+06ED | removed |
//! | tatweel U+0640, LRM/RLM U+200E/U+200F, ALM U+061C, ZWNJ/ZWJ U+200C/U+200D | removed |
//! | أ إ آ ٱ (U+0623, U+0625, U+0622, U+0671) | ا (U+0627) |
//! | ى (U+0649) | ي (U+064A) |
//! | ة (U+0629) | ه (U+0647) |
//! | Arabic-Indic digits ٠–٩ (U+0660–U+0669), Extended ۰–۹ (U+06F0–U+06F9) | 0–9 |
//! | upper-case letters (Latin and others) | lower case (`char::to_lowercase`) |
//!
//! Everything else is kept as it is (no Unicode normalisation, no whitespace
//! folding), so normalising is a per-character map and a hit in the
//! normalised text always maps back to whole stored characters.
//!
//! The map: [`Normalized::map`]`[k]` is the stored code-point offset of
//! normalised character `k`, and it has one more entry than the normalised
//! text has characters, equal to the stored length. A hit `k..k + m` covers
//! the stored code points `map[k]..map[k + m]`: the first matched letter up to
//! the next kept character, so a removed diacritic or tatweel after the last
//! matched letter belongs to the hit. Example: `«إدلبُ،»` normalises to
//! `«ادلب،»` with map `[0, 1, 2, 3, 5, 6]`; the hit `0..4` («ادلب») maps back to
//! `0..5`, which includes the damma.
//!
//! This module only reads text; it never changes a stored text, and it knows
//! nothing of SQLite or egui.

use std::ops::Range;

/// A normalised text and the stored offset of each of its characters.
///
/// Invariant: `map.len() == text.chars().count() + 1`, `map` never decreases,
/// and its last entry is the stored text's length in code points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    pub map: Vec<usize>,
}

impl Normalized {
    /// The stored code-point range of the normalised character range `hit`
    /// (clamped to the text).
    pub fn original_range(&self, hit: Range<usize>) -> Range<usize> {
        let last = self.map.len() - 1;
        let start = self.map[hit.start.min(last)];
        let end = self.map[hit.end.min(last)];
        start..end.max(start)
    }

    /// Number of characters of the normalised text.
    pub fn char_len(&self) -> usize {
        self.map.len() - 1
    }
}

/// What one stored character becomes in the normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folded {
    /// Removed (diacritic, tatweel, invisible mark).
    Drop,
    /// Replaced by one character (maybe itself).
    One(char),
    /// A lower-case mapping of more than one character (e.g. `İ` → `i̇`).
    Lower(char),
}

/// The folding rule for one character; see the module documentation.
pub fn fold(c: char) -> Folded {
    match c {
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' => Folded::Drop,
        '\u{0640}' | '\u{200C}'..='\u{200F}' | '\u{061C}' => Folded::Drop,
        'أ' | 'إ' | 'آ' | 'ٱ' => Folded::One('ا'),
        'ى' => Folded::One('ي'),
        'ة' => Folded::One('ه'),
        '\u{0660}'..='\u{0669}' => Folded::One(shift_digit(c, 0x0660)),
        '\u{06F0}'..='\u{06F9}' => Folded::One(shift_digit(c, 0x06F0)),
        c if c.is_ascii() => Folded::One(c.to_ascii_lowercase()),
        c if c.is_uppercase() => Folded::Lower(c),
        c => Folded::One(c),
    }
}

fn shift_digit(c: char, zero: u32) -> char {
    char::from_digit(u32::from(c) - zero, 10).unwrap_or(c)
}

/// Push the folded form of `c`; returns how many characters were pushed.
fn push_folded(out: &mut String, c: char) -> usize {
    match fold(c) {
        Folded::Drop => 0,
        Folded::One(f) => {
            out.push(f);
            1
        }
        Folded::Lower(c) => {
            let mut n = 0;
            for l in c.to_lowercase() {
                out.push(l);
                n += 1;
            }
            n
        }
    }
}

/// Normalise `text` and keep the map back to its code points.
pub fn normalize(text: &str) -> Normalized {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() / 2 + 1);
    let mut len = 0;
    for (i, c) in text.chars().enumerate() {
        for _ in 0..push_folded(&mut out, c) {
            map.push(i);
        }
        len = i + 1;
    }
    map.push(len);
    Normalized { text: out, map }
}

/// Only the normalised text (for the search index and for queries).
pub fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(&mut out, c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_of_the_table() {
        // Diacritics, superscript alef, Quranic marks: removed.
        assert_eq!(normalize_text("إِدْلِبُ"), "ادلب");
        assert_eq!(normalize_text("هٰذا"), "هذا");
        assert_eq!(normalize_text("الرَّحِيمِ۝"), "الرحيم");
        assert_eq!(normalize_text("قِتَالٌ\u{06D6}"), "قتال");
        // Tatweel and invisible marks: removed.
        assert_eq!(normalize_text("حـــلب"), "حلب");
        assert_eq!(
            normalize_text("\u{200F}إدلب\u{200E}\u{061C}\u{200C}\u{200D}"),
            "ادلب"
        );
        // Alef forms, alef maqsura, ta marbuta.
        assert_eq!(normalize_text("أإآٱا"), "ااااا");
        assert_eq!(normalize_text("مستشفى"), "مستشفي");
        assert_eq!(normalize_text("مدينة"), "مدينه");
        // Digits of both Arabic-Indic blocks.
        assert_eq!(normalize_text("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(normalize_text("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        // Latin lower case; punctuation and spaces kept.
        assert_eq!(normalize_text("UN «Idlib»، 2017"), "un «idlib»، 2017");
    }

    #[test]
    fn map_points_each_character_at_its_source_and_ends_at_the_length() {
        let n = normalize("إدلبُ،");
        assert_eq!(n.text, "ادلب،");
        assert_eq!(n.map, vec![0, 1, 2, 3, 5, 6]);
        // The damma after the last matched letter belongs to the hit.
        assert_eq!(n.original_range(0..4), 0..5);
        assert_eq!(n.original_range(4..5), 5..6);
    }

    #[test]
    fn a_multi_character_lower_case_maps_both_characters_to_one_source() {
        let n = normalize("Aİb");
        assert_eq!(n.text, "ai\u{307}b");
        assert_eq!(n.map, vec![0, 1, 1, 2, 3]);
        assert_eq!(n.original_range(1..3), 1..2);
    }

    #[test]
    fn empty_and_all_dropped_texts_map_to_their_length() {
        assert_eq!(
            normalize(""),
            Normalized {
                text: String::new(),
                map: vec![0]
            }
        );
        let n = normalize("\u{064E}\u{0640}");
        assert_eq!(n.text, "");
        assert_eq!(n.map, vec![2]);
    }

    /// Property-style: over every line of the sample article, for every
    /// normalised substring of a few lengths, the map is monotone and in
    /// range, and the stored slice it maps back to normalises to the hit.
    #[test]
    fn the_map_round_trips_over_the_sample_article() {
        let article = include_str!("../../assets/samples/idlib-ceasefire-ar.txt");
        // Diacritics, tatweel and Indic digits added to a real sentence, so
        // every rule is exercised by the property.
        let decorated = "قُتِلَ ١٩ مدنيـًا في إِدْلِبَ\u{200F} يوم ٢٠١٧/٥/٤ بحسب الأُمَمِ المتّحدة";
        for line in article.lines().chain([decorated]) {
            let chars: Vec<char> = line.chars().collect();
            let n = normalize(line);
            assert_eq!(n.map.len(), n.text.chars().count() + 1);
            assert_eq!(*n.map.last().unwrap(), chars.len());
            assert!(n.map.windows(2).all(|w| w[0] <= w[1]), "{line}");
            assert_eq!(n.text, normalize_text(line));
            let norm: Vec<char> = n.text.chars().collect();
            for m in [1, 3, 7] {
                for k in 0..norm.len().saturating_sub(m) {
                    let hit: String = norm[k..k + m].iter().collect();
                    let r = n.original_range(k..k + m);
                    assert!(r.start < r.end && r.end <= chars.len());
                    let slice: String = chars[r.clone()].iter().collect();
                    assert_eq!(normalize_text(&slice), hit, "{line}: {r:?}");
                    // The hit starts on a kept character.
                    assert_ne!(fold(chars[r.start]), Folded::Drop);
                }
            }
        }
    }
}
