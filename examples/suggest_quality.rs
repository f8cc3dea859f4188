//! Precision and recall of the DATE and CASUALTY recognisers on the
//! hand-made gold sets (tests/data/suggest-gold), as the Markdown table in
//! QUALITY.md. `--errors` also lists the missed gold spans and the wrong
//! suggestions.
//!
//! `--dev` measures the CASUALTY development set instead
//! (tests/data/suggest-dev, README there): the sentences the recogniser may
//! be tuned on, kept apart from the held-out gold so that no figure QUALITY.md
//! reports as the measure comes from data a rule was written from. With
//! `--dev`, `--errors` lists the dev misses and false alarms, and nothing of
//! the held-out set is printed.
//!
//! It also times the two recognisers on the sample article (the mean of 200
//! runs; a figure for BENCHMARKS-style reading, not a test).
//!
//! Run: `cargo run --release --example suggest_quality [-- [--dev] [--errors]]`.

#[path = "../tests/suggest_gold/mod.rs"]
mod suggest_gold;

use std::process::ExitCode;

use suggest_gold::{Doc, HELD_OUT, LABELS, SAMPLE, errors, load, score};
use tawsim::suggest::{Recogniser, suggest};

/// The CASUALTY development set: for tuning only, never the reported measure.
const DEV: &str = "tests/data/suggest-dev/newsfane-conflict-dev.jsonl";

const HEADER: &str = "| gold set | label | gold spans | suggested | exact P | exact R | overlap P | overlap R | attributes agree (overlapping CASUALTY pairs) |\n|---|---|---|---|---|---|---|---|---|";

fn table(name: &str, docs: &[Doc], labels: &[&str]) {
    for &label in labels {
        let s = score(docs, label);
        let attrs = if label == "CASUALTY" {
            format!(
                "count {}/{}, kind {}/{}",
                s.count_ok, s.pairs, s.kind_ok, s.pairs
            )
        } else {
            "—".to_owned()
        };
        println!(
            "| {name} | {label} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {attrs} |",
            s.gold,
            s.suggested,
            s.exact_p(),
            s.exact_r(),
            s.overlap_p(),
            s.overlap_r()
        );
    }
}

/// Print the misses and false alarms of `labels` in `docs`.
fn print_errors(docs: &[Doc], labels: &[&str]) {
    let keep = |line: &String| labels.iter().any(|l| line.contains(&format!("\t{l}\t")));
    let (missed, wrong) = errors(docs);
    let missed: Vec<String> = missed.into_iter().filter(keep).collect();
    let wrong: Vec<String> = wrong.into_iter().filter(keep).collect();
    println!("\nmissed ({}):", missed.len());
    for m in missed {
        println!("  {m}");
    }
    println!("\nwrong ({}):", wrong.len());
    for w in wrong {
        println!("  {w}");
    }
}

/// The dev set's CASUALTY figures (it has no DATE spans).
fn dev(show_errors: bool) -> ExitCode {
    let docs = match load(DEV) {
        Ok(docs) => docs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{HEADER}");
    table("newsfane-conflict-dev.jsonl (dev)", &docs, &["CASUALTY"]);
    if show_errors {
        print_errors(&docs, &["CASUALTY"]);
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let show_errors = std::env::args().any(|a| a == "--errors");
    if std::env::args().any(|a| a == "--dev") {
        return dev(show_errors);
    }
    let mut held = Vec::new();
    let mut sets = Vec::new();
    for file in HELD_OUT.into_iter().chain([SAMPLE]) {
        match load(file) {
            Ok(docs) => sets.push((file, docs)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{HEADER}");
    for (file, docs) in &sets {
        let name = file.rsplit('/').next().unwrap_or(file);
        table(name, docs, &LABELS);
    }
    let mut held_sample = Vec::new();
    for (file, docs) in sets {
        if file == SAMPLE {
            held_sample = docs;
        } else {
            held.extend(docs);
        }
    }
    table("**held-out total**", &held, &LABELS);
    // Time of the two recognisers on the sample article (release build).
    if let Some(doc) = held_sample.first() {
        let rounds = 200;
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            let out = suggest(
                std::hint::black_box(&doc.text),
                &[Recogniser::Date, Recogniser::Casualty],
                None,
            );
            std::hint::black_box(out);
        }
        let per = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
        println!("\nDATE + CASUALTY on the sample article: {per:.3} ms per run (mean of {rounds})");
    }
    if show_errors {
        print_errors(&held, &LABELS);
    }
    ExitCode::SUCCESS
}
