//! File ▸ Merge project files… in the real app, headless: an annotator's
//! file is merged on its own thread and connection while the window keeps
//! working, then the report is shown and the annotator's layer is there.

use std::path::Path;
use std::time::Duration;

mod common;

use common::{harness, project};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tawsim::model::{CharRange, Origin};
use tawsim::store::{Status, Store};
use tawsim::ui::merge::MergeCommand;
use tawsim::ui::{App, Command};

/// Step frames until the background merge has reported.
fn wait_for_report(harness: &mut Harness<'static, App>) {
    for _ in 0..1000 {
        harness.step();
        if harness.state().merge_result().is_some() {
            harness.run();
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the merge did not finish");
}

/// layla's copy of the project: two spans and the document done.
fn laylas_copy(project: &Path, copy: &Path) {
    Store::open(project).unwrap().checkpoint().unwrap();
    std::fs::copy(project, copy).unwrap();
    let mut store = Store::open(copy).unwrap();
    let layla = store.annotator_id("layla").unwrap();
    let doc = store.documents().unwrap()[0].id;
    for (start, end, label) in [(0, 4, "ACTOR"), (10, 14, "PLACE")] {
        store
            .add_span(
                doc,
                layla,
                CharRange::new(start, end).unwrap(),
                label,
                Origin::Manual,
            )
            .unwrap();
    }
    store.set_status(doc, layla, Status::Done).unwrap();
    store.checkpoint().unwrap();
}

#[test]
fn merging_a_file_from_the_menu_shows_the_report_and_the_annotators_layer() {
    let (fixture, store) = project();
    let copy = fixture.path.with_file_name("layla.tawsim");
    laylas_copy(&fixture.path, &copy);
    let mut harness = harness(store);
    harness.get_by_label("File").click();
    harness.run();
    harness.get_by_label("Merge project files…");
    harness.key_press(egui::Key::Escape);
    harness.run();

    // What the file dialog would hand back.
    harness
        .state_mut()
        .run(Command::MergeDialog(MergeCommand::Start(vec![
            copy.clone(),
        ])));
    wait_for_report(&mut harness);
    harness.get_by_label("Merge finished");
    let (reports, error) = harness.state().merge_result().unwrap();
    assert_eq!(error, None);
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0].contains("layla: 1 documents done, 2 spans"),
        "{}",
        reports[0]
    );
    let layers: Vec<String> = harness
        .state()
        .store()
        .layers()
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(layers.contains(&"layla".to_owned()), "{layers:?}");
    harness.get_by_label("OK").click();
    harness.run();
    assert!(harness.state().merge_result().is_none());

    // A file that is not a project: the reason, and nothing merged.
    let junk = fixture.path.with_file_name("junk.tawsim");
    std::fs::write(&junk, "hello").unwrap();
    harness
        .state_mut()
        .run(Command::MergeDialog(MergeCommand::Start(vec![junk])));
    wait_for_report(&mut harness);
    harness.get_by_label("Merge stopped");
    let (reports, error) = harness.state().merge_result().unwrap();
    assert!(reports.is_empty());
    let error = error.unwrap();
    assert!(
        error.contains("junk.tawsim") && error.contains("not a tawsim project"),
        "{error}"
    );
}
