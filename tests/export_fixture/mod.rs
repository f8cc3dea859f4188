//! The tagged projects that the export tests and the interop run export.
//!
//! `sample_project` holds the bundled article (assets/samples/idlib-ceasefire-ar.txt)
//! tagged by annotator `layla` — with attributes, notes, spans inside a word
//! («روسيا» in «وروسيا») and a span across a line break — plus an imported
//! layer `model` whose spans overlap hers, and a short text with an emoji so
//! UTF-16 offsets differ from code points. `newsfane_project` reads the
//! NewsFANE CoNLL file (tests/data/newsfane, CC BY-SA 3.0) into documents of
//! 20 sentences each, with its tags as spans of an imported layer `newsfane`.
//!
//! Shared by tests/export.rs and examples/export_fixtures.rs (`#[path]`).
#![allow(dead_code)]

use std::path::Path;

use tawsim::model::{CharRange, DocId, Origin};
use tawsim::store::{NewDocument, Store};

pub const ARTICLE: &str = include_str!("../../assets/samples/idlib-ceasefire-ar.txt");
pub const EMOJI_TEXT: &str = "🔥 قصف على إدلب يوم الخميس 🔥 وسقط 3 قتلى";

/// Code-point ranges of every occurrence of `needle` in `text`.
pub fn find_all(text: &str, needle: &str) -> Vec<CharRange> {
    let mut out = Vec::new();
    for (byte, _) in text.match_indices(needle) {
        let start = text[..byte].chars().count();
        let end = start + needle.chars().count();
        out.push(CharRange::new(start, end).unwrap());
    }
    out
}

fn doc(title: &str, text: &str, source: &str) -> NewDocument {
    NewDocument {
        title: title.to_owned(),
        text: text.to_owned(),
        source: source.to_owned(),
        meta: serde_json::json!({ "file_name": source }),
    }
}

/// Set a span's attributes and note (no store API for them on this branch).
fn set_details(path: &Path, span: i64, attrs: &serde_json::Value, note: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute(
        "UPDATE spans SET attrs = ?1, note = ?2 WHERE id = ?3",
        rusqlite::params![attrs.to_string(), note, span],
    )
    .unwrap();
}

/// Add spans of an imported layer straight into the file.
fn add_imported(path: &Path, layer: &str, annotator: i64, spans: &[(DocId, CharRange, &str, f64)]) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    let now = "2026-01-01T00:00:00.000Z";
    tx.execute(
        "INSERT INTO layers (name, kind, created_at, uid) VALUES (?1, 'imported', ?2, randomblob(16))",
        rusqlite::params![layer, now],
    )
    .unwrap();
    let layer_id = tx.last_insert_rowid();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                                    score, model, created_at, updated_at, uid)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, substr(text, ?4 + 1, ?5 - ?4), 'imported', ?7, ?8, ?9, ?9,
                        randomblob(16)
                 FROM documents WHERE id = ?1",
            )
            .unwrap();
        for (doc, range, label, score) in spans {
            let model: Option<&str> = (*score < 1.0).then_some("ner-ar-1");
            let score: Option<f64> = (*score < 1.0).then_some(*score);
            insert
                .execute(rusqlite::params![
                    doc,
                    annotator,
                    layer_id,
                    range.start() as i64,
                    range.end() as i64,
                    label,
                    score,
                    model,
                    now
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Mark document `doc` done by `annotator`.
pub fn mark_done(path: &Path, doc: DocId, annotator: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute(
        "INSERT INTO document_status (doc_id, annotator_id, status, updated_at)
         VALUES (?1, ?2, 'done', '2026-01-02T00:00:00.000Z')",
        rusqlite::params![doc, annotator],
    )
    .unwrap();
}

/// The tagged sample project at `path` (see the module documentation).
/// Documents: 1 = the article, 2 = the emoji text.
pub fn sample_project(path: &Path) {
    let mut store = Store::open(path).unwrap();
    let layla = store.annotator_id("layla").unwrap();
    let docs = [
        doc(
            "خرق وقف إطلاق النار في إدلب",
            ARTICLE,
            "idlib-ceasefire-ar.txt",
        ),
        doc("قصف على إدلب", EMOJI_TEXT, "emoji.txt"),
    ];
    store.import_documents(&docs, Some(layla)).unwrap();
    let mut add = |doc: DocId, range: CharRange, label: &str| {
        store
            .add_span(doc, layla, range, label, Origin::Manual)
            .unwrap()
            .id
    };
    let mut model_spans = Vec::new();
    for r in find_all(ARTICLE, "إدلب") {
        add(1, r, "PLACE");
        model_spans.push((1, r, "PLACE", 0.97));
    }
    for r in find_all(ARTICLE, "سورية") {
        add(1, r, "PLACE");
    }
    // Inside a word: «وروسيا», «لإيران», «وإيران».
    for r in find_all(ARTICLE, "روسيا")
        .into_iter()
        .chain(find_all(ARTICLE, "إيران"))
    {
        add(1, r, "PLACE");
    }
    for r in find_all(ARTICLE, "الخميس") {
        add(1, r, "DATE");
    }
    let casualty = find_all(ARTICLE, "19 مدنياً")[0];
    let casualty = add(1, casualty, "CASUALTY");
    for r in find_all(ARTICLE, "قوات الأسد") {
        add(1, r, "ACTOR");
        // The model tags only «الأسد»: it overlaps layla's ACTOR.
        let inner = CharRange::new(r.start() + 5, r.end()).unwrap();
        model_spans.push((1, inner, "ACTOR", 0.61));
    }
    // Across the first line break: «في إدلب\nواستهدفت».
    let first_break = ARTICLE.chars().position(|c| c == '\n').unwrap();
    let across = add(
        1,
        CharRange::new(first_break - 7, first_break + 9).unwrap(),
        "EVENT",
    );
    let date = add(1, find_all(ARTICLE, "11 كانون الثاني/ يناير")[0], "DATE");
    for r in find_all(EMOJI_TEXT, "إدلب") {
        add(2, r, "PLACE");
        model_spans.push((2, r, "PLACE", 0.88));
    }
    let killed = add(2, find_all(EMOJI_TEXT, "3 قتلى")[0], "CASUALTY");
    drop(store);
    set_details(
        path,
        casualty,
        &serde_json::json!({"count": 19, "kind": "civilian"}),
        "مدنيون، بينهم أطفال",
    );
    set_details(path, killed, &serde_json::json!({"count": 3}), "");
    set_details(
        path,
        across,
        &serde_json::json!({}),
        "يمتد عبر سطرين\nعن قصد",
    );
    set_details(
        path,
        date,
        &serde_json::json!({"calendar": "gregorian month"}),
        "",
    );
    add_imported(path, "model", layla, &model_spans);
    mark_done(path, 1, layla);
}

/// A span read from NewsFANE: code-point start, end, label.
type Tagged = (usize, usize, String);

/// NewsFANE as documents of 20 sentences (tokens joined by spaces, sentences
/// by `\n`, U+200E/U+200F and the BOM removed) with its tags in layer
/// `newsfane`. Returns the number of spans.
pub fn newsfane_project(path: &Path, newsfane: &Path) -> usize {
    let bytes = std::fs::read(newsfane).unwrap();
    let src = String::from_utf8(bytes).unwrap();
    let mut docs: Vec<(String, Vec<Tagged>)> = Vec::new();
    let mut text = String::new();
    let mut len = 0usize;
    let mut spans = Vec::new();
    let mut open: Option<Tagged> = None;
    let mut sentences = 0;
    let mut in_sentence = false;
    let close = |open: &mut Option<Tagged>, spans: &mut Vec<_>| {
        if let Some(s) = open.take() {
            spans.push(s);
        }
    };
    for line in src.lines() {
        let line: String = line
            .chars()
            .filter(|c| !matches!(c, '\u{feff}' | '\u{200e}' | '\u{200f}' | '\r'))
            .collect();
        let mut fields = line.split('\t');
        let token = fields.next().unwrap_or("").trim();
        let tag = fields.next_back().unwrap_or("O").trim();
        if token.is_empty() {
            if in_sentence {
                close(&mut open, &mut spans);
                sentences += 1;
                in_sentence = false;
                if sentences % 20 == 0 {
                    docs.push((std::mem::take(&mut text), std::mem::take(&mut spans)));
                    len = 0;
                }
            }
            continue;
        }
        if in_sentence {
            text.push(' ');
            len += 1;
        } else if !text.is_empty() {
            text.push('\n');
            len += 1;
        }
        in_sentence = true;
        let start = len;
        text.push_str(token);
        len += token.chars().count();
        match (tag.split_once('-'), &mut open) {
            (Some(("I", label)), Some(o)) if o.2 == label => o.1 = len,
            (Some((_, label)), _) => {
                close(&mut open, &mut spans);
                open = Some((start, len, label.to_owned()));
            }
            _ => close(&mut open, &mut spans),
        }
    }
    close(&mut open, &mut spans);
    if !text.is_empty() {
        docs.push((text, spans));
    }
    let mut store = Store::open(path).unwrap();
    let importer = store.annotator_id("importer").unwrap();
    let new_docs: Vec<NewDocument> = docs
        .iter()
        .enumerate()
        .map(|(i, (text, _))| doc(&format!("NewsFANE {}", i + 1), text, "newsfane"))
        .collect();
    let ids = store.import_documents(&new_docs, None).unwrap();
    drop(store);
    let mut all = Vec::new();
    for (id, (_, spans)) in ids.iter().zip(&docs) {
        for (s, e, label) in spans {
            all.push((
                id.id(),
                CharRange::new(*s, *e).unwrap(),
                label.as_str(),
                1.0,
            ));
        }
    }
    add_imported(path, "newsfane", importer, &all);
    all.len()
}
