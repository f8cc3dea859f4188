//! Span attributes and notes, document notes, and their undo: values checked
//! against the project's label schema, every edit audited, stale edits refused.

use serde_json::json;
use tawsim::model::{Attrs, Change, CharRange, DocId, History, Origin, Span};
use tawsim::schema::{AttrError, Schema};
use tawsim::store::{NewDocument, Store, StoreError};

const SAMPLE: &str = "assets/samples/idlib-ceasefire-ar.txt";

fn find_chars(text: &str, needle: &str) -> CharRange {
    let hay: Vec<char> = text.chars().collect();
    let pat: Vec<char> = needle.chars().collect();
    let start = (0..=hay.len() - pat.len())
        .find(|&i| hay[i..i + pat.len()] == pat[..])
        .unwrap_or_else(|| panic!("{needle} is in the sample"));
    CharRange::new(start, start + pat.len()).unwrap()
}

struct Project {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    doc: DocId,
    text: String,
    sara: i64,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.tawsim");
    let mut store = Store::open(&path).unwrap();
    let sara = store.annotator_id("سارة").unwrap();
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let doc = store
        .import_document(
            &NewDocument {
                title: "خرق وقف إطلاق النار في إدلب".into(),
                text: text.clone(),
                source: SAMPLE.into(),
                meta: json!({}),
            },
            None,
        )
        .unwrap()
        .id();
    Project {
        _dir: dir,
        path,
        store,
        doc,
        text,
        sara,
    }
}

fn tag(p: &mut Project, needle: &str, label: &str) -> Span {
    let range = find_chars(&p.text, needle);
    p.store
        .add_span(p.doc, p.sara, range, label, Origin::Manual)
        .unwrap()
}

fn attrs(value: serde_json::Value) -> Attrs {
    value.as_object().unwrap().clone()
}

/// The span as another connection reads it from disk.
fn on_disk(p: &Project, id: i64) -> Span {
    Store::open(&p.path).unwrap().span(id).unwrap()
}

#[test]
fn set_attrs_is_stored_audited_and_undone_through_history() {
    let mut p = project();
    let span = tag(&mut p, "19 مدنياً", "CASUALTY");
    let mut history = History::default();

    let set = Change::SetAttrs {
        span: span.id,
        from: Attrs::new(),
        to: attrs(json!({"count": 19, "kind": "killed"})),
    };
    let after = p.store.apply(&set, p.sara).unwrap().unwrap();
    history.record(set.clone());
    assert_eq!(after.attrs, attrs(json!({"count": 19, "kind": "killed"})));
    assert_eq!(
        on_disk(&p, span.id).attrs,
        attrs(json!({"count": 19, "kind": "killed"}))
    );

    let undo = history.undo().unwrap();
    assert_eq!(undo, set.invert());
    p.store.apply(&undo, p.sara).unwrap();
    assert!(on_disk(&p, span.id).attrs.is_empty());
    let redo = history.redo().unwrap();
    p.store.apply(&redo, p.sara).unwrap();
    assert_eq!(on_disk(&p, span.id).attrs["count"], json!(19));

    let audit = p.store.audit(p.doc).unwrap();
    let attrs_events: Vec<_> = audit.iter().filter(|e| e.action == "span.attrs").collect();
    assert_eq!(attrs_events.len(), 3, "set, undo, redo");
    let first = attrs_events[0];
    assert_eq!(first.actor, Some(p.sara));
    assert_eq!(first.span, Some(span.id));
    assert_eq!(first.before["attrs"], json!({}));
    assert_eq!(first.after["attrs"], json!({"count": 19, "kind": "killed"}));
    assert_eq!(first.after["text"], json!("19 مدنياً"));
    assert_eq!(attrs_events[1].after["attrs"], json!({}));
}

#[test]
fn attribute_values_are_checked_against_the_label() {
    let mut p = project();
    let casualty = tag(&mut p, "19 مدنياً", "CASUALTY");
    let date = tag(&mut p, "أيار/ مايو 2017", "DATE");
    let actor = tag(&mut p, "قوات الأسد", "ACTOR");
    let audit_len = p.store.audit(p.doc).unwrap().len();

    let refused = |p: &mut Project, span: &Span, to: serde_json::Value| -> StoreError {
        p.store
            .apply(
                &Change::SetAttrs {
                    span: span.id,
                    from: span.attrs.clone(),
                    to: attrs(to),
                },
                p.sara,
            )
            .unwrap_err()
    };
    // A negative or fractional count, a count written as text.
    for bad in [json!(-3), json!(2.5), json!("19")] {
        let err = refused(&mut p, &casualty, json!({ "count": bad }));
        assert!(
            matches!(&err, StoreError::Attribute { source, .. }
                if matches!(**source, AttrError::NotACount { .. })),
            "{err}"
        );
        assert!(err.to_string().contains("whole number"), "{err}");
    }
    let err = refused(&mut p, &casualty, json!({"kind": "wounded"}));
    let message = err.to_string();
    assert!(
        message.contains("killed, injured, displaced, missing, detained")
            && message.contains("\"wounded\""),
        "{message}"
    );
    let err = refused(&mut p, &date, json!({"normalized": "أيار 2017"}));
    assert!(err.to_string().contains("ISO 8601"), "{err}");
    let err = refused(&mut p, &date, json!({"normalized": "2017-13"}));
    assert!(matches!(err, StoreError::Attribute { .. }), "{err}");
    let err = refused(&mut p, &casualty, json!({"side": "النظام"}));
    assert!(
        err.to_string()
            .contains("label CASUALTY has no attribute \"side\" (its attributes: count, kind)"),
        "{err}"
    );
    // Nothing was written by any refused edit.
    assert_eq!(p.store.audit(p.doc).unwrap().len(), audit_len);
    assert!(on_disk(&p, casualty.id).attrs.is_empty());

    // Good values of every kind.
    for (span, to) in [
        (&casualty, json!({"count": 0, "kind": "detained"})),
        (&date, json!({"normalized": "2017-05"})),
        (&actor, json!({"side": "النظام"})),
    ] {
        p.store
            .apply(
                &Change::SetAttrs {
                    span: span.id,
                    from: Attrs::new(),
                    to: attrs(to.clone()),
                },
                p.sara,
            )
            .unwrap();
        assert_eq!(serde_json::Value::Object(on_disk(&p, span.id).attrs), to);
    }
}

#[test]
fn typed_input_becomes_the_stored_value() {
    let schema = Schema::default_schema();
    let casualty = schema.label("CASUALTY").unwrap();
    let count = casualty.attribute("count").unwrap();
    assert_eq!(count.parse_input(" 19 "), Ok(Some(json!(19))));
    assert_eq!(count.parse_input("١٩"), Ok(Some(json!(19))));
    assert_eq!(count.parse_input(""), Ok(None), "empty clears the value");
    assert!(matches!(
        count.parse_input("تسعة عشر"),
        Err(AttrError::NotACount { .. })
    ));
    let kind = casualty.attribute("kind").unwrap();
    assert_eq!(kind.parse_input("missing"), Ok(Some(json!("missing"))));
    assert!(kind.parse_input("Missing").is_err(), "choices are exact");
    let date = schema
        .label("DATE")
        .unwrap()
        .attribute("normalized")
        .unwrap();
    assert_eq!(
        date.parse_input("2020-01-11T00:01"),
        Ok(Some(json!("2020-01-11T00:01")))
    );
    assert!(date.parse_input("2020-02-30").is_err());
    let side = schema.label("ACTOR").unwrap().attribute("side").unwrap();
    assert_eq!(
        side.parse_input("المعارضة المسلحة"),
        Ok(Some(json!("المعارضة المسلحة")))
    );
}

#[test]
fn relabel_keeps_values_and_unchanged_foreign_values_may_stay() {
    let mut p = project();
    let span = tag(&mut p, "19 مدنياً", "CASUALTY");
    let with_count = attrs(json!({"count": 19}));
    p.store
        .apply(
            &Change::SetAttrs {
                span: span.id,
                from: Attrs::new(),
                to: with_count.clone(),
            },
            p.sara,
        )
        .unwrap();
    let relabel = Change::Relabel {
        span: span.id,
        from: "CASUALTY".into(),
        to: "ACTOR".into(),
    };
    p.store.apply(&relabel, p.sara).unwrap();
    let actor = on_disk(&p, span.id);
    assert_eq!(actor.attrs, with_count, "a relabel keeps the values");
    // Setting ACTOR's own attribute keeps the count it does not define …
    let both = attrs(json!({"count": 19, "side": "المدنيون"}));
    p.store
        .apply(
            &Change::SetAttrs {
                span: span.id,
                from: with_count.clone(),
                to: both.clone(),
            },
            p.sara,
        )
        .unwrap();
    // … but a changed count is checked against ACTOR, which has none.
    let err = p
        .store
        .apply(
            &Change::SetAttrs {
                span: span.id,
                from: both.clone(),
                to: attrs(json!({"count": 20, "side": "المدنيون"})),
            },
            p.sara,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Attribute { .. }), "{err}");
    // Undoing the relabel brings CASUALTY back with its count.
    p.store.apply(&relabel.invert(), p.sara).unwrap();
    let back = on_disk(&p, span.id);
    assert_eq!(
        (back.label.as_str(), &back.attrs["count"]),
        ("CASUALTY", &json!(19))
    );
}

#[test]
fn stale_and_deleted_edits_are_refused() {
    let mut p = project();
    let span = tag(&mut p, "19 مدنياً", "CASUALTY");
    p.store
        .apply(
            &Change::SetAttrs {
                span: span.id,
                from: Attrs::new(),
                to: attrs(json!({"count": 19})),
            },
            p.sara,
        )
        .unwrap();
    // Another window still thinks there are no values.
    let err = p
        .store
        .apply(
            &Change::SetAttrs {
                span: span.id,
                from: Attrs::new(),
                to: attrs(json!({"count": 18})),
            },
            p.sara,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::StaleAttrs { .. }), "{err}");
    assert!(err.to_string().contains(r#"{"count":19}"#), "{err}");
    assert_eq!(on_disk(&p, span.id).attrs["count"], json!(19));

    let err = p
        .store
        .apply(
            &Change::SetNote {
                span: span.id,
                from: "ملاحظة قديمة".into(),
                to: "جديدة".into(),
            },
            p.sara,
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::StaleNote { span: s } if s == span.id),
        "{err}"
    );

    p.store
        .apply(&Change::Delete { span: span.id }, p.sara)
        .unwrap();
    let err = p
        .store
        .apply(
            &Change::SetNote {
                span: span.id,
                from: String::new(),
                to: "x".into(),
            },
            p.sara,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::SpanDeleted { .. }), "{err}");

    let err = p
        .store
        .apply(
            &Change::DocumentNote {
                doc: p.doc,
                from: "not the note".into(),
                to: "x".into(),
            },
            p.sara,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::StaleDocumentNote { .. }), "{err}");
    assert_eq!(p.store.document_note(p.doc).unwrap(), "");
}

#[test]
fn span_and_document_notes_round_trip_with_audit_rows() {
    let mut p = project();
    let span = tag(&mut p, "إدلب", "PLACE");
    let note = "المحافظة لا المدينة؟";
    let set = Change::SetNote {
        span: span.id,
        from: String::new(),
        to: note.into(),
    };
    p.store.apply(&set, p.sara).unwrap();
    assert_eq!(on_disk(&p, span.id).note, note);
    p.store.apply(&set.invert(), p.sara).unwrap();
    assert_eq!(on_disk(&p, span.id).note, "");

    let doc_note = Change::DocumentNote {
        doc: p.doc,
        from: String::new(),
        to: "مصدر الأرقام: منسقو الاستجابة".into(),
    };
    assert_eq!(p.store.apply(&doc_note, p.sara).unwrap(), None);
    assert_eq!(
        Store::open(&p.path).unwrap().document_note(p.doc).unwrap(),
        "مصدر الأرقام: منسقو الاستجابة"
    );
    p.store.apply(&doc_note.invert(), p.sara).unwrap();
    assert_eq!(p.store.document_note(p.doc).unwrap(), "");

    let audit = p.store.audit(p.doc).unwrap();
    let tail: Vec<(&str, serde_json::Value, serde_json::Value)> = audit[audit.len() - 4..]
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.before.get("note").cloned().unwrap_or_default(),
                e.after.get("note").cloned().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        tail,
        vec![
            ("span.note", json!(""), json!(note)),
            ("span.note", json!(note), json!("")),
            (
                "document.note",
                json!(""),
                json!("مصدر الأرقام: منسقو الاستجابة")
            ),
            (
                "document.note",
                json!("مصدر الأرقام: منسقو الاستجابة"),
                json!("")
            ),
        ]
    );
    assert!(audit[audit.len() - 2..].iter().all(|e| e.span.is_none()));
}

#[test]
fn document_history_is_newest_first_with_names_and_readable_lines() {
    let mut p = project();
    let span = tag(&mut p, "إدلب", "PLACE");
    let omar = p.store.annotator_id("عمر").unwrap();
    p.store
        .apply(
            &Change::Relabel {
                span: span.id,
                from: "PLACE".into(),
                to: "ACTOR".into(),
            },
            omar,
        )
        .unwrap();
    let casualty = tag(&mut p, "19 مدنياً", "CASUALTY");
    p.store
        .apply(
            &Change::SetAttrs {
                span: casualty.id,
                from: Attrs::new(),
                to: attrs(json!({"count": 19})),
            },
            omar,
        )
        .unwrap();
    let history = p.store.document_history(p.doc).unwrap();
    let lines: Vec<(Option<&str>, String)> = history
        .iter()
        .map(|h| {
            (
                h.actor_name.as_deref(),
                tawsim::ui::audit::describe(&h.event),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (Some("عمر"), "set count 19 on «19 مدنياً»".to_owned()),
            (Some("سارة"), "tagged «19 مدنياً» CASUALTY".to_owned()),
            (Some("عمر"), "relabelled «إدلب» PLACE → ACTOR".to_owned()),
            (Some("سارة"), "tagged «إدلب» PLACE".to_owned()),
            (None, "imported «خرق وقف إطلاق النار في إدلب»".to_owned()),
        ]
    );
    // Local time, to the second, readable.
    let time = &history[0].local_time;
    assert_eq!(time.len(), "2025-01-16 09:30:12".len(), "{time}");
    assert_eq!(&time[4..5], "-");
    assert_eq!(&time[10..11], " ");
}

mod in_the_app {
    use super::*;
    use egui::{Key, Modifiers};
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use tawsim::settings::Settings;
    use tawsim::ui::App;

    fn harness(store: Store) -> Harness<'static, App> {
        let settings = Settings {
            annotator: Some("سارة".into()),
            ..Settings::default()
        };
        let app = App::new(store, Schema::default_schema(), settings, None);
        let mut harness = Harness::builder()
            .with_size(egui::Vec2::new(1280.0, 860.0))
            .with_step_dt(1.0 / 60.0)
            .with_max_steps(400)
            .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
        // The app's fonts, as `main` installs them: egui's own have no Arabic digits.
        let ctx = harness.ctx.clone();
        harness.state().setup_egui(&ctx);
        harness.run();
        harness
    }

    fn count_on_disk(p: &Project, id: i64) -> Option<serde_json::Value> {
        on_disk(p, id).attrs.get("count").cloned()
    }

    #[test]
    fn edit_the_count_of_a_casualty_then_undo_and_redo() {
        let mut p = project();
        let span = tag(&mut p, "19 مدنياً", "CASUALTY");
        let store = Store::open(&p.path).unwrap();
        let mut harness = harness(store);

        // Select the span from the side panel's list.
        harness.get_by_label("19 مدنياً").click();
        harness.run();
        assert_eq!(harness.state().selected_span(), Some(span.id));

        // Type the count with Arabic-Indic digits and press Enter.
        harness.get_by_label("count").click();
        harness.run();
        harness.get_by_label("count").type_text("١٩");
        harness.run();
        // Typing digits in the field does not tag or relabel anything.
        assert_eq!(on_disk(&p, span.id).label, "CASUALTY");
        assert_eq!(count_on_disk(&p, span.id), None, "saved only when finished");
        harness.key_press(Key::Enter);
        harness.run();
        assert_eq!(harness.state().errors(), &[] as &[String]);
        assert_eq!(count_on_disk(&p, span.id), Some(json!(19)));
        assert_eq!(harness.get_by_label("count").value().as_deref(), Some("19"));

        harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        harness.run();
        assert_eq!(count_on_disk(&p, span.id), None);
        assert_eq!(harness.get_by_label("count").value().as_deref(), Some(""));

        harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
        harness.run();
        assert_eq!(count_on_disk(&p, span.id), Some(json!(19)));
        assert_eq!(harness.state().selected_span(), Some(span.id));

        // An impossible count is refused with the reason and not saved.
        harness.get_by_label("count").click();
        harness.run();
        harness.get_by_label("count").type_text("-");
        harness.run();
        assert!(
            harness.query_by_label_contains("whole number").is_some(),
            "the reason is shown while typing"
        );
        harness.key_press(Key::Enter);
        harness.run();
        assert_eq!(count_on_disk(&p, span.id), Some(json!(19)));

        // The History window tells who set it.
        harness.state_mut().run(tawsim::ui::Command::ShowHistory);
        harness.run();
        // Set, undone (cleared), redone: newest first.
        assert_eq!(
            harness
                .query_all_by_label("set count 19 on «19 مدنياً»")
                .count(),
            2
        );
        assert_eq!(
            harness
                .query_all_by_label("cleared count on «19 مدنياً»")
                .count(),
            1
        );
    }
}

#[test]
fn the_app_switches_schema_from_a_file_and_reports_problems_with_positions() {
    use tawsim::settings::Settings;
    use tawsim::ui::{App, Command};
    let mut p = project();
    tag(&mut p, "19 مدنياً", "CASUALTY");
    let settings = Settings {
        annotator: Some("سارة".into()),
        ..Settings::default()
    };
    let store = Store::open(&p.path).unwrap();
    let mut app = App::new(store, Schema::default_schema(), settings, None);
    let dir = tempfile::tempdir().unwrap();

    // A duplicate hotkey: the Problems window names file, line and column.
    let bad = dir.path().join("bad.ron");
    let default = Schema::default_schema().ron().to_owned();
    std::fs::write(
        &bad,
        default.replacen(r#"hotkey: "2""#, r#"hotkey: "1""#, 1),
    )
    .unwrap();
    app.run(Command::SwitchSchema(bad.clone()));
    let problem = app.errors().last().unwrap().clone();
    assert!(problem.contains("line 37, column"), "{problem}");
    assert!(problem.contains("both use hotkey \"1\""), "{problem}");
    assert!(problem.ends_with(&bad.display().to_string()), "{problem}");

    // Dropping CASUALTY while a span uses it is refused with the count.
    let narrow = dir.path().join("narrow.ron");
    let start = default
        .find("        (\n            name: \"CASUALTY\"")
        .unwrap();
    let end = default
        .find("        (\n            name: \"PLACE\"")
        .unwrap();
    let mut without = default.clone();
    without.replace_range(start..end, "");
    std::fs::write(&narrow, &without).unwrap();
    app.run(Command::SwitchSchema(narrow.clone()));
    let problem = app.errors().last().unwrap().clone();
    assert!(problem.contains("CASUALTY (1 span)"), "{problem}");
    assert_eq!(app.store().current_schema_version().unwrap(), Some(1));

    // A good file becomes version 2; the app and new spans use it.
    let good = dir.path().join("good.ron");
    std::fs::write(&good, default.replace("#3b82c4", "#2563eb")).unwrap();
    let errors_before = app.errors().len();
    app.run(Command::SwitchSchema(good));
    assert_eq!(app.errors().len(), errors_before);
    assert_eq!(app.store().current_schema_version().unwrap(), Some(2));
    assert_eq!(
        app.schema().label("PLACE").unwrap().color,
        [0x25, 0x63, 0xeb]
    );
    let reopened = Store::open(&p.path).unwrap();
    assert_eq!(
        reopened
            .current_schema()
            .unwrap()
            .label("PLACE")
            .unwrap()
            .color,
        [0x25, 0x63, 0xeb]
    );
}
