//! Speed of suggestions (issue 13): every recogniser on the sample
//! article (target under 5 ms), and `tawsim suggest` headless over the
//! generated project of 100,000 documents (target under 2 minutes).
//!
//! Run with `cargo bench --bench suggest` (figures go in BENCHMARKS.md);
//! `TAWSIM_BENCH_DOCS` sets the size of the generated project (default
//! 100,000 documents, see `support::project`); `-- --article` measures the
//! article only.
//!
//! 1. The sample article: [`tawsim::suggest::suggest`] with all five
//!    recognisers (the project matcher learnt from the article's own words
//!    as a project would have accepted them), 300 runs after 20 warm-up
//!    runs; then each recogniser alone. Median and 95th percentile.
//! 2. The project: a copy of the generated project, then `tawsim suggest
//!    --db COPY --recognisers date,casualty,place,actor` as a child process
//!    (the release binary), timed from spawn to exit with its peak memory,
//!    its summary line printed; a second run, which finds every document
//!    unchanged; then a run with all five recognisers. The generated
//!    project's annotator layer labels every sixth word of one document in
//!    ten with a label picked in turn; the project matcher reads those
//!    documents and finds each such word passed by untagged more often
//!    than tagged, so it suggests none of them (before it counted words
//!    passed by, it suggested about 47 per document).

mod support;

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use tawsim::suggest::project::Matcher;
use tawsim::suggest::{Recogniser, suggest};

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

fn timed(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..20 {
        f();
    }
    let mut out: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    out.sort();
    out
}

fn article() {
    let mut matcher = Matcher::new();
    for (text, label) in [
        ("إدلب", "PLACE"),
        ("قوات الأسد", "ACTOR"),
        ("الدفاع المدني", "ACTOR"),
        ("معرة النعمان", "PLACE"),
    ] {
        matcher.add(text, label, 3, 1);
    }
    let found = suggest(ARTICLE, &Recogniser::ALL, Some(&matcher));
    let mut labels = std::collections::BTreeMap::<&str, usize>::new();
    for s in &found {
        *labels.entry(s.label.as_str()).or_default() += 1;
    }
    println!(
        "sample article: {} characters, {} suggestions {labels:?}",
        ARTICLE.chars().count(),
        found.len()
    );
    let all = timed(300, || {
        black_box(suggest(
            black_box(ARTICLE),
            &Recogniser::ALL,
            Some(&matcher),
        ));
    });
    println!(
        "  all recognisers: median {}, p95 {} (target < 5 ms)",
        support::ms(support::quantile(&all, 0.5)),
        support::ms(support::quantile(&all, 0.95))
    );
    for r in Recogniser::ALL {
        let one = timed(300, || {
            black_box(suggest(black_box(ARTICLE), &[r], Some(&matcher)));
        });
        println!(
            "  {:9} median {}, p95 {}",
            r.as_str(),
            support::ms(support::quantile(&one, 0.5)),
            support::ms(support::quantile(&one, 0.95))
        );
    }
}

fn project() {
    let n: usize = std::env::var("TAWSIM_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let source = support::project(n);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = dir.path().join("suggest.tawsim");
    std::fs::copy(&source, &copy).expect("copy the generated project");
    let db = copy.to_str().expect("a UTF-8 path");
    let builtin = ["--recognisers", "date,casualty,place,actor"];
    for (run, extra) in [
        ("built-in recognisers, first run", &builtin[..]),
        (
            "built-in recognisers, second run (nothing changed)",
            &builtin[..],
        ),
        (
            "all five recognisers (the matcher learns layla's layer)",
            &[][..],
        ),
    ] {
        let started = Instant::now();
        let watched = support::run_watched(
            Command::new(env!("CARGO_BIN_EXE_tawsim"))
                .args(["suggest", "--db", db])
                .args(extra)
                .env("USER", "bench"),
        );
        let wall = started.elapsed();
        assert!(watched.status.success(), "tawsim suggest failed");
        println!(
            "tawsim suggest, {n} documents, {run}: {:.1} s (target < 120 s), peak memory {:.0} MB",
            wall.as_secs_f64(),
            watched.peak_hwm_mb
        );
        print!("  {}", watched.stdout);
    }
    println!(
        "  project file after: {:.0} MB",
        support::sqlite_size(&copy) as f64 / 1e6
    );
}

fn main() {
    let article_only = std::env::args().any(|a| a == "--article");
    article();
    if !article_only {
        project();
    }
}
