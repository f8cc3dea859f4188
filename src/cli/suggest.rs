//! `tawsim suggest`: run the recognisers ([`crate::suggest`]) over many
//! documents without a window and store what they find in a suggestions
//! layer (see [`crate::store::suggest`]), so that `tawsim evaluate --layer
//! suggestions --against gold` can measure them and reviewers can go
//! through them like any machine extraction.
//!
//! Documents are read a page at a time in id order, their suggestions
//! computed on every core, and written in transactions of about 5 ms with a
//! pause between them (as an import writes), so a window open on the same
//! project keeps saving. Each document's earlier suggestions in the layer
//! are replaced; a document whose suggestions did not change is left as it
//! was, so running it again is cheap. Stopping it half-way leaves every
//! document either as before or with its new suggestions. The run ends
//! with one `suggest` audit row holding the summary below.
//!
//! The summary goes to stdout:
//!
//! ```text
//! suggestions for 3 documents in layer suggestions (3 changed): 41 spans — ACTOR 9, CASUALTY 6, DATE 12, PLACE 14; recognisers: date, casualty, place, actor, project
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use crate::model::DocId;
use crate::store::Store;
use crate::store::import::IMPORT_YIELD;
use crate::store::suggest::SUGGESTIONS_LAYER;
use crate::suggest::project::Matcher;
use crate::suggest::{Recogniser, Suggestion, suggest};

/// Documents read and computed at a time.
const PAGE: usize = 512;

#[derive(Args, Debug)]
pub struct SuggestArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Recognisers to run, comma-separated (date, casualty, place, actor,
    /// project). Default: those the project has turned on (all, unless
    /// changed in the app's Suggestions menu).
    #[arg(long, value_name = "NAMES", value_delimiter = ',', num_args = 1..,
          value_parser = ["date", "casualty", "place", "actor", "project"])]
    pub recognisers: Option<Vec<String>>,
    /// The layer to fill (an imported layer, created if missing).
    #[arg(long, value_name = "NAME", default_value = SUGGESTIONS_LAYER)]
    pub layer: String,
    /// Only these documents (ids, as `tawsim docs` lists them).
    #[arg(long, value_name = "ID", value_delimiter = ',', num_args = 1..)]
    pub doc: Vec<DocId>,
    /// Only documents assigned to this annotator (live assignments).
    #[arg(long, value_name = "NAME")]
    pub assigned_to: Option<String>,
    /// At most this many documents (in id order).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Threads computing suggestions. Default: one per core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Who runs it (the layer's spans are recorded as theirs). Default:
    /// the USER (or USERNAME) environment variable.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SuggestReport {
    pub documents: usize,
    /// Documents whose stored suggestions changed.
    pub changed: usize,
    /// Suggestions per label.
    pub labels: BTreeMap<String, usize>,
}

/// Parse `--recognisers`, naming a wrong one and the right ones.
fn parse_recognisers(names: &[String]) -> anyhow::Result<Vec<Recogniser>> {
    let mut out = Vec::new();
    for name in names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        match Recogniser::parse(name) {
            Some(r) if !out.contains(&r) => out.push(r),
            Some(_) => {}
            None => {
                let known: Vec<&str> = Recogniser::ALL.iter().map(|r| r.as_str()).collect();
                bail!(
                    "--recognisers: there is no recogniser {name:?}; the recognisers are {}",
                    known.join(", ")
                );
            }
        }
    }
    if out.is_empty() {
        bail!(
            "--recognisers names no recogniser; name at least one, e.g. --recognisers date,place"
        );
    }
    Ok(out)
}

pub fn suggest_command(args: SuggestArgs) -> anyhow::Result<()> {
    if !args.db.exists() {
        bail!("there is no project at {}", args.db.display());
    }
    let mut store = Store::open(&args.db)?;
    let enabled = match &args.recognisers {
        Some(names) => parse_recognisers(names)?,
        None => store.enabled_recognisers()?,
    };
    if enabled.is_empty() {
        bail!(
            "the project has every recogniser turned off; turn some on in the app's Suggestions menu or name them with --recognisers"
        );
    }
    let annotator = args
        .annotator
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "tawsim".to_owned());
    let actor = store
        .annotator_id(&annotator)
        .with_context(|| format!("recording the annotator {annotator:?}"))?;
    let assigned = match &args.assigned_to {
        Some(name) => {
            let found = store
                .annotators()?
                .into_iter()
                .find(|a| a.name == name.trim());
            match found {
                Some(a) => Some(a.id),
                None => bail!(
                    "--assigned-to: there is no annotator {name:?} in {}",
                    args.db.display()
                ),
            }
        }
        None => None,
    };
    let layer = store
        .suggestions_layer(&args.layer, Some(actor))
        .with_context(|| format!("--layer {}", args.layer))?;
    let matcher = if enabled.contains(&Recogniser::Project) {
        Some(
            store
                .project_matcher()
                .context("reading what the project accepted, for the project recogniser")?,
        )
    } else {
        None
    };
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let docs = (!args.doc.is_empty()).then_some(args.doc.as_slice());
    let limit = args.limit.unwrap_or(usize::MAX);
    let bar = super::styled_bar("{msg:10} [{bar:40}] {pos}/{len} documents ({per_sec})");
    bar.set_message("suggesting");
    bar.set_length(match docs {
        Some(d) => d.len().min(limit) as u64,
        None => store.documents_count()?.min(limit) as u64,
    });
    let mut report = SuggestReport::default();
    let mut after = 0;
    store.tune_for_suggestions(true)?;
    while report.documents < limit {
        let want = PAGE.min(limit - report.documents);
        let page = store.documents_to_suggest(after, want, docs, assigned)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = *last;
        let computed = compute(&page, &enabled, matcher.as_ref(), threads);
        for (_, found) in &computed {
            for s in found {
                *report.labels.entry(s.label.clone()).or_default() += 1;
            }
        }
        let mut next = 0;
        while next < computed.len() {
            let (written, changed) = store
                .write_suggestions(layer, actor, &computed[next..])
                .with_context(|| format!("storing suggestions in {}", args.db.display()))?;
            next += written;
            report.changed += changed;
            report.documents += written;
            bar.set_position(report.documents as u64);
            std::thread::sleep(IMPORT_YIELD.max(Duration::from_micros(500)));
        }
    }
    bar.finish_and_clear();
    let names: Vec<&str> = enabled.iter().map(|r| r.as_str()).collect();
    let summary = json!({
        "documents": report.documents,
        "changed": report.changed,
        "layer": args.layer,
        "labels": report.labels,
        "recognisers": names,
    });
    store.tune_for_suggestions(false)?;
    store
        .finish_suggestions(actor, &summary)
        .with_context(|| format!("recording the run in {}", args.db.display()))?;
    if args.json {
        println!("{summary}");
    } else {
        let total: usize = report.labels.values().sum();
        let labels: Vec<String> = report
            .labels
            .iter()
            .map(|(label, n)| format!("{label} {n}"))
            .collect();
        println!(
            "suggestions for {} documents in layer {} ({} changed): {total} spans{}; recognisers: {}",
            report.documents,
            args.layer,
            report.changed,
            if labels.is_empty() {
                String::new()
            } else {
                format!(" — {}", labels.join(", "))
            },
            names.join(", ")
        );
    }
    Ok(())
}

/// Suggestions of every document of `page`, computed on `threads` threads,
/// in the page's order.
fn compute(
    page: &[(DocId, String)],
    enabled: &[Recogniser],
    matcher: Option<&Matcher>,
    threads: usize,
) -> Vec<(DocId, Vec<Suggestion>)> {
    let chunk = page.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = page
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(doc, text)| (*doc, suggest(text, enabled, matcher)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recogniser_names_are_checked_and_deduplicated() {
        let names = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            parse_recognisers(&names("place,date,place")).unwrap(),
            vec![Recogniser::Place, Recogniser::Date]
        );
        let error = parse_recognisers(&names("place,dates")).unwrap_err();
        assert!(error.to_string().contains("\"dates\""), "{error}");
        assert!(error.to_string().contains("casualty"), "{error}");
        assert!(parse_recognisers(&names(" ")).is_err());
    }
}
