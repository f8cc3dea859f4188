//! `tawsim evaluate` and `tawsim agreement`: the review measures of
//! [`crate::review`] over a whole project, printed as a table (or JSON) and,
//! for evaluation, written as CSV.
//!
//! # Evaluation CSV (`--out`)
//!
//! UTF-8, RFC 4180 quoting, a header row, one row per matching and label plus
//! an `ALL` row per matching:
//!
//! ```text
//! matching,label,tp,fp,fn,precision,recall,f1
//! exact,PLACE,120,14,9,0.8955,0.9302,0.9125
//! exact,ALL,301,57,40,0.8408,0.8827,0.8612
//! ```
//!
//! An undefined figure (nothing predicted, empty reference) is an empty
//! field. `--errors` writes the misses and false alarms of exact matching:
//! `kind,doc,start,end,label,text` with `kind` = `miss` or `false_alarm` and
//! offsets in code points.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use crate::model::LayerId;
use crate::review::evaluate::{Counts, Evaluation};
use crate::store::{Layer, Store};

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// The layer to evaluate (an imported extraction layer or an annotator).
    #[arg(long, value_name = "NAME")]
    pub layer: String,
    /// The reference layer.
    #[arg(long, value_name = "NAME", default_value = "gold")]
    pub against: String,
    /// Write precision/recall/F1 per label as CSV here.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// Write the misses and false alarms (exact matching) as CSV here.
    #[arg(long, value_name = "FILE.csv")]
    pub errors: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AgreementArgs {
    /// The project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// Two or more layer names, comma-separated.
    #[arg(long, value_name = "A,B[,C]", value_delimiter = ',', num_args = 1.., required = true)]
    pub layers: Vec<String>,
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

fn layer_id(layers: &[Layer], name: &str, db: &Path) -> anyhow::Result<LayerId> {
    match layers.iter().find(|l| l.name == name) {
        Some(layer) => Ok(layer.id),
        None => {
            let known: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
            bail!(
                "there is no layer {name:?} in {}; its layers are: {}",
                db.display(),
                known.join(", ")
            )
        }
    }
}

fn fmt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v:.4}"))
}

fn counts_json(c: &Counts) -> serde_json::Value {
    json!({
        "tp": c.tp, "fp": c.fp, "fn": c.fn_,
        "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
    })
}

pub fn evaluate(args: EvaluateArgs) -> anyhow::Result<()> {
    let store = open(&args.db)?;
    let layers = store.layers()?;
    let layer = layer_id(&layers, &args.layer, &args.db)?;
    let reference = layer_id(&layers, &args.against, &args.db)?;
    let results = store
        .evaluate(layer, reference)
        .with_context(|| format!("evaluating {} against {}", args.layer, args.against))?;
    if let Some(path) = &args.out {
        write_atomically(path, |w| write_scores(w, &results))?;
    }
    if let Some(path) = &args.errors {
        write_atomically(path, |w| write_errors(w, &results[0]))?;
    }
    if args.json {
        let out: Vec<serde_json::Value> = results
            .iter()
            .map(|e| {
                json!({
                    "matching": e.matching.as_str(),
                    "overall": counts_json(&e.overall),
                    "per_label": e.per_label.iter()
                        .map(|(l, c)| (l.clone(), counts_json(c)))
                        .collect::<serde_json::Map<_, _>>(),
                    "misses": e.misses.len(),
                    "false_alarms": e.false_alarms.len(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{} against {}", args.layer, args.against);
    for e in &results {
        println!(
            "\n{} matching        tp     fp     fn  precision  recall     F1",
            e.matching.as_str()
        );
        for (label, c) in e.per_label.iter().chain([(&"ALL".to_owned(), &e.overall)]) {
            println!(
                "  {label:<20} {:>6} {:>6} {:>6}  {:>9}  {:>6}  {:>6}",
                c.tp,
                c.fp,
                c.fn_,
                fmt(c.precision()),
                fmt(c.recall()),
                fmt(c.f1())
            );
        }
    }
    Ok(())
}

fn write_scores(w: &mut csv::Writer<std::fs::File>, results: &[Evaluation]) -> anyhow::Result<()> {
    w.write_record([
        "matching",
        "label",
        "tp",
        "fp",
        "fn",
        "precision",
        "recall",
        "f1",
    ])?;
    for e in results {
        for (label, c) in e.per_label.iter().chain([(&"ALL".to_owned(), &e.overall)]) {
            w.write_record([
                e.matching.as_str().to_owned(),
                label.clone(),
                c.tp.to_string(),
                c.fp.to_string(),
                c.fn_.to_string(),
                fmt(c.precision()),
                fmt(c.recall()),
                fmt(c.f1()),
            ])?;
        }
    }
    Ok(())
}

fn write_errors(w: &mut csv::Writer<std::fs::File>, e: &Evaluation) -> anyhow::Result<()> {
    w.write_record(["kind", "doc", "start", "end", "label", "text"])?;
    for (kind, spans) in [("miss", &e.misses), ("false_alarm", &e.false_alarms)] {
        for s in spans {
            w.write_record([
                kind.to_owned(),
                s.doc.to_string(),
                s.range.start().to_string(),
                s.range.end().to_string(),
                s.label.clone(),
                s.text.clone(),
            ])?;
        }
    }
    Ok(())
}

/// Write a CSV file under a temporary name, then rename it into place, so a
/// failure never leaves a half-written file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut csv::Writer<std::fs::File>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut writer = csv::Writer::from_writer(file);
        write(&mut writer)?;
        let file = writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", tmp.display(), e.error()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move the report into place at {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub fn agreement(args: AgreementArgs) -> anyhow::Result<()> {
    if args.layers.len() < 2 {
        bail!("agreement needs at least two layers, e.g. --layers layla,omar");
    }
    let store = open(&args.db)?;
    let layers = store.layers()?;
    let ids = args
        .layers
        .iter()
        .map(|name| layer_id(&layers, name, &args.db))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let result = store.agreement(&ids)?;
    let name = |id: LayerId| {
        layers
            .iter()
            .find(|l| l.id == id)
            .map_or_else(String::new, |l| l.name.clone())
    };
    if args.json {
        let pairs: Vec<serde_json::Value> = result
            .pairs
            .iter()
            .map(|p| {
                json!({
                    "a": name(p.a), "b": name(p.b),
                    "f1_exact": p.f1(crate::review::evaluate::Matching::Exact),
                    "f1_overlap": p.f1(crate::review::evaluate::Matching::Overlap),
                    "kappa": p.kappa,
                    "kappa_per_label": p.kappa_per_label,
                })
            })
            .collect();
        let out = json!({
            "layers": args.layers,
            "documents": result.documents,
            "tokens": result.tokens,
            "alpha": result.alpha,
            "alpha_per_label": result.alpha_per_label,
            "pairs": pairs,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{} documents, {} tokens; Krippendorff's alpha (nominal, tokens): {}",
        result.documents,
        result.tokens,
        fmt(result.alpha)
    );
    println!("\n  layer A          layer B          F1 exact  F1 overlap  Cohen's kappa");
    for p in &result.pairs {
        println!(
            "  {:<16} {:<16} {:>8}  {:>10}  {:>13}",
            name(p.a),
            name(p.b),
            fmt(p.f1(crate::review::evaluate::Matching::Exact)),
            fmt(p.f1(crate::review::evaluate::Matching::Overlap)),
            fmt(p.kappa)
        );
    }
    println!("\n  label            alpha");
    for (label, alpha) in &result.alpha_per_label {
        println!("  {label:<16} {:>6}", fmt(*alpha));
    }
    Ok(())
}
