//! A million documents: importing them from a JSONL file with
//! `tawsim import --no-index`, indexing them for search afterwards, against
//! plain SQLite inserts of the same texts; then opening, searching,
//! `tawsim stats` and a jsonl export on the resulting project.
//!
//! Run with `cargo bench --bench million` (all of it, in one run) or
//! `cargo bench --bench million -- --measure PROJECT` (only the figures on
//! an existing project); figures go in BENCHMARKS.md. The input, 1,000,000
//! generated documents (`support::document`, real sentences) with two spans
//! each, is built once and cached under `target/bench-data/`; the projects
//! of a run are written to `target/bench-data/million/` and kept.
//!
//! 1. Documents visible: `tawsim import --no-index` into a fresh project,
//!    as a child process timed from start to exit, its memory sampled from
//!    `/proc/<pid>/status` every 50 ms (VmHWM is the kernel's peak).
//! 2. Search index complete: `Store::open`, then `index_queued` until
//!    nothing is left (what the app's background indexer does, in larger
//!    batches); the index's size is the file's growth, and per table from
//!    SQLite's `dbstat`.
//! 3. Plain SQLite: the same titles and texts read from the same file and
//!    inserted into a table without any index, one transaction, WAL.
//! 4. On the indexed project: `Store::open` + `App::new` + the first frame
//!    in a fresh process (this bench run again with `--startup`), memory
//!    after it; `tawsim stats` and `tawsim export --format jsonl` as child
//!    processes (time, peak memory, MB/s); `Store::search` for four queries.
//!
//! Frames while scrolling, filtering and typing a search on a million
//! documents come from `benches/project.rs` with `TAWSIM_BENCH_DOCS`.

mod support;

use std::hint::black_box;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::Store;
use tawsim::ui::App;

const DOCUMENTS: usize = 1_000_000;
/// Documents per `index_queued` call.
const INDEX_CALL: usize = 10_000;
/// Common, rarer, digits, without hamza; then a word in no document, and
/// «الالت», in no document either but made of common trigrams (every
/// document holding them all is a candidate to check).
const QUERIES: [&str; 6] = ["التي", "إسرائيل", "٢٠١٧", "ادلب", "زمبابوي", "الالت"];
/// Runs per query; the median is reported.
const SEARCH_RUNS: usize = 7;

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn tawsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
}

/// The argument after `flag`, if given.
fn arg_after(flag: &str) -> Option<PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    let k = args.iter().position(|a| a == flag)?;
    args.get(k + 1).map(PathBuf::from)
}

fn main() {
    if let Some(project) = arg_after("--startup") {
        startup(&project);
        return;
    }
    if let Some(project) = arg_after("--measure") {
        measure(&project);
        return;
    }
    let started = Instant::now();
    let input = support::jsonl(DOCUMENTS);
    let input_bytes = std::fs::metadata(&input).expect("input size").len();
    println!(
        "input: {} ({:.0} MB; ready in {:.1?})",
        input.display(),
        mb(input_bytes),
        started.elapsed()
    );
    let dir = input.parent().expect("bench-data").join("million");
    std::fs::create_dir_all(&dir).expect("a folder for the run");
    let project = dir.join("imported.tawsim");
    let plain = dir.join("plain.sqlite");
    for path in [&project, &plain] {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }

    // 1. Documents visible.
    let import = support::run_watched(
        tawsim()
            .args(["import", "--annotator", "bench", "--no-index", "--db"])
            .arg(&project)
            .arg(&input),
    );
    assert!(
        import.status.success(),
        "tawsim import failed: {}",
        import.status
    );
    let imported_size = support::sqlite_size(&project);
    println!(
        "million/import_no_index: visible after {:.1} s ({:.0} documents/s, {:.1} MB/s of JSONL); \
         peak VmHWM {:.0} MB, VmRSS {:.0} MB ({} samples); project {:.0} MB; report: {}",
        secs(import.wall),
        DOCUMENTS as f64 / secs(import.wall),
        mb(input_bytes) / secs(import.wall),
        import.peak_hwm_mb,
        import.peak_rss_mb,
        import.samples,
        mb(imported_size),
        import.stdout.lines().next().unwrap_or("")
    );

    // 2. Search index complete.
    let started = Instant::now();
    let mut store = Store::open(&project).expect("open the imported project");
    let opened = started.elapsed();
    let mut indexed = 0;
    let mut slowest_call = Duration::ZERO;
    loop {
        let call = Instant::now();
        let n = store.index_queued(INDEX_CALL).expect("index");
        slowest_call = slowest_call.max(call.elapsed());
        if n == 0 {
            break;
        }
        indexed += n;
        if indexed % 100_000 < INDEX_CALL {
            eprintln!("  indexed {indexed} in {:.1?}", started.elapsed());
        }
    }
    let coverage = store.search_coverage().expect("coverage");
    drop(store);
    let index_time = started.elapsed();
    let indexed_size = support::sqlite_size(&project);
    let hwm = support::memory_of("self").map_or(f64::NAN, |m| m.1);
    println!(
        "million/index: {indexed} documents indexed in {:.1} s (Store::open {:.0} ms, slowest call of \
         {INDEX_CALL} {:.1?}); coverage {}/{}; this process's VmHWM {hwm:.0} MB",
        secs(index_time),
        opened.as_secs_f64() * 1e3,
        slowest_call,
        coverage.searchable,
        coverage.documents,
    );
    println!(
        "million/size: project {:.0} MB after the import, {:.0} MB indexed: the index adds {:.0} MB",
        mb(imported_size),
        mb(indexed_size),
        mb(indexed_size.saturating_sub(imported_size)),
    );
    let tables = table_sizes(&project);
    let index_bytes: u64 = tables
        .iter()
        .filter(|(name, _)| name.starts_with("search_index") || name.starts_with("search_titles"))
        .map(|(_, n)| n)
        .sum();
    let docsize: i64 = rusqlite::Connection::open(&project)
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM search_index_docsize", [], |r| {
                r.get(0)
            })
        })
        .expect("count the index");
    println!(
        "million/size/dbstat: search_index* + search_titles* {:.0} MB ({docsize} rows in search_index_docsize); largest: {}",
        mb(index_bytes),
        tables
            .iter()
            .take(8)
            .map(|(name, n)| format!("{name} {:.0} MB", mb(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 3. Plain SQLite inserts of the same texts.
    let (plain_time, parse_time, rows) = plain_inserts(&input, &plain);
    let plain_size = support::sqlite_size(&plain);
    println!(
        "million/plain_sqlite: {rows} rows in {:.1} s (reading and parsing the JSONL {:.1} s of it), {:.0} MB",
        secs(plain_time),
        secs(parse_time),
        mb(plain_size)
    );
    println!(
        "million/ratios: visible / plain {:.2}; index build / plain {:.2}; visible + index / plain {:.2}; \
         index size / plain file {:.2}",
        secs(import.wall) / secs(plain_time),
        secs(index_time) / secs(plain_time),
        (secs(import.wall) + secs(index_time)) / secs(plain_time),
        index_bytes as f64 / plain_size as f64,
    );

    measure(&project);
}

/// Bytes per table and index of an SQLite file, largest first.
fn table_sizes(path: &Path) -> Vec<(String, u64)> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open for dbstat");
    let mut stmt = conn
        .prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        .expect("dbstat");
    stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })
    .expect("dbstat")
    .map(|r| r.expect("dbstat row"))
    .collect()
}

#[derive(serde::Deserialize)]
struct Line {
    title: String,
    text: String,
}

/// Read the JSONL and insert every title and text into a plain table, one
/// transaction; returns the whole time, the part spent reading and
/// parsing, and the rows.
fn plain_inserts(input: &Path, out: &Path) -> (Duration, Duration, usize) {
    let started = Instant::now();
    let mut conn = rusqlite::Connection::open(out).expect("a plain SQLite file");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE d (id INTEGER PRIMARY KEY, title TEXT, text TEXT);",
    )
    .expect("set up the plain file");
    let tx = conn.transaction().expect("transaction");
    let mut parse = Duration::ZERO;
    let mut rows = 0;
    {
        let mut insert = tx
            .prepare("INSERT INTO d (title, text) VALUES (?1, ?2)")
            .expect("insert");
        let reader =
            std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(input).expect("input"));
        for line in reader.lines() {
            let t = Instant::now();
            let line = line.expect("read a line");
            let doc: Line = serde_json::from_str(&line).expect("a JSON line");
            parse += t.elapsed();
            insert
                .execute(rusqlite::params![doc.title, doc.text])
                .expect("insert a row");
            rows += 1;
        }
    }
    tx.commit().expect("commit");
    drop(conn);
    (started.elapsed(), parse, rows)
}

/// The figures on an indexed project: start-up (fresh process), stats,
/// export, search.
fn measure(project: &Path) {
    println!(
        "project: {} ({:.0} MB)",
        project.display(),
        mb(support::sqlite_size(project))
    );
    let status = Command::new(std::env::current_exe().expect("this bench"))
        .arg("--startup")
        .arg(project)
        .status()
        .expect("run the start-up measurement");
    assert!(status.success(), "start-up measurement failed");

    let stats = support::run_watched(tawsim().args(["stats", "--db"]).arg(project));
    assert!(stats.status.success(), "tawsim stats failed");
    println!(
        "million/stats: `tawsim stats` {:.2} s, peak VmHWM {:.0} MB; first line: {}",
        secs(stats.wall),
        stats.peak_hwm_mb,
        stats.stdout.lines().next().unwrap_or("")
    );

    let out = project.with_file_name("export.jsonl");
    let export = support::run_watched(
        tawsim()
            .args(["export", "--format", "jsonl", "--force", "--db"])
            .arg(project)
            .arg("--out")
            .arg(&out),
    );
    assert!(export.status.success(), "tawsim export failed");
    let written = std::fs::metadata(&out).expect("export size").len();
    println!(
        "million/export_jsonl: {:.0} MB in {:.1} s = {:.1} MB/s ({:.1} MiB/s); peak VmHWM {:.0} MB, VmRSS {:.0} MB",
        mb(written),
        secs(export.wall),
        mb(written) / secs(export.wall),
        written as f64 / (1 << 20) as f64 / secs(export.wall),
        export.peak_hwm_mb,
        export.peak_rss_mb,
    );
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(tawsim::export::manifest_path(&out));

    let started = Instant::now();
    let store = Store::open(project).expect("open the project");
    println!("million/search/open: Store::open {:.1?}", started.elapsed());
    for query in QUERIES {
        let mut times = Vec::new();
        let mut hits = 0;
        let mut truncated = false;
        for _ in 0..SEARCH_RUNS {
            let t = Instant::now();
            let results = black_box(store.search(query, 50).expect("search"));
            times.push(t.elapsed());
            hits = results.hits.len();
            truncated = results.truncated;
        }
        let first = times[0];
        times.sort();
        println!(
            "million/search/{query}: median {:.1?} of {SEARCH_RUNS} (first {:.1?}, slowest {:.1?}), {hits} hits (truncated: {truncated})",
            times[SEARCH_RUNS / 2],
            first,
            times[SEARCH_RUNS - 1]
        );
        // A search that stops at its candidate budget: go on to the end, as
        // the search window does, stretch by stretch.
        let started = Instant::now();
        let mut results = store.search(query, 50).expect("search");
        let mut stretches = vec![started.elapsed()];
        let mut hits = results.hits.len();
        while let Some(resume) = results.resume {
            let t = Instant::now();
            results = store
                .search_from(query, 50 - hits, Some(resume))
                .expect("search on");
            stretches.push(t.elapsed());
            hits += results.hits.len();
        }
        if stretches.len() > 1 {
            println!(
                "million/search/{query}/to-the-end: {} stretches in {:.1?}, slowest stretch {:.1?}, {} candidates read, {hits} hits",
                stretches.len(),
                started.elapsed(),
                stretches.iter().max().copied().unwrap_or_default(),
                results.checked
            );
        }
    }
}

/// One frame of the app, tessellated as eframe would.
fn frame(ctx: &egui::Context, app: &mut App) -> Duration {
    let start = Instant::now();
    let output = ctx.run_ui(support::raw_input(), |ui| app.ui(ui));
    black_box(ctx.tessellate(output.shapes, output.pixels_per_point));
    start.elapsed()
}

fn open_app(path: &Path) -> App {
    let store = Store::open(path).expect("open the project");
    let settings = Settings {
        annotator: Some("layla".into()),
        ..Settings::default()
    };
    App::new(store, Schema::default_schema(), settings, None)
}

/// Start-up, in a process that has done nothing else (see `measure`).
fn startup(project: &Path) {
    let (rss0, _) = support::memory_of("self").unwrap_or_default();
    let start = Instant::now();
    let store = Store::open(project).expect("open the project");
    let opened = start.elapsed();
    let settings = Settings {
        annotator: Some("layla".into()),
        ..Settings::default()
    };
    let mut app = App::new(store, Schema::default_schema(), settings, None);
    let created = start.elapsed();
    let ctx = egui::Context::default();
    let first_frame = frame(&ctx, &mut app);
    let first = start.elapsed();
    let (rss, hwm) = support::memory_of("self").unwrap_or_default();
    // Frames until the list on screen is the answer for it.
    let mut frames = 1;
    let mut slowest = first_frame;
    while !app.browser().is_up_to_date() {
        slowest = slowest.max(frame(&ctx, &mut app));
        frames += 1;
        assert!(start.elapsed() < Duration::from_secs(60), "list never came");
    }
    let list = start.elapsed();
    let (rss_list, hwm_list) = support::memory_of("self").unwrap_or_default();
    println!(
        "million/startup (fresh process): Store::open {:.0} ms, + App::new {:.0} ms, + first frame {:.0} ms \
         (the frame {:.1} ms); list on screen after {:.0} ms ({frames} frames, slowest {:.1} ms, count {:?})",
        opened.as_secs_f64() * 1e3,
        created.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        first_frame.as_secs_f64() * 1e3,
        list.as_secs_f64() * 1e3,
        slowest.as_secs_f64() * 1e3,
        app.browser().shown_count().0,
    );
    println!(
        "million/startup/memory: after the first frame VmRSS {rss:.0} MB, VmHWM {hwm:.0} MB; \
         with the list VmRSS {rss_list:.0} MB, VmHWM {hwm_list:.0} MB (process start {rss0:.0} MB)"
    );
    drop(app);
    drop(ctx);
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut app = open_app(project);
            let ctx = egui::Context::default();
            frame(&ctx, &mut app);
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "million/startup (median of 5, warm, same process): first frame after {:.0} ms",
        times[2].as_secs_f64() * 1e3
    );
}
