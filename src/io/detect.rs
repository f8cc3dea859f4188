//! A look at the start of a file whose format comes from its extension, so
//! a file whose contents are another format is refused with advice instead of
//! being imported wrongly (a CoNLL token file named `.txt` would otherwise
//! become one long "article").
//!
//! Only the first 256 KiB are read, and only files whose format was not named
//! with `--format` are looked at: `--format` is the user's last word. This
//! module decides; it reads no record and knows nothing of the store or egui.
//!
//! # Rules
//!
//! - `.txt`: refused when its lines are CoNLL token/tag pairs. Of the first
//!   200 lines that are not blank, `#` comments or `-DOCSTART-`, a *tag line*
//!   has 2 to 10 fields separated by tabs or spaces and a last field `O` or
//!   `B-X`, `I-X`, `E-X`, `S-X` (also with `_`). The file is token/tag data
//!   when there are at least 2 such lines, at least 90 % of the lines are tag
//!   lines, and either one tag is not `O` or there are 5 lines or more.
//!   Article text has long lines that end in a word, so it never meets this.
//! - `.jsonl`: refused when its first character (after a byte-order mark and
//!   whitespace) is `[`: one JSON array (Label Studio's export, or a list of
//!   records), not one object per line.
//! - `.json` (no format by extension): when its first two lines that are not
//!   blank are each a whole JSON object, it is JSON lines and the advice is
//!   `--format jsonl`; when it starts with `[`, it is one JSON array and the
//!   advice names `--format label-studio`; otherwise the format is unknown.

use std::io::Read as _;
use std::path::Path;

use super::pipeline::{Format, ImportFailed};

/// Bytes looked at, at most.
const HEAD: u64 = 256 * 1024;
/// Lines looked at, at most.
const LINES: usize = 200;

/// What the start of a file turned out to be, against its extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub kind: Kind,
    /// The line (from 1) that shows it, and its text (shortened).
    pub line: usize,
    pub sample: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// CoNLL token/tag lines.
    Conll,
    /// One JSON array.
    JsonArray,
    /// JSON objects one per line.
    JsonLines,
}

/// The format of `path` by its extension, checked against its first bytes
/// (see the module documentation).
pub(crate) fn format_of(path: &Path) -> Result<Format, ImportFailed> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let by_name = Format::from_path(path);
    let looked = match (by_name, ext.as_str()) {
        (Some(_), "txt" | "jsonl") | (None, "json") => head(path).and_then(|h| sniff(&ext, &h)),
        _ => None,
    };
    match (by_name, looked) {
        (Some(format), None) => Ok(format),
        (None, None) => Err(ImportFailed::UnknownFormat {
            path: path.to_path_buf(),
        }),
        (_, Some(finding)) => Err(mismatch(path, &ext, finding)),
    }
}

fn mismatch(path: &Path, ext: &str, finding: Finding) -> ImportFailed {
    let (expected, found, advice) = match (ext, finding.kind) {
        ("txt", _) => (
            "an article (.txt)",
            "its lines are CoNLL tokens with B-/I-/O tags",
            "import it with --format conll (with --map for its labels), or with --format txt to keep it as one text document",
        ),
        ("jsonl", _) => (
            "JSON lines (.jsonl)",
            "it is one JSON array, not one JSON object per line",
            "if it is a Label Studio export, import it with --format label-studio; otherwise write one object per line",
        ),
        (_, Kind::JsonLines) => (
            "no format the importer reads (.json)",
            "its lines are JSON objects, one per line (JSON lines)",
            "import it with --format jsonl, or rename it to .jsonl",
        ),
        _ => (
            "no format the importer reads (.json)",
            "it is one JSON array",
            "if it is a Label Studio export, import it with --format label-studio",
        ),
    };
    ImportFailed::ContentsNotFormat {
        path: path.to_path_buf(),
        expected,
        found,
        line: finding.line,
        sample: finding.sample,
        advice,
    }
}

/// The first [`HEAD`] bytes of `path` as text (whole lines only when cut),
/// without a byte-order mark and with CRLF read as LF; `None` if it cannot be
/// read or is not UTF-8 (its reader will say so).
fn head(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(HEAD)
        .read_to_end(&mut bytes)
        .ok()?;
    let cut = bytes.len() as u64 == HEAD;
    let (body, _) = super::strip_bom(&bytes);
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        // A character cut at the end of the head is not an error.
        Err(e) if cut && e.error_len().is_none() => {
            std::str::from_utf8(&body[..e.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    let text = if cut {
        &text[..text.rfind('\n').map_or(0, |i| i + 1)]
    } else {
        text
    };
    Some(text.replace("\r\n", "\n"))
}

/// What the start `head` of a file named `.ext` is, when it is not what the
/// extension says (see the module documentation).
pub(crate) fn sniff(ext: &str, head: &str) -> Option<Finding> {
    match ext {
        "txt" => conll_lines(head),
        "jsonl" => json_array(head),
        "json" => json_lines(head).or_else(|| json_array(head)),
        _ => None,
    }
}

fn shorten(line: &str) -> String {
    const MAX: usize = 60;
    if line.chars().count() <= MAX {
        return line.to_owned();
    }
    let mut s: String = line.chars().take(MAX).collect();
    s.push('…');
    s
}

/// Whether `field` is an IOB/IOBES tag.
fn is_tag(field: &str) -> bool {
    if field == "O" {
        return true;
    }
    let mut chars = field.chars();
    matches!(chars.next(), Some('B' | 'I' | 'E' | 'S'))
        && matches!(chars.next(), Some('-' | '_'))
        && chars.next().is_some()
}

fn conll_lines(head: &str) -> Option<Finding> {
    let mut lines = 0;
    let mut tagged = 0;
    let mut not_o = false;
    let mut first: Option<(usize, &str)> = None;
    for (i, line) in head.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("-DOCSTART-") {
            continue;
        }
        lines += 1;
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        if (2..=10).contains(&fields.len()) && fields.last().is_some_and(|f| is_tag(f)) {
            tagged += 1;
            not_o |= fields.last() != Some(&"O");
            first.get_or_insert((i + 1, line));
        }
        if lines == LINES {
            break;
        }
    }
    let (line, text) = first?;
    (tagged >= 2 && tagged * 10 >= lines * 9 && (not_o || tagged >= 5)).then(|| Finding {
        kind: Kind::Conll,
        line,
        sample: shorten(text),
    })
}

fn json_array(head: &str) -> Option<Finding> {
    let (i, line) = head
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())?;
    line.trim_start().starts_with('[').then(|| Finding {
        kind: Kind::JsonArray,
        line: i + 1,
        sample: shorten(line.trim()),
    })
}

fn json_lines(head: &str) -> Option<Finding> {
    let mut objects = head
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .take(2)
        .map(|(i, l)| {
            let whole = matches!(
                serde_json::from_str::<serde_json::Value>(l),
                Ok(serde_json::Value::Object(_))
            );
            (i, l, whole)
        });
    let (i, line, first) = objects.next()?;
    let (_, _, second) = objects.next()?;
    (first && second).then(|| Finding {
        kind: Kind::JsonLines,
        line: i + 1,
        sample: shorten(line.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ext: &str, head: &str) -> Option<Kind> {
        sniff(ext, head).map(|f| f.kind)
    }

    #[test]
    fn token_tag_lines_in_a_txt_are_conll() {
        // NewsFANE's first lines: tab-separated, U+200E before tokens.
        let newsfane = "\u{200e}فرانكفورت\tB-Population-Center\n(\tO\n\u{200e}د\tB-Media\n\u{200e}ب\tI-Media\n)\tO\n";
        let found = sniff("txt", newsfane).unwrap();
        assert_eq!(found.kind, Kind::Conll);
        assert_eq!(found.line, 1);
        assert_eq!(found.sample, "\u{200e}فرانكفورت\tB-Population-Center");
        // Space-separated columns, a comment, a blank line between sentences.
        let conll2003 =
            "-DOCSTART- -X- -X- O\n\nقصف NN B-NP O\nإدلب NNP I-NP B-LOC\n\n# c\nأمس RB B-ADVP O\n";
        assert_eq!(kind("txt", conll2003), Some(Kind::Conll));
        // Underscore tags and IOBES.
        assert_eq!(
            kind("txt", "قصف\tS_EVENT\nإدلب\tE-LOC\n"),
            Some(Kind::Conll)
        );
        // Only O tags: five lines are enough, two are not.
        assert_eq!(
            kind("txt", "أ\tO\nب\tO\nت\tO\nث\tO\nج\tO\n"),
            Some(Kind::Conll)
        );
        assert_eq!(kind("txt", "أ\tO\nب\tO\n"), None);
    }

    #[test]
    fn articles_are_not_conll_even_with_a_tag_like_line_or_two() {
        let article = include_str!("../../assets/samples/idlib-ceasefire-ar.txt");
        assert_eq!(kind("txt", article), None);
        // A title, a list of words ending in O, and prose: under 90 % tag lines.
        let mixed = "العنوان: حصيلة\nالقتلى O\nالجرحى B-X\nأعلن فريق منسقو الاستجابة في شمال سورية عن حصيلة جديدة.\n";
        assert_eq!(kind("txt", mixed), None);
        // One line, even a tag-like one, is never enough.
        assert_eq!(kind("txt", "إدلب B-PLACE"), None);
        // A line of many words ending in O is prose, not a token line.
        assert_eq!(
            kind(
                "txt",
                "قال إنه لا يعرف ما جرى هناك في ذلك اليوم حرف O\nومضى في طريقه O\n"
            ),
            None
        );
    }

    #[test]
    fn a_json_array_is_not_json_lines_and_json_lines_are_not_a_json_document() {
        let ls = "[\n  {\"id\": 1, \"data\": {\"text\": \"قصف\"}, \"annotations\": []}\n]\n";
        assert_eq!(kind("jsonl", ls), Some(Kind::JsonArray));
        assert_eq!(
            kind("jsonl", "  [{\"text\": \"قصف\"}]"),
            Some(Kind::JsonArray)
        );
        assert_eq!(kind("json", ls), Some(Kind::JsonArray));
        let lines = "{\"text\": \"قصف\", \"spans\": []}\n\n{\"text\": \"إدلب\"}\n";
        assert_eq!(kind("jsonl", lines), None);
        let found = sniff("json", lines).unwrap();
        assert_eq!((found.kind, found.line), (Kind::JsonLines, 1));
        // One pretty-printed object, or a single object, is a JSON document.
        assert_eq!(kind("json", "{\n  \"text\": \"قصف\"\n}\n"), None);
        assert_eq!(kind("json", "{\"text\": \"قصف\"}\n"), None);
    }

    #[test]
    fn long_samples_are_shortened() {
        let long = format!("[{}]", "\"إدلب\",".repeat(40));
        let found = sniff("jsonl", &long).unwrap();
        assert_eq!(found.sample.chars().count(), 61);
        assert!(found.sample.ends_with('…'));
    }
}
