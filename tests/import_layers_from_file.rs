//! tawsim's own JSONL export brought back with layers from the file
//! (`tawsim import --layers-from-file`, File ▸ Import… "Layers from the
//! file"): each annotator's spans land in that annotator's layer, made by
//! them, gold in gold, with their uids and times; without the option, one
//! layer named after the file as before; a file without the layer fields
//! falls back with a note.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use egui_kittest::kittest::Queryable as _;
use serde_json::Value;
use tawsim::export::{ExportOptions, Format, export};
use tawsim::io::{
    ImportFailed, ImportOptions, ImportRecord, ImportReport, ImportSpan, Provenance, import_paths,
};
use tawsim::model::{Attrs, Change, CharRange, DocId, Origin};
use tawsim::store::import::ImportOrigin;
use tawsim::store::{ExportQuery, LayerKind, NewDocument, Store};

mod common;

const STRIKE: &str = "قصف على إدلب يوم الخميس وقتل 3 مدنيين في سراقب";
const TRUCE: &str = "أعلنت روسيا وتركيا هدنة في إدلب";

/// Code-point range of the first `word` in `text`.
fn range(text: &str, word: &str) -> CharRange {
    let byte = text.find(word).unwrap();
    let start = text[..byte].chars().count();
    CharRange::new(start, start + word.chars().count()).unwrap()
}

fn new_doc(title: &str, text: &str) -> NewDocument {
    NewDocument {
        title: title.into(),
        text: text.into(),
        source: format!("{title}.txt"),
        meta: serde_json::json!({}),
    }
}

/// A project where layla and عمر tagged both texts (one span relabelled,
/// one deleted) and reviewer سارة put spans into gold; exported whole as
/// JSONL to `team.jsonl` in `dir`.
fn team_export(dir: &Path) -> (Store, PathBuf) {
    let mut store = Store::open(&dir.join("team.db")).unwrap();
    let layla = store.annotator_id("layla").unwrap();
    let omar = store.annotator_id("عمر").unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let ids: Vec<DocId> = store
        .import_documents(&[new_doc("strike", STRIKE), new_doc("truce", TRUCE)], None)
        .unwrap()
        .into_iter()
        .map(|d| d.id())
        .collect();
    let (strike, truce) = (ids[0], ids[1]);
    let mut add = |doc, annotator, text: &str, word: &str, label: &str| {
        store
            .add_span(doc, annotator, range(text, word), label, Origin::Manual)
            .unwrap()
    };
    let idlib = add(strike, layla, STRIKE, "إدلب", "PLACE");
    add(strike, layla, STRIKE, "يوم الخميس", "DATE");
    let wrong = add(strike, layla, STRIKE, "سراقب", "ACTOR");
    add(truce, layla, TRUCE, "روسيا", "ACTOR");
    // The same place as layla, and overlapping spans of her own.
    add(strike, omar, STRIKE, "إدلب", "PLACE");
    add(strike, omar, STRIKE, "3 مدنيين", "CASUALTY");
    add(strike, omar, STRIKE, "قتل 3 مدنيين", "CASUALTY");
    let gone = add(truce, omar, TRUCE, "تركيا", "PLACE");
    add(truce, omar, TRUCE, "تركيا", "ACTOR");
    // Relabelled later than it was made (times are in milliseconds).
    std::thread::sleep(Duration::from_millis(5));
    store
        .apply(
            &Change::Relabel {
                span: wrong.id,
                from: "ACTOR".into(),
                to: "PLACE".into(),
            },
            layla,
        )
        .unwrap();
    store
        .apply(&Change::Delete { span: gone.id }, omar)
        .unwrap();
    store.accept_into_gold(idlib.id, sara).unwrap();
    store
        .correct_into_gold(wrong.id, sara, range(STRIKE, "في سراقب"), "PLACE")
        .unwrap();
    let out = dir.join("team.jsonl");
    export(&store, &ExportOptions::new(Format::Jsonl, &out)).unwrap();
    (store, out)
}

/// Every live span of the project, as a user would compare them: document
/// title, offsets, label, text, layer, layer kind, annotator, uid and times.
type SpanRow = (
    String,
    usize,
    usize,
    String,
    String,
    String,
    &'static str,
    String,
    String,
    String,
    String,
);

fn all_spans(store: &Store) -> BTreeSet<SpanRow> {
    let query = ExportQuery {
        layers: store.layers().unwrap().iter().map(|l| l.id).collect(),
        ..ExportQuery::default()
    };
    let mut out = BTreeSet::new();
    store
        .export_documents(&query, |doc| -> Result<(), tawsim::store::StoreError> {
            for s in doc.spans {
                out.insert((
                    doc.title.clone(),
                    s.start,
                    s.end,
                    s.label,
                    s.text,
                    s.layer.to_string(),
                    s.layer_kind.as_str(),
                    s.annotator.to_string(),
                    s.uid.map(|u| u.to_string()).unwrap_or_default(),
                    s.created_at,
                    s.updated_at,
                ));
            }
            Ok(())
        })
        .unwrap();
    out
}

fn import(store: &mut Store, path: &Path, layers_from_file: bool) -> ImportReport {
    let actor = store.annotator_id("lead").unwrap();
    let options = ImportOptions {
        layers_from_file,
        ..ImportOptions::default()
    };
    import_paths(store, &[path.to_path_buf()], &options, actor, &mut |_| true).unwrap()
}

fn annotator_names(store: &Store) -> Vec<String> {
    store
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect()
}

#[test]
fn the_export_says_who_made_each_span_in_which_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = team_export(dir.path());
    let text = std::fs::read_to_string(&out).unwrap();
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let spans = line["spans"].as_array().unwrap();
    let gold = spans.iter().find(|s| s["layer"] == "gold").unwrap();
    assert_eq!(gold["layer_kind"], "gold");
    assert_eq!(gold["annotator"], "سارة");
    let omar = spans.iter().find(|s| s["layer"] == "عمر").unwrap();
    assert_eq!(omar["layer_kind"], "annotator");
    assert_eq!(omar["annotator"], "عمر");
    // A hyphenated UUID, and times in RFC 3339 UTC with milliseconds.
    let uid = omar["uid"].as_str().unwrap();
    assert_eq!(
        uid.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    let created = omar["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    // The relabelled span was changed after it was made.
    let relabelled = spans
        .iter()
        .find(|s| s["layer"] == "layla" && s["text"] == "سراقب")
        .unwrap();
    assert_eq!(relabelled["label"], "PLACE");
    assert!(
        relabelled["updated_at"].as_str() > relabelled["created_at"].as_str(),
        "{relabelled}"
    );
    // The fields doccano and older readers know are still there, first.
    let raw = text.lines().next().unwrap();
    let omar_at = raw.find(&format!("\"uid\":\"{uid}\"")).unwrap();
    let object = &raw[raw[..omar_at].rfind("{\"start\"").unwrap()..];
    assert!(
        object.starts_with(&format!(
            "{{\"start\":8,\"end\":12,\"label\":\"PLACE\",\"text\":\"إدلب\",\"layer\":\"عمر\",\"annotator\":\"عمر\",\"attrs\":{{}},\"notes\":[],\"layer_kind\":\"annotator\",\"uid\":\"{uid}\",\"created_at\":\"{created}\",\"updated_at\":\"{created}\"}}"
        )),
        "{object}"
    );
}

#[test]
fn layers_from_the_file_recreate_each_annotators_layer_under_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let (team, out) = team_export(dir.path());
    let expected = all_spans(&team);
    assert_eq!(expected.len(), 10, "{expected:#?}");

    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let report = import(&mut lead, &out, true);
    assert_eq!(report.spans_added, 10, "{report}");
    assert!(report.spans_without_layer.is_empty(), "{report}");
    assert_eq!(report.annotators_added, ["layla", "عمر", "سارة"]);
    let shown = report.to_string();
    assert!(shown.contains("layer \"layla\": 4 spans added"), "{shown}");
    assert!(shown.contains("layer \"عمر\": 4 spans added"), "{shown}");
    assert!(shown.contains("layer \"gold\": 2 spans added"), "{shown}");
    assert!(
        shown.contains("annotators added: layla, عمر, سارة"),
        "{shown}"
    );

    // Record by record: the same span (uid) with the same label, offsets,
    // layer, annotator and times.
    assert_eq!(all_spans(&lead), expected);
    // No layer named after the file; each annotator's layer is theirs.
    let layers = lead.layers().unwrap();
    assert!(layers.iter().all(|l| l.name != "team.jsonl"), "{layers:?}");
    let annotators = lead.annotators().unwrap();
    for name in ["layla", "عمر"] {
        let annotator = annotators.iter().find(|a| a.name == name).unwrap();
        let layer = layers.iter().find(|l| l.name == name).unwrap();
        assert_eq!(layer.kind, LayerKind::Annotator);
        assert_eq!(layer.annotator, Some(annotator.id));
        for doc in lead.documents().unwrap() {
            for span in lead.spans(doc.id).unwrap() {
                if span.layer == layer.id {
                    assert_eq!(span.annotator, annotator.id, "{span:?}");
                }
            }
        }
    }
    let gold = layers.iter().find(|l| l.kind == LayerKind::Gold).unwrap();
    assert_eq!(gold.name, "gold");
    assert_eq!(lead.gold_layer(None).unwrap(), gold.id);

    // The same file again: every span is already there.
    let again = import(&mut lead, &out, true);
    assert_eq!((again.spans_added, again.spans_duplicate), (0, 10));
    assert!(again.annotators_added.is_empty());
    assert_eq!(all_spans(&lead), expected);
}

#[test]
fn an_annotator_already_in_the_project_gets_the_spans() {
    let dir = tempfile::tempdir().unwrap();
    let (team, out) = team_export(dir.path());
    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let layla = lead.annotator_id("layla").unwrap();
    let report = import(&mut lead, &out, true);
    assert_eq!(report.annotators_added, ["عمر", "سارة"]);
    assert_eq!(all_spans(&lead), all_spans(&team));
    let layer = lead
        .layers()
        .unwrap()
        .into_iter()
        .find(|l| l.name == "layla")
        .unwrap();
    assert_eq!(layer.annotator, Some(layla));
}

#[test]
fn without_the_option_every_span_lands_in_one_layer_named_after_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = team_export(dir.path());
    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let report = import(&mut lead, &out, false);
    // In one layer, layla's, عمر's and gold's «إدلب» PLACE are one span.
    assert_eq!((report.spans_added, report.spans_duplicate), (8, 2));
    assert_eq!(
        report.layers.keys().collect::<Vec<_>>(),
        ["team.jsonl"],
        "{report}"
    );
    assert!(report.annotators_added.is_empty());
    assert_eq!(annotator_names(&lead), ["lead"]);
    let lead_id = lead.annotator_id("lead").unwrap();
    let spans = all_spans(&lead);
    assert_eq!(spans.len(), 8);
    for span in &spans {
        assert_eq!(span.5, "team.jsonl");
        assert_eq!(span.6, "imported");
        assert_eq!(span.7, "lead");
    }
    for doc in lead.documents().unwrap() {
        assert!(
            lead.spans(doc.id)
                .unwrap()
                .iter()
                .all(|s| s.annotator == lead_id)
        );
    }
}

/// `team.jsonl` as an export from before the layer fields: no
/// `layer_kind`, `uid`, `created_at`, `updated_at`.
fn older_export(dir: &Path, out: &Path) -> PathBuf {
    let mut lines = Vec::new();
    for line in std::fs::read_to_string(out).unwrap().lines() {
        let mut value: Value = serde_json::from_str(line).unwrap();
        for span in value["spans"].as_array_mut().unwrap() {
            let span = span.as_object_mut().unwrap();
            for key in ["layer_kind", "uid", "created_at", "updated_at"] {
                span.remove(key);
            }
        }
        lines.push(value.to_string());
    }
    let older = dir.join("older.jsonl");
    std::fs::write(&older, lines.join("\n") + "\n").unwrap();
    older
}

#[test]
fn an_older_export_with_the_option_imports_as_before_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = team_export(dir.path());
    let older = older_export(dir.path(), &out);
    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let report = import(&mut lead, &older, true);
    assert_eq!((report.spans_added, report.spans_duplicate), (8, 2));
    assert_eq!(report.layers.keys().collect::<Vec<_>>(), ["older.jsonl"]);
    assert_eq!(
        report.spans_without_layer.iter().collect::<Vec<_>>(),
        [(&"older.jsonl".to_owned(), &10)]
    );
    assert!(
        report.to_string().contains(
            "note: 10 spans named no layer (not tawsim's own JSONL export, or one older than its layer_kind field), so they went into layer \"older.jsonl\" as before"
        ),
        "{report}"
    );
    assert_eq!(annotator_names(&lead), ["lead"]);
    assert!(all_spans(&lead).iter().all(|s| s.5 == "older.jsonl"));
}

#[test]
fn bad_layer_fields_name_the_line_and_field_and_import_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"text": "قصف على إدلب", "spans": [{"start": 8, "end": 12, "label": "PLACE", "layer": "layla", "layer_kind": "annotator", "annotator": "layla"}]}"#,
            r#"{"text": "حماة", "spans": [{"start": 0, "end": 4, "label": "PLACE", "layer": "x", "layer_kind": "team"}]}"#,
            r#"{"text": "حلب", "spans": [{"start": 0, "end": 3, "label": "PLACE", "layer_kind": "annotator", "annotator": "layla", "uid": "42"}]}"#,
            r#"{"text": "درعا", "spans": [{"start": 0, "end": 4, "label": "PLACE", "layer_kind": "annotator", "annotator": "layla", "created_at": "yesterday"}]}"#,
            r#"{"text": "دمشق", "spans": [{"start": 0, "end": 4, "label": "PLACE", "layer_kind": "imported"}]}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let actor = lead.annotator_id("lead").unwrap();
    let options = ImportOptions {
        layers_from_file: true,
        ..ImportOptions::default()
    };
    let err = import_paths(
        &mut lead,
        std::slice::from_ref(&file),
        &options,
        actor,
        &mut |_| true,
    )
    .unwrap_err()
    .to_string();
    let f = file.display();
    for expected in [
        format!(
            "{f}:2: spans[0].layer_kind: expected \"annotator\", \"imported\" or \"gold\", found \"team\""
        ),
        format!("{f}:3: spans[0].uid: \"42\" is not a uid (32 hexadecimal digits)"),
        format!(
            "{f}:4: spans[0].created_at: expected a UTC time such as \"2025-01-16T09:30:12.345Z\", found \"yesterday\""
        ),
        format!("{f}:5: spans[0].layer: missing; a span of an imported layer names its layer"),
    ] {
        assert!(err.contains(&expected), "{expected}\nnot in\n{err}");
    }
    assert!(
        err.contains("4 bad records, so nothing was imported"),
        "{err}"
    );
    assert!(lead.documents().unwrap().is_empty());
    assert_eq!(annotator_names(&lead), ["lead"]);
}

#[test]
fn unknown_labels_refuse_the_import_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = team_export(dir.path());
    let text = std::fs::read_to_string(&out)
        .unwrap()
        .replace("\"CASUALTY\"", "\"VICTIMS\"");
    let file = dir.path().join("victims.jsonl");
    std::fs::write(&file, text).unwrap();
    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let actor = lead.annotator_id("lead").unwrap();
    let options = ImportOptions {
        layers_from_file: true,
        ..ImportOptions::default()
    };
    let err = import_paths(&mut lead, &[file], &options, actor, &mut |_| true).unwrap_err();
    assert!(
        matches!(&err, ImportFailed::UnknownLabels { labels, .. } if labels == &[("VICTIMS".to_owned(), 2)]),
        "{err}"
    );
    assert!(lead.documents().unwrap().is_empty());
    assert_eq!(annotator_names(&lead), ["lead"]);
}

#[test]
fn a_layer_name_the_project_uses_for_another_kind_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = team_export(dir.path());
    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let actor = lead.annotator_id("lead").unwrap();
    // An imported layer already called "layla" (the file's name for her layer).
    let plain = dir.path().join("layla");
    std::fs::write(
        &plain,
        "{\"text\": \"حماة\", \"label\": [[0, 4, \"PLACE\"]]}\n",
    )
    .unwrap();
    let options = ImportOptions {
        format: Some(tawsim::io::Format::Jsonl),
        ..ImportOptions::default()
    };
    import_paths(&mut lead, &[plain], &options, actor, &mut |_| true).unwrap();
    let before = all_spans(&lead);

    let options = ImportOptions {
        layers_from_file: true,
        ..ImportOptions::default()
    };
    let err = import_paths(
        &mut lead,
        std::slice::from_ref(&out),
        &options,
        actor,
        &mut |_| true,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(&format!("{}:1: spans[", out.display())),
        "{err}"
    );
    assert!(
        err.contains(".annotator: the name \"layla\" is already used by another layer"),
        "{err}"
    );
    assert!(err.ends_with("nothing was imported"), "{err}");
    // Nothing of it stays: no documents, spans or annotators.
    assert_eq!(all_spans(&lead), before);
    assert_eq!(lead.documents().unwrap().len(), 1);
    assert_eq!(annotator_names(&lead), ["lead"]);
}

#[test]
fn an_abandoned_import_takes_the_annotators_it_added_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut lead = Store::open(&dir.path().join("lead.db")).unwrap();
    let actor = lead.annotator_id("lead").unwrap();
    let span = |annotator: &str| ImportSpan {
        start: 8,
        end: 12,
        label: "PLACE".into(),
        text: None,
        score: None,
        model: None,
        attrs: Attrs::new(),
        note: String::new(),
        field: "spans[0]".into(),
        provenance: Some(Provenance {
            kind: LayerKind::Annotator,
            layer: annotator.into(),
            annotator: Some(annotator.into()),
            uid: None,
            created_at: Some("2025-01-16T09:30:12.345Z".into()),
            updated_at: None,
        }),
    };
    let record = ImportRecord {
        doc: new_doc("strike", "قصف على إدلب"),
        spans: vec![span("layla"), span("عمر")],
        layer: "x.jsonl".into(),
        file: "x.jsonl".into(),
        line: 1,
    };
    let mut run = lead
        .begin_import(actor, ImportOrigin::Library, "x.jsonl")
        .unwrap();
    lead.import_batch(&mut run, &[record], &mut |_| true)
        .unwrap();
    assert_eq!(run.report.annotators_added, ["layla", "عمر"]);
    // The annotators exist while the import runs; their spans are hidden.
    assert_eq!(annotator_names(&lead), ["lead", "layla", "عمر"]);
    assert!(lead.documents().unwrap().is_empty());
    lead.abandon_import(run).unwrap();
    assert_eq!(annotator_names(&lead), ["lead"]);
    assert_eq!(
        lead.layers()
            .unwrap()
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["lead"]
    );
    // Nor is their creation in the history.
    let conn = rusqlite::Connection::open(dir.path().join("lead.db")).unwrap();
    let created: Vec<String> = conn
        .prepare(
            "SELECT json_extract(after, '$.name') FROM audit WHERE action = 'annotator.create'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(created, ["lead"]);
}

#[test]
fn the_command_line_switch_recreates_the_layers() {
    let dir = tempfile::tempdir().unwrap();
    let (team, out) = team_export(dir.path());
    let db = dir.path().join("lead.db");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["import", "--db"])
        .arg(&db)
        .args(["--annotator", "lead", "--no-index", "--layers-from-file"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("layer \"layla\": 4 spans added"),
        "{stdout}"
    );
    assert!(
        stdout.contains("annotators added: layla, عمر, سارة"),
        "{stdout}"
    );
    let lead = Store::open(&db).unwrap();
    assert_eq!(all_spans(&lead), all_spans(&team));
}

#[test]
fn the_import_dialog_has_the_switch() {
    let dir = tempfile::tempdir().unwrap();
    let (team, out) = team_export(dir.path());
    let mut store = Store::open(&dir.path().join("lead.db")).unwrap();
    let article = tawsim::io::parse_txt(common::ARTICLE.as_bytes(), "article.txt").unwrap();
    store.import_document(&article.doc, None).unwrap();
    let mut harness = common::harness(store);
    harness.state_mut().run(tawsim::ui::Command::ImportDialog(
        tawsim::ui::import::ImportCommand::Open(vec![out.clone()]),
    ));
    harness.run();
    harness
        .get_by_label(
            "Layers from the file (tawsim's own JSONL export: each annotator's spans back into their layer)",
        )
        .click();
    harness.run();
    match harness.state().import_state() {
        tawsim::ui::import::ImportUi::Dialog(choices) => assert!(choices.layers_from_file),
        _ => panic!("the dialog is open"),
    }
    harness.get_by_label("Import").click();
    for _ in 0..1000 {
        harness.step();
        if matches!(
            harness.state().import_state(),
            tawsim::ui::import::ImportUi::Done(_)
        ) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
    harness.get_by_label("Import finished");
    harness.get_by_label_contains("annotators added: layla, عمر, سارة");
    assert_eq!(all_spans(harness.state().store()), all_spans(&team));
}
