//! Exports: the project's documents and spans written as jsonl, brat, conll,
//! hf, spacy or csv, exactly, with a manifest that says what was done.
//!
//! [`export`] streams documents one at a time from the store
//! ([`Store::export_documents`]), so memory stays flat whatever the project
//! size. Before a span is written its stored text is compared with the
//! document text at its offsets (and, for UTF-16 offsets, the offsets are
//! converted back and compared again); any difference stops the export with
//! [`ExportError::Mismatch`]. Everything is written into a hidden staging
//! folder beside `--out` and renamed into place only when the whole export
//! succeeded, so a failure (full disk, check failure, unwritable folder) leaves
//! no half-written output behind. This module must not change the project,
//! and knows nothing of egui.
//!
//! # Output layout
//!
//! | format | without `--split` | with `--split` |
//! |---|---|---|
//! | `jsonl` | the file `OUT`, manifest `OUT.manifest.json` | folder `OUT/` with `train.jsonl`, `dev.jsonl`, `test.jsonl`, `manifest.json` |
//! | `csv` | the file `OUT`, manifest `OUT.manifest.json` | folder with `train.csv`, `dev.csv`, `test.csv`, `manifest.json` |
//! | `conll` | the file `OUT`, manifest `OUT.manifest.json` | folder with `train.conll`, `dev.conll`, `test.conll`, `manifest.json` |
//! | `brat` | folder `OUT/` with `ID.txt`, `ID.ann`, `annotation.conf`, `manifest.json` | the same with `train/`, `dev/`, `test/` subfolders |
//! | `hf` | folder with `README.md` (dataset card), `data/train.jsonl`, `labels.json`, `manifest.json` | the same with `data/train.jsonl`, `data/validation.jsonl`, `data/test.jsonl` |
//! | `spacy` | folder with `data.spacy` (a `DocBin`), `manifest.json` | folder with `train.spacy`, `dev.spacy`, `test.spacy`, `manifest.json` |
//! | `doccano` | the file `OUT`, manifest `OUT.manifest.json` | folder with `train.jsonl`, `dev.jsonl`, `test.jsonl`, `manifest.json` |
//! | `label-studio` | folder with `tasks.json`, `config.xml`, `manifest.json` | folder with `train.json`, `dev.json`, `test.json`, `config.xml`, `manifest.json` |
//!
//! Formats are specified in their modules: [`jsonl`], [`brat`], [`conll`]
//! (with the tokenizer and the span-edge policy), [`hf`], [`spacy`] (the
//! `DocBin` format), [`csv`],
//! [`doccano`], [`labelstudio`].
//!
//! # Options
//!
//! - `--layer NAME`: the layer called NAME (an annotator's layer carries the
//!   annotator's name; an imported layer its import name); `gold`: the layer
//!   of kind gold (an error when review has not made one); `all` (default):
//!   every layer, each span saying its layer and annotator.
//! - `--only-done`: only documents marked `done` by the layer's annotator; for
//!   an imported or gold layer, or `all`, by any annotator.
//! - `--labels A,B`: only spans with these labels; the spans left out are
//!   counted in the manifest (`labels_filter`).
//! - `--offsets codepoint|utf16` (jsonl and csv): the unit of written offsets.
//!   doccano is always written in UTF-16 code units, what its editor counts.
//! - `--split 80,10,10 --seed N`: each document goes to train/dev/test by a
//!   hash of (seed, document id) against the percentages, so a document stays
//!   in its part when others are added; the manifest counts each part.
//! - `--since DATE`: only documents changed at or after `YYYY-MM-DD` or an
//!   RFC 3339 UTC time (`2025-01-16T09:30:00Z`).
//!
//! # Manifest
//!
//! `manifest.json` (example, shortened):
//!
//! ```json
//! {"tawsim_version": "0.1.0", "format": "conll", "schema": {"name": "news", "version": 1},
//!  "layer": "layla", "layers": ["layla"], "offsets": "codepoint",
//!  "filters": {"only_done": false, "labels": null, "since": null}, "split": null,
//!  "documents": 12, "spans": 85, "labels": {"PLACE": 40, "DATE": 45},
//!  "checked_spans": 85,
//!  "policies": {"token_split_at_span_edge": {"rule": "…", "count": 3, "examples": ["doc 1: …"]}},
//!  "files": ["export.conll"]}
//! ```
//!
//! `spans` and `labels` count what the files hold; every span of the chosen
//! layers that a file does not hold is counted under a policy.

pub mod brat;
pub mod conll;
pub mod csv;
pub mod doccano;
pub mod hf;
pub mod jsonl;
pub mod labelstudio;
pub mod spacy;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::DocId;
use crate::store::{DoneBy, ExportDocument, ExportQuery, ExportSpan, LayerKind, Store, StoreError};
use crate::text::OffsetIndex;

/// How many examples a policy keeps for the manifest.
const MAX_EXAMPLES: usize = 20;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Brat,
    Conll,
    Hf,
    Csv,
    /// spaCy `DocBin` files, see [`spacy`].
    Spacy,
    /// doccano's sequence-labelling JSONL, see [`doccano`].
    Doccano,
    /// A Label Studio folder (tasks and labelling config), see [`labelstudio`].
    LabelStudio,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Brat => "brat",
            Format::Conll => "conll",
            Format::Hf => "hf",
            Format::Csv => "csv",
            Format::Spacy => "spacy",
            Format::Doccano => "doccano",
            Format::LabelStudio => "label-studio",
        }
    }

    pub fn parse(s: &str) -> Result<Format, ExportError> {
        match s {
            "jsonl" => Ok(Format::Jsonl),
            "brat" => Ok(Format::Brat),
            "conll" => Ok(Format::Conll),
            "hf" => Ok(Format::Hf),
            "csv" => Ok(Format::Csv),
            "spacy" => Ok(Format::Spacy),
            "doccano" => Ok(Format::Doccano),
            "label-studio" => Ok(Format::LabelStudio),
            other => Err(ExportError::UnknownFormat {
                given: other.to_owned(),
            }),
        }
    }

    /// Whether the output is a folder (else one file plus a manifest beside it).
    fn is_folder(self, split: bool) -> bool {
        split
            || matches!(
                self,
                Format::Brat | Format::Hf | Format::LabelStudio | Format::Spacy
            )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The unit of written offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OffsetUnit {
    /// Unicode code points (Python `str` indices).
    #[default]
    Codepoint,
    /// UTF-16 code units (JavaScript string indices).
    Utf16,
}

impl OffsetUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            OffsetUnit::Codepoint => "codepoint",
            OffsetUnit::Utf16 => "utf16",
        }
    }
}

/// Train/dev/test percentages and the seed of the document hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub train: u32,
    pub dev: u32,
    pub test: u32,
    pub seed: u64,
}

impl Split {
    /// Parse `80,10,10`: three whole percentages adding up to 100.
    pub fn parse(s: &str, seed: u64) -> Result<Split, ExportError> {
        let bad = || ExportError::BadSplit {
            given: s.to_owned(),
        };
        let parts: Vec<u32> = s
            .split(',')
            .map(|p| p.trim().parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        match parts[..] {
            [train, dev, test] if train + dev + test == 100 => Ok(Split {
                train,
                dev,
                test,
                seed,
            }),
            _ => Err(bad()),
        }
    }

    /// The part document `doc` belongs to.
    pub fn part_of(&self, doc: DocId) -> Part {
        let h = splitmix64(self.seed ^ splitmix64(doc as u64)) % 100;
        if h < u64::from(self.train) {
            Part::Train
        } else if h < u64::from(self.train + self.dev) {
            Part::Dev
        } else {
            Part::Test
        }
    }
}

/// One part of a split export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Train,
    Dev,
    Test,
}

impl Part {
    const ALL: [Part; 3] = [Part::Train, Part::Dev, Part::Test];

    fn index(self) -> usize {
        match self {
            Part::Train => 0,
            Part::Dev => 1,
            Part::Test => 2,
        }
    }

    /// File stem of the part (`dev` is `validation` for Hugging Face).
    fn name(self, format: Format) -> &'static str {
        match (self, format) {
            (Part::Train, _) => "train",
            (Part::Dev, Format::Hf) => "validation",
            (Part::Dev, _) => "dev",
            (Part::Test, _) => "test",
        }
    }
}

/// splitmix64: a fixed, documented mix, so splits never change between builds.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Everything an export needs, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub format: Format,
    pub out: PathBuf,
    /// A layer name, `gold` or `all`.
    pub layer: String,
    pub only_done: bool,
    /// Only these labels; `None` exports every label.
    pub labels: Option<Vec<String>>,
    pub offsets: OffsetUnit,
    pub split: Option<Split>,
    /// `YYYY-MM-DD` or RFC 3339 UTC.
    pub since: Option<String>,
    /// Replace an existing output.
    pub force: bool,
}

impl ExportOptions {
    /// Options with defaults: every layer, every document and label, code points.
    pub fn new(format: Format, out: impl Into<PathBuf>) -> ExportOptions {
        ExportOptions {
            format,
            out: out.into(),
            layer: "all".to_owned(),
            only_done: false,
            labels: None,
            offsets: OffsetUnit::Codepoint,
            split: None,
            since: None,
            force: false,
        }
    }
}

/// `tawsim export`: write the project's spans in another tool's format.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// The project database.
    #[arg(long)]
    pub db: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Output file (jsonl, csv, conll, doccano) or folder (brat, hf, spacy,
    /// label-studio, or any format with --split).
    #[arg(long)]
    pub out: PathBuf,
    /// A layer name (an annotator or an imported layer), `gold`, or `all` with provenance.
    #[arg(long, default_value = "all")]
    pub layer: String,
    /// Only documents marked done (by the layer's annotator; by anyone for other layers).
    #[arg(long)]
    pub only_done: bool,
    /// Only these labels, separated by commas, e.g. PLACE,DATE.
    #[arg(long, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Unit of written offsets (jsonl and csv).
    #[arg(long, value_enum, default_value_t = OffsetUnit::Codepoint)]
    pub offsets: OffsetUnit,
    /// Train/dev/test percentages by document, e.g. 80,10,10.
    #[arg(long)]
    pub split: Option<String>,
    /// Seed of the split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Only documents changed at or after this date (YYYY-MM-DD) or time (RFC 3339 UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Replace the output if it exists.
    #[arg(long)]
    pub force: bool,
}

impl ExportArgs {
    /// The checked options of these arguments.
    pub fn options(&self) -> Result<ExportOptions, ExportError> {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        if !self.labels.is_empty() && labels.is_empty() {
            return Err(ExportError::NoLabels);
        }
        Ok(ExportOptions {
            format: self.format,
            out: self.out.clone(),
            layer: self.layer.clone(),
            only_done: self.only_done,
            labels: (!labels.is_empty()).then_some(labels),
            offsets: self.offsets,
            split: self
                .split
                .as_deref()
                .map(|s| Split::parse(s, self.seed))
                .transpose()?,
            since: self.since.clone(),
            force: self.force,
        })
    }
}

/// `tawsim export`: open the project named by `--db` (which must exist) and
/// export it as the arguments say.
pub fn run(args: &ExportArgs) -> Result<Manifest, ExportError> {
    let opts = args.options()?;
    if !args.db.is_file() {
        return Err(ExportError::NoProject {
            path: args.db.clone(),
        });
    }
    let store = Store::open(&args.db)?;
    export(&store, &opts)
}

/// Errors from an export. Nothing is left at the output path after any of them.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("there is no project database here; give the path of an existing project with --db: {}", path.display())]
    NoProject { path: PathBuf },
    #[error(
        "unknown export format {given:?}; choose one of jsonl, brat, conll, hf, spacy, csv, doccano, label-studio"
    )]
    UnknownFormat { given: String },
    #[error("there is no layer {name:?} in this project; choose one of: {known}")]
    UnknownLayer { name: String, known: String },
    #[error(
        "this project has no gold layer yet (review has not made one); export an annotator's layer, an imported layer or `all`"
    )]
    NoGoldLayer,
    #[error(
        "--offsets utf16 applies to jsonl and csv only; {format} has no character offsets to convert (brat counts code points), so leave --offsets out"
    )]
    OffsetsUnsupported { format: Format },
    #[error(
        "--split needs three whole percentages that add up to 100, like 80,10,10; found {given:?}"
    )]
    BadSplit { given: String },
    #[error(
        "--since needs a date like 2025-01-16 or a UTC time like 2025-01-16T09:30:00Z; found {given:?}"
    )]
    BadSince { given: String },
    #[error("--labels names no label; give labels separated by commas, like PLACE,DATE")]
    NoLabels,
    #[error("the output already exists; choose another path, or add --force to replace it: {}", path.display())]
    OutputExists { path: PathBuf },
    #[error(
        "could not {action}; check that the folder exists, that you may write to it and that the disk has free space (nothing was left at the output path): {}",
        path.display()
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "check failed in document {doc}: span {span} ({start}..{end}, {label}) holds {expected:?} but the document has {found:?} at those offsets ({unit}); nothing was written. The project may be damaged: restore it from a backup and report this"
    )]
    Mismatch {
        doc: DocId,
        span: crate::model::SpanId,
        start: usize,
        end: usize,
        label: String,
        expected: String,
        found: String,
        unit: &'static str,
    },
    #[error("could not read the project for the export")]
    Store(#[from] StoreError),
}

/// A decision an exporter made about some spans, with its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// What the exporter does, in one sentence.
    pub rule: &'static str,
    pub count: usize,
    /// Up to 20 examples: `doc ID: start..end LABEL «text» …`.
    pub examples: Vec<String>,
}

/// What an export wrote; saved as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub tawsim_version: &'static str,
    pub format: &'static str,
    /// The newest stored label schema, `{"name", "version"}`.
    pub schema: Option<SchemaRef>,
    /// `--layer` as given.
    pub layer: String,
    /// The layers exported.
    pub layers: Vec<String>,
    pub offsets: &'static str,
    pub filters: Filters,
    pub split: Option<SplitReport>,
    pub documents: usize,
    /// Spans the files hold.
    pub spans: usize,
    /// Spans the files hold, per label.
    pub labels: BTreeMap<String, usize>,
    /// Spans whose text was checked against the document text at their offsets.
    pub checked_spans: usize,
    pub policies: BTreeMap<&'static str, Policy>,
    /// Files written, relative to the output folder (or the output file's name).
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaRef {
    pub name: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filters {
    pub only_done: bool,
    pub labels: Option<Vec<String>>,
    pub since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitReport {
    /// Percentages train, dev, test.
    pub ratios: [u32; 3],
    pub seed: u64,
    /// Documents per part: train, dev, test.
    pub documents: [usize; 3],
}

/// Counts kept while writing; becomes the manifest.
#[derive(Debug, Default)]
pub struct Tally {
    spans: usize,
    labels: BTreeMap<String, usize>,
    checked: usize,
    policies: BTreeMap<&'static str, Policy>,
}

impl Tally {
    /// A span was written.
    pub fn written(&mut self, span: &ExportSpan) {
        self.spans += 1;
        *self.labels.entry(span.label.clone()).or_default() += 1;
    }

    /// A span's text was checked against the document.
    pub fn checked(&mut self) {
        self.checked += 1;
    }

    /// Policy `name` applied once; `example` is built only while examples are kept.
    pub fn policy(
        &mut self,
        name: &'static str,
        rule: &'static str,
        example: impl FnOnce() -> String,
    ) {
        let p = self.policies.entry(name).or_insert_with(|| Policy {
            rule,
            count: 0,
            examples: Vec::new(),
        });
        p.count += 1;
        if p.examples.len() < MAX_EXAMPLES {
            p.examples.push(example());
        }
    }
}

/// `doc 3: 10..14 PLACE «إدلب»`, for policy examples.
pub fn describe(doc: &Document, span: &ExportSpan) -> String {
    format!(
        "doc {}: {}..{} {} «{}» (layer {})",
        doc.export_id, span.start, span.end, span.label, span.text, span.layer
    )
}

/// A document ready for a format writer: spans filtered and checked.
#[derive(Debug)]
pub struct Document {
    pub doc: ExportDocument,
    /// The id written to files: the `id` a JSONL import kept in `meta.id`, else
    /// the project's document id.
    pub export_id: String,
    pub index: OffsetIndex,
}

impl Document {
    fn new(doc: ExportDocument) -> Document {
        let export_id = match doc.meta.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => doc.id.to_string(),
        };
        let index = OffsetIndex::new(&doc.text);
        Document {
            doc,
            export_id,
            index,
        }
    }

    /// The text at code points `start..end`, if they fit.
    pub fn slice(&self, start: usize, end: usize) -> Option<&str> {
        let range = crate::model::CharRange::new(start, end).ok()?;
        self.index.slice(&self.doc.text, range)
    }

    /// An offset in `unit`.
    pub fn offset(&self, c: usize, unit: OffsetUnit) -> usize {
        match unit {
            OffsetUnit::Codepoint => c,
            OffsetUnit::Utf16 => self.index.utf16_of_char(c).unwrap_or(usize::MAX),
        }
    }

    /// Check that offsets written in `unit` cover `span.text` in the document.
    pub fn check_written(
        &self,
        span: &ExportSpan,
        start: usize,
        end: usize,
        unit: OffsetUnit,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        if unit == OffsetUnit::Codepoint && (start, end) == (span.start, span.end) {
            // The stored offsets themselves, already checked by [`export`]
            // against the stored text before the span reached the writer.
            tally.checked();
            return Ok(());
        }
        let back = |u: usize| match unit {
            OffsetUnit::Codepoint => Some(u),
            OffsetUnit::Utf16 => self.index.char_of_utf16(u),
        };
        let found = match (back(start), back(end)) {
            (Some(s), Some(e)) => self.slice(s, e),
            _ => None,
        };
        if found != Some(span.text.as_str()) {
            return Err(self.mismatch(span, found.unwrap_or(""), unit));
        }
        tally.checked();
        Ok(())
    }

    fn mismatch(&self, span: &ExportSpan, found: &str, unit: OffsetUnit) -> ExportError {
        ExportError::Mismatch {
            doc: self.doc.id,
            span: span.id,
            start: span.start,
            end: span.end,
            label: span.label.clone(),
            expected: span.text.clone(),
            found: found.to_owned(),
            unit: unit.as_str(),
        }
    }
}

/// What a format writer does with each document and at the end.
pub trait FormatWriter {
    /// Write one document (going to `part` when the export is split).
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError>;
    /// Finish every file; return the names of the files written.
    fn finish(self: Box<Self>, tally: &mut Tally) -> Result<Vec<String>, ExportError>;
}

/// A buffered output file that names its path in errors.
pub struct Out {
    w: BufWriter<File>,
    path: PathBuf,
    /// Name in the manifest.
    name: String,
}

impl Out {
    fn create(path: PathBuf, name: String) -> Result<Out, ExportError> {
        let file = File::create(&path).map_err(|source| ExportError::Io {
            action: "create an export file",
            path: path.clone(),
            source,
        })?;
        Ok(Out {
            w: BufWriter::with_capacity(1 << 20, file),
            path,
            name,
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), ExportError> {
        self.w.write_all(bytes).map_err(|source| ExportError::Io {
            action: "write the export",
            path: self.path.clone(),
            source,
        })
    }

    /// A writer for serde_json; errors surface through [`Out::write`] later
    /// only if they are I/O errors, so prefer [`Out::json_line`].
    pub fn json_line<T: Serialize>(&mut self, value: &T) -> Result<(), ExportError> {
        let path = &self.path;
        serde_json::to_writer(&mut self.w, value).map_err(|e| ExportError::Io {
            action: "write the export",
            path: path.clone(),
            source: e.into(),
        })?;
        self.write(b"\n")
    }

    /// Flush and sync to disk, so a full disk shows up here and not later.
    pub fn finish(self) -> Result<String, ExportError> {
        let Out { w, path, name } = self;
        let io_err = |source| ExportError::Io {
            action: "finish writing the export",
            path: path.clone(),
            source,
        };
        let file = w.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)?;
        Ok(name)
    }
}

/// The hidden folder an export is written into before it is renamed into place.
pub struct Staging {
    dir: PathBuf,
    keep: bool,
}

impl Staging {
    fn new(out: &Path) -> Result<Staging, ExportError> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".to_owned());
        let dir = parent.join(format!(".{name}.tawsim-export-{}", std::process::id()));
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir(&dir).map_err(|source| ExportError::Io {
            action: "create the export's staging folder next to the output",
            path: dir.clone(),
            source,
        })?;
        Ok(Staging { dir, keep: false })
    }

    /// The staging path of `rel` (a file or folder name inside the output).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Create file `rel` in the staging folder; `name` is its name in the manifest.
    pub fn create(&self, rel: &str, name: &str) -> Result<Out, ExportError> {
        Out::create(self.path(rel), name.to_owned())
    }

    /// Create folder `rel` in the staging folder.
    pub fn mkdir(&self, rel: &str) -> Result<(), ExportError> {
        let path = self.path(rel);
        std::fs::create_dir_all(&path).map_err(|source| ExportError::Io {
            action: "create an export folder",
            path,
            source,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The manifest path of a single-file output: `OUT.manifest.json`.
pub fn manifest_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// Write the project in `opts.format` to `opts.out`. See the module
/// documentation for layouts, options and the manifest.
pub fn export(store: &Store, opts: &ExportOptions) -> Result<Manifest, ExportError> {
    if opts.offsets == OffsetUnit::Utf16
        && !matches!(opts.format, Format::Jsonl | Format::Csv | Format::Doccano)
    {
        return Err(ExportError::OffsetsUnsupported {
            format: opts.format,
        });
    }
    // doccano's editor counts UTF-16 code units (see [`doccano`]).
    let offsets = match opts.format {
        Format::Doccano => OffsetUnit::Utf16,
        _ => opts.offsets,
    };
    let since = opts.since.as_deref().map(check_since).transpose()?;
    let folder = opts.format.is_folder(opts.split.is_some());
    let manifest_file = (!folder).then(|| manifest_path(&opts.out));
    for path in std::iter::once(&opts.out).chain(manifest_file.as_ref()) {
        if path.symlink_metadata().is_ok() && !opts.force {
            return Err(ExportError::OutputExists { path: path.clone() });
        }
    }

    let (layers, done_by) = choose_layers(store, &opts.layer)?;
    let query = ExportQuery {
        layers: layers.iter().map(|l| l.id).collect(),
        done_by: opts.only_done.then_some(done_by),
        since: since.clone(),
    };
    let mut labels = store.labels_in_layers(&query.layers)?;
    if let Some(only) = &opts.labels {
        labels.retain(|l| only.contains(l));
    }

    let staging = Staging::new(&opts.out)?;
    let data_name = opts
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_owned());
    let ctx = WriterContext {
        staging: &staging,
        split: opts.split.is_some(),
        data_name: &data_name,
        offsets,
        labels: &labels,
    };
    let card = hf::Card::default();
    let mut writer: Box<dyn FormatWriter + '_> = match opts.format {
        Format::Jsonl => Box::new(jsonl::JsonlWriter::new(&ctx)?),
        Format::Csv => Box::new(csv::CsvWriter::new(&ctx)?),
        Format::Brat => Box::new(brat::BratWriter::new(&ctx)?),
        Format::Conll => Box::new(conll::ConllWriter::new(&ctx)?),
        Format::Hf => Box::new(hf::HfWriter::new(&ctx, &card)?),
        Format::Spacy => Box::new(spacy::SpacyWriter::new(&ctx)?),
        Format::Doccano => Box::new(doccano::DoccanoWriter::new(&ctx)?),
        Format::LabelStudio => Box::new(labelstudio::LabelStudioWriter::new(
            &ctx,
            &store.current_schema()?,
        )?),
    };

    let mut tally = Tally::default();
    let mut documents = 0;
    let mut parts = [0usize; 3];
    store.export_documents(&query, |doc| -> Result<(), ExportError> {
        let mut doc = Document::new(doc);
        let mut kept = Vec::with_capacity(doc.doc.spans.len());
        for span in std::mem::take(&mut doc.doc.spans) {
            if let Some(only) = &opts.labels
                && !only.contains(&span.label)
            {
                tally.policy(
                    "labels_filter",
                    "spans whose label is not in --labels are left out",
                    || describe(&doc, &span),
                );
                continue;
            }
            // The stored copy must be the text at the stored offsets.
            if doc.slice(span.start, span.end) != Some(span.text.as_str()) {
                let found = doc.slice(span.start, span.end).unwrap_or("").to_owned();
                return Err(doc.mismatch(&span, &found, OffsetUnit::Codepoint));
            }
            kept.push(span);
        }
        doc.doc.spans = kept;
        let part = opts.split.map_or(Part::Train, |s| s.part_of(doc.doc.id));
        documents += 1;
        parts[part.index()] += 1;
        writer.document(&doc, part, &mut tally)
    })?;
    let mut files = writer.finish(&mut tally)?;

    let schema = store
        .latest_schema()?
        .map(|(name, version)| SchemaRef { name, version });
    let mut manifest = Manifest {
        tawsim_version: env!("CARGO_PKG_VERSION"),
        format: opts.format.as_str(),
        schema,
        layer: opts.layer.clone(),
        layers: layers.iter().map(|l| l.name.clone()).collect(),
        offsets: offsets.as_str(),
        filters: Filters {
            only_done: opts.only_done,
            labels: opts.labels.clone(),
            since,
        },
        split: opts.split.map(|s| SplitReport {
            ratios: [s.train, s.dev, s.test],
            seed: s.seed,
            documents: parts,
        }),
        documents,
        spans: tally.spans,
        labels: tally.labels,
        checked_spans: tally.checked,
        policies: tally.policies,
        files: {
            files.sort();
            files
        },
    };
    if opts.format == Format::Hf {
        // The dataset card describes the manifest's counts and policies.
        let readme = card.write(&staging, &manifest)?;
        manifest.files.push(readme);
        manifest.files.sort();
    }
    let mut out = staging.create("manifest.json", "manifest.json")?;
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| ExportError::Io {
        action: "write the manifest",
        path: staging.path("manifest.json"),
        source: e.into(),
    })?;
    out.write(&json)?;
    out.write(b"\n")?;
    out.finish()?;
    put_in_place(staging, &opts.out, manifest_file.as_deref(), opts.force)?;
    Ok(manifest)
}

/// What a format writer needs to create its files.
pub struct WriterContext<'a> {
    pub staging: &'a Staging,
    /// Three parts (train/dev/test) instead of one.
    pub split: bool,
    /// The output's file name (for a single-file output).
    pub data_name: &'a str,
    pub offsets: OffsetUnit,
    /// Labels of the export, sorted (for tag lists and annotation.conf).
    pub labels: &'a [String],
}

impl WriterContext<'_> {
    /// One file per part (`train.EXT`, …) when split, else the single data file.
    pub fn part_files(&self, format: Format, ext: &str) -> Result<Vec<Out>, ExportError> {
        if self.split {
            Part::ALL
                .iter()
                .map(|p| {
                    let name = format!("{}.{ext}", p.name(format));
                    self.staging.create(&name, &name)
                })
                .collect()
        } else {
            Ok(vec![self.staging.create("data", self.data_name)?])
        }
    }
}

/// Pick the `Out` of `part` among the files made by [`WriterContext::part_files`].
pub fn part_out(outs: &mut [Out], part: Part) -> &mut Out {
    let i = if outs.len() == 3 { part.index() } else { 0 };
    &mut outs[i]
}

/// Rename the staged export to `out` (and its manifest beside it for a single file).
fn put_in_place(
    mut staging: Staging,
    out: &Path,
    manifest: Option<&Path>,
    force: bool,
) -> Result<(), ExportError> {
    let rename = |from: &Path, to: &Path| {
        std::fs::rename(from, to).map_err(|source| ExportError::Io {
            action: "move the finished export into place",
            path: to.to_path_buf(),
            source,
        })
    };
    let remove_old = |path: &Path| -> Result<(), ExportError> {
        let result = match path.symlink_metadata() {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(_) => return Ok(()),
        };
        result.map_err(|source| ExportError::Io {
            action: "remove the old output (--force)",
            path: path.to_path_buf(),
            source,
        })
    };
    match manifest {
        None => {
            if force {
                remove_old(out)?;
            }
            rename(&staging.dir, out)?;
            staging.keep = true;
        }
        Some(manifest) => {
            if force {
                remove_old(out)?;
                remove_old(manifest)?;
            }
            rename(&staging.path("data"), out)?;
            if let Err(e) = rename(&staging.path("manifest.json"), manifest) {
                let _ = std::fs::remove_file(out);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// The layers `--layer` names, and whose `done` counts for `--only-done`.
fn choose_layers(
    store: &Store,
    name: &str,
) -> Result<(Vec<crate::store::Layer>, DoneBy), ExportError> {
    let all = store.layers()?;
    if name == "all" {
        return Ok((all, DoneBy::Anyone));
    }
    if let Some(layer) = all.iter().find(|l| l.name == name) {
        let done_by = match (layer.kind, layer.annotator) {
            (LayerKind::Annotator, Some(a)) => DoneBy::Annotator(a),
            _ => DoneBy::Anyone,
        };
        return Ok((vec![layer.clone()], done_by));
    }
    if name == "gold" {
        return match all.iter().find(|l| l.kind == LayerKind::Gold) {
            Some(layer) => Ok((vec![layer.clone()], DoneBy::Anyone)),
            None => Err(ExportError::NoGoldLayer),
        };
    }
    let mut known: Vec<String> = all.iter().map(|l| format!("{:?}", l.name)).collect();
    known.push("all".to_owned());
    Err(ExportError::UnknownLayer {
        name: name.to_owned(),
        known: known.join(", "),
    })
}

/// Accept `YYYY-MM-DD` or an RFC 3339 time; return it in the store's form.
fn check_since(s: &str) -> Result<String, ExportError> {
    let bad = || ExportError::BadSince {
        given: s.to_owned(),
    };
    let s = s.trim();
    let b = s.as_bytes();
    let is_date = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if is_date {
        humantime::parse_rfc3339_weak(&format!("{s} 00:00:00")).map_err(|_| bad())?;
        return Ok(s.to_owned());
    }
    let t = humantime::parse_rfc3339_weak(s).map_err(|_| bad())?;
    Ok(humantime::format_rfc3339_millis(t).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_deterministic_and_follows_the_percentages() {
        let split = Split::parse("80,10,10", 7).unwrap();
        let parts: Vec<Part> = (1..=10_000).map(|d| split.part_of(d)).collect();
        let again: Vec<Part> = (1..=10_000).map(|d| split.part_of(d)).collect();
        assert_eq!(parts, again);
        let train = parts.iter().filter(|p| **p == Part::Train).count();
        let dev = parts.iter().filter(|p| **p == Part::Dev).count();
        assert!((7_700..8_300).contains(&train), "{train}");
        assert!((800..1_200).contains(&dev), "{dev}");
        let other = Split::parse("80,10,10", 8).unwrap();
        assert!((1..=100).any(|d| other.part_of(d) != split.part_of(d)));
    }

    #[test]
    fn bad_splits_and_dates_are_refused() {
        for bad in ["80,10", "80,10,11", "a,b,c", "", "100,0,0,0"] {
            assert!(
                matches!(Split::parse(bad, 0), Err(ExportError::BadSplit { .. })),
                "{bad}"
            );
        }
        assert!(Split::parse("100,0,0", 0).is_ok());
        assert_eq!(check_since("2025-01-16").unwrap(), "2025-01-16");
        assert_eq!(
            check_since("2025-01-16T09:30:00Z").unwrap(),
            "2025-01-16T09:30:00.000Z"
        );
        for bad in ["16/01/2025", "2025-13-01", "yesterday"] {
            assert!(
                matches!(check_since(bad), Err(ExportError::BadSince { .. })),
                "{bad}"
            );
        }
    }
}
