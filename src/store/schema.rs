//! The label schema stored in the project: which RON schema is in force, and
//! switching to another one without stranding spans.
//!
//! Every project holds at least one schema version: [`Store::open`] and
//! [`Store::open_in_memory`] store the bundled default (`assets/schema.ron`)
//! the first time they open a project that has none, which covers new
//! projects and projects migrated from version 1 alike, and every program
//! that opens a project (the app, the command line) sees the same schema.
//! The current schema is the row with the highest `version`; versions count
//! up from 1 in this project and are unrelated to the `version` field inside
//! the RON file. A span records the project version it was made with
//! (`spans.schema_version`). The RON text is stored exactly as given, so the
//! schema that was in force can always be read back.
//!
//! This module parses the stored RON with [`Schema::parse`]; it never edits a
//! stored version and never changes spans (switching refuses rather than
//! relabelling anything).

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::{During, Store, StoreError, now, sha256_hex, to_usize, write_audit};
use crate::model::AnnotatorId;
use crate::schema::Schema;

/// `schemas.source` of the bundled default stored in a new project.
pub const BUNDLED_SOURCE: &str = "assets/schema.ron (bundled)";

/// One stored version of the project's label schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    /// Project-local version, 1 for the first schema stored.
    pub version: i64,
    /// The schema's `name` from its RON file.
    pub name: String,
    /// Lowercase hex SHA-256 of the RON text.
    pub sha256: String,
    /// Where it came from: a file path as given, or [`BUNDLED_SOURCE`].
    pub source: String,
    pub created_at: String,
}

/// A label that live spans use, with how many of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelUse {
    pub label: String,
    /// Live (not deleted) spans with this label, in all layers.
    pub spans: usize,
}

impl LabelUse {
    /// `ACTOR (3 spans), PLACE (1 span)`, for messages.
    pub fn list(uses: &[LabelUse]) -> String {
        uses.iter()
            .map(|u| {
                let noun = if u.spans == 1 { "span" } else { "spans" };
                format!("{} ({} {noun})", u.label, u.spans)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Store {
    /// Store the bundled default schema if the project holds none yet.
    pub(super) fn ensure_default_schema(&mut self) -> Result<(), StoreError> {
        self.ensure_schema(&Schema::default_schema(), BUNDLED_SOURCE)
            .map(|_| ())
    }

    /// Store `schema` as version 1 if the project holds no schema yet, with
    /// an audit row `schema.switch` (actor: the system). Returns the current
    /// version, new or existing; an existing schema is left alone.
    pub fn ensure_schema(&mut self, schema: &Schema, source: &str) -> Result<i64, StoreError> {
        if let Some(version) = self.current_schema_version()? {
            return Ok(version);
        }
        let tx = self.begin("store the label schema")?;
        // Another program may have stored one since the check above.
        if let Some(version) = current_version(&tx)? {
            return Ok(version);
        }
        let version = insert_schema(&tx, schema, source, None, None)?;
        tx.commit().during("save the label schema")?;
        Ok(version)
    }

    /// The project version of the schema in force, `None` if none is stored.
    pub fn current_schema_version(&self) -> Result<Option<i64>, StoreError> {
        current_version(&self.conn)
    }

    /// The schema in force, parsed from its stored RON text.
    pub fn current_schema(&self) -> Result<Schema, StoreError> {
        current_schema(&self.conn).map(|(_, schema)| schema)
    }

    /// Every stored schema version, oldest first.
    pub fn schema_versions(&self) -> Result<Vec<StoredSchema>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT version, name, sha256, source, created_at FROM schemas ORDER BY version",
            )
            .during("list label schemas")?;
        let rows = stmt
            .query_map([], |row| {
                Ok(StoredSchema {
                    version: row.get(0)?,
                    name: row.get(1)?,
                    sha256: row.get(2)?,
                    source: row.get(3)?,
                    created_at: row.get(4)?,
                })
            })
            .during("list label schemas")?;
        rows.collect::<Result<_, _>>().during("list label schemas")
    }

    /// Labels that live spans (any layer) use but `schema` does not define,
    /// most used first. Empty when switching to `schema` strands no span.
    pub fn labels_missing_from(&self, schema: &Schema) -> Result<Vec<LabelUse>, StoreError> {
        labels_missing_from(&self.conn, schema)
    }

    /// Make `schema` the project's schema: a new version (audit row
    /// `schema.switch`) that spans made from now on record. `source` says where
    /// it came from (the file path). Refuses, writing nothing, when live spans
    /// use a label `schema` lacks ([`StoreError::LabelsInUse`] lists them with
    /// their counts). Switching to the RON text already in force changes
    /// nothing. Returns the version in force afterwards.
    ///
    /// Attribute values already on spans are kept as they are, also where the
    /// new schema defines an attribute differently; the side panel shows a
    /// value that no longer fits, and it is checked when it is next edited.
    pub fn switch_schema(
        &mut self,
        schema: &Schema,
        source: &str,
        actor: Option<AnnotatorId>,
    ) -> Result<i64, StoreError> {
        let tx = self.begin("switch the label schema")?;
        if let Some(actor) = actor {
            super::ensure_annotator(&tx, actor)?;
        }
        let current: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT version, name, sha256 FROM schemas ORDER BY version DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .during("read the label schema")?;
        if let Some((version, _, sha256)) = &current
            && *sha256 == sha256_hex(schema.ron().as_bytes())
        {
            return Ok(*version);
        }
        let uses = labels_missing_from(&tx, schema)?;
        if !uses.is_empty() {
            return Err(StoreError::LabelsInUse {
                name: schema.name.clone(),
                origin: source.to_owned(),
                uses,
            });
        }
        let before = current.map(
            |(version, name, sha256)| json!({ "version": version, "name": name, "sha256": sha256 }),
        );
        let version = insert_schema(&tx, schema, source, actor, before)?;
        tx.commit().during("save the label schema")?;
        Ok(version)
    }
}

/// The version in force and its schema, parsed from the stored RON text.
pub(super) fn current_schema(conn: &rusqlite::Connection) -> Result<(i64, Schema), StoreError> {
    let row: Option<(i64, String, String)> = conn
        .prepare_cached("SELECT version, ron, source FROM schemas ORDER BY version DESC LIMIT 1")
        .and_then(|mut stmt| {
            stmt.query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .optional()
        })
        .during("read the label schema")?;
    let Some((version, ron, source)) = row else {
        return Err(StoreError::Corrupt {
            what: "the project holds no label schema".into(),
        });
    };
    let origin = format!("the project's label schema version {version} (stored from {source})");
    let schema = Schema::parse(&ron, &origin).map_err(|source| StoreError::StoredSchema {
        version,
        source: Box::new(source),
    })?;
    Ok((version, schema))
}

fn current_version(conn: &rusqlite::Connection) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached("SELECT max(version) FROM schemas")
        .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
        .during("read the label schema version")
}

/// Insert `schema` as the next version with its audit row, inside the caller's transaction.
fn insert_schema(
    tx: &rusqlite::Connection,
    schema: &Schema,
    source: &str,
    actor: Option<AnnotatorId>,
    before: Option<serde_json::Value>,
) -> Result<i64, StoreError> {
    let at = now();
    let sha256 = sha256_hex(schema.ron().as_bytes());
    let version: i64 = tx
        .query_row(
            "INSERT INTO schemas (version, name, ron, sha256, source, created_at)
             VALUES ((SELECT coalesce(max(version), 0) + 1 FROM schemas), ?1, ?2, ?3, ?4, ?5)
             RETURNING version",
            params![schema.name, schema.ron(), sha256, source, at],
            |row| row.get(0),
        )
        .during("store the label schema")?;
    let labels: Vec<&str> = schema.labels().iter().map(|l| l.name.as_str()).collect();
    write_audit(
        tx,
        &at,
        actor,
        "schema.switch",
        None,
        None,
        &before.unwrap_or(serde_json::Value::Null),
        &json!({
            "version": version,
            "name": schema.name,
            "sha256": sha256,
            "source": source,
            "labels": labels,
        }),
    )?;
    Ok(version)
}

fn labels_missing_from(
    conn: &rusqlite::Connection,
    schema: &Schema,
) -> Result<Vec<LabelUse>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT label, count(*) FROM spans WHERE deleted_at IS NULL
             GROUP BY label ORDER BY count(*) DESC, label",
        )
        .during("count spans by label")?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .during("count spans by label")?;
    let mut out = Vec::new();
    for row in rows {
        let (label, count) = row.during("count spans by label")?;
        if schema.label(&label).is_none() {
            out.push(LabelUse {
                label,
                spans: to_usize(count, "span count")?,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{MIGRATION_1, migrate};
    use super::*;

    #[test]
    fn a_migrated_version_1_project_gets_the_bundled_schema_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.tawsim");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            migrate(&mut conn, Some(&path), &[MIGRATION_1]).unwrap();
            conn.execute_batch(
                "INSERT INTO annotators (name, created_at) VALUES ('layla', '2025-01-01T00:00:00.000Z');
                 INSERT INTO documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES ('t', 'قصف على إدلب', printf('%064d', 0), 's', '{}', 'rtl', 12, '2025-01-01T00:00:00.000Z');
                 INSERT INTO spans (doc_id, annotator_id, start, \"end\", label, text, origin, created_at, updated_at)
                 VALUES (1, 1, 8, 12, 'PLACE', 'إدلب', 'manual', '2025-01-02T00:00:00.000Z', '2025-01-02T00:00:00.000Z');",
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.current_schema_version().unwrap(), Some(1));
        assert_eq!(store.current_schema().unwrap(), Schema::default_schema());
        // The old span was made before schemas were stored.
        assert_eq!(store.spans(1).unwrap()[0].schema_version, None);
        let layla = store.annotator_id("layla").unwrap();
        let range = crate::model::CharRange::new(0, 3).unwrap();
        let span = store
            .add_span(1, layla, range, "ACTOR", crate::model::Origin::Manual)
            .unwrap();
        assert_eq!(span.schema_version, Some(1));
        // One `schema.switch` row by the system, naming the labels.
        let (count, actor, after): (i64, Option<i64>, String) = store
            .conn
            .query_row(
                "SELECT count(*), actor, after FROM audit WHERE action = 'schema.switch'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((count, actor), (1, None));
        let after: serde_json::Value = serde_json::from_str(&after).unwrap();
        assert_eq!(
            after["labels"],
            json!(["CASUALTY", "PLACE", "DATE", "ACTOR"])
        );
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_versions().unwrap().len(), 1);
    }

    #[test]
    fn a_stored_schema_that_no_longer_parses_is_reported_with_its_version() {
        let store = Store::open_in_memory().unwrap();
        // Simulate a schema stored by a build that knew another attribute kind.
        store
            .conn
            .execute(
                "UPDATE schemas SET ron = replace(ron, 'kind: Integer', 'kind: Float')",
                [],
            )
            .unwrap();
        let err = store.current_schema().unwrap_err();
        assert!(
            matches!(err, StoreError::StoredSchema { version: 1, .. }),
            "{err}"
        );
        let chain = format!("{:#}", anyhow::Error::from(err));
        assert!(chain.contains("Float"), "{chain}");
        assert!(chain.contains("version 1"), "{chain}");
    }
}
