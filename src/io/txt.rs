//! Plain-text articles (`.txt`): one file is one document, without spans.
//!
//! This module turns the bytes of a `.txt` file into the exact text that will
//! be stored, and nothing else: it must not guess encodings, reflow, trim or
//! otherwise "clean" the article, because every span offset is counted in the
//! stored text. It knows nothing about egui.
//!
//! # Accepted file format
//!
//! - **UTF-8 only.** Anything else is refused with the byte offset and line of
//!   the first invalid byte (a UTF-16 file fails at byte 0 or on its first NUL).
//!   A NUL character is refused too: a text article never holds one.
//! - A leading byte-order mark (`EF BB BF`) is removed.
//! - Line ends: CRLF and a lone CR each become one LF.
//! - Optional header: if the **first line** is `title: …` (any ASCII case) or
//!   `العنوان: …` (spaces allowed before the colon), its value is the title,
//!   and that line plus the empty lines right after it are not part of the text.
//! - Newlines at the very end of the file are removed (they carry no content
//!   and would make an empty last paragraph). Nothing else is trimmed: leading
//!   blank lines, inner and trailing spaces and tabs stay as they are.
//! - A file with no text left (empty, only a BOM, only whitespace) is refused.
//! - Without a header, the title is the first line that is not blank, with
//!   surrounding whitespace removed. A title longer than 80 characters is cut
//!   at the last word boundary that fits and ends with `…`, 80 characters in all.
//!
//! Example file (`\r\n` line ends, BOM):
//!
//! ```text
//! العنوان: خرق وقف إطلاق النار في إدلب
//!
//! أعلن فريق (منسقو الاستجابة) في شمال سورية …
//! ```
//!
//! gives the title `خرق وقف إطلاق النار في إدلب`, the text starting at `أعلن`,
//! and `meta`:
//!
//! ```json
//! {"file_name":"idlib.txt","file_sha256":"<hex of the file's bytes>",
//!  "had_bom":true,"crlf":2,"lone_cr":0,"title_from":"header"}
//! ```
//!
//! `source` is the path as given.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::BOM;
use crate::model::AnnotatorId;
use crate::store::{Imported, NewDocument, Store, StoreError, sha256_hex};

/// Longest title, in characters, including the `…` of a cut title.
pub const MAX_TITLE_CHARS: usize = 80;

/// Errors from reading an article file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "cannot read the article file; check that it exists and that you may read it: {}",
        path.display()
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "not valid UTF-8 at byte {byte} (line {line}); save the file as UTF-8 and import again: {}",
        path.display()
    )]
    InvalidUtf8 {
        path: PathBuf,
        /// Offset of the first bad byte in the file, from 0.
        byte: usize,
        /// Line of that byte, from 1.
        line: usize,
    },
    #[error(
        "a NUL byte at byte {byte} (line {line}), which a text article never has (is it UTF-16 or not text?); save the file as UTF-8 text and import again: {}",
        path.display()
    )]
    NulByte {
        path: PathBuf,
        byte: usize,
        line: usize,
    },
    #[error(
        "the file holds no text (it is empty or only whitespace); choose the file of the article itself: {}",
        path.display()
    )]
    Empty { path: PathBuf },
    #[error(
        "the article was read but could not be saved in the project; nothing was added for it: {}",
        path.display()
    )]
    Store { path: PathBuf, source: StoreError },
}

/// A file read and ready to import.
#[derive(Debug, Clone, PartialEq)]
pub struct TxtImport {
    pub doc: NewDocument,
    pub report: TxtReport,
}

/// What was changed on the way from the file's bytes to the stored text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxtReport {
    /// A leading byte-order mark was removed.
    pub had_bom: bool,
    /// CRLF pairs turned into LF.
    pub crlf: usize,
    /// Lone CRs turned into LF.
    pub lone_cr: usize,
}

/// Read one article file. See the module documentation for the format.
pub fn read_txt(path: &Path) -> Result<TxtImport, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes, path, path.display().to_string())
}

/// Turn the bytes of an article file into a document; `source` is the path
/// (or origin string) recorded with it and named in errors.
pub fn parse_txt(bytes: &[u8], source: &str) -> Result<TxtImport, ImportError> {
    parse(bytes, Path::new(source), source.to_owned())
}

/// Read and import each file; one result per path, in order. A file that
/// cannot be read or stored adds nothing and does not stop the others.
pub fn import_txt_files(
    store: &mut Store,
    paths: &[PathBuf],
    actor: Option<AnnotatorId>,
) -> Vec<Result<Imported, ImportError>> {
    paths
        .iter()
        .map(|path| {
            let import = read_txt(path)?;
            store
                .import_document(&import.doc, actor)
                .map_err(|source| ImportError::Store {
                    path: path.clone(),
                    source,
                })
        })
        .collect()
}

/// The sample articles shipped in `assets/samples/` (see the README there
/// for sources and licences): `(file name, contents)`.
pub fn bundled_samples() -> [(&'static str, &'static str); 2] {
    [
        (
            "idlib-ceasefire-ar.txt",
            include_str!("../../assets/samples/idlib-ceasefire-ar.txt"),
        ),
        (
            "ud-arabic-pud-news.txt",
            include_str!("../../assets/samples/ud-arabic-pud-news.txt"),
        ),
    ]
}

/// Import the bundled samples into `store` (a new project gets them).
pub fn import_bundled_samples(store: &mut Store) -> Result<Vec<Imported>, ImportError> {
    bundled_samples()
        .into_iter()
        .map(|(name, contents)| {
            let path = PathBuf::from(format!("assets/samples/{name}"));
            let import = parse_txt(contents.as_bytes(), &path.display().to_string())?;
            store
                .import_document(&import.doc, None)
                .map_err(|source| ImportError::Store { path, source })
        })
        .collect()
}

fn parse(bytes: &[u8], path: &Path, source: String) -> Result<TxtImport, ImportError> {
    let (body, had_bom) = super::strip_bom(bytes);
    let decoded = std::str::from_utf8(body).map_err(|e| {
        let byte = e.valid_up_to() + if had_bom { BOM.len() } else { 0 };
        ImportError::InvalidUtf8 {
            path: path.to_path_buf(),
            byte,
            line: line_of(bytes, byte),
        }
    })?;
    if let Some(at) = body.iter().position(|&b| b == 0) {
        let byte = at + if had_bom { BOM.len() } else { 0 };
        return Err(ImportError::NulByte {
            path: path.to_path_buf(),
            byte,
            line: line_of(bytes, byte),
        });
    }
    let (text, crlf, lone_cr) = normalize_newlines(decoded);

    let (header_title, body_text) = match split_header(&text) {
        Some((title, rest)) => (Some(title), rest),
        None => (None, text.as_str()),
    };
    let body_text = body_text.trim_end_matches('\n');
    if body_text.trim().is_empty() {
        return Err(ImportError::Empty {
            path: path.to_path_buf(),
        });
    }
    let (title, title_from) = match header_title {
        Some(title) => (title, "header"),
        None => {
            let first = body_text
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or_default();
            (shorten_title(first), "first_line")
        }
    };
    let file_name = super::file_name(path);
    let report = TxtReport {
        had_bom,
        crlf,
        lone_cr,
    };
    let meta = json!({
        "file_name": file_name,
        "file_sha256": sha256_hex(bytes),
        "had_bom": had_bom,
        "crlf": crlf,
        "lone_cr": lone_cr,
        "title_from": title_from,
    });
    Ok(TxtImport {
        doc: NewDocument {
            title,
            text: body_text.to_owned(),
            source,
            meta,
        },
        report,
    })
}

/// Line (from 1) of byte `at`, counting LF, CRLF and lone CR as line ends.
fn line_of(bytes: &[u8], at: usize) -> usize {
    let before = &bytes[..at.min(bytes.len())];
    let mut line = 1;
    for (i, &b) in before.iter().enumerate() {
        let lone_cr = b == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        if b == b'\n' || lone_cr {
            line += 1;
        }
    }
    line
}

/// CRLF and lone CR to LF; returns the text and how many of each were
/// replaced. The byte-order mark was already removed from the bytes; this is
/// [`crate::text::normalize_newlines`], the one place line ends are changed.
fn normalize_newlines(text: &str) -> (String, usize, usize) {
    let n = crate::text::normalize_newlines(text);
    (n.text, n.crlf, n.lone_cr)
}

/// If the first line is a `title:`/`العنوان:` header with a value, its title and
/// the text after it and after the empty lines that follow it.
fn split_header(text: &str) -> Option<(String, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let value = header_value(first)?;
    Some((shorten_title(value.trim()), rest.trim_start_matches('\n')))
}

fn header_value(line: &str) -> Option<&str> {
    let after_key = if line
        .get(..5)
        .is_some_and(|key| key.eq_ignore_ascii_case("title"))
    {
        &line[5..]
    } else {
        line.strip_prefix("العنوان")?
    };
    let value = after_key
        .trim_start_matches([' ', '\t'])
        .strip_prefix(':')?;
    (!value.trim().is_empty()).then_some(value)
}

/// `line` if it fits in [`MAX_TITLE_CHARS`], else cut at the last word boundary
/// that leaves room for `…` (or mid-word if the first word alone is too long).
pub(crate) fn shorten_title(line: &str) -> String {
    if line.chars().count() <= MAX_TITLE_CHARS {
        return line.to_owned();
    }
    let keep = MAX_TITLE_CHARS - 1;
    let cut_byte = line.char_indices().nth(keep).map_or(line.len(), |(i, _)| i);
    let head = &line[..cut_byte];
    let next_is_space = line[cut_byte..].starts_with(char::is_whitespace);
    let head = if next_is_space {
        head
    } else {
        match head.rfind(char::is_whitespace) {
            Some(space) if !head[..space].trim().is_empty() => &head[..space],
            _ => head,
        }
    };
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_are_normalised_and_counted() {
        assert_eq!(
            normalize_newlines("إدلب\r\nحماة\rحلب\n\r\n"),
            ("إدلب\nحماة\nحلب\n\n".to_owned(), 2, 1)
        );
        assert_eq!(normalize_newlines("إدلب"), ("إدلب".to_owned(), 0, 0));
        assert_eq!(normalize_newlines("\r"), ("\n".to_owned(), 0, 1));
    }

    #[test]
    fn line_numbers_count_every_kind_of_line_end() {
        let bytes = b"a\r\nb\rc\nd";
        assert_eq!(line_of(bytes, 0), 1);
        assert_eq!(line_of(bytes, 3), 2); // b, after CRLF
        assert_eq!(line_of(bytes, 5), 3); // c, after lone CR
        assert_eq!(line_of(bytes, 7), 4); // d
    }

    #[test]
    fn headers_in_either_language_give_the_title() {
        assert_eq!(header_value("العنوان: قصف إدلب"), Some(" قصف إدلب"));
        assert_eq!(header_value("Title : Idlib"), Some(" Idlib"));
        assert_eq!(header_value("TITLE:x"), Some("x"));
        // Not headers: no colon, blank value, a word that merely starts alike.
        assert_eq!(header_value("العنوان قصف إدلب"), None);
        assert_eq!(header_value("title:   "), None);
        assert_eq!(header_value("titles: a"), None);
        assert_eq!(header_value("عنوان: a"), None);
    }

    #[test]
    fn long_titles_are_cut_at_a_word_boundary() {
        let word = "إدلب ";
        let line = word.repeat(30); // 150 characters
        let title = shorten_title(line.trim_end());
        assert!(title.ends_with("إدلب…"), "{title}");
        assert!(title.chars().count() <= MAX_TITLE_CHARS);
        // 16 words with the spaces between them fill 79 characters; "…" makes 80.
        assert_eq!(title, format!("{}…", word.repeat(16).trim_end()));

        let one_word = "ب".repeat(100);
        let cut = shorten_title(&one_word);
        assert_eq!(cut.chars().count(), MAX_TITLE_CHARS);
        assert_eq!(shorten_title("وقف إطلاق النار"), "وقف إطلاق النار");
    }
}
