//! `tawsim docs`, `tawsim stats` and `tawsim annotators`: read-only views of
//! a project for scripts and people, as a table or (`--json`) as JSON.
//!
//! `docs --json` prints one JSON array of
//! `{"id", "title", "status", "review", "spans": {"LABEL": n, ...}}` objects,
//! where `status` is the named annotator's (`new`, `in_progress`, `done`,
//! `skipped`) and `review` is `unreviewed`, `in_review` or `adjudicated`.
//! `stats --json` prints `{"documents", "annotators": [{"name", "done",
//! "in_progress"}], "spans": [{"layer", "label", "count"}]}`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use crate::store::{DocQuery, ReviewStatus, Status, Store};

#[derive(Args, Debug)]
pub struct DocsArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Whose status to show and filter on.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Only documents with this status for the annotator.
    #[arg(long, value_parser = ["new", "in_progress", "done", "skipped"], requires = "annotator")]
    pub status: Option<String>,
    /// Only documents with this review status.
    #[arg(long, value_parser = ["unreviewed", "in_review", "adjudicated"])]
    pub review: Option<String>,
    /// Only documents with a live span of this label.
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Only documents with a live span in this layer.
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Only documents assigned to this annotator (live assignments).
    #[arg(long, value_name = "NAME")]
    pub assigned_to: Option<String>,
    /// Only documents ready for review: every assignee marked them done.
    #[arg(long)]
    pub ready: bool,
    /// At most this many documents.
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AnnotatorsArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn open(db: &Path) -> anyhow::Result<Store> {
    if !db.exists() {
        bail!("there is no project at {}", db.display());
    }
    Ok(Store::open(db)?)
}

pub fn docs(args: DocsArgs) -> anyhow::Result<()> {
    let store = open(&args.db)?;
    let mut query = DocQuery {
        label: args.label.clone(),
        status: args.status.as_deref().and_then(Status::parse),
        review: args.review.as_deref().and_then(ReviewStatus::parse),
        ready: args.ready,
        ..DocQuery::default()
    };
    if let Some(name) = &args.assigned_to {
        let annotator = store
            .annotators()?
            .into_iter()
            .find(|a| a.name == *name)
            .with_context(|| format!("there is no annotator {name:?} in {}", args.db.display()))?;
        query.assigned = Some(annotator.id);
    }
    if let Some(name) = &args.annotator {
        let annotator = store
            .annotators()?
            .into_iter()
            .find(|a| a.name == *name)
            .with_context(|| format!("there is no annotator {name:?} in {}", args.db.display()))?;
        query.annotator = Some(annotator.id);
    }
    if let Some(name) = &args.layer {
        let layer = store
            .layers()?
            .into_iter()
            .find(|l| l.name == *name)
            .with_context(|| format!("there is no layer {name:?} in {}", args.db.display()))?;
        query.layer = Some(layer.id);
    }
    let total = store.document_count(&query)?;
    let rows = store.document_page(&query, 0, args.limit)?;
    if args.json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "title": r.display_title(),
                    "status": r.status.as_str(),
                    "review": r.review.as_str(),
                    "assignees": r.assignees.iter()
                        .map(|a| json!({"name": a.name, "done": a.done}))
                        .collect::<Vec<_>>(),
                    "spans": r.counts.iter().map(|(l, n)| (l.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{total} documents{}",
        if total > rows.len() {
            format!(" (first {})", rows.len())
        } else {
            String::new()
        }
    );
    for r in &rows {
        let counts: Vec<String> = r.counts.iter().map(|(l, n)| format!("{l} {n}")).collect();
        println!(
            "{:>7}  {:<11} {:<11} {}  [{}]",
            r.id,
            r.status.as_str(),
            r.review.as_str(),
            r.display_title(),
            counts.join(", ")
        );
    }
    Ok(())
}

pub fn stats(args: StatsArgs) -> anyhow::Result<()> {
    let store = open(&args.db)?;
    let progress = store.progress(30)?;
    if args.json {
        let out = json!({
            "documents": progress.documents,
            "annotators": progress.per_annotator.iter()
                .map(|(name, done, doing)| json!({"name": name, "done": done, "in_progress": doing}))
                .collect::<Vec<_>>(),
            "spans": progress.spans.iter()
                .map(|(layer, label, n)| json!({"layer": layer, "label": label, "count": n}))
                .collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{} documents", progress.documents);
    println!("\nannotator            done  in progress");
    for (name, done, doing) in &progress.per_annotator {
        println!("{name:<20} {done:>5}  {doing:>11}");
    }
    println!("\nlayer                label          spans");
    for (layer, label, n) in &progress.spans {
        println!("{layer:<20} {label:<14} {n:>6}");
    }
    Ok(())
}

pub fn annotators(args: AnnotatorsArgs) -> anyhow::Result<()> {
    let store = open(&args.db)?;
    let annotators = store.annotators()?;
    if args.json {
        let out: Vec<serde_json::Value> = annotators
            .iter()
            .map(|a| json!({"id": a.id, "name": a.name}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    for a in &annotators {
        println!("{:>4}  {}", a.id, a.name);
    }
    Ok(())
}
