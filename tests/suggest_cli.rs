//! `tawsim suggest` run as the real binary: it fills a suggestions layer
//! headless, replaces a document's earlier suggestions when run again, and
//! `tawsim evaluate --layer suggestions --against gold` measures the layer.

use std::path::{Path, PathBuf};
use std::process::Command;

use tawsim::model::CharRange;
use tawsim::store::Store;
use tawsim::store::suggest::SUGGESTIONS_LAYER;

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

fn tawsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(args)
        .env("USER", "lead")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn nth(text: &str, word: &str, n: usize) -> CharRange {
    let chars: Vec<char> = text.chars().collect();
    let w: Vec<char> = word.chars().collect();
    let start = (0..chars.len())
        .filter(|&i| chars[i..].starts_with(&w))
        .nth(n)
        .unwrap();
    CharRange::new(start, start + w.len()).unwrap()
}

/// The sample article imported with `tawsim import`, and a gold layer: the
/// first «إدلب» (PLACE) and the first «الخميس» (DATE).
fn project(dir: &Path) -> PathBuf {
    let article = dir.join("idlib.txt");
    std::fs::write(&article, ARTICLE).unwrap();
    let db = dir.join("p.db");
    let (code, _, err) = tawsim(&[
        "import",
        "--db",
        db.to_str().unwrap(),
        "--no-index",
        article.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut store = Store::open(&db).unwrap();
    let doc = store.documents().unwrap()[0].id;
    let text = store.document(doc).unwrap().text;
    let reviewer = store.annotator_id("sara").unwrap();
    store
        .add_gold_span(doc, reviewer, nth(&text, "إدلب", 0), "PLACE")
        .unwrap();
    store
        .add_gold_span(doc, reviewer, nth(&text, "الخميس", 0), "DATE")
        .unwrap();
    db
}

#[test]
fn a_wrong_recogniser_name_is_bad_usage_naming_the_right_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let (code, _, err) = tawsim(&[
        "suggest",
        "--db",
        db.to_str().unwrap(),
        "--recognisers",
        "date,dates",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dates") && err.contains("casualty"), "{err}");
    let (code, _, err) = tawsim(&["suggest", "--db", "/nonexistent/p.db"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no project at"), "{err}");
}

#[test]
fn suggest_fills_the_layer_again_without_change_and_evaluate_measures_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let db = db.to_str().unwrap();
    let (code, out, err) = tawsim(&["suggest", "--db", db, "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["documents"], 1, "{out}");
    assert_eq!(report["layer"], SUGGESTIONS_LAYER);
    assert_eq!(report["recognisers"].as_array().unwrap().len(), 5);

    // What was printed is what was stored, as an imported layer.
    let store = Store::open(Path::new(db)).unwrap();
    let doc = store.documents().unwrap()[0].id;
    let text = store.document(doc).unwrap().text;
    let stored = store
        .stored_suggestions(doc, SUGGESTIONS_LAYER)
        .unwrap()
        .expect("the layer exists");
    let total: u64 = report["labels"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(stored.len() as u64, total);
    let layer = store
        .layers()
        .unwrap()
        .into_iter()
        .find(|l| l.name == SUGGESTIONS_LAYER)
        .unwrap();
    assert_eq!(layer.kind, tawsim::store::LayerKind::Imported);
    drop(store);

    // Unchanged on a second run: nothing rewritten.
    let (code, out, err) = tawsim(&["suggest", "--db", db]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("suggestions for 1 documents in layer suggestions (0 changed)"),
        "{out}"
    );

    let (code, out, err) = tawsim(&[
        "evaluate",
        "--db",
        db,
        "--layer",
        SUGGESTIONS_LAYER,
        "--against",
        "gold",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let eval: serde_json::Value = serde_json::from_str(&out).unwrap();
    let overlap = eval
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["matching"] == "overlap")
        .expect("overlap matching");
    let fp = overlap["overall"]["fp"].as_u64().unwrap();
    let tp = overlap["overall"]["tp"].as_u64().unwrap();
    assert_eq!(tp + fp, total, "every stored suggestion is measured");

    // With the recognisers in: «إدلب» is a PLACE and «الخميس» a DATE, so
    // both gold spans are found (recall 1), and the places of the article
    // are suggested.
    assert!(
        stored
            .iter()
            .any(|s| s.label == "PLACE" && s.range == nth(&text, "إدلب", 0)),
        "«إدلب» suggested as PLACE"
    );
    assert!(
        stored
            .iter()
            .any(|s| s.label == "DATE" && s.range.contains(nth(&text, "الخميس", 0))),
        "«يوم الخميس» suggested as DATE"
    );
    assert_eq!(overlap["overall"]["recall"].as_f64(), Some(1.0), "{out}");
}

#[test]
fn suggest_limits_to_the_documents_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let db = db.to_str().unwrap();
    let (code, out, err) = tawsim(&["suggest", "--db", db, "--doc", "999", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["documents"], 0, "no document 999: {out}");
    let (code, out, err) = tawsim(&[
        "suggest",
        "--db",
        db,
        "--recognisers",
        "date",
        "--layer",
        "dates",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["documents"], 1);
    assert_eq!(report["recognisers"], serde_json::json!(["date"]));
    let labels = report["labels"].as_object().unwrap();
    assert!(
        labels.keys().all(|l| l == "DATE"),
        "only the DATE recogniser ran: {out}"
    );
}
