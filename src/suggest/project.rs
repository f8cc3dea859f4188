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
//! For a phrase and a label, with `a` its acceptances (each gazetteer line
//! counts as [`GAZETTEER_WEIGHT`] acceptances) and `r` its rejections:
//!
//! ```text
//! score = (a + 1) / (a + r + 2)
//! ```
//!
//! (Laplace's rule: one acceptance gives 0.67, a gazetteer line alone 0.8,
//! 9 acceptances and 1 rejection 0.83.) A phrase is suggested with its
//! best-scoring label, and only when that label was accepted more often than
//! rejected (`a > r`).
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

use super::words::{Phrases, Word, joined, phrase_words};
use super::{Recogniser, Suggestion};
use crate::model::Attrs;

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

    fn score(&self) -> f64 {
        let a = f64::from(self.support());
        (a + 1.0) / (a + f64::from(self.rejected) + 2.0)
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

/// What the project has accepted, and the gazetteers a lead loaded.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    phrases: Phrases<Vec<Counts>>,
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
        let list = self.phrases.entry(&phrase_words(text), Vec::new)?;
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

    /// Suggestions in `text`, whose words are `words`.
    pub fn recognise(&self, text: &str, words: &[Word]) -> Vec<Suggestion> {
        if self.phrases.is_empty() {
            return Vec::new();
        }
        let joined = joined(text, words);
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let Some(m) = self.phrases.longest_at(words, i, &joined) else {
                i += 1;
                continue;
            };
            let best = m
                .value
                .iter()
                .filter(|c| c.support() > c.rejected)
                .max_by(|a, b| a.score().total_cmp(&b.score()));
            if let Some(c) = best {
                let reason = match (&c.origin, c.accepted + c.rejected) {
                    (Some(origin), 0) => format!("project gazetteer {origin}"),
                    (_, seen) => format!("accepted {} of {seen} times in the project", c.accepted),
                };
                out.push(Suggestion {
                    range: m.range,
                    label: c.label.clone(),
                    attrs: Attrs::new(),
                    score: c.score(),
                    recogniser: Recogniser::Project,
                    reason,
                });
            }
            i = m.last + 1;
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
