//! The headless commands for review and project overviews, run as the real
//! binary: `evaluate`, `agreement`, `docs`, `stats`, `annotators`.

use std::path::Path;
use std::process::Command;

use tawsim::model::{CharRange, Origin};
use tawsim::store::Store;

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

fn find(text: &str, word: &str) -> CharRange {
    let chars: Vec<char> = text.chars().collect();
    let w: Vec<char> = word.chars().collect();
    let start = (0..chars.len())
        .find(|&i| chars[i..].starts_with(&w))
        .unwrap();
    CharRange::new(start, start + w.len()).unwrap()
}

/// layla: إدلب PLACE, بوتين ACTOR; omar: إدلب PLACE, بوتين PLACE, الخميس DATE.
fn project(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("p.db");
    let mut store = Store::open(&path).unwrap();
    let parsed = tawsim::io::parse_txt(ARTICLE.as_bytes(), "idlib.txt").unwrap();
    let doc = store.import_document(&parsed.doc, None).unwrap().id();
    let text = store.document(doc).unwrap().text;
    let layla = store.annotator_id("layla").unwrap();
    let omar = store.annotator_id("omar").unwrap();
    for (who, word, label) in [
        (layla, "إدلب", "PLACE"),
        (omar, "إدلب", "PLACE"),
        (layla, "بوتين", "ACTOR"),
        (omar, "بوتين", "PLACE"),
        (omar, "الخميس", "DATE"),
    ] {
        store
            .add_span(doc, who, find(&text, word), label, Origin::Manual)
            .unwrap();
    }
    path
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

#[test]
fn agreement_and_evaluate_report_the_known_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let db = db.to_str().unwrap();
    let (code, out, err) = tawsim(&["agreement", "--db", db, "--layers", "layla,omar", "--json"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["documents"], 1);
    let pair = &json["pairs"][0];
    // Exact: 1 match; layla has 2 spans, omar 3 → F1 = 2/5.
    assert!(
        (pair["f1_exact"].as_f64().unwrap() - 0.4).abs() < 1e-9,
        "{pair}"
    );
    assert!(pair["kappa"].as_f64().unwrap() < 1.0);

    let csv = dir.path().join("report.csv");
    let errors = dir.path().join("errors.csv");
    let (code, out, err) = tawsim(&[
        "evaluate",
        "--db",
        db,
        "--layer",
        "layla",
        "--against",
        "omar",
        "--out",
        csv.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("layla against omar"), "{out}");
    let report = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "matching,label,tp,fp,fn,precision,recall,f1");
    assert!(
        lines.contains(&"exact,ALL,1,1,2,0.5000,0.3333,0.4000"),
        "{report}"
    );
    assert!(
        lines.contains(&"exact,PLACE,1,0,1,1.0000,0.5000,0.6667"),
        "{report}"
    );
    let errors = std::fs::read_to_string(&errors).unwrap();
    assert!(errors.contains("miss,1,"), "{errors}");
    assert!(errors.contains(",DATE,الخميس"), "{errors}");
    assert!(errors.contains("false_alarm,1,"), "{errors}");
    assert!(!dir.path().join("report.csv.part").exists());
}

#[test]
fn docs_stats_and_annotators_list_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let db = db.to_str().unwrap();
    let (code, out, err) = tawsim(&["docs", "--db", db, "--json"]);
    assert_eq!(code, 0, "{err}");
    let docs: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(docs.as_array().unwrap().len(), 1);
    assert_eq!(docs[0]["review"], "unreviewed");
    assert_eq!(docs[0]["spans"]["PLACE"], 3);

    let (code, out, _) = tawsim(&["stats", "--db", db, "--json"]);
    assert_eq!(code, 0);
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stats["documents"], 1);
    let spans = stats["spans"].as_array().unwrap();
    assert!(spans.contains(&serde_json::json!({"layer": "omar", "label": "DATE", "count": 1})));

    let (code, out, _) = tawsim(&["annotators", "--db", db]);
    assert_eq!(code, 0);
    assert!(out.contains("layla") && out.contains("omar"), "{out}");
}

#[test]
fn bad_input_exits_1_for_the_work_and_2_for_usage() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let db = db.to_str().unwrap();
    let (code, _, err) = tawsim(&["agreement", "--db", db, "--layers", "layla,nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no layer \"nobody\""), "{err}");
    assert!(err.contains("layla, omar"), "{err}");
    let (code, _, err) = tawsim(&["agreement", "--db", db]);
    assert_eq!(code, 2, "{err}");
    let missing = dir.path().join("none.db");
    let (code, _, err) = tawsim(&["stats", "--db", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no project at"), "{err}");
    assert!(!missing.exists(), "a missing project is not created");
}

#[test]
fn export_writes_checked_jsonl_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let db = db.to_str().unwrap();
    let out = dir.path().join("layla.jsonl");
    let args = [
        "export",
        "--db",
        db,
        "--format",
        "jsonl",
        "--layer",
        "layla",
        "--out",
        out.to_str().unwrap(),
    ];
    let (code, stdout, err) = tawsim(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("1 documents, 2 spans (ACTOR 1, PLACE 1)"),
        "{stdout}"
    );
    let line = std::fs::read_to_string(&out).unwrap();
    let doc: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let text: Vec<char> = doc["text"].as_str().unwrap().chars().collect();
    for span in doc["label"].as_array().unwrap() {
        let (s, e) = (
            span[0].as_u64().unwrap() as usize,
            span[1].as_u64().unwrap() as usize,
        );
        let covered: String = text[s..e].iter().collect();
        assert!(["إدلب", "بوتين"].contains(&covered.as_str()), "{covered}");
    }
    // The output exists now: refused without --force, and left as it was.
    let (code, _, err) = tawsim(&args);
    assert_eq!(code, 1);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), line);
    let (code, _, _) = tawsim(&["export", "--db", db, "--format", "docx", "--out", "x"]);
    assert_eq!(code, 2);
}
