//! File ▸ Import… in the real app, headless: the dialog's choices reach the
//! importer, the import runs on its own thread and connection, and the report
//! (or the refusal) is shown, with the document list refreshed.

use std::path::PathBuf;
use std::time::Duration;

mod common;

use common::harness;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tawsim::store::Store;
use tawsim::ui::import::{ImportCommand, ImportUi};
use tawsim::ui::{App, Command};

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

/// A project file holding the sample article.
fn project(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::open(&dir.path().join("p.db")).unwrap();
    let parsed = tawsim::io::parse_txt(ARTICLE.as_bytes(), "idlib-ceasefire-ar.txt").unwrap();
    store.import_document(&parsed.doc, None).unwrap();
    store
}

/// Step frames until the background import has reported.
fn wait_for_report(harness: &mut Harness<'static, App>) {
    for _ in 0..1000 {
        harness.step();
        if matches!(harness.state().import_state(), ImportUi::Done(_)) {
            harness.run();
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the import did not finish");
}

fn write(dir: &tempfile::TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn the_dialog_imports_into_the_named_layer_and_shows_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let store = project(&dir);
    let mut harness = harness(store);

    harness.get_by_label("File").click();
    harness.run();
    harness.get_by_label("Import…").click();
    harness.run();
    assert!(matches!(
        harness.state().import_state(),
        ImportUi::Dialog(_)
    ));
    harness.get_by_label("No files chosen");

    let file = write(
        &dir,
        "model.jsonl",
        "{\"text\": \"قصف على إدلب\", \"label\": [[8, 12, \"PLACE\"]]}\n{\"text\": \"حلب\", \"label\": [[0, 9, \"PLACE\"]]}\n",
    );
    // What the file dialog would hand back.
    harness
        .state_mut()
        .run(Command::ImportDialog(ImportCommand::Open(vec![
            file.clone(),
        ])));
    harness.run();
    // The layer box of the dialog (the document note box is another input).
    let layer_box = |h: &egui_kittest::Harness<'_, tawsim::ui::App>| {
        h.get_by_role_and_label(egui::Role::TextInput, "Layer")
            .rect()
            .center()
    };
    let at = layer_box(&harness);
    harness.hover_at(at);
    harness.run();
    harness.drag_at(at);
    harness.run();
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
    harness.event(egui::Event::Text("second-annotator".into()));
    harness.run();
    harness
        .get_by_label("Skip bad records (otherwise one bad record imports nothing)")
        .click();
    harness.run();
    harness.get_by_label("Import").click();
    wait_for_report(&mut harness);

    harness.get_by_label("Import finished");
    harness.get_by_label("documents: 1 added, 0 already in the project");
    harness.get_by_label_contains(&format!(
        "refused {}:2: label[0]: end 9 is past the end of the text (3 characters)",
        file.display()
    ));
    let app = harness.state();
    let docs = app.store().documents().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].span_count, 1);
    let layers = app.store().layers().unwrap();
    assert!(
        layers.iter().any(|l| l.name == "second-annotator"),
        "{layers:?}"
    );
    assert_eq!(app.store().spans(docs[1].id).unwrap()[0].text, "إدلب");
    // The document list shows the new document.
    harness.get_by_label("قصف على إدلب");

    harness.get_by_label("OK").click();
    harness.run();
    assert!(matches!(harness.state().import_state(), ImportUi::Closed));
}

#[test]
fn a_refused_import_says_so_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = project(&dir);
    let mut harness = harness(store);
    let file = write(
        &dir,
        "foreign.jsonl",
        "{\"text\": \"حلب\", \"label\": [[0, 3, \"GPE\"]]}\n",
    );
    harness
        .state_mut()
        .run(Command::ImportDialog(ImportCommand::Open(vec![file])));
    harness.run();
    harness.get_by_label("Import").click();
    wait_for_report(&mut harness);
    harness.get_by_label("Import failed: nothing was written");
    harness.get_by_label_contains("nor in the label map: GPE (1)");
    assert_eq!(harness.state().store().documents().unwrap().len(), 1);
    let layers = harness.state().store().layers().unwrap();
    assert!(
        layers.iter().all(|l| l.name != "foreign.jsonl"),
        "{layers:?}"
    );
}

/// A JSONL of `n` distinct documents, each with a PLACE span on «إدلب».
fn many(dir: &tempfile::TempDir, n: usize) -> PathBuf {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            "{{\"text\": \"قصف على إدلب في اليوم {i}\", \"label\": [[8, 12, \"PLACE\"]]}}\n"
        ));
    }
    write(dir, "many.jsonl", &out)
}

#[test]
fn the_annotator_works_on_during_an_import_and_cancel_leaves_nothing_visible() {
    let dir = tempfile::tempdir().unwrap();
    let store = project(&dir);
    let mut harness = harness(store);
    let file = many(&dir, 40_000);
    harness
        .state_mut()
        .run(Command::ImportDialog(ImportCommand::Open(vec![file])));
    harness.run();
    harness.get_by_label("Import").click();
    // Step until the import has written its first batches (hidden).
    let mut started = false;
    for _ in 0..2000 {
        harness.step();
        if let ImportUi::Running(job) = harness.state().import_state()
            && matches!(job.stage(), Some(tawsim::io::Stage::Importing { records, .. }) if records > 1_000)
        {
            started = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(started, "the import got going");
    // Not modal: the article takes a selection and a label key, and the
    // span is committed while the import runs.
    let text = common::text_of(&harness);
    let word = common::find(&text, "إدلب", 0);
    common::drag(
        &mut harness,
        word.start,
        word.end - 1,
        egui::Modifiers::NONE,
    );
    harness.key_press(egui::Key::Num2);
    harness.step();
    // Should the lock be taken for a moment, the tag waits a frame or two.
    for _ in 0..200 {
        if harness.state().waiting_commands() == 0 {
            break;
        }
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(harness.state().waiting_commands(), 0);
    assert!(
        matches!(harness.state().import_state(), ImportUi::Running(_)),
        "the import still runs"
    );
    let doc = harness.state().current_document().unwrap();
    let spans = harness.state().store().spans(doc).unwrap();
    assert!(
        spans.iter().any(|s| s.range.as_range() == word),
        "the span is saved during the import: {spans:?}"
    );
    // The import's documents are not visible while it runs.
    assert_eq!(harness.state().store().documents().unwrap().len(), 1);

    harness.get_by_label("Cancel").click();
    wait_for_report(&mut harness);
    harness.get_by_label("Import failed: nothing was written");
    harness.get_by_label("the import was cancelled; nothing was written");
    let app = harness.state();
    assert_eq!(app.store().documents().unwrap().len(), 1);
    assert!(
        app.store()
            .layers()
            .unwrap()
            .iter()
            .all(|l| l.name != "many.jsonl"),
        "no layer of the cancelled import"
    );
    assert!(app.store().running_imports().unwrap().is_empty());
    // The span tagged meanwhile stays.
    assert_eq!(app.store().spans(doc).unwrap().len(), spans.len());
}

#[test]
fn documents_imported_from_the_command_line_appear_in_the_open_window() {
    let dir = tempfile::tempdir().unwrap();
    let store = project(&dir);
    let mut harness = harness(store);
    assert_eq!(harness.state().browser().shown_count().0, Some(1));
    // `tawsim import` in another process: another connection, its own import.
    let file = many(&dir, 300);
    let mut other = Store::open(&dir.path().join("p.db")).unwrap();
    let actor = other.annotator_id("cli").unwrap();
    tawsim::io::import_paths(
        &mut other,
        &[file],
        &tawsim::io::ImportOptions::default(),
        actor,
        &mut |_| true,
    )
    .unwrap();
    // The window's indexer finds the new documents and the list shows them.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while harness.state().browser().shown_count().0 != Some(301) {
        assert!(
            std::time::Instant::now() < deadline,
            "the list shows the import"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    // And the Layers panel offers the import's layer.
    harness.step();
    harness.get_by_label("many.jsonl");
}
