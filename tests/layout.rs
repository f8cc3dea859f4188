//! Hit-testing and geometry of the article layout on the real sample article.

use std::sync::Arc;

use tawsim::fonts::font_system;
use tawsim::layout::{ArticleLayout, LayoutParams};
use tawsim::model::Direction;
use tawsim::text::OffsetIndex;
use unicode_segmentation::UnicodeSegmentation;

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

fn layout(text: &str, width: f32, direction: Direction) -> ArticleLayout {
    let mut fonts = font_system();
    let text: Arc<str> = Arc::from(text);
    let index = Arc::new(OffsetIndex::new(&text));
    let params = LayoutParams {
        width,
        direction,
        ..LayoutParams::default()
    };
    ArticleLayout::new(&mut fonts, text, index, params)
}

/// The code-point ranges of the extended grapheme clusters of `text`.
fn graphemes(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    for g in text.graphemes(true) {
        let n = g.chars().count();
        out.push(at..at + n);
        at += n;
    }
    out
}

/// For every visible character of the article, the centre of its box hits
/// back to it. Two things are one unit here, by design: a letter and its
/// diacritics (one grapheme), and a ligature cluster such as lam-alef «لا»,
/// whose glyph covers several graphemes (its width is shared evenly between
/// them, in logical order, as cosmic-text's `Buffer::hit` does).
#[test]
fn centre_of_every_character_hits_back_to_it() {
    let l = layout(ARTICLE, 640.0, Direction::Rtl);
    let chars: Vec<char> = ARTICLE.chars().collect();
    let units = graphemes(ARTICLE);
    let mut checked = 0;
    for unit in &units {
        let c = unit.start;
        if chars[c].is_whitespace() {
            continue;
        }
        let boxes = l.range_boxes(c..c + 1);
        assert!(!boxes.is_empty(), "character {c} {:?} has no box", chars[c]);
        let (x, y) = boxes[0].center();
        let hit = l
            .char_at(x, y)
            .unwrap_or_else(|| panic!("centre of {c} {:?} hits nothing", chars[c]));
        // The glyph cluster holding c (a ligature may span several graphemes).
        let cluster = l
            .glyphs()
            .iter()
            .find(|g| g.chars.contains(&c))
            .map(|g| g.chars.clone())
            .expect("every visible character is in a glyph");
        let same_unit = unit.contains(&hit) || cluster.contains(&hit);
        assert!(
            same_unit,
            "centre of {c} {:?} (grapheme {unit:?}, cluster {cluster:?}) hit {hit} {:?}",
            chars[c], chars[hit]
        );
        checked += 1;
    }
    assert!(checked > 1800, "only {checked} characters checked");
}

/// Boundaries from `hit_boundary` round-trip through the boxes: a point just
/// inside the logical start edge of a word gives the word's start offset.
#[test]
fn pointer_at_word_edges_maps_to_word_offsets() {
    let l = layout(ARTICLE, 640.0, Direction::Rtl);
    let chars: Vec<char> = ARTICLE.chars().collect();
    let word: Vec<char> = "إدلب".chars().collect();
    let start = (0..chars.len())
        .find(|&i| chars[i..].starts_with(&word))
        .expect("the article mentions Idlib");
    let end = start + word.len();
    let first = l.range_boxes(start..start + 1)[0];
    let last = l.range_boxes(end - 1..end)[0];
    // Right to left: the first letter is at the right, the last at the left.
    assert!(first.x0 > last.x0);
    let y = first.center().1;
    assert_eq!(l.hit_boundary(first.x1 - 0.5, y), Some(start));
    assert_eq!(l.hit_boundary(last.x0 + 0.5, y), Some(end));
}

/// Every character of the article is laid out exactly once and every line
/// fits the wrap width.
#[test]
fn wrapping_keeps_every_character_once_within_the_width() {
    for width in [300.0, 640.0, 1200.0] {
        let l = layout(ARTICLE, width, Direction::Rtl);
        let mut covered = vec![0u8; ARTICLE.chars().count()];
        for g in l.glyphs() {
            for c in g.chars.clone() {
                covered[c] += 1;
            }
        }
        let chars: Vec<char> = ARTICLE.chars().collect();
        for (i, n) in covered.iter().enumerate() {
            if chars[i] == '\n' {
                assert_eq!(*n, 0, "newline {i} is not drawn");
            } else if chars[i] == ' ' {
                // A space where a line wraps is swallowed by the break.
                assert!(*n <= 1, "space {i} drawn twice");
            } else {
                assert!(
                    *n >= 1,
                    "character {i} {:?} missing at width {width}",
                    chars[i]
                );
            }
        }
        for line in l.lines() {
            for g in &l.glyphs()[line.glyphs.clone()] {
                if ARTICLE
                    .chars()
                    .nth(g.chars.start)
                    .is_some_and(char::is_whitespace)
                {
                    continue; // trailing spaces may hang past the edge
                }
                assert!(
                    g.x >= -0.5 && g.x + g.w <= width + 0.5,
                    "glyph outside {width}: {g:?}"
                );
            }
        }
        assert_eq!(l.lines().iter().map(|line| line.para).max(), Some(5));
    }
}

/// `(00:01)` and `2017` read left to right inside the right-to-left text.
#[test]
fn numbers_in_the_article_keep_their_order() {
    let l = layout(ARTICLE, 640.0, Direction::Rtl);
    let chars: Vec<char> = ARTICLE.chars().collect();
    for needle in ["00:01", "2017", "400"] {
        let n: Vec<char> = needle.chars().collect();
        let at = (0..chars.len())
            .find(|&i| chars[i..].starts_with(&n))
            .unwrap_or_else(|| panic!("{needle} is in the article"));
        let xs: Vec<f32> = (at..at + n.len())
            .map(|c| l.range_boxes(c..c + 1)[0].x0)
            .collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{needle}: {xs:?}");
    }
}
