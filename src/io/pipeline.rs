//! A whole import: find the files, read each with its format's reader, map
//! and check the labels, check every span, and hand the records to the store
//! in batches as they are read (see [`import_paths`]): an import is all or
//! nothing for the user, in short transactions. Shared by the command line
//! and the app.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::labelmap::{LabelMap, Mapped};
use super::{brat, conll, doccano, jsonl, labelstudio, txt};
use crate::model::AnnotatorId;
use crate::schema::Schema;
use crate::store::Store;
use crate::store::import::{
    BatchError, ImportOrigin, ImportRecord, ImportReport, PreparedDoc, Problem, check_record,
};

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
    /// Label Studio's JSON export (named with `--format label-studio`),
    /// see [`super::labelstudio`].
    LabelStudio,
    /// doccano's JSONL export, UTF-16 offsets (named with `--format
    /// doccano`), see [`super::doccano`].
    Doccano,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Txt,
        Format::Jsonl,
        Format::Conll,
        Format::Brat,
        Format::LabelStudio,
        Format::Doccano,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Jsonl => "jsonl",
            Format::Conll => "conll",
            Format::Brat => "brat",
            Format::LabelStudio => "label-studio",
            Format::Doccano => "doccano",
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
    /// Layer for imported spans; `None`: each file's name. With
    /// `layers_from_file`, the layer of the spans that name none.
    pub layer: Option<String>,
    /// Put each span of tawsim's own JSONL export back into the layer it
    /// names, made by the annotator it names, with its uid and times (see
    /// [`super::jsonl`]): an annotator's spans into that annotator's layer
    /// (the annotator is added if missing), gold spans into the gold layer.
    /// Spans that name no layer go into `layer` as without it, and the
    /// report says how many ([`ImportReport::spans_without_layer`]).
    pub layers_from_file: bool,
    pub map: Option<LabelMap>,
    /// Keep labels that are neither in the schema nor mapped.
    pub keep_unknown: bool,
    /// Import the good records and report the bad ones, instead of nothing.
    pub skip_bad: bool,
    /// CoNLL sentences per document (at least 1).
    pub sentences_per_doc: usize,
    /// Who runs the import (named to anyone who finds the project busy).
    pub origin: ImportOrigin,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            layer: None,
            layers_from_file: false,
            map: None,
            keep_unknown: false,
            skip_bad: false,
            sentences_per_doc: 1,
            origin: ImportOrigin::Library,
        }
    }
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Bytes of the input files read so far (records are written, hidden,
    /// as they are read), and records read.
    Importing {
        done: u64,
        total: u64,
        records: usize,
    },
    /// The import failed or was cancelled: what it wrote is being removed.
    Undoing,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailed {
    #[error(
        "cannot tell the format of this file from its extension (.txt, .jsonl, .conll, .bio, .iob, .iob2); name it with --format txt|jsonl|conll: {}",
        path.display()
    )]
    UnknownFormat { path: PathBuf },
    /// The start of a file is not the format its extension names (the
    /// rules are in `io/detect.rs`).
    #[error(
        "the file's name says {expected}, but {found} (line {line}: {sample:?}); {advice}; nothing was imported: {}",
        path.display()
    )]
    ContentsNotFormat {
        path: PathBuf,
        expected: &'static str,
        found: &'static str,
        line: usize,
        sample: String,
        advice: &'static str,
    },
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
    /// The thread reading the files stopped unexpectedly (a bug).
    #[error("reading the files stopped unexpectedly; nothing was imported; please report this")]
    ReaderStopped,
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
                    // Not named with --format: check the contents fit the name.
                    let f = match format {
                        Some(_) => f,
                        None => super::detect::format_of(&file)?,
                    };
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
            let f = match format {
                Some(f) => f,
                None => super::detect::format_of(path)?,
            };
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

/// A record or problem as read, before any check.
type Item = Result<ImportRecord, Problem>;

/// Read every file in `files`, handing each record or problem to `sink` with
/// the bytes of all files read so far; `sink` returns `false` to stop.
/// JSONL files are read line by line (constant memory); a file of another
/// format is read whole, one file at a time.
fn read_files(
    files: &[(PathBuf, Format)],
    options: &ImportOptions,
    report: &mut ImportReport,
    sink: &mut dyn FnMut(Item, u64) -> bool,
) -> bool {
    let mut before: u64 = 0;
    for (path, format) in files {
        let size = file_size(path, *format);
        let file = path.display().to_string();
        let layer = options.layer.clone().unwrap_or_else(|| {
            path.file_name()
                .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned())
        });
        let unreadable = |e: std::io::Error| Problem {
            file: file.clone(),
            line: None,
            reason: format!("cannot read the file ({e}); check that you may read it"),
        };
        if *format == Format::Jsonl {
            let opened = std::fs::File::open(path).map(std::io::BufReader::new);
            let reader = match opened {
                Ok(reader) => reader,
                Err(e) => {
                    report.records += 1;
                    if !sink(Err(unreadable(e)), before) {
                        return false;
                    }
                    continue;
                }
            };
            let mut go_on = true;
            let mut records = 0;
            let read = jsonl::read_jsonl(
                reader,
                &file,
                &layer,
                options.layers_from_file,
                &mut |item, consumed| {
                    records += 1;
                    go_on = sink(item, before + consumed as u64);
                    go_on
                },
            );
            report.records += records;
            match read {
                Ok(had_bom) => report.boms_removed += usize::from(had_bom),
                Err(e) => {
                    report.records += 1;
                    go_on = sink(Err(unreadable(e)), before);
                }
            }
            if !go_on {
                return false;
            }
            before += size;
            continue;
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                report.records += 1;
                if !sink(Err(unreadable(e)), before) {
                    return false;
                }
                continue;
            }
        };
        before += size;
        let mut items: Vec<Item> = Vec::new();
        match format {
            Format::Txt => {
                report.records += 1;
                items.push(match txt::parse_txt(&bytes, &file) {
                    Ok(import) => {
                        report.boms_removed += usize::from(import.report.had_bom);
                        Ok(ImportRecord {
                            doc: import.doc,
                            spans: Vec::new(),
                            layer,
                            file,
                            line: 1,
                        })
                    }
                    Err(e) => Err(txt_problem(e, file)),
                });
            }
            Format::Jsonl => {}
            Format::Brat => {
                let text_path = path.with_extension("txt");
                report.records += 1;
                match std::fs::read(&text_path) {
                    Ok(text) => {
                        let read = brat::parse_brat(&text, &bytes, &file, &layer);
                        report.boms_removed += usize::from(read.had_bom);
                        if read.problems.is_empty() {
                            items.extend(read.record.map(Ok));
                        }
                        items.extend(read.problems.into_iter().map(Err));
                    }
                    Err(e) => items.push(Err(Problem {
                        file,
                        line: None,
                        reason: format!(
                            "cannot read its text {} ({e}); a brat .ann needs its .txt beside it",
                            text_path.display()
                        ),
                    })),
                }
            }
            Format::Doccano => {
                let read = doccano::parse_doccano(&bytes, &file, &layer);
                report.records += read.records.len() + read.problems.len();
                report.boms_removed += usize::from(read.had_bom);
                items.extend(read.records.into_iter().map(Ok));
                items.extend(read.problems.into_iter().map(Err));
            }
            Format::LabelStudio => {
                let read = labelstudio::parse_label_studio(&bytes, &file, &layer);
                report.records += read.tasks.max(read.records.len() + read.problems.len());
                report.boms_removed += usize::from(read.had_bom);
                items.extend(read.records.into_iter().map(Ok));
                items.extend(read.problems.into_iter().map(Err));
            }
            Format::Conll => {
                let read = conll::parse_conll(&bytes, &file, &layer, options.sentences_per_doc);
                report.records += read.records.len() + read.problems.len();
                report.boms_removed += usize::from(read.had_bom);
                report.sentences += read.sentences;
                report.tokens += read.tokens;
                report.orphan_inside += read.orphan_inside;
                report.marks_removed += read.marks_removed;
                items.extend(read.records.into_iter().map(Ok));
                items.extend(read.problems.into_iter().map(Err));
            }
        }
        drop(bytes);
        for item in items {
            if !sink(item, before) {
                return false;
            }
        }
    }
    true
}

/// Size of what reading `path` reads (a brat `.ann` and its `.txt`), 0 when
/// it cannot be told.
fn file_size(path: &Path, format: Format) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    match format {
        Format::Brat => size(path) + size(&path.with_extension("txt")),
        _ => size(path),
    }
}

/// Checks every record as it is read: spans in range, the label map, labels
/// against the schema. Keeps the problems and unknown labels for the end.
struct Checker<'a> {
    options: &'a ImportOptions,
    schema: &'a Schema,
    problems: Vec<Problem>,
    unknown: BTreeMap<String, usize>,
}

impl<'a> Checker<'a> {
    fn new(options: &'a ImportOptions, schema: &'a Schema) -> Self {
        Checker {
            options,
            schema,
            problems: Vec::new(),
            unknown: BTreeMap::new(),
        }
    }

    /// The record to write, or `None` when it was bad (kept as a problem).
    fn check(&mut self, item: Item, report: &mut ImportReport) -> Option<ImportRecord> {
        let mut record = match item {
            Ok(record) => record,
            Err(problem) => {
                self.problems.push(problem);
                return None;
            }
        };
        report.spans_read += record.spans.len();
        if self.options.layers_from_file {
            let without = record
                .spans
                .iter()
                .filter(|s| s.provenance.is_none())
                .count();
            if without > 0 {
                *report
                    .spans_without_layer
                    .entry(record.layer.clone())
                    .or_default() += without;
            }
        }
        if let Err(problem) = check_record(&record) {
            report.spans_refused += record.spans.len();
            self.problems.push(problem);
            return None;
        }
        if let Some(map) = &self.options.map {
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
            if self.schema.label(&span.label).is_none() {
                *self.unknown.entry(span.label.clone()).or_default() += 1;
            }
        }
        Some(record)
    }

    /// Whether what was read so far already refuses the whole import.
    fn refuses(&self) -> bool {
        (!self.problems.is_empty() && !self.options.skip_bad)
            || (!self.unknown.is_empty() && !self.options.keep_unknown)
    }

    /// The end of reading: the error that refuses the import, or the
    /// problems and kept labels to report.
    fn finish(self, report: &mut ImportReport) -> Result<(), ImportFailed> {
        if !self.problems.is_empty() && !self.options.skip_bad {
            return Err(BatchError::Refused {
                problems: self.problems,
            }
            .into());
        }
        if !self.unknown.is_empty() {
            if !self.options.keep_unknown {
                let mut labels: Vec<(String, usize)> = self.unknown.into_iter().collect();
                labels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                return Err(ImportFailed::UnknownLabels {
                    schema: self.schema.name.clone(),
                    labels,
                });
            }
            report.unknown_kept = self.unknown;
        }
        report.refused = self.problems;
        Ok(())
    }
}

/// Read every file, apply the label map, check labels and spans, all in
/// memory (benchmarks and checks; imports stream through [`import_paths`]).
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
    let total = files.iter().map(|(p, f)| file_size(p, *f)).sum();
    let mut report = ImportReport {
        files: files.len(),
        ..ImportReport::default()
    };
    let mut checker = Checker::new(options, schema);
    let mut records = Vec::new();
    let mut counts = ImportReport::default();
    let complete = read_files(&files, options, &mut report, &mut |item, done| {
        if let Some(record) = checker.check(item, &mut counts) {
            records.push(record);
        }
        progress(Stage::Importing {
            done,
            total,
            records: records.len(),
        })
    });
    if !complete {
        return Err(BatchError::Cancelled.into());
    }
    add_check_counts(&mut report, counts);
    let problems = checker.problems.clone();
    checker.finish(&mut report)?;
    Ok(Inputs {
        records,
        problems,
        report,
    })
}

/// The counts a [`Checker`] keeps, added to the readers' report.
fn add_check_counts(report: &mut ImportReport, counts: ImportReport) {
    report.spans_read += counts.spans_read;
    report.spans_refused += counts.spans_refused;
    for (label, n) in counts.dropped_by_map {
        *report.dropped_by_map.entry(label).or_default() += n;
    }
    for (layer, n) in counts.spans_without_layer {
        *report.spans_without_layer.entry(layer).or_default() += n;
    }
}

/// Records written per [`Store::import_batch`] call, at most.
const BATCH_RECORDS: usize = 2048;
/// Bytes of text gathered per batch, at most (memory stays flat).
const BATCH_BYTES: usize = 4 << 20;
/// Records read between two progress reports while nothing is written.
const PROGRESS_EVERY: usize = 1_000;

/// What the reading thread of [`import_paths`] hands the writing one.
enum Read {
    /// Checked records to write, with the bytes and records read so far.
    Batch {
        records: Vec<ImportRecord>,
        /// `prepared[i]` for `records[i]`, made on the reading thread.
        prepared: Vec<PreparedDoc>,
        done: u64,
        read: usize,
    },
    /// Reading goes on without writing (an import already refused).
    Progress { done: u64, read: usize },
}

/// Import `paths` into `store` by `actor`, all or nothing (see
/// [`ImportOptions::skip_bad`]).
///
/// Streaming: one thread reads, parses and checks the files, and hands
/// batches of records (at most [`BATCH_RECORDS`] records or [`BATCH_BYTES`]
/// of text, at most two batches ahead) to this thread, which writes them in
/// short transactions that stay hidden (see `store::import`) until the last
/// one commits; memory stays flat whatever the size of the files. A bad
/// record or an unknown label that refuses the import stops the writing;
/// reading goes on to list every problem, then what was written is removed.
/// `progress` (called on this thread) may return `false` to cancel; what
/// was written is then removed too, and nothing is ever visible.
pub fn import_paths(
    store: &mut Store,
    paths: &[PathBuf],
    options: &ImportOptions,
    actor: AnnotatorId,
    progress: &mut dyn FnMut(Stage) -> bool,
) -> Result<ImportReport, ImportFailed> {
    let schema = project_schema(store)?;
    let files = expand(paths, options.format)?;
    let total: u64 = files.iter().map(|(p, f)| file_size(p, *f)).sum();
    let source = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut run = store.begin_import(actor, options.origin, &source)?;
    let schema = &schema;
    let files = &files;
    let (outcome, run) = std::thread::scope(|scope| {
        let (send, batches) = std::sync::mpsc::sync_channel::<Read>(2);
        let reader = scope.spawn(move || {
            let mut report = ImportReport {
                files: files.len(),
                ..ImportReport::default()
            };
            let mut checker = Checker::new(options, schema);
            let mut counts = ImportReport::default();
            let mut batch: Vec<ImportRecord> = Vec::new();
            let mut prepared: Vec<PreparedDoc> = Vec::new();
            let mut batch_bytes = 0;
            let mut read = 0;
            let mut reported = 0;
            let mut last = 0;
            let complete = read_files(files, options, &mut report, &mut |item, done| {
                read += 1;
                last = done;
                if let Some(record) = checker.check(item, &mut counts)
                    && !checker.refuses()
                {
                    batch_bytes += record.doc.text.len();
                    prepared.push(PreparedDoc::of(&record));
                    batch.push(record);
                }
                let message = if checker.refuses() {
                    // Nothing more is written; reading goes on to list every problem.
                    batch.clear();
                    prepared.clear();
                    (read - reported >= PROGRESS_EVERY).then_some(Read::Progress { done, read })
                } else if batch.len() >= BATCH_RECORDS || batch_bytes >= BATCH_BYTES {
                    batch_bytes = 0;
                    Some(Read::Batch {
                        records: std::mem::take(&mut batch),
                        prepared: std::mem::take(&mut prepared),
                        done,
                        read,
                    })
                } else {
                    None
                };
                match message {
                    Some(message) => {
                        reported = read;
                        // The writer stopped (cancelled, failed): stop reading.
                        send.send(message).is_ok()
                    }
                    None => true,
                }
            });
            let complete = complete
                && (checker.refuses()
                    || batch.is_empty()
                    || send
                        .send(Read::Batch {
                            records: batch,
                            prepared,
                            done: last,
                            read,
                        })
                        .is_ok());
            add_check_counts(&mut report, counts);
            (complete, report, checker)
        });
        let mut failure: Option<ImportFailed> = None;
        for message in batches.iter() {
            let (done, read, written) = match message {
                Read::Batch {
                    records,
                    prepared,
                    done,
                    read,
                } => {
                    let written =
                        store.import_prepared_batch(&mut run, &records, &prepared, &mut |_| {
                            progress(Stage::Importing {
                                done,
                                total,
                                records: read,
                            })
                        });
                    (done, read, written)
                }
                Read::Progress { done, read } => (done, read, Ok(())),
            };
            if let Err(error) = written {
                failure = Some(error.into());
                break;
            }
            if !progress(Stage::Importing {
                done,
                total,
                records: read,
            }) {
                failure = Some(BatchError::Cancelled.into());
                break;
            }
        }
        // Stops the reader at its next batch, if it is still reading.
        drop(batches);
        let outcome = match reader.join() {
            Err(_) => Err(ImportFailed::ReaderStopped),
            Ok((complete, mut report, checker)) => match failure {
                Some(error) => Err(error),
                None if !complete => Err(BatchError::Cancelled.into()),
                None => checker.finish(&mut report).map(|()| report),
            },
        };
        (outcome, run)
    });
    match outcome {
        Ok(report) => Ok(store.finish_import(run, report)?),
        Err(error) => {
            progress(Stage::Undoing);
            // If removing fails, the rows stay hidden and the next open removes them.
            let _ = store.abandon_import(run);
            Err(error)
        }
    }
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
