//! The project store on real files: what an annotator saves is there, exact,
//! after every call, and a project the build cannot read is left alone.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tawsim::model::{Change, CharRange, Origin};
use tawsim::store::{
    Direction, Imported, NewDocument, SCHEMA_VERSION, Store, StoreError, sha256_hex,
};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/samples/idlib-ceasefire-ar.txt"
);

fn sample_text() -> String {
    std::fs::read_to_string(SAMPLE).unwrap()
}

fn sample_doc() -> NewDocument {
    NewDocument {
        title: "خرق وقف إطلاق النار في إدلب".to_owned(),
        text: sample_text(),
        source: SAMPLE.to_owned(),
        meta: serde_json::json!({ "file_name": "idlib-ceasefire-ar.txt" }),
    }
}

/// Code-point offsets of the `nth` occurrence of `needle` in `text`, found by
/// walking `chars()` (never bytes).
fn find_chars(text: &str, needle: &str, nth: usize) -> CharRange {
    let hay: Vec<char> = text.chars().collect();
    let pat: Vec<char> = needle.chars().collect();
    let start = (0..=hay.len() - pat.len())
        .filter(|&i| hay[i..i + pat.len()] == pat[..])
        .nth(nth)
        .unwrap();
    CharRange::new(start, start + pat.len()).unwrap()
}

fn project(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("أخبار.tawsim")
}

#[test]
fn documents_and_spans_round_trip_with_exact_arabic_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let path = project(&dir);
    let text = sample_text();
    // The first «إدلب» comes after the curly quotes of “خرق” (3 bytes each in
    // UTF-8) and after hundreds of 2-byte letters: byte offsets would differ.
    let idlib = find_chars(&text, "إدلب", 0);
    let quoted = find_chars(&text, "“خرق”", 0);
    assert!(quoted.end() < idlib.start());
    assert_ne!(text.find("إدلب").unwrap(), idlib.start());

    let (doc, sara, placed, actor_span) = {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.path(), Some(path.as_path()));
        let sara = store.annotator_id("سارة").unwrap();
        let doc = store
            .import_document(&sample_doc(), Some(sara))
            .unwrap()
            .id();
        let placed = store
            .add_span(doc, sara, idlib, "PLACE", Origin::Manual)
            .unwrap();
        assert_eq!(placed.text, "إدلب");
        let actor_span = store
            .add_span(
                doc,
                sara,
                find_chars(&text, "النظام السوري", 0),
                "ACTOR",
                Origin::Imported,
            )
            .unwrap();
        (doc, sara, placed, actor_span)
    };

    let store = Store::open(&path).unwrap();
    let stored = store.document(doc).unwrap();
    assert_eq!(stored.text, text);
    assert_eq!(stored.title, "خرق وقف إطلاق النار في إدلب");
    assert_eq!(stored.char_len, text.chars().count());
    assert_eq!(stored.sha256, sha256_hex(text.as_bytes()));
    assert_eq!(stored.source, SAMPLE);
    assert_eq!(stored.meta["file_name"], "idlib-ceasefire-ar.txt");
    assert_eq!(stored.direction, Direction::Rtl);
    assert!(stored.imported_at.ends_with('Z'), "{}", stored.imported_at);

    let spans = store.spans(doc).unwrap();
    // Ordered by start: «النظام السوري» comes before the first «إدلب».
    assert_eq!(spans, vec![actor_span.clone(), placed.clone()]);
    assert_eq!(spans[1].range, idlib);
    assert_eq!(spans[1].text, "إدلب");
    assert_eq!(spans[1].annotator, sara);
    assert_eq!(spans[0].text, "النظام السوري");
    assert_eq!(spans[0].origin, Origin::Imported);
    // The covered text is exactly what the offsets select in Rust too.
    let covered: String = text.chars().skip(idlib.start()).take(idlib.len()).collect();
    assert_eq!(covered, spans[1].text);
    assert_eq!(store.span(placed.id).unwrap(), placed);

    let list = store.documents().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, doc);
    assert_eq!(list[0].span_count, 2);
    assert_eq!(list[0].char_len, text.chars().count());
}

#[test]
fn the_same_text_imported_twice_is_stored_once() {
    let mut store = Store::open_in_memory().unwrap();
    let first = store.import_document(&sample_doc(), None).unwrap();
    let Imported::Added(id) = first else {
        panic!("first import should add, got {first:?}")
    };
    let mut again = sample_doc();
    again.title = "عنوان آخر".to_owned();
    again.source = "/elsewhere/copy.txt".to_owned();
    assert_eq!(
        store.import_document(&again, None).unwrap(),
        Imported::AlreadyPresent(id)
    );
    assert_eq!(store.documents().unwrap().len(), 1);
    assert_eq!(
        store.document(id).unwrap().title,
        "خرق وقف إطلاق النار في إدلب"
    );
    let imports = store
        .audit(id)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "document.import")
        .count();
    assert_eq!(imports, 1);

    let mut other = sample_doc();
    other.text.push_str("\nوقف إطلاق النار");
    assert!(matches!(
        store.import_document(&other, None).unwrap(),
        Imported::Added(new) if new != id
    ));
    let titles: Vec<_> = store
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(titles, vec![id, id + 1], "documents in import order");
}

#[test]
fn a_database_from_a_newer_tawsim_is_refused_and_left_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = project(&dir);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE future (x TEXT);
             INSERT INTO future VALUES ('بيانات من المستقبل');
             PRAGMA user_version = 999;",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::TooNew {
            found,
            supported,
            path: named,
        } => {
            assert_eq!(*found, 999);
            assert_eq!(*supported, SCHEMA_VERSION);
            assert_eq!(named, &path);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("newer version of tawsim"), "{message}");
    assert!(message.contains("schema 999"), "{message}");
    assert!(message.ends_with(&path.display().to_string()), "{message}");

    assert_eq!(std::fs::read(&path).unwrap(), before);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    assert!(!Path::new(&wal).exists(), "no WAL file was created");
}

#[test]
fn files_that_are_not_tawsim_projects_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();

    let text_file = dir.path().join("مقال.txt");
    std::fs::write(&text_file, sample_text()).unwrap();
    let err = Store::open(&text_file).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert!(err.to_string().ends_with(&text_file.display().to_string()));
    assert_eq!(std::fs::read_to_string(&text_file).unwrap(), sample_text());

    let other_db = dir.path().join("other.sqlite");
    Connection::open(&other_db)
        .unwrap()
        .execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('أحمد');")
        .unwrap();
    let before = std::fs::read(&other_db).unwrap();
    let err = Store::open(&other_db).unwrap_err();
    assert!(matches!(err, StoreError::NotAProject { .. }), "{err:?}");
    assert_eq!(std::fs::read(&other_db).unwrap(), before);

    let missing_dir = dir.path().join("no-such-folder").join("p.tawsim");
    let err = Store::open(&missing_dir).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(
        err.to_string()
            .ends_with(&missing_dir.display().to_string())
    );
}

#[test]
fn every_action_is_visible_to_a_second_connection_as_soon_as_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = project(&dir);
    let mut store = Store::open(&path).unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let doc = store
        .import_document(&sample_doc(), Some(sara))
        .unwrap()
        .id();
    let range = find_chars(&sample_text(), "إدلب", 1);

    let span = store
        .add_span(doc, sara, range, "PLACE", Origin::Manual)
        .unwrap();
    // A second, independent Store on the same file, opened while the first is open.
    let reader = Store::open(&path).unwrap();
    assert_eq!(reader.spans(doc).unwrap(), vec![span.clone()]);
    // And a raw SQLite connection, bypassing tawsim's code entirely.
    let raw = Connection::open(&path).unwrap();
    let (label, covered): (String, String) = raw
        .query_row(
            "SELECT label, text FROM spans WHERE id = ?1 AND deleted_at IS NULL",
            [span.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((label.as_str(), covered.as_str()), ("PLACE", "إدلب"));

    store
        .apply(
            &Change::Relabel {
                span: span.id,
                from: "PLACE".into(),
                to: "ACTOR".into(),
            },
            sara,
        )
        .unwrap();
    assert_eq!(reader.spans(doc).unwrap()[0].label, "ACTOR");

    store
        .apply(&Change::Delete { span: span.id }, sara)
        .unwrap();
    assert_eq!(reader.spans(doc).unwrap(), vec![]);
    assert_eq!(reader.documents().unwrap()[0].span_count, 0);

    store
        .set_direction(doc, Direction::Auto, Some(sara))
        .unwrap();
    assert_eq!(reader.document(doc).unwrap().direction, Direction::Auto);
}

#[test]
fn delete_restore_and_relabel_are_audited_with_actor_before_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&project(&dir)).unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let omar = store.annotator_id("عمر").unwrap();
    let doc = store.import_document(&sample_doc(), None).unwrap().id();
    let range = find_chars(&sample_text(), "19 مدنياً", 0);
    let span = store
        .add_span(doc, sara, range, "CASUALTY", Origin::Manual)
        .unwrap();
    assert_eq!(span.text, "19 مدنياً");

    let relabelled = store
        .apply(
            &Change::Relabel {
                span: span.id,
                from: "CASUALTY".into(),
                to: "ACTOR".into(),
            },
            omar,
        )
        .unwrap()
        .expect("a span change returns the span");
    assert_eq!(relabelled.label, "ACTOR");
    assert_eq!(relabelled.range, range);

    // Undo of the relabel goes through the same path, as History hands it back.
    let mut history = tawsim::model::History::default();
    history.record(Change::Delete { span: span.id });
    store
        .apply(&Change::Delete { span: span.id }, omar)
        .unwrap();
    assert_eq!(store.spans(doc).unwrap(), vec![]);
    // A deleted span is still readable by id, so undo can show it again.
    assert_eq!(store.span(span.id).unwrap().label, "ACTOR");
    let undo = history.undo().unwrap();
    assert_eq!(undo, Change::Restore { span: span.id });
    let restored = store.apply(&undo, sara).unwrap().unwrap();
    assert_eq!(store.spans(doc).unwrap(), vec![restored.clone()]);
    assert_eq!(restored.text, "19 مدنياً");

    let audit = store.audit(doc).unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "document.import",
            "span.add",
            "span.relabel",
            "span.delete",
            "span.restore"
        ]
    );
    let actors: Vec<_> = audit.iter().map(|e| e.actor).collect();
    assert_eq!(
        actors,
        [None, Some(sara), Some(omar), Some(omar), Some(sara)]
    );
    for event in &audit[1..] {
        assert_eq!(event.doc, Some(doc));
        assert_eq!(event.span, Some(span.id));
        // RFC 3339 UTC with milliseconds: 2025-01-16T09:30:12.345Z
        assert_eq!(event.at.len(), 24, "{}", event.at);
        assert!(event.at.ends_with('Z') && event.at.as_bytes()[19] == b'.');
    }

    let add = &audit[1];
    assert_eq!(add.before, serde_json::Value::Null);
    assert_eq!(add.after["label"], "CASUALTY");
    assert_eq!(add.after["text"], "19 مدنياً");
    assert_eq!(add.after["start"], range.start());
    assert_eq!(add.after["end"], range.end());

    let relabel = &audit[2];
    assert_eq!(relabel.before["label"], "CASUALTY");
    assert_eq!(relabel.after["label"], "ACTOR");

    let delete = &audit[3];
    assert_eq!(delete.before["deleted_at"], serde_json::Value::Null);
    assert!(delete.after["deleted_at"].is_string());
    assert_eq!(delete.after["label"], "ACTOR");

    let restore = &audit[4];
    assert!(restore.before["deleted_at"].is_string());
    assert_eq!(restore.after["deleted_at"], serde_json::Value::Null);
}

#[test]
fn an_out_of_range_span_is_refused_and_nothing_is_written() {
    let mut store = Store::open_in_memory().unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let doc = store.import_document(&sample_doc(), None).unwrap().id();
    let len = sample_text().chars().count();
    let audit_before = store.audit(doc).unwrap();

    let range = CharRange::new(len - 2, len + 1).unwrap();
    let err = store
        .add_span(doc, sara, range, "PLACE", Origin::Manual)
        .unwrap_err();
    match err {
        StoreError::SpanOutOfRange {
            doc: d,
            start,
            end,
            char_len,
        } => assert_eq!((d, start, end, char_len), (doc, len - 2, len + 1, len)),
        ref other => panic!("expected SpanOutOfRange, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&format!("document {doc}")), "{message}");
    assert!(
        message.contains(&format!("{}..{}", len - 2, len + 1)),
        "{message}"
    );
    assert_eq!(store.spans(doc).unwrap(), vec![]);
    assert_eq!(store.audit(doc).unwrap(), audit_before);

    // The last character itself is fine: the end is exclusive.
    let last = store
        .add_span(
            doc,
            sara,
            CharRange::new(len - 4, len).unwrap(),
            "PLACE",
            Origin::Manual,
        )
        .unwrap();
    assert_eq!(last.text, "إدلب");

    assert!(matches!(
        store.add_span(doc + 1, sara, range, "PLACE", Origin::Manual),
        Err(StoreError::DocumentNotFound { doc: d }) if d == doc + 1
    ));
    assert!(matches!(
        store.add_span(
            doc,
            sara + 7,
            CharRange::new(0, 4).unwrap(),
            "PLACE",
            Origin::Manual
        ),
        Err(StoreError::AnnotatorNotFound { .. })
    ));
    assert!(matches!(
        store.add_span(
            doc,
            sara,
            CharRange::new(0, 4).unwrap(),
            "  ",
            Origin::Manual
        ),
        Err(StoreError::BlankLabel)
    ));
    assert_eq!(store.spans(doc).unwrap(), vec![last]);
}

#[test]
fn stale_or_impossible_changes_are_refused_and_nothing_is_written() {
    let mut store = Store::open_in_memory().unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let doc = store.import_document(&sample_doc(), None).unwrap().id();
    let span = store
        .add_span(
            doc,
            sara,
            find_chars(&sample_text(), "إدلب", 0),
            "PLACE",
            Origin::Manual,
        )
        .unwrap();
    let audit_len = store.audit(doc).unwrap().len();

    // Someone else already changed PLACE to DATE; this view still thinks ACTOR.
    let stale = Change::Relabel {
        span: span.id,
        from: "ACTOR".into(),
        to: "DATE".into(),
    };
    match store.apply(&stale, sara).unwrap_err() {
        StoreError::StaleLabel {
            span: s,
            expected,
            found,
        } => {
            assert_eq!(s, span.id);
            assert_eq!(expected, "ACTOR");
            assert_eq!(found, "PLACE");
        }
        other => panic!("expected StaleLabel, got {other:?}"),
    }
    assert_eq!(store.span(span.id).unwrap().label, "PLACE");

    assert!(matches!(
        store.apply(&Change::Restore { span: span.id }, sara),
        Err(StoreError::NotDeleted { .. })
    ));
    store
        .apply(&Change::Delete { span: span.id }, sara)
        .unwrap();
    assert!(matches!(
        store.apply(&Change::Delete { span: span.id }, sara),
        Err(StoreError::AlreadyDeleted { .. })
    ));
    assert!(matches!(
        store.apply(
            &Change::Relabel {
                span: span.id,
                from: "PLACE".into(),
                to: "DATE".into()
            },
            sara
        ),
        Err(StoreError::SpanDeleted { .. })
    ));
    assert!(matches!(
        store.apply(
            &Change::Delete {
                span: span.id + 100
            },
            sara
        ),
        Err(StoreError::SpanNotFound { .. })
    ));
    // Only the one successful delete reached the audit log.
    assert_eq!(store.audit(doc).unwrap().len(), audit_len + 1);
}

#[test]
fn annotators_are_found_or_created_once_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = project(&dir);
    let (sara, omar) = {
        let mut store = Store::open(&path).unwrap();
        let sara = store.annotator_id("سارة").unwrap();
        let omar = store.annotator_id("عمر").unwrap();
        assert_eq!(store.annotator_id(" سارة ").unwrap(), sara);
        assert!(matches!(
            store.annotator_id(" \t"),
            Err(StoreError::BlankAnnotatorName)
        ));
        (sara, omar)
    };
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.annotator_id("سارة").unwrap(), sara);
    let names: Vec<_> = store
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    assert_eq!(
        names,
        vec![(sara, "سارة".to_owned()), (omar, "عمر".to_owned())]
    );
}

#[test]
fn direction_changes_are_saved_and_audited() {
    let mut store = Store::open_in_memory().unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let doc = store.import_document(&sample_doc(), None).unwrap().id();
    store
        .set_direction(doc, Direction::Ltr, Some(sara))
        .unwrap();
    // Setting the same direction again writes nothing.
    store
        .set_direction(doc, Direction::Ltr, Some(sara))
        .unwrap();
    assert_eq!(store.document(doc).unwrap().direction, Direction::Ltr);
    let events: Vec<_> = store
        .audit(doc)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "document.direction")
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].before["direction"], "rtl");
    assert_eq!(events[0].after["direction"], "ltr");
    assert_eq!(events[0].actor, Some(sara));
    assert!(matches!(
        store.set_direction(doc + 5, Direction::Rtl, None),
        Err(StoreError::DocumentNotFound { .. })
    ));
    for dir in [Direction::Rtl, Direction::Ltr, Direction::Auto] {
        assert_eq!(Direction::parse(dir.as_str()), Some(dir));
    }
    assert_eq!(Direction::default(), Direction::Rtl);
}

#[test]
fn stored_text_and_spans_cannot_be_altered_behind_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = project(&dir);
    let mut store = Store::open(&path).unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let doc = store.import_document(&sample_doc(), None).unwrap().id();
    let span = store
        .add_span(
            doc,
            sara,
            find_chars(&sample_text(), "إدلب", 0),
            "PLACE",
            Origin::Manual,
        )
        .unwrap();

    let raw = Connection::open(&path).unwrap();
    let err = raw
        .execute("UPDATE documents SET text = 'نص آخر' WHERE id = ?1", [doc])
        .unwrap_err();
    assert!(err.to_string().contains("never changes"), "{err}");
    assert!(
        raw.execute("DELETE FROM spans WHERE id = ?1", [span.id])
            .is_err()
    );
    assert!(
        raw.execute("UPDATE spans SET start = 0 WHERE id = ?1", [span.id])
            .is_err()
    );
    assert!(raw.execute("DELETE FROM audit", []).is_err());

    assert_eq!(store.document(doc).unwrap().text, sample_text());
    assert_eq!(store.spans(doc).unwrap(), vec![span]);
}

#[test]
fn text_that_sqlite_would_miscount_is_refused() {
    let mut store = Store::open_in_memory().unwrap();
    let mut doc = sample_doc();
    doc.text = "إدلب\0حماة".to_owned();
    assert!(matches!(
        store.import_document(&doc, None),
        Err(StoreError::NulInText { offset: 4, .. })
    ));
    doc.text = String::new();
    assert!(matches!(
        store.import_document(&doc, None),
        Err(StoreError::EmptyText { .. })
    ));
    assert_eq!(store.documents().unwrap(), vec![]);
}
