//! Suggestions: offline recognisers that pre-annotate Arabic news, so an
//! annotator's work becomes accept, reject or correct.
//!
//! Every recogniser is a pure function of a document's stored text (and, for
//! the project's string matcher, of what the project has already accepted) to
//! a list of [`Suggestion`]s with a label, attribute values, a score in
//! `0.0..=1.0`, the [`Recogniser`] that made it and a short reason a person
//! can read. Nothing here knows SQLite or egui: the store keeps suggestions as
//! a layer of its own (kind `suggestions`), the UI and the command line only
//! schedule [`suggest`] and show or store what it returns.
//!
//! # Offsets
//!
//! As everywhere in tawsim, a suggestion's range is in Unicode code points of
//! the stored text, start inclusive, end exclusive.
//!
//! # Clitics
//!
//! One policy, the same as the CoNLL export's span-edge policy
//! ([`crate::export`]): a suggestion never covers a joined proclitic. In
//! «وإدلب» the PLACE suggestion covers «إدلب» (the و is left out); in «بريف
//! حلب» it covers «ريف حلب». The article «ال» belongs to the name and is kept
//! («الرقة»). Words are found with [`words`], which gives each word's stored
//! range and its search-normalised form ([`crate::text::normalize`]), so
//! «إدلب», «ادلب» and «إدلبُ» match the same gazetteer entry.
//!
//! # Overlaps
//!
//! [`suggest`] runs the enabled recognisers and returns their suggestions
//! sorted by start, longer first. Two suggestions of the same label that
//! overlap are resolved to the one with the higher score (the longer on a tie);
//! suggestions of different labels may overlap (a CASUALTY phrase can contain
//! a PLACE), as annotators' spans may.

pub mod actor;
pub mod casualty;
pub mod date;
pub mod place;
pub mod project;
pub mod words;

use crate::model::{Attrs, CharRange};

/// The recognisers tawsim ships, each one switchable per project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recogniser {
    /// Dates, times, weekdays and relative time expressions (label `DATE`).
    Date,
    /// Casualty counts (label `CASUALTY`).
    Casualty,
    /// Place names from the bundled gazetteer (label `PLACE`).
    Place,
    /// Armed forces, governments, groups and people (label `ACTOR`).
    Actor,
    /// The project's own string matcher and loaded gazetteers (any label).
    Project,
}

impl Recogniser {
    /// Every recogniser, in the order they are listed to users.
    pub const ALL: [Recogniser; 5] = [
        Recogniser::Date,
        Recogniser::Casualty,
        Recogniser::Place,
        Recogniser::Actor,
        Recogniser::Project,
    ];

    /// The name used on the command line (`--recognisers date,place`), in
    /// settings and as a suggestion's `model`.
    pub fn as_str(self) -> &'static str {
        match self {
            Recogniser::Date => "date",
            Recogniser::Casualty => "casualty",
            Recogniser::Place => "place",
            Recogniser::Actor => "actor",
            Recogniser::Project => "project",
        }
    }

    /// The inverse of [`Recogniser::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Recogniser::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One suggested span.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Code points of the stored text.
    pub range: CharRange,
    /// A label of the project's schema (`DATE`, `CASUALTY`, `PLACE`, `ACTOR`
    /// for the built-in recognisers; any label for the project matcher).
    pub label: String,
    /// Attribute values the recogniser could fill (`normalized` of a DATE,
    /// `count` and `kind` of a CASUALTY); empty otherwise.
    pub attrs: Attrs,
    /// How sure the recogniser is, `0.0..=1.0`.
    pub score: f64,
    pub recogniser: Recogniser,
    /// A short reason for a person, e.g. "month name + year" or "gazetteer:
    /// Syria, city".
    pub reason: String,
}

/// Run the `enabled` recognisers on `text` (the project matcher only when
/// `matcher` is given) and resolve overlaps.
pub fn suggest(
    text: &str,
    enabled: &[Recogniser],
    matcher: Option<&project::Matcher>,
) -> Vec<Suggestion> {
    let ws = words::words(text);
    let mut all = Vec::new();
    for r in enabled {
        match r {
            Recogniser::Date => all.extend(date::recognise(text, &ws)),
            Recogniser::Casualty => all.extend(casualty::recognise(text, &ws)),
            Recogniser::Place => all.extend(place::recognise(text, &ws)),
            Recogniser::Actor => all.extend(actor::recognise(text, &ws)),
            Recogniser::Project => {
                if let Some(m) = matcher {
                    all.extend(m.recognise(text, &ws));
                }
            }
        }
    }
    resolve_overlaps(all)
}

/// Resolve overlaps between suggestions of the same label (see the module
/// documentation) and sort by start, longer first.
pub fn resolve_overlaps(mut all: Vec<Suggestion>) -> Vec<Suggestion> {
    // Best first: higher score, then longer, then earlier.
    all.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.range.len().cmp(&a.range.len()))
            .then(a.range.start().cmp(&b.range.start()))
    });
    let mut kept: Vec<Suggestion> = Vec::with_capacity(all.len());
    for s in all {
        let clash = kept
            .iter()
            .any(|k| k.label == s.label && k.range.overlaps(s.range));
        if !clash {
            kept.push(s);
        }
    }
    sort(&mut kept);
    kept
}

/// Sort suggestions as [`suggest`] returns them: by start, longer first,
/// then by label.
pub fn sort(suggestions: &mut [Suggestion]) {
    suggestions.sort_by(|a, b| {
        a.range
            .start()
            .cmp(&b.range.start())
            .then(b.range.len().cmp(&a.range.len()))
            .then(a.label.cmp(&b.label))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: usize, end: usize, label: &str, score: f64) -> Suggestion {
        Suggestion {
            range: CharRange::new(start, end).unwrap(),
            label: label.into(),
            attrs: Attrs::new(),
            score,
            recogniser: Recogniser::Place,
            reason: String::new(),
        }
    }

    #[test]
    fn same_label_overlaps_keep_the_better_and_other_labels_stay() {
        let out = resolve_overlaps(vec![
            s(10, 14, "PLACE", 0.6),
            s(6, 14, "PLACE", 0.9),
            s(0, 20, "CASUALTY", 0.8),
            s(30, 35, "PLACE", 0.5),
        ]);
        let got: Vec<(usize, usize, &str)> = out
            .iter()
            .map(|s| (s.range.start(), s.range.end(), s.label.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![(0, 20, "CASUALTY"), (6, 14, "PLACE"), (30, 35, "PLACE")]
        );
    }

    #[test]
    fn recogniser_names_round_trip() {
        for r in Recogniser::ALL {
            assert_eq!(Recogniser::parse(r.as_str()), Some(r));
        }
        assert_eq!(Recogniser::parse("dates"), None);
    }
}
