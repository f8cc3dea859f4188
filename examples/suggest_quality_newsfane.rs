//! PLACE and ACTOR suggestion quality on NewsFANE Gold: precision and recall,
//! exact and overlap, of the bundled PLACE and ACTOR recognisers against the
//! gold spans mapped with the bundled NewsFANE label map (GPE/LOC/FAC →
//! PLACE, PER/ORG → ACTOR; vehicles, weapons and products dropped).
//!
//! Neither recogniser was built from NewsFANE: their lists come from GeoNames,
//! the CLDR and lists written for the project (assets/gazetteer/README.md).
//!
//! - exact: a suggestion counts when a gold span of its label has the same
//!   range; recall counts gold spans with such a suggestion.
//! - overlap: a suggestion counts when it overlaps a gold span of its label;
//!   recall counts gold spans overlapped by a suggestion of their label.
//!
//! Each NewsFANE sentence is one document (its tokens joined by spaces, as
//! the CoNLL importer rebuilds it). The figures are given for the first half
//! of the sentences (`dev`: the only part whose errors were looked at, with
//! `--misses`, while writing the rules), the second half (`held-out`: never
//! looked at) and all. Prints a Markdown table for QUALITY.md.
//!
//! `cargo run --release --example suggest_quality_newsfane [-- NEWSFANE_FILE] [--misses N]`

use std::process::ExitCode;
use std::time::Instant;

use tawsim::io::conll::parse_conll;
use tawsim::io::labelmap::{LabelMap, Mapped};
use tawsim::model::CharRange;
use tawsim::suggest::{Recogniser, suggest};

#[derive(Default)]
struct Tally {
    predicted: usize,
    gold: usize,
    exact_p: usize,
    exact_r: usize,
    overlap_p: usize,
    overlap_r: usize,
}

fn ratio(n: usize, d: usize) -> String {
    if d == 0 {
        "—".into()
    } else {
        format!("{:.3}", n as f64 / d as f64)
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut path = "tests/data/newsfane/NewsFANE_Gold_2014_170K.txt".to_owned();
    let mut misses = 0usize;
    while let Some(a) = args.next() {
        if a == "--misses" {
            misses = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
        } else {
            path = a;
        }
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read NewsFANE ({e}): {path}");
            return ExitCode::FAILURE;
        }
    };
    let read = parse_conll(&bytes, &path, "gold", 1);
    if !read.problems.is_empty() {
        eprintln!("{} NewsFANE sentences did not parse", read.problems.len());
    }
    let map = LabelMap::newsfane();
    let labels = ["PLACE", "ACTOR"];
    // [part][label]: part 0 dev, 1 held-out.
    let mut tally: [[Tally; 2]; 2] = Default::default();
    let half = read.records.len() / 2;
    let mut shown = [0usize; 2];
    let started = Instant::now();
    let mut chars_total = 0usize;
    for (n, rec) in read.records.iter().enumerate() {
        let part = usize::from(n >= half);
        let text = &rec.doc.text;
        chars_total += text.chars().count();
        let gold: Vec<(CharRange, &str)> = rec
            .spans
            .iter()
            .filter_map(|s| match map.apply(&s.label) {
                Mapped::Label(l) if labels.contains(&l) => {
                    CharRange::new(s.start, s.end).ok().map(|r| (r, l))
                }
                _ => None,
            })
            .collect();
        let got = suggest(text, &[Recogniser::Place, Recogniser::Actor], None);
        for (k, label) in labels.iter().enumerate() {
            let g: Vec<CharRange> = gold.iter().filter(|x| x.1 == *label).map(|x| x.0).collect();
            let p: Vec<CharRange> = got
                .iter()
                .filter(|s| s.label == *label)
                .map(|s| s.range)
                .collect();
            let t = &mut tally[part][k];
            t.gold += g.len();
            t.predicted += p.len();
            t.exact_p += p.iter().filter(|r| g.contains(r)).count();
            t.exact_r += g.iter().filter(|r| p.contains(r)).count();
            t.overlap_p += p
                .iter()
                .filter(|r| g.iter().any(|x| x.overlaps(**r)))
                .count();
            t.overlap_r += g
                .iter()
                .filter(|r| p.iter().any(|x| x.overlaps(**r)))
                .count();
            if misses > 0 && part == 0 {
                let chars: Vec<char> = text.chars().collect();
                let cut = |r: &CharRange| chars[r.as_range()].iter().collect::<String>();
                for r in p.iter().filter(|r| !g.iter().any(|x| x.overlaps(**r))) {
                    if shown[k] < misses {
                        shown[k] += 1;
                        println!("false {label}: «{}» in: {}", cut(r), text);
                    }
                }
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "NewsFANE Gold: {} sentences, {} characters; suggestions in {:.2} s",
        read.records.len(),
        chars_total,
        elapsed.as_secs_f64()
    );
    // Speed on the sample article: PLACE, ACTOR and the project matcher
    // (the gazetteers are already parsed by the loop above).
    if let Ok(article) = std::fs::read_to_string("assets/samples/idlib-ceasefire-ar.txt") {
        let set = [Recogniser::Place, Recogniser::Actor, Recogniser::Project];
        let mut matcher = tawsim::suggest::project::Matcher::new();
        for (text, label) in [("منسقو الاستجابة", "ACTOR"), ("الصرمان", "PLACE")]
        {
            matcher.add(text, label, 3, 0);
        }
        let mut times: Vec<f64> = (0..200)
            .map(|_| {
                let t = Instant::now();
                let n = suggest(&article, &set, Some(&matcher)).len();
                std::hint::black_box(n);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "sample article ({} characters): PLACE+ACTOR+project median {:.3} ms, max {:.3} ms over 200 runs",
            article.chars().count(),
            times[100],
            times[199]
        );
    }
    println!();
    println!(
        "| label | part | gold spans | suggested | precision (exact) | recall (exact) | precision (overlap) | recall (overlap) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    let rows = [("dev", 0..1), ("held-out", 1..2), ("all", 0..2)];
    for (k, label) in labels.iter().enumerate() {
        for (name, parts) in rows.clone() {
            let mut t = Tally::default();
            for p in parts {
                let x = &tally[p][k];
                t.gold += x.gold;
                t.predicted += x.predicted;
                t.exact_p += x.exact_p;
                t.exact_r += x.exact_r;
                t.overlap_p += x.overlap_p;
                t.overlap_r += x.overlap_r;
            }
            row(label, name, &t);
        }
    }
    ExitCode::SUCCESS
}

fn row(label: &str, part: &str, t: &Tally) {
    {
        println!(
            "| {label} | {part} | {} | {} | {} | {} | {} | {} |",
            t.gold,
            t.predicted,
            ratio(t.exact_p, t.predicted),
            ratio(t.exact_r, t.gold),
            ratio(t.overlap_p, t.predicted),
            ratio(t.overlap_r, t.gold),
        );
    }
}
