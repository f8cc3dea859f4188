//! A whole import: find the files, read each with its format's reader, map
//! and check the labels, check every span, then hand the records to the store
//! for one transaction. Shared by the command line and the app.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::labelmap::{LabelMap, Mapped};
use super::{brat, conll, jsonl, txt};
use crate::model::AnnotatorId;
use crate::schema::Schema;
use crate::store::Store;
use crate::store::import::{BatchError, ImportRecord, ImportReport, Problem, check_record};

/// A file format the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Plain-text articles, see [`super::txt`].
    Txt,
    /// JSON lines with spans, see [`super::jsonl`].
    Jsonl,
    /// CoNLL / BIO / IOB2 token files, see [`super::conll`].
    Conll,
    /// brat standoff (`.ann` with its `.txt`), see [`super::brat`].
    Brat,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Txt, Format::Jsonl, Format::Conll, Format::Brat];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Jsonl => "jsonl",
            Format::Conll => "conll",
            Format::Brat => "brat",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The format a file's extension names: `.txt`; `.jsonl`;
    /// `.conll`, `.bio`, `.iob`, `.iob2` (any ASCII case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "txt" => Some(Format::Txt),
            "jsonl" => Some(Format::Jsonl),
            "conll" | "bio" | "iob" | "iob2" => Some(Format::Conll),
            "ann" => Some(Format::Brat),
            _ => None,
        }
    }
}

/// How to import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// `None`: by each file's extension.
    pub format: Option<Format>,
    /// Layer for imported spans; `None`: each file's name.
    pub layer: Option<String>,
    pub map: Option<LabelMap>,
    /// Keep labels that are neither in the schema nor mapped.
    pub keep_unknown: bool,
    /// Import the good records and report the bad ones, instead of nothing.
    pub skip_bad: bool,
    /// CoNLL sentences per document (at least 1).
    pub sentences_per_doc: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            layer: None,
            map: None,
            keep_unknown: false,
            skip_bad: false,
            sentences_per_doc: 1,
        }
    }
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Files read so far.
    Reading { done: usize, total: usize },
    /// Records written so far (inside the transaction).
    Writing { done: usize, total: usize },
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailed {
    #[error(
        "cannot tell the format of this file from its extension (.txt, .jsonl, .conll, .bio, .iob, .iob2); name it with --format txt|jsonl|conll: {}",
        path.display()
    )]
    UnknownFormat { path: PathBuf },
    #[error("there is no such file or folder; check the path: {}", path.display())]
    Missing { path: PathBuf },
    #[error(
        "the folder holds no {} files; choose another folder or --format: {}",
        format.map_or("importable", Format::as_str),
        path.display()
    )]
    NoFiles {
        path: PathBuf,
        format: Option<Format>,
    },
    #[error("cannot list the folder ({source}); check that you may read it: {}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "labels neither in the schema {schema:?} nor in the label map: {}; map them (--map FILE.ron) or keep them as they are (--keep-unknown); nothing was imported",
        labels.iter().map(|(l, n)| format!("{l} ({n})")).collect::<Vec<_>>().join(", ")
    )]
    UnknownLabels {
        schema: String,
        /// Label and number of spans, most frequent first.
        labels: Vec<(String, usize)>,
    },
    #[error(transparent)]
    Batch(#[from] BatchError),
}

/// The records of an import, read, mapped and checked.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Good records.
    pub records: Vec<ImportRecord>,
    /// Bad records (left out), one problem each.
    pub problems: Vec<Problem>,
    /// Reader counts; the store fills in the rest.
    pub report: ImportReport,
}

/// The label schema imported labels are checked against: the project's
/// current one (see [`Store::current_schema`]).
pub fn project_schema(store: &Store) -> Result<Schema, ImportFailed> {
    store
        .current_schema()
        .map_err(|e| ImportFailed::Batch(BatchError::Store(e)))
}

/// Files to read: each path that is a file with its format, and every file
/// under each folder (recursively, sorted) whose extension names a format
/// (only `format` when one is given).
fn expand(
    paths: &[PathBuf],
    format: Option<Format>,
) -> Result<Vec<(PathBuf, Format)>, ImportFailed> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            let before = out.len();
            for file in found {
                // The .txt of a brat pair is read with its .ann, not alone.
                let brat_text = file.extension().is_some_and(|e| e == "txt")
                    && file.with_extension("ann").is_file();
                if brat_text && format != Some(Format::Txt) {
                    continue;
                }
                if let Some(f) = Format::from_path(&file)
                    && format.is_none_or(|want| want == f)
                {
                    out.push((file, f));
                }
            }
            if out.len() == before {
                return Err(ImportFailed::NoFiles {
                    path: path.clone(),
                    format,
                });
            }
        } else if path.exists() {
            let f = format
                .or_else(|| Format::from_path(path))
                .ok_or_else(|| ImportFailed::UnknownFormat { path: path.clone() })?;
            out.push((path.clone(), f));
        } else {
            return Err(ImportFailed::Missing { path: path.clone() });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportFailed> {
    let folder_err = |source| ImportFailed::Folder {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(folder_err)? {
        let path = entry.map_err(folder_err)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Read every file, apply the label map, check labels and spans.
///
/// Fails on unknown labels (unless `keep_unknown`) and on bad records (unless
/// `skip_bad`, which leaves them in [`Inputs::problems`]).
pub fn read_inputs(
    paths: &[PathBuf],
    options: &ImportOptions,
    schema: &Schema,
    progress: &mut dyn FnMut(Stage) -> bool,
) -> Result<Inputs, ImportFailed> {
    let files = expand(paths, options.format)?;
    let mut inputs = Inputs::default();
    let report = &mut inputs.report;
    report.files = files.len();
    for (done, (path, format)) in files.iter().enumerate() {
        if !progress(Stage::Reading {
            done,
            total: files.len(),
        }) {
            return Err(BatchError::Cancelled.into());
        }
        let file = path.display().to_string();
        let layer = options.layer.clone().unwrap_or_else(|| {
            path.file_name()
                .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned())
        });
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                report.records += 1;
                inputs.problems.push(Problem {
                    file,
                    line: None,
                    reason: format!("cannot read the file ({e}); check that you may read it"),
                });
                continue;
            }
        };
        match format {
            Format::Txt => {
                report.records += 1;
                match txt::parse_txt(&bytes, &file) {
                    Ok(import) => {
                        report.boms_removed += usize::from(import.report.had_bom);
                        inputs.records.push(ImportRecord {
                            doc: import.doc,
                            spans: Vec::new(),
                            layer,
                            file,
                            line: 1,
                        });
                    }
                    Err(e) => inputs.problems.push(txt_problem(e, file)),
                }
            }
            Format::Jsonl => {
                let read = jsonl::parse_jsonl(&bytes, &file, &layer);
                report.records += read.records.len() + read.problems.len();
                report.boms_removed += usize::from(read.had_bom);
                inputs.records.extend(read.records);
                inputs.problems.extend(read.problems);
            }
            Format::Brat => {
                let text_path = path.with_extension("txt");
                let text = match std::fs::read(&text_path) {
                    Ok(text) => text,
                    Err(e) => {
                        report.records += 1;
                        inputs.problems.push(Problem {
                            file,
                            line: None,
                            reason: format!(
                                "cannot read its text {} ({e}); a brat .ann needs its .txt beside it",
                                text_path.display()
                            ),
                        });
                        continue;
                    }
                };
                let read = brat::parse_brat(&text, &bytes, &file, &layer);
                report.records += 1;
                report.boms_removed += usize::from(read.had_bom);
                inputs
                    .records
                    .extend(read.record.filter(|_| read.problems.is_empty()));
                inputs.problems.extend(read.problems);
            }
            Format::Conll => {
                let read = conll::parse_conll(&bytes, &file, &layer, options.sentences_per_doc);
                report.records += read.records.len() + read.problems.len();
                report.boms_removed += usize::from(read.had_bom);
                report.sentences += read.sentences;
                report.tokens += read.tokens;
                report.orphan_inside += read.orphan_inside;
                report.marks_removed += read.marks_removed;
                inputs.records.extend(read.records);
                inputs.problems.extend(read.problems);
            }
        }
    }
    // Every span as the file states it, then through the map.
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    let mut good = Vec::with_capacity(inputs.records.len());
    for mut record in std::mem::take(&mut inputs.records) {
        if let Err(problem) = check_record(&record) {
            report.spans_read += record.spans.len();
            report.spans_refused += record.spans.len();
            inputs.problems.push(problem);
            continue;
        }
        report.spans_read += record.spans.len();
        if let Some(map) = &options.map {
            record
                .spans
                .retain_mut(|span| match map.apply(&span.label) {
                    Mapped::Drop => {
                        *report.dropped_by_map.entry(span.label.clone()).or_default() += 1;
                        false
                    }
                    Mapped::Label(label) => {
                        if label != span.label {
                            span.label = label.to_owned();
                        }
                        true
                    }
                });
        }
        for span in &record.spans {
            if schema.label(&span.label).is_none() {
                *unknown.entry(span.label.clone()).or_default() += 1;
            }
        }
        good.push(record);
    }
    inputs.records = good;
    if !inputs.problems.is_empty() && !options.skip_bad {
        return Err(BatchError::Refused {
            problems: inputs.problems,
        }
        .into());
    }
    if !unknown.is_empty() {
        if !options.keep_unknown {
            let mut labels: Vec<(String, usize)> = unknown.into_iter().collect();
            labels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            return Err(ImportFailed::UnknownLabels {
                schema: schema.name.clone(),
                labels,
            });
        }
        report.unknown_kept = unknown;
    }
    report.refused = inputs.problems.clone();
    Ok(inputs)
}

/// Import `paths` into `store` by `actor`, all or nothing (see
/// [`ImportOptions::skip_bad`]). `progress` may return `false` to cancel;
/// nothing is then written.
pub fn import_paths(
    store: &mut Store,
    paths: &[PathBuf],
    options: &ImportOptions,
    actor: AnnotatorId,
    progress: &mut dyn FnMut(Stage) -> bool,
) -> Result<ImportReport, ImportFailed> {
    let schema = project_schema(store)?;
    let inputs = read_inputs(paths, options, &schema, progress)?;
    let report = store.import_records(
        &inputs.records,
        actor,
        options.skip_bad,
        inputs.report,
        &mut |done, total| progress(Stage::Writing { done, total }),
    )?;
    Ok(report)
}

fn txt_problem(error: txt::ImportError, file: String) -> Problem {
    use txt::ImportError as E;
    let (line, reason) = match error {
        E::Unreadable { source, .. } => (
            None,
            format!("cannot read the file ({source}); check that you may read it"),
        ),
        E::InvalidUtf8 { byte, line, .. } => (
            Some(line),
            format!("not valid UTF-8 at byte {byte}; save the file as UTF-8"),
        ),
        E::NulByte { byte, line, .. } => (
            Some(line),
            format!("a NUL byte at byte {byte} (is it UTF-16?); save the file as UTF-8 text"),
        ),
        E::Empty { .. } => (
            None,
            "the file holds no text (it is empty or only whitespace)".to_owned(),
        ),
        E::Store { source, .. } => (None, source.to_string()),
    };
    Problem { file, line, reason }
}
