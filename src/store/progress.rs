//! Project progress for the dashboard: documents done per annotator, live
//! spans per label and layer, and work per day from the audit log.
//!
//! "Work" on a day is the number of audit events of span and document edits
//! an annotator made that day (UTC): tagging, relabelling, deleting, copying,
//! gold decisions, status changes. Imports are not work.

use rusqlite::params;

use super::{During, Store, StoreError, to_usize};

/// Figures for the progress dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub documents: usize,
    /// (annotator name, documents done, documents in progress), with the
    /// statuses the document list shows.
    pub per_annotator: Vec<(String, usize, usize)>,
    /// (layer name, label, live spans).
    pub spans: Vec<(String, String, usize)>,
    /// (day `YYYY-MM-DD`, annotator name, actions).
    pub per_day: Vec<(String, String, usize)>,
}

impl Store {
    /// Progress of the whole project; `days` limits work per day to the most
    /// recent days with any work.
    pub fn progress(&self, days: usize) -> Result<Progress, StoreError> {
        let documents: i64 = self
            .conn
            .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
            .during("count documents")?;
        let mut progress = Progress {
            documents: to_usize(documents, "document count")?,
            ..Progress::default()
        };
        let mut stmt = self
            .conn
            .prepare(
                // Status as the document list has it (see `browse`): a
                // status row, or else in progress when the annotator's own
                // layer has a live span in the document. The covering
                // index of live spans (`main.` with the visibility filter
                // written out, as a view takes no `INDEXED BY`): the
                // planner would otherwise read every span row of the layer.
                "SELECT a.name,
                        (SELECT count(*) FROM document_status ds
                         WHERE ds.annotator_id = a.id AND ds.status = 'done'),
                        (SELECT count(*) FROM document_status ds
                         WHERE ds.annotator_id = a.id AND ds.status = 'in_progress')
                        + (SELECT count(DISTINCT s.doc_id)
                           FROM layers l
                           JOIN main.spans s INDEXED BY spans_live_by_layer_doc
                             ON s.layer_id = l.id
                           WHERE l.kind = 'annotator' AND l.annotator_id = a.id
                             AND s.deleted_at IS NULL
                             AND (s.import_id IS NULL OR s.import_id NOT IN
                                  (SELECT id FROM main.imports
                                   WHERE state IN ('running', 'abandoned')))
                             AND NOT EXISTS (SELECT 1 FROM document_status ds
                                             WHERE ds.doc_id = s.doc_id
                                               AND ds.annotator_id = a.id))
                 FROM annotators a ORDER BY a.name",
            )
            .during("read progress")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .during("read progress")?;
        for row in rows {
            let (name, done, doing) = row.during("read progress")?;
            progress.per_annotator.push((
                name,
                to_usize(done, "done count")?,
                to_usize(doing, "in-progress count")?,
            ));
        }
        let mut stmt = self
            .conn
            .prepare(
                // The triggers' tally (schema 4), summed over visible
                // imports: the same as counting live spans of the `spans`
                // view, without reading them.
                "SELECT l.name, c.label, sum(c.live) FROM main.span_counts c
                 JOIN layers l ON l.id = c.layer_id
                 WHERE c.import_id = 0 OR c.import_id NOT IN
                       (SELECT id FROM main.imports WHERE state IN ('running', 'abandoned'))
                 GROUP BY l.id, c.label HAVING sum(c.live) > 0 ORDER BY l.id, c.label",
            )
            .during("count spans per label")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .during("count spans per label")?;
        for row in rows {
            let (layer, label, n) = row.during("count spans per label")?;
            progress
                .spans
                .push((layer, label, to_usize(n, "span count")?));
        }
        let mut stmt = self
            .conn
            .prepare(
                "WITH days AS (
                     SELECT DISTINCT substr(at, 1, 10) AS day FROM audit
                     WHERE actor IS NOT NULL AND action NOT IN ('document.import', 'annotator.create', 'layer.create')
                     ORDER BY day DESC LIMIT ?1)
                 SELECT substr(e.at, 1, 10) AS day, a.name, count(*)
                 FROM audit e JOIN annotators a ON a.id = e.actor
                 WHERE substr(e.at, 1, 10) IN (SELECT day FROM days)
                   AND e.actor IS NOT NULL
                   AND e.action NOT IN ('document.import', 'annotator.create', 'layer.create')
                 GROUP BY day, a.id ORDER BY day, a.name",
            )
            .during("count work per day")?;
        let rows = stmt
            .query_map(params![days as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .during("count work per day")?;
        for row in rows {
            let (day, name, n) = row.during("count work per day")?;
            progress
                .per_day
                .push((day, name, to_usize(n, "action count")?));
        }
        Ok(progress)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{CharRange, Origin};
    use crate::store::{NewDocument, Store};

    #[test]
    fn progress_counts_spans_per_label_and_todays_work() {
        let mut store = Store::open_in_memory().unwrap();
        let doc = store
            .import_document(
                &NewDocument {
                    title: "t".into(),
                    text: "قصفت قوات الأسد مدينة إدلب".into(),
                    source: "test".into(),
                    meta: serde_json::json!({}),
                },
                None,
            )
            .unwrap()
            .id();
        let layla = store.annotator_id("layla").unwrap();
        for (s, e, l) in [(22, 26, "PLACE"), (5, 15, "ACTOR"), (0, 4, "PLACE")] {
            store
                .add_span(doc, layla, CharRange::new(s, e).unwrap(), l, Origin::Manual)
                .unwrap();
        }
        let p = store.progress(30).unwrap();
        assert_eq!(p.documents, 1);
        assert_eq!(
            p.spans,
            [
                ("layla".to_owned(), "ACTOR".to_owned(), 1),
                ("layla".to_owned(), "PLACE".to_owned(), 2)
            ]
        );
        assert_eq!(p.per_day.len(), 1);
        assert_eq!(p.per_day[0].1, "layla");
        assert_eq!(p.per_day[0].2, 3);
        // Spans and no status row: in progress, as the document list says.
        assert_eq!(p.per_annotator, [("layla".to_owned(), 0, 1)]);
    }

    /// Done and in-progress counts per annotator equal the document list's
    /// counts with those status filters, whatever mix of status rows, live
    /// and deleted spans the documents have.
    #[test]
    fn per_annotator_counts_agree_with_the_document_list() {
        use crate::model::Change;
        use crate::store::{DocQuery, Status};
        let mut store = Store::open_in_memory().unwrap();
        let docs: Vec<_> = (0..8)
            .map(|i| {
                store
                    .import_document(
                        &NewDocument {
                            title: format!("{i}"),
                            text: format!("قصفت قوات الأسد مدينة إدلب {i}"),
                            source: "test".into(),
                            meta: serde_json::json!({}),
                        },
                        None,
                    )
                    .unwrap()
                    .id()
            })
            .collect();
        let layla = store.annotator_id("layla").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        let place = CharRange::new(22, 26).unwrap();
        let tag = |store: &mut Store, doc, who| {
            store
                .add_span(doc, who, place, "PLACE", Origin::Manual)
                .unwrap()
        };
        tag(&mut store, docs[0], layla);
        tag(&mut store, docs[1], layla);
        tag(&mut store, docs[1], omar);
        let gone = tag(&mut store, docs[2], layla);
        store
            .apply(&Change::Delete { span: gone.id }, layla)
            .unwrap();
        tag(&mut store, docs[3], layla);
        store.set_status(docs[3], layla, Status::Done).unwrap();
        store
            .set_status(docs[4], layla, Status::InProgress)
            .unwrap();
        store.set_status(docs[5], omar, Status::Done).unwrap();
        store.set_status(docs[6], layla, Status::Skipped).unwrap();
        let p = store.progress(30).unwrap();
        for (name, id) in [("layla", layla), ("omar", omar)] {
            let count = |status| {
                store
                    .document_count(&DocQuery {
                        annotator: Some(id),
                        status: Some(status),
                        ..DocQuery::default()
                    })
                    .unwrap()
            };
            let row = p.per_annotator.iter().find(|r| r.0 == name).unwrap();
            assert_eq!(
                (row.1, row.2),
                (count(Status::Done), count(Status::InProgress))
            );
        }
        assert_eq!(
            p.per_annotator,
            [("layla".to_owned(), 1, 3), ("omar".to_owned(), 1, 1)]
        );
    }

    /// The span counts of `progress` (kept by triggers) equal a count of the
    /// live spans the `spans` view shows, after adds, relabels, deletes and
    /// restores, while an import is hidden, after it is abandoned and after
    /// another one commits.
    #[test]
    fn span_counts_follow_every_change_and_hide_uncommitted_imports() {
        use crate::model::{Attrs, Change};
        use crate::store::import::{ImportOrigin, ImportRecord, ImportReport, ImportSpan};
        let mut store = Store::open_in_memory().unwrap();
        let text = "قصفت قوات الأسد مدينة إدلب";
        let doc = store
            .import_document(
                &NewDocument {
                    title: "t".into(),
                    text: text.into(),
                    source: "test".into(),
                    meta: serde_json::json!({}),
                },
                None,
            )
            .unwrap()
            .id();
        let layla = store.annotator_id("layla").unwrap();
        let direct = |store: &Store| -> Vec<(String, String, usize)> {
            let mut stmt = store
                .conn
                .prepare(
                    "SELECT l.name, s.label, count(*) FROM spans s JOIN layers l ON l.id = s.layer_id
                     WHERE s.deleted_at IS NULL GROUP BY l.id, s.label ORDER BY l.id, s.label",
                )
                .unwrap();
            stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as usize))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        };
        let check = |store: &Store, expected: &[(&str, &str, usize)]| {
            let counts = store.progress(30).unwrap().spans;
            assert_eq!(counts, direct(store));
            let expected: Vec<_> = expected
                .iter()
                .map(|(l, b, n)| (l.to_string(), b.to_string(), *n))
                .collect();
            assert_eq!(counts, expected);
        };
        let mut ids = Vec::new();
        for (s, e, l) in [(22, 26, "PLACE"), (5, 15, "ACTOR"), (0, 4, "PLACE")] {
            ids.push(
                store
                    .add_span(doc, layla, CharRange::new(s, e).unwrap(), l, Origin::Manual)
                    .unwrap()
                    .id,
            );
        }
        check(&store, &[("layla", "ACTOR", 1), ("layla", "PLACE", 2)]);
        let relabel = Change::Relabel {
            span: ids[0],
            from: "PLACE".into(),
            to: "ACTOR".into(),
        };
        store.apply(&relabel, layla).unwrap();
        check(&store, &[("layla", "ACTOR", 2), ("layla", "PLACE", 1)]);
        store
            .apply(&Change::Delete { span: ids[2] }, layla)
            .unwrap();
        check(&store, &[("layla", "ACTOR", 2)]);
        store
            .apply(&Change::Restore { span: ids[2] }, layla)
            .unwrap();
        store
            .apply(&Change::Delete { span: ids[1] }, layla)
            .unwrap();
        check(&store, &[("layla", "ACTOR", 1), ("layla", "PLACE", 1)]);

        let record = |label: &str| ImportRecord {
            doc: NewDocument {
                title: "u".into(),
                text: format!("{text} {label}"),
                source: "test".into(),
                meta: serde_json::json!({}),
            },
            spans: vec![ImportSpan {
                start: 22,
                end: 26,
                label: label.into(),
                text: None,
                score: None,
                model: None,
                attrs: Attrs::new(),
                note: String::new(),
                field: "spans[0]".into(),
                provenance: None,
            }],
            layer: "model".into(),
            file: "m.jsonl".into(),
            line: 1,
        };
        let mut run = store
            .begin_import(layla, ImportOrigin::Library, "m.jsonl")
            .unwrap();
        store
            .import_batch(&mut run, &[record("DATE"), record("PLACE")], &mut |_| true)
            .unwrap();
        // Running: hidden.
        check(&store, &[("layla", "ACTOR", 1), ("layla", "PLACE", 1)]);
        store.abandon_import(run).unwrap();
        check(&store, &[("layla", "ACTOR", 1), ("layla", "PLACE", 1)]);
        let mut run = store
            .begin_import(layla, ImportOrigin::Library, "m.jsonl")
            .unwrap();
        store
            .import_batch(&mut run, &[record("DATE"), record("PLACE")], &mut |_| true)
            .unwrap();
        store.finish_import(run, ImportReport::default()).unwrap();
        check(
            &store,
            &[
                ("layla", "ACTOR", 1),
                ("layla", "PLACE", 1),
                ("model", "DATE", 1),
                ("model", "PLACE", 1),
            ],
        );
    }
}
