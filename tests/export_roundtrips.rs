//! brat and CoNLL exports imported back with tawsim's own importers give the
//! same spans, within what the stated policies change (brat: attribute
//! whitespace and note line breaks; CoNLL: the text is rebuilt from tokens,
//! overlapping spans are left out and counted).

#[path = "export_fixture/mod.rs"]
mod export_fixture;

use std::collections::BTreeSet;

use tawsim::export::{ExportOptions, Format, export};
use tawsim::io::{ImportOptions, import_paths};
use tawsim::store::Store;

fn spans_of(store: &Store, layer: &str) -> Vec<(String, usize, usize, String, String)> {
    let layer = store
        .layers()
        .unwrap()
        .into_iter()
        .find(|l| l.name == layer)
        .unwrap()
        .id;
    let mut out = Vec::new();
    for doc in store.documents().unwrap() {
        let text = store.document(doc.id).unwrap().text;
        for s in store.spans(doc.id).unwrap() {
            if s.layer == layer {
                out.push((
                    text.clone(),
                    s.range.start(),
                    s.range.end(),
                    s.label,
                    s.text,
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn brat_export_imports_back_with_the_same_spans() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.tawsim");
    export_fixture::sample_project(&a);
    let store_a = Store::open(&a).unwrap();
    let folder = dir.path().join("brat");
    let manifest = export(
        &store_a,
        &ExportOptions {
            layer: "layla".into(),
            ..ExportOptions::new(Format::Brat, &folder)
        },
    )
    .unwrap();
    assert!(manifest.spans > 10);

    let b = dir.path().join("b.tawsim");
    let mut store_b = Store::open(&b).unwrap();
    let me = store_b.annotator_id("importer").unwrap();
    let options = ImportOptions {
        layer: Some("layla".into()),
        keep_unknown: true,
        ..ImportOptions::default()
    };
    let report = import_paths(&mut store_b, &[folder], &options, me, &mut |_| true).unwrap();
    // Only the .ann files were read (each with its .txt), not the .txt alone.
    assert_eq!(report.documents_added, store_a.documents().unwrap().len());
    assert_eq!(spans_of(&store_b, "layla"), spans_of(&store_a, "layla"));
}

#[test]
fn conll_export_imports_back_with_the_same_labelled_texts() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.tawsim");
    export_fixture::sample_project(&a);
    let store_a = Store::open(&a).unwrap();
    let file = dir.path().join("layla.conll");
    let manifest = export(
        &store_a,
        &ExportOptions {
            layer: "layla".into(),
            ..ExportOptions::new(Format::Conll, &file)
        },
    )
    .unwrap();
    let left_out = manifest
        .policies
        .get("overlapping_span_left_out")
        .map_or(0, |p| p.count);

    let b = dir.path().join("b.tawsim");
    let mut store_b = Store::open(&b).unwrap();
    let me = store_b.annotator_id("importer").unwrap();
    let options = ImportOptions {
        layer: Some("layla".into()),
        keep_unknown: true,
        ..ImportOptions::default()
    };
    import_paths(&mut store_b, &[file], &options, me, &mut |_| true).unwrap();
    // The text is rebuilt from tokens (punctuation split off, tokens split at
    // span edges), so compare each span's label and its tokens.
    // The export's own tokenizer (punctuation split off), joined by spaces.
    let tokens = |t: &str| {
        let chars: Vec<char> = t.chars().collect();
        tawsim::export::conll::tokenize(&chars)
            .iter()
            .map(|tok| chars[tok.start..tok.end].iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let labelled = |store: &Store| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = spans_of(store, "layla")
            .into_iter()
            .map(|(_, _, _, label, text)| (label, tokens(&text)))
            .collect();
        v.sort();
        v
    };
    let original = labelled(&store_a);
    let back = labelled(&store_b);
    assert_eq!(back.len() + left_out, original.len());
    let original: BTreeSet<_> = original.into_iter().collect();
    for span in &back {
        assert!(
            original.contains(span),
            "{span:?} is not one of the project's spans"
        );
    }
}
