//! Exports of a tagged real article: exact offsets, every span accounted for,
//! round trips of brat and conll, options, and refusals that leave nothing behind.

mod export_fixture;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use export_fixture::{ARTICLE, EMOJI_TEXT, find_all, sample_project};
use serde_json::Value;
use tawsim::export::{
    ExportArgs, ExportError, ExportOptions, Format, Manifest, OffsetUnit, Split, export,
    manifest_path, run,
};
use tawsim::store::Store;

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: Store,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let db = root.join("project.tawsim");
    sample_project(&db);
    let store = Store::open(&db).unwrap();
    Project {
        _dir: dir,
        root,
        store,
    }
}

fn opts(format: Format, out: &Path, layer: &str) -> ExportOptions {
    ExportOptions {
        layer: layer.to_owned(),
        ..ExportOptions::new(format, out)
    }
}

/// The live spans of `layer` (or all) as (doc, start, end, label, text), ordered.
fn project_spans(p: &Project, layer: Option<&str>) -> Vec<(i64, usize, usize, String, String)> {
    let layers = p.store.layers().unwrap();
    let mut out = Vec::new();
    for d in p.store.documents().unwrap() {
        for s in p.store.spans(d.id).unwrap() {
            let name = &layers.iter().find(|l| l.id == s.layer).unwrap().name;
            if layer.is_none_or(|l| l == name) {
                out.push((d.id, s.range.start(), s.range.end(), s.label, s.text));
            }
        }
    }
    out.sort();
    out
}

fn chars_slice(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

fn jsonl_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn read_manifest(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn jsonl_holds_every_span_at_its_code_point_offsets_with_attributes_and_notes() {
    let p = project();
    let out = p.root.join("layla.jsonl");
    let manifest = export(&p.store, &opts(Format::Jsonl, &out, "layla")).unwrap();
    let lines = jsonl_lines(&out);
    assert_eq!(lines.len(), 2);
    let mut seen = Vec::new();
    for line in &lines {
        let text = line["text"].as_str().unwrap();
        let doc: i64 = line["id"].as_str().unwrap().parse().unwrap();
        let label = line["label"].as_array().unwrap();
        let spans = line["spans"].as_array().unwrap();
        assert_eq!(label.len(), spans.len());
        for (l, s) in label.iter().zip(spans) {
            let (start, end) = (
                s["start"].as_u64().unwrap() as usize,
                s["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(l[0], s["start"]);
            assert_eq!(l[1], s["end"]);
            assert_eq!(l[2], s["label"]);
            assert_eq!(chars_slice(text, start, end), s["text"].as_str().unwrap());
            assert_eq!(s["layer"], "layla");
            assert_eq!(s["annotator"], "layla");
            seen.push((
                doc,
                start,
                end,
                s["label"].as_str().unwrap().to_owned(),
                s["text"].as_str().unwrap().to_owned(),
            ));
        }
    }
    seen.sort();
    assert_eq!(seen, project_spans(&p, Some("layla")));

    let article = &lines[0];
    assert_eq!(article["title"], "خرق وقف إطلاق النار في إدلب");
    assert_eq!(article["text"], ARTICLE);
    assert_eq!(article["meta"]["file_name"], "idlib-ceasefire-ar.txt");
    let casualty = article["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == "CASUALTY")
        .unwrap();
    assert_eq!(casualty["text"], "19 مدنياً");
    assert_eq!(
        casualty["attrs"],
        serde_json::json!({"count": 19, "kind": "civilian"})
    );
    assert_eq!(
        casualty["notes"],
        serde_json::json!(["مدنيون، بينهم أطفال"])
    );
    let place = article["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == "PLACE")
        .unwrap();
    assert_eq!(place["notes"], serde_json::json!([]));
    assert_eq!(place["attrs"], serde_json::json!({}));

    // The manifest counts what the file holds.
    assert_eq!(manifest.spans, seen.len());
    assert_eq!(manifest.checked_spans, seen.len());
    assert_eq!(
        manifest.labels["PLACE"],
        seen.iter().filter(|s| s.3 == "PLACE").count()
    );
    assert_eq!(manifest.offsets, "codepoint");
    let on_disk = read_manifest(&manifest_path(&out));
    assert_eq!(on_disk["spans"], seen.len());
    assert_eq!(on_disk["layers"], serde_json::json!(["layla"]));
    assert_eq!(on_disk["tawsim_version"], env!("CARGO_PKG_VERSION"));
    // No staging folder is left beside the output.
    let names: Vec<String> = std::fs::read_dir(&p.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("tawsim-export")),
        "{names:?}"
    );
}

#[test]
fn utf16_offsets_count_an_emoji_as_two_units_and_still_cover_the_same_text() {
    let p = project();
    let out = p.root.join("utf16.jsonl");
    let manifest = export(
        &p.store,
        &ExportOptions {
            offsets: OffsetUnit::Utf16,
            ..opts(Format::Jsonl, &out, "layla")
        },
    )
    .unwrap();
    assert_eq!(manifest.offsets, "utf16");
    let lines = jsonl_lines(&out);
    let emoji = &lines[1];
    assert_eq!(emoji["text"], EMOJI_TEXT);
    let units: Vec<u16> = EMOJI_TEXT.encode_utf16().collect();
    let place = &emoji["spans"][0];
    let (s, e) = (
        place["start"].as_u64().unwrap() as usize,
        place["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(String::from_utf16(&units[s..e]).unwrap(), "إدلب");
    // One emoji before it: one more UTF-16 unit than code points.
    assert_eq!(s, find_all(EMOJI_TEXT, "إدلب")[0].start() + 1);
    let killed = &emoji["spans"][1];
    let (s, e) = (
        killed["start"].as_u64().unwrap() as usize,
        killed["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(String::from_utf16(&units[s..e]).unwrap(), "3 قتلى");
    assert_eq!(s, find_all(EMOJI_TEXT, "3 قتلى")[0].start() + 2);
}

/// A brat `T` line: label, pieces, text.
type BratEntity = (String, Vec<(usize, usize)>, String);

/// The `T` lines of an `.ann` file.
fn brat_entities(ann: &str) -> Vec<BratEntity> {
    ann.lines()
        .filter(|l| l.starts_with('T'))
        .map(|l| {
            let mut f = l.split('\t');
            f.next();
            let mid = f.next().unwrap();
            let text = f.next().unwrap().to_owned();
            let (label, ranges) = mid.split_once(' ').unwrap();
            let pieces = ranges
                .split(';')
                .map(|r| {
                    let (a, b) = r.split_once(' ').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                })
                .collect();
            (label.to_owned(), pieces, text)
        })
        .collect()
}

#[test]
fn brat_writes_a_line_crossing_span_as_pieces_and_reads_back_to_the_same_spans() {
    let p = project();
    let out = p.root.join("brat");
    let manifest = export(&p.store, &opts(Format::Brat, &out, "layla")).unwrap();
    let policy = &manifest.policies["newline_crossing_discontinuous"];
    assert_eq!(policy.count, 1);

    let mut back = Vec::new();
    for doc in [1, 2] {
        let text = std::fs::read_to_string(out.join(format!("{doc}.txt"))).unwrap();
        let ann = std::fs::read_to_string(out.join(format!("{doc}.ann"))).unwrap();
        for (label, pieces, written) in brat_entities(&ann) {
            let piece_texts: Vec<String> = pieces
                .iter()
                .map(|(a, b)| chars_slice(&text, *a, *b))
                .collect();
            assert_eq!(written, piece_texts.join(" "), "{label} {pieces:?}");
            let (start, end) = (pieces[0].0, pieces.last().unwrap().1);
            if pieces.len() > 1 {
                assert_eq!(label, "EVENT");
                assert_eq!(written, "في إدلب واستهدفت");
            }
            back.push((doc, start, end, label, chars_slice(&text, start, end)));
        }
        if doc == 1 {
            assert!(ann.contains("\tcount T"), "{ann}");
            assert!(ann.contains("\tAnnotatorNotes T"), "{ann}");
            // The note's line break became a space.
            assert!(ann.contains("يمتد عبر سطرين عن قصد"), "{ann}");
            // A value with a space is one brat word.
            assert!(
                ann.contains("calendar T") && ann.contains(" gregorian_month"),
                "{ann}"
            );
        }
    }
    back.sort();
    assert_eq!(back, project_spans(&p, Some("layla")));
    let conf = std::fs::read_to_string(out.join("annotation.conf")).unwrap();
    for label in ["ACTOR", "CASUALTY", "DATE", "EVENT", "PLACE"] {
        assert!(conf.lines().any(|l| l == label), "{label} in {conf}");
    }
    assert!(conf.contains("count\tArg:<ENTITY>, Value:19|3"), "{conf}");
    assert_eq!(manifest.policies["attr_value_whitespace"].count, 1);
    assert_eq!(manifest.policies["note_line_breaks"].count, 1);
    assert!(out.join("manifest.json").exists());
}

/// Entities of an IOB2 file as (label, tokens joined without spaces), in order.
fn iob2_entities(conll: &str) -> (Vec<(String, String)>, usize) {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut sentences = 0;
    let mut open = false;
    for line in conll.lines() {
        if line.is_empty() {
            sentences += 1;
            open = false;
            continue;
        }
        let (token, tag) = line.split_once('\t').unwrap();
        assert!(
            !token.is_empty() && !token.contains(char::is_whitespace),
            "{line:?}"
        );
        match tag.split_once('-') {
            Some(("B", label)) => {
                out.push((label.to_owned(), token.to_owned()));
                open = true;
            }
            Some(("I", label)) => {
                assert!(open, "I- without B-: {line}");
                let last = out.last_mut().unwrap();
                assert_eq!(last.0, label);
                last.1.push_str(token);
            }
            _ => {
                assert_eq!(tag, "O");
                open = false;
            }
        }
    }
    (out, sentences)
}

#[test]
fn conll_splits_a_word_at_a_span_edge_and_its_entities_are_the_projects_spans() {
    let p = project();
    let out = p.root.join("layla.conll");
    let manifest = export(&p.store, &opts(Format::Conll, &out, "layla")).unwrap();
    let conll = std::fs::read_to_string(&out).unwrap();
    // «وروسيا» is split at the span edge: و / روسيا.
    assert!(conll.contains("\nو\tO\nروسيا\tB-PLACE\n"), "{conll}");
    assert!(conll.contains("\n(\tO\nمنسقو\tO\n"));
    let splits = &manifest.policies["token_split_at_span_edge"];
    // The spans glued to a letter: «وروسيا», «لإيران», «وإيران», «السورية».
    let chars: Vec<char> = ARTICLE.chars().collect();
    let glued = project_spans(&p, Some("layla"))
        .iter()
        .filter(|s| s.0 == 1)
        .filter(|s| {
            (s.1 > 0 && chars[s.1 - 1].is_alphabetic())
                || chars.get(s.2).is_some_and(|c| c.is_alphabetic())
        })
        .count();
    assert_eq!(glued, 4);
    assert_eq!(splits.count, glued);
    assert!(
        splits.examples.iter().any(|e| e.contains("«روسيا»")),
        "{:?}",
        splits.examples
    );

    let (entities, sentences) = iob2_entities(&conll);
    assert!(sentences > 5, "{sentences}");
    // Every span is an entity but one: the EVENT «في إدلب\nواستهدفت» starts
    // first, so the PLACE «إدلب» inside it is left out, and said so.
    let overlap = &manifest.policies["overlapping_span_left_out"];
    assert_eq!(overlap.count, 1);
    assert!(
        overlap.examples[0].contains("PLACE «إدلب»"),
        "{:?}",
        overlap.examples
    );
    let mut want: Vec<(String, String)> = project_spans(&p, Some("layla"))
        .into_iter()
        .map(|s| (s.3, s.4.chars().filter(|c| !c.is_whitespace()).collect()))
        .collect();
    let place = want.iter().position(|s| s.1 == "إدلب").unwrap();
    want.remove(place);
    let mut got = entities.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(manifest.spans, entities.len());
    // The EVENT across the line break kept its sentence whole.
    assert_eq!(manifest.policies["sentence_break_inside_span"].count, 1);
}

#[test]
fn overlapping_spans_of_all_layers_are_left_out_of_iob2_and_counted_never_silently() {
    let p = project();
    let out = p.root.join("all.conll");
    let manifest = export(&p.store, &opts(Format::Conll, &out, "all")).unwrap();
    let total = project_spans(&p, None).len();
    let left_out = &manifest.policies["overlapping_span_left_out"];
    assert!(left_out.count > 0);
    assert_eq!(manifest.spans + left_out.count, total);
    // The model's «الأسد» inside layla's «قوات الأسد» is one of them.
    assert!(
        left_out
            .examples
            .iter()
            .any(|e| e.contains("ACTOR «الأسد» (layer model)")),
        "{:?}",
        left_out.examples
    );
    let (entities, _) = iob2_entities(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(entities.len(), manifest.spans);
}

#[test]
fn hf_tags_index_labels_json_and_match_the_conll_tags() {
    let p = project();
    let hf = p.root.join("hf");
    let conll = p.root.join("c.conll");
    let m = export(&p.store, &opts(Format::Hf, &hf, "layla")).unwrap();
    export(&p.store, &opts(Format::Conll, &conll, "layla")).unwrap();
    let names: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(hf.join("labels.json")).unwrap()).unwrap();
    assert_eq!(
        names,
        [
            "O",
            "B-ACTOR",
            "I-ACTOR",
            "B-CASUALTY",
            "I-CASUALTY",
            "B-DATE",
            "I-DATE",
            "B-EVENT",
            "I-EVENT",
            "B-PLACE",
            "I-PLACE"
        ]
    );
    let mut from_hf = Vec::new();
    for line in jsonl_lines(&hf.join("data/train.jsonl")) {
        let tokens = line["tokens"].as_array().unwrap();
        let tags = line["ner_tags"].as_array().unwrap();
        assert_eq!(tokens.len(), tags.len());
        for (t, g) in tokens.iter().zip(tags) {
            from_hf.push(format!(
                "{}\t{}",
                t.as_str().unwrap(),
                names[g.as_u64().unwrap() as usize]
            ));
        }
        from_hf.push(String::new());
    }
    let conll_text = std::fs::read_to_string(&conll).unwrap();
    let from_conll: Vec<&str> = conll_text.lines().collect();
    assert_eq!(from_hf, from_conll);
    assert_eq!(m.files, ["README.md", "data/train.jsonl", "labels.json"]);
}

/// The YAML header of a dataset card (between the `---` lines).
fn card_header(card: &str) -> &str {
    let rest = card.strip_prefix("---\n").expect("the card opens with ---");
    &rest[..rest.find("\n---\n").expect("the header ends with ---")]
}

#[test]
fn hf_card_declares_the_data_files_and_class_label_names_and_says_what_the_data_is() {
    let p = project();
    let hf = p.root.join("hf");
    let m = export(&p.store, &opts(Format::Hf, &hf, "layla")).unwrap();
    let card = std::fs::read_to_string(hf.join("README.md")).unwrap();
    let header = card_header(&card);
    // The loader reads only the files the configs name, under data/.
    assert!(
        header.contains(
            "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: \"data/train.jsonl\"\ndataset_info:"
        ),
        "{header}"
    );
    // ner_tags is a ClassLabel whose names are labels.json, in order.
    let names: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(hf.join("labels.json")).unwrap()).unwrap();
    let declared: Vec<String> = header
        .split("        names:\n")
        .nth(1)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let (key, value) = line.trim().split_once(": ").unwrap();
            assert_eq!(key, format!("\"{i}\""));
            serde_json::from_str(value).unwrap()
        })
        .collect();
    assert_eq!(declared, names);
    assert!(
        header.contains("language:\n- ar\nlicense: null"),
        "{header}"
    );
    // The text says what the data is: schema, counts, layers, policies, licence.
    let sentences = jsonl_lines(&hf.join("data/train.jsonl")).len();
    let schema = m.schema.as_ref().unwrap();
    for needle in [
        format!("Label schema: `{}` version {}", schema.name, schema.version),
        format!("| train | {sentences} |"),
        format!("- Documents: {}.", m.documents),
        "- Entities: 30 (ACTOR 5, CASUALTY 2, DATE 4, EVENT 1, PLACE 18).".to_owned(),
        "- Layers: `layla` (`--layer layla`).".to_owned(),
        "| `token_split_at_span_edge` | 4 |".to_owned(),
        "| `overlapping_span_left_out` | 1 |".to_owned(),
        "fills in `license`".to_owned(),
    ] {
        assert!(card.contains(&needle), "{needle:?} not in\n{card}");
    }
}

#[test]
fn hf_split_declares_only_the_parts_that_hold_sentences() {
    let p = project();
    let hf = p.root.join("hf");
    let o = ExportOptions {
        split: Some(Split::parse("50,0,50", 3).unwrap()),
        ..opts(Format::Hf, &hf, "layla")
    };
    let m = export(&p.store, &o).unwrap();
    let parts = m.split.as_ref().unwrap().documents;
    let card = std::fs::read_to_string(hf.join("README.md")).unwrap();
    let header = card_header(&card);
    assert!(!header.contains("validation"), "{header}");
    assert!(!hf.join("data/validation.jsonl").exists());
    for (name, docs) in [("train", parts[0]), ("test", parts[2])] {
        let file = format!("data/{name}.jsonl");
        assert_eq!(hf.join(&file).exists(), docs > 0, "{file}");
        assert_eq!(
            header.contains(&format!("  - split: {name}\n    path: \"{file}\"")),
            docs > 0,
            "{header}"
        );
    }
    let ids: Vec<String> = ["train", "test"]
        .iter()
        .filter(|n| hf.join(format!("data/{n}.jsonl")).exists())
        .flat_map(|n| jsonl_lines(&hf.join(format!("data/{n}.jsonl"))))
        .map(|l| {
            l["id"]
                .as_str()
                .unwrap()
                .split('-')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(ids.contains(&"1".to_owned()) && ids.contains(&"2".to_owned()));
}

/// An RFC 4180 reader for the test: rows of fields.
fn read_csv(src: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = src.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'));
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "last row not ended by CRLF"
    );
    rows
}

#[test]
fn csv_has_a_header_and_one_quoted_row_per_span() {
    let p = project();
    let out = p.root.join("audit.csv");
    export(&p.store, &opts(Format::Csv, &out, "all")).unwrap();
    let rows = read_csv(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(
        rows[0],
        [
            "document_id",
            "title",
            "label",
            "start",
            "end",
            "text",
            "layer",
            "annotator",
            "attributes",
            "note",
            "score",
            "model",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(rows.len() - 1, project_spans(&p, None).len());
    let casualty = rows
        .iter()
        .find(|r| r[2] == "CASUALTY" && r[0] == "1")
        .unwrap();
    assert_eq!(casualty[5], "19 مدنياً");
    assert_eq!(casualty[8], r#"{"count":19,"kind":"civilian"}"#);
    assert_eq!(casualty[9], "مدنيون، بينهم أطفال");
    let event = rows.iter().find(|r| r[2] == "EVENT").unwrap();
    assert_eq!(event[5], "في إدلب\nواستهدفت");
    assert_eq!(event[9], "يمتد عبر سطرين\nعن قصد");
    let model = rows.iter().find(|r| r[6] == "model").unwrap();
    assert_eq!(model[11], "ner-ar-1");
    assert!(!model[10].is_empty());
    for r in &rows[1..] {
        let text = if r[0] == "1" { ARTICLE } else { EMOJI_TEXT };
        assert_eq!(
            chars_slice(text, r[3].parse().unwrap(), r[4].parse().unwrap()),
            r[5]
        );
    }
}

#[test]
fn only_done_labels_since_and_split_choose_documents_and_spans() {
    let p = project();
    // Only the article is done by layla.
    let out = p.root.join("done.jsonl");
    let m = export(
        &p.store,
        &ExportOptions {
            only_done: true,
            ..opts(Format::Jsonl, &out, "layla")
        },
    )
    .unwrap();
    assert_eq!(m.documents, 1);
    assert_eq!(jsonl_lines(&out)[0]["text"], ARTICLE);

    let out = p.root.join("places.jsonl");
    let m = export(
        &p.store,
        &ExportOptions {
            labels: Some(vec!["PLACE".into()]),
            ..opts(Format::Jsonl, &out, "layla")
        },
    )
    .unwrap();
    let all = project_spans(&p, Some("layla"));
    let places = all.iter().filter(|s| s.3 == "PLACE").count();
    assert_eq!(m.spans, places);
    assert_eq!(m.policies["labels_filter"].count, all.len() - places);
    assert_eq!(m.labels.keys().collect::<Vec<_>>(), ["PLACE"]);

    let out = p.root.join("future.jsonl");
    let m = export(
        &p.store,
        &ExportOptions {
            since: Some("2999-01-01".into()),
            ..opts(Format::Jsonl, &out, "layla")
        },
    )
    .unwrap();
    assert_eq!(m.documents, 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");

    let split = |dir: &str| -> (Manifest, BTreeMap<String, String>) {
        let out = p.root.join(dir);
        let m = export(
            &p.store,
            &ExportOptions {
                split: Some(Split::parse("50,0,50", 3).unwrap()),
                ..opts(Format::Jsonl, &out, "all")
            },
        )
        .unwrap();
        let mut files = BTreeMap::new();
        for name in ["train.jsonl", "dev.jsonl", "test.jsonl"] {
            files.insert(
                name.to_owned(),
                std::fs::read_to_string(out.join(name)).unwrap(),
            );
        }
        (m, files)
    };
    let (m1, f1) = split("split1");
    let (_, f2) = split("split2");
    assert_eq!(f1, f2, "the same seed gives the same split");
    let report = m1.split.unwrap();
    assert_eq!(report.documents.iter().sum::<usize>(), 2);
    assert_eq!(report.documents[1], 0);
    let lines: usize = f1.values().map(|f| f.lines().count()).sum();
    assert_eq!(lines, 2);
}

#[test]
fn bad_layers_existing_outputs_and_unwritable_paths_are_refused_and_leave_nothing() {
    let p = project();
    let out = p.root.join("x.jsonl");
    let err = export(&p.store, &opts(Format::Jsonl, &out, "omar")).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ExportError::UnknownLayer { .. }));
    assert!(
        msg.contains("\"layla\"") && msg.contains("\"model\"") && msg.contains("all"),
        "{msg}"
    );
    assert!(matches!(
        export(&p.store, &opts(Format::Jsonl, &out, "gold")),
        Err(ExportError::NoGoldLayer)
    ));
    assert!(matches!(
        export(
            &p.store,
            &ExportOptions {
                offsets: OffsetUnit::Utf16,
                ..opts(Format::Conll, &out, "all")
            }
        ),
        Err(ExportError::OffsetsUnsupported { .. })
    ));
    assert!(matches!(
        Format::parse("xlsx"),
        Err(ExportError::UnknownFormat { .. })
    ));
    assert!(!out.exists());

    // An existing output is not touched without --force, and replaced with it.
    std::fs::write(&out, "keep me").unwrap();
    let err = export(&p.store, &opts(Format::Jsonl, &out, "layla")).unwrap_err();
    assert!(matches!(err, ExportError::OutputExists { .. }), "{err}");
    assert!(err.to_string().contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    export(
        &p.store,
        &ExportOptions {
            force: true,
            ..opts(Format::Jsonl, &out, "layla")
        },
    )
    .unwrap();
    assert_eq!(jsonl_lines(&out).len(), 2);
    let dir = p.root.join("brat-out");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("old.ann"), "").unwrap();
    export(
        &p.store,
        &ExportOptions {
            force: true,
            ..opts(Format::Brat, &dir, "layla")
        },
    )
    .unwrap();
    assert!(!dir.join("old.ann").exists() && dir.join("1.ann").exists());

    // A folder that cannot be made (its parent is a file).
    let blocked = p.root.join("x.jsonl").join("out.jsonl");
    let err = export(&p.store, &opts(Format::Jsonl, &blocked, "layla")).unwrap_err();
    assert!(matches!(err, ExportError::Io { .. }), "{err}");
    assert!(err.to_string().contains("x.jsonl"), "{err}");
    let names: Vec<String> = std::fs::read_dir(&p.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("tawsim-export")),
        "{names:?}"
    );
}

#[test]
fn a_span_whose_text_differs_from_the_document_stops_the_export_and_writes_nothing() {
    let p = project();
    let db = p.root.join("project.tawsim");
    {
        // Damage one span's stored copy, as a broken tool writing the file could.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TRIGGER spans_range_is_immutable;
             UPDATE spans SET text = 'حلب' || substr(text, 4) WHERE id = 1;",
        )
        .unwrap();
    }
    let store = Store::open(&db).unwrap();
    for format in [
        Format::Jsonl,
        Format::Brat,
        Format::Conll,
        Format::Hf,
        Format::Spacy,
        Format::Csv,
    ] {
        let out = p.root.join(format!("broken-{format}"));
        let err = export(&store, &opts(format, &out, "layla")).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ExportError::Mismatch { span: 1, .. }),
            "{format}: {msg}"
        );
        assert!(msg.contains("حلب") && msg.contains("document 1"), "{msg}");
        assert!(!out.exists() && !manifest_path(&out).exists(), "{format}");
    }
    let names: Vec<String> = std::fs::read_dir(&p.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("tawsim-export")),
        "{names:?}"
    );
}

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: ExportArgs,
}

#[test]
fn command_line_arguments_become_checked_options() {
    let p = project();
    let db = p.root.join("project.tawsim");
    let out = p.root.join("cli");
    let cli = Cli::try_parse_from([
        "tawsim",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "conll",
        "--out",
        out.to_str().unwrap(),
        "--layer",
        "layla",
        "--labels",
        "PLACE,DATE",
        "--split",
        "80,10,10",
        "--seed",
        "5",
        "--only-done",
    ])
    .unwrap();
    let o = cli.args.options().unwrap();
    assert_eq!(o.format, Format::Conll);
    assert_eq!(o.labels, Some(vec!["PLACE".to_owned(), "DATE".to_owned()]));
    assert_eq!(
        o.split,
        Some(Split {
            train: 80,
            dev: 10,
            test: 10,
            seed: 5
        })
    );
    assert!(o.only_done && o.offsets == OffsetUnit::Codepoint && o.layer == "layla");
    let m = run(&cli.args).unwrap();
    assert_eq!(m.documents, 1);
    assert_eq!(m.labels.keys().collect::<Vec<_>>(), ["DATE", "PLACE"]);
    assert!(out.join("train.conll").exists() && out.join("manifest.json").exists());

    let err = Cli::try_parse_from(["tawsim", "--db", "x", "--format", "xlsx", "--out", "y"])
        .err()
        .unwrap();
    assert!(err.to_string().contains("jsonl"), "{err}");
    let bad = Cli::try_parse_from([
        "tawsim", "--db", "x", "--format", "jsonl", "--out", "y", "--split", "90,20,10",
    ])
    .unwrap();
    assert!(matches!(
        bad.args.options(),
        Err(ExportError::BadSplit { .. })
    ));
    // A missing project is not created by an export.
    let missing = p.root.join("nope.tawsim");
    let cli = Cli::try_parse_from([
        "tawsim",
        "--db",
        missing.to_str().unwrap(),
        "--format",
        "csv",
        "--out",
        "z.csv",
    ])
    .unwrap();
    assert!(matches!(run(&cli.args), Err(ExportError::NoProject { .. })));
    assert!(!missing.exists());
}
