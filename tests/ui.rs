//! The real app driven headless through egui_kittest: drags, clicks and keys
//! on the rendered article, checked against what lands in SQLite.

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tawsim::model::Origin;
use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::Store;
use tawsim::ui::App;

mod common;

use common::{centre, click, drag, find, harness, project, stored_spans, text_of};

#[test]
fn drag_across_idlib_and_press_2_stores_a_place_span() {
    let (fixture, store) = project();
    let mut harness = harness(store);
    let text = text_of(&harness);
    let idlib = find(&text, "إدلب", 0);
    // Press inside the first letter, release inside the last: word snapping
    // makes it the whole word.
    drag(&mut harness, idlib.start, idlib.end - 1, Modifiers::NONE);
    assert_eq!(
        harness.state().selection().map(|s| s.as_range()),
        Some(idlib.clone())
    );
    harness.key_press(Key::Num2);
    harness.run();

    let spans = stored_spans(&fixture.path);
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.range.as_range(), idlib);
    assert_eq!(span.label, "PLACE");
    assert_eq!(span.text, "إدلب");
    assert_eq!(span.origin, Origin::Manual);
    // The new span is selected and listed in the side panel with its text.
    assert_eq!(harness.state().selected_span(), Some(span.id));
    assert!(harness.query_all_by_label("إدلب").count() >= 1);
}

#[test]
fn dragging_right_to_left_or_left_to_right_selects_the_same_words() {
    let (_fixture, store) = project();
    let mut harness = harness(store);
    let text = text_of(&harness);
    let phrase = find(&text, "قوات الأسد", 0);
    drag(
        &mut harness,
        phrase.end - 2,
        phrase.start + 1,
        Modifiers::NONE,
    );
    assert_eq!(
        harness.state().selection().map(|s| s.as_range()),
        Some(phrase.clone())
    );
    drag(
        &mut harness,
        phrase.start + 1,
        phrase.end - 2,
        Modifiers::NONE,
    );
    assert_eq!(
        harness.state().selection().map(|s| s.as_range()),
        Some(phrase)
    );
}

#[test]
fn relabel_delete_undo_redo() {
    let (fixture, store) = project();
    let mut harness = harness(store);
    let text = text_of(&harness);
    let word = find(&text, "إدلب", 1);
    drag(&mut harness, word.start, word.end - 1, Modifiers::NONE);
    assert_eq!(
        harness.state().selection().map(|s| s.as_range()),
        Some(word.clone())
    );
    harness.key_press(Key::Num2);
    harness.run();
    assert_eq!(harness.state().errors(), &[] as &[String]);
    assert_eq!(harness.state().spans().len(), 1);
    let id = stored_spans(&fixture.path)[0].id;

    // Click elsewhere, then click the span to select it, then press 4: ACTOR.
    click(&mut harness, find(&text, "الخميس", 0).start);
    assert_eq!(harness.state().selected_span(), None);
    click(&mut harness, word.start + 1);
    assert_eq!(harness.state().selected_span(), Some(id));
    harness.key_press(Key::Num4);
    harness.run();
    assert_eq!(stored_spans(&fixture.path)[0].label, "ACTOR");

    harness.key_press(Key::Delete);
    harness.run();
    assert!(stored_spans(&fixture.path).is_empty());

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    let spans = stored_spans(&fixture.path);
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].label, "ACTOR");

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z); // undo the relabel
    harness.run();
    assert_eq!(stored_spans(&fixture.path)[0].label, "PLACE");

    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run();
    assert_eq!(stored_spans(&fixture.path)[0].label, "ACTOR");
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run();
    assert!(stored_spans(&fixture.path).is_empty());

    // Every action left an audit row.
    let store = Store::open(&fixture.path).unwrap();
    let doc = store.documents().unwrap()[0].id;
    let actions: Vec<String> = store
        .audit(doc)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.len() >= 7, "{actions:?}");
}

#[test]
fn alt_drag_keeps_character_precision() {
    let (fixture, store) = project();
    let mut harness = harness(store);
    let text = text_of(&harness);
    // «والأربعاء»: with Alt, drag over «الأربعاء» only, leaving the clitic و.
    let word = find(&text, "والأربعاء", 0);
    drag(&mut harness, word.start + 1, word.end - 1, Modifiers::ALT);
    assert_eq!(
        harness.state().selection().map(|s| s.as_range()),
        Some(word.start + 1..word.end)
    );
    harness.key_press(Key::Num3);
    harness.run();
    let spans = stored_spans(&fixture.path);
    assert_eq!(spans[0].text, "الأربعاء");
    assert_eq!(spans[0].label, "DATE");

    // Without Alt the same drag snaps to the whole word, clitic included.
    drag(&mut harness, word.start + 1, word.end - 1, Modifiers::NONE);
    assert_eq!(
        harness.state().selection().map(|s| s.as_range()),
        Some(word)
    );
}

#[test]
fn double_click_selects_a_word_and_zoom_keys_change_the_text_size() {
    let (_fixture, store) = project();
    let mut harness = harness(store);
    let text = text_of(&harness);
    let word = find(&text, "سورية", 0);
    let p = centre(&harness, word.start + 2);
    harness.hover_at(p);
    harness.run();
    for _ in 0..2 {
        harness.drag_at(p);
        harness.step();
        harness.event(egui::Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::NONE,
        });
        harness.step();
    }
    harness.run();
    assert_eq!(
        harness.state().selection().map(|s| s.as_range()),
        Some(word)
    );

    let before = harness.state().article_layout().unwrap().params().font_size;
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Plus);
    harness.run();
    let after = harness.state().article_layout().unwrap().params().font_size;
    assert!(after > before, "{before} -> {after}");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num0);
    harness.run();
    assert_eq!(
        harness.state().article_layout().unwrap().params().font_size,
        before
    );
}

#[test]
fn clicking_a_span_in_the_list_selects_it() {
    let (_fixture, mut store) = project();
    let doc = store.documents().unwrap()[0].id;
    let annotator = store.annotator_id("tester").unwrap();
    let text = store.document(doc).unwrap().text;
    let r = find(&text, "بوتين", 0);
    let range = tawsim::model::CharRange::new(r.start, r.end).unwrap();
    let span = store
        .add_span(doc, annotator, range, "ACTOR", Origin::Manual)
        .unwrap();
    let mut harness = harness(store);
    harness.get_by_label("بوتين").click();
    harness.run();
    assert_eq!(harness.state().selected_span(), Some(span.id));
    // And it is on screen after the scroll.
    let boxes = harness.state().screen_boxes(r.clone());
    assert!(!boxes.is_empty());
}

#[test]
fn imported_text_file_opens_and_bad_files_are_reported() {
    let (fixture, store) = project();
    let mut harness = harness(store);
    let dir = fixture.path.parent().unwrap();
    let good = dir.join("good.txt");
    std::fs::write(&good, "عنوان الخبر\r\nقتل 3 مدنيين في حلب.\r\n").unwrap();
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, b"\xd8\xa5\xff\xfe").unwrap();
    harness
        .state_mut()
        .run(tawsim::ui::Command::Import(vec![good, bad.clone()]));
    harness.run();
    let app = harness.state();
    let doc = app.current_document().unwrap();
    assert_eq!(
        app.store().document(doc).unwrap().text,
        "عنوان الخبر\nقتل 3 مدنيين في حلب."
    );
    assert_eq!(app.errors().len(), 1);
    assert!(app.errors()[0].contains("bad.txt"), "{}", app.errors()[0]);
    assert_eq!(app.store().documents().unwrap().len(), 2);
}

#[test]
fn annotator_name_is_asked_once_and_saved_per_machine() {
    let (fixture, store) = project();
    let settings_path = fixture.path.parent().unwrap().join("settings.ron");
    let app = App::new(
        store,
        Schema::default_schema(),
        Settings::default(),
        Some(settings_path.clone()),
    );
    let mut harness = Harness::builder()
        .with_size(egui::Vec2::new(1280.0, 860.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(400)
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    harness.run();
    assert_eq!(harness.state().annotator_name(), None);
    // Tagging keys do nothing while the question is open.
    harness.key_press(Key::Num2);
    harness.run();
    assert!(harness.state().spans().is_empty());

    // The name box has the keyboard (the document note box is behind the modal).
    harness
        .query_all_by_role(egui::Role::TextInput)
        .find(|input| input.is_focused())
        .expect("a focused name box")
        .type_text("Layla");
    harness.run();
    harness.get_by_label("OK").click();
    harness.run();
    assert_eq!(harness.state().annotator_name(), Some("Layla"));
    let saved = Settings::load(&settings_path).unwrap();
    assert_eq!(saved.annotator.as_deref(), Some("Layla"));
    // The annotator is in the project too, so spans can name them.
    let names: Vec<String> = harness
        .state()
        .store()
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, vec!["Layla".to_owned()]);
}

#[test]
fn paragraph_direction_can_be_overridden_per_document() {
    let (fixture, store) = project();
    let mut harness = harness(store);
    assert!(harness.state().article_layout().unwrap().lines()[0].rtl);
    let doc = harness.state().current_document().unwrap();
    harness.state_mut().run(tawsim::ui::Command::SetDirection(
        tawsim::model::Direction::Ltr,
    ));
    harness.run();
    assert!(!harness.state().article_layout().unwrap().lines()[0].rtl);
    let store = Store::open(&fixture.path).unwrap();
    assert_eq!(
        store.document(doc).unwrap().direction,
        tawsim::model::Direction::Ltr
    );
}

#[test]
fn another_layers_span_is_shown_on_request_copied_with_a_and_hidden_with_r() {
    let (fixture, mut store) = project();
    let doc = store.documents().unwrap()[0].id;
    let text = store.document(doc).unwrap().text;
    let omar = store.annotator_id("omar").unwrap();
    let idlib = find(&text, "إدلب", 0);
    let putin = find(&text, "بوتين", 0);
    let place = tawsim::model::CharRange::new(idlib.start, idlib.end).unwrap();
    let actor = tawsim::model::CharRange::new(putin.start, putin.end).unwrap();
    let theirs = store
        .add_span(doc, omar, place, "PLACE", Origin::Manual)
        .unwrap();
    let other = store
        .add_span(doc, omar, actor, "ACTOR", Origin::Manual)
        .unwrap();
    let mut harness = harness(store);
    // Only my (empty) layer is shown at first.
    assert!(harness.state().spans().is_empty());

    harness.get_by_label("show layer omar").click();
    harness.run();
    let shown: Vec<i64> = harness.state().spans().iter().map(|s| s.id).collect();
    assert_eq!(shown, vec![theirs.id, other.id]);

    // Relabelling or deleting omar's span is refused; A copies it into mine.
    click(&mut harness, idlib.start + 1);
    assert_eq!(harness.state().selected_span(), Some(theirs.id));
    harness.key_press(Key::Delete);
    harness.run();
    assert!(
        harness
            .state()
            .errors()
            .iter()
            .any(|e| e.contains("layer omar"))
    );
    harness.key_press(Key::A);
    harness.run();
    let on_disk = stored_spans(&fixture.path);
    let copy = on_disk
        .iter()
        .find(|s| s.source_span == Some(theirs.id))
        .expect("a copy of omar's span");
    assert_eq!(copy.text, "إدلب");
    assert_eq!(copy.label, "PLACE");
    assert_ne!(copy.layer, theirs.layer);
    assert!(
        on_disk.iter().any(|s| s.id == theirs.id),
        "omar's span stays"
    );

    // R hides omar's other span for me; undo brings it back.
    click(&mut harness, putin.start + 1);
    assert_eq!(harness.state().selected_span(), Some(other.id));
    harness.key_press(Key::R);
    harness.run();
    assert!(!harness.state().spans().iter().any(|s| s.id == other.id));
    let rejected_on_disk = || {
        let store = Store::open(&fixture.path).unwrap();
        let me = store.annotators().unwrap();
        let me = me.iter().find(|a| a.name == "tester").unwrap().id;
        store.rejected_spans(doc, me).unwrap()
    };
    assert!(rejected_on_disk().contains(&other.id));
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert!(harness.state().spans().iter().any(|s| s.id == other.id));
    assert!(rejected_on_disk().is_empty());
}
