//! Merging annotators' project files (issue 11): three annotators work on
//! copies of the lead's project through the store's own API; merging their
//! files brings in exactly the union, twice changes nothing, any order gives
//! the same project, history keeps its original people and times, and bad
//! files are refused with nothing written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tawsim::model::{Attrs, Change, CharRange, Origin};
use tawsim::schema::Schema;
use tawsim::store::import::{ImportOrigin, ImportRecord, ImportReport, ImportSpan};
use tawsim::store::merge::{MergeError, MergeReport};
use tawsim::store::{NewDocument, Status, Store};

const TEXTS: [&str; 3] = [
    "قصفت قوات النظام مدينة إدلب يوم الخميس وقتل 12 مدنياً.",
    "أعلنت وزارة الدفاع في بغداد مقتل 3 جنود قرب الموصل.",
    "نزح أكثر من 400 ألف شخص من ريف حلب الغربي خلال الشهرين الأخيرين.",
];

fn range_of(text: &str, word: &str) -> CharRange {
    let byte = text.find(word).unwrap();
    let start = text[..byte].chars().count();
    CharRange::new(start, start + word.chars().count()).unwrap()
}

/// The lead's project: three documents and a machine layer `model`.
fn lead_project(path: &Path) {
    let mut store = Store::open(path).unwrap();
    let lead = store.annotator_id("lead").unwrap();
    let records: Vec<ImportRecord> = TEXTS
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let first = text.split(' ').nth(2).unwrap();
            let r = range_of(text, first);
            ImportRecord {
                doc: NewDocument {
                    title: format!("خبر {i}"),
                    text: (*text).to_owned(),
                    source: "lead".into(),
                    meta: serde_json::json!({}),
                },
                spans: vec![ImportSpan {
                    start: r.start(),
                    end: r.end(),
                    label: "ACTOR".into(),
                    text: None,
                    score: Some(0.9),
                    model: Some("m1".into()),
                    attrs: Attrs::new(),
                    note: String::new(),
                    field: "spans[0]".into(),
                    provenance: None,
                }],
                layer: "model".into(),
                file: "model.jsonl".into(),
                line: i + 1,
            }
        })
        .collect();
    store
        .import_records(
            &records,
            lead,
            false,
            ImportReport::default(),
            &mut |_, _| true,
        )
        .unwrap();
}

/// What `name` does on their copy: adds, relabels, deletes and restores,
/// attrs, notes, statuses and a rejection of a model span.
fn annotate(store: &mut Store, name: &str, variant: usize) {
    let me = store.annotator_id(name).unwrap();
    let docs = store.documents().unwrap();
    for (i, doc) in docs.iter().enumerate() {
        let text = store.document(doc.id).unwrap().text;
        let place = ["إدلب", "بغداد", "حلب"][i];
        let span = store
            .add_span(doc.id, me, range_of(&text, place), "PLACE", Origin::Manual)
            .unwrap();
        let other = store
            .add_span(
                doc.id,
                me,
                range_of(&text, text.split(' ').nth(1 + variant % 2).unwrap()),
                "DATE",
                Origin::Manual,
            )
            .unwrap();
        store
            .apply(
                &Change::Relabel {
                    span: other.id,
                    from: "DATE".into(),
                    to: "ACTOR".into(),
                },
                me,
            )
            .unwrap();
        let mut attrs = Attrs::new();
        attrs.insert("side".into(), serde_json::json!(name));
        store
            .apply(
                &Change::SetAttrs {
                    span: other.id,
                    from: Attrs::new(),
                    to: attrs,
                },
                me,
            )
            .unwrap();
        if (i + variant).is_multiple_of(2) {
            store.apply(&Change::Delete { span: other.id }, me).unwrap();
            if variant == 2 {
                store
                    .apply(&Change::Restore { span: other.id }, me)
                    .unwrap();
            }
        }
        store
            .apply(
                &Change::SetNote {
                    span: span.id,
                    from: String::new(),
                    to: format!("{name} رأى هذا"),
                },
                me,
            )
            .unwrap();
        let status = [Status::Done, Status::InProgress, Status::Skipped][(i + variant) % 3];
        store.set_status(doc.id, me, status).unwrap();
        if i == variant {
            let model_span = store
                .spans(doc.id)
                .unwrap()
                .into_iter()
                .find(|s| s.label == "ACTOR" && s.model.is_some())
                .unwrap();
            store
                .apply(
                    &Change::Reject {
                        span: model_span.id,
                    },
                    me,
                )
                .unwrap();
        }
    }
}

struct Team {
    _dir: tempfile::TempDir,
    lead: PathBuf,
    copies: Vec<PathBuf>,
}

/// The lead's project and three annotators' copies of it, worked on.
fn team() -> Team {
    let dir = tempfile::tempdir().unwrap();
    let lead = dir.path().join("lead.tawsim");
    lead_project(&lead);
    // A copy as the annotator's laptop gets it.
    Store::open(&lead).unwrap().checkpoint().unwrap();
    let mut copies = Vec::new();
    for (variant, name) in ["layla", "عمر", "sara"].iter().enumerate() {
        let copy = dir.path().join(format!("{variant}.tawsim"));
        std::fs::copy(&lead, &copy).unwrap();
        let mut store = Store::open(&copy).unwrap();
        annotate(&mut store, name, variant);
        store.checkpoint().unwrap();
        copies.push(copy);
    }
    Team {
        _dir: dir,
        lead,
        copies,
    }
}

fn merge(target: &Path, source: &Path) -> Result<MergeReport, MergeError> {
    let mut store = Store::open(target).unwrap();
    let me = store.annotator_id("lead").unwrap();
    store.merge(source, me, ImportOrigin::Library, &mut |_| true)
}

/// A project's content by global identities (no local ids, no display
/// names, no `project.merge` rows), one line per record.
fn snapshot(path: &Path) -> BTreeSet<String> {
    let conn = Connection::open(path).unwrap();
    let mut out = BTreeSet::new();
    let queries = [
        "SELECT 'doc', sha256, note, direction FROM documents",
        "SELECT 'annotator', hex(uid), given_name FROM annotators",
        "SELECT 'layer', hex(l.uid), l.kind, hex(a.uid) FROM layers l LEFT JOIN annotators a ON a.id = l.annotator_id",
        "SELECT 'span', hex(s.uid), d.sha256, hex(l.uid), hex(a.uid), s.start, s.\"end\", s.label, s.text,
                s.attrs, s.note, s.deleted_at, s.created_at, s.updated_at, s.score, s.model, s.origin,
                hex(src.uid)
         FROM spans s JOIN documents d ON d.id = s.doc_id JOIN layers l ON l.id = s.layer_id
         JOIN annotators a ON a.id = s.annotator_id LEFT JOIN spans src ON src.id = s.source_span_id",
        "SELECT 'status', d.sha256, hex(a.uid), ds.status FROM document_status ds
         JOIN documents d ON d.id = ds.doc_id JOIN annotators a ON a.id = ds.annotator_id",
        "SELECT 'mark', hex(s.uid), hex(a.uid), m.mark FROM span_marks m JOIN spans s ON s.id = m.span_id
         JOIN annotators a ON a.id = m.annotator_id",
        "SELECT 'review', d.sha256, r.status, hex(a.uid) FROM document_review r
         JOIN documents d ON d.id = r.doc_id JOIN annotators a ON a.id = r.reviewer_id",
        "SELECT 'event', hex(e.uid), e.at, e.action, hex(a.uid), d.sha256, hex(s.uid)
         FROM audit e LEFT JOIN annotators a ON a.id = e.actor LEFT JOIN documents d ON d.id = e.doc_id
         LEFT JOIN spans s ON s.id = e.span_id WHERE e.action <> 'project.merge'",
    ];
    for q in queries {
        let mut stmt = conn.prepare(q).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut line = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push(format!("{v:?}"));
                }
                Ok(line.join(" | "))
            })
            .unwrap();
        for row in rows {
            out.insert(row.unwrap());
        }
    }
    out
}

/// Records of `source` that must all be in the merged project.
fn records_of(path: &Path) -> BTreeSet<String> {
    snapshot(path)
}

#[test]
fn three_annotators_merge_into_exactly_the_union_in_any_order_and_twice_changes_nothing() {
    let team = team();
    let a = team.lead.with_extension("a.tawsim");
    std::fs::copy(&team.lead, &a).unwrap();
    let mut reports = Vec::new();
    for copy in &team.copies {
        reports.push(merge(&a, copy).unwrap());
    }
    // Exactly the union: everything of the lead and of each copy, nothing else.
    let merged = snapshot(&a);
    let mut union = records_of(&team.lead);
    for copy in &team.copies {
        union.extend(records_of(copy));
    }
    let missing: Vec<_> = union.difference(&merged).collect();
    let extra: Vec<_> = merged.difference(&union).collect();
    assert!(missing.is_empty(), "missing after merge: {missing:#?}");
    assert!(extra.is_empty(), "not in any file: {extra:#?}");

    // The reports say what came in per annotator.
    let first = &reports[0];
    assert_eq!(first.documents_added, 0);
    assert_eq!(first.documents_present, 3);
    assert_eq!(first.annotators_added, ["layla"]);
    let layla = &first.per_annotator["layla"];
    assert_eq!(layla.spans, 6, "{first}");
    assert_eq!(layla.documents_done, 1, "{first}");
    assert!(first.conflicts.is_empty(), "{first}");
    assert!(
        first
            .to_string()
            .contains("layla: 1 documents done, 6 spans")
    );

    // Twice: nothing new.
    for copy in &team.copies {
        let again = merge(&a, copy).unwrap();
        assert!(again.nothing_new(), "{again}");
        assert_eq!(again.spans_present, again.spans_present.max(1));
    }
    assert_eq!(snapshot(&a), merged);

    // Another order gives the same project.
    let b = team.lead.with_extension("b.tawsim");
    std::fs::copy(&team.lead, &b).unwrap();
    for copy in team.copies.iter().rev() {
        merge(&b, copy).unwrap();
    }
    assert_eq!(snapshot(&b), merged);

    // The merged project, as the app reads it: statuses, spans in layers
    // named after their annotators, and each span's history naming its
    // original annotator at the original time.
    let store = Store::open(&a).unwrap();
    let names: Vec<String> = store
        .layers()
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    for name in ["layla", "عمر", "sara", "model", "lead"] {
        assert!(names.contains(&name.to_owned()), "{names:?}");
    }
    let source = Store::open(&team.copies[1]).unwrap();
    let docs = store.documents().unwrap();
    for doc in &docs {
        let here = store.document_history(doc.id).unwrap();
        let src_doc = source
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| d.title == doc.title)
            .unwrap();
        for entry in source.document_history(src_doc.id).unwrap() {
            let e = &entry.event;
            let found = here.iter().any(|h| {
                h.event.at == e.at
                    && h.event.action == e.action
                    && h.actor_name == entry.actor_name
                    && h.event.after.get("label") == e.after.get("label")
                    && h.event.after.get("start") == e.after.get("start")
                    && h.event.after.get("note") == e.after.get("note")
            });
            assert!(
                found,
                "{} by {:?} at {} is missing",
                e.action, entry.actor_name, e.at
            );
        }
    }
    let omar = store
        .annotators()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "عمر")
        .unwrap();
    let progress = store.progress(30).unwrap();
    let row = progress
        .per_annotator
        .iter()
        .find(|(name, _, _)| name == "عمر")
        .unwrap();
    // عمر (variant 1): statuses InProgress, Skipped, Done.
    assert_eq!((row.1, row.2), (1, 1), "{progress:?}");
    assert!(omar.id > 0);
}

#[test]
fn agreement_on_merged_layers_equals_agreement_on_local_work() {
    let team = team();
    let merged = team.lead.with_extension("m.tawsim");
    std::fs::copy(&team.lead, &merged).unwrap();
    for copy in &team.copies {
        merge(&merged, copy).unwrap();
    }
    // The same work done in one project.
    let local = team.lead.with_extension("l.tawsim");
    std::fs::copy(&team.lead, &local).unwrap();
    {
        let mut store = Store::open(&local).unwrap();
        for (variant, name) in ["layla", "عمر", "sara"].iter().enumerate() {
            annotate(&mut store, name, variant);
        }
    }
    let figures = |path: &Path| {
        let store = Store::open(path).unwrap();
        let layers: Vec<_> = store
            .layers()
            .unwrap()
            .into_iter()
            .filter(|l| ["layla", "عمر", "sara", "model"].contains(&l.name.as_str()))
            .map(|l| l.id)
            .collect();
        assert_eq!(layers.len(), 4);
        format!("{:?}", store.agreement(&layers).unwrap())
    };
    // The same figures; floating-point sums may differ in the last digit
    // with the order spans are read in.
    let (a, b) = (figures(&merged), figures(&local));
    let shape = |s: &str| -> String {
        let mut out = String::new();
        for c in s.chars() {
            let c = if c.is_ascii_digit() || c == '.' || c == '-' {
                '#'
            } else {
                c
            };
            if !(c == '#' && out.ends_with('#')) {
                out.push(c);
            }
        }
        out
    };
    assert_eq!(shape(&a), shape(&b), "{a}\n{b}");
    let numbers = |s: &str| -> Vec<f64> {
        s.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .filter_map(|t| t.parse().ok())
            .collect()
    };
    let (x, y) = (numbers(&a), numbers(&b));
    assert_eq!(x.len(), y.len());
    assert!(x.len() > 20, "{a}");
    for (p, q) in x.iter().zip(&y) {
        assert!((p - q).abs() < 1e-9, "{a}\n{b}");
    }
}

#[test]
fn a_gold_span_changed_by_two_reviewers_keeps_the_later_change_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let lead = dir.path().join("lead.tawsim");
    lead_project(&lead);
    let gold_span = {
        let mut store = Store::open(&lead).unwrap();
        let me = store.annotator_id("lead").unwrap();
        let doc = store.documents().unwrap()[0].id;
        let text = store.document(doc).unwrap().text;
        let span = store
            .add_gold_span(doc, me, range_of(&text, "إدلب"), "PLACE")
            .unwrap();
        store.checkpoint().unwrap();
        span.id
    };
    let r1 = dir.path().join("r1.tawsim");
    let r2 = dir.path().join("r2.tawsim");
    std::fs::copy(&lead, &r1).unwrap();
    std::fs::copy(&lead, &r2).unwrap();
    {
        let mut store = Store::open(&r1).unwrap();
        let me = store.annotator_id("rania").unwrap();
        store
            .apply(
                &Change::SetNote {
                    span: gold_span,
                    from: String::new(),
                    to: "مدينة".into(),
                },
                me,
            )
            .unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    {
        let mut store = Store::open(&r2).unwrap();
        let me = store.annotator_id("samir").unwrap();
        store
            .apply(
                &Change::Relabel {
                    span: gold_span,
                    from: "PLACE".into(),
                    to: "ACTOR".into(),
                },
                me,
            )
            .unwrap();
    }
    let x = dir.path().join("x.tawsim");
    let y = dir.path().join("y.tawsim");
    std::fs::copy(&lead, &x).unwrap();
    std::fs::copy(&lead, &y).unwrap();
    merge(&x, &r1).unwrap();
    let report = merge(&x, &r2).unwrap();
    assert_eq!(report.conflicts.len(), 1, "{report}");
    assert!(report.conflicts[0].record.contains("إدلب"), "{report}");
    merge(&y, &r2).unwrap();
    let report = merge(&y, &r1).unwrap();
    assert_eq!(report.conflicts.len(), 1, "{report}");
    assert_eq!(snapshot(&x), snapshot(&y));
    let store = Store::open(&x).unwrap();
    let span = store.span(gold_span).unwrap();
    // The later change (samir's relabel) is kept, wholly.
    assert_eq!(span.label, "ACTOR");
    assert_eq!(span.note, "");
}

#[test]
fn bad_files_are_refused_with_their_reason_and_nothing_written() {
    let team = team();
    let before = snapshot(&team.lead);
    let dir = team.lead.parent().unwrap();

    let text = dir.join("notes.txt");
    std::fs::write(
        &text,
        "not a project at all, just some words in a text file",
    )
    .unwrap();
    let err = merge(&team.lead, &text).unwrap_err().to_string();
    assert!(
        err.contains("notes.txt") && err.contains("not an SQLite database"),
        "{err}"
    );

    let other = dir.join("other.sqlite");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    let err = merge(&team.lead, &other).unwrap_err().to_string();
    assert!(
        err.contains("other.sqlite") && err.contains("not a tawsim project"),
        "{err}"
    );

    let newer = dir.join("newer.tawsim");
    std::fs::copy(&team.copies[0], &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 999")
        .unwrap();
    let err = merge(&team.lead, &newer).unwrap_err().to_string();
    assert!(
        err.contains("newer.tawsim") && err.contains("newer tawsim"),
        "{err}"
    );

    let err = merge(&team.lead, &dir.join("missing.tawsim"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.tawsim") && err.contains("no such file"),
        "{err}"
    );

    let err = merge(&team.lead, &team.lead).unwrap_err().to_string();
    assert!(err.contains("this project itself"), "{err}");

    // A project whose schema has PLACE only.
    let narrow = dir.join("narrow.tawsim");
    {
        let mut store = Store::open(&narrow).unwrap();
        store.annotator_id("lead").unwrap();
        let ron = r##"(name: "places", version: 1, labels: [(name: "PLACE", arabic: "مكان", color: "#2a9d8f", description: "a place")])"##;
        let schema = Schema::parse(ron, "places.ron").unwrap();
        store.switch_schema(&schema, "places.ron", None).unwrap();
    }
    let narrow_before = snapshot(&narrow);
    match merge(&narrow, &team.copies[0]) {
        Err(MergeError::UnknownLabels { labels, .. }) => {
            let names: Vec<&str> = labels.iter().map(|(l, _)| l.as_str()).collect();
            assert_eq!(names, ["ACTOR"], "{labels:?}");
        }
        other => panic!("expected unknown labels, got {other:?}"),
    }
    assert_eq!(snapshot(&narrow), narrow_before);
    assert_eq!(snapshot(&team.lead), before);
}

#[test]
fn pack_annotate_merge_round_trip_brings_back_exactly_the_annotators_work() {
    let dir = tempfile::tempdir().unwrap();
    let lead = dir.path().join("lead.tawsim");
    lead_project(&lead);
    let (layla_docs, omar_span) = {
        let mut store = Store::open(&lead).unwrap();
        let me = store.annotator_id("lead").unwrap();
        let layla = store.annotator_id("layla").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        let docs = store.documents().unwrap();
        // omar's work must not travel to layla.
        let text = store.document(docs[0].id).unwrap().text;
        let omar_span = store
            .add_span(
                docs[0].id,
                omar,
                range_of(&text, "إدلب"),
                "PLACE",
                Origin::Manual,
            )
            .unwrap();
        for doc in &docs[..2] {
            store.set_assignment(doc.id, layla, true, Some(me)).unwrap();
        }
        store
            .set_assignment(docs[2].id, omar, true, Some(me))
            .unwrap();
        (
            docs[..2]
                .iter()
                .map(|d| d.title.clone())
                .collect::<Vec<_>>(),
            omar_span.id,
        )
    };
    let pack = dir.path().join("layla.tawsim.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["pack", "--db"])
        .arg(&lead)
        .args(["--for", "layla", "--out"])
        .arg(&pack)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("packed 2 documents for layla"));
    {
        let mut store = Store::open(&pack).unwrap();
        let titles: Vec<String> = store
            .documents()
            .unwrap()
            .into_iter()
            .map(|d| d.title)
            .collect();
        assert_eq!(titles, layla_docs);
        let layers: Vec<String> = store
            .layers()
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(layers, ["model", "layla"]);
        assert!(store.span(omar_span).is_err(), "omar's span travelled");
        // layla works offline.
        annotate(&mut store, "layla", 0);
        store.checkpoint().unwrap();
    }
    let before = snapshot(&lead);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["merge", "--json", "--annotator", "lead", "--db"])
        .arg(&lead)
        .arg(&pack)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &reports[0];
    assert_eq!(
        report["annotators_added"],
        serde_json::json!([]),
        "{report}"
    );
    let layla = report["per_annotator"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["annotator"] == "layla")
        .unwrap();
    assert_eq!(layla["spans"], 4, "{report}");
    assert_eq!(layla["documents_done"], 1, "{report}");
    let after = snapshot(&lead);
    // Everything of the lead stays; everything of the pack arrives.
    assert!(before.is_subset(&after));
    let pack_records = snapshot(&pack);
    let missing: Vec<_> = pack_records
        .iter()
        .filter(|r| !r.starts_with("Text(\"event\") | ") || !r.contains("schema.switch"))
        .filter(|r| !after.contains(*r))
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
    // A second merge of the same pack adds nothing.
    assert!(merge(&lead, &pack).unwrap().nothing_new());
    // Packing again for someone with nothing assigned is refused.
    let err = {
        let mut store = Store::open(&lead).unwrap();
        let sara = store.annotator_id("sara").unwrap();
        store
            .pack(sara, &dir.path().join("sara.tawsim.db"))
            .unwrap_err()
            .to_string()
    };
    assert!(err.contains("sara has no documents assigned"), "{err}");
    assert!(!dir.path().join("sara.tawsim.db").exists());
}

#[test]
fn two_people_called_omar_stay_two_annotators() {
    let dir = tempfile::tempdir().unwrap();
    let lead = dir.path().join("lead.tawsim");
    lead_project(&lead);
    Store::open(&lead).unwrap().checkpoint().unwrap();
    let mut copies = Vec::new();
    for (i, label) in ["PLACE", "ACTOR"].iter().enumerate() {
        // Two laptops, each with its own "omar".
        let copy = dir.path().join(format!("omar{i}.tawsim"));
        std::fs::copy(&lead, &copy).unwrap();
        let mut store = Store::open(&copy).unwrap();
        let omar = store.annotator_id("omar").unwrap();
        let doc = store.documents().unwrap()[0].id;
        let text = store.document(doc).unwrap().text;
        store
            .add_span(doc, omar, range_of(&text, "إدلب"), label, Origin::Manual)
            .unwrap();
        copies.push(copy);
    }
    merge(&lead, &copies[0]).unwrap();
    let report = merge(&lead, &copies[1]).unwrap();
    assert!(
        report
            .to_string()
            .contains("omar · 2 is another person who calls themselves omar; if it is the same person, join them"),
        "{report}"
    );
    let store = Store::open(&lead).unwrap();
    let names: BTreeSet<String> = store
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert!(
        names.contains("omar") && names.contains("omar · 2"),
        "{names:?}"
    );
    let layers: Vec<(String, usize)> = store
        .layers()
        .unwrap()
        .into_iter()
        .filter(|l| l.name.starts_with("omar"))
        .map(|l| {
            let doc = store.documents().unwrap()[0].id;
            let n = store
                .spans(doc)
                .unwrap()
                .iter()
                .filter(|s| s.layer == l.id)
                .count();
            (l.name, n)
        })
        .collect();
    assert_eq!(layers, [("omar".to_owned(), 1), ("omar · 2".to_owned(), 1)]);
    // Both keep the name they chose.
    let given: Vec<String> = Connection::open(&lead)
        .unwrap()
        .prepare("SELECT given_name FROM annotators WHERE name LIKE 'omar%' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(given, ["omar", "omar"]);
}

#[test]
fn the_lead_joins_two_omars_into_one_and_later_merges_follow() {
    let dir = tempfile::tempdir().unwrap();
    let lead = dir.path().join("lead.tawsim");
    lead_project(&lead);
    Store::open(&lead).unwrap().checkpoint().unwrap();
    // One person on two laptops: each copy makes its own "omar".
    let mut copies = Vec::new();
    for (i, (label, word)) in [("PLACE", "إدلب"), ("ACTOR", "قوات")].iter().enumerate() {
        let copy = dir.path().join(format!("omar{i}.tawsim"));
        std::fs::copy(&lead, &copy).unwrap();
        let mut store = Store::open(&copy).unwrap();
        let omar = store.annotator_id("omar").unwrap();
        let docs = store.documents().unwrap();
        let text = store.document(docs[0].id).unwrap().text;
        store
            .add_span(
                docs[0].id,
                omar,
                range_of(&text, word),
                label,
                Origin::Manual,
            )
            .unwrap();
        store.set_status(docs[i].id, omar, Status::Done).unwrap();
        store.checkpoint().unwrap();
        copies.push(copy);
    }
    for copy in &copies {
        merge(&lead, copy).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["join", "--annotator", "lead", "--into", "omar", "--db"])
        .arg(&lead)
        .arg("omar · 2")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("omar · 2 is now part of omar: 1 spans moved"),
        "{said}"
    );

    let check = |expected_spans: usize| {
        let store = Store::open(&lead).unwrap();
        let names: Vec<String> = store
            .annotators()
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["lead", "omar"]);
        let layers: Vec<String> = store
            .layers()
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert!(!layers.iter().any(|l| l == "omar · 2"), "{layers:?}");
        let omar = store.annotators().unwrap()[1].id;
        let layer = store.annotator_layer(omar).unwrap();
        let docs = store.documents().unwrap();
        let spans: Vec<_> = store
            .spans(docs[0].id)
            .unwrap()
            .into_iter()
            .filter(|s| s.layer == layer)
            .collect();
        assert_eq!(spans.len(), expected_spans, "{spans:?}");
        assert!(spans.iter().all(|s| s.annotator == omar));
        // Both laptops' statuses are omar's.
        assert_eq!(store.status(docs[0].id, omar).unwrap(), Status::Done);
        assert_eq!(store.status(docs[1].id, omar).unwrap(), Status::Done);
        // Stats count the spans under omar's layer.
        let progress = store.progress(30).unwrap();
        let n: usize = progress
            .spans
            .iter()
            .filter(|(l, _, _)| l == "omar")
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(n, expected_spans, "{progress:?}");
        // The second laptop's history reads as omar's.
        let history = store.document_history(docs[0].id).unwrap();
        let adds: Vec<_> = history
            .iter()
            .filter(|h| h.event.action == "span.add")
            .map(|h| h.actor_name.clone().unwrap_or_default())
            .collect();
        assert_eq!(adds.len(), expected_spans);
        assert!(adds.iter().all(|n| n == "omar"), "{adds:?}");
    };
    check(2);
    // Merging the second laptop's file again adds nothing; new work from it
    // arrives as omar's.
    assert!(merge(&lead, &copies[1]).unwrap().nothing_new());
    {
        let mut store = Store::open(&copies[1]).unwrap();
        let omar = store.annotator_id("omar").unwrap();
        let doc = store.documents().unwrap()[0].id;
        let text = store.document(doc).unwrap().text;
        store
            .add_span(doc, omar, range_of(&text, "الخميس"), "DATE", Origin::Manual)
            .unwrap();
        store.checkpoint().unwrap();
    }
    let report = merge(&lead, &copies[1]).unwrap();
    assert!(
        report.annotators_added.is_empty() && report.layers_added.is_empty(),
        "{report}"
    );
    check(3);
    // The name of the joined one finds omar; joining again is refused.
    let mut store = Store::open(&lead).unwrap();
    let omar = store.annotator_id("omar").unwrap();
    assert_eq!(store.annotator_id("omar · 2").unwrap(), omar);
    assert!(store.join_annotators(omar, omar, None).is_err());
}
