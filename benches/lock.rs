//! The window's writes while `tawsim import` writes 200,000 documents into
//! the same project from another process.
//!
//! Run with `cargo bench --bench lock`; figures go in BENCHMARKS.md. The
//! main thread acts like the window: its own connection
//! ([`Store::wait_briefly_for_lock`], so a write waits at most about 14 ms
//! for the lock and then fails with [`StoreError::is_locked`]) and, every
//! 16.7 ms frame, one action on the bundled sample article: alternately
//! tag a word (`add_span`) and delete that span again (`apply(Delete)`).
//! An action that finds the project locked is kept and tried again the next
//! frame, as the window's command queue does. Two figures per frame and
//! action:
//!
//! - the frame's wait: the time the frame's call spent in the store,
//!   committed or refused (a frame of the window must not wait > 16 ms);
//! - the action's commit latency: from the frame it was first tried to the
//!   frame its commit returned (p99 < 50 ms is the target).
//!
//! First a baseline of 10 s with no import, then the same loop while the
//! child process `tawsim import --no-index` runs (the input, a JSONL file of
//! the generated documents with two spans each, is cached under
//! `target/bench-data/`). Every second, and after the import, the window
//! connection's document list is checked: the import's documents stay
//! invisible until its last transaction commits, then all are there.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tawsim::model::{AnnotatorId, Change, CharRange, DocId, Origin, SpanId};
use tawsim::store::Store;

use support::{FRAME, distribution, ms};

/// Documents the child process imports.
const DOCUMENTS: usize = 200_000;
/// How long the baseline runs.
const BASELINE: Duration = Duration::from_secs(10);
/// Frames between two checks of what the window's connection sees.
const CHECK_EVERY: usize = 60;

const SAMPLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

/// What the window does next.
#[derive(Debug, Clone, Copy)]
enum Action {
    Tag(CharRange),
    Delete(SpanId),
}

/// An action not committed yet.
struct Pending {
    action: Action,
    /// The start of the frame it was first tried in.
    since: Instant,
    tries: u32,
}

/// The window's connection and what it is doing.
struct Window {
    store: Store,
    doc: DocId,
    annotator: AnnotatorId,
    words: Vec<CharRange>,
    next_word: usize,
    /// The span the last tag made, to delete next.
    tagged: Option<SpanId>,
    pending: Option<Pending>,
}

/// The figures of one run.
#[derive(Default)]
struct Run {
    /// Per frame: time spent in the store.
    waits: Vec<Duration>,
    /// The same, of the frames whose call was refused (project locked).
    refused_waits: Vec<Duration>,
    /// Per committed action: first try to commit.
    latencies: Vec<Duration>,
    /// Actions that were refused at least once.
    retried: usize,
    /// Most tries one action needed.
    most_tries: u32,
    /// Frames that started late because the previous one overran.
    late_frames: usize,
    /// Checks of the document list, and the slowest.
    checks: usize,
    slowest_check: Duration,
}

impl Window {
    fn open(path: &Path) -> Window {
        let mut store = Store::open(path).expect("open the project");
        store.wait_briefly_for_lock();
        let docs = store.documents().expect("list documents");
        let doc = docs[0].id;
        let text = store.document(doc).expect("the sample").text;
        let words = support::word_ranges(&text)
            .into_iter()
            .map(|(s, e)| CharRange::new(s, e).expect("a word"))
            .collect();
        let annotator = store.annotator_id("layla").expect("annotator");
        Window {
            store,
            doc,
            annotator,
            words,
            next_word: 0,
            tagged: None,
            pending: None,
        }
    }

    fn next_action(&mut self) -> Action {
        match self.tagged {
            Some(span) => Action::Delete(span),
            None => {
                let word = self.words[self.next_word % self.words.len()];
                self.next_word += 1;
                Action::Tag(word)
            }
        }
    }

    /// One frame: try the waiting action, or the next one.
    fn frame(&mut self, frame_start: Instant, run: &mut Run) {
        let mut pending = match self.pending.take() {
            Some(pending) => pending,
            None => Pending {
                action: self.next_action(),
                since: frame_start,
                tries: 0,
            },
        };
        pending.tries += 1;
        let started = Instant::now();
        let result = match pending.action {
            Action::Tag(range) => self
                .store
                .add_span(self.doc, self.annotator, range, "PLACE", Origin::Manual)
                .map(|span| Some(span.id)),
            Action::Delete(span) => self
                .store
                .apply(&Change::Delete { span }, self.annotator)
                .map(|_| None),
        };
        let done = Instant::now();
        run.waits.push(done - started);
        match result {
            Ok(tagged) => {
                self.tagged = tagged;
                run.latencies.push(done - pending.since);
                run.most_tries = run.most_tries.max(pending.tries);
                if pending.tries > 1 {
                    run.retried += 1;
                }
            }
            Err(error) if error.is_locked() => {
                run.refused_waits.push(done - started);
                self.pending = Some(pending);
            }
            Err(error) => panic!("the window's write failed: {error:#}"),
        }
    }

    /// Documents the window's connection sees, timed.
    fn visible(&self, run: &mut Run) -> usize {
        let started = Instant::now();
        let n = self.store.documents().expect("list documents").len();
        run.checks += 1;
        run.slowest_check = run.slowest_check.max(started.elapsed());
        n
    }

    /// Frames until `done` says stop (asked before each frame); every
    /// [`CHECK_EVERY`] frames the visible documents are passed to `check`.
    fn frames(&mut self, mut done: impl FnMut() -> bool, mut check: impl FnMut(usize)) -> Run {
        let mut run = Run::default();
        let mut next = Instant::now();
        let mut frame = 0;
        while !done() {
            let frame_start = Instant::now();
            self.frame(frame_start, &mut run);
            frame += 1;
            if frame % CHECK_EVERY == 0 {
                check(self.visible(&mut run));
            }
            next += FRAME;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else {
                run.late_frames += 1;
                next = now;
            }
        }
        // The action still waiting when the run ends.
        while self.pending.is_some() {
            self.frame(Instant::now(), &mut run);
        }
        run
    }
}

fn report(name: &str, run: &Run, wall: Duration) {
    println!(
        "lock/{name}: {} frames in {:.1?}, {} actions committed, {} needed a retry (most tries {}), {} frames started late",
        run.waits.len(),
        wall,
        run.latencies.len(),
        run.retried,
        run.most_tries,
        run.late_frames,
    );
    distribution("frame wait (time in the store per frame)", &run.waits);
    distribution("  of which refused (locked)", &run.refused_waits);
    distribution(
        "commit latency (first try to commit, per action)",
        &run.latencies,
    );
    println!(
        "  document list checked {} times, slowest {}",
        run.checks,
        ms(run.slowest_check)
    );
}

/// A fresh project with the sample article and annotator `layla`.
fn fresh_project(path: &Path) {
    let mut store = Store::open(path).expect("a new project");
    let sample = tawsim::io::parse_txt(SAMPLE.as_bytes(), "idlib-ceasefire-ar.txt")
        .expect("the sample article");
    store
        .import_document(&sample.doc, None)
        .expect("import the sample");
    store.annotator_id("layla").expect("annotator");
}

fn start_import(project: &Path, input: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["import", "--annotator", "bench", "--no-index", "--db"])
        .arg(project)
        .arg(input)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start tawsim import")
}

fn main() {
    let built = Instant::now();
    let input = support::jsonl(DOCUMENTS);
    println!(
        "input: {} ({:.0} MB; ready in {:.1?})",
        input.display(),
        std::fs::metadata(&input).expect("input size").len() as f64 / 1e6,
        built.elapsed()
    );
    let dir =
        tempfile::tempdir_in(input.parent().expect("bench-data")).expect("a temporary folder");
    let project = dir.path().join("lock.tawsim");
    fresh_project(&project);
    let mut window = Window::open(&project);

    // Baseline: the same frames with nobody else writing.
    let started = Instant::now();
    let baseline = window.frames(|| started.elapsed() >= BASELINE, |_| {});
    report("baseline", &baseline, started.elapsed());

    // The same while another process imports.
    let started = Instant::now();
    let mut child = start_import(&project, &input);
    let mut exit = None;
    let mut seen_early = Vec::new();
    let during = window.frames(
        || {
            exit = child.try_wait().expect("wait for the import");
            exit.is_some()
        },
        |visible| seen_early.push(visible),
    );
    let import_wall = started.elapsed();
    let exit = exit.expect("the import ended");
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        use std::io::Read as _;
        let _ = pipe.read_to_string(&mut stdout);
    }
    assert!(exit.success(), "tawsim import failed: {exit}\n{stdout}");
    report("during_import", &during, import_wall);
    println!(
        "lock/import: {DOCUMENTS} documents by `tawsim import --no-index` in {import_wall:.1?} \
         (child wall time, polled once a frame); its report: {}",
        stdout.lines().next().unwrap_or("")
    );

    // What the window saw: only the sample while the import ran, then (from
    // its last commit, which may come a check before the process exits) all.
    let hidden = seen_early.iter().all(|&n| n == 1 || n == DOCUMENTS + 1) && seen_early.is_sorted();
    let after = window.visible(&mut Run::default());
    println!(
        "lock/visibility: the window saw {:?} documents in {} checks during the import ({}); {after} after it",
        {
            let mut distinct = seen_early.clone();
            distinct.dedup();
            distinct
        },
        seen_early.len(),
        if hidden {
            "hidden until the end"
        } else {
            "NOT HIDDEN"
        },
    );
    assert!(hidden, "the import's documents were visible before its end");
    assert_eq!(
        after,
        DOCUMENTS + 1,
        "every document visible after the import"
    );
}
