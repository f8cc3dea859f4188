//! Review mode driven through the real app: accept, reject and correct
//! spans into gold with the keyboard, and accept all agreed spans at once.

mod common;

use common::{click, find, harness, project};
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use tawsim::model::{CharRange, Origin, Span};
use tawsim::store::{LayerKind, ReviewStatus, Store};

struct Setup {
    fixture: common::Fixture,
    doc: i64,
    idlib: std::ops::Range<usize>,
    putin: std::ops::Range<usize>,
    thursday: std::ops::Range<usize>,
}

/// Two annotators: they agree on «إدلب» PLACE, disagree on «بوتين»
/// (ACTOR / PLACE), and only omar tagged «الخميس» DATE.
fn two_annotators() -> (Setup, Store) {
    let (fixture, mut store) = project();
    let doc = store.documents().unwrap()[0].id;
    let text = store.document(doc).unwrap().text;
    let layla = store.annotator_id("layla").unwrap();
    let omar = store.annotator_id("omar").unwrap();
    let idlib = find(&text, "إدلب", 0);
    let putin = find(&text, "بوتين", 0);
    let thursday = find(&text, "الخميس", 0);
    let r = |r: &std::ops::Range<usize>| CharRange::new(r.start, r.end).unwrap();
    for (who, range, label) in [
        (layla, &idlib, "PLACE"),
        (omar, &idlib, "PLACE"),
        (layla, &putin, "ACTOR"),
        (omar, &putin, "PLACE"),
        (omar, &thursday, "DATE"),
    ] {
        store
            .add_span(doc, who, r(range), label, Origin::Manual)
            .unwrap();
    }
    let setup = Setup {
        fixture,
        doc,
        idlib,
        putin,
        thursday,
    };
    (setup, store)
}

fn gold_spans(path: &std::path::Path, doc: i64) -> Vec<Span> {
    let store = Store::open(path).unwrap();
    let gold = store
        .layers()
        .unwrap()
        .into_iter()
        .find(|l| l.kind == LayerKind::Gold);
    let Some(gold) = gold else {
        return Vec::new();
    };
    store
        .spans(doc)
        .unwrap()
        .into_iter()
        .filter(|s| s.layer == gold.id)
        .collect()
}

fn enter_review(harness: &mut egui_kittest::Harness<'_, tawsim::ui::App>) {
    harness.get_by_label("show layer layla").click();
    harness.run();
    harness.get_by_label("show layer omar").click();
    harness.run();
    harness.get_by_label("Review").click();
    harness.run();
    harness.get_by_label("Review mode").click();
    harness.run();
}

#[test]
fn accept_reject_and_correct_into_gold_with_the_keyboard() {
    let (setup, store) = two_annotators();
    let mut harness = harness(store);
    enter_review(&mut harness);
    // Both layers are shown, nothing in gold yet.
    assert_eq!(harness.state().spans().len(), 5);
    assert!(gold_spans(&setup.fixture.path, setup.doc).is_empty());

    // A on «إدلب»: accepted into gold, the document is now in review.
    click(&mut harness, setup.idlib.start + 1);
    let source = harness.state().selected_span().unwrap();
    harness.key_press(Key::A);
    harness.run();
    let gold = gold_spans(&setup.fixture.path, setup.doc);
    assert_eq!(gold.len(), 1);
    assert_eq!(gold[0].text, "إدلب");
    assert_eq!(gold[0].label, "PLACE");
    assert_eq!(gold[0].source_span, Some(source));
    let reviewer = harness
        .state()
        .store()
        .annotators()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "tester")
        .unwrap()
        .id;
    assert_eq!(gold[0].annotator, reviewer);
    assert_eq!(
        harness.state().store().review_status(setup.doc).unwrap(),
        ReviewStatus::InReview
    );

    // «بوتين» is a label conflict: select a span and press 4 → ACTOR in gold.
    click(&mut harness, setup.putin.start + 1);
    harness.key_press(Key::Num4);
    harness.run();
    let gold = gold_spans(&setup.fixture.path, setup.doc);
    let corrected = gold
        .iter()
        .find(|s| s.text == "بوتين")
        .expect("corrected span");
    assert_eq!(corrected.label, "ACTOR");
    assert!(corrected.source_span.is_some());

    // R rejects omar's lone DATE; Ctrl+Z takes the rejection back.
    click(&mut harness, setup.thursday.start + 1);
    let date = harness.state().selected_span().unwrap();
    harness.key_press(Key::R);
    harness.run();
    let rejected = |h: &egui_kittest::Harness<'_, tawsim::ui::App>| {
        h.state()
            .store()
            .rejected_spans(setup.doc, reviewer)
            .unwrap()
    };
    assert!(rejected(&harness).contains(&date));
    assert!(!harness.state().spans().iter().any(|s| s.id == date));
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert!(rejected(&harness).is_empty());
    // Gold never gained the rejected span.
    assert_eq!(gold_spans(&setup.fixture.path, setup.doc).len(), 2);
    assert!(
        harness.state().errors().is_empty(),
        "{:?}",
        harness.state().errors()
    );
}

#[test]
fn accept_all_agreed_takes_only_what_both_layers_agree_on() {
    let (setup, store) = two_annotators();
    let mut harness = harness(store);
    enter_review(&mut harness);
    harness.key_press_modifiers(Modifiers::SHIFT, Key::A);
    harness.run();
    let gold = gold_spans(&setup.fixture.path, setup.doc);
    let texts: Vec<(&str, &str)> = gold
        .iter()
        .map(|s| (s.text.as_str(), s.label.as_str()))
        .collect();
    assert_eq!(texts, [("إدلب", "PLACE")]);
    // The browser shows and filters the review status.
    let in_review = tawsim::store::DocQuery {
        review: Some(ReviewStatus::InReview),
        ..Default::default()
    };
    let rows = harness
        .state()
        .store()
        .document_page(&in_review, 0, 10)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].review, ReviewStatus::InReview);
    let unreviewed = tawsim::store::DocQuery {
        review: Some(ReviewStatus::Unreviewed),
        ..Default::default()
    };
    assert_eq!(
        harness.state().store().document_count(&unreviewed).unwrap(),
        0
    );
    // Undo takes it out of gold again.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert!(gold_spans(&setup.fixture.path, setup.doc).is_empty());
}

#[test]
fn the_agreement_window_computes_figures_for_the_ticked_layers() {
    let (_setup, store) = two_annotators();
    let mut harness = harness(store);
    harness.get_by_label("Review").click();
    harness.run();
    harness.get_by_label("Agreement…").click();
    harness.run();
    harness.get_by_label("compare layer layla").click();
    harness.run();
    harness.get_by_label("compare layer omar").click();
    harness.run();
    harness.get_by_label("Compute").click();
    // The project is a file, so the figures come from a background thread.
    let mut shown = false;
    for _ in 0..300 {
        harness.step();
        if harness
            .query_by_label_contains("Krippendorff's alpha (nominal, tokens)")
            .is_some()
        {
            shown = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(shown, "the agreement figures appear");
    assert!(harness.query_by_label_contains("1 documents, ").is_some());
    // layla has إدلب, بوتين; omar has إدلب, بوتين, الخميس: exact F1 = 2·1/(2+3) = 0.4,
    // overlap F1 the same (the conflict has different labels).
    assert_eq!(harness.query_all_by_label("0.400").count(), 2);
}

#[test]
fn blind_annotation_hides_other_layers_until_the_document_is_done() {
    let (_setup, mut store) = two_annotators();
    store.set_blind_annotation(true, None).unwrap();
    let mut harness = harness(store);
    harness.get_by_label("show layer omar").click();
    harness.run();
    // The checkbox is disabled: nothing of omar's shows.
    assert!(harness.state().spans().is_empty());
    assert!(
        harness
            .query_by_label_contains("Blind annotation: other layers appear")
            .is_some()
    );
    harness
        .state_mut()
        .run(tawsim::ui::Command::SetStatus(tawsim::store::Status::Done));
    harness.run();
    harness.get_by_label("show layer omar").click();
    harness.run();
    assert_eq!(harness.state().spans().len(), 3);
}

#[test]
fn the_evaluation_window_shows_precision_and_recall_per_label() {
    let (_setup, store) = two_annotators();
    let mut harness = harness(store);
    harness.get_by_label("Review").click();
    harness.run();
    harness.get_by_label("Evaluate a layer…").click();
    harness.run();
    // Evaluate layla (layer 1) against omar (layer 2).
    for (which, layer) in [("evaluate", "1"), ("against", "2")] {
        harness
            .get_by_role_and_label(egui::Role::ComboBox, which)
            .click();
        harness.run();
        harness.get_by_label(layer).click();
        harness.run();
    }
    harness.get_by_label("Evaluate").click();
    let mut shown = false;
    for _ in 0..300 {
        harness.step();
        if harness.query_all_by_label("ALL").next().is_some() {
            shown = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(shown, "the evaluation table appears");
    // Exact: layla's إدلب matches; بوتين is a label conflict; omar's الخميس is missed.
    assert!(
        harness
            .query_by_label_contains("2 misses, 1 false alarms")
            .is_some()
    );
    assert_eq!(
        harness.query_all_by_label("0.400").count(),
        2,
        "F1 exact and overlap"
    );
}

/// The progress window reads the project on its own thread and counts a
/// document "in progress" exactly as the document list does: an annotator's
/// spans without a status, or the status itself. Refresh reads it again.
#[test]
fn the_progress_window_counts_documents_as_the_list_does() {
    let (_setup, store) = two_annotators();
    let mut harness = harness(store);
    harness.get_by_label("Review").click();
    harness.run();
    harness.get_by_label("Progress…").click();
    harness.run();
    assert!(
        harness
            .query_by_label("1 document in the project")
            .is_some()
    );
    // layla and omar tagged the document and set no status.
    assert_eq!(
        harness.query_all_by_label("0 done, 1 in progress").count(),
        2
    );
    // The current annotator marks it done; the list and the window agree.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    harness.run();
    harness.get_by_label("Refresh").click();
    harness.run();
    assert_eq!(
        harness.query_all_by_label("1 done, 0 in progress").count(),
        1
    );
    assert_eq!(
        harness.query_all_by_label("0 done, 1 in progress").count(),
        2
    );
}
