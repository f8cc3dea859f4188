//! Suggestions in the app (kittest): stepping to a suggestion and accepting
//! it (A), rejecting it (R), correcting it with a label key, accepting all
//! above the threshold (Shift+A), and undoing each; the spans on disk and
//! what the article shows.
//!
//! The suggestions come from the project's stored suggestions layer (as
//! `tawsim suggest` leaves it), with only the project recogniser turned on,
//! so what is shown does not depend on the built-in recognisers.

mod common;

use common::{ARTICLE, click, find, harness, project, stored_spans};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tawsim::model::{Attrs, CharRange, Origin};
use tawsim::store::Store;
use tawsim::store::suggest::SUGGESTIONS_LAYER;
use tawsim::suggest::{Recogniser, Suggestion};
use tawsim::ui::App;

struct Setup {
    fixture: common::Fixture,
    doc: i64,
    thursday: CharRange,
    idlib: CharRange,
    putin: CharRange,
    aleppo: CharRange,
}

fn range(word: &str, nth: usize) -> CharRange {
    let r = find(ARTICLE, word, nth);
    CharRange::new(r.start, r.end).unwrap()
}

/// The sample article with four stored suggestions: «الخميس» DATE 0.9,
/// «إدلب» PLACE 0.95, «بوتين» ACTOR 0.5, «حلب» PLACE 0.85.
fn setup() -> (Setup, Store) {
    let (fixture, mut store) = project();
    let doc = store.documents().unwrap()[0].id;
    let lead = store.annotator_id("lead").unwrap();
    store
        .set_enabled_recognisers(&[Recogniser::Project], Some(lead))
        .unwrap();
    let layer = store
        .suggestions_layer(SUGGESTIONS_LAYER, Some(lead))
        .unwrap();
    let s = |range: CharRange, label: &str, score: f64| Suggestion {
        range,
        label: label.into(),
        attrs: Attrs::new(),
        score,
        recogniser: Recogniser::Project,
        reason: "accepted 3 times in this project".into(),
    };
    let setup = Setup {
        fixture,
        doc,
        thursday: range("الخميس", 0),
        idlib: range("إدلب", 0),
        putin: range("بوتين", 0),
        aleppo: range("حلب", 0),
    };
    let suggestions = vec![
        s(setup.thursday, "DATE", 0.9),
        s(setup.idlib, "PLACE", 0.95),
        s(setup.putin, "ACTOR", 0.5),
        s(setup.aleppo, "PLACE", 0.85),
    ];
    store
        .write_suggestions(layer, lead, &[(doc, suggestions)])
        .unwrap();
    (setup, store)
}

/// The tester's live spans on disk.
fn mine(setup: &Setup) -> Vec<tawsim::model::Span> {
    let store = Store::open(&setup.fixture.path).unwrap();
    let tester = store
        .annotators()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "tester")
        .unwrap()
        .id;
    let layer = store.annotator_layer(tester).unwrap();
    stored_spans(&setup.fixture.path)
        .into_iter()
        .filter(|s| s.layer == layer)
        .collect()
}

fn shown(harness: &Harness<'_, App>) -> Vec<(CharRange, String)> {
    harness
        .state()
        .suggestions()
        .iter()
        .map(|s| (s.range, s.label.clone()))
        .collect()
}

fn ready(setup: Setup, store: Store) -> (Setup, Harness<'static, App>) {
    let mut harness = harness(store);
    for _ in 0..50 {
        if !harness.state().suggestions_computing() {
            break;
        }
        harness.run();
    }
    assert_eq!(
        shown(&harness).len(),
        4,
        "the stored suggestions are shown: {:?}",
        shown(&harness)
    );
    (setup, harness)
}

fn undo(harness: &mut Harness<'_, App>) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
}

fn no_errors(harness: &Harness<'_, App>) {
    assert!(
        harness.state().errors().is_empty(),
        "{:?}",
        harness.state().errors()
    );
}

#[test]
fn s_steps_to_a_suggestion_a_accepts_it_and_undo_brings_it_back() {
    let (setup, store) = setup();
    let (setup, mut harness) = ready(setup, store);
    harness.key_press(Key::S);
    harness.run();
    let selected = harness.state().selected_suggestion().cloned().unwrap();
    assert_eq!(
        (selected.range, selected.label.as_str()),
        (setup.thursday, "DATE")
    );
    // The side panel shows its score, recogniser and reason.
    harness.get_by_label("score 0.90 · recogniser project");

    harness.key_press(Key::A);
    harness.run();
    let spans = mine(&setup);
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!((span.range, span.label.as_str()), (setup.thursday, "DATE"));
    assert_eq!(span.origin, Origin::Suggested);
    assert_eq!(span.model.as_deref(), Some("project"));
    assert_eq!(span.score, Some(0.9));
    // The article shows it as my span, no longer as a suggestion, and the
    // next suggestion is selected.
    assert!(harness.state().spans().iter().any(|s| s.id == span.id));
    assert!(!shown(&harness).contains(&(setup.thursday, "DATE".into())));
    assert_eq!(
        harness.state().selected_suggestion().map(|s| s.range),
        Some(setup.idlib)
    );
    let audit = harness.state().store().audit(setup.doc).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "span.add" && e.after["origin"] == "suggested")
    );

    undo(&mut harness);
    assert!(mine(&setup).is_empty(), "undo deleted the accepted span");
    assert!(shown(&harness).contains(&(setup.thursday, "DATE".into())));
    no_errors(&harness);
}

#[test]
fn a_click_selects_a_suggestion_r_rejects_it_for_good_and_undo_takes_it_back() {
    let (setup, store) = setup();
    let (setup, mut harness) = ready(setup, store);
    click(&mut harness, setup.idlib.start() + 1);
    let selected = harness.state().selected_suggestion().cloned().unwrap();
    assert_eq!(
        (selected.range, selected.label.as_str()),
        (setup.idlib, "PLACE")
    );

    harness.key_press(Key::R);
    harness.run();
    assert!(mine(&setup).is_empty(), "a rejection adds no span");
    assert!(!shown(&harness).contains(&(setup.idlib, "PLACE".into())));
    let tester = harness
        .state()
        .store()
        .annotators()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "tester")
        .unwrap()
        .id;
    let rejected = |h: &Harness<'_, App>| {
        h.state()
            .store()
            .suggestion_rejections(setup.doc, tester)
            .unwrap()
    };
    assert!(rejected(&harness).contains(&(setup.idlib, "PLACE".to_owned())));

    // Opened again (another window, later): still not suggested.
    let store = Store::open(&setup.fixture.path).unwrap();
    let again = harness_ready_count(store);
    assert_eq!(again, 3, "the rejected suggestion stays hidden");

    undo(&mut harness);
    assert!(rejected(&harness).is_empty());
    assert!(shown(&harness).contains(&(setup.idlib, "PLACE".into())));
    let actions: Vec<String> = harness
        .state()
        .store()
        .audit(setup.doc)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("suggestion."))
        .collect();
    assert_eq!(actions, ["suggestion.reject", "suggestion.unreject"]);
    no_errors(&harness);
}

fn harness_ready_count(store: Store) -> usize {
    let mut harness = harness(store);
    for _ in 0..50 {
        if !harness.state().suggestions_computing() {
            break;
        }
        harness.run();
    }
    harness.state().suggestions().len()
}

#[test]
fn a_label_key_accepts_a_suggestion_with_that_label() {
    let (setup, store) = setup();
    let (setup, mut harness) = ready(setup, store);
    click(&mut harness, setup.putin.start() + 1);
    assert_eq!(
        harness.state().selected_suggestion().map(|s| s.range),
        Some(setup.putin)
    );
    // 2 is PLACE in the bundled schema: «بوتين» suggested ACTOR, corrected.
    harness.key_press(Key::Num2);
    harness.run();
    let spans = mine(&setup);
    assert_eq!(spans.len(), 1);
    assert_eq!(
        (spans[0].range, spans[0].label.as_str()),
        (setup.putin, "PLACE")
    );
    assert_eq!(spans[0].origin, Origin::Suggested);
    assert_eq!(spans[0].score, Some(0.5));
    assert!(!shown(&harness).iter().any(|(r, _)| *r == setup.putin));
    undo(&mut harness);
    assert!(mine(&setup).is_empty());
    assert!(shown(&harness).contains(&(setup.putin, "ACTOR".into())));
    no_errors(&harness);
}

#[test]
fn shift_a_accepts_every_suggestion_at_or_above_the_threshold() {
    let (setup, store) = setup();
    let (setup, mut harness) = ready(setup, store);
    harness.key_press_modifiers(Modifiers::SHIFT, Key::A);
    harness.run();
    let mut got: Vec<(CharRange, String)> = mine(&setup)
        .into_iter()
        .map(|s| (s.range, s.label))
        .collect();
    got.sort();
    let mut want = vec![
        (setup.thursday, "DATE".to_owned()),
        (setup.idlib, "PLACE".to_owned()),
        (setup.aleppo, "PLACE".to_owned()),
    ];
    want.sort();
    assert_eq!(got, want, "0.95, 0.9 and 0.85 are at least 0.8; 0.5 is not");
    assert_eq!(shown(&harness), [(setup.putin, "ACTOR".to_owned())]);

    // A project threshold of 0.4 takes the last one too.
    harness.state_mut().run(tawsim::ui::Command::Suggest(
        tawsim::ui::suggest::SuggestCommand::SetThreshold(0.4),
    ));
    harness.run();
    assert_eq!(harness.state().store().suggest_threshold().unwrap(), 0.4);
    harness.key_press_modifiers(Modifiers::SHIFT, Key::A);
    harness.run();
    assert_eq!(mine(&setup).len(), 4);
    assert!(shown(&harness).is_empty());

    // Each accepted span is one undo step.
    for left in (0..4).rev() {
        undo(&mut harness);
        assert_eq!(mine(&setup).len(), left);
    }
    assert_eq!(shown(&harness).len(), 4);
    no_errors(&harness);
}

#[test]
fn turning_a_recogniser_off_hides_its_suggestions_for_the_project() {
    let (setup, store) = setup();
    let (setup, mut harness) = ready(setup, store);
    harness.state_mut().run(tawsim::ui::Command::Suggest(
        tawsim::ui::suggest::SuggestCommand::SetRecogniser(Recogniser::Project, false),
    ));
    for _ in 0..20 {
        harness.run();
    }
    assert!(shown(&harness).is_empty());
    let store = Store::open(&setup.fixture.path).unwrap();
    assert!(store.enabled_recognisers().unwrap().is_empty());
    // Hiding suggestions (this window) clears the article of them too.
    harness.state_mut().run(tawsim::ui::Command::Suggest(
        tawsim::ui::suggest::SuggestCommand::SetRecogniser(Recogniser::Project, true),
    ));
    for _ in 0..20 {
        harness.run();
    }
    assert_eq!(shown(&harness).len(), 4);
    harness.state_mut().run(tawsim::ui::Command::Suggest(
        tawsim::ui::suggest::SuggestCommand::SetShown(false),
    ));
    harness.run();
    assert!(shown(&harness).is_empty());
    no_errors(&harness);
}

#[test]
fn review_mode_hides_suggestions_and_s_selects_none() {
    let (setup, store) = setup();
    let (setup, mut harness) = ready(setup, store);
    harness.state_mut().run(tawsim::ui::Command::ToggleReview);
    harness.run();
    assert!(
        shown(&harness).is_empty(),
        "review mode edits gold, not my layer"
    );
    harness.key_press(Key::S);
    harness.run();
    assert!(harness.state().selected_suggestion().is_none());
    assert!(mine(&setup).is_empty());
    harness.state_mut().run(tawsim::ui::Command::ToggleReview);
    harness.run();
    assert_eq!(shown(&harness).len(), 4);
}
