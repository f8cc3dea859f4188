//! Assignments in the app, driven through egui_kittest: the list and N go
//! by "assigned to me", rows show assignees and who finished, the "ready
//! for review" filter and queue, the progress dashboard, and the Assign
//! dialog.

use egui::{Key, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use tawsim::model::{AnnotatorId, CharRange, DocId, Origin};
use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::{AssignPlan, DocQuery, NewDocument, ReviewStatus, Status, Store};
use tawsim::ui::App;

/// UD Arabic-PUD sentences (CC BY-SA 3.0, see tests/data/ud-arabic-pud/LICENSE.txt).
const SENTENCES: &str = include_str!("data/ud-arabic-pud/sentences.txt");
const DOCS: usize = 6;

fn new_document(i: usize) -> NewDocument {
    let lines: Vec<&str> = SENTENCES.lines().filter(|l| !l.trim().is_empty()).collect();
    NewDocument {
        title: lines[2 * i]
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" "),
        text: format!("{}\n{}", lines[2 * i], lines[2 * i + 1]),
        source: format!("ud-arabic-pud:{i}"),
        meta: serde_json::json!({}),
    }
}

struct Project {
    _dir: tempfile::TempDir,
    store: Store,
    docs: Vec<DocId>,
    /// The app's annotator.
    tester: AnnotatorId,
    layla: AnnotatorId,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.db");
    let mut store = Store::open(&path).unwrap();
    let tester = store.annotator_id("tester").unwrap();
    let layla = store.annotator_id("layla").unwrap();
    let new: Vec<NewDocument> = (0..DOCS).map(new_document).collect();
    let docs = store
        .import_documents(&new, None)
        .unwrap()
        .into_iter()
        .map(|i| i.id())
        .collect();
    Project {
        _dir: dir,
        store,
        docs,
        tester,
        layla,
    }
}

/// Documents 0–2 to tester and layla, 3–5 to layla alone.
fn assigned_project() -> Project {
    let mut p = project();
    for (i, &doc) in p.docs.iter().enumerate() {
        if i < 3 {
            p.store.set_assignment(doc, p.tester, true, None).unwrap();
        }
        p.store.set_assignment(doc, p.layla, true, None).unwrap();
    }
    p
}

fn harness(mut store: Store) -> Harness<'static, App> {
    // Indexed before the window opens, so the indexer does not refresh the list meanwhile.
    store.index_queued(usize::MAX).unwrap();
    let settings = Settings {
        annotator: Some("tester".into()),
        ..Settings::default()
    };
    let app = App::new(store, Schema::default_schema(), settings, None);
    let mut harness = Harness::builder()
        .with_size(egui::Vec2::new(1280.0, 1400.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(400)
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    harness.run();
    harness
}

/// The button (not a label or chip) called `name`.
fn button<'a>(harness: &'a Harness<'static, App>, name: &'a str) -> egui_kittest::Node<'a> {
    harness
        .get_all_by_label(name)
        .find(|n| n.accesskit_node().role() != Role::Label)
        .unwrap_or_else(|| panic!("a control called {name:?}"))
}

fn review_menu(harness: &mut Harness<'static, App>, item: &str) {
    button(harness, "Review").click();
    harness.run();
    button(harness, item).click();
    harness.run();
}

#[test]
fn the_list_and_n_go_by_my_assignments() {
    let p = assigned_project();
    let docs = p.docs.clone();
    let tester = p.tester;
    let mut harness = harness(p.store);
    assert_eq!(harness.state().browser().query().assigned, Some(tester));
    assert!(harness.query_by_label("3 documents").is_some());
    assert_eq!(harness.state().current_document(), Some(docs[0]));
    // Every row shows its assignees; nobody finished yet.
    assert_eq!(harness.query_all_by_label("assigned:").count(), 3);
    assert_eq!(harness.query_all_by_label("finished").count(), 0);

    // N walks my three documents only, around and around.
    for expected in [docs[1], docs[2], docs[0], docs[1]] {
        harness.key_press(Key::N);
        harness.run();
        assert_eq!(harness.state().current_document(), Some(expected));
    }
    // Ctrl+Enter marks mine done and goes on within mine.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::Enter);
    harness.run();
    assert_eq!(harness.state().current_document(), Some(docs[2]));
    assert_eq!(harness.query_all_by_label("finished").count(), 1);

    // "all documents" shows the others too; N still keeps to mine.
    harness.get_by_value("assigned to me").click();
    harness.run();
    button(&harness, "all documents").click();
    harness.run();
    assert!(harness.query_by_label("6 documents").is_some());
    assert_eq!(harness.state().browser().query().assigned, None);
    harness.key_press(Key::N);
    harness.run();
    assert_eq!(harness.state().current_document(), Some(docs[0]));
}

#[test]
fn ready_documents_are_filtered_and_walked_in_review_mode() {
    let mut p = assigned_project();
    let docs = p.docs.clone();
    let (tester, layla) = (p.tester, p.layla);
    for &doc in &docs[..2] {
        for who in [tester, layla] {
            p.store
                .add_span(
                    doc,
                    who,
                    CharRange::new(0, 3).unwrap(),
                    "PLACE",
                    Origin::Manual,
                )
                .unwrap();
            p.store.set_status(doc, who, Status::Done).unwrap();
        }
    }
    // Done by layla alone: not ready.
    p.store.set_status(docs[2], layla, Status::Done).unwrap();
    let mut harness = harness(p.store);
    // Both assignees finished documents 0 and 1.
    assert_eq!(harness.query_all_by_label("finished").count(), 5);

    harness.get_by_value("assigned to me").click();
    harness.run();
    button(&harness, "ready for review").click();
    harness.run();
    assert!(harness.state().browser().query().ready);
    assert!(harness.query_by_label("2 documents").is_some());

    // The queue opens the first ready document in review mode, comparing
    // its assignees' layers (tester's own and layla's).
    harness.key_press(Key::Escape);
    review_menu(&mut harness, "Next document ready for review");
    assert_eq!(harness.state().current_document(), Some(docs[0]));
    let layers: std::collections::BTreeSet<_> = harness
        .state()
        .spans()
        .iter()
        .map(|s| s.annotator)
        .collect();
    assert_eq!(layers, [tester, layla].into_iter().collect());

    // Adjudicating it moves on to the next ready one, then none is left.
    review_menu(&mut harness, "Mark document adjudicated");
    assert_eq!(
        harness.state().store().review_status(docs[0]).unwrap(),
        ReviewStatus::Adjudicated
    );
    assert_eq!(harness.state().current_document(), Some(docs[1]));
    review_menu(&mut harness, "Mark document adjudicated");
    assert_eq!(harness.state().current_document(), Some(docs[1]));
    assert_eq!(
        harness.state().store().next_ready_for_review(None).unwrap(),
        None
    );
}

#[test]
fn the_progress_dashboard_goes_by_my_assignments() {
    let mut p = assigned_project();
    p.store
        .set_status(p.docs[0], p.tester, Status::Done)
        .unwrap();
    p.store
        .set_status(p.docs[1], p.tester, Status::InProgress)
        .unwrap();
    let mut harness = harness(p.store);
    review_menu(&mut harness, "Progress…");
    harness.get_by_label("Your assigned documents: 1 of 3 done, 1 in progress");
    harness.get_by_label("1 of 3 assigned done, 1 in progress");
    harness.get_by_label("0 of 6 assigned done, 0 in progress");
}

#[test]
fn the_assign_dialog_spreads_documents_like_the_store() {
    let mut p = project();
    p.store.annotator_id("omar").unwrap();
    let texts: Vec<NewDocument> = (0..DOCS).map(new_document).collect();
    let mut harness = harness(p.store);
    assert_eq!(harness.state().browser().query().assigned, None);
    review_menu(&mut harness, "Assign documents…");

    harness.get_by_label("assign to layla").click();
    harness.run();
    harness.get_by_label("assign to omar").click();
    harness.run();
    // A third annotator, new to the project, with an Arabic name.
    let input = harness
        .get_by_role_and_label(Role::TextInput, "Add a name")
        .rect()
        .center();
    harness.hover_at(input);
    harness.run();
    harness.drag_at(input);
    harness.run();
    harness.event(egui::Event::PointerButton {
        pos: input,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
    harness.event(egui::Event::Text("سارة".into()));
    harness.run();
    button(&harness, "Add").click();
    harness.run();
    assert!(harness.query_by_label("assign to سارة").is_some());
    harness
        .get_by_label("annotators per document:")
        .set_value_accesskit(2.0);
    harness.run();
    harness.get_by_label("seed:").set_value_accesskit(5.0);
    harness.run();
    button(&harness, "Assign").click();
    harness.run();
    // It runs on its own thread and connection; the window goes on.
    for _ in 0..500 {
        if !harness.state().assigning() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        harness.step();
    }
    assert!(
        !harness.state().assigning(),
        "the assignment did not finish"
    );
    harness.run();

    let app = harness.state();
    let store = app.store();
    let annotators = store.annotators().unwrap();
    let id = |name: &str| annotators.iter().find(|a| a.name == name).unwrap().id;
    for name in ["layla", "omar", "سارة"] {
        assert_eq!(store.assigned_count(id(name)).unwrap(), 4, "{name}");
    }
    let pairs = |store: &Store| {
        let mut out: Vec<(String, String)> = store
            .assignment_list(None)
            .unwrap()
            .into_iter()
            .flat_map(|d| {
                let sha = store.document(d.doc).unwrap().sha256;
                d.assignees.into_iter().map(move |a| (sha.clone(), a.name))
            })
            .collect();
        out.sort();
        out
    };
    // The same as the store (and so `tawsim assign`) gives for that plan.
    let mut reference = Store::open_in_memory().unwrap();
    reference.import_documents(&texts, None).unwrap();
    reference
        .assign(
            &AssignPlan {
                annotators: vec!["سارة".into(), "omar".into(), "layla".into()],
                per_document: 2,
                seed: 5,
                filter: DocQuery::default(),
            },
            None,
        )
        .unwrap();
    assert_eq!(pairs(store), pairs(&reference));
    // The lead has no documents of their own, so the list stays whole; its
    // rows now show their assignees.
    assert_eq!(store.assigned_count(id("tester")).unwrap(), 0);
    assert_eq!(app.browser().query().assigned, None);
    assert!(harness.query_by_label("6 documents").is_some());
    assert_eq!(harness.query_all_by_label("assigned:").count(), DOCS);
}
