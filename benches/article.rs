//! Speed of the article view: full layout, an idle frame, hit-testing, and
//! adding a span end to end (command, SQLite commit, next frame).
//!
//! Run with `cargo bench --bench article`; figures go in BENCHMARKS.md.
//! Two inputs: the bundled sample article (2,263 characters) and a
//! 200,000-character article built by repeating its real paragraphs.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmic_text::ShapeRunCache;
use criterion::{Criterion, criterion_group, criterion_main};
use tawsim::fonts::font_system;
use tawsim::layout::{ArticleLayout, LayoutParams};
use tawsim::model::CharRange;
use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::{NewDocument, Store};
use tawsim::text::OffsetIndex;
use tawsim::ui::{App, Command};

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

/// About `chars` characters of real news text: the sample's paragraphs,
/// repeated in a rotating order so neighbouring paragraphs differ.
fn long_article(chars: usize) -> String {
    let paras: Vec<&str> = ARTICLE.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = String::new();
    let mut n = 0;
    let mut i = 0;
    while n < chars {
        let p = paras[(i * 7 + i / paras.len()) % paras.len()];
        if !out.is_empty() {
            out.push('\n');
            n += 1;
        }
        out.push_str(p);
        n += p.chars().count();
        i += 1;
    }
    out
}

fn layout_benches(c: &mut Criterion) {
    let mut fonts = font_system();
    let params = LayoutParams {
        width: 760.0,
        ..LayoutParams::default()
    };
    for (name, text) in [
        ("sample", ARTICLE.to_owned()),
        ("200k", long_article(200_000)),
    ] {
        let text: Arc<str> = Arc::from(text);
        let index = Arc::new(OffsetIndex::new(&text));
        c.bench_function(&format!("layout/full/{name}"), |b| {
            b.iter(|| {
                // Cold: opening a document the view has not shaped before.
                fonts.shape_run_cache = ShapeRunCache::default();
                ArticleLayout::new(&mut fonts, Arc::clone(&text), Arc::clone(&index), params)
            })
        });
        let mut layout =
            ArticleLayout::new(&mut fonts, Arc::clone(&text), Arc::clone(&index), params);
        let mut wide = false;
        c.bench_function(&format!("layout/rewrap/{name}"), |b| {
            b.iter(|| {
                wide = !wide;
                let width = if wide { 900.0 } else { 760.0 };
                layout.relayout(&mut fonts, LayoutParams { width, ..params });
            })
        });
        let layout = ArticleLayout::new(&mut fonts, Arc::clone(&text), Arc::clone(&index), params);
        let height = layout.height();
        c.bench_function(&format!("hit/boundary/{name}"), |b| {
            let mut k = 0u32;
            b.iter(|| {
                k = k.wrapping_add(7919);
                let x = (k % 760) as f32;
                let y = (k % 10_007) as f32 / 10_007.0 * height;
                black_box(layout.hit_boundary(x, y))
            })
        });
        c.bench_function(&format!("hit/span_boxes/{name}"), |b| {
            let n = index.char_len();
            let mut k = 0usize;
            b.iter(|| {
                k = (k + 7919) % (n - 10);
                black_box(layout.range_boxes(k..k + 8))
            })
        });
    }
}

/// A window 1280×860 points at 1 pixel per point.
fn raw_input(events: Vec<egui::Event>) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 860.0),
        )),
        events,
        ..Default::default()
    }
}

fn frame(ctx: &egui::Context, app: &mut App) -> Duration {
    let start = Instant::now();
    let output = ctx.run_ui(raw_input(Vec::new()), |ui| app.ui(ui));
    let prims = ctx.tessellate(output.shapes, output.pixels_per_point);
    black_box(prims);
    start.elapsed()
}

fn app_with(text: &str, dir: &std::path::Path) -> App {
    let mut store = Store::open(&dir.join("bench.db")).expect("bench project");
    let doc = NewDocument {
        title: "bench".into(),
        text: text.to_owned(),
        source: "bench".into(),
        meta: serde_json::json!({}),
    };
    store.import_document(&doc, None).expect("import");
    let settings = Settings {
        annotator: Some("bench".into()),
        ..Settings::default()
    };
    App::new(store, Schema::default_schema(), settings, None)
}

fn app_benches(c: &mut Criterion) {
    for (name, text) in [
        ("sample", ARTICLE.to_owned()),
        ("200k", long_article(200_000)),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut app = app_with(&text, dir.path());
        let ctx = egui::Context::default();
        for _ in 0..5 {
            frame(&ctx, &mut app);
        }
        c.bench_function(&format!("frame/idle/{name}"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| frame(&ctx, &mut app)).sum())
        });

        // Tag successive words: command + SQLite commit (WAL, synchronous=FULL)
        // + the next frame, which recomputes span geometry.
        let words: Vec<CharRange> = word_ranges(&text);
        let mut next = 0usize;
        c.bench_function(&format!("span/add_end_to_end/{name}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let range = words[next % words.len()];
                    next += 1;
                    let start = Instant::now();
                    app.run(Command::SetSelection(Some(range)));
                    app.run(Command::Tag("PLACE".into()));
                    total += start.elapsed() + frame(&ctx, &mut app);
                    // Keep the document's span count steady.
                    app.run(Command::DeleteSpan);
                }
                total
            })
        });
    }
}

/// Code-point ranges of the words of `text` (runs of non-space characters).
fn word_ranges(text: &str) -> Vec<CharRange> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in text.chars().chain(std::iter::once(' ')).enumerate() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.extend(CharRange::new(s, i).ok());
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Review mode on the 200k article with three layers of 2,000 spans each:
/// the first frame (categories, span geometry) and then idle frames.
fn review_benches(c: &mut Criterion) {
    let text = long_article(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app_with(&text, dir.path());
    let words = word_ranges(&text);
    let labels = ["CASUALTY", "PLACE", "DATE", "ACTOR"];
    let mut layers = Vec::new();
    {
        let store = app.store_mut();
        let doc = store.documents().expect("documents")[0].id;
        for (k, name) in ["layla", "omar", "sara"].into_iter().enumerate() {
            let who = store.annotator_id(name).expect("annotator");
            // Layers agree on most words and differ on some labels.
            for (i, range) in words
                .iter()
                .step_by(words.len() / 2_000)
                .take(2_000)
                .enumerate()
            {
                let label = labels[(i + usize::from(i % 7 == 0) * k) % labels.len()];
                store
                    .add_span(doc, who, *range, label, tawsim::model::Origin::Manual)
                    .expect("span");
            }
            layers.push(store.annotator_layer(who).expect("layer"));
        }
    }
    for layer in layers {
        app.run(Command::ShowLayer(layer, true));
    }
    app.run(Command::ToggleReview);
    let ctx = egui::Context::default();
    let first = frame(&ctx, &mut app);
    println!("review/first_frame/200k_3x2000: {first:?}");
    for _ in 0..5 {
        frame(&ctx, &mut app);
    }
    c.bench_function("review/idle_frame/200k_3x2000", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| frame(&ctx, &mut app)).sum())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(4));
    targets = layout_benches, app_benches, review_benches
}
criterion_main!(benches);
