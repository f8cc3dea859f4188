//! A project of 100,000 real-text documents and about a million spans:
//! opening it, memory, scrolling the document list, and the browser's queries.
//!
//! Run with `cargo bench --bench project`; figures go in BENCHMARKS.md. The
//! project is generated once (see `support`) and cached under
//! `target/bench-data/`. The first part prints figures measured once in a
//! fresh process (time to the first frame, resident memory from
//! `/proc/self/status`); the second is criterion benches.
//!
//! `TAWSIM_BENCH_DOCS=1000000 cargo bench --bench project -- --frames-only`
//! measures the same on a generated project of that many documents
//! (default 100,000).

mod support;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::{DocQuery, Sort, Status, Store};
use tawsim::ui::{App, Command};

/// Documents in the generated project: `TAWSIM_BENCH_DOCS`, default 100,000.
fn documents() -> usize {
    std::env::var("TAWSIM_BENCH_DOCS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// One frame at 60 frames a second.
const FRAME: Duration = Duration::from_micros(16_667);

/// One frame of the app, tessellated as eframe would.
fn frame(ctx: &egui::Context, app: &mut App) -> Duration {
    frame_with(ctx, app, Vec::new())
}

/// One frame with input `events` (keys, typed text).
fn frame_with(ctx: &egui::Context, app: &mut App, events: Vec<egui::Event>) -> Duration {
    let start = Instant::now();
    let input = egui::RawInput {
        events,
        ..support::raw_input()
    };
    let output = ctx.run_ui(input, |ui| app.ui(ui));
    let prims = ctx.tessellate(output.shapes, output.pixels_per_point);
    black_box(prims);
    start.elapsed()
}

fn open_app(path: &Path) -> App {
    let store = Store::open(path).expect("open the bench project");
    let settings = Settings {
        annotator: Some("layla".into()),
        ..Settings::default()
    };
    App::new(store, Schema::default_schema(), settings, None)
}

/// `VmRSS` and `VmHWM` of this process, in MB.
fn memory_mb() -> (f64, f64) {
    support::memory_of("self").unwrap_or((f64::NAN, f64::NAN))
}

/// Figures measured once, in a process that has done nothing else.
fn startup_and_memory(path: &Path) {
    let (rss0, _) = memory_mb();
    let start = Instant::now();
    let mut app = open_app(path);
    let ctx = egui::Context::default();
    frame(&ctx, &mut app);
    let first = start.elapsed();
    let (rss_open, hwm_open) = memory_mb();
    println!("project/startup/first_frame (cold process): {first:.2?}");
    println!(
        "project/memory/after_open: VmRSS {rss_open:.0} MB, VmHWM {hwm_open:.0} MB (process start {rss0:.0} MB)"
    );

    // Scroll through the whole list, a little under a page per frame, so
    // every page is fetched once; the browser keeps only a few.
    let count = app
        .store()
        .document_count(app.browser().query())
        .expect("count");
    let step = 80;
    let mut slowest = Duration::ZERO;
    let mut total = Duration::ZERO;
    let mut frames = 0u32;
    let mut with_placeholders = 0u32;
    let mut row = 0;
    while row < count {
        app.browser_mut().scroll_to_row(row);
        let t = frame(&ctx, &mut app);
        slowest = slowest.max(t);
        total += t;
        frames += 1;
        if app.browser().placeholder_pages() > 0 {
            with_placeholders += 1;
        }
        row += step;
    }
    let (rss_scroll, hwm_scroll) = memory_mb();
    println!(
        "project/scroll_all: {frames} frames over {count} rows, mean {:.2?}, slowest {slowest:.2?}, \
         {with_placeholders} with placeholders, {} pages held",
        total / frames.max(1),
        app.browser().cached_pages()
    );
    println!(
        "project/memory/after_scrolling_all: VmRSS {rss_scroll:.0} MB, VmHWM {hwm_scroll:.0} MB"
    );
    drop(app);

    // Warm: the same again with the file in the OS cache (median of 5).
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut app = open_app(path);
            let ctx = egui::Context::default();
            frame(&ctx, &mut app);
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "project/startup/first_frame (median of 5, warm): {:.2?}",
        times[2]
    );
}

/// Frames from a change until every answer the window waits for is in.
#[derive(Default)]
struct Settling {
    frames: u32,
    slowest: Duration,
    total: Duration,
    /// Wall time until the last answer was drawn.
    latency: Duration,
    /// Frames that drew rows not read yet.
    with_placeholders: u32,
}

impl Settling {
    fn add(&mut self, other: Settling) {
        self.frames += other.frames;
        self.slowest = self.slowest.max(other.slowest);
        self.total += other.total;
        self.latency = self.latency.max(other.latency);
        self.with_placeholders += other.with_placeholders;
    }

    fn mean(&self) -> Duration {
        self.total / self.frames.max(1)
    }
}

/// Run frames (the first with `events`) until the list on screen and the
/// search results are the answers for what the window shows (a page read
/// ahead may still be out).
fn settle(ctx: &egui::Context, app: &mut App, events: Vec<egui::Event>) -> Settling {
    let start = Instant::now();
    let mut run = Settling::default();
    let mut events = Some(events);
    loop {
        let t = frame_with(ctx, app, events.take().unwrap_or_default());
        run.frames += 1;
        run.slowest = run.slowest.max(t);
        run.total += t;
        if app.browser().placeholder_pages() > 0 {
            run.with_placeholders += 1;
        }
        if app.browser().is_up_to_date() && !app.search().is_searching() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never settled");
    }
    run.latency = start.elapsed();
    run
}

/// Run frames until no job is out, read-ahead included, so the next change
/// is measured on its own.
fn quiet(ctx: &egui::Context, app: &mut App) {
    while app.browser().is_loading() || app.search().is_searching() {
        frame(ctx, app);
    }
}

/// The window while the list reads with a filter on and while search
/// answers typing: every frame is timed on the window's thread, with the
/// wait for answers ([`tawsim::ui::browser::WAIT_BUDGET`]) included.
fn frames_while_reading(path: &Path) {
    let mut app = open_app(path);
    let ctx = egui::Context::default();
    settle(&ctx, &mut app, Vec::new());
    for (name, query) in queries() {
        if !matches!(
            name,
            "status_new" | "status_in_progress" | "label_place" | "layer_annotator" | "title"
        ) {
            continue;
        }
        quiet(&ctx, &mut app);
        app.browser_mut().set_query(query);
        let change = settle(&ctx, &mut app, Vec::new());
        let count = app.browser().shown_count().0.unwrap_or(0);
        let mut jumps = Settling::default();
        for fraction in [0.25, 0.5, 0.75, 0.999] {
            quiet(&ctx, &mut app);
            app.browser_mut()
                .scroll_to_row((count as f64 * fraction) as usize);
            jumps.add(settle(&ctx, &mut app, Vec::new()));
        }
        // Scrolling on from the middle, five rows (half a screen) a frame at
        // 60 frames a second, as a fast flick of the wheel.
        let mut scroll = Settling::default();
        let mut row = count / 2;
        for _ in 0..400 {
            let started = Instant::now();
            row = (row + 5) % count.max(1);
            app.browser_mut().scroll_to_row(row);
            let t = frame(&ctx, &mut app);
            std::thread::sleep(FRAME.saturating_sub(started.elapsed()));
            scroll.frames += 1;
            scroll.total += t;
            scroll.slowest = scroll.slowest.max(t);
            if app.browser().placeholder_pages() > 0 {
                scroll.with_placeholders += 1;
            }
        }
        println!(
            "project/frames/filter/{name} ({count} rows): change: list in {:.1?}, {} frames, slowest {:.2?}; \
             4 deep jumps: rows in {:.1?} at worst, slowest frame {:.2?}; \
             scrolling {} frames: mean {:.2?}, slowest {:.2?}, {} with placeholders",
            change.latency,
            change.frames,
            change.slowest,
            jumps.latency,
            jumps.slowest,
            scroll.frames,
            scroll.mean(),
            scroll.slowest,
            scroll.with_placeholders,
        );
        settle(&ctx, &mut app, Vec::new());
    }

    // Typing into the search box, a letter a frame.
    app.run(Command::Find);
    settle(&ctx, &mut app, Vec::new());
    for word in ["التي", "إسرائيل", "٢٠١٧"] {
        let mut typing = Settling::default();
        for ch in word.chars() {
            let t = frame_with(&ctx, &mut app, vec![egui::Event::Text(ch.to_string())]);
            typing.frames += 1;
            typing.total += t;
            typing.slowest = typing.slowest.max(t);
        }
        let answer = settle(&ctx, &mut app, Vec::new());
        typing.add(Settling {
            latency: Duration::ZERO,
            ..answer
        });
        println!(
            "project/frames/search/{word}: {} hits; {} frames, mean {:.2?}, slowest {:.2?}; results in {:.1?} after the last letter",
            app.search().results().hits.len(),
            typing.frames,
            typing.mean(),
            typing.slowest,
            answer.latency,
        );
        let erase: Vec<egui::Event> = (0..word.chars().count())
            .map(|_| egui::Event::Key {
                key: egui::Key::Backspace,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers: egui::Modifiers::NONE,
            })
            .collect();
        settle(&ctx, &mut app, erase);
    }
}

fn queries() -> Vec<(&'static str, DocQuery)> {
    let base = DocQuery {
        annotator: Some(1),
        ..DocQuery::default()
    };
    vec![
        ("import", base.clone()),
        (
            "title",
            DocQuery {
                sort: Sort::Title,
                ..base.clone()
            },
        ),
        (
            "changed_desc",
            DocQuery {
                sort: Sort::Changed,
                descending: true,
                ..base.clone()
            },
        ),
        (
            "status_new",
            DocQuery {
                status: Some(Status::New),
                ..base.clone()
            },
        ),
        (
            "status_in_progress",
            DocQuery {
                status: Some(Status::InProgress),
                ..base.clone()
            },
        ),
        (
            "status_done",
            DocQuery {
                status: Some(Status::Done),
                ..base.clone()
            },
        ),
        (
            "label_place",
            DocQuery {
                label: Some("PLACE".into()),
                ..base.clone()
            },
        ),
        (
            "layer_annotator",
            DocQuery {
                layer: Some(1),
                ..base.clone()
            },
        ),
        (
            "label_date_layer_annotator_title",
            DocQuery {
                label: Some("DATE".into()),
                layer: Some(1),
                sort: Sort::Title,
                ..base
            },
        ),
    ]
}

fn browser_benches(c: &mut Criterion, path: &Path) {
    // The app marks documents done below: work on a copy of the project.
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("project.tawsim");
    std::fs::copy(path, &copy).expect("copy the bench project");
    let mut app = open_app(&copy);
    let ctx = egui::Context::default();
    for _ in 0..3 {
        frame(&ctx, &mut app);
    }
    // Bench names carry the size, e.g. `frame/idle/project_100k`.
    let n = documents();
    let name = |what: &str| format!("{what}/project_{}k", n / 1_000);
    c.bench_function(&name("frame/idle"), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| frame(&ctx, &mut app)).sum())
    });
    // A quarter of a page per frame: one frame in four reads a page.
    let mut row = 0usize;
    c.bench_function(&name("frame/scroll_quarter_page"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    row = (row + 25) % n;
                    app.browser_mut().scroll_to_row(row);
                    frame(&ctx, &mut app)
                })
                .sum()
        })
    });
    // Dragging the scroll bar: every frame lands on a page not held.
    let mut k = 0usize;
    c.bench_function(&name("frame/scroll_jump"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    k = (k + 7_919 * 100) % n;
                    app.browser_mut().scroll_to_row(k);
                    frame(&ctx, &mut app)
                })
                .sum()
        })
    });
    // Ctrl+Enter end to end: status row + audit, next unfinished, opening it,
    // the next frame (count and page read again).
    c.bench_function(&name("action/mark_done_and_next"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let start = Instant::now();
                    app.run(Command::MarkDoneAndNext);
                    start.elapsed() + frame(&ctx, &mut app)
                })
                .sum()
        })
    });

    let store = Store::open(path).expect("open the bench project");
    for (name, query) in queries() {
        c.bench_function(&format!("query/page/{name}/first"), |b| {
            b.iter(|| black_box(store.document_page(&query, 0, 100).expect("page")))
        });
        c.bench_function(&format!("query/page/{name}/middle"), |b| {
            b.iter(|| black_box(store.document_page(&query, 50_000, 100).expect("page")))
        });
        c.bench_function(&format!("query/count/{name}"), |b| {
            b.iter(|| black_box(store.document_count(&query).expect("count")))
        });
    }
    let query = queries().remove(0);
    let mut after = 1;
    c.bench_function("query/next_unfinished/import", |b| {
        b.iter(|| {
            after = (after + 7_919) % n as i64;
            black_box(store.next_unfinished(&query.1, Some(after)).expect("next"))
        })
    });
}

fn main() {
    let documents = documents();
    let path = support::project_path(documents);
    if !path.exists() {
        // Building the project would distort the memory figures: build it,
        // then measure in a fresh process.
        let built = Instant::now();
        support::project(documents);
        println!("generated {} in {:.1?}", path.display(), built.elapsed());
        let status = std::process::Command::new(std::env::current_exe().expect("this bench"))
            .args(std::env::args_os().skip(1))
            .status()
            .expect("rerun the bench");
        std::process::exit(status.code().unwrap_or(1));
    }
    startup_and_memory(&path);
    frames_while_reading(&path);
    if std::env::args().any(|a| a == "--frames-only") {
        return;
    }
    let mut c = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    browser_benches(&mut c, &path);
    c.final_summary();
}
