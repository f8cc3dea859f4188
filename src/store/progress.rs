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
    /// (annotator name, documents done, documents in progress).
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
                "SELECT a.name,
                        count(CASE WHEN s.status = 'done' THEN 1 END),
                        count(CASE WHEN s.status = 'in_progress' THEN 1 END)
                 FROM annotators a LEFT JOIN document_status s ON s.annotator_id = a.id
                 GROUP BY a.id ORDER BY a.name",
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
                "SELECT l.name, s.label, count(*) FROM spans s JOIN layers l ON l.id = s.layer_id
                 WHERE s.deleted_at IS NULL GROUP BY l.id, s.label ORDER BY l.id, s.label",
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
        assert_eq!(p.per_annotator, [("layla".to_owned(), 0, 0)]);
    }
}
