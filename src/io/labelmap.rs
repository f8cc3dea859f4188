//! Label maps: how a foreign tag set's labels become the project's labels.
//!
//! A map is read from a RON file and checked before use. This module only
//! says what a label becomes; it must not read data files or touch the store.
//!
//! # File format
//!
//! A RON struct with two optional fields:
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `map` | `{ "FOREIGN": "PROJECT", … }` | the foreign label becomes the project label |
//! | `drop` | `[ "FOREIGN", … ]` | spans with this label are deliberately left out (and counted) |
//!
//! A label may not be both mapped and dropped; a target must not be empty.
//! Labels not named in the map stay as they are (and must then be in the
//! schema, unless unknown labels are kept).
//!
//! ```ron
//! (
//!     map: { "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE", "PER": "ACTOR", "ORG": "ACTOR" },
//!     drop: ["VEH", "WEA"],
//! )
//! ```
//!
//! `assets/maps/newsfane.ron` maps NewsFANE's 45 fine types
//! ([`LabelMap::newsfane`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What happens to a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapped<'a> {
    /// Keep the span with this label.
    Label(&'a str),
    /// Leave the span out on purpose.
    Drop,
}

/// A checked label map: no label both mapped and dropped, no empty target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelMap {
    map: BTreeMap<String, String>,
    drop: Vec<String>,
}

/// Why a label map could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LabelMapError {
    #[error(
        "cannot read the label map ({source}); check that the file exists and is readable: {}",
        path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "label map syntax error at line {line}, column {column}: {message}; fix the RON in {origin}"
    )]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("label map error at line {line}, column {column}: {problem}; edit {origin}")]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    #[serde(default)]
    map: BTreeMap<String, String>,
    #[serde(default)]
    drop: Vec<String>,
}

const NEWSFANE: &str = include_str!("../../assets/maps/newsfane.ron");

impl LabelMap {
    /// Parse and check a map; `origin` names it in messages.
    pub fn parse(src: &str, origin: &str) -> Result<LabelMap, LabelMapError> {
        let raw: RawMap =
            ron::Options::default()
                .from_str(src)
                .map_err(|e| LabelMapError::Syntax {
                    origin: origin.to_owned(),
                    line: e.span.start.line,
                    column: e.span.start.col,
                    message: e.code.to_string(),
                })?;
        let invalid = |label: &str, problem: String| {
            let (line, column) = locate(src, label);
            LabelMapError::Invalid {
                origin: origin.to_owned(),
                line,
                column,
                problem,
            }
        };
        for (from, to) in &raw.map {
            if from.trim().is_empty() {
                return Err(invalid(from, "a mapped label is empty".into()));
            }
            if to.trim().is_empty() || to.chars().any(char::is_whitespace) {
                return Err(invalid(
                    from,
                    format!("{from:?} maps to {to:?}, which is not a label name"),
                ));
            }
            if raw.drop.contains(from) {
                return Err(invalid(
                    from,
                    format!("{from:?} is both mapped (to {to:?}) and dropped; keep one"),
                ));
            }
        }
        Ok(LabelMap {
            map: raw.map,
            drop: raw.drop,
        })
    }

    /// Read and check the map file at `path`.
    pub fn load(path: &Path) -> Result<LabelMap, LabelMapError> {
        let src = std::fs::read_to_string(path).map_err(|source| LabelMapError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        LabelMap::parse(&src, &path.display().to_string())
    }

    /// The bundled NewsFANE map (`assets/maps/newsfane.ron`).
    pub fn newsfane() -> LabelMap {
        // Part of the program, proven valid by the test `bundled_newsfane_map_parses`.
        LabelMap::parse(NEWSFANE, "assets/maps/newsfane.ron (bundled)")
            .expect("the bundled assets/maps/newsfane.ron is valid: see its test")
    }

    /// What `label` becomes.
    pub fn apply<'a>(&'a self, label: &'a str) -> Mapped<'a> {
        if self.drop.iter().any(|d| d == label) {
            Mapped::Drop
        } else {
            Mapped::Label(self.map.get(label).map_or(label, String::as_str))
        }
    }

    /// The mapped labels and their targets.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(a, b)| (a.as_str(), b.as_str()))
    }

    /// The labels dropped on purpose.
    pub fn dropped(&self) -> &[String] {
        &self.drop
    }
}

/// Line and column (1-based, in characters) of the first quoted `label`.
fn locate(src: &str, label: &str) -> (usize, usize) {
    let needle = format!("{label:?}");
    let byte = src.find(&needle).unwrap_or(0);
    let before = &src[..byte];
    let line = 1 + before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (line, 1 + before[line_start..].chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_newsfane_map_parses_and_covers_the_coarse_types() {
        let map = LabelMap::newsfane();
        assert_eq!(map.apply("Population-Center"), Mapped::Label("PLACE"));
        assert_eq!(map.apply("Politician"), Mapped::Label("ACTOR"));
        assert_eq!(map.apply("Media"), Mapped::Label("ACTOR"));
        assert_eq!(map.apply("Building-Grounds"), Mapped::Label("PLACE"));
        assert_eq!(map.apply("Book"), Mapped::Drop);
        assert_eq!(map.apply("Projectile"), Mapped::Drop);
        assert_eq!(map.apply("PLACE"), Mapped::Label("PLACE"));
        assert_eq!(map.entries().count() + map.dropped().len(), 45);
    }

    #[test]
    fn errors_point_at_the_line() {
        let src =
            "(\n    map: { \"GPE\": \"PLACE\",\n \"VEH\": \"THING\" },\n    drop: [\"VEH\"],\n)";
        let err = LabelMap::parse(src, "m.ron").unwrap_err();
        assert_eq!(
            err.to_string(),
            "label map error at line 3, column 2: \"VEH\" is both mapped (to \"THING\") and dropped; keep one; edit m.ron"
        );
        let err = LabelMap::parse("(map: {\"GPE\": \"PLACE\"}, dorp: [])", "m.ron").unwrap_err();
        let LabelMapError::Syntax { line, column, .. } = err else {
            panic!("{err}")
        };
        assert_eq!((line, column), (1, 25));
        let err = LabelMap::parse("(map: {\"GPE\": \"\"})", "m.ron").unwrap_err();
        assert!(
            err.to_string()
                .contains("\"GPE\" maps to \"\", which is not a label name")
        );
    }
}
