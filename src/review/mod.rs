//! Comparing layers of one document: which spans agree, which conflict, and
//! the measures reviewers read (evaluation against gold, inter-annotator
//! agreement).
//!
//! Everything here is a pure function over spans already read from the store:
//! no SQL, no egui, no I/O, so the app, the command line and the benchmarks
//! share one implementation and the tests need no database.
//!
//! # Categories
//!
//! For a span of layer L compared with the other layers of the set:
//!
//! - **agreed**: every other layer has a span with the same offsets and label;
//! - **label conflict**: some other layer has a span with the same offsets and
//!   another label;
//! - **partial overlap**: otherwise, some other layer has a span that overlaps
//!   it (shares at least one character) with other offsets;
//! - **only in some layers**: otherwise; with two layers this is "in one layer
//!   only".
//!
//! Touching spans (`0..3` and `3..5`) do not overlap. Spans of the same layer
//! never match each other.

pub mod agreement;
pub mod evaluate;

use std::collections::HashMap;

use crate::model::{CharRange, LayerId, Span, SpanId};

/// How a span stands against the other layers compared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Same offsets and label in every other layer.
    Agreed,
    /// Same offsets, another label, in at least one other layer.
    LabelConflict,
    /// Overlaps a span of another layer with other offsets.
    PartialOverlap,
    /// Found, exactly, in `layers` of the compared layers (counting its own)
    /// and overlapped by nothing in the others.
    OnlyIn { layers: usize },
}

impl Category {
    /// A short English description for lists and tooltips.
    pub fn describe(self, total_layers: usize) -> String {
        match self {
            Category::Agreed => "agreed by all layers".into(),
            Category::LabelConflict => "label conflict".into(),
            Category::PartialOverlap => "partial overlap".into(),
            Category::OnlyIn { layers: 1 } => "in one layer only".into(),
            Category::OnlyIn { layers } => format!("in {layers} of {total_layers} layers"),
        }
    }
}

/// The category of every span of `spans` that belongs to one of `layers`,
/// by span id. Spans of other layers are ignored.
pub fn categorize(spans: &[Span], layers: &[LayerId]) -> HashMap<SpanId, Category> {
    let shown: Vec<&Span> = spans.iter().filter(|s| layers.contains(&s.layer)).collect();
    // Sorted by start, so the spans overlapping one are found by a short scan.
    let mut by_start = shown.clone();
    by_start.sort_by_key(|s| (s.range.start(), s.range.end(), s.id));
    let max_len = by_start.iter().map(|s| s.range.len()).max().unwrap_or(0);
    let mut out = HashMap::with_capacity(shown.len());
    for span in &shown {
        let others = overlapping(&by_start, span.range, max_len)
            .filter(|o| o.layer != span.layer)
            .collect::<Vec<_>>();
        let mut exact_layers: Vec<LayerId> = others
            .iter()
            .filter(|o| o.range == span.range && o.label == span.label)
            .map(|o| o.layer)
            .collect();
        exact_layers.sort_unstable();
        exact_layers.dedup();
        let other_layers = layers.iter().filter(|l| **l != span.layer).count();
        let category = if exact_layers.len() == other_layers {
            Category::Agreed
        } else if others
            .iter()
            .any(|o| o.range == span.range && o.label != span.label)
        {
            Category::LabelConflict
        } else if others.iter().any(|o| o.range != span.range) {
            Category::PartialOverlap
        } else {
            Category::OnlyIn {
                layers: exact_layers.len() + 1,
            }
        };
        out.insert(span.id, category);
    }
    out
}

/// The spans of `sorted` (by start) that share a character with `range`.
fn overlapping<'a>(
    sorted: &'a [&'a Span],
    range: CharRange,
    max_len: usize,
) -> impl Iterator<Item = &'a Span> + 'a {
    let from = sorted.partition_point(|s| s.range.start() + max_len <= range.start());
    sorted[from..]
        .iter()
        .take_while(move |s| s.range.start() < range.end())
        .filter(move |s| s.range.overlaps(range))
        .copied()
}

#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::{CharRange, LayerId, Origin, Span, SpanId};

    /// A live span for tests.
    pub fn span(id: SpanId, layer: LayerId, start: usize, end: usize, label: &str) -> Span {
        Span {
            id,
            doc: 1,
            annotator: 1,
            layer,
            range: CharRange::new(start, end).expect("a test range"),
            label: label.into(),
            text: String::new(),
            origin: Origin::Manual,
            attrs: Default::default(),
            note: String::new(),
            score: None,
            model: None,
            schema_version: None,
            source_span: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::span;
    use super::*;

    #[test]
    fn every_category_between_two_layers() {
        let spans = [
            span(1, 10, 0, 4, "PLACE"),   // agreed with 11
            span(2, 11, 0, 4, "PLACE"),   //
            span(3, 10, 10, 15, "ACTOR"), // conflict with 4
            span(4, 11, 10, 15, "PLACE"), //
            span(5, 10, 20, 30, "DATE"),  // partial overlap with 6
            span(6, 11, 25, 35, "DATE"),  //
            span(7, 10, 40, 44, "PLACE"), // only in layer 10
            span(8, 11, 44, 48, "PLACE"), // touches 7: only in layer 11
            span(9, 12, 40, 44, "PLACE"), // a layer not compared: ignored
        ];
        let got = categorize(&spans, &[10, 11]);
        assert_eq!(got[&1], Category::Agreed);
        assert_eq!(got[&2], Category::Agreed);
        assert_eq!(got[&3], Category::LabelConflict);
        assert_eq!(got[&4], Category::LabelConflict);
        assert_eq!(got[&5], Category::PartialOverlap);
        assert_eq!(got[&6], Category::PartialOverlap);
        assert_eq!(got[&7], Category::OnlyIn { layers: 1 });
        assert_eq!(got[&8], Category::OnlyIn { layers: 1 });
        assert!(!got.contains_key(&9));
    }

    #[test]
    fn nested_spans_overlap_and_same_layer_spans_never_match() {
        let spans = [
            span(1, 10, 0, 20, "ACTOR"),
            span(2, 10, 0, 20, "ACTOR"), // a duplicate in the same layer
            span(3, 11, 5, 9, "ACTOR"),  // nested inside 1
        ];
        let got = categorize(&spans, &[10, 11]);
        assert_eq!(got[&1], Category::PartialOverlap);
        assert_eq!(got[&2], Category::PartialOverlap);
        assert_eq!(got[&3], Category::PartialOverlap);
    }

    #[test]
    fn three_layers_agreement_needs_all_of_them() {
        let spans = [
            span(1, 10, 0, 4, "PLACE"),
            span(2, 11, 0, 4, "PLACE"),
            span(3, 12, 0, 4, "PLACE"),
            span(4, 10, 8, 12, "DATE"),
            span(5, 11, 8, 12, "DATE"),
        ];
        let got = categorize(&spans, &[10, 11, 12]);
        assert_eq!(got[&1], Category::Agreed);
        assert_eq!(got[&3], Category::Agreed);
        assert_eq!(got[&4], Category::OnlyIn { layers: 2 });
        assert_eq!(
            Category::OnlyIn { layers: 2 }.describe(3),
            "in 2 of 3 layers"
        );
    }

    #[test]
    fn a_long_span_far_before_still_counts_as_overlapping() {
        let spans = [
            span(1, 10, 0, 100, "ACTOR"),
            span(2, 10, 50, 52, "PLACE"),
            span(3, 11, 90, 95, "ACTOR"),
        ];
        let got = categorize(&spans, &[10, 11]);
        assert_eq!(got[&1], Category::PartialOverlap);
        assert_eq!(got[&3], Category::PartialOverlap);
        assert_eq!(got[&2], Category::OnlyIn { layers: 1 });
    }
}
