//! The local side of the sync with a team server (the protocol is specified
//! in [`crate::sync`]): the link recorded in `sync_state` (schema 7), what to
//! push (the local audit events after the watermark and the current state
//! of the records they touch, translated to global ids and filtered by what
//! the person may write), and applying what a pull brings (translated to
//! local ids, by the rules of `store::resolve` that a merge uses), each
//! page in one short transaction that also moves its cursor.
//!
//! It must not talk to the server and decides nothing about when to sync.
//! Reads go through the visibility views, so rows of a running import are
//! never pushed; pushes stop below the first row of a running import.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Value, json};
use uuid::Uuid;

use super::import::{IMPORT_TX_BUDGET, IMPORT_YIELD};
use super::merge::free_name;
use super::resolve::{
    KeyEvent, Keyed, SpanState, apply_latest, key_events, merge_assignment, review_row, span_state,
    status_row, take_later_span_state,
};
use super::{
    During, JoinReport, Store, StoreError, Uid, document_with_sha256, now, search, sha256_hex,
};
use crate::model::AnnotatorId;
use crate::sync::records::{
    AssignmentRecord, DocumentRecord, EventRecord, LayerRecord, MarkRecord, NoteRecord, Outgoing,
    PersonRecord, ReviewRecord, Rights, SchemaRecord, SettingRecord, SpanRecord, StatusRecord,
};

/// Audit actions that never go up: the project's own bookkeeping. People
/// live on the server (`annotator.create`, `annotator.join`); an import's
/// and a merge's summary rows (`import`, `project.merge`) describe runs on
/// this machine, whose records go up with their own events.
pub const LOCAL_ACTIONS: [&str; 4] = [
    "annotator.create",
    "annotator.join",
    "import",
    "project.merge",
];

/// The project's link to a team server, as `sync_state` records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    /// The server URL, without a password.
    pub server: String,
    /// The person this project syncs as.
    pub person: Uuid,
    pub login: String,
    /// `annotator`, `reviewer` or `admin`, as of the last link or sync.
    pub role: String,
    pub linked_at: String,
    /// The pushed-audit watermark (a local audit id).
    pub pushed: i64,
    /// The `imports` row whose id marks audit rows pulled from the server.
    pub pull_import: i64,
}

/// What linking did to the local project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOutcome {
    /// The local name of the person's annotator.
    pub annotator: String,
    /// The project was linked to this person already.
    pub relinked: bool,
    /// People of the server who became annotators here.
    pub people_added: usize,
    /// An annotator of this project with the person's name, whose work
    /// became the person's.
    pub adopted: Option<JoinReport>,
}

/// What applying one page of pulled rows did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub added: usize,
    /// Rows here that took the server's later state.
    pub updated: usize,
    /// Rows already here as the server has them.
    pub present: usize,
    /// Rows that refer to something this project does not have (left out).
    pub skipped: usize,
    /// Statuses, reviews, rejections, notes and settings set from events.
    pub states: usize,
    /// Documents to fetch whole (see [`crate::sync`], "Rows that become
    /// visible later"): a new live assignment to me, my status `done`.
    pub refetch: BTreeSet<String>,
    /// Blind annotation was turned off: every assigned document is to be
    /// fetched whole.
    pub unblinded: bool,
}

impl Applied {
    fn add(&mut self, other: Applied) {
        self.added += other.added;
        self.updated += other.updated;
        self.present += other.present;
        self.skipped += other.skipped;
        self.states += other.states;
        self.refetch.extend(other.refetch);
        self.unblinded |= other.unblinded;
    }
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Applied) {
        self.add(other);
    }
}

fn state_value(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT value FROM sync_state WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
        .during("read the link to the team server")
}

fn set_state_value(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut s| s.execute(params![key, value]))
    .during("record the link to the team server")?;
    Ok(())
}

fn parse_uuid(text: &str, what: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt {
        what: format!("{what} is {text:?}, not a uid"),
    })
}

fn parse_i64(text: &str, what: &str) -> Result<i64, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        what: format!("{what} is {text:?}, not a number"),
    })
}

fn uid_of(uuid: Uuid) -> Uid {
    Uid(*uuid.as_bytes())
}

fn uuid_of(uid: Uid) -> Uuid {
    Uuid::from_bytes(uid.0)
}

/// `cursor.TABLE`, the key of a pull cursor.
fn cursor_key(table: &str) -> String {
    format!("cursor.{table}")
}

impl Store {
    /// The project's link to a team server; `None` when it has none.
    pub fn sync_link(&self) -> Result<Option<LinkState>, StoreError> {
        link_state(&self.conn)
    }

    /// How many of the linked person's own changes wait to go to the server:
    /// their audit rows after the pushed watermark (not pulled ones, not
    /// local bookkeeping such as `annotator.create`, see [`LOCAL_ACTIONS`]).
    /// 0 when the project is not linked. What the app's status bar shows as
    /// "N changes waiting".
    pub fn sync_waiting(&self) -> Result<u64, StoreError> {
        let Some(link) = self.sync_link()? else {
            return Ok(0);
        };
        let Some(me) = local_annotator(&self.conn, link.person)? else {
            return Ok(0);
        };
        let local = LOCAL_ACTIONS
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT count(*) FROM audit
             WHERE id > ?1 AND (import_id IS NULL OR import_id <> ?2)
               AND action NOT IN ({local})
               AND (actor = ?3 OR actor IN (SELECT id FROM annotators WHERE joined_into = ?3))"
        );
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row(params![link.pushed, link.pull_import, me], |r| {
                    r.get::<_, i64>(0)
                })
            })
            .map(|n| n.max(0) as u64)
            .during("count the changes waiting for the team server")
    }

    /// The local annotator the linked person works as, and its name here;
    /// `None` when the project is not linked.
    pub fn linked_annotator(&self) -> Result<Option<(AnnotatorId, String)>, StoreError> {
        let Some(link) = self.sync_link()? else {
            return Ok(None);
        };
        let Some(id) = local_annotator(&self.conn, link.person)? else {
            return Ok(None);
        };
        self.conn
            .prepare_cached("SELECT name FROM annotators WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get::<_, String>(0)).optional())
            .map(|name| name.map(|name| (id, name)))
            .during("look up the linked annotator")
    }

    /// The highest server `seq` of `table` applied here (0: none yet).
    pub fn sync_cursor(&self, table: &str) -> Result<i64, StoreError> {
        match state_value(&self.conn, &cursor_key(table))? {
            Some(v) => parse_i64(&v, &format!("sync_state {}", cursor_key(table))),
            None => Ok(0),
        }
    }

    /// Link this project to the server `server` (a URL without password)
    /// as person `me`, whom the server lists among `people`: make every
    /// person an annotator here (see [`Store::apply_people`]); when this
    /// project has an annotator with the person's name who is no person of
    /// the server, join them into the person (their work becomes the
    /// person's, see [`Store::join_annotators`]); record the link, keeping
    /// the watermark and cursors of an earlier link as the same person.
    /// Refuses a project linked as someone else.
    pub fn link_to_server(
        &mut self,
        server: &str,
        me: &PersonRecord,
        people: &[PersonRecord],
    ) -> Result<LinkOutcome, StoreError> {
        let existing = self.sync_link()?;
        if let Some(link) = &existing
            && link.person != me.uid
        {
            return Err(StoreError::LinkedElsewhere {
                server: link.server.clone(),
                login: link.login.clone(),
                wanted: format!("{server} as {}", me.login),
            });
        }
        let tx = self.begin("link the project to a team server")?;
        let mine: Option<AnnotatorId> = local_annotator(&tx, me.uid)?;
        let mut old = None;
        if mine.is_none() {
            // An annotator of this project called like the person, who is
            // not a person of the server: the person's work before linking.
            let server_uids: Vec<Uid> = people.iter().map(|p| uid_of(p.uid)).collect();
            for name in [&me.name, &me.login] {
                let found: Option<(AnnotatorId, Uid)> = tx
                    .query_row(
                        "SELECT id, uid FROM annotators WHERE name = ?1 AND joined_into IS NULL",
                        [name],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .during("look up an annotator")?;
                if let Some((id, uid)) = found
                    && !server_uids.contains(&uid)
                {
                    old = Some(id);
                    break;
                }
            }
            if let Some(old) = old {
                // Out of the way of the person's name; the join shows them as one.
                let base: String = tx
                    .query_row("SELECT name FROM annotators WHERE id = ?1", [old], |r| {
                        r.get(0)
                    })
                    .during("look up an annotator")?;
                let free = free_name(&tx, "annotators", &format!("{base} · local"))?;
                tx.execute(
                    "UPDATE annotators SET name = ?2 WHERE id = ?1",
                    params![old, free],
                )
                .during("rename an annotator")?;
                let free = free_name(&tx, "layers", &format!("{base} · local"))?;
                tx.execute(
                    "UPDATE main.layers SET name = ?2 WHERE annotator_id = ?1",
                    params![old, free],
                )
                .during("rename a layer")?;
            }
        }
        let mut people_added = ensure_people(&tx, people)?;
        if !people.iter().any(|p| p.uid == me.uid) {
            people_added += ensure_people(&tx, std::slice::from_ref(me))?;
        }
        let mine = local_annotator(&tx, me.uid)?.ok_or_else(|| StoreError::Corrupt {
            what: format!("the person {} has no annotator here", me.login),
        })?;
        tx.commit().during("link the project to a team server")?;
        let adopted = match old {
            Some(old) => Some(self.join_annotators(mine, old, None)?),
            None => None,
        };
        let tx = self.begin("link the project to a team server")?;
        set_state_value(&tx, "server", server)?;
        set_state_value(&tx, "person", &me.uid.to_string())?;
        set_state_value(&tx, "login", &me.login)?;
        set_state_value(&tx, "role", &me.role)?;
        if state_value(&tx, "linked_at")?.is_none() {
            set_state_value(&tx, "linked_at", &now())?;
        }
        if state_value(&tx, "pushed")?.is_none() {
            set_state_value(&tx, "pushed", "0")?;
        }
        if state_value(&tx, "pull_import")?.is_none() {
            let at = now();
            let id: i64 = tx
                .query_row(
                    "INSERT INTO main.imports (state, origin, source, actor, pid, host, started_at,
                                               heartbeat_at, finished_at)
                     VALUES ('committed', 'library', ?1, ?2, ?3, ?4, ?5, ?5, ?5) RETURNING id",
                    params![
                        format!("pulls from the team server {server}"),
                        mine,
                        i64::from(std::process::id()),
                        super::import::host_name(),
                        at
                    ],
                    |r| r.get(0),
                )
                .during("record the link to the team server")?;
            set_state_value(&tx, "pull_import", &id.to_string())?;
        }
        let annotator: String = tx
            .query_row("SELECT name FROM annotators WHERE id = ?1", [mine], |r| {
                r.get(0)
            })
            .during("look up an annotator")?;
        tx.commit().during("record the link to the team server")?;
        Ok(LinkOutcome {
            annotator,
            relinked: existing.is_some(),
            people_added,
            adopted,
        })
    }

    /// Record the person's role as the server now says.
    pub fn set_sync_role(&mut self, role: &str) -> Result<(), StoreError> {
        let tx = self.begin("record the link to the team server")?;
        set_state_value(&tx, "role", role)?;
        tx.commit().during("record the link to the team server")
    }

    /// Make every person of the server an annotator here, with their uid,
    /// and their annotator layer with the uid of theirs on the server (or,
    /// when they have none yet, their own uid: the layer their first push
    /// creates there). One transaction; returns how many were new.
    pub fn apply_people(&mut self, people: &[PersonRecord]) -> Result<usize, StoreError> {
        let tx = self.begin("bring in the people of the team server")?;
        let added = ensure_people(&tx, people)?;
        tx.commit()
            .during("bring in the people of the team server")?;
        Ok(added)
    }

    /// What the next push sends: the visible local audit rows after the
    /// watermark (at most `limit`, and none at or above the first row of a
    /// running or abandoned import), less those pulled from the server, and
    /// the current state of every record they touch, translated to global
    /// ids and filtered by `rights` (see [`crate::sync`], "Push"). `people`
    /// are the uids of the server's people: nothing naming anyone else goes
    /// up.
    pub fn outgoing(
        &mut self,
        rights: &Rights,
        people: &HashSet<Uuid>,
        limit: usize,
    ) -> Result<Outgoing, StoreError> {
        let link = self.sync_link()?.ok_or(StoreError::NotLinked)?;
        // One read transaction: a consistent view of the project.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .during("read what to push")?;
        local_annotator(&tx, rights.me)?.ok_or_else(|| StoreError::Corrupt {
            what: format!("the linked person {} has no annotator here", link.login),
        })?;
        let cap: i64 = tx
            .query_row(
                "SELECT coalesce(
                     (SELECT min(audit_floor) FROM main.imports WHERE state IN ('running', 'abandoned')),
                     (SELECT coalesce(max(id), 0) FROM main.audit))",
                [],
                |r| r.get(0),
            )
            .during("read what to push")?;
        let rows: Vec<AuditRow> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id, uid, at, actor, action, doc_id, span_id, before, after FROM audit
                     WHERE id > ?1 AND id <= ?2 AND (import_id IS NULL OR import_id <> ?3)
                     ORDER BY id LIMIT ?4",
                )
                .during("read what to push")?;
            let rows = stmt
                .query_map(
                    params![link.pushed, cap, link.pull_import, limit as i64],
                    AuditRow::read,
                )
                .during("read what to push")?;
            rows.collect::<Result<_, _>>().during("read what to push")?
        };
        let through = match rows.last() {
            Some(last) if rows.len() >= limit => last.id,
            _ => cap.max(link.pushed),
        };
        let mut out = Outgoing {
            through,
            read: rows.len(),
            ..Outgoing::default()
        };
        let mut ids = Globals::new(&tx);
        let mut docs: BTreeSet<i64> = BTreeSet::new();
        let mut spans: BTreeSet<i64> = BTreeSet::new();
        let mut imported_docs: BTreeSet<i64> = BTreeSet::new();
        let mut keyed: BTreeSet<Keyed> = BTreeSet::new();
        let mut pairs: BTreeSet<(i64, i64)> = BTreeSet::new();
        let mut layers: BTreeSet<i64> = BTreeSet::new();
        let mut schemas: BTreeSet<i64> = BTreeSet::new();
        let mut events = Vec::new();
        for row in &rows {
            let before: Value = serde_json::from_str(&row.before).unwrap_or(Value::Null);
            let after: Value = serde_json::from_str(&row.after).unwrap_or(Value::Null);
            spans.extend(row.span);
            if matches!(row.action.as_str(), "document.import" | "span.import")
                && let Some(doc) = row.doc
            {
                imported_docs.insert(doc);
                if row.action == "document.import" {
                    docs.insert(doc);
                }
            }
            keyed.extend(Keyed::of_event(
                &row.action,
                row.doc,
                row.span,
                row.actor,
                &after,
            ));
            match row.action.as_str() {
                "assignment.set" | "assignment.remove" => {
                    assignment_pairs(row.doc, &after, &mut pairs);
                }
                "layer.create" => layers.extend(after.get("id").and_then(Value::as_i64)),
                "schema.switch" => schemas.extend(after.get("version").and_then(Value::as_i64)),
                _ => {}
            }
            if LOCAL_ACTIONS.contains(&row.action.as_str()) {
                out.left_out += 1;
                continue;
            }
            let actor = match row.actor {
                Some(a) => ids.annotator(a)?,
                None => None,
            };
            let mine = match row.actor {
                Some(_) => actor == Some(rights.me),
                None => rights.admin,
            };
            if !mine {
                out.left_out += 1;
                continue;
            }
            events.push((row, before, after, actor));
        }
        // Spans: those the events name, and an import's spans of its
        // documents (an import writes no event per span).
        for doc in &imported_docs {
            let mut stmt = tx
                .prepare_cached("SELECT id FROM spans WHERE doc_id = ?1")
                .during("read what to push")?;
            let ids: Vec<i64> = stmt
                .query_map([doc], |r| r.get(0))
                .during("read what to push")?
                .collect::<Result<_, _>>()
                .during("read what to push")?;
            spans.extend(ids);
        }
        for span in spans {
            let Some((record, layer)) = push_span(&tx, &mut ids, span, rights, people)? else {
                continue;
            };
            layers.insert(layer);
            out.spans.push(record);
        }
        for layer in layers {
            if let Some(record) = push_layer(&tx, &mut ids, layer, rights)? {
                out.layers.push(record);
            }
        }
        for key in &keyed {
            push_state(&tx, &mut ids, key, rights, &mut out)?;
        }
        if rights.admin {
            for (doc, annotator) in pairs {
                if let Some(record) = push_assignment(&tx, &mut ids, doc, annotator, people)? {
                    out.assignments.push(record);
                }
            }
            for version in schemas {
                if let Some(record) = push_schema(&tx, version)? {
                    out.schemas.push(record);
                }
            }
            for doc in docs {
                if let Some(record) = push_document(&tx, doc)? {
                    out.documents.push(record);
                }
            }
        }
        for (row, mut before, mut after, actor) in events {
            globalize(&mut ids, &row.action, &mut before)?;
            globalize(&mut ids, &row.action, &mut after)?;
            let doc = match row.doc {
                Some(d) => ids.doc(d)?,
                None => None,
            };
            let span = match row.span {
                Some(s) => ids.span(s)?,
                None => None,
            };
            out.events.push(EventRecord {
                uid: uuid_of(row.uid),
                at: row.at.clone(),
                actor,
                action: row.action.clone(),
                doc,
                span,
                before,
                after,
            });
        }
        drop(ids);
        drop(tx);
        Ok(out)
    }

    /// Move the pushed-audit watermark to `through` (after the server
    /// committed what was read up to it; a test sets it back to replay a
    /// push).
    pub fn mark_pushed(&mut self, through: i64) -> Result<(), StoreError> {
        let tx = self.begin("record what was pushed")?;
        set_state_value(&tx, "pushed", &through.to_string())?;
        tx.commit().during("record what was pushed")
    }

    /// Which of these documents (by SHA-256) this project lacks.
    pub fn missing_documents(&self, shas: &[String]) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for sha in shas {
            if document_with_sha256(&self.conn, sha)?.is_none() {
                out.push(sha.clone());
            }
        }
        Ok(out)
    }

    /// These documents (by SHA-256) as they go up (those this project has).
    pub fn document_records(&self, shas: &[String]) -> Result<Vec<DocumentRecord>, StoreError> {
        let mut out = Vec::new();
        for sha in shas {
            if let Some(id) = document_with_sha256(&self.conn, sha)?
                && let Some(record) = push_document(&self.conn, id)?
            {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// The documents (by SHA-256) assigned to the linked person here.
    pub fn my_assigned_documents(&self, me: Uuid) -> Result<Vec<String>, StoreError> {
        let Some(me) = local_annotator(&self.conn, me)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT d.sha256 FROM assignments x JOIN documents d ON d.id = x.doc_id
                 WHERE x.annotator_id = ?1 AND x.removed = 0 ORDER BY d.sha256",
            )
            .during("read my assignments")?;
        let rows = stmt
            .query_map([me], |r| r.get(0))
            .during("read my assignments")?;
        rows.collect::<Result<_, _>>().during("read my assignments")
    }

    /// Apply pulled label schemas: a missing one becomes the newest version
    /// (in the order given).
    pub fn apply_schemas(
        &mut self,
        rows: &[(i64, SchemaRecord)],
        move_cursor: bool,
    ) -> Result<Applied, StoreError> {
        self.apply_rows(
            "schemas",
            rows,
            move_cursor,
            |tx, row, applied, _: &mut ()| {
                let here: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM schemas WHERE sha256 = ?1)",
                        [&row.sha256],
                        |r| r.get(0),
                    )
                    .during("look for a label schema")?;
                if here {
                    applied.present += 1;
                    return Ok(());
                }
                if sha256_hex(row.ron.as_bytes()) != row.sha256 {
                    applied.skipped += 1;
                    return Ok(());
                }
                tx.execute(
                    "INSERT INTO schemas (version, name, ron, sha256, source, created_at)
                     VALUES ((SELECT coalesce(max(version), 0) + 1 FROM schemas), ?1, ?2, ?3, ?4, ?5)",
                    params![row.name, row.ron, row.sha256, row.source, row.created_at],
                )
                .during("store a label schema")?;
                applied.added += 1;
                Ok(())
            },
            |_, (), _| Ok(()),
        )
    }

    /// Apply pulled layers: matched by uid, an annotator layer also by its
    /// owner; a new one is added (its name made free here).
    pub fn apply_layers(
        &mut self,
        rows: &[(i64, LayerRecord)],
        move_cursor: bool,
    ) -> Result<Applied, StoreError> {
        self.apply_rows(
            "layers",
            rows,
            move_cursor,
            |tx, row, applied, _: &mut ()| {
                if local_layer(tx, uid_of(row.uid))?.is_some() {
                    applied.present += 1;
                    return Ok(());
                }
                let owner = match row.owner {
                    Some(owner) => local_annotator(tx, owner)?,
                    None => None,
                };
                if row.kind == "annotator" {
                    let Some(owner) = owner else {
                        applied.skipped += 1;
                        return Ok(());
                    };
                    // The owner's layer here has another uid: map by owner
                    // (as a merge does).
                    let found: Option<i64> = tx
                        .query_row(
                            "SELECT id FROM main.layers WHERE annotator_id = ?1 AND joined_into IS NULL",
                            [owner],
                            |r| r.get(0),
                        )
                        .optional()
                        .during("look up a layer")?;
                    if found.is_some() {
                        applied.present += 1;
                        return Ok(());
                    }
                }
                let base = match owner {
                    Some(owner) => tx
                        .query_row("SELECT name FROM annotators WHERE id = ?1", [owner], |r| {
                            r.get::<_, String>(0)
                        })
                        .during("look up an annotator")?,
                    None => row.name.clone(),
                };
                let name = free_name(tx, "layers", &base)?;
                tx.execute(
                    "INSERT INTO main.layers (name, kind, annotator_id, created_at, uid)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![name, row.kind, owner, row.created_at, uid_of(row.uid)],
                )
                .during("add a layer of the team server")?;
                applied.added += 1;
                Ok(())
            },
            |_, (), _| Ok(()),
        )
    }

    /// Apply pulled documents: a missing one is added (its text checked
    /// against its SHA-256) and queued for the search index.
    pub fn apply_documents(
        &mut self,
        rows: &[(i64, DocumentRecord)],
        move_cursor: bool,
    ) -> Result<Applied, StoreError> {
        self.apply_rows(
            "documents",
            rows,
            move_cursor,
            |tx, row, applied, _: &mut ()| {
                if document_with_sha256(tx, &row.sha256)?.is_some() {
                    applied.present += 1;
                    return Ok(());
                }
                if sha256_hex(row.text.as_bytes()) != row.sha256 || row.text.contains('\0') {
                    applied.skipped += 1;
                    return Ok(());
                }
                let id: i64 = tx
                    .prepare_cached(
                        "INSERT INTO main.documents (sha256, title, text, source, meta, direction,
                             char_len, imported_at, note, changed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            row.sha256,
                            row.title,
                            row.text,
                            row.source,
                            row.meta.to_string(),
                            row.direction,
                            row.char_len,
                            row.imported_at,
                            row.note
                        ])
                    })
                    .map(|_| tx.last_insert_rowid())
                    .during("add a document of the team server")?;
                search::enqueue(tx, id, None)?;
                applied.added += 1;
                Ok(())
            },
            |_, (), _| Ok(()),
        )
    }

    /// Apply pulled assignments (the greater (`updated_at`, `removed`)
    /// wins); a live assignment to `me` that changed here asks for its
    /// document whole.
    pub fn apply_assignments(
        &mut self,
        rows: &[(i64, AssignmentRecord)],
        me: Uuid,
        move_cursor: bool,
    ) -> Result<Applied, StoreError> {
        self.apply_rows(
            "assignments",
            rows,
            move_cursor,
            |tx, row, applied, _: &mut ()| {
                let (Some(doc), Some(annotator)) = (
                    document_with_sha256(tx, &row.doc)?,
                    local_annotator(tx, row.annotator)?,
                ) else {
                    applied.skipped += 1;
                    return Ok(());
                };
                let by = match row.assigned_by {
                    Some(by) => local_annotator(tx, by)?,
                    None => None,
                };
                let existed: bool = tx
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM main.assignments
                                        WHERE doc_id = ?1 AND annotator_id = ?2)",
                    )
                    .and_then(|mut s| s.query_row(params![doc, annotator], |r| r.get(0)))
                    .during("look for an assignment")?;
                let changed =
                    merge_assignment(tx, doc, annotator, by, &row.updated_at, row.removed)?;
                match (changed, existed) {
                    (0, _) => {
                        applied.present += 1;
                        return Ok(());
                    }
                    (_, true) => applied.updated += 1,
                    (_, false) => applied.added += 1,
                }
                if row.annotator == me && !row.removed {
                    applied.refetch.insert(row.doc.clone());
                }
                Ok(())
            },
            |_, (), _| Ok(()),
        )
    }

    /// Apply pulled spans: a new one is added; one here takes the server's
    /// state when it is later (see `store::resolve`).
    pub fn apply_spans(
        &mut self,
        rows: &[(i64, SpanRecord)],
        move_cursor: bool,
    ) -> Result<Applied, StoreError> {
        self.apply_rows(
            "spans",
            rows,
            move_cursor,
            |tx, row, applied, _: &mut ()| {
                let attrs = match &row.attrs {
                    Value::Object(map) => Value::Object(map.clone()).to_string(),
                    _ => "{}".to_owned(),
                };
                let there = SpanState {
                    updated_at: row.updated_at.clone(),
                    label: row.label.clone(),
                    attrs,
                    note: row.note.clone(),
                    deleted_at: row.deleted_at.clone(),
                };
                if let Some((local, here)) = span_state(tx, uid_of(row.uid))? {
                    if take_later_span_state(tx, local, &here, &there)? {
                        applied.updated += 1;
                    } else {
                        applied.present += 1;
                    }
                    return Ok(());
                }
                let (Some(doc), Some(layer), Some(annotator)) = (
                    document_with_sha256(tx, &row.doc)?,
                    local_layer(tx, uid_of(row.layer))?,
                    local_annotator(tx, row.annotator)?,
                ) else {
                    applied.skipped += 1;
                    return Ok(());
                };
                let schema = match &row.schema_sha256 {
                    Some(sha) => match Locals::new(tx).schema(sha)? {
                        Some(v) => Some(v),
                        None => tx
                            .query_row("SELECT max(version) FROM schemas", [], |r| r.get(0))
                            .during("read the schema version")?,
                    },
                    None => None,
                };
                let source = match row.source_span {
                    Some(s) => span_state(tx, uid_of(s))?.map(|(id, _)| id),
                    None => None,
                };
                tx.prepare_cached(
                    "INSERT INTO main.spans (uid, doc_id, annotator_id, layer_id, start, \"end\",
                         label, text, origin, created_at, updated_at, deleted_at, attrs, note,
                         score, model, schema_version, source_span_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                         ?15, ?16, ?17, ?18)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        uid_of(row.uid),
                        doc,
                        annotator,
                        layer,
                        row.start,
                        row.end,
                        row.label,
                        row.text,
                        row.origin,
                        row.created_at,
                        row.updated_at,
                        row.deleted_at,
                        there.attrs,
                        row.note,
                        row.score,
                        row.model,
                        schema,
                        source
                    ])
                })
                .during("add a span of the team server")?;
                applied.added += 1;
                Ok(())
            },
            |_, (), _| Ok(()),
        )
    }

    /// Apply pulled events: a new one is added to the audit log (marked as
    /// pulled, so never pushed back) with its ids translated to this
    /// project's; then, at the end of each transaction, the statuses,
    /// reviews, rejections, notes, directions and settings its events decide
    /// take the state of their latest event (see `store::resolve`). My
    /// status `done` asks for its document whole.
    pub fn apply_events(
        &mut self,
        rows: &[(i64, EventRecord)],
        me: Uuid,
        move_cursor: bool,
    ) -> Result<Applied, StoreError> {
        let link = self.sync_link()?.ok_or(StoreError::NotLinked)?;
        self.apply_rows(
            "events",
            rows,
            move_cursor,
            |tx, row, applied, (incoming, keyed): &mut (HashSet<Uid>, BTreeSet<Keyed>)| {
                let uid = uid_of(row.uid);
                let here: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM main.audit WHERE uid = ?1)")
                    .and_then(|mut s| s.query_row([uid], |r| r.get(0)))
                    .during("look for an event")?;
                if here {
                    applied.present += 1;
                    return Ok(());
                }
                let actor = match row.actor {
                    Some(a) => match local_annotator(tx, a)? {
                        Some(a) => Some(a),
                        None => {
                            applied.skipped += 1;
                            return Ok(());
                        }
                    },
                    None => None,
                };
                let doc = match &row.doc {
                    Some(d) => match document_with_sha256(tx, d)? {
                        Some(d) => Some(d),
                        None => {
                            applied.skipped += 1;
                            return Ok(());
                        }
                    },
                    None => None,
                };
                let span = match row.span {
                    Some(s) => match span_state(tx, uid_of(s))? {
                        Some((s, _)) => Some(s),
                        None => {
                            applied.skipped += 1;
                            return Ok(());
                        }
                    },
                    None => None,
                };
                let mut ids = Locals::new(tx);
                let mut before = row.before.clone();
                let mut after = row.after.clone();
                localize(&mut ids, &row.action, &mut before)?;
                localize(&mut ids, &row.action, &mut after)?;
                tx.prepare_cached(
                    "INSERT INTO main.audit (uid, at, actor, action, doc_id, span_id, before, after, import_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        uid,
                        row.at,
                        actor,
                        row.action,
                        doc,
                        span,
                        before.to_string(),
                        after.to_string(),
                        link.pull_import
                    ])
                })
                .during("add an event of the team server")?;
                if let Some(doc) = doc
                    && row.action != "document.import"
                {
                    tx.prepare_cached(
                        "UPDATE main.documents SET changed_at = ?2
                         WHERE id = ?1 AND (changed_at IS NULL OR changed_at < ?2)",
                    )
                    .and_then(|mut s| s.execute(params![doc, row.at]))
                    .during("set a document's last change")?;
                }
                incoming.insert(uid);
                keyed.extend(Keyed::of_event(&row.action, doc, span, actor, &after));
                if row.action == "document.status"
                    && row.actor == Some(me)
                    && status_row(&after).as_deref() == Some("done")
                    && let Some(sha) = &row.doc
                {
                    applied.refetch.insert(sha.clone());
                }
                applied.added += 1;
                Ok(())
            },
            |tx, (incoming, keyed), applied| {
                let names = HashMap::new();
                for key in &keyed {
                    let result = apply_latest(
                        tx,
                        key,
                        &|e: &KeyEvent| incoming.contains(&e.uid),
                        &mut |_| Ok(false),
                        &names,
                    )?;
                    if !result.changed {
                        continue;
                    }
                    applied.states += 1;
                    if let Keyed::Setting { key } = key
                        && key == "blind_annotation"
                    {
                        let value: Option<String> = tx
                            .query_row(
                                "SELECT value FROM project_settings WHERE key = 'blind_annotation'",
                                [],
                                |r| r.get(0),
                            )
                            .optional()
                            .during("read the project settings")?;
                        applied.unblinded |= value.as_deref() != Some("true");
                    }
                }
                Ok(())
            },
        )
    }

    /// Apply pulled `rows` (with their server `seq`) in short transactions
    /// of about [`IMPORT_TX_BUDGET`] each, pausing [`IMPORT_YIELD`] between
    /// them as an import does, so the window's own writes get in: `each`
    /// applies one row, `end` finishes a transaction (with what `each`
    /// gathered in it). With `move_cursor`, each transaction also moves
    /// `cursor.TABLE` to the seq of its last row, so a pull cut off resumes
    /// there; a document fetched whole leaves the cursors alone.
    fn apply_rows<R, S: Default>(
        &mut self,
        table: &str,
        rows: &[(i64, R)],
        move_cursor: bool,
        mut each: impl FnMut(&Connection, &R, &mut Applied, &mut S) -> Result<(), StoreError>,
        mut end: impl FnMut(&Connection, S, &mut Applied) -> Result<(), StoreError>,
    ) -> Result<Applied, StoreError> {
        let mut applied = Applied::default();
        let mut rest = rows;
        while !rest.is_empty() {
            let started = Instant::now();
            let tx = self.begin("apply what came from the team server")?;
            let mut gathered = S::default();
            let mut n = 0;
            for (_, row) in rest {
                each(&tx, row, &mut applied, &mut gathered)?;
                n += 1;
                if started.elapsed() >= IMPORT_TX_BUDGET {
                    break;
                }
            }
            end(&tx, gathered, &mut applied)?;
            if move_cursor {
                let seq = rest[n - 1].0;
                set_state_value(&tx, &cursor_key(table), &seq.to_string())?;
            }
            tx.commit().during("apply what came from the team server")?;
            rest = &rest[n..];
            if !rest.is_empty() {
                std::thread::sleep(IMPORT_YIELD);
            }
        }
        Ok(applied)
    }
}

fn link_state(conn: &Connection) -> Result<Option<LinkState>, StoreError> {
    let read = |key: &str| state_value(conn, key);
    let Some(server) = read("server")? else {
        return Ok(None);
    };
    let need = |key: &str| -> Result<String, StoreError> {
        read(key)?.ok_or_else(|| StoreError::Corrupt {
            what: format!("sync_state has no {key}"),
        })
    };
    Ok(Some(LinkState {
        server,
        person: parse_uuid(&need("person")?, "sync_state person")?,
        login: need("login")?,
        role: need("role")?,
        linked_at: need("linked_at")?,
        pushed: parse_i64(&need("pushed")?, "sync_state pushed")?,
        pull_import: parse_i64(&need("pull_import")?, "sync_state pull_import")?,
    }))
}

/// The local annotator with this uid (the one they were joined into, if so).
fn local_annotator(conn: &Connection, uid: Uuid) -> Result<Option<AnnotatorId>, StoreError> {
    conn.prepare_cached("SELECT coalesce(joined_into, id) FROM annotators WHERE uid = ?1")
        .and_then(|mut s| s.query_row([uid_of(uid)], |r| r.get(0)).optional())
        .during("look up an annotator")
}

fn local_layer(conn: &Connection, uid: Uid) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached("SELECT coalesce(joined_into, id) FROM main.layers WHERE uid = ?1")
        .and_then(|mut s| s.query_row([uid], |r| r.get(0)).optional())
        .during("look up a layer")
}

/// [`Store::apply_people`] inside the caller's transaction.
fn ensure_people(tx: &Connection, people: &[PersonRecord]) -> Result<usize, StoreError> {
    let mut added = 0;
    for person in people {
        if local_annotator(tx, person.uid)?.is_some() {
            continue;
        }
        let name = free_name(tx, "annotators", &person.name)?;
        let id: i64 = tx
            .query_row(
                "INSERT INTO annotators (name, given_name, created_at, uid)
                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
                params![name, person.name, person.created_at, uid_of(person.uid)],
                |r| r.get(0),
            )
            .during("add a person of the team server")?;
        let layer_uid = uid_of(person.layer.unwrap_or(person.uid));
        if local_layer(tx, layer_uid)?.is_none() {
            let layer_name = free_name(tx, "layers", &name)?;
            tx.execute(
                "INSERT INTO main.layers (name, kind, annotator_id, created_at, uid)
                 VALUES (?1, 'annotator', ?2, ?3, ?4)",
                params![layer_name, id, person.created_at, layer_uid],
            )
            .during("add a person's layer")?;
        }
        added += 1;
    }
    Ok(added)
}

/// An audit row as the push reads it.
struct AuditRow {
    id: i64,
    uid: Uid,
    at: String,
    actor: Option<i64>,
    action: String,
    doc: Option<i64>,
    span: Option<i64>,
    before: String,
    after: String,
}

impl AuditRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
        Ok(AuditRow {
            id: r.get(0)?,
            uid: r.get(1)?,
            at: r.get(2)?,
            actor: r.get(3)?,
            action: r.get(4)?,
            doc: r.get(5)?,
            span: r.get(6)?,
            before: r.get(7)?,
            after: r.get(8)?,
        })
    }
}

/// The (document, annotator) pairs an assignment event names (one
/// document, or a bulk summary; see [`super::assign`]).
fn assignment_pairs(doc: Option<i64>, after: &Value, pairs: &mut BTreeSet<(i64, i64)>) {
    let annotator = after.get("annotator").and_then(Value::as_i64);
    if let (Some(doc), Some(annotator)) = (doc, annotator) {
        pairs.insert((doc, annotator));
    }
    if let Some(groups) = after.get("assigned").and_then(Value::as_array) {
        for group in groups {
            let Some(annotator) = group.get("annotator").and_then(Value::as_i64) else {
                continue;
            };
            for doc in group
                .get("docs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(doc) = doc.as_i64() {
                    pairs.insert((doc, annotator));
                }
            }
        }
    }
    if let (Some(removed), Some(annotator)) =
        (after.get("removed").and_then(Value::as_array), annotator)
    {
        for doc in removed {
            if let Some(doc) = doc.as_i64() {
                pairs.insert((doc, annotator));
            }
        }
    }
}

/// The span `id` as it goes up, with its layer's local id, when `rights`
/// may write it: a span of my own annotator layer, of the gold layer
/// (staff), of an imported layer (admins; it goes up with me as its
/// annotator, the person who brought it to the server).
fn push_span(
    tx: &Connection,
    ids: &mut Globals<'_>,
    id: i64,
    rights: &Rights,
    people: &HashSet<Uuid>,
) -> Result<Option<(SpanRecord, i64)>, StoreError> {
    type Row = (
        Uid,
        i64,
        i64,
        i64,
        (i64, i64, String, String, String),
        (String, String, Option<String>, String, String),
        (Option<f64>, Option<String>, Option<i64>, Option<i64>),
        (String, Option<i64>),
    );
    let row: Option<Row> = tx
        .prepare_cached(
            "SELECT s.uid, s.doc_id, s.layer_id, s.annotator_id, s.start, s.\"end\", s.label,
                    s.text, s.origin, s.created_at, s.updated_at, s.deleted_at, s.attrs, s.note,
                    s.score, s.model, s.schema_version, s.source_span_id, l.kind, l.annotator_id
             FROM spans s JOIN layers l ON l.id = s.layer_id WHERE s.id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?),
                    (r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?),
                    (r.get(14)?, r.get(15)?, r.get(16)?, r.get(17)?),
                    (r.get(18)?, r.get(19)?),
                ))
            })
            .optional()
        })
        .during("read a span to push")?;
    let Some((uid, doc, layer, annotator, fixed, state, extra, (kind, owner))) = row else {
        return Ok(None);
    };
    let annotator = match kind.as_str() {
        "annotator" => {
            let owner = match owner {
                Some(owner) => ids.annotator(owner)?,
                None => None,
            };
            if owner != Some(rights.me) {
                return Ok(None);
            }
            rights.me
        }
        "gold" if rights.staff => match ids.annotator(annotator)? {
            Some(a) if a == rights.me || people.contains(&a) => a,
            _ => return Ok(None),
        },
        "imported" if rights.admin => rights.me,
        _ => return Ok(None),
    };
    let (Some(doc), Some(layer_uid)) = (ids.doc(doc)?, ids.layer(layer)?) else {
        return Ok(None);
    };
    let (start, end, label, text, origin) = fixed;
    let (created_at, updated_at, deleted_at, attrs, note) = state;
    let (score, model, schema_version, source_span) = extra;
    let schema_sha256 = match schema_version {
        Some(v) => ids.schema(v)?,
        None => None,
    };
    let source_span = match source_span {
        Some(s) => ids.span(s)?,
        None => None,
    };
    let attrs = match serde_json::from_str::<Value>(&attrs) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => json!({}),
    };
    Ok(Some((
        SpanRecord {
            uid: uuid_of(uid),
            doc,
            layer: layer_uid,
            annotator,
            start,
            end,
            label,
            text,
            origin,
            created_at,
            updated_at,
            deleted_at,
            attrs,
            note,
            score,
            model,
            schema_sha256,
            source_span,
        },
        layer,
    )))
}

/// Layer `id` as it goes up, when it is one the person may make: their own
/// annotator layer, or (admins) an imported one. The gold layer is on every
/// server already.
fn push_layer(
    tx: &Connection,
    ids: &mut Globals<'_>,
    id: i64,
    rights: &Rights,
) -> Result<Option<LayerRecord>, StoreError> {
    let row: Option<(Uid, String, String, Option<i64>, String)> = tx
        .prepare_cached(
            "SELECT uid, name, kind, annotator_id, created_at FROM layers
             WHERE id = ?1 AND joined_into IS NULL",
        )
        .and_then(|mut s| {
            s.query_row([id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
        })
        .during("read a layer to push")?;
    let Some((uid, name, kind, owner, created_at)) = row else {
        return Ok(None);
    };
    let owner = match owner {
        Some(o) => ids.annotator(o)?,
        None => None,
    };
    let ok = match kind.as_str() {
        "annotator" => owner == Some(rights.me),
        "imported" => rights.admin,
        _ => false,
    };
    Ok(ok.then(|| LayerRecord {
        uid: uuid_of(uid),
        name,
        kind,
        owner,
        created_at,
    }))
}

/// The state of a record that the latest event decides, as it goes up,
/// when that event is the person's own (else the server has it from whoever
/// made it) and the person may write it.
fn push_state(
    tx: &Connection,
    ids: &mut Globals<'_>,
    key: &Keyed,
    rights: &Rights,
    out: &mut Outgoing,
) -> Result<(), StoreError> {
    let events = key_events(tx, key)?;
    let Some(latest) = events.first() else {
        return Ok(());
    };
    // By the person, or by an annotator joined into them.
    let by_me = match latest.actor {
        Some(a) => ids.annotator(a)? == Some(rights.me),
        None => false,
    };
    let mine = |ids: &mut Globals<'_>, annotator: i64| -> Result<bool, StoreError> {
        Ok(ids.annotator(annotator)? == Some(rights.me))
    };
    let after: Value = serde_json::from_str(&latest.after).unwrap_or(Value::Null);
    match key {
        Keyed::Status { doc, annotator } if by_me && mine(ids, *annotator)? => {
            if let Some(doc) = ids.doc(*doc)? {
                out.statuses.push(StatusRecord {
                    doc,
                    annotator: rights.me,
                    status: status_row(&after),
                    updated_at: latest.at.clone(),
                });
            }
        }
        Keyed::Review { doc } if rights.staff && by_me => {
            if let Some(doc) = ids.doc(*doc)? {
                out.reviews.push(ReviewRecord {
                    doc,
                    status: review_row(&after),
                    reviewer: rights.me,
                    updated_at: latest.at.clone(),
                });
            }
        }
        Keyed::Mark {
            span, annotator, ..
        } if by_me && mine(ids, *annotator)? => {
            if let Some(span) = ids.span(*span)? {
                out.marks.push(MarkRecord {
                    span,
                    annotator: rights.me,
                    rejected: latest.action == "span.reject",
                    at: latest.at.clone(),
                });
            }
        }
        Keyed::Note { doc } if by_me => {
            if let Some(doc) = ids.doc(*doc)? {
                out.notes.push(NoteRecord {
                    doc,
                    note: after
                        .get("note")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    at: latest.at.clone(),
                });
            }
        }
        Keyed::Setting { key } if rights.admin && (by_me || latest.actor.is_none()) => {
            if let Some(value) = after.get(key) {
                out.settings.push(SettingRecord {
                    key: key.clone(),
                    value: value.clone(),
                    updated_at: latest.at.clone(),
                });
            }
        }
        _ => {}
    }
    Ok(())
}

fn push_assignment(
    tx: &Connection,
    ids: &mut Globals<'_>,
    doc: i64,
    annotator: i64,
    people: &HashSet<Uuid>,
) -> Result<Option<AssignmentRecord>, StoreError> {
    let row: Option<(Option<i64>, String, bool)> = tx
        .prepare_cached(
            "SELECT assigned_by, updated_at, removed FROM main.assignments
             WHERE doc_id = ?1 AND annotator_id = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![doc, annotator], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })
        .during("read an assignment to push")?;
    let Some((by, updated_at, removed)) = row else {
        return Ok(None);
    };
    let (Some(doc), Some(annotator)) = (ids.doc(doc)?, ids.annotator(annotator)?) else {
        return Ok(None);
    };
    if !people.contains(&annotator) {
        return Ok(None);
    }
    let assigned_by = match by {
        Some(by) => ids.annotator(by)?.filter(|u| people.contains(u)),
        None => None,
    };
    Ok(Some(AssignmentRecord {
        doc,
        annotator,
        assigned_by,
        updated_at,
        removed,
    }))
}

fn push_schema(tx: &Connection, version: i64) -> Result<Option<SchemaRecord>, StoreError> {
    tx.prepare_cached(
        "SELECT sha256, name, ron, source, created_at FROM schemas WHERE version = ?1",
    )
    .and_then(|mut s| {
        s.query_row([version], |r| {
            Ok(SchemaRecord {
                sha256: r.get(0)?,
                name: r.get(1)?,
                ron: r.get(2)?,
                source: r.get(3)?,
                created_at: r.get(4)?,
            })
        })
        .optional()
    })
    .during("read a label schema to push")
}

fn push_document(tx: &Connection, doc: i64) -> Result<Option<DocumentRecord>, StoreError> {
    type Row = (
        (String, String, String, String, String),
        (String, i64, String, String, Option<String>),
    );
    let row: Option<Row> = tx
        .prepare_cached(
            "SELECT sha256, title, text, source, meta, direction, char_len, imported_at, note,
                    (SELECT max(a.at) FROM audit a WHERE a.doc_id = d.id AND a.action = 'document.note')
             FROM documents d WHERE id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([doc], |r| {
                Ok((
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                    (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?),
                ))
            })
            .optional()
        })
        .during("read a document to push")?;
    let Some((
        (sha256, title, text, source, meta),
        (direction, char_len, imported_at, note, note_at),
    )) = row
    else {
        return Ok(None);
    };
    let meta = match serde_json::from_str::<Value>(&meta) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => json!({}),
    };
    Ok(Some(DocumentRecord {
        sha256,
        title,
        text,
        source,
        meta,
        direction,
        char_len,
        imported_at,
        note,
        note_at,
    }))
}

/// Local ids → global ids, looked up once each.
struct Globals<'c> {
    conn: &'c Connection,
    docs: HashMap<i64, Option<String>>,
    annotators: HashMap<i64, Option<Uuid>>,
    layers: HashMap<i64, Option<Uuid>>,
    spans: HashMap<i64, Option<Uuid>>,
    schemas: HashMap<i64, Option<String>>,
}

impl<'c> Globals<'c> {
    fn new(conn: &'c Connection) -> Globals<'c> {
        Globals {
            conn,
            docs: HashMap::new(),
            annotators: HashMap::new(),
            layers: HashMap::new(),
            spans: HashMap::new(),
            schemas: HashMap::new(),
        }
    }

    fn doc(&mut self, id: i64) -> Result<Option<String>, StoreError> {
        if let Some(v) = self.docs.get(&id) {
            return Ok(v.clone());
        }
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT sha256 FROM main.documents WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .during("translate a document id")?;
        self.docs.insert(id, v.clone());
        Ok(v)
    }

    /// The uid of the person an annotator is (the one they were joined into).
    fn annotator(&mut self, id: i64) -> Result<Option<Uuid>, StoreError> {
        if let Some(v) = self.annotators.get(&id) {
            return Ok(*v);
        }
        let v: Option<Uid> = self
            .conn
            .prepare_cached(
                "SELECT k.uid FROM annotators a JOIN annotators k ON k.id = coalesce(a.joined_into, a.id)
                 WHERE a.id = ?1",
            )
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .during("translate an annotator id")?;
        let v = v.map(uuid_of);
        self.annotators.insert(id, v);
        Ok(v)
    }

    fn layer(&mut self, id: i64) -> Result<Option<Uuid>, StoreError> {
        if let Some(v) = self.layers.get(&id) {
            return Ok(*v);
        }
        let v: Option<Uid> = self
            .conn
            .prepare_cached(
                "SELECT k.uid FROM main.layers l JOIN main.layers k ON k.id = coalesce(l.joined_into, l.id)
                 WHERE l.id = ?1",
            )
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .during("translate a layer id")?;
        let v = v.map(uuid_of);
        self.layers.insert(id, v);
        Ok(v)
    }

    fn span(&mut self, id: i64) -> Result<Option<Uuid>, StoreError> {
        if let Some(v) = self.spans.get(&id) {
            return Ok(*v);
        }
        let v: Option<Uid> = self
            .conn
            .prepare_cached("SELECT uid FROM main.spans WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .during("translate a span id")?;
        let v = v.map(uuid_of);
        self.spans.insert(id, v);
        Ok(v)
    }

    fn schema(&mut self, version: i64) -> Result<Option<String>, StoreError> {
        if let Some(v) = self.schemas.get(&version) {
            return Ok(v.clone());
        }
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT sha256 FROM schemas WHERE version = ?1")
            .and_then(|mut s| s.query_row([version], |r| r.get(0)).optional())
            .during("translate a schema version")?;
        self.schemas.insert(version, v.clone());
        Ok(v)
    }
}

/// Global ids → local ids, looked up once each.
struct Locals<'c> {
    conn: &'c Connection,
    schemas: HashMap<String, Option<i64>>,
}

impl<'c> Locals<'c> {
    fn new(conn: &'c Connection) -> Locals<'c> {
        Locals {
            conn,
            schemas: HashMap::new(),
        }
    }

    fn schema(&mut self, sha: &str) -> Result<Option<i64>, StoreError> {
        if let Some(v) = self.schemas.get(sha) {
            return Ok(*v);
        }
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(version) FROM schemas WHERE sha256 = ?1")
            .and_then(|mut s| s.query_row([sha], |r| r.get(0)))
            .during("translate a label schema")?;
        self.schemas.insert(sha.to_owned(), v);
        Ok(v)
    }
}

/// What kind of record a key of an event's `before`/`after` names (see
/// [`crate::sync`], "Events").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdKind {
    Doc,
    Annotator,
    Layer,
    Span,
    Schema,
}

fn id_kind(action: &str, key: &str) -> Option<IdKind> {
    match key {
        "doc" | "docs" | "removed" => Some(IdKind::Doc),
        "annotator" | "joined_into" => Some(IdKind::Annotator),
        "layer" => Some(IdKind::Layer),
        "span" | "spans" | "source_span" => Some(IdKind::Span),
        "schema_version" => Some(IdKind::Schema),
        "version" if action == "schema.switch" => Some(IdKind::Schema),
        "id" => {
            if action.starts_with("span.") || action.starts_with("gold.") {
                Some(IdKind::Span)
            } else if action == "document.import" {
                Some(IdKind::Doc)
            } else if action == "annotator.create" {
                Some(IdKind::Annotator)
            } else if action == "layer.create" {
                Some(IdKind::Layer)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Apply `f` to every id an event's `before`/`after` holds: the values of
/// the keys [`id_kind`] names at the top level and in the objects of
/// `assigned` (scalars, or arrays of scalars). Attribute values and other
/// nested objects are left alone.
fn translate(
    value: &mut Value,
    action: &str,
    f: &mut dyn FnMut(IdKind, &Value) -> Result<Value, StoreError>,
) -> Result<(), StoreError> {
    let Some(obj) = value.as_object_mut() else {
        return Ok(());
    };
    for (key, v) in obj.iter_mut() {
        if key == "assigned"
            && let Some(items) = v.as_array_mut()
        {
            for item in items {
                translate(item, action, f)?;
            }
            continue;
        }
        let Some(kind) = id_kind(action, key) else {
            continue;
        };
        match v {
            Value::Array(items) => {
                for item in items {
                    if item.is_number() || item.is_string() {
                        *item = f(kind, item)?;
                    }
                }
            }
            Value::Number(_) | Value::String(_) => *v = f(kind, v)?,
            _ => {}
        }
    }
    Ok(())
}

/// Local ids → global ids (see [`crate::sync`], "Events"); an id this
/// project cannot translate becomes `null`.
fn globalize(ids: &mut Globals<'_>, action: &str, value: &mut Value) -> Result<(), StoreError> {
    translate(value, action, &mut |kind, v| {
        let Some(id) = v.as_i64() else {
            return Ok(Value::Null);
        };
        Ok(match kind {
            IdKind::Doc => ids.doc(id)?.map(Value::from),
            IdKind::Annotator => ids.annotator(id)?.map(|u| Value::from(u.to_string())),
            IdKind::Layer => ids.layer(id)?.map(|u| Value::from(u.to_string())),
            IdKind::Span => ids.span(id)?.map(|u| Value::from(u.to_string())),
            IdKind::Schema => ids.schema(id)?.map(Value::from),
        }
        .unwrap_or(Value::Null))
    })
}

/// Global ids → this project's ids; one it lacks becomes `null`.
fn localize(ids: &mut Locals<'_>, action: &str, value: &mut Value) -> Result<(), StoreError> {
    let conn = ids.conn;
    translate(value, action, &mut |kind, v| {
        let Some(text) = v.as_str() else {
            return Ok(Value::Null);
        };
        let uid = || Uuid::parse_str(text).ok();
        let local = match kind {
            IdKind::Doc => document_with_sha256(conn, text)?,
            IdKind::Annotator => match uid() {
                Some(u) => local_annotator(conn, u)?,
                None => None,
            },
            IdKind::Layer => match uid() {
                Some(u) => local_layer(conn, uid_of(u))?,
                None => None,
            },
            IdKind::Span => match uid() {
                Some(u) => span_state(conn, uid_of(u))?.map(|(id, _)| id),
                None => None,
            },
            IdKind::Schema => ids.schema(text)?,
        };
        Ok(local.map(Value::from).unwrap_or(Value::Null))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Change, CharRange, Origin};
    use crate::store::{NewDocument, Status};

    fn person(login: &str, role: &str) -> PersonRecord {
        PersonRecord {
            uid: Uuid::now_v7(),
            login: login.into(),
            name: login.into(),
            role: role.into(),
            created_at: now(),
            removed_at: None,
            layer: None,
        }
    }

    #[test]
    fn what_one_project_pushes_another_applies_once_with_its_own_ids() {
        let lead = person("lead", "admin");
        let sara = person("sara", "reviewer");
        let people = [lead.clone(), sara.clone()];
        let uids: HashSet<Uuid> = people.iter().map(|p| p.uid).collect();
        let mut a = Store::open_in_memory().unwrap();
        a.link_to_server("postgres://lead@db/team", &lead, &people)
            .unwrap();
        let me = a.annotator_id("lead").unwrap();
        let text = "قصفت الطائرات مدينة إدلب صباح الأحد";
        let doc = a
            .import_document(
                &NewDocument {
                    title: "إدلب".into(),
                    text: text.into(),
                    source: "test".into(),
                    meta: json!({}),
                },
                Some(me),
            )
            .unwrap()
            .id();
        let span = a
            .add_span(
                doc,
                me,
                CharRange::new(20, 24).unwrap(),
                "DATE",
                Origin::Manual,
            )
            .unwrap();
        a.apply(
            &Change::Relabel {
                span: span.id,
                from: "DATE".into(),
                to: "PLACE".into(),
            },
            me,
        )
        .unwrap();
        a.set_status(doc, me, Status::Done).unwrap();
        let rights = Rights {
            me: lead.uid,
            staff: true,
            admin: true,
        };
        let out = a.outgoing(&rights, &uids, 100).unwrap();
        assert_eq!(out.documents.len(), 1);
        assert_eq!(out.spans.len(), 1);
        assert_eq!(out.spans[0].label, "PLACE");
        assert_eq!(out.spans[0].annotator, lead.uid);
        assert_eq!(out.statuses[0].status.as_deref(), Some("done"));
        let relabel = out
            .events
            .iter()
            .find(|e| e.action == "span.relabel")
            .unwrap();
        assert_eq!(relabel.after["id"], json!(out.spans[0].uid.to_string()));
        assert_eq!(relabel.after["doc"], json!(out.documents[0].sha256));
        assert_eq!(relabel.after["annotator"], json!(lead.uid.to_string()));
        a.mark_pushed(out.through).unwrap();
        let again = a.outgoing(&rights, &uids, 100).unwrap();
        assert!(again.is_empty(), "{again:?}");

        // Another project applies it, twice: the second time changes nothing.
        let mut b = Store::open_in_memory().unwrap();
        b.link_to_server("postgres://sara@db/team", &sara, &people)
            .unwrap();
        fn seq<R: Clone>(rows: &[R]) -> Vec<(i64, R)> {
            rows.iter().cloned().map(|r| (1, r)).collect()
        }
        for round in 0..2 {
            let docs = b.apply_documents(&seq(&out.documents), true).unwrap();
            let layers = b.apply_layers(&seq(&out.layers), true).unwrap();
            let spans = b.apply_spans(&seq(&out.spans), true).unwrap();
            let events = b.apply_events(&seq(&out.events), sara.uid, true).unwrap();
            if round == 0 {
                assert_eq!((docs.added, spans.added), (1, 1));
                assert_eq!(events.added, out.events.len());
                assert_eq!(events.states, 1, "the status of the latest event");
            } else {
                assert_eq!(docs.added + layers.added + spans.added + events.added, 0);
                assert_eq!(spans.updated + events.states, 0);
            }
        }
        assert_eq!(b.sync_cursor("events").unwrap(), 1);
        let bdoc = b.documents().unwrap()[0].id;
        let blead = b.annotator_id("lead").unwrap();
        assert_eq!(b.status(bdoc, blead).unwrap(), Status::Done);
        let spans = b.spans(bdoc).unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(
            (spans[0].label.as_str(), spans[0].text.as_str()),
            ("PLACE", "إدلب")
        );
        assert_eq!(spans[0].annotator, blead);
        let history = b.audit(bdoc).unwrap();
        let relabel = history.iter().find(|e| e.action == "span.relabel").unwrap();
        assert_eq!(relabel.after["id"], json!(spans[0].id));
        assert_eq!(relabel.after["doc"], json!(bdoc));
        // What came from the server never goes back.
        let rights = Rights {
            me: sara.uid,
            staff: true,
            admin: false,
        };
        let back = b.outgoing(&rights, &uids, 100).unwrap();
        assert!(back.events.is_empty() && back.spans.is_empty(), "{back:?}");
    }

    #[test]
    fn ids_are_found_where_the_audit_log_keeps_them_and_nowhere_else() {
        let mut after = json!({
            "id": 3, "doc": 1, "annotator": 2, "layer": 4, "source_span": 5,
            "schema_version": 1, "label": "PLACE", "start": 7,
            "attrs": {"doc": 9, "span": 9},
        });
        let mut seen = Vec::new();
        translate(&mut after, "span.add", &mut |kind, v| {
            seen.push((kind, v.clone()));
            Ok(json!(format!("{kind:?}")))
        })
        .unwrap();
        assert_eq!(after["id"], "Span");
        assert_eq!(after["doc"], "Doc");
        assert_eq!(after["annotator"], "Annotator");
        assert_eq!(after["layer"], "Layer");
        assert_eq!(after["source_span"], "Span");
        assert_eq!(after["schema_version"], "Schema");
        // Offsets, labels and attribute values are not ids.
        assert_eq!(after["start"], 7);
        assert_eq!(after["attrs"], json!({"doc": 9, "span": 9}));
        assert_eq!(seen.len(), 6);

        let mut bulk = json!({"per_document": 2, "seed": 7,
            "assigned": [{"annotator": 3, "docs": [1, 4]}]});
        translate(&mut bulk, "assignment.set", &mut |kind, v| {
            Ok(json!(format!("{kind:?}{v}")))
        })
        .unwrap();
        assert_eq!(
            bulk,
            json!({"per_document": 2, "seed": 7,
                "assigned": [{"annotator": "Annotator3", "docs": ["Doc1", "Doc4"]}]})
        );
        let mut removed = json!({"annotator": 3, "removed": [1, 4]});
        translate(&mut removed, "assignment.remove", &mut |kind, v| {
            Ok(json!(format!("{kind:?}{v}")))
        })
        .unwrap();
        assert_eq!(
            removed,
            json!({"annotator": "Annotator3", "removed": ["Doc1", "Doc4"]})
        );
        // `id` of an event about no span, document, annotator or layer stays.
        let mut other = json!({"id": 3});
        translate(&mut other, "document.status", &mut |_, _| Ok(Value::Null)).unwrap();
        assert_eq!(other, json!({"id": 3}));
    }
}
