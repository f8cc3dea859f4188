//! Builds the agreement fixture for `scripts/interop.sh`: the tagged sample
//! project (tests/export_fixture) with two more annotators who disagree with
//! `layla` in known ways, then writes `OUT/agreement.json` with every
//! document's token labels per layer (tawsim's tokens: whitespace runs) and
//! tawsim's own figures (Cohen's kappa of layla/omar, Krippendorff's alpha of
//! all three, overall and per label), for tests/interop/check_agreement.py to
//! recompute with NLTK's `AnnotationTask`.
//!
//! `cargo run --example agreement_fixture -- OUT_DIR`

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use tawsim::model::{CharRange, Origin};
use tawsim::review::agreement::{token_labels, tokens};
use tawsim::store::Store;

#[path = "../tests/export_fixture/mod.rs"]
mod export_fixture;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: agreement_fixture OUT_DIR");
        return ExitCode::from(2);
    };
    std::fs::create_dir_all(&out).expect("create the output folder");
    let path = out.join("agreement.tawsim");
    let _ = std::fs::remove_file(&path);
    export_fixture::sample_project(&path);
    let mut store = Store::open(&path).expect("open the fixture");
    let layla = store.annotator_id("layla").expect("layla");
    let omar = store.annotator_id("omar").expect("omar");
    let sara = store.annotator_id("sara").expect("sara");
    let docs: Vec<i64> = store
        .documents()
        .expect("documents")
        .iter()
        .map(|d| d.id)
        .collect();
    let layla_layer = store.annotator_layer(layla).expect("layer");
    // omar relabels every third of layla's spans and leaves out every fifth;
    // sara shortens every fourth by one character and adds none of omar's changes.
    for &doc in &docs {
        let spans: Vec<_> = store
            .spans(doc)
            .expect("spans")
            .into_iter()
            .filter(|s| s.layer == layla_layer)
            .collect();
        for (i, s) in spans.iter().enumerate() {
            if i % 5 != 4 {
                let label = if i % 3 == 0 {
                    "ACTOR"
                } else {
                    s.label.as_str()
                };
                store
                    .add_span(doc, omar, s.range, label, Origin::Manual)
                    .expect("omar's span");
            }
            let range = if i % 4 == 1 && s.range.len() > 1 {
                CharRange::new(s.range.start(), s.range.end() - 1).expect("range")
            } else {
                s.range
            };
            store
                .add_span(doc, sara, range, &s.label, Origin::Manual)
                .expect("sara's span");
        }
    }
    let layers: Vec<i64> = [layla, omar, sara]
        .iter()
        .map(|a| store.annotator_layer(*a).expect("layer"))
        .collect();
    let mut token_rows = Vec::new();
    for &doc in &docs {
        let text = store.document(doc).expect("document").text;
        let spans = store.spans(doc).expect("spans");
        let toks = tokens(&text);
        let per_layer: Vec<Vec<String>> = layers
            .iter()
            .map(|l| {
                let mine: Vec<_> = spans.iter().filter(|s| s.layer == *l).collect();
                token_labels(&toks, &mine)
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        token_rows.push(json!({ "doc": doc, "labels": per_layer }));
    }
    let pair = store.agreement(&layers[..2]).expect("agreement of two");
    let all = store.agreement(&layers).expect("agreement of three");
    let result = json!({
        "layers": ["layla", "omar", "sara"],
        "documents": token_rows,
        "kappa_layla_omar": pair.pairs[0].kappa,
        "kappa_layla_omar_per_label": pair.pairs[0].kappa_per_label,
        "alpha_all": all.alpha,
        "alpha_all_per_label": all.alpha_per_label,
    });
    let file = out.join("agreement.json");
    std::fs::write(&file, serde_json::to_string_pretty(&result).expect("json"))
        .expect("write agreement.json");
    println!(
        "agreement fixture: {} documents, {} tokens",
        all.documents, all.tokens
    );
    ExitCode::SUCCESS
}
