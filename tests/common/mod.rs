//! Shared helpers for the kittest UI tests: a project with the sample
//! article, the app harness, and pointer gestures on the rendered article.
#![allow(dead_code)]

use egui::{Modifiers, Pos2};
use egui_kittest::Harness;
use tawsim::model::Span;
use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::Store;
use tawsim::ui::App;

pub const ARTICLE: &str = include_str!("../../assets/samples/idlib-ceasefire-ar.txt");

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
}

pub fn project() -> (Fixture, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.db");
    let mut store = Store::open(&path).unwrap();
    let parsed = tawsim::io::parse_txt(ARTICLE.as_bytes(), "idlib-ceasefire-ar.txt").unwrap();
    store.import_document(&parsed.doc, None).unwrap();
    (Fixture { _dir: dir, path }, store)
}

pub fn harness(store: Store) -> Harness<'static, App> {
    let settings = Settings {
        annotator: Some("tester".into()),
        ..Settings::default()
    };
    let app = App::new(store, Schema::default_schema(), settings, None);
    let mut harness = Harness::builder()
        .with_size(egui::Vec2::new(1280.0, 860.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(400)
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    harness.run();
    harness
}

/// Code-point range of the `nth` occurrence of `word` in the article text.
pub fn find(text: &str, word: &str, nth: usize) -> std::ops::Range<usize> {
    let chars: Vec<char> = text.chars().collect();
    let w: Vec<char> = word.chars().collect();
    let start = (0..chars.len())
        .filter(|&i| chars[i..].starts_with(&w))
        .nth(nth)
        .unwrap_or_else(|| panic!("{word} occurs {nth}+1 times"));
    start..start + w.len()
}

pub fn text_of(harness: &Harness<'_, App>) -> String {
    let app = harness.state();
    let doc = app.current_document().unwrap();
    app.store().document(doc).unwrap().text
}

/// Centre of the box of code point `c` on screen.
pub fn centre(harness: &Harness<'_, App>, c: usize) -> Pos2 {
    let boxes = harness.state().screen_boxes(c..c + 1);
    boxes
        .first()
        .unwrap_or_else(|| panic!("char {c} is on screen"))
        .center()
}

/// Scroll the article with the mouse wheel until code point `c` is on screen.
pub fn scroll_into_view(harness: &mut Harness<'_, App>, c: usize) {
    for _ in 0..40 {
        let y = centre(harness, c).y;
        if (40.0..800.0).contains(&y) {
            return;
        }
        let over_article = egui::pos2(640.0, 430.0);
        harness.hover_at(over_article);
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, if y > 430.0 { -120.0 } else { 120.0 }),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: Modifiers::NONE,
        });
        harness.run();
    }
    panic!("could not scroll character {c} into view");
}

/// Press at code point `from`, drag through the middle, release at `to`.
pub fn drag(harness: &mut Harness<'_, App>, from: usize, to: usize, modifiers: Modifiers) {
    scroll_into_view(harness, from);
    let a = centre(harness, from);
    let b = centre(harness, to);
    harness.hover_at(a);
    harness.run();
    harness.drag_at(a);
    harness.run();
    harness.hover_at(a.lerp(b, 0.5));
    harness.run();
    harness.hover_at(b);
    harness.run();
    if modifiers != Modifiers::NONE {
        harness.event(egui::Event::ModifiersChanged(modifiers));
    }
    harness.event(egui::Event::PointerButton {
        pos: b,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers,
    });
    harness.run();
    if modifiers != Modifiers::NONE {
        harness.event(egui::Event::ModifiersChanged(Modifiers::NONE));
        harness.run();
    }
}

pub fn click(harness: &mut Harness<'_, App>, c: usize) {
    scroll_into_view(harness, c);
    let p = centre(harness, c);
    harness.hover_at(p);
    harness.run();
    harness.drag_at(p);
    harness.run();
    harness.event(egui::Event::PointerButton {
        pos: p,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.run();
}

pub fn stored_spans(path: &std::path::Path) -> Vec<Span> {
    // A second, independent connection: what is on disk, not what the app holds.
    let store = Store::open(path).unwrap();
    let doc = store.documents().unwrap()[0].id;
    store.spans(doc).unwrap()
}
