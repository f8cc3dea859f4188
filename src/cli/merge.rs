//! `tawsim merge`: bring annotators' project files into a project (see
//! [`crate::store::merge`] for what is matched and how conflicts resolve).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::styled_bar;
use crate::store::Store;
use crate::store::import::ImportOrigin;
use crate::store::merge::MergeStage;

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The project to merge into (created if it does not exist).
    #[arg(long, value_name = "TARGET.db")]
    pub db: PathBuf,
    /// Who runs the merge (its `project.merge` audit row). Default: the USER
    /// (or USERNAME) environment variable.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Print the reports as JSON (one object per file, in a list).
    #[arg(long)]
    pub json: bool,
    /// Project files to merge, one after the other.
    #[arg(required = true, value_name = "SOURCE.db")]
    pub sources: Vec<PathBuf>,
}

pub fn merge(args: MergeArgs) -> anyhow::Result<()> {
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
    let mut reports = Vec::new();
    for source in &args.sources {
        let bar = styled_bar("{msg:9} [{bar:40}] {pos}/{len}");
        let report = store
            .merge(source, actor, ImportOrigin::CommandLine, &mut |stage| {
                let (what, done, total) = match stage {
                    MergeStage::Documents { done, total } => ("documents", done, total),
                    MergeStage::Spans { done, total } => ("spans", done, total),
                    MergeStage::History { done, total } => ("history", done, total),
                    MergeStage::States { done, total } => ("statuses", done, total),
                };
                bar.set_message(what);
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                true
            })
            .with_context(|| format!("merging into {}", args.db.display()))?;
        bar.finish_and_clear();
        if args.json {
            reports.push(report.to_json());
        } else {
            println!("{report}");
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct PackArgs {
    /// The project to pack from.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// The annotator the pack is for (their assigned documents).
    #[arg(long = "for", value_name = "NAME")]
    pub annotator: String,
    /// The new project file to write.
    #[arg(long, value_name = "NAME.tawsim.db")]
    pub out: PathBuf,
}

pub fn pack(args: PackArgs) -> anyhow::Result<()> {
    if !args.db.exists() {
        anyhow::bail!("there is no project at {}", args.db.display());
    }
    let mut store = Store::open(&args.db)?;
    let annotator = store
        .annotators()?
        .into_iter()
        .find(|a| a.name == args.annotator)
        .with_context(|| {
            format!(
                "there is no annotator {:?} in {}",
                args.annotator,
                args.db.display()
            )
        })?;
    let report = store
        .pack(annotator.id, &args.out)
        .with_context(|| format!("packing {} for {}", args.db.display(), args.annotator))?;
    println!("{report}");
    Ok(())
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// The annotator to keep.
    #[arg(long, value_name = "NAME")]
    pub into: String,
    /// Who runs the join (its audit row). Default: the USER (or USERNAME)
    /// environment variable.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// The annotator who is the same person, e.g. "omar · 2".
    #[arg(value_name = "NAME")]
    pub other: String,
}

pub fn join(args: JoinArgs) -> anyhow::Result<()> {
    if !args.db.exists() {
        anyhow::bail!("there is no project at {}", args.db.display());
    }
    let mut store = Store::open(&args.db)?;
    let annotators = store.annotators()?;
    let find = |name: &str| {
        annotators
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.id)
            .with_context(|| {
                let names: Vec<&str> = annotators.iter().map(|a| a.name.as_str()).collect();
                format!(
                    "there is no annotator {name:?} in {} (there are: {})",
                    args.db.display(),
                    names.join(", ")
                )
            })
    };
    let (keep, other) = (find(&args.into)?, find(&args.other)?);
    let actor = match args
        .annotator
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.trim().is_empty())
    {
        Some(name) => Some(store.annotator_id(&name)?),
        None => None,
    };
    let report = store
        .join_annotators(keep, other, actor)
        .with_context(|| format!("joining {} into {}", args.other, args.into))?;
    println!("{report}");
    Ok(())
}
