//! Offsets, snapping, paragraphs and newline normalisation on real Arabic text.

use tawsim::model::CharRange;
use tawsim::text::{
    OffsetIndex, Paragraph, markup, normalize_newlines, paragraphs, snap_to_graphemes,
    snap_to_words, word_at,
};

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

/// Texts that exercise every width of code point in UTF-8 and UTF-16.
fn tricky_texts() -> Vec<String> {
    vec![
        String::new(),
        "a".into(),
        "ASCII only, 2017 (00:01).".into(),
        "مُحَمَّد".into(),
        "قـــتـــلى ١٩ مدنياً و68 جريحاً".into(),
        "👨‍👩‍👧 عائلة 🇸🇾 سورية 😀".into(),
        "\u{200F}إدلب\u{200F} (Idlib) ٢٠١٧\r\nحماة\r".into(),
        "𝐀𝐁 ab \u{10FFFF}x".into(),
        format!("{ARTICLE}\n😀{ARTICLE}"),
        // Long enough to span many 64-character checkpoints, with astral
        // characters landing on and around block edges.
        "ب😀".repeat(100) + &"xyz".repeat(70) + &"😀".repeat(70),
    ]
}

#[test]
fn index_agrees_with_char_indices_and_utf16_everywhere() {
    for text in tricky_texts() {
        let index = OffsetIndex::new(&text);
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        assert_eq!(index.char_len(), chars.len(), "{text:?}");
        assert_eq!(index.byte_len(), text.len());
        assert_eq!(index.utf16_len(), text.encode_utf16().count(), "{text:?}");
        let mut utf16 = 0;
        for (c, &(byte, ch)) in chars.iter().enumerate() {
            assert_eq!(index.byte_of_char(c), Some(byte), "{text:?} char {c}");
            assert_eq!(index.char_of_byte(byte), Some(c));
            assert_eq!(index.utf16_of_char(c), Some(utf16), "{text:?} char {c}");
            assert_eq!(index.char_of_utf16(utf16), Some(c));
            for inner in 1..ch.len_utf8() {
                assert_eq!(index.char_of_byte(byte + inner), None, "inside {ch:?}");
                assert_eq!(index.char_containing_byte(byte + inner), c);
            }
            assert_eq!(index.char_containing_byte(byte), c);
            if ch.len_utf16() == 2 {
                assert_eq!(
                    index.char_of_utf16(utf16 + 1),
                    None,
                    "inside surrogate pair"
                );
            }
            utf16 += ch.len_utf16();
        }
        let n = chars.len();
        assert_eq!(index.byte_of_char(n), Some(text.len()));
        assert_eq!(index.char_of_byte(text.len()), Some(n));
        assert_eq!(index.utf16_of_char(n), Some(utf16));
        assert_eq!(index.char_of_utf16(utf16), Some(n));
        assert_eq!(index.byte_of_char(n + 1), None);
        assert_eq!(index.char_of_byte(text.len() + 1), None);
        assert_eq!(index.char_of_utf16(utf16 + 1), None);
        assert_eq!(index.char_containing_byte(text.len() + 5), n);
    }
}

#[test]
fn slice_returns_the_covered_arabic() {
    let index = OffsetIndex::new(ARTICLE);
    let start = ARTICLE.chars().count() - 4;
    let range = CharRange::new(start, start + 4).unwrap();
    assert_eq!(index.slice(ARTICLE, range), Some("إدلب"));
    let past_end = CharRange::new(start, start + 5).unwrap();
    assert_eq!(index.slice(ARTICLE, past_end), None);
    // A different text of another length is refused rather than mis-sliced.
    assert_eq!(index.slice("إدلب", CharRange::new(0, 2).unwrap()), None);
}

fn r(start: usize, end: usize) -> CharRange {
    CharRange::new(start, end).unwrap()
}

/// Snaps the drag `a..b` in `text` to words and returns the covered text.
fn words(text: &str, a: usize, b: usize) -> Option<String> {
    let index = OffsetIndex::new(text);
    let range = snap_to_words(text, &index, a, b)?;
    index.slice(text, range).map(str::to_owned)
}

/// Code-point offset of the first occurrence of `needle` in `text`.
fn at(text: &str, needle: &str) -> usize {
    let byte = text.find(needle).unwrap();
    text[..byte].chars().count()
}

#[test]
fn snap_to_words_edge_cases() {
    let t = "قتل 19 مدنياً، في إدلب (00:01) عام 2017";
    let w = |a: usize, b: usize| words(t, a, b);
    let idlib = at(t, "إدلب");
    let madaniyan = at(t, "مدنياً");
    // (description, a, b, expected)
    let cases: Vec<(&str, usize, usize, Option<&str>)> = vec![
        ("inside one word", idlib + 1, idlib + 3, Some("إدلب")),
        ("reversed drag", idlib + 3, idlib + 1, Some("إدلب")),
        ("across words", 1, 5, Some("قتل 19")),
        ("comma trimmed", madaniyan + 2, madaniyan + 7, Some("مدنياً")),
        ("on the comma only", madaniyan + 6, madaniyan + 7, None),
        (
            "from the comma into next word",
            madaniyan + 6,
            madaniyan + 10,
            Some("في"),
        ),
        ("starting on a space", 3, 6, Some("19")),
        ("only spaces", 3, 4, None),
        (
            "ending on a boundary does not pull in the next word",
            idlib,
            idlib + 4,
            Some("إدلب"),
        ),
        (
            "ending on the bracket after a space",
            idlib,
            idlib + 6,
            Some("إدلب"),
        ),
        (
            "ending inside the next word does",
            idlib,
            idlib + 7,
            Some("إدلب (00"),
        ),
        (
            "brackets trimmed",
            at(t, "("),
            at(t, ")") + 1,
            Some("00:01"),
        ),
        (
            "digits group",
            at(t, "2017") + 2,
            at(t, "2017") + 3,
            Some("2017"),
        ),
        ("first word of the text", 0, 1, Some("قتل")),
        (
            "last word of the text",
            t.chars().count() - 1,
            t.chars().count(),
            Some("2017"),
        ),
        ("whole text", 0, t.chars().count(), Some(t)),
        ("zero-width click", idlib + 1, idlib + 1, None),
        (
            "clamped past the end",
            at(t, "2017") + 1,
            10_000,
            Some("2017"),
        ),
    ];
    for (what, a, b, expected) in cases {
        assert_eq!(w(a, b).as_deref(), expected, "{what}: {a}..{b}");
    }
}

#[test]
fn snap_to_words_keeps_arabic_words_whole() {
    // Harakat and shadda stay with their word.
    let t = "قال مُحَمَّد أمس";
    assert_eq!(words(t, 5, 6).as_deref(), Some("مُحَمَّد"));
    // Tatweel is part of the word.
    let t = "سقط قـــتـــلى كثيرون";
    assert_eq!(words(t, 6, 7).as_deref(), Some("قـــتـــلى"));
    // Clitics are not split off: «وإدلب» is one word.
    let t = "في حماة وإدلب اليوم";
    assert_eq!(
        words(t, at(t, "إدلب"), at(t, "إدلب") + 1).as_deref(),
        Some("وإدلب")
    );
    // Latin inside Arabic is its own word.
    let t = "مدينة Idlib السورية";
    assert_eq!(
        words(t, at(t, "Idlib") + 2, at(t, "Idlib") + 3).as_deref(),
        Some("Idlib")
    );
    // Arabic-Indic digits group.
    let t = "قتل ١٩ مدنياً";
    assert_eq!(words(t, 4, 5).as_deref(), Some("١٩"));
    // Guillemets and typographic quotes are trimmed.
    let t = "ضحايا “خرق” النظام «السوري»";
    assert_eq!(words(t, at(t, "“"), at(t, "”") + 1).as_deref(), Some("خرق"));
    assert_eq!(
        words(t, at(t, "«"), at(t, "»") + 1).as_deref(),
        Some("السوري")
    );
    // Right-to-left marks around a word are not part of it.
    let t = "في \u{200F}إدلب\u{200F} أمس";
    assert_eq!(words(t, 3, 9).as_deref(), Some("إدلب"));
}

#[test]
fn snap_to_words_on_the_article() {
    let index = OffsetIndex::new(ARTICLE);
    // A drag over the whole first paragraph takes every word of it and no newline.
    let first = &paragraphs(ARTICLE)[0];
    let range = snap_to_words(ARTICLE, &index, first.chars.end, first.chars.start).unwrap();
    assert_eq!(range, r(first.chars.start, first.chars.end));
    // A drag from inside «19» to inside «مدنياً» covers the casualty phrase.
    let n = at(ARTICLE, "19 مدنياً");
    let range = snap_to_words(ARTICLE, &index, n + 1, n + 5).unwrap();
    assert_eq!(index.slice(ARTICLE, range), Some("19 مدنياً"));
    // Dragging across a paragraph break keeps both sides, newline inside.
    let second = &paragraphs(ARTICLE)[1];
    let range =
        snap_to_words(ARTICLE, &index, first.chars.end - 2, second.chars.start + 2).unwrap();
    assert_eq!(index.slice(ARTICLE, range), Some("إدلب\nواستهدفت"));
}

#[test]
fn word_at_picks_the_double_clicked_word() {
    let t = "قتل 15 مدني، في «معرة النعمان»";
    let index = OffsetIndex::new(t);
    let word = |offset| word_at(t, &index, offset).and_then(|range| index.slice(t, range));
    assert_eq!(word(0), Some("قتل"));
    assert_eq!(word(2), Some("قتل"));
    assert_eq!(word(3), None, "a space is not a word");
    assert_eq!(word(at(t, "15") + 1), Some("15"));
    assert_eq!(word(at(t, "مدني") + 3), Some("مدني"));
    assert_eq!(word(at(t, "،")), None, "an Arabic comma is not a word");
    assert_eq!(word(at(t, "«")), None);
    assert_eq!(word(at(t, "النعمان")), Some("النعمان"));
    assert_eq!(word(t.chars().count()), None, "past the last character");
}

#[test]
fn snap_to_graphemes_never_splits_a_letter_from_its_marks() {
    let t = "مُحَمَّد";
    // Code points: م ُ ح َ م َّ... : م=0 ُ=1 ح=2 َ=3 م=4 َ=5 ّ=6 د=7
    let index = OffsetIndex::new(t);
    let g = |a, b| snap_to_graphemes(t, &index, a, b);
    assert_eq!(g(0, 1), Some(r(0, 2)), "ending between «م» and its «ُ»");
    assert_eq!(
        g(1, 3),
        Some(r(0, 4)),
        "starting on a mark pulls in its letter"
    );
    assert_eq!(g(4, 5), Some(r(4, 7)), "both marks of the second «م»");
    assert_eq!(g(7, 8), Some(r(7, 8)));
    assert_eq!(g(0, 8), Some(r(0, 8)));
    assert_eq!(g(3, 3), None);

    // Character precision does not snap to words: a clitic «و» alone.
    let t = "في وإدلب";
    let index = OffsetIndex::new(t);
    assert_eq!(snap_to_graphemes(t, &index, 3, 4), Some(r(3, 4)));
    assert_eq!(snap_to_graphemes(t, &index, 2, 3), None, "only a space");
    // Punctuation is kept: no trimming.
    let t = "إدلب، حماة";
    let index = OffsetIndex::new(t);
    assert_eq!(snap_to_graphemes(t, &index, 2, 5), Some(r(2, 5)));
    // An emoji ZWJ sequence and a flag are single clusters.
    let t = "ب👨‍👩‍👧🇸🇾ت";
    let index = OffsetIndex::new(t);
    assert_eq!(snap_to_graphemes(t, &index, 2, 3), Some(r(1, 6)));
    assert_eq!(snap_to_graphemes(t, &index, 6, 7), Some(r(6, 8)));
}

#[test]
fn paragraphs_split_at_every_separator() {
    let p =
        |chars: std::ops::Range<usize>, bytes: std::ops::Range<usize>| Paragraph { chars, bytes };
    assert_eq!(
        paragraphs("a\n\nb"),
        vec![p(0..1, 0..1), p(2..2, 2..2), p(3..4, 3..4)]
    );
    assert_eq!(paragraphs(""), vec![p(0..0, 0..0)]);
    assert_eq!(paragraphs("إدلب\n"), vec![p(0..4, 0..8), p(5..5, 9..9)]);
    assert_eq!(
        paragraphs("حماة\u{2029}x\u{85}y\u{1C}z\rw"),
        vec![
            p(0..4, 0..8),
            p(5..6, 11..12),
            p(7..8, 14..15),
            p(9..10, 16..17),
            p(11..12, 18..19)
        ]
    );
    // A line separator (U+2028) is not a paragraph separator.
    assert_eq!(paragraphs("a\u{2028}b").len(), 1);

    let paras = paragraphs(ARTICLE);
    assert_eq!(paras.len(), 6, "the sample article has 6 paragraphs");
    let index = OffsetIndex::new(ARTICLE);
    for para in &paras {
        let range = para.chars.clone();
        assert_eq!(index.byte_of_char(range.start), Some(para.bytes.start));
        assert_eq!(index.byte_of_char(range.end), Some(para.bytes.end));
        assert!(!ARTICLE[para.bytes.clone()].contains('\n'));
    }
    assert!(ARTICLE[paras[0].bytes.clone()].starts_with("أعلن فريق"));
    assert!(ARTICLE[paras[5].bytes.clone()].ends_with("في محافظة إدلب"));
}

#[test]
fn normalize_newlines_reports_what_changed() {
    let n = normalize_newlines("\u{FEFF}إدلب\r\nحماة\rحلب\n\u{FEFF}");
    assert_eq!(
        n.text, "إدلب\nحماة\nحلب\n\u{FEFF}",
        "only a leading BOM is removed"
    );
    assert!(n.had_bom);
    assert_eq!((n.crlf, n.lone_cr), (1, 1));
    let n = normalize_newlines("a\r\r\nb\r");
    assert_eq!(n.text, "a\n\nb\n");
    assert_eq!((n.had_bom, n.crlf, n.lone_cr), (false, 1, 2));
    let n = normalize_newlines(ARTICLE);
    assert_eq!(n.text, ARTICLE, "an already clean article is unchanged");
}

#[test]
fn markup_fixtures_parse_to_code_point_spans() {
    let (text, spans) = markup::parse("[PLACE|إدلب] و[PLACE|حماة]").unwrap();
    assert_eq!(text, "إدلب وحماة");
    assert_eq!(
        spans,
        vec![(r(0, 4), "PLACE".into()), (r(6, 10), "PLACE".into())]
    );
    let (text, spans) =
        markup::parse("أن [CASUALTY|19 مدنياً] قتلوا بغارات [ACTOR|قوات [PLACE|الأسد]]").unwrap();
    let index = OffsetIndex::new(&text);
    let covered: Vec<(&str, &str)> = spans
        .iter()
        .map(|(range, label)| (index.slice(&text, *range).unwrap(), label.as_str()))
        .collect();
    assert_eq!(
        covered,
        vec![
            ("19 مدنياً", "CASUALTY"),
            ("قوات الأسد", "ACTOR"),
            ("الأسد", "PLACE")
        ]
    );
}

#[test]
fn snapping_invariants_hold_across_the_article() {
    use tawsim::text::is_trimmable;
    use unicode_segmentation::UnicodeSegmentation;

    let text = format!("{ARTICLE}\n«مُحَمَّد» قـــتـــلى ١٩ 👨‍👩‍👧 🇸🇾 وإدلب\u{200F}، Idlib.");
    let index = OffsetIndex::new(&text);
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let word_bounds: Vec<usize> = text
        .split_word_bound_indices()
        .map(|(b, _)| index.char_of_byte(b).unwrap())
        .chain([n])
        .collect();
    let grapheme_bounds: Vec<usize> = text
        .grapheme_indices(true)
        .map(|(b, _)| index.char_of_byte(b).unwrap())
        .chain([n])
        .collect();
    // A fixed pseudo-random walk over drags of every length, both directions.
    let mut seed: u64 = 0x007a_571a;
    for _ in 0..3000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let a = (seed >> 33) as usize % (n + 1);
        let len = (seed >> 13) as usize % 40;
        let b = if seed & 1 == 0 {
            (a + len).min(n)
        } else {
            a.saturating_sub(len)
        };
        let (lo, hi) = (a.min(b), a.max(b));
        let selected = &chars[lo..hi];

        match snap_to_words(&text, &index, a, b) {
            Some(range) => {
                let covered = &chars[range.as_range()];
                assert!(!is_trimmable(covered[0]) && !is_trimmable(covered[covered.len() - 1]));
                // Every letter or digit the user dragged over is kept.
                for (k, c) in selected.iter().enumerate() {
                    if c.is_alphanumeric() {
                        assert!(range.contains_offset(lo + k), "{a}..{b} lost {c:?}");
                    }
                }
                // The result never reaches past the words the drag touched.
                let first = word_bounds.iter().rev().find(|&&w| w <= lo).unwrap();
                let last = word_bounds.iter().find(|&&w| w >= hi).unwrap();
                assert!(
                    *first <= range.start() && range.end() <= *last,
                    "{a}..{b} → {range}"
                );
            }
            None => assert!(
                !selected.iter().any(|c| c.is_alphanumeric()),
                "{a}..{b} selected letters but snapped to nothing"
            ),
        }

        if let Some(range) = snap_to_graphemes(&text, &index, a, b) {
            assert!(
                range.start() <= lo && hi <= range.end(),
                "{a}..{b} → {range}"
            );
            assert!(grapheme_bounds.contains(&range.start()));
            assert!(grapheme_bounds.contains(&range.end()));
        } else {
            assert!(lo == hi || selected.iter().all(|c| c.is_whitespace()));
        }
    }
}
