//! The window never freezes on the project file's lock: an action taken
//! while another program holds the file waits, is shown as waiting, names
//! what holds the file once it has waited a few seconds, and is saved as
//! soon as the file is free, in order with the actions after it.

use std::time::{Duration, Instant};

mod common;

use common::{drag, find, harness, project, text_of};
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;

#[test]
fn an_action_on_a_locked_file_waits_says_who_holds_it_and_is_saved_after() {
    let (fixture, store) = project();
    let mut harness = harness(store);
    let text = text_of(&harness);
    let doc = harness.state().current_document().unwrap();
    let before = harness.state().store().spans(doc).unwrap().len();

    // Another program: an import recorded as running (this process, so it
    // counts as alive), then a write transaction held open.
    let holder = rusqlite::Connection::open(&fixture.path).unwrap();
    holder
        .execute(
            "INSERT INTO imports (state, origin, source, pid, host, started_at, heartbeat_at)
             VALUES ('running', 'command line', 'news.jsonl', ?1, '', ?2, ?2)",
            rusqlite::params![
                i64::from(std::process::id()),
                humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
            ],
        )
        .unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();

    let word = find(&text, "إدلب", 0);
    drag(&mut harness, word.start, word.end - 1, Modifiers::NONE);
    let frame = Instant::now();
    harness.key_press(Key::Num2);
    harness.step();
    // The frame went on (waiting at most a few milliseconds for the lock).
    assert!(frame.elapsed() < Duration::from_secs(1));
    assert_eq!(harness.state().waiting_commands(), 1);
    harness.get_by_label_contains("1 change waiting for the project file");
    // Another action meanwhile waits behind the first.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.step();
    assert_eq!(harness.state().waiting_commands(), 2);

    let deadline = Instant::now() + tawsim::ui::WAIT_BEFORE_TELLING + Duration::from_secs(2);
    while Instant::now() < deadline {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.get_by_label_contains("2 changes not saved yet: an import of news.jsonl started at");
    harness.get_by_label_contains("from the command line");
    assert_eq!(harness.state().store().spans(doc).unwrap().len(), before);

    // The file is free: the tag, then its undo, are saved in order.
    holder.execute_batch("ROLLBACK").unwrap();
    for _ in 0..50 {
        harness.step();
        if harness.state().waiting_commands() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(harness.state().waiting_commands(), 0);
    let store = tawsim::store::Store::open(&fixture.path).unwrap();
    let actions: Vec<String> = store
        .audit(doc)
        .unwrap()
        .into_iter()
        .map(|event| event.action)
        .collect();
    assert_eq!(
        actions[actions.len() - 2..],
        ["span.add".to_owned(), "span.delete".to_owned()],
        "the tag, then its undo: {actions:?}"
    );
    assert_eq!(store.spans(doc).unwrap().len(), before);
    harness.step();
    assert!(harness.query_by_label_contains("not saved yet").is_none());
}

#[test]
fn closing_the_window_saves_what_waits_for_the_file() {
    let (fixture, store) = project();
    let mut harness = harness(store);
    let text = text_of(&harness);
    let doc = harness.state().current_document().unwrap();
    let holder = rusqlite::Connection::open(&fixture.path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let word = find(&text, "إدلب", 0);
    drag(&mut harness, word.start, word.end - 1, Modifiers::NONE);
    harness.key_press(Key::Num2);
    harness.step();
    assert_eq!(harness.state().waiting_commands(), 1);
    // The other program lets go half a second after the window starts closing.
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        holder.execute_batch("ROLLBACK").unwrap();
    });
    assert_eq!(harness.state_mut().flush_waiting(), 0);
    release.join().unwrap();
    let spans = tawsim::store::Store::open(&fixture.path)
        .unwrap()
        .spans(doc)
        .unwrap();
    assert!(
        spans.iter().any(|s| s.range.as_range() == word),
        "{spans:?}"
    );
}
