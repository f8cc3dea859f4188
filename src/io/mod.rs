//! Reading article files and annotated corpora into documents and spans.
//!
//! Readers turn files into [`ImportRecord`]s (a document and its spans) and
//! located [`Problem`]s (`file:line: reason`): [`txt`] for plain articles,
//! [`jsonl`] for JSON lines with spans, [`conll`] for CoNLL/BIO/IOB2 token
//! files, [`labelstudio`] for Label Studio's JSON export, [`doccano`] for
//! doccano's JSONL export. [`labelmap`] maps
//! foreign labels onto the project's, and
//! [`import_paths`] runs a whole import: read, map, check, then write it in one
//! transaction through [`crate::store::Store::import_records`]. This module must
//! not guess encodings or "clean" texts whose offsets are given (only the CoNLL
//! reader builds its text, from tokens), and knows nothing about egui.
//!
//! Each format is specified in its submodule's documentation. Offsets are
//! always Unicode code points (Python `str` indices), start inclusive, end
//! exclusive. A file's format is the one `--format` names, else its
//! extension's, checked against the file's first 256 KiB (`detect`): a `.txt`
//! of CoNLL token/tag lines, a `.jsonl` holding one JSON array, or a `.json`
//! of JSON lines is refused with the `--format` to use, never imported wrongly.

pub mod brat;
pub mod conll;
mod detect;
pub mod doccano;
pub mod jsonl;
pub mod labelmap;
pub mod labelstudio;
mod pipeline;
pub mod txt;

/// The UTF-8 byte-order mark, tolerated at the start of every input file.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading byte-order mark, and whether there was one.
pub(crate) fn strip_bom(bytes: &[u8]) -> (&[u8], bool) {
    match bytes.strip_prefix(BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    }
}

/// The last component of the path `file` (empty if it has none): how a
/// document's source file is named in the project.
pub(crate) fn file_name(file: impl AsRef<std::path::Path>) -> String {
    file.as_ref()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub use crate::store::import::{ImportRecord, ImportReport, ImportSpan, Problem, Provenance};
pub use labelmap::{LabelMap, LabelMapError};
pub use pipeline::{
    Format, ImportFailed, ImportOptions, Inputs, Stage, import_paths, project_schema, read_inputs,
};
pub use txt::{
    ImportError, MAX_TITLE_CHARS, TxtImport, TxtReport, bundled_samples, import_bundled_samples,
    import_txt_files, parse_txt, read_txt,
};
