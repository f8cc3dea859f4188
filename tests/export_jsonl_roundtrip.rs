//! jsonl export → import into a new project (layers from the file) → jsonl
//! export is byte-identical: ids, titles, texts, meta, spans with their
//! layer, layer kind, annotator, attributes, notes, score, model, uid and
//! times.

#[path = "export_fixture/mod.rs"]
mod export_fixture;

use tawsim::export::{ExportOptions, Format, export};
use tawsim::io::ImportReport;
use tawsim::io::jsonl::parse_jsonl;
use tawsim::store::Store;

#[test]
fn jsonl_export_import_export_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.tawsim");
    export_fixture::sample_project(&a);
    {
        // Give the imported layer attributes and notes too.
        let conn = rusqlite::Connection::open(&a).unwrap();
        conn.execute_batch(
            "UPDATE spans SET attrs = '{\"certain\":true,\"kind\":\"city\"}', note = 'مدينة وريفها'
             WHERE id = (SELECT min(id) FROM spans WHERE layer_id = (SELECT id FROM layers WHERE name = 'model'));",
        )
        .unwrap();
    }
    let first = dir.path().join("first.jsonl");
    let store_a = Store::open(&a).unwrap();
    let m = export(
        &store_a,
        &ExportOptions {
            layer: "model".into(),
            ..ExportOptions::new(Format::Jsonl, &first)
        },
    )
    .unwrap();
    assert!(m.spans > 10);

    let b = dir.path().join("b.tawsim");
    let mut store_b = Store::open(&b).unwrap();
    let layla = store_b.annotator_id("layla").unwrap();
    let bytes = std::fs::read(&first).unwrap();
    // Layers from the file: each span keeps its layer, annotator, uid and times.
    let read = parse_jsonl(&bytes, &first.display().to_string(), "first.jsonl", true);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    store_b
        .import_records(
            &read.records,
            layla,
            false,
            ImportReport::default(),
            &mut |_, _| true,
        )
        .unwrap();

    let second = dir.path().join("second.jsonl");
    export(
        &store_b,
        &ExportOptions {
            layer: "model".into(),
            ..ExportOptions::new(Format::Jsonl, &second)
        },
    )
    .unwrap();
    let (x, y) = (
        std::fs::read_to_string(&first).unwrap(),
        std::fs::read_to_string(&second).unwrap(),
    );
    for (i, (l1, l2)) in x.lines().zip(y.lines()).enumerate() {
        assert_eq!(l1, l2, "line {}", i + 1);
    }
    assert_eq!(x, y);
    assert!(x.contains("\"notes\":[\"مدينة وريفها\"]"));
    assert!(x.contains("\"attrs\":{\"certain\":true,\"kind\":\"city\"}"));
}
