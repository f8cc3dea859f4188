//! The annotation model: code-point ranges, spans, and the edits a user makes.
//!
//! Offsets are Unicode code points into a document's text exactly as stored,
//! start inclusive, end exclusive (Python `str` indices). Nothing in this module
//! knows about bytes, UTF-16, glyphs, SQLite or egui: conversion lives in
//! [`crate::text`], persistence in [`crate::store`].
//!
//! Edits are values ([`Change`]) with an inverse, so undo and redo are data:
//! [`History`] hands back the change to apply and never touches a document.

use std::fmt;

/// Row id of a document in the project database.
pub type DocId = i64;
/// Row id of a span in the project database.
pub type SpanId = i64;
/// Row id of an annotator in the project database.
pub type AnnotatorId = i64;
/// Row id of a layer (an annotator's own spans, an imported set, or gold).
pub type LayerId = i64;

/// Attribute values of a span, by attribute name (see [`crate::schema`]).
pub type Attrs = serde_json::Map<String, serde_json::Value>;

/// Errors from constructing model values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A range must cover at least one code point.
    #[error("empty or reversed range {start}..{end}: a span must cover at least one character")]
    EmptyRange { start: usize, end: usize },
    /// A range must lie inside the text it points into.
    #[error("range {start}..{end} lies outside a text of {len} characters")]
    OutOfBounds {
        start: usize,
        end: usize,
        len: usize,
    },
}

/// A non-empty half-open range of code points, `start..end`.
///
/// Invariant: `start < end`. The fields are private so every value was checked
/// by [`CharRange::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CharRange {
    start: usize,
    end: usize,
}

impl CharRange {
    /// A range `start..end`; refuses `start >= end`.
    pub fn new(start: usize, end: usize) -> Result<Self, ModelError> {
        if start >= end {
            return Err(ModelError::EmptyRange { start, end });
        }
        Ok(Self { start, end })
    }

    /// A range `start..end` that must also fit in a text of `len` code points.
    pub fn within(start: usize, end: usize, len: usize) -> Result<Self, ModelError> {
        let range = Self::new(start, end)?;
        if end > len {
            return Err(ModelError::OutOfBounds { start, end, len });
        }
        Ok(range)
    }

    pub fn start(self) -> usize {
        self.start
    }

    pub fn end(self) -> usize {
        self.end
    }

    /// Number of code points covered (always at least 1).
    pub fn len(self) -> usize {
        self.end - self.start
    }

    /// Always false: a `CharRange` is never empty. Present for clippy's sake.
    pub fn is_empty(self) -> bool {
        false
    }

    /// True when the two ranges share at least one code point.
    /// Touching ranges (`0..3` and `3..5`) do not overlap.
    pub fn overlaps(self, other: CharRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// True when every code point of `other` is inside `self` (a range contains itself).
    pub fn contains(self, other: CharRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when `offset` is one of the covered code points.
    pub fn contains_offset(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    /// The shared part of two ranges, if they overlap.
    pub fn intersection(self, other: CharRange) -> Option<CharRange> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(CharRange { start, end })
    }

    pub fn as_range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

impl fmt::Display for CharRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Where a span came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Made by a person in the app.
    Manual,
    /// Brought in by an import.
    Imported,
    /// A suggestion (see [`crate::suggest`]) the annotator accepted into
    /// their layer; the span keeps the recogniser as `model` and its score.
    Suggested,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Manual => "manual",
            Origin::Imported => "imported",
            Origin::Suggested => "suggested",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "manual" => Some(Origin::Manual),
            "imported" => Some(Origin::Imported),
            "suggested" => Some(Origin::Suggested),
            _ => None,
        }
    }
}

/// Base direction of a document's paragraphs.
///
/// Right to left by default, also for a paragraph that happens to start with a
/// digit or a Latin word. `Auto` follows each paragraph's first strong character
/// (UAX #9 rules P2–P3). The stored text is never changed to force a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    #[default]
    Rtl,
    Ltr,
    Auto,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Rtl => "rtl",
            Direction::Ltr => "ltr",
            Direction::Auto => "auto",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rtl" => Some(Direction::Rtl),
            "ltr" => Some(Direction::Ltr),
            "auto" => Some(Direction::Auto),
            _ => None,
        }
    }
}

/// A labelled range of a document, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub id: SpanId,
    pub doc: DocId,
    /// Who put the span in the project: the person who drew it, or who ran
    /// the import that brought it.
    pub annotator: AnnotatorId,
    /// The layer it belongs to: an annotator's own, an imported one, or gold.
    pub layer: LayerId,
    pub range: CharRange,
    pub label: String,
    /// A copy of the covered text, taken when the span was made.
    pub text: String,
    pub origin: Origin,
    /// Attribute values (e.g. `count`, `kind` of a CASUALTY).
    pub attrs: Attrs,
    /// A free-text note; empty when there is none.
    pub note: String,
    /// A model's confidence, for imported machine extractions.
    pub score: Option<f64>,
    /// The model that produced an imported span.
    pub model: Option<String>,
    /// The version of the project's label schema the span was made with
    /// (`None` for spans made before schemas were stored).
    pub schema_version: Option<i64>,
    /// The span this one was copied from (accepting another layer's span).
    pub source_span: Option<SpanId>,
}

/// One user edit in a document, already applied or to apply.
///
/// Making a span is recorded as [`Change::Restore`] of the new row: its
/// inverse is [`Change::Delete`], so undo, redo and deletion all go through the
/// same deleted marker and no span row is ever removed. Every change carries
/// the state it expects (`from`), so applying a change to a state that moved
/// on is refused rather than silently overwriting it.
///
/// Relabelling keeps a span's attribute values, also those the new label does
/// not define: nothing typed is lost, and undoing the relabel brings the span
/// back exactly as it was. The side panel shows such values as kept from an
/// earlier label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The span exists (created, or brought back).
    Restore { span: SpanId },
    /// The span is marked deleted.
    Delete { span: SpanId },
    /// The span's label changes from `from` to `to`.
    Relabel {
        span: SpanId,
        from: String,
        to: String,
    },
    /// The acting annotator hides another layer's span as rejected.
    Reject { span: SpanId },
    /// The acting annotator no longer rejects the span.
    Unreject { span: SpanId },
    /// The span's attribute values change from `from` to `to` (whole maps).
    SetAttrs {
        span: SpanId,
        from: Attrs,
        to: Attrs,
    },
    /// The span's note changes from `from` to `to` (empty: no note).
    SetNote {
        span: SpanId,
        from: String,
        to: String,
    },
    /// The document's note changes from `from` to `to` (empty: no note).
    DocumentNote {
        doc: DocId,
        from: String,
        to: String,
    },
    /// The acting annotator rejects the suggestion `label` over `range` of
    /// `doc`: it is never suggested to them again in that document.
    RejectSuggestion {
        doc: DocId,
        range: CharRange,
        label: String,
    },
    /// The acting annotator takes back their rejection of a suggestion.
    UnrejectSuggestion {
        doc: DocId,
        range: CharRange,
        label: String,
    },
}

/// What a [`Change`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Span(SpanId),
    Document(DocId),
}

impl Change {
    /// The change that undoes this one.
    pub fn invert(&self) -> Change {
        match self {
            Change::Restore { span } => Change::Delete { span: *span },
            Change::Delete { span } => Change::Restore { span: *span },
            Change::Relabel { span, from, to } => Change::Relabel {
                span: *span,
                from: to.clone(),
                to: from.clone(),
            },
            Change::Reject { span } => Change::Unreject { span: *span },
            Change::Unreject { span } => Change::Reject { span: *span },
            Change::SetAttrs { span, from, to } => Change::SetAttrs {
                span: *span,
                from: to.clone(),
                to: from.clone(),
            },
            Change::SetNote { span, from, to } => Change::SetNote {
                span: *span,
                from: to.clone(),
                to: from.clone(),
            },
            Change::DocumentNote { doc, from, to } => Change::DocumentNote {
                doc: *doc,
                from: to.clone(),
                to: from.clone(),
            },
            Change::RejectSuggestion { doc, range, label } => Change::UnrejectSuggestion {
                doc: *doc,
                range: *range,
                label: label.clone(),
            },
            Change::UnrejectSuggestion { doc, range, label } => Change::RejectSuggestion {
                doc: *doc,
                range: *range,
                label: label.clone(),
            },
        }
    }

    /// What this change is about: a span, or a whole document.
    pub fn target(&self) -> Target {
        match self {
            Change::Restore { span }
            | Change::Delete { span }
            | Change::Relabel { span, .. }
            | Change::Reject { span }
            | Change::Unreject { span }
            | Change::SetAttrs { span, .. }
            | Change::SetNote { span, .. } => Target::Span(*span),
            Change::DocumentNote { doc, .. }
            | Change::RejectSuggestion { doc, .. }
            | Change::UnrejectSuggestion { doc, .. } => Target::Document(*doc),
        }
    }

    /// The span this change is about, if it is about a span.
    pub fn span(&self) -> Option<SpanId> {
        match self.target() {
            Target::Span(span) => Some(span),
            Target::Document(_) => None,
        }
    }
}

/// Undo and redo stacks of applied changes.
///
/// `History` never applies anything: [`History::undo`] returns the change to
/// apply (the inverse of the last one) and the caller runs it through the store.
#[derive(Debug, Default, Clone)]
pub struct History {
    undo: Vec<Change>,
    redo: Vec<Change>,
}

impl History {
    /// Remember a change the user just made. Clears the redo stack.
    pub fn record(&mut self, change: Change) {
        self.undo.push(change);
        self.redo.clear();
    }

    /// The change that undoes the most recent one, if any.
    pub fn undo(&mut self) -> Option<Change> {
        let change = self.undo.pop()?;
        let inverse = change.invert();
        self.redo.push(change);
        Some(inverse)
    }

    /// The change to apply again after an undo, if any.
    pub fn redo(&mut self) -> Option<Change> {
        let change = self.redo.pop()?;
        self.undo.push(change.clone());
        Some(change)
    }

    /// Put back a change that [`History::undo`] returned but that could not be applied.
    pub fn undo_failed(&mut self) {
        if let Some(change) = self.redo.pop() {
            self.undo.push(change);
        }
    }

    /// Put back a change that [`History::redo`] returned but that could not be applied.
    pub fn redo_failed(&mut self) {
        if let Some(change) = self.undo.pop() {
            self.redo.push(change);
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: usize, end: usize) -> CharRange {
        CharRange::new(start, end).expect("valid test range")
    }

    #[test]
    fn construction_refuses_empty_and_reversed() {
        assert_eq!(
            CharRange::new(3, 3),
            Err(ModelError::EmptyRange { start: 3, end: 3 })
        );
        assert_eq!(
            CharRange::new(5, 2),
            Err(ModelError::EmptyRange { start: 5, end: 2 })
        );
        assert_eq!(r(0, 1).len(), 1);
        assert_eq!(
            CharRange::within(2, 9, 8),
            Err(ModelError::OutOfBounds {
                start: 2,
                end: 9,
                len: 8
            })
        );
        assert_eq!(CharRange::within(2, 8, 8), Ok(r(2, 8)));
    }

    #[test]
    fn overlaps_and_contains_edge_cases() {
        // (a, b, overlaps, a contains b)
        let cases = [
            (r(0, 3), r(3, 5), false, false), // touching
            (r(3, 5), r(0, 3), false, false), // touching, other side
            (r(0, 3), r(2, 5), true, false),  // crossing
            (r(0, 10), r(2, 5), true, true),  // nested
            (r(2, 5), r(0, 10), true, false), // nested, other way
            (r(2, 5), r(2, 5), true, true),   // identical
            (r(2, 5), r(2, 3), true, true),   // shared start
            (r(2, 5), r(4, 5), true, true),   // shared end
            (r(0, 1), r(1, 2), false, false), // single characters, adjacent
            (r(0, 1), r(5, 9), false, false), // apart
        ];
        for (a, b, overlaps, contains) in cases {
            assert_eq!(a.overlaps(b), overlaps, "{a} overlaps {b}");
            assert_eq!(b.overlaps(a), overlaps, "{b} overlaps {a} (symmetric)");
            assert_eq!(a.contains(b), contains, "{a} contains {b}");
            assert_eq!(a.intersection(b).is_some(), overlaps, "{a} ∩ {b}");
        }
        assert_eq!(r(0, 5).intersection(r(3, 9)), Some(r(3, 5)));
        assert!(r(2, 4).contains_offset(2));
        assert!(!r(2, 4).contains_offset(4));
    }

    #[test]
    fn changes_invert_and_history_round_trips() {
        let relabel = Change::Relabel {
            span: 7,
            from: "PLACE".into(),
            to: "ACTOR".into(),
        };
        assert_eq!(relabel.invert().invert(), relabel);
        assert_eq!(
            Change::Restore { span: 1 }.invert(),
            Change::Delete { span: 1 }
        );

        let mut history = History::default();
        assert_eq!(history.undo(), None);
        history.record(Change::Restore { span: 1 });
        history.record(relabel.clone());
        assert_eq!(history.undo(), Some(relabel.invert()));
        assert_eq!(history.undo(), Some(Change::Delete { span: 1 }));
        assert_eq!(history.undo(), None);
        assert_eq!(history.redo(), Some(Change::Restore { span: 1 }));
        // A new edit after undo drops the redo stack.
        history.record(Change::Delete { span: 1 });
        assert!(!history.can_redo());
        assert_eq!(history.undo(), Some(Change::Restore { span: 1 }));
        history.undo_failed();
        assert_eq!(history.undo(), Some(Change::Restore { span: 1 }));
    }

    #[test]
    fn attribute_and_note_changes_invert_to_their_previous_state() {
        let mut from = Attrs::new();
        from.insert("kind".into(), "killed".into());
        let mut to = from.clone();
        to.insert("count".into(), 19.into());
        let set = Change::SetAttrs {
            span: 4,
            from: from.clone(),
            to: to.clone(),
        };
        assert_eq!(
            set.invert(),
            Change::SetAttrs {
                span: 4,
                from: to,
                to: from
            }
        );
        assert_eq!(set.invert().invert(), set);
        assert_eq!(set.target(), Target::Span(4));

        let note = Change::SetNote {
            span: 4,
            from: String::new(),
            to: "العدد غير مؤكد".into(),
        };
        assert_eq!(note.invert().invert(), note);
        assert_eq!(note.span(), Some(4));
        let Change::SetNote { from, to, .. } = note.invert() else {
            panic!("a note change inverts to a note change")
        };
        assert_eq!((from.as_str(), to.as_str()), ("العدد غير مؤكد", ""));

        let doc_note = Change::DocumentNote {
            doc: 2,
            from: "a".into(),
            to: "b".into(),
        };
        assert_eq!(doc_note.target(), Target::Document(2));
        assert_eq!(doc_note.span(), None);
        assert_eq!(
            doc_note.invert(),
            Change::DocumentNote {
                doc: 2,
                from: "b".into(),
                to: "a".into()
            }
        );
    }
}
