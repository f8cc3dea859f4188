//! The real NewsFANE Gold file end to end: CRLF, a byte-order mark, 152,599
//! U+200E marks, 4,760 sentences, 11,423 spans in; the same texts and spans
//! out of the store. The expected values are computed here independently of
//! the importer, straight from the file's lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use tawsim::io::{Format, ImportOptions, LabelMap, import_paths};
use tawsim::store::Store;

fn newsfane() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/newsfane/NewsFANE_Gold_2014_170K.txt")
}

/// (sentence text, spans as (start, end, label, covered text)) of every sentence,
/// built the simple way: tokens without marks, joined with spaces.
type Sentence = (String, Vec<(usize, usize, String, String)>);

fn expected_sentences() -> Vec<Sentence> {
    let raw = std::fs::read_to_string(newsfane()).unwrap();
    let raw = raw.strip_prefix('\u{feff}').unwrap();
    let mut out = Vec::new();
    let mut tokens: Vec<(String, String)> = Vec::new();
    let mut flush = |tokens: &mut Vec<(String, String)>| {
        if tokens.is_empty() {
            return;
        }
        let words: Vec<&str> = tokens.iter().map(|(w, _)| w.as_str()).collect();
        let text = words.join(" ");
        let chars: Vec<char> = text.chars().collect();
        let mut spans = Vec::new();
        let mut pos = 0;
        let mut open: Option<(usize, usize, String)> = None;
        for (word, tag) in tokens.iter() {
            let (start, end) = (pos, pos + word.chars().count());
            pos = end + 1;
            let (kind, label) = match tag.split_once('-') {
                Some((k, l)) => (k, l.to_owned()),
                None => ("O", String::new()),
            };
            let continues = kind == "I" && open.as_ref().is_some_and(|o| o.2 == label);
            if continues {
                open.as_mut().unwrap().1 = end;
                continue;
            }
            spans.extend(open.take());
            if kind != "O" {
                open = Some((start, end, label));
            }
        }
        spans.extend(open.take());
        let spans = spans
            .into_iter()
            .map(|(s, e, l)| (s, e, l, chars[s..e].iter().collect()))
            .collect();
        out.push((text, spans));
        tokens.clear();
    };
    for line in raw.split("\r\n") {
        if line.trim().is_empty() {
            flush(&mut tokens);
        } else {
            let (word, tag) = line.split_once('\t').unwrap();
            tokens.push((word.replace('\u{200e}', ""), tag.to_owned()));
        }
    }
    flush(&mut tokens);
    out
}

/// Every (document text, start, end, label, covered text) in the store.
fn stored(store: &Store) -> Vec<(String, usize, usize, String, String)> {
    let mut out = Vec::new();
    for summary in store.documents().unwrap() {
        let doc = store.document(summary.id).unwrap();
        for span in store.spans(summary.id).unwrap() {
            out.push((
                doc.text.clone(),
                span.range.start(),
                span.range.end(),
                span.label,
                span.text,
            ));
        }
    }
    out
}

fn import(
    sentences_per_doc: usize,
    map: Option<LabelMap>,
) -> (tempfile::TempDir, Store, tawsim::io::ImportReport) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("newsfane.db")).unwrap();
    let actor = store.annotator_id("importer").unwrap();
    let options = ImportOptions {
        format: Some(Format::Conll),
        layer: Some("newsfane-gold".into()),
        keep_unknown: map.is_none(),
        map,
        sentences_per_doc,
        ..ImportOptions::default()
    };
    let report = import_paths(&mut store, &[newsfane()], &options, actor, &mut |_| true).unwrap();
    (dir, store, report)
}

#[test]
fn one_sentence_per_document_counts_repeated_sentences_as_present() {
    let expected = expected_sentences();
    assert_eq!(expected.len(), 4_760);
    let (_dir, store, report) = import(1, None);
    assert_eq!(report.sentences, 4_760);
    assert_eq!(report.tokens, 168_080);
    assert_eq!(report.marks_removed, 152_599);
    assert_eq!(report.boms_removed, 1);
    assert_eq!(report.orphan_inside, 4);
    assert_eq!(report.spans_read, 11_423);
    // 49 sentences repeat an earlier one; their spans are already there.
    assert_eq!(report.documents_added, 4_711);
    assert_eq!(report.documents_present, 49);
    assert_eq!(report.spans_added + report.spans_duplicate, 11_423);
    assert_eq!(report.spans_duplicate, 103);
    assert!(report.to_string().ends_with(
        "added 4711 documents and 11320 spans, skipped 49 documents already present, 103 duplicate spans and 0 spans dropped by the map, refused 0 records"
    ), "{report}");

    // The same set of texts and spans as the file, nothing more.
    let want: BTreeSet<(String, usize, usize, String, String)> = expected
        .iter()
        .flat_map(|(text, spans)| {
            spans
                .iter()
                .map(|(s, e, l, t)| (text.clone(), *s, *e, l.clone(), t.clone()))
        })
        .collect();
    let got = stored(&store);
    assert_eq!(got.len(), 11_320);
    let got: BTreeSet<_> = got.into_iter().collect();
    assert_eq!(got, want);
    let texts: BTreeSet<String> = store
        .documents()
        .unwrap()
        .iter()
        .map(|d| store.document(d.id).unwrap().text)
        .collect();
    let want_texts: BTreeSet<String> = expected.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(texts, want_texts);
    assert!(texts.iter().all(|t| !t.contains('\u{200e}')));
}

#[test]
fn twenty_sentences_per_document_keep_every_span_in_order() {
    let expected = expected_sentences();
    let (_dir, store, report) = import(20, None);
    assert_eq!(report.documents_added, 238);
    assert_eq!(report.spans_added, 11_423);
    let docs = store.documents().unwrap();
    assert_eq!(docs.len(), 238);
    // Document k holds sentences 20k..20k+20, one per line, spans shifted by
    // the lines before them.
    let mut want = Vec::new();
    for (k, group) in expected.chunks(20).enumerate() {
        let text = group
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let mut offset = 0;
        for (sentence, spans) in group {
            for (s, e, l, t) in spans {
                want.push((
                    k,
                    text.clone(),
                    s + offset,
                    e + offset,
                    l.clone(),
                    t.clone(),
                ));
            }
            offset += sentence.chars().count() + 1;
        }
    }
    let mut got = Vec::new();
    for (k, summary) in docs.iter().enumerate() {
        let doc = store.document(summary.id).unwrap();
        for span in store.spans(summary.id).unwrap() {
            got.push((
                k,
                doc.text.clone(),
                span.range.start(),
                span.range.end(),
                span.label,
                span.text,
            ));
        }
    }
    want.sort();
    got.sort();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "stored spans differ from the file");
}

#[test]
fn the_bundled_map_turns_fine_types_into_place_and_actor_and_counts_drops() {
    let (_dir, store, report) = import(20, Some(LabelMap::newsfane()));
    assert_eq!(report.dropped_total(), 289);
    assert_eq!(report.dropped_by_map.get("Book"), Some(&94));
    assert_eq!(report.dropped_by_map.get("Land"), Some(&68));
    assert_eq!(report.spans_added, 11_423 - 289);
    let mut by_label: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, _, label, _) in stored(&store) {
        *by_label.entry(label).or_default() += 1;
    }
    assert_eq!(by_label.keys().collect::<Vec<_>>(), ["ACTOR", "PLACE"]);
    assert_eq!(by_label.values().sum::<usize>(), 11_134);
    assert!(
        report
            .to_string()
            .contains("dropped by the label map: Book 94, Movie 73, Land 68"),
        "{report}"
    );
}
