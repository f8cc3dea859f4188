//! The label schema: the bundled default, and errors that point at the line.

use tawsim::schema::{AttributeKind, Schema, SchemaError, SchemaProblem};

#[test]
fn default_schema_parses() {
    let schema = Schema::default_schema();
    let summary: Vec<(&str, &str, Option<char>, [u8; 3])> = schema
        .labels()
        .iter()
        .map(|l| (l.name.as_str(), l.arabic.as_str(), l.hotkey, l.color))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("CASUALTY", "ضحايا", Some('1'), [0xd6, 0x45, 0x45]),
            ("PLACE", "مكان", Some('2'), [0x3b, 0x82, 0xc4]),
            ("DATE", "تاريخ", Some('3'), [0xd9, 0x9a, 0x1e]),
            ("ACTOR", "فاعل", Some('4'), [0x3a, 0x9a, 0x5b]),
        ]
    );
    for label in schema.labels() {
        assert!(
            label.description.chars().count() > 100,
            "{} needs a real guideline for its tooltip",
            label.name
        );
    }
    assert!(
        schema
            .label("CASUALTY")
            .unwrap()
            .description
            .contains("19 مدنياً")
    );
    assert_eq!(
        schema.by_hotkey('2').map(|l| l.name.as_str()),
        Some("PLACE")
    );
    assert!(schema.by_hotkey('5').is_none());
    assert!(schema.label("place").is_none(), "names are case-sensitive");
    let casualty = schema.label("CASUALTY").unwrap();
    assert_eq!(casualty.attributes[0].name, "count");
    assert_eq!(casualty.attributes[0].kind, AttributeKind::Integer);
    assert!(
        matches!(&casualty.attributes[1].kind, AttributeKind::Choice(v) if v.contains(&"killed".to_string()))
    );
    assert_eq!(
        schema.label("DATE").unwrap().attributes[0].kind,
        AttributeKind::Date
    );
}

const GOOD: &str = r##"(
    name: "test",
    version: 2,
    labels: [
        (name: "PLACE", arabic: "مكان", color: "#3b82c4", hotkey: "2"),
        (name: "ACTOR", arabic: "فاعل", color: "#3A9A5B", description: "قوات الأسد"),
    ],
)"##;

#[test]
fn optional_fields_may_be_left_out() {
    let schema = Schema::parse(GOOD, "good.ron").unwrap();
    assert_eq!((schema.name.as_str(), schema.version), ("test", 2));
    let actor = schema.label("ACTOR").unwrap();
    assert_eq!(actor.hotkey, None);
    assert_eq!(actor.color, [0x3a, 0x9a, 0x5b]);
    assert!(actor.attributes.is_empty());
    assert_eq!(schema.label("PLACE").unwrap().description, "");
    // The explicit `Some(..)` spelling is accepted too.
    let explicit = GOOD.replace(r#"hotkey: "2""#, r#"hotkey: Some("2")"#);
    assert_eq!(
        Schema::parse(&explicit, "x")
            .unwrap()
            .by_hotkey('2')
            .unwrap()
            .name,
        "PLACE"
    );
}

/// Parses `src` expecting a semantic error; returns (line, column, problem, message).
fn invalid(src: &str) -> (usize, usize, SchemaProblem, String) {
    match Schema::parse(src, "labels.ron") {
        Err(e @ SchemaError::Invalid { .. }) => {
            let message = e.to_string();
            let SchemaError::Invalid {
                line,
                column,
                problem,
                ..
            } = e
            else {
                unreachable!()
            };
            (line, column, problem, message)
        }
        other => panic!("expected a semantic error, got {other:?}"),
    }
}

#[test]
fn duplicate_names_point_at_the_second_entry() {
    let src = GOOD.replace(r#"name: "ACTOR""#, r#"name: "PLACE""#);
    let (line, column, problem, message) = invalid(&src);
    assert_eq!((line, column), (6, 16));
    assert_eq!(
        problem,
        SchemaProblem::DuplicateName {
            name: "PLACE".into(),
            first_line: 5
        }
    );
    assert_eq!(
        message,
        "label schema error at line 6, column 16: label \"PLACE\" is defined twice (first at line 5); rename or remove one; edit labels.ron"
    );
}

#[test]
fn duplicate_and_bad_hotkeys_are_refused() {
    let src = GOOD.replace(r#"description: "قوات الأسد""#, r#"hotkey: "2""#);
    let (line, _, problem, _) = invalid(&src);
    assert_eq!(line, 6);
    assert_eq!(
        problem,
        SchemaProblem::DuplicateHotkey {
            label: "ACTOR".into(),
            key: '2',
            other: "PLACE".into()
        }
    );
    for bad in ["0", "10", "a", "٢", ""] {
        let src = GOOD.replace(r#"hotkey: "2""#, &format!("hotkey: {bad:?}"));
        let (line, _, problem, message) = invalid(&src);
        assert_eq!(line, 5, "{bad:?}");
        assert_eq!(
            problem,
            SchemaProblem::BadHotkey {
                label: "PLACE".into(),
                value: bad.into()
            }
        );
        assert!(message.contains("\"1\" to \"9\""), "{message}");
    }
}

#[test]
fn bad_colours_point_at_the_value() {
    let src = GOOD.replace("#3A9A5B", "green");
    let (line, column, problem, message) = invalid(&src);
    // Column of the quote before «green»: the Arabic before it counts as characters.
    let row = src.lines().nth(5).unwrap();
    let expected_column = 1 + row[..row.find("\"green\"").unwrap()].chars().count();
    assert_eq!((line, column), (6, expected_column));
    assert_eq!(
        problem,
        SchemaProblem::BadColor {
            label: "ACTOR".into(),
            value: "green".into()
        }
    );
    assert!(
        message.contains("#rrggbb") && message.ends_with("labels.ron"),
        "{message}"
    );
}

#[test]
fn empty_and_spaced_names_are_refused() {
    let (line, _, problem, _) = invalid(&GOOD.replace(r#"name: "ACTOR""#, r#"name: """#));
    assert_eq!((line, problem), (6, SchemaProblem::EmptyName { index: 2 }));
    let (_, _, problem, _) = invalid(&GOOD.replace(r#""ACTOR""#, r#""THE ACTOR""#));
    assert_eq!(
        problem,
        SchemaProblem::NameHasWhitespace {
            name: "THE ACTOR".into()
        }
    );
    let (line, _, problem, _) = invalid(&GOOD.replace(r#"arabic: "مكان""#, r#"arabic: " ""#));
    assert_eq!(
        (line, problem),
        (
            5,
            SchemaProblem::EmptyArabic {
                label: "PLACE".into()
            }
        )
    );
    let src = "(name: \"x\", version: 1,\n labels: [])";
    let (line, _, problem, _) = invalid(src);
    assert_eq!((line, problem), (2, SchemaProblem::NoLabels));
}

#[test]
fn attribute_errors_name_the_label_and_attribute() {
    let with = |attributes: &str| {
        GOOD.replace(
            r#"hotkey: "2")"#,
            &format!("hotkey: \"2\",\n            attributes: {attributes})"),
        )
    };
    let (line, _, problem, _) = invalid(&with(
        r#"[(name: "side", kind: Text), (name: "side", kind: Integer)]"#,
    ));
    assert_eq!(line, 6);
    assert_eq!(
        problem,
        SchemaProblem::DuplicateAttribute {
            label: "PLACE".into(),
            attribute: "side".into()
        }
    );
    let (_, _, problem, _) = invalid(&with(r#"[(name: "kind", kind: Choice([]))]"#));
    assert_eq!(
        problem,
        SchemaProblem::EmptyChoice {
            label: "PLACE".into(),
            attribute: "kind".into()
        }
    );
    let (_, _, problem, _) = invalid(&with(
        r#"[(name: "kind", kind: Choice(["killed", "killed"]))]"#,
    ));
    assert!(matches!(problem, SchemaProblem::DuplicateChoice { value, .. } if value == "killed"));
    let schema = Schema::parse(
        &with(r#"[(name: "region", kind: Choice(["north", "south"]))]"#),
        "x",
    )
    .unwrap();
    assert_eq!(
        schema.label("PLACE").unwrap().attributes[0].kind,
        AttributeKind::Choice(vec!["north".into(), "south".into()])
    );
}

#[test]
fn syntax_errors_carry_ron_line_and_column() {
    // A missing comma between two labels on line 6.
    let src = GOOD.replace(r#""2"),"#, r#""2")"#);
    let err = Schema::parse(&src, "labels.ron").unwrap_err();
    let SchemaError::Syntax {
        line,
        column,
        ref message,
        ..
    } = err
    else {
        panic!("expected a syntax error, got {err:?}")
    };
    assert_eq!(line, 6, "{message}");
    assert!(column >= 1);
    assert!(
        err.to_string()
            .starts_with("label schema syntax error at line 6, column")
    );
    assert!(err.to_string().ends_with("fix the RON in labels.ron"));

    // A misspelt field is an error, not silently ignored.
    let src = GOOD.replace("color: \"#3b82c4\"", "colour: \"#3b82c4\"");
    let err = Schema::parse(&src, "labels.ron").unwrap_err();
    assert!(matches!(err, SchemaError::Syntax { line: 5, .. }), "{err}");
    assert!(err.to_string().contains("colour"), "{err}");
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels.ron");
    std::fs::write(&path, GOOD).unwrap();
    assert_eq!(Schema::load(&path).unwrap().labels().len(), 2);

    std::fs::write(&path, GOOD.replace("#3b82c4", "#3b82c")).unwrap();
    let message = Schema::load(&path).unwrap_err().to_string();
    assert!(message.ends_with(&path.display().to_string()), "{message}");
    assert!(message.contains("line 5"), "{message}");

    let missing = dir.path().join("missing.ron");
    let err = Schema::load(&missing).unwrap_err();
    assert!(matches!(err, SchemaError::Read { .. }));
    assert!(
        err.to_string().ends_with(&missing.display().to_string()),
        "{err}"
    );
}

#[test]
fn bad_attribute_types_are_syntax_errors_at_their_line() {
    let src = GOOD.replace(
        r#"hotkey: "2")"#,
        "hotkey: \"2\",\n            attributes: [(name: \"area\", kind: Float)])",
    );
    let err = Schema::parse(&src, "labels.ron").unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, SchemaError::Syntax { line: 6, .. }),
        "{message}"
    );
    assert!(message.contains("Float"), "{message}");
    assert!(!message.contains("Raw"), "no internal names: {message}");
    assert!(
        message.contains("Integer") && message.contains("Choice"),
        "the message lists the kinds there are: {message}"
    );
    assert!(message.ends_with("labels.ron"), "{message}");
}

#[test]
fn a_schema_keeps_its_ron_text() {
    let schema = Schema::parse(GOOD, "good.ron").unwrap();
    assert_eq!(schema.ron(), GOOD);
    assert!(Schema::default_schema().ron().contains("ضحايا"));
}

#[test]
fn the_default_schema_has_the_issue_attributes() {
    let schema = Schema::default_schema();
    let casualty = schema.label("CASUALTY").unwrap();
    assert_eq!(
        casualty.attribute("kind").unwrap().kind,
        AttributeKind::Choice(
            ["killed", "injured", "displaced", "missing", "detained"]
                .map(String::from)
                .to_vec()
        )
    );
    assert_eq!(
        schema
            .label("ACTOR")
            .unwrap()
            .attribute("side")
            .unwrap()
            .kind,
        AttributeKind::Text
    );
    assert_eq!(
        schema
            .label("DATE")
            .unwrap()
            .attribute("normalized")
            .unwrap()
            .kind,
        AttributeKind::Date
    );
}

mod in_a_project {
    use super::*;
    use tawsim::model::{CharRange, Origin};
    use tawsim::store::{LabelUse, NewDocument, Store, StoreError};

    const TEXT: &str = "قصف على إدلب وحماة، ومقتل 19 مدنياً.";

    fn chars(needle: &str) -> CharRange {
        let hay: Vec<char> = TEXT.chars().collect();
        let pat: Vec<char> = needle.chars().collect();
        let start = (0..=hay.len() - pat.len())
            .find(|&i| hay[i..i + pat.len()] == pat[..])
            .unwrap();
        CharRange::new(start, start + pat.len()).unwrap()
    }

    fn project(dir: &tempfile::TempDir) -> (std::path::PathBuf, Store, i64, i64) {
        let path = dir.path().join("p.tawsim");
        let mut store = Store::open(&path).unwrap();
        let layla = store.annotator_id("ليلى").unwrap();
        let doc = store
            .import_document(
                &NewDocument {
                    title: "قصف".into(),
                    text: TEXT.into(),
                    source: "test".into(),
                    meta: serde_json::json!({}),
                },
                None,
            )
            .unwrap()
            .id();
        (path, store, layla, doc)
    }

    #[test]
    fn a_new_project_stores_the_bundled_schema_and_spans_record_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, layla, doc) = project(&dir);
        assert_eq!(store.current_schema_version().unwrap(), Some(1));
        assert_eq!(store.current_schema().unwrap(), Schema::default_schema());
        let versions = store.schema_versions().unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].source, "assets/schema.ron (bundled)");
        let span = store
            .add_span(doc, layla, chars("إدلب"), "PLACE", Origin::Manual)
            .unwrap();
        assert_eq!(span.schema_version, Some(1));
        // Opening again stores nothing new.
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_versions().unwrap().len(), 1);
    }

    #[test]
    fn switching_refuses_a_schema_that_drops_labels_in_use_and_lists_counts() {
        let dir = tempfile::tempdir().unwrap();
        let (_path, mut store, layla, doc) = project(&dir);
        for (needle, label) in [
            ("إدلب", "PLACE"),
            ("حماة", "PLACE"),
            ("19 مدنياً", "CASUALTY"),
            ("قصف", "ACTOR"),
        ] {
            store
                .add_span(doc, layla, chars(needle), label, Origin::Manual)
                .unwrap();
        }
        // A deleted ACTOR span does not hold its label.
        let actor = store.spans(doc).unwrap()[0].clone();
        assert_eq!(actor.label, "ACTOR");
        store
            .apply(&tawsim::model::Change::Delete { span: actor.id }, layla)
            .unwrap();

        let dir2 = tempfile::tempdir().unwrap();
        let file = dir2.path().join("places-only.ron");
        std::fs::write(&file, GOOD).unwrap(); // PLACE and ACTOR, no CASUALTY
        let narrow = Schema::load(&file).unwrap();
        let source = file.display().to_string();
        let err = store
            .switch_schema(&narrow, &source, Some(layla))
            .unwrap_err();
        let StoreError::LabelsInUse { uses, .. } = &err else {
            panic!("expected LabelsInUse, got {err:?}")
        };
        assert_eq!(
            uses,
            &vec![LabelUse {
                label: "CASUALTY".into(),
                spans: 1
            }]
        );
        let message = err.to_string();
        assert!(message.contains("CASUALTY (1 span)"), "{message}");
        assert!(message.ends_with(&source), "{message}");
        assert_eq!(store.current_schema_version().unwrap(), Some(1));

        // Drop PLACE as well: both are listed, most used first.
        let only_actor = GOOD.replace(
            "        (name: \"PLACE\", arabic: \"مكان\", color: \"#3b82c4\", hotkey: \"2\"),\n",
            "",
        );
        let only_actor = Schema::parse(&only_actor, "actor.ron").unwrap();
        assert_eq!(
            LabelUse::list(&store.labels_missing_from(&only_actor).unwrap()),
            "PLACE (2 spans), CASUALTY (1 span)"
        );

        // A schema keeping every used label is stored as version 2 and used from then on.
        let wider = Schema::default_schema()
            .ron()
            .replace("name: \"tawsim-news\"", "name: \"tawsim-news-2\"");
        let wider = Schema::parse(&wider, "wider.ron").unwrap();
        assert_eq!(
            store
                .switch_schema(&wider, "wider.ron", Some(layla))
                .unwrap(),
            2
        );
        assert_eq!(store.current_schema().unwrap().name, "tawsim-news-2");
        // The same text again is not a new version.
        assert_eq!(
            store
                .switch_schema(&wider, "wider.ron", Some(layla))
                .unwrap(),
            2
        );
        let span = store
            .add_span(doc, layla, chars("مدنياً"), "CASUALTY", Origin::Manual)
            .unwrap();
        assert_eq!(span.schema_version, Some(2));
    }
}
