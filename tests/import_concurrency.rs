//! Imports write in short transactions that stay hidden until the last one
//! commits: another connection writes meanwhile without a busy error, and
//! an import killed at any moment (the real binary, `kill -9`) leaves
//! nothing visible, a sound file, and an import that runs again cleanly.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tawsim::io::{ImportOptions, Stage, import_paths};
use tawsim::model::{Change, CharRange, Origin};
use tawsim::store::Store;

/// A JSONL of `n` distinct documents, each with a PLACE span on «إدلب».
fn jsonl(dir: &Path, n: usize) -> PathBuf {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            "{{\"text\": \"قصف على إدلب وريفها في اليوم {i}\", \"label\": [[8, 12, \"PLACE\"]]}}\n"
        ));
    }
    let path = dir.join("news.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

/// Rows in a table as stored, hidden ones included (a plain connection,
/// without the store's views).
fn raw_count(path: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn another_connection_writes_during_an_import_which_stays_hidden_until_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let mut window = Store::open(&path).unwrap();
    let me = window.annotator_id("layla").unwrap();
    let doc = window
        .import_document(
            &tawsim::store::NewDocument {
                title: "إدلب".into(),
                text: "قصفت الطائرات مدينة إدلب وريفها".into(),
                source: "t".into(),
                meta: serde_json::json!({}),
            },
            Some(me),
        )
        .unwrap()
        .id();
    let file = jsonl(dir.path(), 20_000);

    let records = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let importer = {
        let (path, records, done) = (path.clone(), records.clone(), done.clone());
        std::thread::spawn(move || {
            let mut store = Store::open(&path).unwrap();
            let actor = store.annotator_id("importer").unwrap();
            let report = import_paths(
                &mut store,
                &[file],
                &ImportOptions::default(),
                actor,
                &mut |stage| {
                    if let Stage::Importing { records: n, .. } = stage {
                        records.store(n, Ordering::Relaxed);
                    }
                    true
                },
            );
            done.store(true, Ordering::Relaxed);
            report
        })
    };
    while records.load(Ordering::Relaxed) == 0 && !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Write as the window does, one action after another, until the import
    // ends: add a span, delete it again.
    let mut writes = 0;
    let mut saw_hidden_rows = false;
    let mut slowest = Duration::ZERO;
    while !done.load(Ordering::Relaxed) {
        let started = Instant::now();
        let span = window
            .add_span(
                doc,
                me,
                CharRange::new(20, 24).unwrap(),
                "PLACE",
                Origin::Manual,
            )
            .expect("a write during the import succeeds");
        window
            .apply(&Change::Delete { span: span.id }, me)
            .expect("a write during the import succeeds");
        slowest = slowest.max(started.elapsed());
        writes += 2;
        // The import's rows exist but nobody sees them (checked only if the
        // import was still running after the reads: it may end any moment).
        let visible = window.documents().unwrap().len();
        let layer_seen = window
            .layers()
            .unwrap()
            .iter()
            .any(|l| l.name == "news.jsonl");
        let stored = raw_count(&path, "documents");
        if !window.running_imports().unwrap().is_empty() {
            assert_eq!(visible, 1);
            assert!(!layer_seen);
            saw_hidden_rows |= stored > 1;
        }
    }
    let report = importer.join().unwrap().unwrap();
    assert_eq!(report.documents_added, 20_000);
    assert!(writes >= 10, "{writes} writes during the import");
    assert!(saw_hidden_rows, "the import wrote while the window wrote");
    eprintln!("{writes} writes during the import, slowest pair {slowest:?}");
    // Now everything is visible at once.
    assert_eq!(window.documents().unwrap().len(), 20_001);
    let layer = window
        .layers()
        .unwrap()
        .into_iter()
        .find(|l| l.name == "news.jsonl")
        .expect("the import's layer");
    let docs = window.documents().unwrap();
    assert_eq!(docs.iter().map(|d| d.span_count).sum::<usize>(), 20_000);
    assert!(layer.id > 0);
}

/// Run `tawsim import` on `file` into `db` and kill it after `after`
/// (`None`: let it finish). Returns whether it finished by itself.
fn import_killed(db: &Path, file: &Path, after: Option<Duration>) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["import", "--annotator", "cli", "--db"])
        .arg(db)
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let Some(after) = after else {
        return child.wait().unwrap().success();
    };
    let deadline = Instant::now() + after;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // SIGKILL: no chance to clean up.
    child.kill().unwrap();
    child.wait().unwrap();
    false
}

#[test]
fn an_import_killed_at_any_moment_leaves_nothing_visible_and_runs_again_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let n = 15_000;
    let file = jsonl(dir.path(), n);
    drop(Store::open(&db).unwrap());
    // Moments from the start to well into the import, some chosen at random.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    let mut x = seed | 1;
    let mut moments = vec![20u64, 120, 400];
    for _ in 0..4 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        moments.push(30 + x % 1500);
    }
    eprintln!("kill moments (ms) {moments:?}, seed {seed}");
    let mut finished = false;
    for ms in moments {
        finished = import_killed(&db, &file, Some(Duration::from_millis(ms)));
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "killed after {ms} ms");
        drop(conn);
        // Opening cleans up what a killed import left.
        let store = Store::open(&db).unwrap();
        let visible = store.documents().unwrap().len();
        assert!(
            visible == 0 || visible == n,
            "killed after {ms} ms: {visible} documents visible, never part of an import"
        );
        assert_eq!(
            raw_count(&db, "documents") as usize,
            visible,
            "leftovers removed"
        );
        assert_eq!(
            raw_count(&db, "spans") as usize,
            store
                .documents()
                .unwrap()
                .iter()
                .map(|d| d.span_count)
                .sum::<usize>()
        );
        if visible == n {
            finished = true;
            break;
        }
    }
    if !finished {
        assert!(import_killed(&db, &file, None), "the import runs again");
    }
    let store = Store::open(&db).unwrap();
    let docs = store.documents().unwrap();
    assert_eq!(docs.len(), n, "every document exactly once");
    assert_eq!(docs.iter().map(|d| d.span_count).sum::<usize>(), n);
    // Once more: nothing new.
    assert!(import_killed(&db, &file, None));
    let store = Store::open(&db).unwrap();
    assert_eq!(store.documents().unwrap().len(), n);
    assert_eq!(
        store
            .documents()
            .unwrap()
            .iter()
            .map(|d| d.span_count)
            .sum::<usize>(),
        n
    );
}

/// An import writes each new document's `document.import` row and queues
/// it for search once per transaction, for all of that transaction's
/// documents: across many transactions every document still has exactly
/// one event (by the importer, at its import time), its history says what
/// was imported, and search finds every document once indexed.
#[test]
fn every_document_of_a_many_transaction_import_has_its_event_and_is_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let file = jsonl(dir.path(), 5_000);
    // The first text once more: already present, from within the import.
    let mut lines = std::fs::read_to_string(&file).unwrap();
    let first = lines.lines().next().unwrap().to_owned();
    lines.push_str(&first);
    lines.push('\n');
    std::fs::write(&file, lines).unwrap();

    let mut store = Store::open(&path).unwrap();
    let actor = store.annotator_id("importer").unwrap();
    let report = import_paths(
        &mut store,
        &[file],
        &ImportOptions::default(),
        actor,
        &mut |_| true,
    )
    .unwrap();
    assert_eq!(report.documents_added, 5_000);
    assert_eq!(report.documents_present, 1);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let (events, documents, mismatched): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM audit WHERE action = 'document.import'),
                    (SELECT count(DISTINCT doc_id) FROM audit WHERE action = 'document.import'),
                    (SELECT count(*) FROM audit a JOIN documents d ON d.id = a.doc_id
                     WHERE a.action = 'document.import'
                       AND (a.at <> d.imported_at OR a.actor IS NOT ?1 OR a.import_id IS NOT d.import_id))",
            [actor],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((events, documents, mismatched), (5_000, 5_000, 0));

    let docs = store.documents().unwrap();
    assert_eq!(docs.len(), 5_000);
    for doc in [&docs[0], &docs[4_999]] {
        let history = store.document_history(doc.id).unwrap();
        let lines: Vec<String> = history
            .iter()
            .map(|h| tawsim::ui::audit::describe(&h.event))
            .collect();
        assert_eq!(lines, [format!("imported «{}»", doc.title)]);
    }

    let coverage = store.search_coverage().unwrap();
    assert_eq!((coverage.searchable, coverage.documents), (0, 5_000));
    while store.index_queued(2_000).unwrap() > 0 {}
    let coverage = store.search_coverage().unwrap();
    assert_eq!((coverage.searchable, coverage.documents), (5_000, 5_000));
    let mut found: Vec<_> = store
        .search("اليوم 4999", 10)
        .unwrap()
        .hits
        .iter()
        .map(|hit| hit.doc)
        .collect();
    found.dedup();
    assert_eq!(found, [docs[4_999].id]);
}
