//! A generated project of many real Arabic news documents, for the project,
//! search and export benchmarks.
//!
//! Documents are built from real sentences (the 1,000 `# text =` lines of UD
//! Arabic-PUD, CC BY-SA 3.0, in `tests/data/ud-arabic-pud/`) and the bundled
//! sample article's paragraphs: document `i` joins two to four sentences
//! chosen so that no two documents have the same text. Spans are real words of
//! each text, labelled in an imported layer `model` and in the layer of
//! annotator `layla`, so the browser has per-label counts to show.
//!
//! The project is built once per size and cached under
//! `target/bench-data/project-<n>-g<generator>-s<schema>.tawsim` (delete it
//! to rebuild, e.g. after changing the schema during development).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tawsim::store::{NewDocument, Store};

const SENTENCES: &str = include_str!("../../tests/data/ud-arabic-pud/sentences.txt");
const ARTICLE: &str = include_str!("../../assets/samples/idlib-ceasefire-ar.txt");
const LABELS: [&str; 4] = ["CASUALTY", "PLACE", "DATE", "ACTOR"];

/// The real sentences and paragraphs documents are made of.
pub fn sentences() -> Vec<&'static str> {
    SENTENCES
        .lines()
        .chain(ARTICLE.lines().skip(1))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Document `i` of a generated project (distinct for every `i < 1,000,000`).
pub fn document(sentences: &[&str], i: usize) -> NewDocument {
    let n = sentences.len();
    let a = i % n;
    let q = i / n;
    // (a, b) determines i for i < n², because 37 is invertible modulo n
    // for the 1,000-odd sentences used here.
    let b = (q * 37 + a + 1) % n;
    let c = (a * 7 + q * 13 + 5) % n;
    let d = (a * 11 + q * 3 + 9) % n;
    let mut parts = vec![sentences[a], sentences[b]];
    if !i.is_multiple_of(3) {
        parts.push(sentences[c]);
    }
    if i.is_multiple_of(5) {
        parts.push(sentences[d]);
    }
    let text = parts.join("\n");
    let title: String = sentences[a]
        .split_whitespace()
        .take(7)
        .collect::<Vec<_>>()
        .join(" ");
    NewDocument {
        title,
        text,
        source: format!("generated:{i}"),
        meta: serde_json::json!({ "generated": i }),
    }
}

/// Bumped whenever `document` or the spans written here change, so a cached
/// project from an older generator is not reused.
const GENERATOR: u32 = 2;

/// A new uid in SQL: a UUID version 7 of the current time, as `NEW_UID` in
/// `src/store/mod.rs` (crate-private there) writes it. Rows written here
/// with SQL need one from schema 5 on (triggers refuse rows without).
pub const NEW_UID: &str = "unhex(printf('%012X', CAST(unixepoch('subsec') * 1000 AS INTEGER)) \
     || '7' || substr(hex(randomblob(2)), 2) || printf('%X', 8 + abs(random() % 4)) \
     || substr(hex(randomblob(8)), 2))";

/// The path of the cached generated project of `n` documents.
pub fn project_path(n: usize) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-data").join(format!(
        "project-{n}-g{GENERATOR}-s{}.tawsim",
        tawsim::store::SCHEMA_VERSION
    ))
}

/// The generated project of `n` documents, built on first use.
pub fn project(n: usize) -> PathBuf {
    let path = project_path(n);
    if path.exists() {
        return path;
    }
    let dir = path.parent().expect("a bench-data folder");
    std::fs::create_dir_all(dir).expect("create target/bench-data");
    let building = path.with_extension("building");
    let _ = std::fs::remove_file(&building);
    build(&building, n);
    std::fs::rename(&building, &path).expect("move the generated project in place");
    path
}

fn build(path: &Path, n: usize) {
    let sentences = sentences();
    let mut store = Store::open(path).expect("open a new bench project");
    let annotator = store.annotator_id("layla").expect("annotator");
    let chunk = 5_000;
    let mut i = 0;
    while i < n {
        let docs: Vec<NewDocument> = (i..(i + chunk).min(n))
            .map(|k| document(&sentences, k))
            .collect();
        store
            .import_documents(&docs, None)
            .expect("import generated documents");
        i += chunk;
    }
    // What the app's indexer does in the background.
    store
        .index_queued(usize::MAX)
        .expect("index the generated documents");
    drop(store);
    add_spans(path, annotator);
}

/// Spans straight into the file: every third word of each document, in two
/// layers. Written with SQL (one transaction) because per-span calls would
/// take minutes for a million spans.
fn add_spans(path: &Path, annotator: i64) {
    let mut conn = rusqlite::Connection::open(path).expect("reopen the bench project");
    let tx = conn.transaction().expect("transaction");
    let now = "2026-01-01T00:00:00.000Z";
    tx.execute(
        &format!(
            "INSERT INTO layers (name, kind, created_at, uid) VALUES ('model', 'imported', ?1, {NEW_UID})"
        ),
        [now],
    )
    .expect("model layer");
    let model_layer = tx.last_insert_rowid();
    let human_layer: i64 = tx
        .query_row(
            "SELECT id FROM layers WHERE annotator_id = ?1",
            [annotator],
            |r| r.get(0),
        )
        .expect("annotator layer");
    {
        let mut docs = tx
            .prepare("SELECT id, text FROM documents ORDER BY id")
            .expect("select");
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                                    score, model, created_at, updated_at, uid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, {NEW_UID})"
            ))
            .expect("insert");
        let rows: Vec<(i64, String)> = docs
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect();
        for (doc, text) in rows {
            let chars: Vec<char> = text.chars().collect();
            let words = word_ranges(&text);
            for (w, (s, e)) in words.iter().enumerate().filter(|(w, _)| w % 3 == 1) {
                let label = LABELS[(doc as usize + w) % LABELS.len()];
                let covered: String = chars[*s..*e].iter().collect();
                let score = ((doc as usize * 31 + w * 17) % 100) as f64 / 100.0;
                insert
                    .execute(rusqlite::params![
                        doc,
                        annotator,
                        model_layer,
                        *s as i64,
                        *e as i64,
                        label,
                        covered,
                        "imported",
                        score,
                        "bench-ner-1",
                        now
                    ])
                    .expect("model span");
                // The annotator has tagged one document in ten.
                if doc % 10 == 1 && w % 2 == 1 {
                    insert
                        .execute(rusqlite::params![
                            doc,
                            annotator,
                            human_layer,
                            *s as i64,
                            *e as i64,
                            label,
                            covered,
                            "manual",
                            None::<f64>,
                            None::<String>,
                            now
                        ])
                        .expect("annotator span");
                }
            }
        }
    }
    tx.commit().expect("commit spans");
}

/// The generated project of `n` documents with a third layer, annotator
/// `omar`, who tagged every document like the model but disagrees on some
/// spans (one in five relabelled, one in seven shortened by a character, one
/// in eleven left out). Cached beside the base project with `-3layers`.
pub fn project_three_layers(n: usize) -> PathBuf {
    let base = project(n);
    let stem = base
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("project")
        .to_owned();
    let path = base.with_file_name(format!("{stem}-3layers.tawsim"));
    if path.exists() {
        return path;
    }
    let building = path.with_extension("building");
    let _ = std::fs::remove_file(&building);
    std::fs::copy(&base, &building).expect("copy the generated project");
    {
        let mut store = Store::open(&building).expect("open the copy");
        store.annotator_id("omar").expect("annotator omar");
    }
    let mut conn = rusqlite::Connection::open(&building).expect("reopen the copy");
    let tx = conn.transaction().expect("transaction");
    tx.execute_batch(&format!(
        "INSERT INTO spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                            created_at, updated_at, uid)
         SELECT s.doc_id, a.id, l.id, s.start,
                CASE WHEN s.id % 7 = 0 AND s.\"end\" - s.start > 1 THEN s.\"end\" - 1 ELSE s.\"end\" END,
                CASE WHEN s.id % 5 = 0 THEN 'ACTOR' ELSE s.label END,
                substr(d.text, s.start + 1,
                       (CASE WHEN s.id % 7 = 0 AND s.\"end\" - s.start > 1 THEN s.\"end\" - 1 ELSE s.\"end\" END) - s.start),
                'manual', s.created_at, s.created_at, {NEW_UID}
         FROM spans s
         JOIN documents d ON d.id = s.doc_id
         JOIN layers m ON m.id = s.layer_id AND m.name = 'model'
         JOIN annotators a ON a.name = 'omar'
         JOIN layers l ON l.annotator_id = a.id
         WHERE s.id % 11 <> 0;"
    ))
    .expect("omar's spans");
    tx.commit().expect("commit omar's spans");
    drop(conn);
    std::fs::rename(&building, &path).expect("move the project in place");
    path
}

/// A window 1280×860 points at 1 pixel per point.
pub fn raw_input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 860.0),
        )),
        ..Default::default()
    }
}

/// The code-point ranges of the words (runs of non-whitespace) of `text`.
pub fn word_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    for (k, ch) in text.chars().chain(std::iter::once(' ')).enumerate() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some(k),
            (true, Some(s)) => {
                words.push((s, k));
                start = None;
            }
            _ => {}
        }
    }
    words
}

/// The path of the cached JSONL file of the first `n` generated documents.
pub fn jsonl_path(n: usize) -> PathBuf {
    project_path(n).with_file_name(format!("documents-{n}-g{GENERATOR}.jsonl"))
}

/// A JSONL file of the first `n` generated documents ([`document`]), one
/// `{"title", "text", "label"}` object a line, built on first use and cached
/// beside the generated projects. Each document carries two spans in
/// doccano's form: its first word as PLACE and its last word as ACTOR.
pub fn jsonl(n: usize) -> PathBuf {
    use std::io::Write as _;
    let path = jsonl_path(n);
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(path.parent().expect("a bench-data folder"))
        .expect("create target/bench-data");
    let building = path.with_extension("building");
    let file = std::fs::File::create(&building).expect("create the JSONL file");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let sentences = sentences();
    for i in 0..n {
        let doc = document(&sentences, i);
        let words = word_ranges(&doc.text);
        let (first, last) = (words[0], words[words.len() - 1]);
        let line = serde_json::json!({
            "title": doc.title,
            "text": doc.text,
            "label": [[first.0, first.1, "PLACE"], [last.0, last.1, "ACTOR"]],
        });
        serde_json::to_writer(&mut out, &line).expect("write a JSONL line");
        out.write_all(b"\n").expect("write a JSONL line");
    }
    out.flush().expect("write the JSONL file");
    drop(out);
    std::fs::rename(&building, &path).expect("move the JSONL file in place");
    path
}

/// `VmRSS` and `VmHWM` of process `pid` (`"self"` for this one), in MB;
/// `None` once the process is gone.
pub fn memory_of(pid: &str) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// How a child process ran: wall time from spawn to exit and its peak
/// memory, sampled from `/proc/<pid>/status` every 50 ms (the last 50 ms
/// before it exits are not seen).
#[derive(Debug)]
pub struct Watched {
    pub wall: std::time::Duration,
    pub status: std::process::ExitStatus,
    /// Largest `VmHWM` seen (the kernel's own peak of the resident set), MB.
    pub peak_hwm_mb: f64,
    /// Largest `VmRSS` seen, MB.
    pub peak_rss_mb: f64,
    pub samples: usize,
    /// What it wrote to standard output.
    pub stdout: String,
}

/// Run `command` to its end, sampling its memory every 50 ms.
pub fn run_watched(command: &mut std::process::Command) -> Watched {
    use std::io::Read as _;
    let started = std::time::Instant::now();
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the child process");
    // Read standard output on a thread, so a full pipe never blocks the child.
    let mut pipe = child.stdout.take().expect("piped standard output");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let pid = child.id().to_string();
    let (mut peak_hwm_mb, mut peak_rss_mb, mut samples) = (0.0f64, 0.0f64, 0);
    let status = loop {
        if let Some((rss, hwm)) = memory_of(&pid) {
            peak_rss_mb = peak_rss_mb.max(rss);
            peak_hwm_mb = peak_hwm_mb.max(hwm);
            samples += 1;
        }
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let wall = started.elapsed();
    Watched {
        wall,
        status,
        peak_hwm_mb,
        peak_rss_mb,
        samples,
        stdout: reader.join().unwrap_or_default(),
    }
}

/// The size of an SQLite file with its write-ahead log, in bytes.
pub fn sqlite_size(path: &Path) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    size(path) + size(Path::new(&wal))
}

/// One frame at 60 frames a second.
pub const FRAME: std::time::Duration = std::time::Duration::from_micros(16_667);
/// A frame's wait above this leaves too little of the frame to draw it.
pub const SLOW: std::time::Duration = std::time::Duration::from_millis(16);

/// What the window does next: tag a word, or delete the span it just made.
#[derive(Debug, Clone, Copy)]
enum WindowAction {
    Tag(tawsim::model::CharRange),
    Delete(tawsim::model::SpanId),
}

/// An action not committed yet.
struct PendingAction {
    action: WindowAction,
    /// The start of the frame it was first tried in.
    since: std::time::Instant,
    tries: u32,
}

/// The lead's window while another process writes to the same project, as
/// in `benches/lock.rs`: its own connection
/// ([`Store::wait_briefly_for_lock`]) and one action per 16.7 ms frame on
/// one document, alternately tagging a word (`add_span`) and deleting that
/// span (`apply(Delete)`); an action refused with `is_locked()` is kept and
/// tried again the next frame, as the window's command queue does.
pub struct Window {
    store: Store,
    doc: tawsim::model::DocId,
    annotator: tawsim::model::AnnotatorId,
    words: Vec<tawsim::model::CharRange>,
    next_word: usize,
    tagged: Option<tawsim::model::SpanId>,
    pending: Option<PendingAction>,
}

/// The figures of a run of [`Window::frames`].
#[derive(Default)]
pub struct Frames {
    /// Per frame: time spent in the store.
    pub waits: Vec<std::time::Duration>,
    /// The same, of the frames whose call was refused (project locked).
    pub refused_waits: Vec<std::time::Duration>,
    /// Per committed action: first try to commit.
    pub latencies: Vec<std::time::Duration>,
    /// Actions that were refused at least once.
    pub retried: usize,
    /// Most tries one action needed.
    pub most_tries: u32,
    /// Frames that started late because the previous one overran.
    pub late_frames: usize,
    /// Checks made, and the slowest.
    pub checks: usize,
    pub slowest_check: std::time::Duration,
}

impl Window {
    /// The window on document `doc` of the project at `path`, acting as
    /// annotator `annotator` (created if missing).
    pub fn open(path: &Path, doc: tawsim::model::DocId, annotator: &str) -> Window {
        let mut store = Store::open(path).expect("open the project");
        store.wait_briefly_for_lock();
        let text = store.document(doc).expect("the window's document").text;
        let words = word_ranges(&text)
            .into_iter()
            .map(|(s, e)| tawsim::model::CharRange::new(s, e).expect("a word"))
            .collect();
        let annotator = store.annotator_id(annotator).expect("annotator");
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

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn next_action(&mut self) -> WindowAction {
        match self.tagged {
            Some(span) => WindowAction::Delete(span),
            None => {
                let word = self.words[self.next_word % self.words.len()];
                self.next_word += 1;
                WindowAction::Tag(word)
            }
        }
    }

    /// One frame: try the waiting action, or the next one.
    fn frame(&mut self, frame_start: std::time::Instant, run: &mut Frames) {
        use tawsim::model::{Change, Origin};
        let mut pending = match self.pending.take() {
            Some(pending) => pending,
            None => PendingAction {
                action: self.next_action(),
                since: frame_start,
                tries: 0,
            },
        };
        pending.tries += 1;
        let started = std::time::Instant::now();
        let result = match pending.action {
            WindowAction::Tag(range) => self
                .store
                .add_span(self.doc, self.annotator, range, "PLACE", Origin::Manual)
                .map(|span| Some(span.id)),
            WindowAction::Delete(span) => self
                .store
                .apply(&Change::Delete { span }, self.annotator)
                .map(|_| None),
        };
        let done = std::time::Instant::now();
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

    /// Frames until `done` says stop (asked before each frame); every
    /// `every` frames `check` reads through the window's connection (timed).
    /// The action still waiting at the end is committed before returning.
    pub fn frames(
        &mut self,
        mut done: impl FnMut() -> bool,
        every: usize,
        mut check: impl FnMut(&Store),
    ) -> Frames {
        let mut run = Frames::default();
        let mut next = std::time::Instant::now();
        let mut frame = 0;
        while !done() {
            let frame_start = std::time::Instant::now();
            self.frame(frame_start, &mut run);
            frame += 1;
            if every > 0 && frame % every == 0 {
                let started = std::time::Instant::now();
                check(&self.store);
                run.checks += 1;
                run.slowest_check = run.slowest_check.max(started.elapsed());
            }
            next += FRAME;
            let now = std::time::Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else {
                run.late_frames += 1;
                next = now;
            }
        }
        while self.pending.is_some() {
            self.frame(std::time::Instant::now(), &mut run);
        }
        run
    }
}

/// The value below which a share `q` of the sorted `values` lie.
pub fn quantile(sorted: &[std::time::Duration], q: f64) -> std::time::Duration {
    if sorted.is_empty() {
        return std::time::Duration::ZERO;
    }
    let k = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

/// `d` in milliseconds, two decimals.
pub fn ms(d: std::time::Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Print count, p50, p90, p99, max, how many exceed [`SLOW`] and a coarse
/// histogram of `values`.
pub fn distribution(name: &str, values: &[std::time::Duration]) {
    let mut sorted = values.to_vec();
    sorted.sort();
    let over = sorted.iter().filter(|&&d| d > SLOW).count();
    println!(
        "  {name}: n {}, p50 {}, p90 {}, p99 {}, max {}, > 16 ms: {over}",
        sorted.len(),
        ms(quantile(&sorted, 0.5)),
        ms(quantile(&sorted, 0.9)),
        ms(quantile(&sorted, 0.99)),
        ms(sorted.last().copied().unwrap_or_default()),
    );
    let edges_ms = [1.0, 2.0, 5.0, 10.0, 14.0, 16.0, 20.0, 33.4, 50.0];
    let mut line = String::from("    histogram:");
    let mut low = 0.0;
    for &high in edges_ms.iter().chain(std::iter::once(&f64::INFINITY)) {
        let n = sorted
            .iter()
            .filter(|d| {
                let v = d.as_secs_f64() * 1e3;
                v >= low && v < high
            })
            .count();
        if high.is_finite() {
            line.push_str(&format!(" [{low}, {high}) {n};"));
        } else {
            line.push_str(&format!(" ≥ {low} {n}"));
        }
        low = high;
    }
    println!("{line}");
}

impl Frames {
    /// Print the run's figures under `name`.
    pub fn report(&self, name: &str, wall: std::time::Duration) {
        println!(
            "{name}: {} frames in {:.1?}, {} actions committed, {} needed a retry (most tries {}), {} frames started late",
            self.waits.len(),
            wall,
            self.latencies.len(),
            self.retried,
            self.most_tries,
            self.late_frames,
        );
        distribution("frame wait (time in the store per frame)", &self.waits);
        distribution("  of which refused (locked)", &self.refused_waits);
        distribution(
            "commit latency (first try to commit, per action)",
            &self.latencies,
        );
        println!(
            "  checks through the window's connection: {}, slowest {}",
            self.checks,
            ms(self.slowest_check)
        );
    }
}
