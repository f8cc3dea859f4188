//! Work packages: a project file for one annotator's laptop, holding the
//! label schemas and the documents assigned to them, and nothing of other
//! annotators' work. The finished file comes back through
//! [`Store::merge`](super::merge).
//!
//! ## What a pack holds
//!
//! | | |
//! |---|---|
//! | schemas | every version of the project, as they are |
//! | documents | the visible documents with a live assignment to the annotator, with their notes and directions |
//! | annotators | the annotator (same uid, so their work merges back as theirs) and the people who imported the machine layers' spans |
//! | layers | the annotator's own layer and every imported (machine) layer; not gold, not other annotators' layers |
//! | spans | of those layers on those documents (pre-annotations to accept or reject, and what the annotator already did) |
//! | statuses, rejections, assignments | the annotator's own on those documents |
//! | audit | the documents' `document.import` and `span.import` events and the annotator's own events on them |
//! | project settings | all (e.g. blind annotation) |
//!
//! Rows keep the ids and uids they have in the project, so merging the
//! pack back adds only what the annotator did. The pack is written in one
//! transaction on the new file (the project itself is only read, so nobody
//! working in it waits); on any error the new file is removed.

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::{During, Store, StoreError};
use crate::model::AnnotatorId;

/// What went into a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackReport {
    pub path: PathBuf,
    pub annotator: String,
    pub documents: usize,
    pub spans: usize,
    pub layers: Vec<String>,
}

impl std::fmt::Display for PackReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "packed {} documents for {} into {} ({} spans in layers {}); open it in tawsim as {} and merge it back with `tawsim merge`",
            self.documents,
            self.annotator,
            self.path.display(),
            self.spans,
            self.layers.join(", "),
            self.annotator,
        )
    }
}

/// Why a pack could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{} exists already; choose a new file name for the pack", path.display())]
    Exists { path: PathBuf },
    #[error(
        "{name} has no documents assigned; assign some first (tawsim assign --annotators {name} …)"
    )]
    NothingAssigned { name: String },
    #[error("this project lives in memory; save it to a file first")]
    InMemory,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Write `out`, a new project file for `annotator` (see the module
    /// documentation).
    pub fn pack(&mut self, annotator: AnnotatorId, out: &Path) -> Result<PackReport, PackError> {
        if self.path.is_none() {
            return Err(PackError::InMemory);
        }
        if out.exists() {
            return Err(PackError::Exists {
                path: out.to_path_buf(),
            });
        }
        let name: String = self
            .conn
            .query_row(
                "SELECT name FROM annotators WHERE id = ?1",
                [annotator],
                |r| r.get(0),
            )
            .during("look up an annotator")?;
        let assigned = self.assigned_documents(annotator)?;
        if assigned.is_empty() {
            return Err(PackError::NothingAssigned { name });
        }
        // A fresh project file, then filled from this one.
        drop(Store::open(out)?);
        let result = self.fill_pack(annotator, out);
        let _ = self.conn.execute_batch("DETACH DATABASE pack");
        match result {
            Ok((documents, spans, layers)) => Ok(PackReport {
                path: out.to_path_buf(),
                annotator: name,
                documents,
                spans,
                layers,
            }),
            Err(e) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = out.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
                Err(e.into())
            }
        }
    }

    fn fill_pack(
        &mut self,
        annotator: AnnotatorId,
        out: &Path,
    ) -> Result<(usize, usize, Vec<String>), StoreError> {
        let out_str = out.to_string_lossy().into_owned();
        self.conn
            .execute("ATTACH DATABASE ?1 AS pack", [out_str])
            .during("open the pack")?;
        // Deferred: the first write locks the pack file only; this project
        // is only read.
        let tx = self.conn.transaction().during("write the pack")?;
        tx.execute_batch(
            "CREATE TEMP TABLE pack_docs (id INTEGER PRIMARY KEY);
             CREATE TEMP TABLE pack_layers (id INTEGER PRIMARY KEY);",
        )
        .during("write the pack")?;
        tx.execute(
            "INSERT INTO temp.pack_docs (id)
             SELECT x.doc_id FROM main.assignments x JOIN documents d ON d.id = x.doc_id
             WHERE x.annotator_id = ?1 AND x.removed = 0",
            [annotator],
        )
        .during("choose the documents to pack")?;
        tx.execute(
            "INSERT INTO temp.pack_layers (id)
             SELECT id FROM layers WHERE kind = 'imported' OR annotator_id = ?1",
            [annotator],
        )
        .during("choose the layers to pack")?;
        let steps: [(&str, &str); 13] = [
            ("DELETE FROM pack.schemas", "copy the schemas"),
            (
                "INSERT INTO pack.schemas SELECT * FROM main.schemas",
                "copy the schemas",
            ),
            (
                "INSERT INTO pack.annotators (id, name, created_at, uid, given_name)
                 SELECT id, name, created_at, uid, given_name FROM main.annotators
                 WHERE id = ?1 OR id IN (
                     SELECT s.annotator_id FROM spans s
                     WHERE s.doc_id IN (SELECT id FROM temp.pack_docs)
                       AND s.layer_id IN (SELECT id FROM temp.pack_layers))",
                "copy the annotators",
            ),
            (
                "INSERT INTO pack.layers (id, name, kind, annotator_id, created_at, uid)
                 SELECT id, name, kind, annotator_id, created_at, uid FROM layers
                 WHERE id IN (SELECT id FROM temp.pack_layers) AND ?1 = ?1",
                "copy the layers",
            ),
            (
                "INSERT INTO pack.documents (id, title, text, sha256, source, meta, direction, char_len,
                     imported_at, note, changed_at)
                 SELECT id, title, text, sha256, source, meta, direction, char_len, imported_at, note,
                     changed_at
                 FROM documents WHERE id IN (SELECT id FROM temp.pack_docs) AND ?1 = ?1",
                "copy the documents",
            ),
            (
                "INSERT INTO pack.search_queue (doc_id) SELECT id FROM temp.pack_docs WHERE ?1 = ?1",
                "copy the documents",
            ),
            (
                "INSERT INTO pack.spans (id, uid, doc_id, annotator_id, layer_id, start, \"end\", label,
                     text, origin, created_at, updated_at, deleted_at, attrs, note, score, model,
                     schema_version, source_span_id)
                 SELECT s.id, s.uid, s.doc_id, s.annotator_id, s.layer_id, s.start, s.\"end\", s.label,
                     s.text, s.origin, s.created_at, s.updated_at, s.deleted_at, s.attrs, s.note,
                     s.score, s.model, s.schema_version,
                     CASE WHEN s.source_span_id IN (
                         SELECT o.id FROM spans o WHERE o.doc_id = s.doc_id
                           AND o.layer_id IN (SELECT id FROM temp.pack_layers))
                       THEN s.source_span_id END
                 FROM spans s
                 WHERE s.doc_id IN (SELECT id FROM temp.pack_docs)
                   AND s.layer_id IN (SELECT id FROM temp.pack_layers) AND ?1 = ?1
                 ORDER BY s.id",
                "copy the spans",
            ),
            (
                "INSERT INTO pack.document_status SELECT * FROM main.document_status
                 WHERE annotator_id = ?1 AND doc_id IN (SELECT id FROM temp.pack_docs)",
                "copy the statuses",
            ),
            (
                "INSERT INTO pack.span_marks SELECT m.* FROM main.span_marks m
                 WHERE m.annotator_id = ?1
                   AND m.span_id IN (SELECT id FROM pack.spans)",
                "copy the rejections",
            ),
            (
                "INSERT INTO pack.assignments SELECT * FROM main.assignments
                 WHERE annotator_id = ?1 AND doc_id IN (SELECT id FROM temp.pack_docs)",
                "copy the assignments",
            ),
            (
                "INSERT OR REPLACE INTO pack.project_settings SELECT * FROM main.project_settings
                 WHERE ?1 = ?1",
                "copy the project settings",
            ),
            (
                "INSERT INTO pack.audit (uid, at, actor, action, doc_id, span_id, before, after)
                 SELECT e.uid, e.at, e.actor, e.action, e.doc_id, e.span_id, e.before, e.after
                 FROM audit e
                 WHERE e.doc_id IN (SELECT id FROM temp.pack_docs)
                   AND (e.action IN ('document.import', 'span.import') OR e.actor = ?1)
                   AND (e.span_id IS NULL OR e.span_id IN (SELECT id FROM pack.spans))
                   AND (e.actor IS NULL OR e.actor IN (SELECT id FROM pack.annotators))
                 ORDER BY e.id",
                "copy the history",
            ),
            (
                "DROP TABLE temp.pack_docs; DROP TABLE temp.pack_layers",
                "write the pack",
            ),
        ];
        for (sql, what) in steps {
            if sql.starts_with("DROP") {
                tx.execute_batch(sql).during(what)?;
            } else if sql.contains("?1") {
                tx.execute(sql, params![annotator]).during(what)?;
            } else {
                tx.execute(sql, []).during(what)?;
            }
        }
        let documents: i64 = tx
            .query_row("SELECT count(*) FROM pack.documents", [], |r| r.get(0))
            .during("count the pack")?;
        let spans: i64 = tx
            .query_row(
                "SELECT count(*) FROM pack.spans WHERE deleted_at IS NULL",
                [],
                |r| r.get(0),
            )
            .during("count the pack")?;
        let layers: Vec<String> = {
            let mut stmt = tx
                .prepare("SELECT name FROM pack.layers ORDER BY id")
                .during("count the pack")?;
            stmt.query_map([], |r| r.get(0))
                .during("count the pack")?
                .collect::<Result<_, _>>()
                .during("count the pack")?
        };
        tx.commit().during("write the pack")?;
        Ok((documents as usize, spans as usize, layers))
    }
}
