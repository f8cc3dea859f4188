//! The project's string matcher and loaded gazetteers (being written; matches
//! nothing yet).

use super::Suggestion;
use super::words::Word;

/// What the project has accepted, and the gazetteers a lead loaded.
#[derive(Debug, Clone, Default)]
pub struct Matcher {}

impl Matcher {
    pub fn new() -> Self {
        Matcher {}
    }

    /// Learn that a span with text `text` and label `label` was accepted
    /// `accepted` times and rejected `rejected` times in the project.
    pub fn add(&mut self, _text: &str, _label: &str, _accepted: u32, _rejected: u32) {}

    /// Suggestions in `text`, whose words are `words`.
    pub fn recognise(&self, _text: &str, _words: &[Word]) -> Vec<Suggestion> {
        Vec::new()
    }
}
