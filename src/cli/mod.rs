//! The command line: `tawsim [PROJECT]` opens the app, `tawsim import` loads
//! files into a project, `tawsim validate` checks a label schema, `tawsim
//! link` and `tawsim sync` keep a project in sync with a team server.
//!
//! Arguments are parsed with clap derive; the work is done by [`crate::io`],
//! [`crate::schema`] and [`crate::store`]. This module prints (the report to
//! stdout, errors with their whole cause chain to stderr, a progress bar to
//! stderr only when it is a terminal) and chooses the exit code: 0 success,
//! 1 the work failed, 2 bad usage (clap's own errors exit 2 as well). It must
//! not open a window or know about egui.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

mod assign;
mod merge;
mod project;
mod review;
mod server;
mod suggest;
mod sync;

pub use assign::{AssignArgs, AssignmentsArgs, UnassignArgs};
pub use merge::{JoinArgs, MergeArgs, PackArgs};
pub use project::{AnnotatorsArgs, DocsArgs, StatsArgs};
pub use review::{AgreementArgs, EvaluateArgs};
pub use server::ServerArgs;
pub use suggest::SuggestArgs;
pub use sync::{LinkArgs, SyncArgs};

use crate::io::{Format, ImportFailed, ImportOptions, LabelMap, Stage, import_paths};
use crate::schema::Schema;
use crate::store::Store;
use crate::store::import::ImportOrigin;

/// Exit code when the work failed.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for bad usage (as clap uses).
pub const EXIT_USAGE: u8 = 2;

/// tawsim (توسيم): label Arabic news articles, right to left, with exact offsets.
#[derive(Parser, Debug)]
#[command(name = "tawsim", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true)]
#[command(after_help = "Examples:
  tawsim                                   open the default project
  tawsim war-2024.db                       open (or create) that project
  tawsim import --db war-2024.db articles/ import every .txt file under articles/
  tawsim validate my-schema.ron            check a label schema
  tawsim evaluate --db war-2024.db --layer model --against gold
  tawsim agreement --db war-2024.db --layers layla,omar")]
pub struct Cli {
    /// Project database to open or create. Default: default.tawsim.db in the
    /// platform's data directory, created on first start with the bundled
    /// sample articles.
    pub project: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import articles (.txt), JSON lines with spans (.jsonl) or CoNLL/BIO token
    /// files into a project, all or nothing: written in short transactions
    /// that the app's window can work between, visible only once the last
    /// one commits.
    #[command(after_help = "Examples:
  tawsim import --db news.db articles/
  tawsim import --db news.db --layer model-v2 predictions.jsonl
  tawsim import --db lead.db --layers-from-file layla.jsonl omar.jsonl
  tawsim import --db news.db --format conll --map assets/maps/newsfane.ron \\
      --sentences-per-doc 20 NewsFANE_Gold_2014_170K.txt")]
    Import(ImportArgs),
    /// Check a label schema file (RON); errors name the file, line and column.
    #[command(after_help = "Example:
  tawsim validate assets/schema.ron")]
    Validate(ValidateArgs),
    /// Precision, recall and F1 of a layer against a reference (gold), per
    /// label, with exact and overlap matching.
    #[command(after_help = "Example:
  tawsim evaluate --db news.db --layer ner-model --against gold --out report.csv")]
    Evaluate(EvaluateArgs),
    /// Agreement between layers: span F1, Cohen's kappa and Krippendorff's
    /// alpha over tokens.
    #[command(after_help = "Example:
  tawsim agreement --db news.db --layers layla,omar,ner-model --json")]
    Agreement(AgreementArgs),
    /// Export a layer (or all, or gold) as jsonl, brat, conll, hf, spacy, csv,
    /// doccano or label-studio, with a manifest; every written span is
    /// checked against the text.
    #[command(after_help = "Examples:
  tawsim export --db news.db --format jsonl --layer gold --out gold.jsonl
  tawsim export --db news.db --format conll --layer layla --only-done --out layla.conll
  tawsim export --db news.db --format hf --split 80,10,10 --seed 7 --out hf/
  tawsim export --db news.db --format spacy --layer gold --split 80,10,10 --out corpus/
  tawsim export --db news.db --format csv --offsets utf16 --out audit.csv
  tawsim export --db news.db --format label-studio --out ls/")]
    Export(crate::export::ExportArgs),
    /// List documents with their status, review status and span counts.
    #[command(after_help = "Examples:
  tawsim docs --db news.db --annotator layla --status done
  tawsim docs --db news.db --review adjudicated --json")]
    Docs(DocsArgs),
    /// Counts: documents, progress per annotator, spans per layer and label.
    #[command(after_help = "Example:
  tawsim stats --db news.db --json")]
    Stats(StatsArgs),
    /// List the project's annotators.
    #[command(after_help = "Example:
  tawsim annotators --db news.db")]
    Annotators(AnnotatorsArgs),
    /// Assign documents to annotators, spread evenly and reproducibly (the
    /// same seed gives the same assignments on any machine); documents that
    /// already have enough annotators are left alone.
    #[command(after_help = "Examples:
  tawsim assign --db news.db --annotators layla,omar,sara --per-document 2 --seed 7
  tawsim assign --db news.db --annotators sara --label PLACE --review unreviewed")]
    Assign(AssignArgs),
    /// List assigned documents: their assignees and who marked them done.
    #[command(after_help = "Examples:
  tawsim assignments --db news.db --annotator omar
  tawsim assignments --db news.db --ready --json")]
    Assignments(AssignmentsArgs),
    /// Remove an annotator's assignments (they stay in the audit log).
    #[command(after_help = "Examples:
  tawsim unassign --db news.db --annotator omar --doc 12 15
  tawsim unassign --db news.db --annotator omar --all")]
    Unassign(UnassignArgs),
    /// Merge annotators' project files into a project: documents, annotators,
    /// layers, spans with their whole state, statuses, reviews and every
    /// audit event, by their global identities. Merging a file twice adds
    /// nothing; the order of files does not matter.
    #[command(after_help = "Examples:
  tawsim merge --db lead.db layla.db omar.db sara.db
  tawsim merge --db lead.db --json omar.db")]
    Merge(MergeArgs),
    /// Write a project file for one annotator's laptop: the label schemas and
    /// the documents assigned to them, with the machine layers' spans and
    /// nothing of other annotators' work. Merge it back when they are done.
    #[command(after_help = "Example:
  tawsim pack --db lead.db --for layla --out layla.tawsim.db")]
    Pack(PackArgs),
    /// Join two annotators who are one person (after a merge showed them as
    /// "omar" and "omar · 2"): the second's spans, statuses, rejections,
    /// reviews and assignments become the first's.
    #[command(after_help = "Example:
  tawsim join --db lead.db --into omar \"omar · 2\"")]
    Join(JoinArgs),
    /// A team server on PostgreSQL: `server init URL` creates or migrates
    /// its schema; `server user add|remove|list` manage its people.
    #[command(after_help = "Examples:
  tawsim server init postgres://lead@db.example:5432/team
  tawsim server user add --server postgres://lead@db.example:5432/team layla --role annotator
  tawsim server user remove --server postgres://lead@db.example:5432/team layla")]
    Server(ServerArgs),
    /// Link a project (new or existing) to a team server as a person, then
    /// sync once: an admin's link pushes their documents, label schemas and
    /// imported layers; anyone's brings down what their role may see.
    #[command(after_help = "Examples:
  tawsim link --db layla.db postgres://layla@db.example:5432/team
  PGPASSWORD=… tawsim link --db lead.db postgres://lead@db.example:5432/team")]
    Link(LinkArgs),
    /// Sync a linked project once: push local changes, pull others'. The
    /// password comes from PGPASSWORD, ~/.pgpass or a prompt.
    #[command(after_help = "Example:
  tawsim sync --db layla.db")]
    Sync(SyncArgs),
    /// Suggest spans (dates, casualty counts, places, actors, what the
    /// project accepted before) for many documents and store them in a
    /// layer, replacing each document's earlier suggestions there.
    #[command(after_help = "Examples:
  tawsim suggest --db news.db
  tawsim suggest --db news.db --recognisers date,casualty --layer dates --limit 500
  tawsim evaluate --db news.db --layer suggestions --against gold")]
    Suggest(SuggestArgs),
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The project to import into (created if it does not exist).
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// File format. Default: by extension (.txt; .jsonl; .conll/.bio/.iob/.iob2;
    /// .ann for brat, with its .txt beside it). `label-studio`: a Label Studio
    /// JSON export, a layer per annotator and per prediction model version.
    /// `doccano`: doccano's JSONL export (UTF-16 offsets, made code points).
    #[arg(long, value_parser = ["txt", "jsonl", "conll", "brat", "label-studio", "doccano"])]
    pub format: Option<String>,
    /// Layer for the imported spans. Default: each file's name.
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// JSONL from `tawsim export`: put each span back into the layer it names,
    /// made by the annotator it names, with its uid and times (an annotator's
    /// spans into that annotator's layer, added if missing; gold into gold),
    /// instead of one layer named after the file. Spans that name no layer
    /// go into --layer (default: the file's name), and the report says so.
    #[arg(long)]
    pub layers_from_file: bool,
    /// Label map (RON) from the file's labels to the project's.
    #[arg(long, value_name = "FILE.ron")]
    pub map: Option<PathBuf>,
    /// Keep labels that are neither in the schema nor mapped, instead of failing.
    #[arg(long)]
    pub keep_unknown: bool,
    /// Import the good records and report the bad ones, instead of importing nothing.
    #[arg(long)]
    pub skip_bad: bool,
    /// CoNLL: consecutive sentences per document, one sentence per line.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub sentences_per_doc: u32,
    /// Who runs the import. Default: the USER (or USERNAME) environment variable.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Do not build the search index before exiting: the documents are
    /// visible (and openable) at once, and the app indexes them in the
    /// background the next time it opens the project.
    #[arg(long)]
    pub no_index: bool,
    /// Files or folders (read recursively) to import.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The schema file to check.
    #[arg(value_name = "SCHEMA.ron")]
    pub schema: PathBuf,
}

/// Run a command and say how it went; returns the exit code.
pub fn run(command: Command) -> ExitCode {
    // Commands that write a lot into a project someone may have open in the
    // window let the window run first (see `crate::background`).
    if matches!(
        command,
        Command::Import(_)
            | Command::Merge(_)
            | Command::Join(_)
            | Command::Link(_)
            | Command::Sync(_)
            | Command::Suggest(_)
    ) {
        crate::background::yield_to_the_window();
    }
    let result = match command {
        Command::Import(args) => import(args),
        Command::Validate(args) => validate(args),
        Command::Evaluate(args) => review::evaluate(args),
        Command::Agreement(args) => review::agreement(args),
        Command::Export(args) => export(args),
        Command::Docs(args) => project::docs(args),
        Command::Stats(args) => project::stats(args),
        Command::Annotators(args) => project::annotators(args),
        Command::Assign(args) => assign::assign(args),
        Command::Assignments(args) => assign::assignments(args),
        Command::Unassign(args) => assign::unassign(args),
        Command::Merge(args) => merge::merge(args),
        Command::Pack(args) => merge::pack(args),
        Command::Join(args) => merge::join(args),
        Command::Server(args) => server::run(args),
        Command::Link(args) => sync::link(args),
        Command::Sync(args) => sync::sync(args),
        Command::Suggest(args) => suggest::suggest_command(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tawsim: {error:#}");
            let usage = error.downcast_ref::<ImportFailed>().is_some_and(|e| {
                matches!(
                    e,
                    ImportFailed::UnknownFormat { .. } | ImportFailed::ContentsNotFormat { .. }
                )
            });
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_FAILURE })
        }
    }
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let map = args.map.as_deref().map(LabelMap::load).transpose()?;
    let format = args.format.as_deref().and_then(Format::parse);
    if format == Some(Format::LabelStudio) && args.layer.is_some() {
        anyhow::bail!(
            "--layer does not apply to --format label-studio: its spans go into a layer per annotator and per prediction model version; leave --layer out"
        );
    }
    let options = ImportOptions {
        format,
        layer: args.layer,
        layers_from_file: args.layers_from_file,
        map,
        keep_unknown: args.keep_unknown,
        skip_bad: args.skip_bad,
        sentences_per_doc: args.sentences_per_doc as usize,
        origin: ImportOrigin::CommandLine,
    };
    let annotator = args
        .annotator
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "tawsim".to_owned());
    let mut store = Store::open(&args.db)?;
    let actor = store
        .annotator_id(&annotator)
        .with_context(|| format!("recording the annotator {annotator:?}"))?;
    let bar = styled_bar("{msg:9} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec})");
    let result = import_paths(&mut store, &args.paths, &options, actor, &mut |stage| {
        match stage {
            Stage::Importing { done, total, .. } => {
                bar.set_message("importing");
                bar.set_length(total);
                bar.set_position(done);
            }
            Stage::Undoing => bar.set_message("undoing"),
        }
        true
    });
    bar.finish_and_clear();
    let report = result.with_context(|| format!("importing into {}", args.db.display()))?;
    println!("{report}");
    if args.no_index {
        return Ok(());
    }
    // The documents are visible now; indexing them for search may be
    // stopped at any time (the app finishes it).
    let bar = styled_bar("{msg:9} [{bar:40}] {pos}/{len} documents searchable");
    bar.set_message("indexing");
    loop {
        let coverage = store
            .search_coverage()
            .with_context(|| format!("indexing {} for search", args.db.display()))?;
        bar.set_length(coverage.documents as u64);
        bar.set_position(coverage.searchable as u64);
        let indexed = store
            .index_queued(2_000)
            .with_context(|| format!("indexing {} for search", args.db.display()))?;
        if indexed == 0 {
            break;
        }
    }
    bar.finish_and_clear();
    Ok(())
}

fn export(args: crate::export::ExportArgs) -> anyhow::Result<()> {
    let spinner = progress_bar();
    spinner.set_message("exporting");
    let manifest = crate::export::run(&args)
        .with_context(|| format!("exporting {} as {:?}", args.db.display(), args.format));
    spinner.finish_and_clear();
    let manifest = manifest?;
    let labels: Vec<String> = manifest
        .labels
        .iter()
        .map(|(label, n)| format!("{label} {n}"))
        .collect();
    println!(
        "wrote {}: {} documents, {} spans ({}); every span's text checked ({} spans); offsets in {}",
        args.out.display(),
        manifest.documents,
        manifest.spans,
        labels.join(", "),
        manifest.checked_spans,
        manifest.offsets
    );
    for (name, policy) in &manifest.policies {
        println!("  {name}: {} ({})", policy.count, policy.rule);
    }
    Ok(())
}

fn progress_bar() -> ProgressBar {
    styled_bar("{msg:8} [{bar:40}] {pos}/{len} ({per_sec})")
}

/// A progress bar on the terminal (hidden when stderr is not one) drawn
/// with indicatif's `template`.
fn styled_bar(template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn validate(args: ValidateArgs) -> anyhow::Result<()> {
    let schema = Schema::load(&args.schema)?;
    let names: Vec<&str> = schema.labels().iter().map(|l| l.name.as_str()).collect();
    println!(
        "{}: schema {:?} version {} is valid: {} labels ({})",
        args.schema.display(),
        schema.name,
        schema.version,
        names.len(),
        names.join(", ")
    );
    Ok(())
}
