//! Precision and recall of the DATE and CASUALTY recognisers on the hand-made
//! gold sets in tests/data/suggest-gold (see its README.md).
//!
//! A gold file is tawsim's JSONL import format ([`tawsim::io::jsonl`]); only
//! its `DATE` and `CASUALTY` spans are read. Each record's text is run
//! through [`tawsim::suggest::suggest`] with the DATE and CASUALTY
//! recognisers. *Exact*: a suggestion counts when a gold span of the same
//! label has the same offsets. *Overlap*: a suggestion counts when it
//! overlaps a gold span of the same label (precision), and a gold span counts
//! when a suggestion of its label overlaps it (recall).
//!
//! Shared by tests/suggest_quality.rs and examples/suggest_quality.rs
//! (`#[path]`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tawsim::suggest::{Recogniser, Suggestion, suggest};

pub const LABELS: [&str; 2] = ["DATE", "CASUALTY"];

/// The held-out gold files (not the sample article), relative to the crate.
pub const HELD_OUT: [&str; 2] = [
    "tests/data/suggest-gold/ud-arabic-pud-news.jsonl",
    "tests/data/suggest-gold/newsfane-conflict.jsonl",
];

/// The sample article's gold, reported apart (the recognisers' examples
/// come from it).
pub const SAMPLE: &str = "tests/data/suggest-gold/sample-article.jsonl";

pub fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A gold or suggested span: start, end, label, `count` attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub count: Option<u64>,
    pub kind: Option<String>,
}

/// One document of a gold file with its gold spans and the suggestions.
pub struct Doc {
    pub id: String,
    pub text: String,
    pub gold: Vec<Span>,
    pub suggested: Vec<Span>,
}

fn from_suggestion(s: &Suggestion) -> Span {
    Span {
        start: s.range.start(),
        end: s.range.end(),
        label: s.label.clone(),
        count: s.attrs.get("count").and_then(|v| v.as_u64()),
        kind: s
            .attrs
            .get("kind")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
    }
}

/// Read a gold file and run the recognisers on each of its documents.
pub fn load(rel: &str) -> Result<Vec<Doc>, String> {
    let file = path(rel);
    let bytes = std::fs::read(&file).map_err(|e| format!("{e}: {}", file.display()))?;
    let read = tawsim::io::jsonl::parse_jsonl(&bytes, rel, "gold", false);
    if let Some(p) = read.problems.first() {
        return Err(format!("{p:?}"));
    }
    Ok(read
        .records
        .into_iter()
        .map(|r| {
            let text = r.doc.text;
            let gold = r
                .spans
                .iter()
                .filter(|s| LABELS.contains(&s.label.as_str()))
                .map(|s| Span {
                    start: s.start,
                    end: s.end,
                    label: s.label.clone(),
                    count: s.attrs.get("count").and_then(|v| v.as_u64()),
                    kind: s
                        .attrs
                        .get("kind")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                })
                .collect();
            let suggested = suggest(&text, &[Recogniser::Date, Recogniser::Casualty], None)
                .iter()
                .map(from_suggestion)
                .collect();
            Doc {
                id: r.doc.title,
                text,
                gold,
                suggested,
            }
        })
        .collect())
}

/// Counts for one label.
#[derive(Debug, Default, Clone, Copy)]
pub struct Score {
    pub gold: usize,
    pub suggested: usize,
    pub exact: usize,
    /// Suggestions that overlap a gold span.
    pub overlap_p: usize,
    /// Gold spans that a suggestion overlaps.
    pub overlap_r: usize,
    /// CASUALTY: overlapping pairs, and those whose `count` / `kind` agree.
    pub pairs: usize,
    pub count_ok: usize,
    pub kind_ok: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

impl Score {
    pub fn exact_p(&self) -> f64 {
        ratio(self.exact, self.suggested)
    }
    pub fn exact_r(&self) -> f64 {
        ratio(self.exact, self.gold)
    }
    pub fn overlap_p(&self) -> f64 {
        ratio(self.overlap_p, self.suggested)
    }
    pub fn overlap_r(&self) -> f64 {
        ratio(self.overlap_r, self.gold)
    }
}

fn overlaps(a: &Span, b: &Span) -> bool {
    a.label == b.label && a.start < b.end && b.start < a.end
}

/// Score `label` over `docs`.
pub fn score(docs: &[Doc], label: &str) -> Score {
    let mut s = Score::default();
    for d in docs {
        let gold: Vec<&Span> = d.gold.iter().filter(|g| g.label == label).collect();
        let sug: Vec<&Span> = d.suggested.iter().filter(|g| g.label == label).collect();
        s.gold += gold.len();
        s.suggested += sug.len();
        for p in &sug {
            if gold.iter().any(|g| g.start == p.start && g.end == p.end) {
                s.exact += 1;
            }
            if let Some(g) = gold.iter().find(|g| overlaps(g, p)) {
                s.overlap_p += 1;
                s.pairs += 1;
                s.count_ok += usize::from(g.count == p.count);
                s.kind_ok += usize::from(g.kind == p.kind);
            }
        }
        s.overlap_r += gold
            .iter()
            .filter(|g| sug.iter().any(|p| overlaps(g, p)))
            .count();
    }
    s
}

/// Gold spans no suggestion overlaps and suggestions that overlap no gold
/// span, as (document id, label, text) lines for a person to read.
pub fn errors(docs: &[Doc]) -> (Vec<String>, Vec<String>) {
    let cut = |d: &Doc, s: &Span| -> String {
        d.text.chars().skip(s.start).take(s.end - s.start).collect()
    };
    let mut missed = Vec::new();
    let mut wrong = Vec::new();
    for d in docs {
        for g in &d.gold {
            if !d.suggested.iter().any(|p| overlaps(g, p)) {
                missed.push(format!("{}\t{}\t{}", d.id, g.label, cut(d, g)));
            }
        }
        for p in &d.suggested {
            if !d.gold.iter().any(|g| overlaps(g, p)) {
                wrong.push(format!("{}\t{}\t{}", d.id, p.label, cut(d, p)));
            }
        }
    }
    (missed, wrong)
}
