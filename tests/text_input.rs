//! The search box and search window driven headless through egui_kittest:
//! Arabic typed with digits stays in logical order, the caret moves the way
//! cosmic-text's motions say, and opening a hit shows it in the article.

mod common;

use egui::accesskit::Role;
use egui::{Event, Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::{NewDocument, Store};
use tawsim::ui::App;
use tawsim::ui::text_input::TextInput;

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

/// Document 1: one short UD sentence; document 2: the sample article.
fn harness() -> (tempfile::TempDir, Harness<'static, App>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("project.db")).unwrap();
    let first = include_str!("data/ud-arabic-pud/sentences.txt")
        .lines()
        .next()
        .unwrap();
    store
        .import_document(
            &NewDocument {
                title: "جملة".into(),
                text: first.into(),
                source: "ud".into(),
                meta: serde_json::json!({}),
            },
            None,
        )
        .unwrap();
    let parsed = tawsim::io::parse_txt(ARTICLE.as_bytes(), "idlib-ceasefire-ar.txt").unwrap();
    store.import_document(&parsed.doc, None).unwrap();
    // Indexed before the window opens (else its indexer does it meanwhile).
    store.index_queued(usize::MAX).unwrap();
    (dir, common::harness(store))
}

/// A window on `store` that the test steps frame by frame (no
/// `harness.run()`, which would let a project in memory finish its
/// per-frame work before the test looks), with the search window open.
fn stepped_window(store: Store) -> Harness<'static, App> {
    let settings = Settings {
        annotator: Some("tester".into()),
        ..Settings::default()
    };
    let app = App::new(store, Schema::default_schema(), settings, None);
    let mut harness = Harness::builder()
        .with_size(egui::Vec2::new(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    harness.step();
    harness.step();
    harness
}

fn open_search(harness: &mut Harness<'_, App>) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    harness.run();
    assert!(harness.state().search().is_open());
}

fn type_text(harness: &mut Harness<'_, App>, text: &str) {
    harness.event(Event::Text(text.into()));
    harness.run();
}

fn press(harness: &mut Harness<'_, App>, modifiers: Modifiers, key: Key) {
    harness.key_press_modifiers(modifiers, key);
    harness.run();
}

/// The search box's text and caret (code points), as its editor holds them.
fn caret(harness: &Harness<'_, App>) -> (String, usize) {
    let id = harness.state().search().input_id().unwrap();
    TextInput::caret_of(&harness.ctx, id).unwrap()
}

#[test]
fn arabic_with_digits_is_typed_in_logical_order() {
    let (_dir, mut harness) = harness();
    open_search(&mut harness);
    type_text(&mut harness, "إدلب");
    type_text(&mut harness, " 19");
    // Accessibility sees the text exactly as typed.
    // The search box has the keyboard (the document note box is another input).
    let node = harness
        .query_all_by_role(Role::TextInput)
        .find(|input| input.is_focused())
        .expect("the focused search box");
    assert_eq!(node.value().as_deref(), Some("إدلب 19"));
    assert_eq!(caret(&harness), ("إدلب 19".into(), 7));

    // The line is right to left: Right moves back one character (past the 9,
    // then the 1), so X lands before «19» and the digits stay «19».
    press(&mut harness, Modifiers::NONE, Key::ArrowRight);
    press(&mut harness, Modifiers::NONE, Key::ArrowRight);
    assert_eq!(caret(&harness).1, 5);
    type_text(&mut harness, "X");
    assert_eq!(caret(&harness), ("إدلب X19".into(), 6));

    // Home goes to the logical start; Left moves forward (visually left in
    // a right-to-left line), Shift+Left selects the next letter.
    press(&mut harness, Modifiers::NONE, Key::Home);
    assert_eq!(caret(&harness).1, 0);
    press(&mut harness, Modifiers::NONE, Key::ArrowLeft);
    assert_eq!(caret(&harness).1, 1);
    press(&mut harness, Modifiers::SHIFT, Key::ArrowLeft);
    harness.event(Event::Cut);
    harness.run();
    assert_eq!(caret(&harness), ("إلب X19".into(), 1));

    // Backspace and Delete around the caret; End goes to the logical end.
    press(&mut harness, Modifiers::NONE, Key::Backspace);
    assert_eq!(caret(&harness), ("لب X19".into(), 0));
    press(&mut harness, Modifiers::NONE, Key::Delete);
    assert_eq!(caret(&harness), ("ب X19".into(), 0));
    press(&mut harness, Modifiers::NONE, Key::End);
    assert_eq!(caret(&harness).1, 5);

    // Ctrl+A then typing replaces everything; the hits follow the text.
    press(&mut harness, Modifiers::COMMAND, Key::A);
    type_text(&mut harness, "مدينة ادلب");
    assert_eq!(caret(&harness), ("مدينة ادلب".into(), 10));
    let results = harness.state().search().results();
    assert_eq!(results.normalized_query, "مدينه ادلب");
    assert!(!results.hits.is_empty());
    assert!(results.hits.iter().all(|h| h.doc == 2));

    // Esc leaves the box; typed keys then go to the app again.
    press(&mut harness, Modifiers::NONE, Key::Escape);
    assert!(!harness.ctx.egui_wants_keyboard_input());
}

#[test]
fn opening_a_hit_shows_the_document_scrolled_to_it_and_flashes_it() {
    let (_dir, mut harness) = harness();
    assert_eq!(harness.state().current_document(), Some(1));
    open_search(&mut harness);
    // «كفرناها» (a village) is in the article's last paragraphs only.
    type_text(&mut harness, "كفرناها");
    let hit = harness.state().search().results().hits[0].clone();
    assert_eq!(hit.doc, 2);
    let text = harness.state().store().document(2).unwrap().text;
    let word: String = text
        .chars()
        .skip(hit.range.start())
        .take(hit.range.len())
        .collect();
    assert_eq!(word, "كفرناها");

    harness.get_by_label_contains("كفرناها").click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().current_document(), Some(2));
    assert_eq!(harness.state().flashing_range(), Some(hit.range));
    harness.run();
    let boxes = harness.state().screen_boxes(hit.range.as_range());
    let first = boxes.first().expect("the hit is laid out");
    assert!(
        (60.0..800.0).contains(&first.center().y),
        "the hit is scrolled into view: {first:?}"
    );
    // Without scrolling it would be far below the window.
    let layout = harness.state().article_layout().unwrap();
    let unscrolled = layout.range_boxes(hit.range.as_range())[0];
    assert!(unscrolled.y0 > 860.0, "{unscrolled:?}");
}

#[test]
fn enter_in_the_search_box_opens_the_first_hit() {
    let (_dir, mut harness) = harness();
    open_search(&mut harness);
    type_text(&mut harness, "عنجارة");
    press(&mut harness, Modifiers::NONE, Key::Enter);
    assert_eq!(harness.state().current_document(), Some(2));
    assert!(harness.state().errors().is_empty());
}

/// Held by a test while the search's reader must not answer.
static GATE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn gated(store: &Store, job: tawsim::ui::search::Job) -> tawsim::ui::search::Answer {
    let _open = GATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tawsim::ui::search::run_job(store, job)
}

/// Searching runs on a thread of its own: typing goes on while a search is
/// out, only the text finally typed is answered last, and Enter pressed
/// before the answer opens its first hit once it comes.
#[test]
fn typing_goes_on_while_a_search_is_out_and_enter_waits_for_it() {
    let (_dir, mut harness) = harness();
    let reader = tawsim::store::Reader::new(harness.state().store(), gated, || {});
    assert!(reader.is_threaded());
    harness.state_mut().search_mut().use_reader(reader);
    open_search(&mut harness);

    let held = GATE.lock().unwrap();
    harness.event(Event::Text("عنج".into()));
    harness.run_steps(3);
    assert!(harness.state().search().is_searching());
    harness.event(Event::Text("ارة".into()));
    harness.run_steps(3);
    // The box follows the keys while the first search is still out.
    assert_eq!(caret(&harness), ("عنجارة".to_owned(), 6));
    harness.key_press(Key::Enter);
    harness.run_steps(3);
    assert_eq!(harness.state().current_document(), Some(1));

    drop(held);
    harness.run();
    assert!(!harness.state().search().is_searching());
    let results = harness.state().search().results();
    assert_eq!(results.normalized_query, "عنجاره");
    assert!(!results.hits.is_empty());
    assert!(results.hits.iter().all(|hit| hit.doc == 2));
    assert_eq!(harness.state().current_document(), Some(2));
}

static STOP_NEXT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// The first search ends as interrupted, as when the box changed just as it
/// ran; later ones run.
fn stopped_once(store: &Store, job: tawsim::ui::search::Job) -> tawsim::ui::search::Answer {
    if STOP_NEXT.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return (job.0, tawsim::ui::search::Outcome::Interrupted);
    }
    tawsim::ui::search::run_job(store, job)
}

/// An interrupted search of the text still in the box is sent again: the
/// hits come, with no error shown.
#[test]
fn an_interrupted_search_of_the_current_text_is_run_again() {
    let (_dir, mut harness) = harness();
    let reader = tawsim::store::Reader::new(harness.state().store(), stopped_once, || {});
    harness.state_mut().search_mut().use_reader(reader);
    open_search(&mut harness);
    type_text(&mut harness, "عنجارة");
    assert!(!STOP_NEXT.load(std::sync::atomic::Ordering::SeqCst));
    assert!(!harness.state().search().is_searching());
    let results = harness.state().search().results();
    assert_eq!(results.normalized_query, "عنجاره");
    assert!(!results.hits.is_empty());
    assert!(harness.state().errors().is_empty());
}

/// Up and Down in the search box mark a hit, Enter opens the marked one.
#[test]
fn arrow_keys_in_the_search_box_choose_the_hit_enter_opens() {
    let (_dir, mut harness) = harness();
    open_search(&mut harness);
    type_text(&mut harness, "ادلب");
    let hits = harness.state().search().results().hits.clone();
    assert!(hits.len() >= 3, "{} hits", hits.len());
    assert_eq!(harness.state().search().selected(), 0);
    press(&mut harness, Modifiers::NONE, Key::ArrowDown);
    press(&mut harness, Modifiers::NONE, Key::ArrowDown);
    press(&mut harness, Modifiers::NONE, Key::ArrowUp);
    assert_eq!(harness.state().search().selected(), 1);
    // The keys moved the mark, not the caret.
    assert_eq!(caret(&harness), ("ادلب".to_owned(), 4));
    harness.key_press(Key::Enter);
    harness.step();
    harness.step();
    assert_eq!(harness.state().current_document(), Some(hits[1].doc));
    assert_eq!(harness.state().flashing_range(), Some(hits[1].range));
    assert_ne!(hits[1].range, hits[0].range);
}

#[test]
fn while_the_index_catches_up_the_search_says_so_and_completes_its_hits() {
    // A project in memory has no file for the indexer's own connection, so
    // the window indexes a batch per frame: 6,000 documents take a dozen
    // frames. Every 300th mentions «كفرناها».
    let mut store = Store::open_in_memory().unwrap();
    let docs: Vec<NewDocument> = (0..6_000)
        .map(|i| NewDocument {
            title: format!("خبر {i}"),
            text: if i % 300 == 299 {
                format!("قصفت الطائرات قرية كفرناها في اليوم {i}")
            } else {
                format!("هدوء في المدينة في اليوم {i}")
            },
            source: format!("s:{i}"),
            meta: serde_json::json!({}),
        })
        .collect();
    store.import_documents(&docs, None).unwrap();
    let mut harness = stepped_window(store);
    harness.event(Event::Text("كفرناها".into()));
    harness.step();
    harness.step();
    let results = harness.state().search().results();
    let coverage = results.coverage.expect("the index is still behind");
    assert!(coverage.searchable < 6_000, "{coverage:?}");
    let partial = results.hits.len();
    assert!(partial < 20, "hits from the indexed part only: {partial}");
    harness.get_by_label_contains(&format!(
        "indexing: {} % of documents searchable",
        coverage.percent()
    ));
    // The index completes; the same text is searched again and every hit
    // comes, without the message.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while harness.state().search().results().hits.len() < 20 {
        assert!(std::time::Instant::now() < deadline, "the hits complete");
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    harness.step();
    assert!(harness.state().search().results().coverage.is_none());
    assert!(
        harness
            .query_by_label_contains("of documents searchable")
            .is_none()
    );
}

#[test]
fn a_search_past_its_candidate_budget_goes_on_by_itself_and_finds_the_last_hit() {
    use tawsim::store::search::MAX_CANDIDATES;
    // Every document holds the trigrams of «الالت», only the last the word.
    let mut store = Store::open_in_memory().unwrap();
    let decoys = 2 * MAX_CANDIDATES + 100;
    let mut docs: Vec<NewDocument> = (0..decoys)
        .map(|i| NewDocument {
            title: format!("وثيقة {i}"),
            text: format!("قال الاول لالي التي رقم {i}"),
            source: format!("s:{i}"),
            meta: serde_json::json!({}),
        })
        .collect();
    docs.push(NewDocument {
        title: "الأخيرة".into(),
        text: "أكد الطرفان الالتزام بالهدنة".into(),
        source: "target".into(),
        meta: serde_json::json!({}),
    });
    store.import_documents(&docs, None).unwrap();
    store.index_queued(usize::MAX).unwrap();
    let mut harness = stepped_window(store);
    harness.event(Event::Text("الالت".into()));
    // The first stretch answers with no hit yet and says it goes on.
    harness.step();
    harness.step();
    harness.get_by_label_contains("0 hits so far");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while harness.state().search().results().resume.is_some()
        || harness.state().search().is_searching()
    {
        assert!(std::time::Instant::now() < deadline, "the search ends");
        harness.step();
    }
    harness.step();
    let results = harness.state().search().results();
    assert_eq!(results.hits.len(), 1, "the last document's hit is found");
    assert_eq!(results.checked, decoys + 1, "every candidate read once");
    harness.get_by_label_contains("1 hit");
    // Enter opens it.
    harness.key_press(Key::Enter);
    harness.step();
    harness.step();
    let doc = harness.state().search().results().hits[0].doc;
    assert_eq!(harness.state().current_document(), Some(doc));
}
