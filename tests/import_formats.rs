//! Importing JSONL, CoNLL and folders of text files into a project: good files
//! land exactly, bad records are named by file and line, and a refused import
//! writes nothing at all.

use std::path::{Path, PathBuf};

use tawsim::io::{
    Format, ImportFailed, ImportOptions, ImportReport, LabelMap, Stage, import_paths,
};
use tawsim::model::{Origin, Span};
use tawsim::store::import::BatchError;
use tawsim::store::{LayerKind, Store};

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");

struct Project {
    dir: tempfile::TempDir,
    store: Store,
    actor: i64,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("p.db")).unwrap();
    let actor = store.annotator_id("layla").unwrap();
    Project { dir, store, actor }
}

impl Project {
    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn import(
        &mut self,
        paths: &[PathBuf],
        options: &ImportOptions,
    ) -> Result<ImportReport, ImportFailed> {
        import_paths(&mut self.store, paths, options, self.actor, &mut |_| true)
    }

    fn all_spans(&self) -> Vec<Span> {
        self.store
            .documents()
            .unwrap()
            .iter()
            .flat_map(|d| self.store.spans(d.id).unwrap())
            .collect()
    }

    /// Nothing but the annotator is in the project.
    fn assert_empty(&self) {
        assert!(self.store.documents().unwrap().is_empty());
        let layers = self.store.layers().unwrap();
        assert!(
            layers.iter().all(|l| l.kind == LayerKind::Annotator),
            "{layers:?}"
        );
    }
}

/// Code-point offsets of the `nth` occurrence of `word` in `text`.
fn find(text: &str, word: &str) -> (usize, usize) {
    let byte = text.find(word).unwrap();
    let start = text[..byte].chars().count();
    (start, start + word.chars().count())
}

fn jsonl_line(text: &str, extra: &str) -> String {
    format!(
        "{{\"text\": {}{extra}}}",
        serde_json::to_string(text).unwrap()
    )
}

#[test]
fn jsonl_spans_land_with_their_label_layer_score_and_model() {
    let mut p = project();
    let (s1, e1) = find(ARTICLE, "إدلب");
    let (s2, e2) = find(ARTICLE, "19 مدنياً");
    let line = jsonl_line(
        ARTICLE,
        &format!(
            ", \"id\": \"idlib-1\", \"label\": [[{s1}, {e1}, \"PLACE\"]], \"spans\": [{{\"start\": {s2}, \"end\": {e2}, \"label\": \"CASUALTY\", \"text\": \"19 مدنياً\", \"score\": 0.87, \"model\": \"ner-v2\", \"attrs\": {{\"count\": 19}}}}]"
        ),
    );
    let file = p.write("model.jsonl", &format!("{line}\n"));
    let report = p.import(&[file], &ImportOptions::default()).unwrap();
    assert_eq!((report.documents_added, report.spans_added), (1, 2));

    let docs = p.store.documents().unwrap();
    assert_eq!(docs[0].title, "idlib-1");
    let doc = p.store.document(docs[0].id).unwrap();
    assert_eq!(doc.text, ARTICLE);
    assert_eq!(doc.meta["id"], "idlib-1");
    let spans = p.all_spans();
    let layer = p
        .store
        .layers()
        .unwrap()
        .into_iter()
        .find(|l| l.name == "model.jsonl")
        .unwrap();
    assert_eq!(layer.kind, LayerKind::Imported);
    // In text order: the casualty count comes before the first «إدلب».
    assert_eq!(spans[1].text, "إدلب");
    assert_eq!(spans[1].label, "PLACE");
    assert_eq!(spans[1].score, None);
    assert_eq!(spans[0].text, "19 مدنياً");
    assert_eq!(spans[0].label, "CASUALTY");
    assert_eq!(spans[0].score, Some(0.87));
    assert_eq!(spans[0].model.as_deref(), Some("ner-v2"));
    assert_eq!(spans[0].attrs["count"], 19);
    for span in &spans {
        assert_eq!(span.origin, Origin::Imported);
        assert_eq!(span.layer, layer.id);
        assert_eq!(span.annotator, p.actor);
    }
    let audit = p.store.audit(doc.id).unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    // The new document's spans are covered by its import row.
    assert_eq!(actions, ["document.import"]);
}

#[test]
fn reimporting_into_another_layer_attaches_spans_to_the_same_documents() {
    let mut p = project();
    let (s, e) = find(ARTICLE, "إدلب");
    let line = jsonl_line(ARTICLE, &format!(", \"label\": [[{s}, {e}, \"PLACE\"]]"));
    let file = p.write("a.jsonl", &format!("{line}\n"));
    let first = p
        .import(std::slice::from_ref(&file), &ImportOptions::default())
        .unwrap();
    assert_eq!((first.documents_added, first.spans_added), (1, 1));

    // The same file again into the same layer: nothing new.
    let again = p
        .import(std::slice::from_ref(&file), &ImportOptions::default())
        .unwrap();
    assert_eq!(
        (
            again.documents_present,
            again.spans_added,
            again.spans_duplicate
        ),
        (1, 0, 1)
    );

    // The same file as a second annotator's layer: same document, new spans.
    let options = ImportOptions {
        layer: Some("annotator-b".into()),
        ..ImportOptions::default()
    };
    let second = p.import(&[file], &options).unwrap();
    assert_eq!((second.documents_added, second.documents_present), (0, 1));
    assert_eq!(second.spans_added, 1);
    assert!(second.to_string().ends_with(
        "added 0 documents and 1 spans, skipped 1 documents already present, 0 duplicate spans and 0 spans dropped by the map, refused 0 records"
    ), "{second}");

    let docs = p.store.documents().unwrap();
    assert_eq!(docs.len(), 1);
    let spans = p.store.spans(docs[0].id).unwrap();
    assert_eq!(spans.len(), 2);
    assert_ne!(spans[0].layer, spans[1].layer);
    assert!(spans.iter().all(|s| s.text == "إدلب"));
    // The existing document's history shows the spans attached to it.
    let audit = p.store.audit(docs[0].id).unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "span.import");
    assert_eq!(last.after["layer_name"], "annotator-b");
    assert_eq!(last.after["spans"], serde_json::json!([spans[1].id]));
}

#[test]
fn a_bad_jsonl_record_refuses_the_whole_import_unless_skipped() {
    let mut p = project();
    let good = jsonl_line("قصف على إدلب", ", \"label\": [[8, 12, \"PLACE\"]]");
    // Byte offsets instead of code points: the stated text does not match.
    let wrong_text = jsonl_line(
        "غارات على حماة",
        ", \"spans\": [{\"start\": 19, \"end\": 27, \"label\": \"PLACE\", \"text\": \"حماة\"}]",
    );
    let past_end = jsonl_line("حلب", ", \"label\": [[0, 4, \"PLACE\"]]");
    let file = p.write(
        "mixed.jsonl",
        &format!("{good}\n{wrong_text}\n\n{past_end}\n"),
    );
    let err = p
        .import(std::slice::from_ref(&file), &ImportOptions::default())
        .unwrap_err();
    let message = format!("{:#}", anyhow::Error::from(err));
    let shown = file.display();
    assert!(
        message
            .starts_with("2 bad records, so nothing was imported; fix them, or skip bad records"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "{shown}:2: spans[0]: end 27 is past the end of the text (14 characters)"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "{shown}:4: label[0]: end 4 is past the end of the text (3 characters)"
        )),
        "{message}"
    );
    p.assert_empty();

    let options = ImportOptions {
        skip_bad: true,
        ..ImportOptions::default()
    };
    let report = p.import(&[file], &options).unwrap();
    assert_eq!((report.documents_added, report.spans_added), (1, 1));
    assert_eq!(report.refused.len(), 2);
    assert_eq!(report.refused[0].line, Some(2));
    assert_eq!(report.spans_refused, 2);
    assert!(
        report.to_string().ends_with("refused 2 records"),
        "{report}"
    );
    let spans = p.all_spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].text, "إدلب");
}

#[test]
fn a_stated_text_that_differs_is_refused_with_both_texts() {
    let mut p = project();
    let line = jsonl_line(
        "غارات على حماة",
        ", \"spans\": [{\"start\": 10, \"end\": 14, \"label\": \"PLACE\", \"text\": \"حلب\"}]",
    );
    let file = p.write("t.jsonl", &line);
    let err = p.import(&[file], &ImportOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(":1: spans[0]: text \"حلب\" differs from \"حماة\" at 10..14"),
        "{message}"
    );
    p.assert_empty();
}

#[test]
fn unknown_labels_are_listed_with_counts_unless_mapped_or_kept() {
    let mut p = project();
    let lines = [
        jsonl_line(
            "قصف على إدلب وحلب",
            ", \"label\": [[8, 12, \"GPE\"], [14, 17, \"GPE\"], [0, 3, \"EVENT\"]]",
        ),
        jsonl_line("بيان الأمم المتحدة", ", \"label\": [[5, 18, \"ORG\"]]"),
    ];
    let file = p.write("foreign.jsonl", &lines.join("\n"));
    let err = p
        .import(std::slice::from_ref(&file), &ImportOptions::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "labels neither in the schema \"tawsim-news\" nor in the label map: GPE (2), EVENT (1), ORG (1); map them (--map FILE.ron) or keep them as they are (--keep-unknown); nothing was imported"
    );
    p.assert_empty();

    let map_file = p.write(
        "map.ron",
        "(map: {\"GPE\": \"PLACE\", \"ORG\": \"ACTOR\"}, drop: [\"EVENT\"])",
    );
    let options = ImportOptions {
        map: Some(LabelMap::load(&map_file).unwrap()),
        ..ImportOptions::default()
    };
    let report = p.import(std::slice::from_ref(&file), &options).unwrap();
    assert_eq!(report.spans_read, 4);
    assert_eq!(report.spans_added, 3);
    assert_eq!(report.dropped_by_map.get("EVENT"), Some(&1));
    assert!(
        report
            .to_string()
            .contains("dropped by the label map: EVENT 1"),
        "{report}"
    );
    let labels: Vec<(String, String)> = p
        .all_spans()
        .into_iter()
        .map(|s| (s.text, s.label))
        .collect();
    assert_eq!(
        labels,
        [
            ("إدلب".to_owned(), "PLACE".to_owned()),
            ("حلب".to_owned(), "PLACE".to_owned()),
            ("الأمم المتحدة".to_owned(), "ACTOR".to_owned()),
        ]
    );

    // --keep-unknown stores foreign labels as they are, in another layer.
    let options = ImportOptions {
        keep_unknown: true,
        layer: Some("raw".into()),
        ..ImportOptions::default()
    };
    let report = p.import(&[file], &options).unwrap();
    assert_eq!(report.spans_added, 4);
    assert_eq!(report.unknown_kept.get("GPE"), Some(&2));
}

#[test]
fn conll_files_rebuild_text_and_refuse_bad_tags_by_line() {
    let mut p = project();
    let good = "\u{feff}\u{200e}قصف\tO\r\n\u{200e}على\tO\r\n\u{200e}ريف\tB-PLACE\r\n\u{200e}إدلب\tI-PLACE\r\n\r\nقتل\tO\r\n19\tB-CASUALTY\r\nمدنياً\tI-CASUALTY\r\n";
    let bad = "قصف\tO\nإدلب\tB_PLACE\n";
    let good_file = p.write("good.conll", good);
    let bad_file = p.write("bad.bio", bad);
    let paths = [good_file.clone(), bad_file.clone()];
    let err = p.import(&paths, &ImportOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "1 bad record, so nothing was imported; fix them, or skip bad records (--skip-bad) to import the rest:\n  {}:2: tag \"B_PLACE\" is not O, B-TYPE or I-TYPE; use IOB2/BIO tags",
            bad_file.display()
        )
    );
    p.assert_empty();

    let options = ImportOptions {
        sentences_per_doc: 2,
        ..ImportOptions::default()
    };
    let report = p.import(&[good_file], &options).unwrap();
    assert_eq!((report.sentences, report.tokens), (2, 7));
    assert_eq!((report.marks_removed, report.boms_removed), (4, 1));
    let docs = p.store.documents().unwrap();
    assert_eq!(docs.len(), 1);
    let doc = p.store.document(docs[0].id).unwrap();
    assert_eq!(doc.text, "قصف على ريف إدلب\nقتل 19 مدنياً");
    let spans: Vec<(String, String)> = p
        .all_spans()
        .into_iter()
        .map(|s| (s.text, s.label))
        .collect();
    assert_eq!(
        spans,
        [
            ("ريف إدلب".to_owned(), "PLACE".to_owned()),
            ("19 مدنياً".to_owned(), "CASUALTY".to_owned()),
        ]
    );
}

#[test]
fn folders_are_read_recursively_in_path_order_in_one_transaction() {
    let mut p = project();
    let folder = p.dir.path().join("articles");
    p.write("articles/b/2.txt", "title: الثاني\n\nنص المقال الثاني");
    p.write("articles/a.txt", "المقال الأول\nنصه");
    p.write("articles/notes.md", "# not an article");
    p.write("articles/c/3.TXT", ARTICLE);
    let report = p
        .import(std::slice::from_ref(&folder), &ImportOptions::default())
        .unwrap();
    assert_eq!((report.files, report.documents_added), (3, 3));
    let titles: Vec<String> = p
        .store
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| d.title)
        .collect();
    assert_eq!(titles[0], "المقال الأول");
    assert_eq!(titles[1], "الثاني");
    assert!(titles[2].starts_with("أعلن فريق"));

    // A folder with an unreadable-as-UTF-8 article refuses the lot.
    let mut q = project();
    q.write("in/ok.txt", "نص سليم");
    let mut bytes = "نص".as_bytes().to_vec();
    bytes.extend_from_slice(b"\n\xff\xfe");
    std::fs::write(q.dir.path().join("in/broken.txt"), bytes).unwrap();
    let err = q
        .import(&[q.dir.path().join("in")], &ImportOptions::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("broken.txt:2: not valid UTF-8 at byte 5; save the file as UTF-8"),
        "{err}"
    );
    q.assert_empty();
}

#[test]
fn format_comes_from_the_extension_or_must_be_named() {
    assert_eq!(Format::from_path(Path::new("a.JSONL")), Some(Format::Jsonl));
    assert_eq!(Format::from_path(Path::new("a.iob2")), Some(Format::Conll));
    assert_eq!(Format::from_path(Path::new("a.bio")), Some(Format::Conll));
    assert_eq!(Format::from_path(Path::new("a.txt")), Some(Format::Txt));
    let mut p = project();
    let file = p.write("tags.tsv", "قصف\tO\n");
    let err = p
        .import(std::slice::from_ref(&file), &ImportOptions::default())
        .unwrap_err();
    assert!(matches!(err, ImportFailed::UnknownFormat { .. }), "{err}");
    let options = ImportOptions {
        format: Some(Format::Conll),
        ..ImportOptions::default()
    };
    let report = p.import(&[file], &options).unwrap();
    assert_eq!(report.documents_added, 1);
}

#[test]
fn cancelling_while_writing_rolls_everything_back() {
    let mut p = project();
    let lines: Vec<String> = (0..5000)
        .map(|i| jsonl_line(&format!("خبر رقم {i} عن إدلب"), ""))
        .collect();
    let file = p.write("many.jsonl", &lines.join("\n"));
    let mut calls = 0;
    let err = import_paths(
        &mut p.store,
        &[file],
        &ImportOptions::default(),
        p.actor,
        &mut |stage| {
            if let Stage::Importing { records, .. } = stage {
                calls += 1;
                // Past the first batch (2,048 records), so some rows were
                // written (hidden).
                return records < 2_100;
            }
            true
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, ImportFailed::Batch(BatchError::Cancelled)),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "the import was cancelled; nothing was written"
    );
    assert!(calls >= 3);
    p.assert_empty();
}
