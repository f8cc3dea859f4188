//! The project's string matcher and the gazetteers a lead loads (after
//! INCEpTION's string matcher): once spans with a given normalised text and
//! label exist in the project, the same text elsewhere is suggested with that
//! label, scored by how often it was accepted.
//!
//! It holds only what it was told ([`Matcher::add`],
//! [`Matcher::load_gazetteer`]); reading the project's spans from the store
//! is the caller's work.
//!
//! # Matching
//!
//! A phrase is kept as its normalised words ([`crate::text::normalize`]), so
//! «إدلبُ» learnt once finds «ادلب». A phrase matches whole words only; its
//! first word may carry the proclitics و ف ب ل ك, which the suggestion leaves
//! out, as the PLACE recogniser does: «بريف حلب» gives «ريف حلب» for a
//! learnt «ريف حلب». The longest phrase at a word wins.
//!
//! # Score
//!
//! For a phrase and a label, with `a` the label's acceptances (each
//! gazetteer line counts as [`GAZETTEER_WEIGHT`] acceptances), `o` the
//! acceptances of the same phrase with any other label, `u` the times
//! annotators passed the phrase by without tagging it (below) and `r` the
//! label's rejections:
//!
//! ```text
//! score = (a + 1) / (a + o + u + r + 2)
//! ```
//!
//! (Laplace's rule: one acceptance gives 0.67, a gazetteer line alone 0.8,
//! 9 acceptances and 1 rejection 0.83, 9 acceptances as PLACE and 1 as
//! ACTOR 0.83 for PLACE.) A phrase is suggested with its best-scoring label,
//! and only when that label holds the majority of what the project said
//! about the phrase (`a > o + u + r`): a text the annotators label one way
//! as often as another («الأسد» as ACTOR and as PLACE) is a coin toss, not
//! a suggestion, and scoring it by its better label alone would call a
//! 50/50 split 0.98.
//!
//! # Passed by
//!
//! A span says what annotators tag; the words they read and left alone say
//! what they do not. [`Matcher::observe`] reads a document someone worked
//! on, with each of its annotator and gold layers: every occurrence of a
//! learnt phrase that no span of a layer overlaps counts once in `u` for
//! that layer, if the layer's person has gone past it — the document is
//! done (or adjudicated, for gold), or the layer has a span that starts
//! after the occurrence ends. Occurrences after a person's last span are
//! not counted: they have not read that far. So a word tagged now and then
//! by accident, or tagged in one place and left alone in ten, is not
//! suggested; a name tagged at its first occurrence is suggested at the
//! next ones.
//!
//! # Gazetteer files
//!
//! Either lines of `text<TAB>LABEL` (UTF-8; blank lines and lines starting
//! with `#` are skipped; the label is one word, no spaces):
//!
//! ```text
//! # places of our region (<TAB> stands for a tab character)
//! الصرمان<TAB>PLACE
//! منسقو الاستجابة<TAB>ACTOR
//! ```
//!
//! or RON, when the first character that is not whitespace is `[`: a list of
//! `(text: "…", label: "…")`:
//!
//! ```ron
//! [
//!     (text: "الصرمان", label: "PLACE"),
//! ]
//! ```
//!
//! A bad line or entry rejects the whole file, with its origin and line:
//! nothing is half-loaded.

use serde::Deserialize;

use super::words::{PhraseMatch, Phrases, Word, joined, phrase_words};
use super::{Recogniser, Suggestion};
use crate::model::{Attrs, CharRange};

/// How many acceptances one gazetteer line is worth in the score.
pub const GAZETTEER_WEIGHT: u32 = 3;

/// What the project said about one phrase with one label.
#[derive(Debug, Clone, PartialEq)]
struct Counts {
    label: String,
    accepted: u32,
    rejected: u32,
    /// Gazetteer lines naming this phrase and label.
    listed: u32,
    /// The gazetteer it was first loaded from.
    origin: Option<String>,
}

impl Counts {
    fn support(&self) -> u32 {
        self.accepted
            .saturating_add(self.listed.saturating_mul(GAZETTEER_WEIGHT))
    }

    /// The score of this label when the phrase's labels together have
    /// `all` support (see the module documentation).
    fn score(&self, all: u32) -> f64 {
        let a = f64::from(self.support());
        let o = f64::from(all.saturating_sub(self.support()));
        (a + 1.0) / (a + o + f64::from(self.rejected) + 2.0)
    }
}

/// Why a gazetteer could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GazetteerError {
    #[error("gazetteer line {line}: {problem}; fix the line in {origin}")]
    Line {
        origin: String,
        line: usize,
        problem: String,
    },
    #[error("gazetteer RON syntax error at line {line}, column {column}: {message}; fix {origin}")]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RonEntry {
    text: String,
    label: String,
}

/// Everything known about one phrase.
#[derive(Debug, Clone, Default)]
struct Entry {
    labels: Vec<Counts>,
    /// Occurrences passed by without a span, per layer (see "Passed by").
    passed_by: u32,
}

/// One annotator or gold layer of a document given to
/// [`Matcher::observe`]: its live spans there and whether its person
/// finished the document.
#[derive(Debug, Clone, Copy)]
pub struct LayerWork<'a> {
    pub spans: &'a [CharRange],
    pub done: bool,
}

/// What the project has accepted, and the gazetteers a lead loaded.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    phrases: Phrases<Entry>,
}

impl Matcher {
    pub fn new() -> Self {
        Matcher::default()
    }

    /// Number of distinct phrases learnt.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Learn that a span with text `text` and label `label` was accepted
    /// `accepted` times and rejected `rejected` times in the project. Counts
    /// for the same normalised text and label add up; a text with no words
    /// (only punctuation) is ignored.
    pub fn add(&mut self, text: &str, label: &str, accepted: u32, rejected: u32) {
        if let Some(c) = self.counts(text, label) {
            c.accepted = c.accepted.saturating_add(accepted);
            c.rejected = c.rejected.saturating_add(rejected);
        }
    }

    fn counts(&mut self, text: &str, label: &str) -> Option<&mut Counts> {
        let list = &mut self
            .phrases
            .entry(&phrase_words(text), Entry::default)?
            .labels;
        let at = match list.iter().position(|c| c.label == label) {
            Some(at) => at,
            None => {
                list.push(Counts {
                    label: label.to_owned(),
                    accepted: 0,
                    rejected: 0,
                    listed: 0,
                    origin: None,
                });
                list.len() - 1
            }
        };
        list.get_mut(at)
    }

    /// Load a gazetteer (see the module documentation for the two formats);
    /// `origin` (a file name) names it in errors and in the suggestions'
    /// reasons. Returns the number of entries loaded; on an error nothing of
    /// the file is loaded.
    pub fn load_gazetteer(&mut self, source: &str, origin: &str) -> Result<usize, GazetteerError> {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let entries = if source.trim_start().starts_with('[') {
            parse_ron(source, origin)?
        } else {
            parse_lines(source, origin)?
        };
        for (text, label) in &entries {
            if let Some(c) = self.counts(text, label) {
                c.listed = c.listed.saturating_add(1);
                c.origin.get_or_insert_with(|| origin.to_owned());
            }
        }
        Ok(entries.len())
    }

    /// Learn from a document people worked on: `text`, whose words are
    /// `words`, and each of its annotator and gold layers (see "Passed by"
    /// in the module documentation).
    pub fn observe(&mut self, text: &str, words: &[Word], layers: &[LayerWork<'_>]) {
        if self.phrases.is_empty() || layers.is_empty() {
            return;
        }
        let mut passed: Vec<(Vec<String>, u32)> = Vec::new();
        for m in self.matches(text, words) {
            let range = m.range;
            let n = layers
                .iter()
                .filter(|l| {
                    let reached = l.done || l.spans.iter().any(|s| s.start() >= range.end());
                    reached && !l.spans.iter().any(|s| s.overlaps(range))
                })
                .count();
            if n > 0 {
                let mut key = vec![m.stem.clone()];
                key.extend(
                    words[m.first + 1..=m.last]
                        .iter()
                        .map(|w| w.norm.text.clone()),
                );
                passed.push((key, u32::try_from(n).unwrap_or(u32::MAX)));
            }
        }
        for (key, n) in passed {
            if let Some(entry) = self.phrases.entry(&key, Entry::default) {
                entry.passed_by = entry.passed_by.saturating_add(n);
            }
        }
    }

    /// The learnt phrases in `text`, whose words are `words`: at each word
    /// the longest phrase that starts there, then on after it.
    fn matches<'a>(&'a self, text: &str, words: &[Word]) -> Vec<PhraseMatch<'a, Entry>> {
        let mut out = Vec::new();
        if self.phrases.is_empty() {
            return out;
        }
        let joined = joined(text, words);
        let mut i = 0;
        while i < words.len() {
            match self.phrases.longest_at(words, i, &joined) {
                Some(m) => {
                    i = m.last + 1;
                    out.push(m);
                }
                None => i += 1,
            }
        }
        out
    }

    /// Suggestions in `text`, whose words are `words`.
    pub fn recognise(&self, text: &str, words: &[Word]) -> Vec<Suggestion> {
        let mut out = Vec::new();
        for m in self.matches(text, words) {
            let entry = m.value;
            let all: u32 = entry
                .labels
                .iter()
                .map(Counts::support)
                .fold(entry.passed_by, u32::saturating_add);
            let best = entry
                .labels
                .iter()
                .filter(|c| {
                    c.support() > all.saturating_sub(c.support()).saturating_add(c.rejected)
                })
                .max_by(|a, b| a.score(all).total_cmp(&b.score(all)));
            if let Some(c) = best {
                let others: u32 = entry
                    .labels
                    .iter()
                    .filter(|o| o.label != c.label)
                    .map(|o| o.accepted)
                    .fold(0, u32::saturating_add);
                let seen = c
                    .accepted
                    .saturating_add(c.rejected)
                    .saturating_add(others)
                    .saturating_add(entry.passed_by);
                let mut notes = Vec::new();
                if others > 0 {
                    notes.push(format!("{others} with another label"));
                }
                if entry.passed_by > 0 {
                    notes.push(format!("{} passed by untagged", entry.passed_by));
                }
                let reason = match (&c.origin, seen) {
                    (Some(origin), 0) => format!("project gazetteer {origin}"),
                    _ if !notes.is_empty() => format!(
                        "accepted {} of {seen} times in the project ({})",
                        c.accepted,
                        notes.join(", ")
                    ),
                    _ => format!("accepted {} of {seen} times in the project", c.accepted),
                };
                out.push(Suggestion {
                    range: m.range,
                    label: c.label.clone(),
                    attrs: Attrs::new(),
                    score: c.score(all),
                    recogniser: Recogniser::Project,
                    reason,
                });
            }
        }
        out
    }
}

fn check(text: &str, label: &str) -> Result<(), String> {
    if phrase_words(text).is_empty() {
        return Err(format!("the text {text:?} has no word"));
    }
    if label.is_empty() {
        return Err("the label is empty".into());
    }
    if label.chars().any(char::is_whitespace) {
        return Err(format!(
            "the label {label:?} has a space; a label is one word"
        ));
    }
    Ok(())
}

fn parse_lines(source: &str, origin: &str) -> Result<Vec<(String, String)>, GazetteerError> {
    let mut out = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = |problem: String| GazetteerError::Line {
            origin: origin.to_owned(),
            line: n + 1,
            problem,
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let [text, label] = fields[..] else {
            return Err(err(format!(
                "expected text<TAB>LABEL, found {} tab-separated field(s)",
                fields.len()
            )));
        };
        let (text, label) = (text.trim(), label.trim());
        check(text, label).map_err(err)?;
        out.push((text.to_owned(), label.to_owned()));
    }
    Ok(out)
}

fn parse_ron(source: &str, origin: &str) -> Result<Vec<(String, String)>, GazetteerError> {
    let entries: Vec<RonEntry> =
        ron::Options::default()
            .from_str(source)
            .map_err(|e| GazetteerError::Syntax {
                origin: origin.to_owned(),
                line: e.span.start.line,
                column: e.span.start.col,
                message: e.code.to_string(),
            })?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        check(&e.text, &e.label).map_err(|problem| {
            // The line of the entry: where its text is written.
            let needle = format!("{:?}", e.text);
            let line = source
                .find(&needle)
                .map_or(0, |at| 1 + source[..at].matches('\n').count());
            GazetteerError::Line {
                origin: origin.to_owned(),
                line,
                problem,
            }
        })?;
        out.push((e.text, e.label));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::words::words;

    fn found(m: &Matcher, text: &str) -> Vec<(String, String, f64)> {
        let chars: Vec<char> = text.chars().collect();
        m.recognise(text, &words(text))
            .into_iter()
            .map(|s| (chars[s.range.as_range()].iter().collect(), s.label, s.score))
            .collect()
    }

    #[test]
    fn learns_an_accepted_span_and_suggests_it_elsewhere() {
        let mut m = Matcher::new();
        assert!(found(&m, "قصف على الصرمان").is_empty());
        m.add("الصرمانِ", "PLACE", 1, 0);
        let got = found(&m, "قصف على الصرمان وبالصرمان، والصرمانية");
        assert_eq!(
            got,
            vec![
                ("الصرمان".into(), "PLACE".into(), 2.0 / 3.0),
                ("الصرمان".into(), "PLACE".into(), 2.0 / 3.0)
            ]
        );
        // More acceptances raise the score; the longest phrase wins.
        m.add("الصرمان", "PLACE", 8, 1);
        m.add("ريف الصرمان", "PLACE", 1, 0);
        let got = found(&m, "في ريف الصرمان");
        assert_eq!(got, vec![("ريف الصرمان".into(), "PLACE".into(), 2.0 / 3.0)]);
        let got = found(&m, "الصرمان");
        assert_eq!(got[0].2, 10.0 / 12.0);
    }

    #[test]
    fn a_text_rejected_more_than_accepted_is_not_suggested() {
        let mut m = Matcher::new();
        m.add("الأسد", "ACTOR", 1, 3);
        assert!(found(&m, "رأينا الأسد").is_empty());
        // The better label wins.
        m.add("الأسد", "PLACE", 2, 0);
        assert_eq!(found(&m, "رأينا الأسد")[0].1, "PLACE");
    }

    #[test]
    fn a_text_labelled_one_way_as_often_as_another_is_not_suggested() {
        let mut m = Matcher::new();
        // Half and half: a coin toss, whatever the counts.
        m.add("الأسد", "ACTOR", 50, 0);
        m.add("الأسد", "PLACE", 50, 0);
        assert!(found(&m, "رأينا الأسد").is_empty());
        // A clear majority is suggested, scored by its share.
        m.add("الأسد", "ACTOR", 100, 0);
        let got = found(&m, "رأينا الأسد");
        assert_eq!(got, vec![("الأسد".into(), "ACTOR".into(), 151.0 / 202.0)]);
        let text = "رأينا الأسد";
        let reason = &m.recognise(text, &words(text))[0].reason;
        assert_eq!(
            reason,
            "accepted 150 of 200 times in the project (50 with another label)"
        );
        // Another label's acceptances and this label's rejections add up.
        let mut m = Matcher::new();
        m.add("حماة", "PLACE", 3, 2);
        m.add("حماة", "ACTOR", 1, 0);
        assert!(
            found(&m, "في حماة").is_empty(),
            "3 against 1 + 2 is no majority"
        );
        m.add("حماة", "PLACE", 1, 0);
        assert_eq!(found(&m, "في حماة")[0].1, "PLACE");
    }

    fn range_of(text: &str, word: &str, nth: usize) -> CharRange {
        let at = text.match_indices(word).nth(nth).unwrap().0;
        let start = text[..at].chars().count();
        CharRange::new(start, start + word.chars().count()).unwrap()
    }

    #[test]
    fn words_passed_by_untagged_count_against_a_phrase() {
        let text = "قصف الصرمان وقتل اثنان في الصرمان ثم قصف الصرمان";
        let first = range_of(text, "الصرمان", 0);
        let learnt = || {
            let mut m = Matcher::new();
            m.add("الصرمان", "PLACE", 1, 0);
            m
        };
        // Tagged at its first occurrence, nothing read further: the next
        // ones are not passed by, so they are suggested.
        let mut m = learnt();
        let spans = [first];
        m.observe(
            text,
            &words(text),
            &[LayerWork {
                spans: &spans,
                done: false,
            }],
        );
        assert_eq!(found(&m, "في الصرمان").len(), 1);
        // The document is done and two of three were left untagged: 1
        // against 2 is no majority.
        let mut m = learnt();
        m.observe(
            text,
            &words(text),
            &[LayerWork {
                spans: &spans,
                done: true,
            }],
        );
        assert!(found(&m, "في الصرمان").is_empty());
        // A span after the second occurrence: the person read past it (1
        // against 1); the third, after the last span, is not counted.
        let mut m = learnt();
        let spans = [first, range_of(text, "ثم", 0)];
        m.observe(
            text,
            &words(text),
            &[LayerWork {
                spans: &spans,
                done: false,
            }],
        );
        assert!(found(&m, "في الصرمان").is_empty());
        m.add("الصرمان", "PLACE", 1, 0);
        let got = m.recognise("في الصرمان", &words("في الصرمان"));
        assert_eq!(got[0].score, 3.0 / 5.0);
        assert_eq!(
            got[0].reason,
            "accepted 2 of 3 times in the project (1 passed by untagged)"
        );
        // Each layer counts for itself: the layer that tagged all of them
        // adds nothing, the one that tagged none and is done adds three.
        let mut m = learnt();
        let all = [
            first,
            range_of(text, "الصرمان", 1),
            range_of(text, "الصرمان", 2),
        ];
        m.observe(
            text,
            &words(text),
            &[
                LayerWork {
                    spans: &all,
                    done: true,
                },
                LayerWork {
                    spans: &[],
                    done: true,
                },
            ],
        );
        m.add("الصرمان", "PLACE", 2, 0);
        let got = m.recognise("في الصرمان", &words("في الصرمان"));
        assert!(got.is_empty(), "3 accepted against 3 passed by");
    }

    #[test]
    fn gazetteer_lines_and_ron_feed_the_matcher() {
        let mut m = Matcher::new();
        let tsv = "# ours\nالصرمان\tPLACE\n\nمنسقو الاستجابة\tACTOR\n";
        assert_eq!(m.load_gazetteer(tsv, "ours.tsv"), Ok(2));
        let ron = "[\n  (text: \"كفر عويد\", label: \"PLACE\"),\n]";
        assert_eq!(m.load_gazetteer(ron, "ours.ron"), Ok(1));
        let text = "قال منسقو الاستجابة إن بلدتي الصرمان وكفر عويد";
        let s = m.recognise(text, &words(text));
        let labels: Vec<(&str, f64, &str)> = s
            .iter()
            .map(|s| (s.label.as_str(), s.score, s.reason.as_str()))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("ACTOR", 0.8, "project gazetteer ours.tsv"),
                ("PLACE", 0.8, "project gazetteer ours.tsv"),
                ("PLACE", 0.8, "project gazetteer ours.ron")
            ]
        );
    }

    #[test]
    fn a_bad_gazetteer_line_is_named_and_nothing_is_loaded() {
        let mut m = Matcher::new();
        let tsv = "إدلب\tPLACE\nحلب PLACE\n";
        let err = m.load_gazetteer(tsv, "ours.tsv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "gazetteer line 2: expected text<TAB>LABEL, found 1 tab-separated field(s); fix the line in ours.tsv"
        );
        assert!(m.is_empty(), "nothing of a bad file is loaded");
        let err = m
            .load_gazetteer("إدلب\tPLACE\n،\tPLACE\n", "x.tsv")
            .unwrap_err();
        assert!(matches!(err, GazetteerError::Line { line: 2, .. }), "{err}");
        let err = m.load_gazetteer("إدلب\tNEW PLACE\n", "x.tsv").unwrap_err();
        assert!(err.to_string().contains("has a space"), "{err}");
        let err = m
            .load_gazetteer(
                "[\n (text: \"إدلب\", label: \"PLACE\"),\n (text: \"حلب\" label: \"PLACE\"),\n]",
                "x.ron",
            )
            .unwrap_err();
        assert!(
            matches!(err, GazetteerError::Syntax { line: 3, .. }),
            "{err}"
        );
        assert!(m.is_empty());
    }
}
