//! Builds the two interop fixture projects and exports each in every format,
//! for `scripts/interop.sh` (the Python checks read what this writes).
//!
//! `cargo run --example export_fixtures -- OUT_DIR [NEWSFANE_FILE]` writes
//! `OUT_DIR/{sample,newsfane}.tawsim` and, for each, `OUT_DIR/<name>/` with
//! `export.jsonl`, `brat/`, `export.conll`, `hf/` (a dataset folder),
//! `spacy/` (`data.spacy`, a DocBin), `export.csv` and their manifests. The
//! sample project is the bundled article tagged by `layla`
//! (tests/export_fixture); NewsFANE is read from its CoNLL file into layer
//! `newsfane`. An existing OUT_DIR is replaced.

use std::path::PathBuf;
use std::process::ExitCode;

use tawsim::export::{ExportOptions, Format, export};
use tawsim::store::Store;

#[path = "../tests/export_fixture/mod.rs"]
mod export_fixture;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: export_fixtures OUT_DIR [NEWSFANE_FILE]");
        return ExitCode::from(2);
    };
    let newsfane = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/newsfane/NewsFANE_Gold_2014_170K.txt")
    });
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("remove the old fixture folder");
    }
    std::fs::create_dir_all(&out).expect("create the fixture folder");

    let sample = out.join("sample.tawsim");
    export_fixture::sample_project(&sample);
    let spans = export_fixture::newsfane_project(&out.join("newsfane.tawsim"), &newsfane);
    println!("NewsFANE: {spans} spans");

    for (name, layer) in [("sample", "layla"), ("newsfane", "newsfane")] {
        let store = Store::open(&out.join(format!("{name}.tawsim"))).expect("open fixture");
        let dir = out.join(name);
        std::fs::create_dir_all(&dir).expect("create export folder");
        for (format, file) in [
            (Format::Jsonl, "export.jsonl"),
            (Format::Brat, "brat"),
            (Format::Conll, "export.conll"),
            (Format::Hf, "hf"),
            (Format::Spacy, "spacy"),
            (Format::Csv, "export.csv"),
        ] {
            let opts = ExportOptions {
                layer: layer.to_owned(),
                ..ExportOptions::new(format, dir.join(file))
            };
            match export(&store, &opts) {
                Ok(m) => {
                    let policies: Vec<String> = m
                        .policies
                        .iter()
                        .map(|(k, p)| format!("{k}={}", p.count))
                        .collect();
                    println!(
                        "{name} {format}: {} documents, {} spans [{}]",
                        m.documents,
                        m.spans,
                        policies.join(", ")
                    );
                }
                Err(e) => {
                    eprintln!("error: {name} {format}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}
