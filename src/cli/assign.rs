//! `tawsim assign`, `tawsim assignments` and `tawsim unassign`: spread
//! documents over annotators, list who has which document and who finished
//! it, and take assignments back. The work is done by the store (see
//! [`crate::store::AssignPlan`]); this module parses, looks names up and
//! prints.
//!
//! `assign --json` prints `{"documents", "already_assigned", "annotators":
//! [{"name", "added", "total"}]}`. `assignments --json` prints one JSON
//! array of `{"id", "title", "assignees": [{"name", "done"}], "ready"}`
//! objects in import order, where `ready` says every assignee marked the
//! document done.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use crate::model::AnnotatorId;
use crate::store::{AssignPlan, DocQuery, ReviewStatus, Status, Store};

#[derive(Args, Debug)]
pub struct AssignArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Who is to label the documents, separated by commas; names not in the
    /// project yet are added.
    #[arg(
        long,
        value_name = "NAME,NAME…",
        value_delimiter = ',',
        required = true
    )]
    pub annotators: Vec<String>,
    /// How many different annotators each document gets.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub per_document: u32,
    /// Seed of the shuffle: the same project, annotators and seed give the
    /// same assignments on any machine.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Filter: whose status --status is about.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Filter: only documents with this status for --annotator.
    #[arg(long, value_parser = ["new", "in_progress", "done", "skipped"], requires = "annotator")]
    pub status: Option<String>,
    /// Filter: only documents with this review status.
    #[arg(long, value_parser = ["unreviewed", "in_review", "adjudicated"])]
    pub review: Option<String>,
    /// Filter: only documents with a live span of this label.
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Filter: only documents with a live span in this layer.
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AssignmentsArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Only the documents assigned to this annotator.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Only documents ready for review (every assignee marked them done).
    #[arg(long)]
    pub ready: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["docs", "all"])))]
pub struct UnassignArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Whose assignments to remove.
    #[arg(long, value_name = "NAME")]
    pub annotator: String,
    /// The documents (ids as `tawsim docs` and `tawsim assignments` show them).
    #[arg(long = "doc", value_name = "ID", num_args = 1.., conflicts_with = "all")]
    pub docs: Vec<i64>,
    /// Every document assigned to the annotator.
    #[arg(long)]
    pub all: bool,
}

fn open(db: &Path) -> anyhow::Result<Store> {
    if !db.exists() {
        bail!(
            "there is no project at {}; give the path of an existing project file",
            db.display()
        );
    }
    Ok(Store::open(db)?)
}

/// The id of the annotator called `name`, or an error listing who there is.
fn annotator_named(store: &Store, name: &str, db: &Path) -> anyhow::Result<AnnotatorId> {
    let annotators = store.annotators()?;
    if let Some(found) = annotators.iter().find(|a| a.name == name.trim()) {
        return Ok(found.id);
    }
    let names: Vec<&str> = annotators.iter().map(|a| a.name.as_str()).collect();
    bail!(
        "there is no annotator {name:?} in this project (it has {}); check the spelling: {}",
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        },
        db.display()
    )
}

pub fn assign(args: AssignArgs) -> anyhow::Result<()> {
    let mut store = open(&args.db)?;
    let mut filter = DocQuery {
        label: args.label.clone(),
        status: args.status.as_deref().and_then(Status::parse),
        review: args.review.as_deref().and_then(ReviewStatus::parse),
        ..DocQuery::default()
    };
    if let Some(name) = &args.annotator {
        filter.annotator = Some(annotator_named(&store, name, &args.db)?);
    }
    if let Some(name) = &args.layer {
        let layer = store
            .layers()?
            .into_iter()
            .find(|l| l.name == *name)
            .with_context(|| {
                format!(
                    "there is no layer {name:?} in this project: {}",
                    args.db.display()
                )
            })?;
        filter.layer = Some(layer.id);
    }
    let plan = AssignPlan {
        annotators: args.annotators.clone(),
        per_document: args.per_document as usize,
        seed: args.seed,
        filter,
    };
    let report = store
        .assign(&plan, None)
        .with_context(|| format!("assigning documents in {}", args.db.display()))?;
    if args.json {
        let out = json!({
            "documents": report.documents,
            "already_assigned": report.already_assigned,
            "annotators": report.per_annotator.iter()
                .map(|a| json!({"name": a.name, "added": a.added, "total": a.total}))
                .collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

pub fn assignments(args: AssignmentsArgs) -> anyhow::Result<()> {
    let store = open(&args.db)?;
    let annotator = args
        .annotator
        .as_deref()
        .map(|name| annotator_named(&store, name, &args.db))
        .transpose()?;
    let mut list = store.assignment_list(annotator)?;
    if args.ready {
        list.retain(|d| d.is_ready());
    }
    if args.json {
        let out: Vec<serde_json::Value> = list
            .iter()
            .map(|d| {
                json!({
                    "id": d.doc,
                    "title": d.title,
                    "assignees": d.assignees.iter()
                        .map(|a| json!({"name": a.name, "done": a.done}))
                        .collect::<Vec<_>>(),
                    "ready": d.is_ready(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let ready = list.iter().filter(|d| d.is_ready()).count();
    println!(
        "{} assigned documents, {ready} ready for review",
        list.len()
    );
    for d in &list {
        let assignees: Vec<String> = d
            .assignees
            .iter()
            .map(|a| {
                if a.done {
                    format!("{} (done)", a.name)
                } else {
                    a.name.clone()
                }
            })
            .collect();
        println!(
            "{:>7}  {:<5}  {}  [{}]",
            d.doc,
            if d.is_ready() { "ready" } else { "" },
            d.title,
            assignees.join(", ")
        );
    }
    Ok(())
}

pub fn unassign(args: UnassignArgs) -> anyhow::Result<()> {
    let mut store = open(&args.db)?;
    let annotator = annotator_named(&store, &args.annotator, &args.db)?;
    if args.all {
        let removed = store.unassign_all(annotator, None)?;
        println!("removed {removed} assignments of {}", args.annotator.trim());
        return Ok(());
    }
    // Every document is checked before anything is written.
    for &doc in &args.docs {
        store
            .assignments_of_document(doc)
            .with_context(|| format!("unassigning documents in {}", args.db.display()))?;
    }
    let mut removed = 0;
    let mut not_assigned = Vec::new();
    for &doc in &args.docs {
        if store.set_assignment(doc, annotator, false, None)? {
            removed += 1;
        } else {
            not_assigned.push(doc.to_string());
        }
    }
    println!("removed {removed} assignments of {}", args.annotator.trim());
    if !not_assigned.is_empty() {
        println!(
            "not assigned to {} (nothing to remove): documents {}",
            args.annotator.trim(),
            not_assigned.join(", ")
        );
    }
    Ok(())
}
