//! Evaluating one layer (e.g. a model's extractions) against another (gold):
//! precision, recall and F1 per label and overall, with exact or overlap
//! matching, and the lists of misses and false alarms.
//!
//! Matching is one to one and per document. **Exact**: same offsets and same
//! label. **Overlap**: same label and at least one shared character; each gold
//! span takes the unmatched predicted span that shares the most characters
//! with it (ties: the earlier one), gold spans taken in text order.
//! Precision is undefined (`None`) when nothing was predicted, recall when
//! gold is empty, F1 when either is undefined or both are 0.

use std::collections::{BTreeMap, HashMap};

use crate::model::{DocId, Span};

/// How a predicted span is matched with a gold span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matching {
    Exact,
    Overlap,
}

impl Matching {
    pub fn as_str(self) -> &'static str {
        match self {
            Matching::Exact => "exact",
            Matching::Overlap => "overlap",
        }
    }
}

/// True positives, false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        (p + r > 0.0).then(|| 2.0 * p * r / (p + r))
    }

    pub(crate) fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub matching: Matching,
    /// Per label, in label order.
    pub per_label: BTreeMap<String, Counts>,
    /// Summed over labels (micro average).
    pub overall: Counts,
    /// Gold spans no predicted span matched.
    pub misses: Vec<Span>,
    /// Predicted spans that matched no gold span.
    pub false_alarms: Vec<Span>,
}

/// Compare `predicted` with `gold` (spans of any number of documents).
pub fn evaluate(predicted: &[Span], gold: &[Span], matching: Matching) -> Evaluation {
    let mut by_doc: HashMap<DocId, (Vec<&Span>, Vec<&Span>)> = HashMap::new();
    for s in predicted {
        by_doc.entry(s.doc).or_default().0.push(s);
    }
    for s in gold {
        by_doc.entry(s.doc).or_default().1.push(s);
    }
    let mut docs: Vec<_> = by_doc.into_iter().collect();
    docs.sort_by_key(|(doc, _)| *doc);

    let mut per_label: BTreeMap<String, Counts> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut false_alarms = Vec::new();
    for (_, (mut pred, mut gold)) in docs {
        match_document(
            &mut pred,
            &mut gold,
            matching,
            &mut per_label,
            |g| misses.push(g.clone()),
            |p| false_alarms.push(p.clone()),
        );
    }
    let mut overall = Counts::default();
    for counts in per_label.values() {
        overall.add(*counts);
    }
    Evaluation {
        matching,
        per_label,
        overall,
        misses,
        false_alarms,
    }
}

/// Match the spans of ONE document and add the outcome to `per_label`,
/// reporting each miss and false alarm. Sorts both slices.
pub(crate) fn match_document(
    pred: &mut [&Span],
    gold: &mut [&Span],
    matching: Matching,
    per_label: &mut BTreeMap<String, Counts>,
    mut on_miss: impl FnMut(&Span),
    mut on_false_alarm: impl FnMut(&Span),
) {
    pred.sort_by_key(|s| (s.range, s.id));
    gold.sort_by_key(|s| (s.range, s.id));
    let mut used = vec![false; pred.len()];
    for g in gold.iter() {
        // Predicted spans starting after `g` ends cannot touch it.
        let end = pred.partition_point(|p| p.range.start() < g.range.end());
        let candidate = pred[..end]
            .iter()
            .enumerate()
            .filter(|(i, p)| !used[*i] && p.label == g.label)
            .filter_map(|(i, p)| {
                let shared = match matching {
                    Matching::Exact => (p.range == g.range).then_some(g.range.len()),
                    Matching::Overlap => g.range.intersection(p.range).map(|r| r.len()),
                }?;
                Some((i, shared))
            })
            // Most shared characters; on a tie the earlier predicted span.
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        let counts = counts_for(per_label, &g.label);
        match candidate {
            Some((i, _)) => {
                used[i] = true;
                counts.tp += 1;
            }
            None => {
                counts.fn_ += 1;
                on_miss(g);
            }
        }
    }
    for (p, used) in pred.iter().zip(used) {
        if !used {
            counts_for(per_label, &p.label).fp += 1;
            on_false_alarm(p);
        }
    }
}

fn counts_for<'m>(per_label: &'m mut BTreeMap<String, Counts>, label: &str) -> &'m mut Counts {
    per_label.entry(label.to_owned()).or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::fixtures::span;

    #[test]
    fn known_precision_and_recall_exact_and_overlap() {
        let gold = [
            span(1, 1, 0, 4, "PLACE"),
            span(2, 1, 10, 20, "ACTOR"),
            span(3, 1, 30, 35, "DATE"),
            span(4, 1, 40, 45, "PLACE"),
        ];
        let pred = [
            span(11, 2, 0, 4, "PLACE"),   // exact hit
            span(12, 2, 12, 20, "ACTOR"), // overlap hit only
            span(13, 2, 30, 35, "PLACE"), // wrong label: miss + false alarm
            span(14, 2, 50, 55, "PLACE"), // false alarm
        ];
        let exact = evaluate(&pred, &gold, Matching::Exact);
        assert_eq!(
            exact.overall,
            Counts {
                tp: 1,
                fp: 3,
                fn_: 3
            }
        );
        assert_eq!(exact.overall.precision(), Some(0.25));
        assert_eq!(exact.overall.recall(), Some(0.25));
        assert_eq!(
            exact.per_label["PLACE"],
            Counts {
                tp: 1,
                fp: 2,
                fn_: 1
            }
        );
        assert_eq!(
            exact.per_label["DATE"],
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(exact.per_label["DATE"].precision(), None);

        let overlap = evaluate(&pred, &gold, Matching::Overlap);
        assert_eq!(
            overlap.overall,
            Counts {
                tp: 2,
                fp: 2,
                fn_: 2
            }
        );
        assert_eq!(overlap.overall.f1(), Some(0.5));
        let missed: Vec<i64> = overlap.misses.iter().map(|s| s.id).collect();
        assert_eq!(missed, [3, 4]);
        let alarms: Vec<i64> = overlap.false_alarms.iter().map(|s| s.id).collect();
        assert_eq!(alarms, [13, 14]);
    }

    #[test]
    fn overlap_matching_is_one_to_one_and_prefers_the_larger_overlap() {
        let gold = [span(1, 1, 0, 10, "ACTOR")];
        let pred = [span(11, 2, 0, 3, "ACTOR"), span(12, 2, 2, 10, "ACTOR")];
        let e = evaluate(&pred, &gold, Matching::Overlap);
        assert_eq!(
            e.overall,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
        assert_eq!(e.false_alarms[0].id, 11);
    }

    #[test]
    fn spans_of_different_documents_never_match() {
        let gold = [span(1, 1, 0, 4, "PLACE")];
        let mut p = span(11, 2, 0, 4, "PLACE");
        p.doc = 2;
        let e = evaluate(&[p], &gold, Matching::Exact);
        assert_eq!(
            e.overall,
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(e.overall.f1(), None);
    }
}
