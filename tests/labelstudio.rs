//! Label Studio and doccano through the command line, as a user moves a
//! project in and out: `tawsim import --format label-studio|doccano` and
//! `tawsim export --format label-studio|doccano`, the built binary, its
//! files, messages and exit codes. (The round trips against the real
//! servers are in scripts/interop_servers.sh.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};
use tawsim::store::Store;

fn tawsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(args)
        .env("USER", "cli-tester")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Arabic, digits and emoji outside the BMP before the spans, so code-point
/// and UTF-16 offsets differ.
const TEXT: &str = "قصف 😢 على وإدلب في 12 آذار، و3 قتلى 👍🏽 في معرة النعمان.";

/// Code points `start..end` of `text`.
fn at(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

/// `(start, end)` in code points of the first `word` in `text`.
fn find(text: &str, word: &str) -> (usize, usize) {
    let byte = text.find(word).unwrap();
    let start = text[..byte].chars().count();
    (start, start + word.chars().count())
}

fn region(id: &str, (start, end): (usize, usize), label: &str) -> Value {
    json!({"id": id, "type": "labels", "from_name": "label", "to_name": "text",
           "value": {"start": start, "end": end, "text": at(TEXT, start, end), "labels": [label]}})
}

/// A Label Studio JSON export (its shape as 1.23.2 writes it) of one task
/// with an annotation by layla and a prediction of model ner-v2.
fn label_studio_export() -> Value {
    let mut scored = region("p1", find(TEXT, "إدلب"), "PLACE");
    scored["score"] = json!(0.93);
    json!([{
        "id": 41,
        "data": {"text": TEXT, "title": "قصف على إدلب"},
        "annotations": [{
            "id": 7,
            "completed_by": {"id": 1, "email": "layla@news.example", "first_name": "", "last_name": ""},
            "result": [
                region("a1", find(TEXT, "إدلب"), "PLACE"),
                region("a2", find(TEXT, "12 آذار"), "DATE"),
                region("a3", find(TEXT, "3 قتلى"), "CASUALTY"),
                region("a4", find(TEXT, "معرة النعمان"), "PLACE"),
            ],
            "was_cancelled": false, "ground_truth": false,
            "created_at": "2025-01-16T09:30:12.345678Z", "updated_at": "2025-01-16T09:31:00.000001Z",
            "lead_time": 12.5,
        }],
        "drafts": [],
        "predictions": [{
            "id": 3,
            "model_version": "ner-v2",
            "score": 0.5,
            "result": [scored, region("p2", find(TEXT, "معرة النعمان"), "PLACE")],
            "created_at": "2025-01-15T08:00:00.000000Z",
        }],
        "meta": {},
        "created_at": "2025-01-15T08:00:00.000000Z",
    }])
}

/// Every span of the project: layer name → {(start, end, label, text, score)}.
type Spans = BTreeMap<String, BTreeSet<(usize, usize, String, String, Option<String>)>>;

fn project_spans(db: &Path) -> (Vec<String>, Spans) {
    let store = Store::open(db).unwrap();
    let layers: BTreeMap<_, _> = store
        .layers()
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let mut texts = Vec::new();
    let mut spans = Spans::new();
    for doc in store.documents().unwrap() {
        texts.push(store.document(doc.id).unwrap().text);
        for span in store.spans(doc.id).unwrap() {
            spans
                .entry(layers[&span.layer].clone())
                .or_default()
                .insert((
                    span.range.start(),
                    span.range.end(),
                    span.label,
                    span.text,
                    span.score.map(|s| format!("{s:.2}")),
                ));
        }
    }
    (texts, spans)
}

#[test]
fn label_studio_import_makes_a_layer_per_annotator_and_model_and_export_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("project-3-at-2025-01-16.json");
    std::fs::write(
        &file,
        serde_json::to_vec_pretty(&label_studio_export()).unwrap(),
    )
    .unwrap();
    let db = dir.path().join("news.db");
    let report = ok(&tawsim(&[
        "import",
        "--db",
        s(&db),
        "--no-index",
        "--format",
        "label-studio",
        s(&file),
    ]));
    assert!(
        report.contains("layer \"layla@news.example\": 4 spans added"),
        "{report}"
    );
    assert!(
        report.contains("layer \"ner-v2\": 2 spans added"),
        "{report}"
    );

    let (texts, spans) = project_spans(&db);
    assert_eq!(texts, [TEXT]);
    let layla = &spans["layla@news.example"];
    // Code points: «إدلب» is at 11..15 (12..16 in UTF-16 units, after 😢).
    assert!(
        layla.contains(&(11, 15, "PLACE".into(), "إدلب".into(), None)),
        "{layla:?}"
    );
    let model: Vec<_> = spans["ner-v2"].iter().collect();
    assert_eq!(
        model
            .iter()
            .map(|(_, _, l, t, score)| (l.as_str(), t.as_str(), score.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("PLACE", "إدلب", Some("0.93")),
            ("PLACE", "معرة النعمان", Some("0.50"))
        ]
    );

    let out = dir.path().join("ls");
    let said = ok(&tawsim(&[
        "export",
        "--db",
        s(&db),
        "--format",
        "label-studio",
        "--out",
        s(&out),
    ]));
    assert!(said.contains("6 spans"), "{said}");
    let config = std::fs::read_to_string(out.join("config.xml")).unwrap();
    assert!(
        config.starts_with("<View>\n  <Labels name=\"label\" toName=\"text\">\n"),
        "{config}"
    );
    for label in ["CASUALTY", "PLACE", "DATE", "ACTOR"] {
        assert!(
            config.contains(&format!("<Label value=\"{label}\" background=\"#")),
            "{config}"
        );
    }
    assert!(config.ends_with("  </Labels>\n  <Text name=\"text\" value=\"$text\"/>\n</View>\n"));
    let tasks: Value =
        serde_json::from_slice(&std::fs::read(out.join("tasks.json")).unwrap()).unwrap();
    let task = &tasks[0];
    assert_eq!(task["data"]["text"], TEXT);
    assert_eq!(task["data"]["title"], "قصف على إدلب");
    assert_eq!(task["data"]["sha256"].as_str().map(str::len), Some(64));
    let predictions = task["predictions"].as_array().unwrap();
    let versions: BTreeSet<&str> = predictions
        .iter()
        .map(|p| p["model_version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, BTreeSet::from(["layla@news.example", "ner-v2"]));
    for p in predictions {
        for r in p["result"].as_array().unwrap() {
            let v = &r["value"];
            let (start, end) = (v["start"].as_u64().unwrap(), v["end"].as_u64().unwrap());
            assert_eq!(
                at(TEXT, start as usize, end as usize),
                v["text"].as_str().unwrap()
            );
            assert_eq!(
                (r["type"].as_str(), r["to_name"].as_str()),
                (Some("labels"), Some("text"))
            );
        }
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"], json!(["config.xml", "tasks.json"]));

    // What tawsim wrote reads back into the same layers, offsets and scores.
    let again = dir.path().join("again.db");
    ok(&tawsim(&[
        "import",
        "--db",
        s(&again),
        "--no-index",
        "--format",
        "label-studio",
        s(&out.join("tasks.json")),
    ]));
    assert_eq!(project_spans(&again), (texts, spans));
}

#[test]
fn label_studio_labels_missing_from_the_schema_are_refused_with_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut export = label_studio_export();
    export[0]["annotations"][0]["result"] = json!([
        region("x1", find(TEXT, "إدلب"), "GPE"),
        region("x2", find(TEXT, "معرة النعمان"), "GPE"),
        region("x3", find(TEXT, "12 آذار"), "TIME"),
    ]);
    let file = dir.path().join("export.json");
    std::fs::write(&file, serde_json::to_vec(&export).unwrap()).unwrap();
    let db = dir.path().join("news.db");
    let out = tawsim(&[
        "import",
        "--db",
        s(&db),
        "--format",
        "label-studio",
        s(&file),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("labels neither in the schema"), "{stderr}");
    assert!(stderr.contains("GPE (2), TIME (1)"), "{stderr}");
    assert!(Store::open(&db).unwrap().documents().unwrap().is_empty());
}

#[test]
fn a_label_studio_region_whose_text_differs_names_file_task_and_region() {
    let dir = tempfile::tempdir().unwrap();
    let mut export = label_studio_export();
    // UTF-16 offsets, as a tool counting JavaScript string units would write.
    let (start, end) = find(TEXT, "إدلب");
    export[0]["predictions"][0]["result"][1]["value"] =
        json!({"start": start + 1, "end": end + 1, "text": "إدلب", "labels": ["PLACE"]});
    export[0]["predictions"][0]["result"][1]["id"] = json!("Zq3");
    let file = dir.path().join("export.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&export).unwrap()).unwrap();
    let db = dir.path().join("news.db");
    let out = tawsim(&[
        "import",
        "--db",
        s(&db),
        "--format",
        "label-studio",
        s(&file),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:2: task 1 (id 41), predictions[0].result[1] (region \"Zq3\"): value.text \"إدلب\" differs from",
            file.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("fit as UTF-16 code units"), "{stderr}");
    assert!(Store::open(&db).unwrap().documents().unwrap().is_empty());

    let layer = tawsim(&[
        "import",
        "--db",
        s(&db),
        "--format",
        "label-studio",
        "--layer",
        "x",
        s(&file),
    ]);
    assert_eq!(layer.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&layer.stderr).contains("--layer does not apply"));
}

#[test]
fn doccano_export_is_doccano_jsonl_and_doccano_s_export_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    std::fs::write(&file, serde_json::to_vec(&label_studio_export()).unwrap()).unwrap();
    let db = dir.path().join("news.db");
    ok(&tawsim(&[
        "import",
        "--db",
        s(&db),
        "--no-index",
        "--format",
        "label-studio",
        s(&file),
    ]));
    let out = dir.path().join("doccano.jsonl");
    ok(&tawsim(&[
        "export",
        "--db",
        s(&db),
        "--format",
        "doccano",
        "--layer",
        "layla@news.example",
        "--out",
        s(&out),
    ]));
    let written = std::fs::read_to_string(&out).unwrap();
    let [line] = written.lines().collect::<Vec<_>>()[..] else {
        panic!("one line: {written}")
    };
    let line: Value = serde_json::from_str(line).unwrap();
    let keys: Vec<&str> = line
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["label", "tawsim_id", "text", "title"]);
    assert_eq!(line["text"], TEXT);
    // UTF-16 code units, what doccano's editor counts: «إدلب» is 11..15 in
    // code points, 12..16 in UTF-16 (after 😢); «معرة النعمان» comes after
    // 👍🏽 too (two code points, four units).
    let utf16 = |word: &str| {
        let byte = TEXT.find(word).unwrap();
        let start = TEXT[..byte].encode_utf16().count();
        (start, start + word.encode_utf16().count())
    };
    let (s1, e1) = utf16("إدلب");
    let (s2, e2) = utf16("12 آذار");
    let (s3, e3) = utf16("3 قتلى");
    let (s4, e4) = utf16("معرة النعمان");
    assert_eq!((s1, e1), (12, 16));
    assert_eq!(s4 - find(TEXT, "معرة النعمان").0, 3);
    assert_eq!(
        line["label"],
        json!([
            [s1, e1, "PLACE"],
            [s2, e2, "DATE"],
            [s3, e3, "CASUALTY"],
            [s4, e4, "PLACE"]
        ])
    );
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("doccano.jsonl.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["offsets"], "utf16");

    // doccano 1.8's JSONL export of that: its id, the metadata, the labels, comments.
    let from_doccano = dir.path().join("all.jsonl");
    let exported = json!({"id": 1, "text": TEXT, "title": line["title"], "tawsim_id": line["tawsim_id"],
                          "label": line["label"], "Comments": []});
    std::fs::write(&from_doccano, format!("{exported}\n")).unwrap();
    let back = dir.path().join("back.db");
    ok(&tawsim(&[
        "import",
        "--db",
        s(&back),
        "--no-index",
        "--format",
        "doccano",
        "--layer",
        "layla@news.example",
        s(&from_doccano),
    ]));
    let (texts, mut spans) = project_spans(&db);
    spans.remove("ner-v2");
    assert_eq!(project_spans(&back), (texts, spans));
}
