//! The `tawsim import` and `tawsim validate` commands run as a user runs
//! them: the built binary, its output and its exit code.

use std::path::Path;
use std::process::{Command, Output};

use tawsim::store::Store;

fn tawsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(args)
        .env("USER", "cli-tester")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn import_prints_the_report_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let file = dir.path().join("model.jsonl");
    std::fs::write(
        &file,
        "{\"text\": \"قصف على إدلب\", \"label\": [[8, 12, \"GPE\"]]}\n",
    )
    .unwrap();
    let map = dir.path().join("map.ron");
    std::fs::write(&map, "(map: {\"GPE\": \"PLACE\"})").unwrap();
    let out = tawsim(&["import", "--db", s(&db), "--map", s(&map), s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains("documents: 1 added, 0 already in the project"),
        "{report}"
    );
    assert!(report.trim_end().ends_with("refused 0 records"), "{report}");
    // No progress bar when stderr is not a terminal.
    assert_eq!(stderr(&out), "");

    let store = Store::open(&db).unwrap();
    let docs = store.documents().unwrap();
    let spans = store.spans(docs[0].id).unwrap();
    assert_eq!(
        (spans[0].label.as_str(), spans[0].text.as_str()),
        ("PLACE", "إدلب")
    );
    let annotators: Vec<String> = store
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(annotators, ["cli-tester"]);
}

#[test]
fn a_failed_import_exits_1_with_the_cause_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let file = dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"text\": \"حلب\", \"label\": [[0, 9, \"PLACE\"]]}\n",
    )
    .unwrap();
    let out = tawsim(&["import", "--db", s(&db), s(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "tawsim: importing into {}: 1 bad record",
            db.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}:1: label[0]: end 9 is past the end of the text (3 characters)",
            file.display()
        )),
        "{err}"
    );
    assert_eq!(stdout(&out), "");
    assert!(Store::open(&db).unwrap().documents().unwrap().is_empty());

    // Unknown labels, then --keep-unknown.
    let file = dir.path().join("foreign.jsonl");
    std::fs::write(&file, "{\"text\": \"حلب\", \"label\": [[0, 3, \"GPE\"]]}\n").unwrap();
    let out = tawsim(&["import", "--db", s(&db), s(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nor in the label map: GPE (1)"),
        "{}",
        stderr(&out)
    );
    let out = tawsim(&["import", "--db", s(&db), "--keep-unknown", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept labels that are not in the schema: GPE 1"));
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    // No PATH.
    let out = tawsim(&["import", "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(2));
    // An unknown format name.
    let out = tawsim(&["import", "--db", s(&db), "--format", "xml", "a.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values: txt, jsonl, conll"));
    // Zero sentences per document.
    let out = tawsim(&[
        "import",
        "--db",
        s(&db),
        "--sentences-per-doc",
        "0",
        "a.conll",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // An extension that names no format.
    let file = dir.path().join("tags.tsv");
    std::fs::write(&file, "قصف\tO\n").unwrap();
    let out = tawsim(&["import", "--db", s(&db), s(&file)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("name it with --format txt|jsonl|conll"));
}

#[test]
fn help_shows_an_example_for_each_command() {
    let out = tawsim(&["import", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("tawsim import --db news.db --format conll --map"));
    let out = tawsim(&["validate", "--help"]);
    assert!(stdout(&out).contains("tawsim validate assets/schema.ron"));
    let out = tawsim(&["--help"]);
    assert!(stdout(&out).contains("tawsim import --db war-2024.db articles/"));
}

#[test]
fn validate_accepts_the_bundled_schema_and_locates_errors() {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/schema.ron");
    let out = tawsim(&["validate", s(&schema)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("is valid: 4 labels (CASUALTY, PLACE, DATE, ACTOR)"),
        "{}",
        stdout(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ron");
    std::fs::write(
        &bad,
        "(\n  name: \"x\",\n  version: 1,\n  labels: [\n    (name: \"PLACE\", arabic: \"مكان\", color: \"#3b82c4\"),\n    (name: \"PLACE\", arabic: \"مكان\", color: \"#3b82c4\"),\n  ],\n)\n",
    )
    .unwrap();
    let out = tawsim(&["validate", s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("tawsim: label schema error at line 6, column"),
        "{err}"
    );
    assert!(err.contains(&bad.display().to_string()), "{err}");

    let out = tawsim(&["validate", "/nonexistent/schema.ron"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read the label schema"));
}
