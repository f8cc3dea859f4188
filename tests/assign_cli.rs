//! `tawsim assign`, `tawsim assignments` and `tawsim unassign`, run as the
//! real binary on small projects of real Arabic news sentences.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use tawsim::model::{CharRange, DocId, Origin};
use tawsim::store::{NewDocument, Status, Store};

/// UD Arabic-PUD sentences (CC BY-SA 3.0, see tests/data/ud-arabic-pud/LICENSE.txt).
const SENTENCES: &str = include_str!("data/ud-arabic-pud/sentences.txt");
const DOCS: usize = 9;

fn new_document(i: usize) -> NewDocument {
    let lines: Vec<&str> = SENTENCES.lines().filter(|l| !l.trim().is_empty()).collect();
    NewDocument {
        title: format!("خبر {i}"),
        text: format!("{}\n{}", lines[2 * i], lines[2 * i + 1]),
        source: format!("ud-arabic-pud:{i}"),
        meta: serde_json::json!({}),
    }
}

/// A project of `DOCS` documents imported in `order`.
fn project(dir: &Path, name: &str, order: impl Iterator<Item = usize>) -> (PathBuf, Vec<DocId>) {
    let path = dir.join(name);
    let mut store = Store::open(&path).unwrap();
    let docs = order
        .map(|i| store.import_document(&new_document(i), None).unwrap().id())
        .collect();
    (path, docs)
}

fn tawsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = tawsim(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// (title, assignee) pairs of `assignments --json`: the same on any machine.
fn pairs(listing: &serde_json::Value) -> BTreeSet<(String, String)> {
    listing
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            let title = d["title"].as_str().unwrap().to_owned();
            d["assignees"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |a| (title.clone(), a["name"].as_str().unwrap().to_owned()))
        })
        .collect()
}

#[test]
fn assign_spreads_evenly_reproducibly_and_tops_up() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = project(dir.path(), "a.db", 0..DOCS);
    let db = db.to_str().unwrap();
    let assign = [
        "assign",
        "--db",
        db,
        "--annotators",
        "layla,omar,سارة",
        "--per-document",
        "2",
        "--seed",
        "7",
        "--json",
    ];
    let report = json(&assign);
    assert_eq!(report["documents"], DOCS);
    assert_eq!(report["already_assigned"], 0);
    let totals: Vec<u64> = report["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["total"].as_u64().unwrap())
        .collect();
    // 9 documents × 2 = 18 assignments over three annotators.
    assert_eq!(totals, [6, 6, 6]);
    let listing = json(&["assignments", "--db", db, "--json"]);
    assert_eq!(listing.as_array().unwrap().len(), DOCS);
    for doc in listing.as_array().unwrap() {
        let names: BTreeSet<&str> = doc["assignees"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{doc}");
        assert_eq!(doc["ready"], false);
    }

    // Running it again changes nothing.
    let again = json(&assign);
    assert_eq!(again["already_assigned"], DOCS);
    assert!(
        again["annotators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["added"] == 0)
    );

    // The same documents imported in another order (other local ids), the
    // same names in another order and the same seed: the same assignments.
    let (other, _) = project(dir.path(), "b.db", (0..DOCS).rev());
    let other = other.to_str().unwrap();
    let mut shuffled = assign;
    shuffled[4] = "سارة,omar,layla";
    shuffled[2] = other;
    json(&shuffled);
    let other_listing = json(&["assignments", "--db", other, "--json"]);
    assert_eq!(pairs(&listing), pairs(&other_listing));
    // Another seed gives other assignments.
    let (third, _) = project(dir.path(), "c.db", 0..DOCS);
    let third = third.to_str().unwrap();
    let mut reseeded = assign;
    reseeded[2] = third;
    reseeded[8] = "8";
    json(&reseeded);
    assert_ne!(
        pairs(&listing),
        pairs(&json(&["assignments", "--db", third, "--json"]))
    );

    // Text output: each document with its assignees.
    let (code, out, err) = tawsim(&["assignments", "--db", db]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("9 assigned documents, 0 ready for review"),
        "{out}"
    );
    assert!(out.contains("سارة"), "{out}");
}

#[test]
fn assignments_show_who_finished_and_unassign_removes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, docs) = project(dir.path(), "p.db", 0..4);
    let db = path.to_str().unwrap();
    json(&[
        "assign",
        "--db",
        db,
        "--annotators",
        "layla,omar",
        "--per-document",
        "2",
        "--json",
    ]);
    {
        let mut store = Store::open(&path).unwrap();
        let layla = store.annotator_id("layla").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        store.set_status(docs[1], layla, Status::Done).unwrap();
        store.set_status(docs[1], omar, Status::Done).unwrap();
        store.set_status(docs[2], omar, Status::Done).unwrap();
    }
    let listing = json(&["assignments", "--db", db, "--annotator", "omar", "--json"]);
    let done: Vec<(i64, Vec<bool>, bool)> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_i64().unwrap(),
                d["assignees"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["done"].as_bool().unwrap())
                    .collect(),
                d["ready"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        done,
        [
            (docs[0], vec![false, false], false),
            (docs[1], vec![true, true], true),
            (docs[2], vec![false, true], false),
            (docs[3], vec![false, false], false),
        ]
    );
    let ready = json(&["assignments", "--db", db, "--ready", "--json"]);
    assert_eq!(ready.as_array().unwrap().len(), 1);
    assert_eq!(ready[0]["id"], docs[1]);
    let (code, out, _) = tawsim(&["assignments", "--db", db]);
    assert_eq!(code, 0);
    assert!(out.contains("layla (done), omar (done)"), "{out}");

    // One document, then all the rest.
    let doc = docs[0].to_string();
    let (code, out, err) = tawsim(&["unassign", "--db", db, "--annotator", "omar", "--doc", &doc]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed 1 assignments of omar"), "{out}");
    let (code, out, err) = tawsim(&["unassign", "--db", db, "--annotator", "omar", "--doc", &doc]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed 0"), "{out}");
    assert!(out.contains("not assigned to omar"), "{out}");
    let (code, out, err) = tawsim(&["unassign", "--db", db, "--annotator", "omar", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed 3 assignments of omar"), "{out}");
    let omars = json(&["assignments", "--db", db, "--annotator", "omar", "--json"]);
    assert!(omars.as_array().unwrap().is_empty());
    let store = Store::open(&path).unwrap();
    let omar = store
        .annotators()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "omar")
        .unwrap()
        .id;
    assert!(store.assigned_documents(omar).unwrap().is_empty());
    // The removals are in the audit log, on the document and in bulk.
    let events = store.audit(docs[0]).unwrap();
    assert!(events.iter().any(|e| e.action == "assignment.remove"));
}

#[test]
fn filters_choose_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let (path, docs) = project(dir.path(), "p.db", 0..5);
    {
        let mut store = Store::open(&path).unwrap();
        let layla = store.annotator_id("layla").unwrap();
        for &doc in &docs[..2] {
            store
                .add_span(
                    doc,
                    layla,
                    CharRange::new(0, 2).unwrap(),
                    "PLACE",
                    Origin::Manual,
                )
                .unwrap();
        }
    }
    let db = path.to_str().unwrap();
    let report = json(&[
        "assign",
        "--db",
        db,
        "--annotators",
        "omar",
        "--label",
        "PLACE",
        "--json",
    ]);
    assert_eq!(report["documents"], 2);
    let listing = json(&["assignments", "--db", db, "--json"]);
    let ids: Vec<i64> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, docs[..2]);
}

#[test]
fn errors_name_the_problem_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = project(dir.path(), "p.db", 0..3);
    let db = path.to_str().unwrap();

    let missing = dir.path().join("missing.db");
    let (code, _, err) = tawsim(&[
        "assign",
        "--db",
        missing.to_str().unwrap(),
        "--annotators",
        "layla",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no project at"), "{err}");
    assert!(!missing.exists(), "no project is created");

    let (code, _, err) = tawsim(&[
        "assign",
        "--db",
        db,
        "--annotators",
        "layla,omar",
        "--per-document",
        "3",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("3 different annotators"), "{err}");
    assert!(err.contains("layla, omar"), "{err}");

    let (code, _, err) = tawsim(&["assignments", "--db", db, "--annotator", "nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no annotator \"nobody\""), "{err}");

    let (code, _, err) = tawsim(&["unassign", "--db", db, "--annotator", "nobody", "--all"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no annotator \"nobody\""), "{err}");

    json(&["assign", "--db", db, "--annotators", "layla", "--json"]);
    let (code, _, err) = tawsim(&[
        "unassign",
        "--db",
        db,
        "--annotator",
        "layla",
        "--doc",
        "1",
        "999",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no document 999"), "{err}");
    // Checked before writing: document 1 is still assigned.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.assignments_of_document(1).unwrap().len(), 1);

    // Neither --doc nor --all: a usage error.
    let (code, _, err) = tawsim(&["unassign", "--db", db, "--annotator", "layla"]);
    assert_eq!(code, 2, "{err}");
    // Nothing written by the refusals: the plan with too many per document
    // created no annotator.
    let names: Vec<String> = store
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["layla"]);
}

#[test]
fn docs_lists_a_persons_assigned_documents_and_the_ready_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (path, docs) = project(dir.path(), "p.db", 0..DOCS);
    let db = path.to_str().unwrap();
    json(&[
        "assign",
        "--db",
        db,
        "--annotators",
        "layla,omar",
        "--per-document",
        "2",
        "--seed",
        "3",
        "--json",
    ]);
    let mine = json(&["docs", "--db", db, "--assigned-to", "layla", "--json"]);
    assert_eq!(mine.as_array().unwrap().len(), DOCS);
    assert_eq!(mine[0]["assignees"].as_array().unwrap().len(), 2, "{mine}");
    // Both mark the first document done; layla alone the second.
    {
        let mut store = Store::open(&path).unwrap();
        let layla = store.annotator_id("layla").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        store.set_status(docs[0], layla, Status::Done).unwrap();
        store.set_status(docs[0], omar, Status::Done).unwrap();
        store.set_status(docs[1], layla, Status::Done).unwrap();
    }
    let ready = json(&["docs", "--db", db, "--ready", "--json"]);
    let ids: Vec<i64> = ready
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [docs[0]]);
    let (code, _, err) = tawsim(&["docs", "--db", db, "--assigned-to", "nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no annotator \"nobody\""), "{err}");
}
