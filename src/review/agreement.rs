//! Inter-annotator agreement between layers: pairwise span F1 (exact and
//! overlap), Cohen's kappa over tokens, and Krippendorff's alpha (nominal,
//! over tokens) for any number of layers — overall and per label.
//!
//! Documents are added one at a time ([`AgreementBuilder::add_document`]), so
//! a whole project is measured in one pass without holding it in memory.
//!
//! # Tokens and their labels
//!
//! Tokens are the runs of non-whitespace characters of the document text
//! (code-point ranges). In each layer a token takes the label of the span that
//! overlaps it and starts first (ties: the longer span, then the lower id), or
//! `O` when no span of that layer touches it. Per-label figures binarise the
//! token labels: "is X" against "is not X".
//!
//! # Formulas
//!
//! Cohen's kappa for two layers: `(p_o − p_e) / (1 − p_e)` with `p_o` the share
//! of tokens labelled alike and `p_e = Σ_k p_a(k)·p_b(k)` from each layer's own
//! label distribution (as NLTK's `AnnotationTask.kappa` for two coders).
//! Krippendorff's alpha, nominal: `1 − (n − 1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k`
//! from the coincidence matrix `o` of all pairable values (every token is a
//! unit coded by every layer). A figure whose denominator is 0 (e.g. both
//! layers label every token `O`) is undefined: `None`.
//! Span F1 between two layers is symmetric; it is reported as the F1 of the
//! first layer evaluated against the second ([`super::evaluate`]).

use std::collections::{BTreeMap, HashMap};

use super::evaluate::{Counts, Matching, match_document};
use crate::model::{CharRange, LayerId, Span};

/// The label a token has when no span covers it.
pub const OUTSIDE: &str = "O";

/// The whitespace-separated tokens of `text`, as code-point ranges.
pub fn tokens(text: &str) -> Vec<CharRange> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in text.chars().enumerate() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.extend(CharRange::new(s, i).ok());
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.extend(CharRange::new(s, text.chars().count()).ok());
    }
    out
}

/// The label of each token in one layer (see the module documentation).
pub fn token_labels<'a>(tokens: &[CharRange], spans: &[&'a Span]) -> Vec<&'a str> {
    let mut sorted: Vec<&Span> = spans.to_vec();
    sorted.sort_by_key(|s| (s.range.start(), std::cmp::Reverse(s.range.end()), s.id));
    let max_len = sorted.iter().map(|s| s.range.len()).max().unwrap_or(0);
    tokens
        .iter()
        .map(|t| {
            let from = sorted.partition_point(|s| s.range.start() + max_len <= t.start());
            sorted[from..]
                .iter()
                .take_while(|s| s.range.start() < t.end())
                .find(|s| s.range.overlaps(*t))
                .map_or(OUTSIDE, |s| s.label.as_str())
        })
        .collect()
}

/// Cohen's kappa of two equally long label sequences.
pub fn cohen_kappa<T: Eq + std::hash::Hash>(a: &[T], b: &[T]) -> Option<f64> {
    let mut confusion: HashMap<(&T, &T), u64> = HashMap::new();
    for (x, y) in a.iter().zip(b) {
        *confusion.entry((x, y)).or_default() += 1;
    }
    kappa_from(&confusion)
}

fn kappa_from<T: Eq + std::hash::Hash>(confusion: &HashMap<(T, T), u64>) -> Option<f64> {
    let n: u64 = confusion.values().sum();
    if n == 0 {
        return None;
    }
    let mut agree = 0u64;
    let mut row: HashMap<&T, u64> = HashMap::new();
    let mut col: HashMap<&T, u64> = HashMap::new();
    for ((x, y), count) in confusion {
        if x == y {
            agree += count;
        }
        *row.entry(x).or_default() += count;
        *col.entry(y).or_default() += count;
    }
    let n = n as f64;
    let p_o = agree as f64 / n;
    let p_e: f64 = row
        .iter()
        .map(|(k, r)| *r as f64 / n * col.get(k).map_or(0.0, |c| *c as f64 / n))
        .sum();
    (p_e < 1.0).then(|| (p_o - p_e) / (1.0 - p_e))
}

/// Krippendorff's alpha (nominal) over units, each with one value per coder
/// (`None`: that coder gave no value). Units with fewer than two values are
/// not pairable and are skipped.
pub fn krippendorff_alpha<T: Eq + std::hash::Hash + Clone>(
    units: &[Vec<Option<T>>],
) -> Option<f64> {
    let mut acc = Coincidence::default();
    for unit in units {
        let values: Vec<&T> = unit.iter().flatten().collect();
        acc.add_unit(&values);
    }
    acc.alpha()
}

/// A coincidence matrix built unit by unit.
#[derive(Debug)]
struct Coincidence<T> {
    /// o_ck, for c ≠ k only (the diagonal is not needed).
    disagree: f64,
    /// n_c: pairable values per category.
    totals: HashMap<T, f64>,
}

impl<T> Default for Coincidence<T> {
    fn default() -> Self {
        Self {
            disagree: 0.0,
            totals: HashMap::new(),
        }
    }
}

impl<T: Eq + std::hash::Hash + Clone> Coincidence<T> {
    fn add_unit(&mut self, values: &[&T]) {
        let m = values.len();
        if m < 2 {
            return;
        }
        // Units are small (one value per layer): count with a short list.
        let mut counts: Vec<(&T, usize)> = Vec::with_capacity(m);
        for v in values {
            match counts.iter_mut().find(|(c, _)| c == v) {
                Some((_, n)) => *n += 1,
                None => counts.push((*v, 1)),
            }
        }
        // Ordered pairs of different values within the unit, over m − 1.
        let same: usize = counts.iter().map(|(_, c)| c * (c - 1)).sum();
        let pairs = m * (m - 1);
        self.disagree += (pairs - same) as f64 / (m - 1) as f64;
        for (v, c) in counts {
            if let Some(total) = self.totals.get_mut(v) {
                *total += c as f64;
            } else {
                self.totals.insert(v.clone(), c as f64);
            }
        }
    }

    fn alpha(&self) -> Option<f64> {
        let n: f64 = self.totals.values().sum();
        let sum_sq: f64 = self.totals.values().map(|c| c * c).sum();
        let expected = n * n - sum_sq; // Σ_{c≠k} n_c n_k
        (n > 1.0 && expected > 0.0).then(|| 1.0 - (n - 1.0) * self.disagree / expected)
    }
}

/// Agreement of one pair of layers.
#[derive(Debug, Clone, PartialEq)]
pub struct PairAgreement {
    pub a: LayerId,
    pub b: LayerId,
    /// Span counts of `a` evaluated against `b`, per label, exact matching.
    pub exact: BTreeMap<String, Counts>,
    /// The same with overlap matching.
    pub overlap: BTreeMap<String, Counts>,
    /// Cohen's kappa over all token labels.
    pub kappa: Option<f64>,
    /// Cohen's kappa of the binarised token labels, per label.
    pub kappa_per_label: BTreeMap<String, Option<f64>>,
}

impl PairAgreement {
    /// Span F1 summed over labels.
    pub fn f1(&self, matching: Matching) -> Option<f64> {
        let per_label = match matching {
            Matching::Exact => &self.exact,
            Matching::Overlap => &self.overlap,
        };
        let mut total = Counts::default();
        for c in per_label.values() {
            total.add(*c);
        }
        total.f1()
    }
}

/// Agreement of a set of layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub layers: Vec<LayerId>,
    pub pairs: Vec<PairAgreement>,
    /// Krippendorff's alpha over all token labels, every layer a coder.
    pub alpha: Option<f64>,
    pub alpha_per_label: BTreeMap<String, Option<f64>>,
    pub documents: usize,
    pub tokens: usize,
}

/// Accumulates agreement document by document.
pub struct AgreementBuilder {
    layers: Vec<LayerId>,
    /// Label names by interned id; id 0 is [`OUTSIDE`].
    names: Vec<String>,
    ids: HashMap<String, u32>,
    /// Per pair: span counts (exact, overlap) and token confusion by label ids.
    exact: Vec<BTreeMap<String, Counts>>,
    overlap: Vec<BTreeMap<String, Counts>>,
    confusion: Vec<HashMap<(u32, u32), u64>>,
    alpha: Coincidence<u32>,
    documents: usize,
    tokens: usize,
}

impl AgreementBuilder {
    pub fn new(layers: &[LayerId]) -> Self {
        let pairs = layers.len() * layers.len().saturating_sub(1) / 2;
        Self {
            layers: layers.to_vec(),
            names: vec![OUTSIDE.to_owned()],
            ids: HashMap::from([(OUTSIDE.to_owned(), 0)]),
            exact: vec![BTreeMap::new(); pairs],
            overlap: vec![BTreeMap::new(); pairs],
            confusion: vec![HashMap::new(); pairs],
            alpha: Coincidence::default(),
            documents: 0,
            tokens: 0,
        }
    }

    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + use<> {
        let n = self.layers.len();
        (0..n).flat_map(move |i| (i + 1..n).map(move |j| (i, j)))
    }

    fn intern(&mut self, label: &str) -> u32 {
        if let Some(id) = self.ids.get(label) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(label.to_owned());
        self.ids.insert(label.to_owned(), id);
        id
    }

    /// Add one document: its text and its live spans (any layers; spans of
    /// layers not in the set are ignored).
    pub fn add_document(&mut self, text: &str, spans: &[Span]) {
        let per_layer: Vec<Vec<&Span>> = self
            .layers
            .iter()
            .map(|l| spans.iter().filter(|s| s.layer == *l).collect())
            .collect();
        let toks = tokens(text);
        let labels: Vec<Vec<u32>> = per_layer
            .iter()
            .map(|s| {
                token_labels(&toks, s)
                    .into_iter()
                    .map(|l| self.intern(l))
                    .collect()
            })
            .collect();
        for (k, (i, j)) in self.pairs().enumerate() {
            for (matching, counts) in [
                (Matching::Exact, &mut self.exact[k]),
                (Matching::Overlap, &mut self.overlap[k]),
            ] {
                let mut a = per_layer[i].clone();
                let mut b = per_layer[j].clone();
                match_document(&mut a, &mut b, matching, counts, |_| {}, |_| {});
            }
            let confusion = &mut self.confusion[k];
            for (x, y) in labels[i].iter().zip(&labels[j]) {
                *confusion.entry((*x, *y)).or_default() += 1;
            }
        }
        let mut unit: Vec<&u32> = Vec::with_capacity(self.layers.len());
        for t in 0..toks.len() {
            unit.clear();
            unit.extend(labels.iter().map(|l| &l[t]));
            self.alpha.add_unit(&unit);
        }
        self.documents += 1;
        self.tokens += toks.len();
    }

    pub fn finish(self) -> Agreement {
        let pairs: Vec<(usize, usize)> = self.pairs().collect();
        let mut labels: Vec<(String, u32)> = self
            .names
            .iter()
            .enumerate()
            .skip(1)
            .map(|(id, name)| (name.clone(), id as u32))
            .collect();
        labels.sort();
        let pair_results = pairs
            .iter()
            .enumerate()
            .map(|(k, (i, j))| {
                let confusion = &self.confusion[k];
                let kappa_per_label = labels
                    .iter()
                    .map(|(name, id)| {
                        let mut binary: HashMap<(bool, bool), u64> = HashMap::new();
                        for ((x, y), c) in confusion {
                            *binary.entry((x == id, y == id)).or_default() += c;
                        }
                        (name.clone(), kappa_from(&binary))
                    })
                    .collect();
                PairAgreement {
                    a: self.layers[*i],
                    b: self.layers[*j],
                    exact: self.exact[k].clone(),
                    overlap: self.overlap[k].clone(),
                    kappa: kappa_from(confusion),
                    kappa_per_label,
                }
            })
            .collect();
        // Per-label alpha comes from the pairwise confusions, which hold every
        // pair of coders' values per token (every token is coded by all layers).
        let alpha_per_label = labels
            .iter()
            .map(|(name, id)| (name.clone(), self.binary_alpha(*id)))
            .collect();
        Agreement {
            layers: self.layers.clone(),
            pairs: pair_results,
            alpha: self.alpha.alpha(),
            alpha_per_label,
            documents: self.documents,
            tokens: self.tokens,
        }
    }

    /// Alpha of the binarised labels "is `label`" from the pairwise confusions.
    ///
    /// With every unit coded by all m layers, o_ck = Σ_pairs (count of (c,k)
    /// and (k,c) over coder pairs) / (m − 1), and n_c follows from o.
    fn binary_alpha(&self, label: u32) -> Option<f64> {
        let m = self.layers.len();
        if m < 2 {
            return None;
        }
        let mut disagree = 0.0;
        let mut yes_pairs = 0.0; // ordered (yes, yes) pairs
        let mut total_pairs = 0.0;
        for confusion in &self.confusion {
            for ((x, y), c) in confusion {
                let (x, y) = (*x == label, *y == label);
                let c = *c as f64;
                total_pairs += 2.0 * c;
                if x != y {
                    disagree += 2.0 * c;
                } else if x {
                    yes_pairs += 2.0 * c;
                }
            }
        }
        let scale = (m - 1) as f64;
        let o_disagree = disagree / scale;
        let n = total_pairs / scale;
        // n_yes = o_yy + o_yn, where o_yn is half of the disagreements.
        let n_yes = yes_pairs / scale + o_disagree / 2.0;
        let n_no = n - n_yes;
        let expected = 2.0 * n_yes * n_no;
        (n > 1.0 && expected > 0.0).then(|| 1.0 - (n - 1.0) * o_disagree / expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::fixtures::span;

    #[test]
    fn kappa_matches_a_hand_computed_table() {
        // 10 items: both yes 4, both no 3, a yes/b no 2, a no/b yes 1.
        let a = "YYYYNNNYYN".chars().collect::<Vec<_>>();
        let b = "YYYYNNNNNY".chars().collect::<Vec<_>>();
        // p_o = 0.7; p_a(Y)=0.6, p_b(Y)=0.5 → p_e = 0.3 + 0.2 = 0.5; κ = 0.4.
        let k = cohen_kappa(&a, &b).unwrap();
        assert!((k - 0.4).abs() < 1e-12, "{k}");
        assert_eq!(cohen_kappa(&['O', 'O'], &['O', 'O']), None);
    }

    #[test]
    fn alpha_matches_krippendorffs_worked_example() {
        // Krippendorff (2011), "Computing Krippendorff's alpha-reliability",
        // nominal example: 4 observers, 12 units, missing values; α = 0.743.
        let rows = [
            "1 2 3 3 2 1 4 1 2 . . .",
            "1 2 3 3 2 2 4 1 2 5 . 3",
            ". 3 3 3 2 3 4 2 2 5 1 .",
            "1 2 3 3 2 4 4 1 2 5 1 .",
        ];
        let data: Vec<Vec<Option<u8>>> = rows
            .iter()
            .map(|r| r.split(' ').map(|v| v.parse().ok()).collect())
            .collect();
        let units: Vec<Vec<Option<u8>>> = (0..12)
            .map(|u| data.iter().map(|c| c[u]).collect())
            .collect();
        let alpha = krippendorff_alpha(&units).unwrap();
        assert!((alpha - 0.743).abs() < 0.001, "{alpha}");
    }

    #[test]
    fn tokens_take_the_first_overlapping_spans_label() {
        let text = "قصفت قوات الأسد مدينة إدلب";
        let toks = tokens(text);
        assert_eq!(toks.len(), 5);
        let spans = [span(1, 1, 5, 15, "ACTOR"), span(2, 1, 22, 26, "PLACE")];
        let refs: Vec<&Span> = spans.iter().collect();
        assert_eq!(
            token_labels(&toks, &refs),
            ["O", "ACTOR", "ACTOR", "O", "PLACE"]
        );
    }

    #[test]
    fn builder_agrees_with_the_direct_formulas() {
        let text = "قصفت قوات الأسد مدينة إدلب يوم الخميس";
        let spans = [
            span(1, 1, 5, 15, "ACTOR"),
            span(2, 1, 22, 26, "PLACE"),
            span(3, 2, 5, 9, "ACTOR"),
            span(4, 2, 16, 26, "PLACE"),
            span(5, 2, 27, 37, "DATE"),
        ];
        let mut builder = AgreementBuilder::new(&[1, 2]);
        builder.add_document(text, &spans);
        let agreement = builder.finish();
        let pair = &agreement.pairs[0];
        // Exact: nothing matches; overlap: ACTOR and PLACE match.
        assert_eq!(pair.f1(Matching::Exact), None);
        let overlap_f1 = pair.f1(Matching::Overlap).unwrap();
        assert!((overlap_f1 - 0.8).abs() < 1e-12, "{overlap_f1}");

        let toks = tokens(text);
        let a: Vec<&Span> = spans.iter().filter(|s| s.layer == 1).collect();
        let b: Vec<&Span> = spans.iter().filter(|s| s.layer == 2).collect();
        let la = token_labels(&toks, &a);
        let lb = token_labels(&toks, &b);
        assert_eq!(pair.kappa, cohen_kappa(&la, &lb));
        let units: Vec<Vec<Option<&str>>> = la
            .iter()
            .zip(&lb)
            .map(|(x, y)| vec![Some(*x), Some(*y)])
            .collect();
        let alpha = krippendorff_alpha(&units).unwrap();
        assert!((agreement.alpha.unwrap() - alpha).abs() < 1e-12);
        // Per label: binarised by hand.
        for label in ["ACTOR", "PLACE", "DATE"] {
            let bin = |l: &Vec<&str>| l.iter().map(|x| *x == label).collect::<Vec<_>>();
            assert_eq!(
                pair.kappa_per_label[label],
                cohen_kappa(&bin(&la), &bin(&lb))
            );
            let units: Vec<Vec<Option<bool>>> = bin(&la)
                .into_iter()
                .zip(bin(&lb))
                .map(|(x, y)| vec![Some(x), Some(y)])
                .collect();
            let direct = krippendorff_alpha(&units);
            let got = agreement.alpha_per_label[label];
            match (got, direct) {
                (Some(g), Some(d)) => assert!((g - d).abs() < 1e-12, "{label}: {g} vs {d}"),
                (g, d) => assert_eq!(g, d, "{label}"),
            }
        }
        assert_eq!(agreement.tokens, 7);
    }
}
