//! Merging three annotators' project files into the lead's project while
//! the lead keeps working in it (issue 11's speed target).
//!
//! Run with `cargo bench --bench merge` (figures go in BENCHMARKS.md);
//! `TAWSIM_BENCH_DOCS` sets the size of the generated project (default
//! 100,000 documents, about 1.6 M spans in two layers). With `-- --stages`
//! it instead merges the three files in this process, without a window,
//! and prints when each stage of each merge began (`MergeStage`), to see
//! where the time goes; with `-- --prepare` it only builds the inputs.
//!
//! The inputs, built once from the generated project (`support::project`)
//! and cached under `target/bench-data/merge-<n>-f<fixture>-s<schema>/`:
//!
//! - `lead.tawsim`: the generated project without any span (its documents,
//!   annotator `layla` and the layers `model` and `layla`, all empty);
//! - `amal.tawsim`, `badr.tawsim`, `dina.tawsim`: each a copy of the
//!   generated project keeping the spans of the documents whose id modulo 3
//!   is 0, 1, 2, in both layers. Each file is one person's work: its spans
//!   get fresh uids, its annotator (`layla` in the generated project) a
//!   fresh uid and the person's name, their layer too, and every span a
//!   `span.add` audit event (fresh uid, the span's time, its annotator, the
//!   span's row as `after`, as `Store::add_span` writes it). The `model`
//!   layer keeps its uid, so the three files' model spans meet in the
//!   lead's `model` layer, as pre-annotations shipped with a project do.
//!
//! The files are made with SQL on copies: a project refuses to remove a
//! span or to change a uid (schema 5 triggers), so those triggers are
//! dropped on the copy for the edit and created again from their own SQL
//! before the copy is vacuumed and moved in place.
//!
//! Then, on a fresh copy of the lead's project:
//!
//! 1. The window (`support::Window`, as in `benches/lock.rs`: its own
//!    connection with `Store::wait_briefly_for_lock`, one action per
//!    16.7 ms frame on document 1, tag a word then delete it, refused
//!    actions retried the next frame) runs 5 s alone: the baseline.
//! 2. `tawsim merge --db LEAD amal badr dina` runs as a child process, timed
//!    from spawn to exit, its `VmRSS`/`VmHWM` sampled every 50 ms, its
//!    report lines timestamped as they arrive (one report per file, printed
//!    as that file's merge ends). Meanwhile the window keeps working, and
//!    once a second it reads the spans of documents 3, 4 and 5 (one from
//!    each file): each must show none or all of its file's spans.
//! 3. The result is checked: the lead holds every span and `span.add`
//!    event of the three files (by count, under unique uids), under three
//!    new annotators; a second `tawsim merge` of the first file reports
//!    nothing new.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, params};
use tawsim::store::Store;
use tawsim::store::merge::MergeStage;

use support::NEW_UID;

/// The three annotators; file `k` holds the spans of documents `id % 3 == k`.
const NAMES: [&str; 3] = ["amal", "badr", "dina"];
/// The lead, who runs the merge and works in the window.
const LEAD: &str = "layla";
/// The document the window tags.
const WINDOW_DOC: i64 = 1;
/// Documents whose visible spans the window checks, one from each file.
const PROBES: [i64; 3] = [3, 4, 5];
/// Bumped whenever the files made here change, so old ones are not reused.
const FIXTURE: u32 = 2;
/// How long the window works alone before the merge.
const BASELINE: Duration = Duration::from_secs(5);
/// Frames between two checks of what the window's connection sees.
const CHECK_EVERY: usize = 60;
/// The merge target of issue 11.
const TARGET: Duration = Duration::from_secs(60);

/// Documents in the generated project: `TAWSIM_BENCH_DOCS`, default 100,000.
fn documents() -> usize {
    std::env::var("TAWSIM_BENCH_DOCS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// The cached inputs.
struct Fixture {
    lead: PathBuf,
    files: Vec<PathBuf>,
}

/// What one annotator's file holds.
#[derive(Debug, Clone, Copy, Default)]
struct Held {
    spans: i64,
    annotator_spans: i64,
    events: i64,
    span_adds: i64,
    /// Live spans of its probe document.
    probe: i64,
}

fn fixture(n: usize) -> Fixture {
    let dir = support::project_path(n)
        .parent()
        .expect("a bench-data folder")
        .join(format!(
            "merge-{n}-f{FIXTURE}-s{}",
            tawsim::store::SCHEMA_VERSION
        ));
    let lead = dir.join("lead.tawsim");
    let files: Vec<PathBuf> = NAMES
        .iter()
        .map(|name| dir.join(format!("{name}.tawsim")))
        .collect();
    if lead.exists() && files.iter().all(|f| f.exists()) {
        return Fixture { lead, files };
    }
    std::fs::create_dir_all(&dir).expect("create the merge fixture folder");
    let started = Instant::now();
    let base = support::project(n);
    println!(
        "generated project: {} (ready in {:.1?})",
        base.display(),
        started.elapsed()
    );
    if !lead.exists() {
        let started = Instant::now();
        build(&base, &lead, |conn| {
            conn.execute_batch("DELETE FROM spans;")
                .expect("remove the spans");
        });
        println!("built {} in {:.1?}", lead.display(), started.elapsed());
    }
    for (k, (name, file)) in NAMES.iter().zip(&files).enumerate() {
        if file.exists() {
            continue;
        }
        let started = Instant::now();
        build(&base, file, |conn| one_persons_work(conn, k, name));
        println!("built {} in {:.1?}", file.display(), started.elapsed());
    }
    Fixture { lead, files }
}

/// Copy `base` to `path` with `edit` applied in one transaction, with the
/// triggers that protect spans and uids dropped for the edit and created
/// again after it (a bench fixture only: a project never removes a span).
fn build(base: &Path, path: &Path, edit: impl FnOnce(&Connection)) {
    const UNGUARDED: [&str; 4] = [
        "spans_are_never_removed",
        "spans_uid_is_immutable",
        "annotators_uid_is_immutable",
        "layers_uid_is_immutable",
    ];
    let building = path.with_extension("building");
    let _ = std::fs::remove_file(&building);
    std::fs::copy(base, &building).expect("copy the generated project");
    let mut conn = Connection::open(&building).expect("open the copy");
    // No row of the generated project refers to a span (no span events, no
    // source spans), and with foreign keys on (rusqlite's bundled SQLite
    // default) each removed span would scan `audit.span_id` and
    // `spans.source_span_id`, which have no index.
    conn.pragma_update(None, "foreign_keys", false)
        .expect("foreign keys off for the edit");
    let tx = conn.transaction().expect("transaction");
    let mut guards = Vec::new();
    for name in UNGUARDED {
        let sql: String = tx
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("trigger {name} of schema 5: {e}"));
        tx.execute_batch(&format!("DROP TRIGGER {name};"))
            .expect("drop a trigger");
        guards.push(sql);
    }
    edit(&tx);
    for sql in guards {
        tx.execute_batch(&sql).expect("create a trigger again");
    }
    tx.commit().expect("commit the fixture");
    conn.execute_batch("VACUUM;").expect("vacuum the fixture");
    drop(conn);
    std::fs::rename(&building, path).expect("move the fixture in place");
}

/// A span's uid: UUID v7 of the time it was tagged (`id` seconds into 2026).
const TIMED_UID: &str = "unhex(printf('%012X', (1767225600 + id) * 1000) \
     || '7' || substr(hex(randomblob(2)), 2) || printf('%X', 8 + abs(random() % 4)) \
     || substr(hex(randomblob(8)), 2))";
/// Its `span.add` event's uid: the same time (the event is written with it).
const EVENT_UID: &str = "unhex(printf('%012X', (1767225600 + s.id) * 1000) \
     || '7' || substr(hex(randomblob(2)), 2) || printf('%X', 8 + abs(random() % 4)) \
     || substr(hex(randomblob(8)), 2))";

/// Turn a copy of the generated project into annotator `name`'s file: the
/// spans of documents `id % 3 == k`, with fresh uids and a `span.add` event
/// each; annotator `layla` and their layer become `name`, with fresh uids.
fn one_persons_work(conn: &Connection, k: usize, name: &str) {
    conn.execute("DELETE FROM spans WHERE doc_id % 3 <> ?1", [k as i64])
        .expect("keep a third of the spans");
    // Uids as tawsim makes them, UUID v7 of the time of tagging: span `id`
    // tagged `id` seconds into 2026 (the three people worked over the same
    // weeks, so their uids interleave), random bits after the time.
    conn.execute_batch(&format!(
        "UPDATE spans SET uid = {TIMED_UID},
             created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + id, 'unixepoch'),
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + id, 'unixepoch');"
    ))
    .expect("fresh span uids");
    let annotator: i64 = conn
        .query_row(
            &format!(
                "UPDATE annotators SET uid = {NEW_UID}, name = ?1, given_name = ?1
                 WHERE name = 'layla' RETURNING id"
            ),
            [name],
            |r| r.get(0),
        )
        .expect("rename the annotator");
    conn.execute(
        &format!(
            "UPDATE layers SET uid = {NEW_UID}, name = ?1
             WHERE kind = 'annotator' AND annotator_id = ?2"
        ),
        params![name, annotator],
    )
    .expect("rename the annotator's layer");
    // The audit row `Store::add_span` writes (see `span_json`).
    conn.execute_batch(&format!(
        "INSERT INTO audit (uid, at, actor, action, doc_id, span_id, before, after)
         SELECT {EVENT_UID}, s.created_at, s.annotator_id, 'span.add', s.doc_id, s.id, 'null',
                json_object('id', s.id, 'doc', s.doc_id, 'annotator', s.annotator_id,
                    'layer', s.layer_id, 'start', s.start, 'end', s.\"end\", 'label', s.label,
                    'text', s.text, 'origin', s.origin, 'attrs', json(s.attrs), 'note', s.note,
                    'score', s.score, 'model', s.model, 'schema_version', s.schema_version,
                    'source_span', s.source_span_id, 'deleted_at', s.deleted_at)
         FROM spans s ORDER BY s.id;"
    ))
    .expect("a span.add event per span");
}

/// What annotator file `k` at `path` holds.
fn held(path: &Path, k: usize) -> Held {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open an annotator's file");
    let count = |sql: &str| -> i64 {
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    Held {
        spans: count("SELECT count(*) FROM spans"),
        annotator_spans: count(
            "SELECT count(*) FROM spans s JOIN layers l ON l.id = s.layer_id WHERE l.kind = 'annotator'",
        ),
        events: count("SELECT count(*) FROM audit"),
        span_adds: count("SELECT count(*) FROM audit WHERE action = 'span.add'"),
        probe: count(&format!(
            "SELECT count(*) FROM spans WHERE doc_id = {} AND deleted_at IS NULL",
            PROBES[k]
        )),
    }
}

/// A fresh copy of the lead's project in `dir`.
fn fresh_lead(fixture: &Fixture, dir: &Path) -> PathBuf {
    let lead = dir.join("lead.tawsim");
    std::fs::copy(&fixture.lead, &lead).expect("copy the lead's project");
    lead
}

fn tawsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
}

/// How the child merge ran.
struct Merged {
    wall: Duration,
    status: std::process::ExitStatus,
    /// (time since spawn, line) of its standard output.
    lines: Vec<(Duration, String)>,
    stderr: String,
    /// (time since spawn, VmRSS MB, VmHWM MB), every 50 ms.
    memory: Vec<(Duration, f64, f64)>,
}

/// `tawsim merge --db lead files…` as a child process while the window
/// works; what the window saw of the probe documents goes to `seen`.
fn merge_with_window(
    lead: &Path,
    files: &[PathBuf],
    window: &mut support::Window,
    seen: &mut Vec<[usize; 3]>,
) -> (Merged, support::Frames) {
    let started = Instant::now();
    let mut child = tawsim()
        .args(["merge", "--annotator", LEAD, "--db"])
        .arg(lead)
        .args(files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tawsim merge");
    let stdout = child.stdout.take().expect("piped standard output");
    let lines = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .map(|line| (started.elapsed(), line))
            .collect::<Vec<_>>()
    });
    let mut stderr_pipe = child.stderr.take().expect("piped standard error");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let pid = child.id().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match support::memory_of(&pid) {
                    Some((rss, hwm)) => samples.push((started.elapsed(), rss, hwm)),
                    None => break,
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            samples
        })
    };
    let mut exit = None;
    let frames = window.frames(
        || {
            exit = child.try_wait().expect("wait for the merge");
            exit.is_some()
        },
        CHECK_EVERY,
        |store| seen.push(probe_counts(store)),
    );
    let wall = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let merged = Merged {
        wall,
        status: exit.expect("the merge ended"),
        lines: lines.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        memory: sampler.join().unwrap_or_default(),
    };
    (merged, frames)
}

/// Live spans the window's connection sees in each probe document.
fn probe_counts(store: &Store) -> [usize; 3] {
    PROBES.map(|doc| store.spans(doc).expect("read a probe document").len())
}

/// The figures of the merge per file: when its report came, and the
/// largest RSS sampled while it ran.
fn per_file(merged: &Merged, files: &[PathBuf]) {
    let ends: Vec<Duration> = merged
        .lines
        .iter()
        .filter(|(_, l)| l.starts_with("merged "))
        .map(|(t, _)| *t)
        .collect();
    let mut from = Duration::ZERO;
    for (k, file) in files.iter().enumerate() {
        let Some(&end) = ends.get(k) else { break };
        let in_file = merged
            .memory
            .iter()
            .filter(|(t, _, _)| *t >= from && *t <= end);
        let peak_rss = in_file.clone().map(|s| s.1).fold(0.0, f64::max);
        let hwm_at_end = in_file.map(|s| s.2).fold(0.0, f64::max);
        println!(
            "merge/file {}: {:.1} s (ends at {:.1} s), peak VmRSS while it ran {:.0} MB, VmHWM at its end {:.0} MB",
            file.file_name().and_then(|f| f.to_str()).unwrap_or("?"),
            (end - from).as_secs_f64(),
            end.as_secs_f64(),
            peak_rss,
            hwm_at_end,
        );
        from = end;
    }
    if let Some(&last) = ends.last() {
        println!(
            "merge/after the last report: {:.2} s to exit",
            (merged.wall.saturating_sub(last)).as_secs_f64()
        );
    }
    // RSS over the run, a sample every tenth of it.
    let mut line = String::from("merge/VmRSS over the run (MB):");
    let n = merged.memory.len();
    for k in 0..=10 {
        if let Some((t, rss, _)) = merged.memory.get((n.saturating_sub(1) * k) / 10) {
            line.push_str(&format!(" {:.0}s:{rss:.0}", t.as_secs_f64()));
        }
    }
    println!("{line}");
}

/// Counts in the lead after the merge: (spans not the lead's, `span.add`
/// events not the lead's, annotators named like the three).
fn lead_counts(lead: &Path) -> (i64, i64, i64) {
    let conn = Connection::open_with_flags(lead, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the lead's project");
    let layla: i64 = conn
        .query_row("SELECT id FROM annotators WHERE name = ?1", [LEAD], |r| {
            r.get(0)
        })
        .expect("the lead");
    let spans = conn
        .query_row(
            "SELECT count(*) FROM spans WHERE annotator_id <> ?1",
            [layla],
            |r| r.get(0),
        )
        .expect("count spans");
    let events = conn
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'span.add' AND actor <> ?1",
            [layla],
            |r| r.get(0),
        )
        .expect("count events");
    let people = conn
        .query_row(
            "SELECT count(*) FROM annotators WHERE given_name IN (?1, ?2, ?3)",
            params![NAMES[0], NAMES[1], NAMES[2]],
            |r| r.get(0),
        )
        .expect("count annotators");
    (spans, events, people)
}

fn main() {
    let n = documents();
    let fixture = fixture(n);
    let held: Vec<Held> = fixture
        .files
        .iter()
        .enumerate()
        .map(|(k, f)| held(f, k))
        .collect();
    for ((name, h), file) in NAMES.iter().zip(&held).zip(&fixture.files) {
        println!(
            "input {name}: {} spans ({} in the annotator's layer), {} audit events ({} span.add), {:.0} MB",
            h.spans,
            h.annotator_spans,
            h.events,
            h.span_adds,
            support::sqlite_size(file) as f64 / 1e6
        );
    }
    let total_spans: i64 = held.iter().map(|h| h.spans).sum();
    let total_adds: i64 = held.iter().map(|h| h.span_adds).sum();
    println!(
        "input in all: {n} documents in each file, {total_spans} spans, {} audit events ({total_adds} span.add); lead {:.0} MB",
        held.iter().map(|h| h.events).sum::<i64>(),
        support::sqlite_size(&fixture.lead) as f64 / 1e6
    );

    if std::env::args().any(|a| a == "--prepare") {
        return;
    }
    let dir = tempfile::tempdir_in(fixture.lead.parent().expect("fixture folder"))
        .expect("a temporary folder");
    let lead = fresh_lead(&fixture, dir.path());

    if std::env::args().any(|a| a == "--stages") {
        stages(&lead, &fixture.files);
        return;
    }

    let mut window = support::Window::open(&lead, WINDOW_DOC, LEAD);
    let started = Instant::now();
    let baseline = window.frames(|| started.elapsed() >= BASELINE, 0, |_| {});
    baseline.report("merge/window baseline", started.elapsed());

    let mut seen = Vec::new();
    let (merged, during) = merge_with_window(&lead, &fixture.files, &mut window, &mut seen);
    let reports: String = merged
        .lines
        .iter()
        .map(|(_, l)| format!("  | {l}\n"))
        .collect();
    assert!(
        merged.status.success(),
        "tawsim merge failed: {}\n{reports}{}",
        merged.status,
        merged.stderr
    );
    during.report("merge/window during the merge", merged.wall);
    let peak_hwm = merged.memory.iter().map(|s| s.2).fold(0.0, f64::max);
    let peak_rss = merged.memory.iter().map(|s| s.1).fold(0.0, f64::max);
    println!(
        "merge/wall: {:.1} s for {} files, {total_spans} spans (child spawn to exit, polled once a frame); target < {} s: {}",
        merged.wall.as_secs_f64(),
        fixture.files.len(),
        TARGET.as_secs(),
        if merged.wall < TARGET {
            "met"
        } else {
            "NOT MET"
        },
    );
    println!(
        "merge/memory: peak VmHWM {peak_hwm:.0} MB, peak VmRSS {peak_rss:.0} MB ({} samples)",
        merged.memory.len()
    );
    per_file(&merged, &fixture.files);
    print!("merge/reports:\n{reports}");

    // What the window saw: each probe document none or all of its spans,
    // and never fewer later.
    let distinct: BTreeSet<[usize; 3]> = seen.iter().copied().collect();
    let whole = seen
        .iter()
        .all(|c| (0..3).all(|k| c[k] == 0 || c[k] == held[k].probe as usize));
    let monotone = seen.windows(2).all(|w| (0..3).all(|k| w[0][k] <= w[1][k]));
    let after = probe_counts(window.store());
    println!(
        "merge/visibility: the window saw {distinct:?} spans in documents {PROBES:?} in {} checks ({}); {after:?} after",
        seen.len(),
        if whole && monotone {
            "each file's spans none or all, never fewer"
        } else {
            "PARTLY VISIBLE"
        },
    );
    assert!(whole && monotone, "a file's spans were partly visible");
    assert_eq!(
        after.map(|c| c as i64),
        [held[0].probe, held[1].probe, held[2].probe],
        "every probe document shows its file's spans after the merge"
    );
    drop(window);

    // The result: every span and event of the three files, once.
    let (spans, events, people) = lead_counts(&lead);
    println!(
        "merge/check: the lead holds {spans} merged spans (files: {total_spans}), {events} span.add events (files: {total_adds}), {people} of the three annotators"
    );
    assert_eq!(spans, total_spans, "every span of the three files merged");
    assert_eq!(events, total_adds, "every span.add event merged");
    assert_eq!(people, 3, "three annotators added");

    // Merging the first file again adds nothing.
    let started = Instant::now();
    let again = tawsim()
        .args(["merge", "--json", "--annotator", LEAD, "--db"])
        .arg(&lead)
        .arg(&fixture.files[0])
        .output()
        .expect("run tawsim merge again");
    let again_wall = started.elapsed();
    assert!(
        again.status.success(),
        "tawsim merge again failed: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&again.stdout).expect("the merge's JSON report");
    let r = &report[0];
    let nothing_new = r["documents"]["added"] == 0
        && r["spans"]["added"] == 0
        && r["spans"]["updated"] == 0
        && r["events"]["added"] == 0
        && r["states_changed"] == 0
        && r["annotators_added"].as_array().is_some_and(Vec::is_empty)
        && r["layers_added"].as_array().is_some_and(Vec::is_empty);
    println!(
        "merge/again: {} merged a second time in {:.1} s: {} (spans present {}, events present {})",
        NAMES[0],
        again_wall.as_secs_f64(),
        if nothing_new {
            "nothing new"
        } else {
            "CHANGED THE PROJECT"
        },
        r["spans"]["present"],
        r["events"]["present"],
    );
    assert!(nothing_new, "a second merge added something: {r}");
}

/// Merge the files into `lead` in this process, printing when each stage
/// of each merge began.
fn stages(lead: &Path, files: &[PathBuf]) {
    let mut store = Store::open(lead).expect("open the lead's project");
    let actor = store.annotator_id(LEAD).expect("the lead");
    let all = Instant::now();
    for file in files {
        let started = Instant::now();
        let mut current: Option<(&'static str, Instant, usize)> = None;
        let mut lines = Vec::new();
        let mut note = |stage: MergeStage| {
            let (what, done, total) = match stage {
                MergeStage::Documents { done, total } => ("documents", done, total),
                MergeStage::Spans { done, total } => ("spans", done, total),
                MergeStage::History { done, total } => ("history", done, total),
                MergeStage::States { done, total } => ("states", done, total),
            };
            match current {
                Some((name, _, _)) if name == what => {}
                _ => {
                    if let Some((name, since, _)) = current {
                        lines.push(format!("  {name}: {:.2} s", since.elapsed().as_secs_f64()));
                    }
                    lines.push(format!(
                        "  {what} begins at {:.2} s ({total} to do)",
                        started.elapsed().as_secs_f64()
                    ));
                    current = Some((what, Instant::now(), done));
                }
            }
            true
        };
        let report = store
            .merge(
                file,
                actor,
                tawsim::store::import::ImportOrigin::Library,
                &mut note,
            )
            .expect("merge");
        if let Some((name, since, _)) = current {
            lines.push(format!(
                "  {name} until the merge returned: {:.2} s",
                since.elapsed().as_secs_f64()
            ));
        }
        println!(
            "stages/{}: {:.1} s",
            file.file_name().and_then(|f| f.to_str()).unwrap_or("?"),
            started.elapsed().as_secs_f64()
        );
        for line in lines {
            println!("{line}");
        }
        println!(
            "  spans added {}, events added {}",
            report.spans_added, report.events_added
        );
    }
    println!("stages/all: {:.1} s", all.elapsed().as_secs_f64());
}
