//! The ACTOR recogniser (being written; returns nothing yet).

use super::Suggestion;
use super::words::Word;

/// ACTOR suggestions in `text`, whose words are `words`.
pub fn recognise(_text: &str, _words: &[Word]) -> Vec<Suggestion> {
    Vec::new()
}
