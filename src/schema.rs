//! The label schema: which labels exist, how they look, their shortcut keys and
//! guidelines, read from a RON file and checked before anything uses it.
//!
//! The file is parsed into private raw structs, then validated into [`Schema`],
//! the only type the rest of tawsim sees: names are unique and non-empty,
//! hotkeys are unique digits "1".."9", colours are "#rrggbb". Every error names
//! the line and column (ron's position for syntax errors; for a semantic error
//! the line of the offending entry) and the file. This module does not read
//! settings, touch the database, or know about egui.
//!
//! # File format
//!
//! A RON struct with the schema's `name`, a `version` number, and `labels`, a
//! list of label entries. Optional values are written bare (`hotkey: "1"`, the
//! `implicit_some` extension is on) or left out.
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `name` | string | label name stored with spans and exported, no whitespace |
//! | `arabic` | string | display name in the UI |
//! | `color` | `"#rrggbb"` | background colour of the label's spans |
//! | `hotkey` | `"1"`..`"9"`, optional | key that applies the label |
//! | `description` | string, optional | the guideline, shown as a tooltip |
//! | `attributes` | list, optional | values an annotator may fill in for a span |
//!
//! An attribute is `(name: "count", kind: K)` where `K` is `Integer`, `Text`,
//! `Date` (an ISO 8601 date) or `Choice(["killed", "injured"])`.
//!
//! # Attribute values
//!
//! A span stores its values as a JSON object keyed by attribute name
//! (`spans.attrs`, e.g. `{"count":19,"kind":"killed"}`); an attribute with no
//! value is absent. `Integer` is a JSON number, a whole number 0 or more
//! (typed as `19` or `١٩`); `Choice` is one of the listed strings; `Date` is a
//! string in ISO 8601, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, optionally with a
//! time `THH:MM[:SS[.fff]]` and a zone `Z` or `±HH:MM` ([`is_iso8601`]);
//! `Text` is any string. [`AttributeDef::parse_input`] turns what an
//! annotator typed into the stored value; [`AttributeDef::check`] checks a
//! stored one.
//!
//! ```ron
//! (
//!     name: "tawsim-news",
//!     version: 1,
//!     labels: [
//!         (
//!             name: "PLACE",
//!             arabic: "مكان",
//!             color: "#3b82c4",
//!             hotkey: "2",
//!             description: "A named place: «إدلب», «معرة النعمان».",
//!         ),
//!         (
//!             name: "CASUALTY",
//!             arabic: "ضحايا",
//!             color: "#d64545",
//!             attributes: [(name: "count", kind: Integer)],
//!         ),
//!     ],
//! )
//! ```
//!
//! The bundled default is `assets/schema.ron` ([`Schema::default_schema`]).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A checked label schema. Invariants: at least one label; label names are
/// non-empty, without whitespace, unique; hotkeys are unique digits 1–9;
/// attribute names are unique within a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub name: String,
    pub version: u32,
    labels: Vec<LabelDef>,
    /// The RON text exactly as given, kept so a project can store it.
    source: String,
}

/// One label of a [`Schema`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelDef {
    /// Stored with every span and written to exports, e.g. `PLACE`.
    pub name: String,
    /// Name shown to annotators, e.g. «مكان».
    pub arabic: String,
    /// sRGB colour of the label's spans.
    pub color: [u8; 3],
    /// Digit key that applies the label, `'1'..='9'`.
    pub hotkey: Option<char>,
    /// The annotation guideline for this label (may be empty).
    pub description: String,
    /// Values an annotator may fill in for a span with this label.
    pub attributes: Vec<AttributeDef>,
}

/// An attribute a span of some label may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: String,
    pub kind: AttributeKind,
}

/// What values an attribute takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeKind {
    /// A whole number, e.g. a casualty count.
    Integer,
    /// Free text.
    Text,
    /// An ISO 8601 date, e.g. `2020-01-11`.
    Date,
    /// One of a fixed, non-empty list of distinct values.
    Choice(Vec<String>),
}

/// Why a schema file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "cannot read the label schema ({source}); check that the file exists and is readable: {}",
        path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "label schema syntax error at line {line}, column {column}: {message}; fix the RON in {origin}"
    )]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("label schema error at line {line}, column {column}: {problem}; edit {origin}")]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        problem: SchemaProblem,
    },
}

/// What is semantically wrong with a schema, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaProblem {
    NoLabels,
    EmptyName {
        index: usize,
    },
    NameHasWhitespace {
        name: String,
    },
    EmptyArabic {
        label: String,
    },
    DuplicateName {
        name: String,
        first_line: usize,
    },
    BadColor {
        label: String,
        value: String,
    },
    BadHotkey {
        label: String,
        value: String,
    },
    DuplicateHotkey {
        label: String,
        key: char,
        other: String,
    },
    EmptyAttributeName {
        label: String,
    },
    DuplicateAttribute {
        label: String,
        attribute: String,
    },
    EmptyChoice {
        label: String,
        attribute: String,
    },
    DuplicateChoice {
        label: String,
        attribute: String,
        value: String,
    },
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaProblem::NoLabels => {
                write!(
                    f,
                    "the schema defines no labels; add at least one entry to `labels: [...]`"
                )
            }
            SchemaProblem::EmptyName { index } => write!(
                f,
                "label number {index} has an empty name; give it a name such as \"PLACE\""
            ),
            SchemaProblem::NameHasWhitespace { name } => write!(
                f,
                "label name {name:?} contains whitespace; use a single word such as \"PLACE\" (the Arabic name goes in `arabic`)"
            ),
            SchemaProblem::EmptyArabic { label } => write!(
                f,
                "label \"{label}\" has an empty Arabic name; set `arabic` to the name annotators see, e.g. \"مكان\""
            ),
            SchemaProblem::DuplicateName { name, first_line } => write!(
                f,
                "label \"{name}\" is defined twice (first at line {first_line}); rename or remove one"
            ),
            SchemaProblem::BadColor { label, value } => write!(
                f,
                "label \"{label}\" has colour {value:?}; write it as \"#rrggbb\" with six hex digits, e.g. \"#3b82c4\""
            ),
            SchemaProblem::BadHotkey { label, value } => write!(
                f,
                "label \"{label}\" has hotkey {value:?}; a hotkey is one digit from \"1\" to \"9\", or leave it out"
            ),
            SchemaProblem::DuplicateHotkey { label, key, other } => write!(
                f,
                "labels \"{other}\" and \"{label}\" both use hotkey \"{key}\"; give each label its own digit"
            ),
            SchemaProblem::EmptyAttributeName { label } => write!(
                f,
                "label \"{label}\" has an attribute with an empty name; name it, e.g. \"count\""
            ),
            SchemaProblem::DuplicateAttribute { label, attribute } => write!(
                f,
                "label \"{label}\" defines attribute \"{attribute}\" twice; rename or remove one"
            ),
            SchemaProblem::EmptyChoice { label, attribute } => write!(
                f,
                "attribute \"{attribute}\" of label \"{label}\" is a Choice with no values; list them, e.g. Choice([\"killed\", \"injured\"])"
            ),
            SchemaProblem::DuplicateChoice {
                label,
                attribute,
                value,
            } => write!(
                f,
                "attribute \"{attribute}\" of label \"{label}\" lists the choice \"{value}\" twice; remove one"
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    name: String,
    version: u32,
    labels: Vec<RawLabel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    name: String,
    arabic: String,
    color: String,
    #[serde(default)]
    hotkey: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    attributes: Vec<RawAttribute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttribute {
    name: String,
    kind: RawKind,
}

/// Named after the public type, which is what error messages show.
#[derive(Deserialize)]
#[serde(rename = "AttributeKind")]
enum RawKind {
    Integer,
    Text,
    Date,
    Choice(Vec<String>),
}

const DEFAULT_SCHEMA: &str = include_str!("../assets/schema.ron");

impl Schema {
    /// Parses and checks a schema; `origin` names the source (a file name) in
    /// error messages.
    pub fn parse(src: &str, origin: &str) -> Result<Schema, SchemaError> {
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let raw: RawSchema = options.from_str(src).map_err(|e| SchemaError::Syntax {
            origin: origin.to_string(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })?;
        validate(raw, &Locator::new(src), origin)
    }

    /// Reads and checks the schema file at `path`.
    pub fn load(path: &Path) -> Result<Schema, SchemaError> {
        let src = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Schema::parse(&src, &path.display().to_string())
    }

    /// The schema bundled with tawsim (`assets/schema.ron`): CASUALTY, PLACE,
    /// DATE and ACTOR on hotkeys 1–4.
    pub fn default_schema() -> Schema {
        // The bundled file is part of the program, not user input, and the
        // test `default_schema_parses` proves it valid.
        Schema::parse(DEFAULT_SCHEMA, "assets/schema.ron (bundled)")
            .expect("the bundled assets/schema.ron is valid: see the default_schema test")
    }

    /// Labels in the order the file lists them.
    pub fn labels(&self) -> &[LabelDef] {
        &self.labels
    }

    pub fn label(&self, name: &str) -> Option<&LabelDef> {
        self.labels.iter().find(|label| label.name == name)
    }

    pub fn by_hotkey(&self, key: char) -> Option<&LabelDef> {
        self.labels.iter().find(|label| label.hotkey == Some(key))
    }

    /// The RON text the schema was parsed from, exactly as given.
    pub fn ron(&self) -> &str {
        &self.source
    }
}

impl LabelDef {
    /// The attribute called `name`, if this label has one.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Checks one stored attribute value against this label's definition.
    pub fn check_attr(&self, name: &str, value: &serde_json::Value) -> Result<(), AttrError> {
        match self.attribute(name) {
            Some(def) => def.check(value),
            None => Err(AttrError::Unknown {
                label: self.name.clone(),
                attribute: name.to_owned(),
                known: self
                    .attributes
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

impl AttributeDef {
    /// Checks a stored value (JSON) against the attribute's kind.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), AttrError> {
        let attribute = || self.name.clone();
        let shown = || value.to_string();
        match (&self.kind, value) {
            (AttributeKind::Integer, serde_json::Value::Number(n)) if n.is_u64() => Ok(()),
            (AttributeKind::Integer, _) => Err(AttrError::NotACount {
                attribute: attribute(),
                value: shown(),
            }),
            (AttributeKind::Text, serde_json::Value::String(_)) => Ok(()),
            (AttributeKind::Text, _) => Err(AttrError::NotText {
                attribute: attribute(),
                value: shown(),
            }),
            (AttributeKind::Date, serde_json::Value::String(s)) if is_iso8601(s) => Ok(()),
            (AttributeKind::Date, _) => Err(AttrError::NotADate {
                attribute: attribute(),
                value: shown(),
            }),
            (AttributeKind::Choice(values), serde_json::Value::String(s)) if values.contains(s) => {
                Ok(())
            }
            (AttributeKind::Choice(values), _) => Err(AttrError::NotAChoice {
                attribute: attribute(),
                value: shown(),
                choices: values.join(", "),
            }),
        }
    }

    /// The value an annotator typed, as it is stored: `Ok(None)` for an empty
    /// field (the attribute is unset). Surrounding whitespace is ignored. A
    /// count may be written with Arabic-Indic digits («١٩» is stored as `19`).
    pub fn parse_input(&self, input: &str) -> Result<Option<serde_json::Value>, AttrError> {
        let input = input.trim();
        if input.is_empty() {
            return Ok(None);
        }
        let value = match &self.kind {
            AttributeKind::Integer => {
                let count = parse_count(input).ok_or_else(|| AttrError::NotACount {
                    attribute: self.name.clone(),
                    value: format!("{input:?}"),
                })?;
                serde_json::Value::from(count)
            }
            _ => serde_json::Value::String(input.to_owned()),
        };
        self.check(&value)?;
        Ok(Some(value))
    }
}

/// A stored attribute value as an annotator reads and edits it: strings bare,
/// numbers in ASCII digits.
pub fn attr_display(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Why an attribute value does not fit its definition in the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttrError {
    #[error(
        "label {label} has no attribute \"{attribute}\" (its attributes: {known}); choose one of those, or add it to the label schema"
    )]
    Unknown {
        label: String,
        attribute: String,
        known: String,
    },
    #[error("\"{attribute}\" is a count: write a whole number, 0 or more (e.g. 19), not {value}")]
    NotACount { attribute: String, value: String },
    #[error("\"{attribute}\" must be one of {choices}, not {value}; pick one from the list")]
    NotAChoice {
        attribute: String,
        value: String,
        choices: String,
    },
    #[error(
        "\"{attribute}\" is an ISO 8601 date: write YYYY, YYYY-MM or YYYY-MM-DD, optionally with a time (2020-01-11T00:01, 2020-01-11T00:01:30+03:00), not {value}"
    )]
    NotADate { attribute: String, value: String },
    #[error("\"{attribute}\" takes text, not {value}")]
    NotText { attribute: String, value: String },
}

/// A whole number ≥ 0 written in ASCII (`19`) or Arabic-Indic (`١٩`, `۱۹`) digits.
fn parse_count(input: &str) -> Option<u64> {
    if input.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in input.chars() {
        let digit = match c {
            '0'..='9' => c as u32 - '0' as u32,
            '\u{0660}'..='\u{0669}' => c as u32 - 0x0660,
            '\u{06F0}'..='\u{06F9}' => c as u32 - 0x06F0,
            _ => return None,
        };
        n = n.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(n)
}

/// True for an ISO 8601 calendar date with reduced precision or a time:
/// `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `…THH:MM:SS`,
/// `…THH:MM:SS.fff`, each time optionally followed by `Z` or `±HH:MM`.
/// Months, days (leap years included), hours and minutes must exist.
pub fn is_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let Some(year) = num(0..4) else {
        return false;
    };
    if b.len() == 4 {
        return true;
    }
    let Some(month) = num(5..7).filter(|m| b[4] == b'-' && (1..=12).contains(m)) else {
        return false;
    };
    if b.len() == 7 {
        return true;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if b.get(7) != Some(&b'-') || !num(8..10).is_some_and(|d| (1..=days).contains(&d)) {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    // The time: THH:MM[:SS[.f+]][Z|±HH:MM]
    let hour = num(11..13).filter(|h| *h < 24);
    let minute = num(14..16).filter(|m| *m < 60);
    if b.get(10) != Some(&b'T') || hour.is_none() || b.get(13) != Some(&b':') || minute.is_none() {
        return false;
    }
    let mut at = 16;
    if b.get(at) == Some(&b':') {
        if num(at + 1..at + 3).is_none_or(|sec| sec >= 60) {
            return false;
        }
        at += 3;
        if b.get(at) == Some(&b'.') {
            let digits = b[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return false;
            }
            at += 1 + digits;
        }
    }
    match b.get(at) {
        None => true,
        Some(b'Z') => at + 1 == b.len(),
        Some(b'+' | b'-') => {
            at + 6 == b.len()
                && num(at + 1..at + 3).is_some_and(|h| h < 24)
                && b[at + 3] == b':'
                && num(at + 4..at + 6).is_some_and(|m| m < 60)
        }
        Some(_) => false,
    }
}

/// Finds where entries sit in the source, to point semantic errors at a line.
///
/// ron keeps no positions for values, so this looks for the quoted string that
/// identifies an entry (a label's name, then the offending value after it).
struct Locator<'a> {
    src: &'a str,
    /// Byte offset where each label entry was found, in order.
    labels_from: usize,
}

impl<'a> Locator<'a> {
    fn new(src: &'a str) -> Self {
        let labels_from = src.find("labels").unwrap_or(0);
        Locator { src, labels_from }
    }

    /// Byte offsets of each label's quoted name, searching forward in order;
    /// a name not found gets the previous label's offset.
    fn label_offsets(&self, labels: &[RawLabel]) -> Vec<usize> {
        let mut cursor = self.labels_from;
        labels
            .iter()
            .map(|label| {
                let needle = format!("{:?}", label.name);
                match self.src.get(cursor..).and_then(|rest| rest.find(&needle)) {
                    Some(at) => {
                        cursor += at + needle.len();
                        cursor - needle.len()
                    }
                    None => cursor,
                }
            })
            .collect()
    }

    /// Byte offset of the quoted `value` at or after `from`, else `from`.
    fn value_after(&self, from: usize, value: &str) -> usize {
        let needle = format!("{value:?}");
        self.src
            .get(from..)
            .and_then(|rest| rest.find(&needle))
            .map_or(from, |at| from + at)
    }

    /// 1-based line and column (in characters, as ron counts) of a byte offset.
    fn line_col(&self, byte: usize) -> (usize, usize) {
        let before = self.src.get(..byte).unwrap_or(self.src);
        let line = 1 + before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let column = 1 + before[line_start..].chars().count();
        (line, column)
    }
}

fn validate(raw: RawSchema, locator: &Locator<'_>, origin: &str) -> Result<Schema, SchemaError> {
    let invalid = |byte: usize, problem: SchemaProblem| {
        let (line, column) = locator.line_col(byte);
        SchemaError::Invalid {
            origin: origin.to_string(),
            line,
            column,
            problem,
        }
    };
    if raw.labels.is_empty() {
        return Err(invalid(locator.labels_from, SchemaProblem::NoLabels));
    }
    let offsets = locator.label_offsets(&raw.labels);
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut hotkeys: HashMap<char, String> = HashMap::new();
    let mut labels = Vec::with_capacity(raw.labels.len());
    for (i, (label, &at)) in raw.labels.into_iter().zip(&offsets).enumerate() {
        let name = label.name;
        if name.trim().is_empty() {
            return Err(invalid(at, SchemaProblem::EmptyName { index: i + 1 }));
        }
        if name.chars().any(char::is_whitespace) {
            return Err(invalid(at, SchemaProblem::NameHasWhitespace { name }));
        }
        if let Some(&first) = names.get(&name) {
            let first_line = locator.line_col(first).0;
            return Err(invalid(
                at,
                SchemaProblem::DuplicateName { name, first_line },
            ));
        }
        names.insert(name.clone(), at);
        if label.arabic.trim().is_empty() {
            return Err(invalid(at, SchemaProblem::EmptyArabic { label: name }));
        }
        let Some(color) = parse_color(&label.color) else {
            let at = locator.value_after(at, &label.color);
            return Err(invalid(
                at,
                SchemaProblem::BadColor {
                    label: name,
                    value: label.color,
                },
            ));
        };
        let hotkey = match label.hotkey {
            None => None,
            Some(value) => {
                let mut chars = value.chars();
                let key = match (chars.next(), chars.next()) {
                    (Some(key @ '1'..='9'), None) => key,
                    _ => {
                        let at = locator.value_after(at, &value);
                        return Err(invalid(at, SchemaProblem::BadHotkey { label: name, value }));
                    }
                };
                if let Some(other) = hotkeys.get(&key) {
                    let at = locator.value_after(at, &value);
                    let other = other.clone();
                    return Err(invalid(
                        at,
                        SchemaProblem::DuplicateHotkey {
                            label: name,
                            key,
                            other,
                        },
                    ));
                }
                hotkeys.insert(key, name.clone());
                Some(key)
            }
        };
        let mut attributes: Vec<AttributeDef> = Vec::with_capacity(label.attributes.len());
        for attribute in label.attributes {
            let attr_at = locator.value_after(at, &attribute.name);
            if attribute.name.trim().is_empty() {
                return Err(invalid(
                    attr_at,
                    SchemaProblem::EmptyAttributeName { label: name },
                ));
            }
            if attributes.iter().any(|a| a.name == attribute.name) {
                return Err(invalid(
                    attr_at,
                    SchemaProblem::DuplicateAttribute {
                        label: name,
                        attribute: attribute.name,
                    },
                ));
            }
            let kind = match attribute.kind {
                RawKind::Integer => AttributeKind::Integer,
                RawKind::Text => AttributeKind::Text,
                RawKind::Date => AttributeKind::Date,
                RawKind::Choice(values) => {
                    if values.is_empty() {
                        return Err(invalid(
                            attr_at,
                            SchemaProblem::EmptyChoice {
                                label: name,
                                attribute: attribute.name,
                            },
                        ));
                    }
                    for (k, value) in values.iter().enumerate() {
                        if values[..k].contains(value) {
                            return Err(invalid(
                                attr_at,
                                SchemaProblem::DuplicateChoice {
                                    label: name,
                                    attribute: attribute.name,
                                    value: value.clone(),
                                },
                            ));
                        }
                    }
                    AttributeKind::Choice(values)
                }
            };
            attributes.push(AttributeDef {
                name: attribute.name,
                kind,
            });
        }
        labels.push(LabelDef {
            name,
            arabic: label.arabic,
            color,
            hotkey,
            description: label.description,
            attributes,
        });
    }
    Ok(Schema {
        name: raw.name,
        version: raw.version,
        labels,
        source: locator.src.to_owned(),
    })
}

/// `"#rrggbb"` (either case) as three bytes.
fn parse_color(value: &str) -> Option<[u8; 3]> {
    let hex = value.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_only_as_six_hex_digits() {
        assert_eq!(parse_color("#d64545"), Some([0xd6, 0x45, 0x45]));
        assert_eq!(parse_color("#3B82C4"), Some([0x3b, 0x82, 0xc4]));
        for bad in [
            "d64545", "#d6454", "#d645455", "#gg4545", "#", "", "#d6 454", "#٣b82c4",
        ] {
            assert_eq!(parse_color(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn iso_dates_at_every_precision_and_nothing_else() {
        for good in [
            "2017",
            "2017-05",
            "2020-01-11",
            "2020-02-29",
            "2000-02-29",
            "2020-01-11T00:01",
            "2020-01-11T23:59:59",
            "2020-01-11T00:01:30.250",
            "2020-01-11T00:01Z",
            "2020-01-11T00:01:30+03:00",
            "2020-01-11T00:01-05:30",
        ] {
            assert!(is_iso8601(good), "{good}");
        }
        for bad in [
            "",
            "17",
            "20170",
            "2017-5",
            "2017-13",
            "2017-00",
            "2019-02-29",
            "1900-02-29",
            "2020-04-31",
            "2020-01-11 00:01",
            "2020-01-11T24:00",
            "2020-01-11T00:60",
            "2020-01-11T00:01:",
            "2020-01-11T00:01:30.",
            "2020-01-11T00:01+3",
            "2020-01-11Z",
            "١١-٠١-٢٠٢٠",
            "2020/01/11",
            "11 كانون الثاني 2020",
            "2020-01-11T00:01Zx",
        ] {
            assert!(!is_iso8601(bad), "{bad}");
        }
    }

    #[test]
    fn counts_take_ascii_and_arabic_indic_digits() {
        assert_eq!(parse_count("19"), Some(19));
        assert_eq!(parse_count("١٩"), Some(19));
        assert_eq!(parse_count("۴۰۰"), Some(400));
        assert_eq!(parse_count("0"), Some(0));
        for bad in ["-1", "1.5", "19 مدنياً", "", "99999999999999999999999"] {
            assert_eq!(parse_count(bad), None, "{bad}");
        }
    }

    #[test]
    fn locator_counts_columns_in_characters() {
        let locator = Locator::new("a\nمكان \"x\"");
        assert_eq!(locator.line_col(0), (1, 1));
        assert_eq!(locator.line_col(2), (2, 1));
        // «مكان » is 9 bytes but 5 characters: the quote is in column 6.
        assert_eq!(locator.line_col(locator.value_after(0, "x")), (2, 6));
    }
}
