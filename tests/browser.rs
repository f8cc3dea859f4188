//! The document browser: its store queries (status, filters, sorts, paging,
//! next unfinished, status changes) on a small project of real Arabic news
//! sentences, and the browser panel driven through egui_kittest.

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use tawsim::model::{AnnotatorId, Change, CharRange, DocId, Origin};
use tawsim::schema::Schema;
use tawsim::settings::Settings;
use tawsim::store::{DocQuery, DocRow, NewDocument, Sort, Status, Store};
use tawsim::ui::App;

/// UD Arabic-PUD sentences (CC BY-SA 3.0, see tests/data/ud-arabic-pud/LICENSE.txt).
const SENTENCES: &str = include_str!("data/ud-arabic-pud/sentences.txt");
const DOCS: usize = 12;

/// Document `i`: two consecutive sentences; its title is the first five
/// words of the first.
fn new_document(i: usize) -> NewDocument {
    let lines: Vec<&str> = SENTENCES.lines().filter(|l| !l.trim().is_empty()).collect();
    let a = lines[2 * i];
    let b = lines[2 * i + 1];
    NewDocument {
        title: a.split_whitespace().take(5).collect::<Vec<_>>().join(" "),
        text: format!("{a}\n{b}"),
        source: format!("ud-arabic-pud:{i}"),
        meta: serde_json::json!({}),
    }
}

struct Project {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    docs: Vec<DocId>,
    layla: AnnotatorId,
    omar: AnnotatorId,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.db");
    let mut store = Store::open(&path).unwrap();
    let layla = store.annotator_id("layla").unwrap();
    let omar = store.annotator_id("omar").unwrap();
    let new: Vec<NewDocument> = (0..DOCS).map(new_document).collect();
    let docs = store
        .import_documents(&new, None)
        .unwrap()
        .into_iter()
        .map(|i| i.id())
        .collect();
    Project {
        _dir: dir,
        path,
        store,
        docs,
        layla,
        omar,
    }
}

/// Range of the first word of document `doc`'s text.
fn first_word(store: &Store, doc: DocId) -> CharRange {
    let text = store.document(doc).unwrap().text;
    let len = text.chars().take_while(|c| !c.is_whitespace()).count();
    CharRange::new(0, len).unwrap()
}

fn tag(p: &mut Project, doc_index: usize, who: &str, label: &str) -> tawsim::model::Span {
    let who = p.store.annotator_id(who).unwrap();
    let doc = p.docs[doc_index];
    let range = first_word(&p.store, doc);
    p.store
        .add_span(doc, who, range, label, Origin::Manual)
        .unwrap()
}

fn all_rows(store: &Store, query: &DocQuery) -> Vec<DocRow> {
    store.document_page(query, 0, 1_000).unwrap()
}

fn ids(rows: &[DocRow]) -> Vec<DocId> {
    rows.iter().map(|r| r.id).collect()
}

fn for_layla(p: &Project) -> DocQuery {
    DocQuery {
        annotator: Some(p.layla),
        ..DocQuery::default()
    }
}

#[test]
fn status_comes_from_the_annotators_spans_and_status_rows() {
    let mut p = project();
    tag(&mut p, 0, "layla", "PLACE"); // layla began doc 0
    tag(&mut p, 1, "omar", "DATE"); // only omar touched doc 1
    let deleted = tag(&mut p, 2, "layla", "ACTOR");
    p.store
        .apply(&Change::Delete { span: deleted.id }, p.layla)
        .unwrap(); // doc 2: her only span was deleted
    p.store
        .set_status(p.docs[3], p.layla, Status::Done)
        .unwrap();
    p.store
        .set_status(p.docs[4], p.layla, Status::Skipped)
        .unwrap();
    tag(&mut p, 5, "layla", "PLACE");
    p.store
        .set_status(p.docs[5], p.layla, Status::Done)
        .unwrap(); // done wins over spans
    p.store
        .set_status(p.docs[6], p.layla, Status::InProgress)
        .unwrap(); // reopened without spans

    let rows = all_rows(&p.store, &for_layla(&p));
    let status: Vec<Status> = rows.iter().map(|r| r.status).collect();
    use Status::*;
    assert_eq!(
        status[..8],
        [InProgress, New, New, Done, Skipped, Done, InProgress, New]
    );
    for (row, expected) in rows.iter().zip(&status) {
        assert_eq!(p.store.status(row.id, p.layla).unwrap(), *expected);
    }
    // Another annotator sees their own statuses.
    let omar = all_rows(
        &p.store,
        &DocQuery {
            annotator: Some(p.omar),
            ..DocQuery::default()
        },
    );
    assert_eq!(omar[0].status, New);
    assert_eq!(omar[1].status, InProgress);
    assert_eq!(omar[3].status, New);
    // Without an annotator every document is new.
    assert!(
        all_rows(&p.store, &DocQuery::default())
            .iter()
            .all(|r| r.status == New)
    );
}

#[test]
fn rows_show_title_first_line_and_counts_in_the_chosen_layer() {
    let mut p = project();
    tag(&mut p, 0, "layla", "PLACE");
    let doc = p.docs[0];
    let text = p.store.document(doc).unwrap().text;
    let words: Vec<usize> = text
        .char_indices()
        .filter(|(_, c)| *c == ' ')
        .map(|(b, _)| text[..b].chars().count())
        .collect();
    // A second word tagged PLACE by omar, a DATE by layla.
    let second = CharRange::new(words[0] + 1, words[1]).unwrap();
    p.store
        .add_span(doc, p.omar, second, "PLACE", Origin::Manual)
        .unwrap();
    let third = CharRange::new(words[1] + 1, words[2]).unwrap();
    p.store
        .add_span(doc, p.layla, third, "DATE", Origin::Manual)
        .unwrap();

    let row = &all_rows(&p.store, &for_layla(&p))[0];
    let expected = new_document(0);
    assert_eq!(row.title, expected.title);
    // The first line, cut to 120 characters.
    let line: String = expected
        .text
        .lines()
        .next()
        .unwrap()
        .chars()
        .take(120)
        .collect();
    assert_eq!(row.first_line, format!("{line}…"));
    assert_eq!(
        row.counts,
        vec![("DATE".to_owned(), 1), ("PLACE".to_owned(), 2)]
    );
    let layla_layer = p.store.annotator_layer(p.layla).unwrap();
    let in_layer = &all_rows(
        &p.store,
        &DocQuery {
            layer: Some(layla_layer),
            ..for_layla(&p)
        },
    )[0];
    assert_eq!(
        in_layer.counts,
        vec![("DATE".to_owned(), 1), ("PLACE".to_owned(), 1)]
    );
    // Untouched documents have no counts.
    assert!(all_rows(&p.store, &for_layla(&p))[1].counts.is_empty());
}

#[test]
fn a_long_first_line_is_cut_and_a_blank_title_shows_it() {
    let mut store = Store::open_in_memory().unwrap();
    let long: String = SENTENCES.lines().take(8).collect::<Vec<_>>().join(" ");
    let doc = NewDocument {
        title: "  ".into(),
        text: long.clone(),
        source: "test".into(),
        meta: serde_json::json!({}),
    };
    store.import_document(&doc, None).unwrap();
    let row = &store.document_page(&DocQuery::default(), 0, 10).unwrap()[0];
    assert_eq!(row.first_line.chars().count(), 121);
    assert!(row.first_line.ends_with('…'));
    assert!(long.starts_with(row.first_line.trim_end_matches('…')));
    assert_eq!(row.display_title(), row.first_line);
}

#[test]
fn each_filter_keeps_only_matching_documents() {
    let mut p = project();
    tag(&mut p, 0, "layla", "PLACE");
    tag(&mut p, 1, "omar", "PLACE");
    tag(&mut p, 2, "layla", "DATE");
    let gone = tag(&mut p, 3, "layla", "PLACE");
    p.store
        .apply(&Change::Delete { span: gone.id }, p.layla)
        .unwrap();
    p.store
        .set_status(p.docs[4], p.layla, Status::Done)
        .unwrap();
    p.store
        .set_status(p.docs[5], p.layla, Status::Done)
        .unwrap();
    p.store
        .set_status(p.docs[6], p.layla, Status::Skipped)
        .unwrap();
    let d = &p.docs;
    let check = |query: DocQuery, expected: Vec<DocId>| {
        assert_eq!(ids(&all_rows(&p.store, &query)), expected, "{query:?}");
        assert_eq!(
            p.store.document_count(&query).unwrap(),
            expected.len(),
            "{query:?}"
        );
    };
    let base = for_layla(&p);
    check(
        DocQuery {
            status: Some(Status::Done),
            ..base.clone()
        },
        vec![d[4], d[5]],
    );
    check(
        DocQuery {
            status: Some(Status::Skipped),
            ..base.clone()
        },
        vec![d[6]],
    );
    check(
        DocQuery {
            status: Some(Status::InProgress),
            ..base.clone()
        },
        vec![d[0], d[2]],
    );
    let mut new: Vec<DocId> = vec![d[1], d[3]];
    new.extend(&d[7..]);
    check(
        DocQuery {
            status: Some(Status::New),
            ..base.clone()
        },
        new,
    );
    // Label: live spans only (doc 3's PLACE was deleted), in any layer.
    check(
        DocQuery {
            label: Some("PLACE".into()),
            ..base.clone()
        },
        vec![d[0], d[1]],
    );
    let omar_layer = p.store.annotator_layer(p.omar).unwrap();
    let layla_layer = p.store.annotator_layer(p.layla).unwrap();
    check(
        DocQuery {
            layer: Some(omar_layer),
            ..base.clone()
        },
        vec![d[1]],
    );
    // Label and layer together: a span with that label in that layer.
    check(
        DocQuery {
            label: Some("PLACE".into()),
            layer: Some(layla_layer),
            ..base.clone()
        },
        vec![d[0]],
    );
    // Status and label together.
    check(
        DocQuery {
            label: Some("PLACE".into()),
            status: Some(Status::New),
            ..base
        },
        vec![d[1]],
    );
}

#[test]
fn sorts_by_import_order_title_and_last_change() {
    let mut p = project();
    let base = for_layla(&p);
    assert_eq!(ids(&all_rows(&p.store, &base)), p.docs);
    let reversed: Vec<DocId> = p.docs.iter().rev().copied().collect();
    assert_eq!(
        ids(&all_rows(
            &p.store,
            &DocQuery {
                descending: true,
                ..base.clone()
            }
        )),
        reversed
    );

    let by_title = all_rows(
        &p.store,
        &DocQuery {
            sort: Sort::Title,
            ..base.clone()
        },
    );
    let mut titles: Vec<String> = (0..DOCS).map(|i| new_document(i).title).collect();
    titles.sort(); // code point order, as SQLite compares UTF-8 text
    let shown: Vec<String> = by_title.iter().map(|r| r.title.clone()).collect();
    assert_eq!(shown, titles);

    // The document edited last comes first in "last change, descending".
    std::thread::sleep(std::time::Duration::from_millis(5));
    tag(&mut p, 7, "layla", "ACTOR");
    std::thread::sleep(std::time::Duration::from_millis(5));
    p.store
        .set_status(p.docs[2], p.layla, Status::Done)
        .unwrap();
    let changed = ids(&all_rows(
        &p.store,
        &DocQuery {
            sort: Sort::Changed,
            descending: true,
            ..base
        },
    ));
    assert_eq!(changed[..2], [p.docs[2], p.docs[7]]);
}

#[test]
fn pages_cover_the_list_exactly_once() {
    let p = project();
    for sort in Sort::ALL {
        let query = DocQuery {
            sort,
            ..for_layla(&p)
        };
        let whole = ids(&all_rows(&p.store, &query));
        let pages: Vec<Vec<DocRow>> = [0, 5, 10, 12, 20]
            .iter()
            .map(|&offset| p.store.document_page(&query, offset, 5).unwrap())
            .collect();
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [5, 5, 2, 0, 0], "{sort:?}");
        let joined: Vec<DocId> = pages.iter().flat_map(|p| ids(p)).collect();
        assert_eq!(joined, whole, "{sort:?}");
        assert_eq!(p.store.document_count(&query).unwrap(), DOCS);
    }
}

#[test]
fn next_unfinished_follows_the_sort_and_wraps_around() {
    let mut p = project();
    let d = p.docs.clone();
    let query = for_layla(&p);
    assert_eq!(p.store.next_unfinished(&query, None).unwrap(), Some(d[0]));
    p.store.set_status(d[1], p.layla, Status::Done).unwrap();
    p.store.set_status(d[2], p.layla, Status::Skipped).unwrap();
    // Done and skipped documents are passed over; in progress ones are not.
    tag(&mut p, 3, "layla", "PLACE");
    assert_eq!(
        p.store.next_unfinished(&query, Some(d[0])).unwrap(),
        Some(d[3])
    );
    // After the last it starts again at the top.
    assert_eq!(
        p.store.next_unfinished(&query, Some(d[DOCS - 1])).unwrap(),
        Some(d[0])
    );
    // The status filter does not hide the next one: it is always unfinished.
    let done_only = DocQuery {
        status: Some(Status::Done),
        ..query.clone()
    };
    assert_eq!(
        p.store.next_unfinished(&done_only, Some(d[0])).unwrap(),
        Some(d[3])
    );
    // Descending: the next is the one imported before.
    let descending = DocQuery {
        descending: true,
        ..query.clone()
    };
    assert_eq!(
        p.store.next_unfinished(&descending, Some(d[3])).unwrap(),
        Some(d[0])
    );
    assert_eq!(
        p.store.next_unfinished(&descending, Some(d[0])).unwrap(),
        Some(d[DOCS - 1])
    );
    // By title: the title after, in code point order.
    let by_title = DocQuery {
        sort: Sort::Title,
        ..query.clone()
    };
    let order = ids(&all_rows(&p.store, &by_title));
    let unfinished: Vec<DocId> = order
        .iter()
        .copied()
        .filter(|id| *id != d[1] && *id != d[2])
        .collect();
    assert_eq!(
        p.store
            .next_unfinished(&by_title, Some(unfinished[0]))
            .unwrap(),
        Some(unfinished[1])
    );
    // Label filter: only documents with a live PLACE.
    let place = DocQuery {
        label: Some("PLACE".into()),
        ..query.clone()
    };
    assert_eq!(
        p.store.next_unfinished(&place, Some(d[3])).unwrap(),
        Some(d[3])
    );
    // Everything done: nothing to go to.
    for &doc in &d {
        p.store.set_status(doc, p.layla, Status::Done).unwrap();
    }
    assert_eq!(p.store.next_unfinished(&query, Some(d[0])).unwrap(), None);
}

#[test]
fn set_status_writes_one_audit_row_per_change() {
    let mut p = project();
    let doc = p.docs[0];
    tag(&mut p, 0, "layla", "PLACE");
    let before = p.store.audit(doc).unwrap().len();
    p.store.set_status(doc, p.layla, Status::Done).unwrap();
    // The same status again writes nothing.
    p.store.set_status(doc, p.layla, Status::Done).unwrap();
    p.store.set_status(doc, p.layla, Status::New).unwrap();
    let audit = p.store.audit(doc).unwrap();
    assert_eq!(audit.len(), before + 2);
    let done = &audit[before];
    assert_eq!(done.action, "document.status");
    assert_eq!(done.actor, Some(p.layla));
    assert_eq!(
        done.before,
        serde_json::json!({"annotator": p.layla, "status": "in_progress"})
    );
    assert_eq!(
        done.after,
        serde_json::json!({"annotator": p.layla, "status": "done", "row": "done"})
    );
    // Back to "new" removes the row (`row` null, which a merge replays);
    // her span keeps it in progress.
    assert_eq!(
        audit[before + 1].after,
        serde_json::json!({"annotator": p.layla, "status": "in_progress", "row": null})
    );
    assert_eq!(p.store.status(doc, p.layla).unwrap(), Status::InProgress);
    // Another connection sees the committed status.
    p.store.set_status(doc, p.layla, Status::Skipped).unwrap();
    let other = Store::open(&p.path).unwrap();
    assert_eq!(other.status(doc, p.layla).unwrap(), Status::Skipped);
    // An unknown document is refused.
    assert!(p.store.set_status(9_999, p.layla, Status::Done).is_err());
}

// ---- the browser panel, through egui_kittest ----

fn harness(mut store: Store) -> Harness<'static, App> {
    // Indexed before the window opens: the window refreshes its list when its
    // indexer indexes documents, which would upset the gated-reader tests.
    store.index_queued(usize::MAX).unwrap();
    let settings = Settings {
        annotator: Some("layla".into()),
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

fn title(i: usize) -> String {
    new_document(i).title
}

fn shown(harness: &Harness<'_, App>, title: &str) -> bool {
    harness.query_by_label(title).is_some()
}

#[test]
fn filtering_by_status_shows_only_matching_rows() {
    let mut p = project();
    p.store
        .set_status(p.docs[4], p.layla, Status::Done)
        .unwrap();
    p.store
        .set_status(p.docs[9], p.layla, Status::Done)
        .unwrap();
    let mut harness = harness(p.store);
    assert!(harness.query_by_label("12 documents").is_some());
    assert!(shown(&harness, &title(0)));

    harness.get_by_value("any status").click();
    harness.run();
    harness
        .get_all_by_label("done")
        .find(|n| n.accesskit_node().role() != egui::Role::Label)
        .expect("a 'done' option in the status list")
        .click();
    harness.run();

    assert!(harness.query_by_label("2 documents").is_some());
    assert!(shown(&harness, &title(4)));
    assert!(shown(&harness, &title(9)));
    for i in [0, 1, 5, 11] {
        assert!(!shown(&harness, &title(i)), "document {i} is not done");
    }
    // Both rows carry the "done" chip.
    assert_eq!(harness.query_all_by_label("done").count(), 2);
}

#[test]
fn n_opens_the_next_unfinished_document() {
    let mut p = project();
    p.store
        .set_status(p.docs[1], p.layla, Status::Done)
        .unwrap();
    p.store
        .set_status(p.docs[2], p.layla, Status::Skipped)
        .unwrap();
    let docs = p.docs.clone();
    let mut harness = harness(p.store);
    assert_eq!(harness.state().current_document(), Some(docs[0]));
    harness.key_press(Key::N);
    harness.run();
    assert_eq!(harness.state().current_document(), Some(docs[3]));
    harness.key_press(Key::N);
    harness.run();
    assert_eq!(harness.state().current_document(), Some(docs[4]));
}

#[test]
fn ctrl_enter_marks_done_and_opens_the_next() {
    let p = project();
    let docs = p.docs.clone();
    let path = p.path.clone();
    let layla = p.layla;
    let _dir = p._dir;
    let mut harness = harness(p.store);
    assert_eq!(harness.state().current_document(), Some(docs[0]));
    assert_eq!(harness.query_all_by_label("done").count(), 0);

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    harness.run();

    // On disk, through another connection.
    let other = Store::open(&path).unwrap();
    assert_eq!(other.status(docs[0], layla).unwrap(), Status::Done);
    assert_eq!(harness.state().current_document(), Some(docs[1]));
    // The first row now carries the "done" chip, the only one.
    assert_eq!(harness.query_all_by_label("done").count(), 1);
    assert_eq!(harness.query_all_by_label("new").count(), DOCS - 1);
}

#[test]
fn clicking_a_row_then_arrow_down_and_enter_opens_the_row_below() {
    let p = project();
    let docs = p.docs.clone();
    let mut harness = harness(p.store);
    harness.get_by_label(&title(2)).click();
    harness.run();
    assert_eq!(harness.state().current_document(), Some(docs[2]));
    harness.key_press(Key::ArrowDown);
    harness.key_press(Key::ArrowDown);
    harness.run();
    // Moving does not open; Enter does.
    assert_eq!(harness.state().current_document(), Some(docs[2]));
    harness.key_press(Key::Enter);
    harness.run();
    assert_eq!(harness.state().current_document(), Some(docs[4]));
}

/// The browser over `p`'s project with one document's status set for layla,
/// reading through a threaded reader that runs its jobs with `run`.
fn harness_reading_with(
    p: Project,
    doc_index: usize,
    status: Status,
    run: fn(&Store, tawsim::ui::browser::Job) -> tawsim::ui::browser::Answer,
) -> (tempfile::TempDir, Harness<'static, App>) {
    let Project {
        _dir,
        mut store,
        docs,
        layla,
        ..
    } = p;
    store.set_status(docs[doc_index], layla, status).unwrap();
    let mut harness = harness(store);
    let reader = tawsim::store::Reader::new(harness.state().store(), run, || {});
    assert!(reader.is_threaded());
    harness.state_mut().browser_mut().use_reader(reader);
    (_dir, harness)
}

/// Held by a test while the browser's reader must not answer.
static GATE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn gated(store: &Store, job: tawsim::ui::browser::Job) -> tawsim::ui::browser::Answer {
    let _open = GATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tawsim::ui::browser::run_job(store, job)
}

/// The list reads on a thread of its own: while its queries are slow, frames
/// go on with the list as it was (and a spinner), and the filtered rows come
/// when the answers do.
#[test]
fn a_slow_query_never_freezes_the_window() {
    let p = project();
    let docs = p.docs.clone();
    let (_dir, mut harness) = harness_reading_with(p, 4, Status::Done, gated);
    assert!(harness.query_by_label("12 documents").is_some());

    let held = GATE.lock().unwrap();
    harness.get_by_value("any status").click();
    harness.run();
    harness
        .get_all_by_label("done")
        .find(|n| n.accesskit_node().role() != egui::Role::Label)
        .expect("a 'done' option in the status list")
        .click();
    harness.run_steps(10);
    assert!(harness.state().browser().is_loading());
    assert_eq!(harness.state().browser().shown_count(), (Some(12), false));
    // The old list stays on screen meanwhile, and still opens documents.
    assert!(harness.query_by_label("12 documents").is_some());
    harness.get_by_label(&title(2)).click();
    harness.run_steps(2);
    assert_eq!(harness.state().current_document(), Some(docs[2]));

    drop(held);
    harness.run();
    assert!(!harness.state().browser().is_loading());
    assert_eq!(harness.state().browser().shown_count(), (Some(1), true));
    assert!(harness.query_by_label("1 document").is_some());
    assert!(shown(&harness, &title(4)));
    assert!(!shown(&harness, &title(0)));
}

static STOP_COUNTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Every count job ends as interrupted while `STOP_COUNTS` is above zero,
/// as when the list interrupted it just as it became wanted again.
fn counts_stopped(store: &Store, job: tawsim::ui::browser::Job) -> tawsim::ui::browser::Answer {
    use std::sync::atomic::Ordering::SeqCst;
    use tawsim::ui::browser::{Answer, Failure, Job};
    if let Job::Count(key) = &job
        && STOP_COUNTS
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
    {
        return Answer::Count(key.clone(), Err(Failure::Interrupted));
    }
    tawsim::ui::browser::run_job(store, job)
}

/// An interrupted count is asked for again, and no error is shown.
#[test]
fn an_interrupted_count_is_read_again() {
    let (_dir, mut harness) = harness_reading_with(project(), 7, Status::Skipped, counts_stopped);
    STOP_COUNTS.store(2, std::sync::atomic::Ordering::SeqCst);
    harness.state_mut().browser_mut().set_query(DocQuery {
        status: Some(Status::Skipped),
        ..DocQuery::default()
    });
    harness.run();
    assert_eq!(STOP_COUNTS.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(harness.state().browser().shown_count(), (Some(1), true));
    assert!(harness.query_by_label("1 document").is_some());
    assert!(shown(&harness, &title(7)));
    assert!(harness.state().errors().is_empty());
}
