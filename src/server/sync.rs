//! The server side of the sync (the protocol is specified in
//! [`crate::sync`]): one push is one transaction after [`Server::begin_push`]
//! that writes records by their global ids with "later wins" guards, so a
//! retry adds nothing twice and an older state never overwrites a newer
//! one; a pull reads each table by `seq` in one repeatable-read snapshot.
//! It must not know about the local store: records arrive and leave as
//! [`crate::sync::records`].
//!
//! # Guards
//!
//! | table | write | a stored row is replaced when the new one has the greater |
//! |---|---|---|
//! | `schemas`, `documents`, `layers` | insert, nothing if the key exists | (never) |
//! | `spans` | insert or update of `label`, `updated_at`, `deleted_at`, `attrs`, `note` | (`updated_at`, `label`, `attrs`, `note`, `deleted_at` or `''`) |
//! | `statuses` | insert or update | (`updated_at`, `status` or `''`) |
//! | `marks` | insert or update | (`at`, `rejected`) |
//! | `reviews` | insert or update | (`updated_at`, `status` or `''`) |
//! | `assignments` | insert or update | (`updated_at`, `removed`) |
//! | `settings` | insert or update | (`updated_at`, `value` as text) |
//! | `documents.note` | update of `note`, `note_at` | (`note_at`, `note`); a note never written has no `note_at` |
//! | `events` | insert, nothing if the uid exists | (never) |
//!
//! Text compares byte by byte (`COLLATE "C"`), as SQLite does locally, so
//! the server and every local project pick the same state. Ties (the same
//! millisecond) fall to the values; a local project breaks a tie between
//! two events of one record by their uids, which the server's state tables
//! do not keep.
//!
//! # Change notifications
//!
//! A push that wrote anything also runs `NOTIFY tawsim_changes`
//! ([`CHANGE_CHANNEL`], no payload) in its transaction; PostgreSQL delivers
//! it when the push commits, and not at all if it rolls back. The app keeps
//! one extra connection per project that has run `LISTEN tawsim_changes`
//! ([`Server::listen_for_changes`], [`Server::wait_for_change`]) and starts
//! a round as soon as a notification arrives, so another person's action
//! reaches the window without waiting for the next timed round. The
//! notification says only that something changed, never what: the round's
//! pull reads what the person may read, as always. Any role may listen and
//! notify; a notification sent by hand costs a pull of nothing new.
//!
//! # What a push leaves out
//!
//! The store sends only what the person's role may write; the server then
//! leaves out rows whose references it lacks or the person may not read:
//! spans, statuses, notes, reviews and assignments of documents the person
//! cannot read (an annotator: documents not assigned to them), a new span
//! whose annotator is not the person, rejections of spans they cannot read,
//! events naming such a document or span. A row PostgreSQL still refuses
//! (a policy, a constraint) fails the transaction; the push is then run
//! again with each row in a savepoint, and the refused rows are reported
//! instead of sinking the batch (and not sent again).

use std::collections::{BTreeMap, HashSet};

use postgres::types::ToSql;
use postgres::{IsolationLevel, Statement, Transaction};
use uuid::Uuid;

use super::{Server, ServerError, describe, sql_error};
use crate::sync::records::{
    AssignmentRecord, DocumentRecord, EventRecord, LayerRecord, Outgoing, PersonRecord,
    SchemaRecord, SpanRecord,
};

/// The channel a committed push notifies (see "Change notifications").
pub const CHANGE_CHANNEL: &str = "tawsim_changes";

/// What one push did on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Per table: rows sent, rows written (inserted, or updated because
    /// they were later).
    pub tables: BTreeMap<&'static str, (usize, u64)>,
    /// Rows left out because the server lacks what they refer to or the
    /// person may not read it.
    pub left_out: usize,
    /// Rows PostgreSQL refused, with its reason (see "What a push leaves out").
    pub refused: Vec<String>,
}

impl Pushed {
    fn count(&mut self, table: &'static str, written: u64) {
        let entry = self.tables.entry(table).or_default();
        entry.0 += 1;
        entry.1 += written;
    }

    /// Rows written in all.
    pub fn written(&self) -> u64 {
        self.tables.values().map(|(_, w)| w).sum()
    }
}

fn to_i32(n: i64, what: &str) -> Result<i32, ServerError> {
    i32::try_from(n).map_err(|_| ServerError::Invalid(format!("{what} {n} is too large")))
}

impl Server {
    /// Every person of the server, with their annotator layer's uid.
    pub fn sync_people(&mut self) -> Result<Vec<PersonRecord>, ServerError> {
        let url = self.url().to_string();
        read_people(self.client(), &url)
    }

    /// Which of these documents (by SHA-256) the server lacks, or the
    /// person may not read.
    pub fn absent_documents(&mut self, shas: &[String]) -> Result<Vec<String>, ServerError> {
        let url = self.url().to_string();
        let rows = self
            .client()
            .query(
                "SELECT sha256 FROM tawsim.documents WHERE sha256 = ANY($1)",
                &[&shas],
            )
            .map_err(|e| sql_error("look for documents", &url, e))?;
        let present: HashSet<String> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(|e| sql_error("look for documents", &url, e))?;
        Ok(shas
            .iter()
            .filter(|s| !present.contains(*s))
            .cloned()
            .collect())
    }

    /// Write `out` in one push transaction (see the module documentation).
    /// `careful`: each row in its own savepoint, refused rows reported
    /// instead of failing the push.
    pub fn push(&mut self, out: &Outgoing, careful: bool) -> Result<Pushed, ServerError> {
        let url = self.url().to_string();
        let mut tx = self.begin_push()?;
        let mut pushed = Pushed::default();
        let mut w = Writer {
            careful,
            url: &url,
            pushed: &mut pushed,
        };
        w.write_all(&mut tx, out)?;
        if pushed.tables.values().any(|(_, written)| *written > 0) {
            // Delivered to the listeners when (and only if) the push commits.
            tx.batch_execute(&format!("NOTIFY {CHANGE_CHANNEL}"))
                .map_err(|e| sql_error("announce the push", &url, e))?;
        }
        tx.commit()
            .map_err(|e| sql_error("commit the push", &url, e))?;
        Ok(pushed)
    }

    /// Listen on this connection for [`CHANGE_CHANNEL`] (see "Change
    /// notifications"); then [`Server::wait_for_change`].
    pub fn listen_for_changes(&mut self) -> Result<(), ServerError> {
        let url = self.url().to_string();
        self.client()
            .batch_execute(&format!("LISTEN {CHANGE_CHANNEL}"))
            .map_err(|e| sql_error("listen for changes", &url, e))
    }

    /// Wait up to `timeout` for a push of someone's to commit; `true` if
    /// one did (the notifications that arrived meanwhile are all taken).
    /// An error means the connection is gone.
    pub fn wait_for_change(&mut self, timeout: std::time::Duration) -> Result<bool, ServerError> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let url = self.url().to_string();
        let mut notifications = self.client().notifications();
        let first = notifications
            .timeout_iter(timeout)
            .next()
            .map_err(|e| sql_error("wait for changes", &url, e))?;
        if first.is_none() {
            return Ok(false);
        }
        // Fold the ones already here into this one.
        while notifications
            .iter()
            .next()
            .map_err(|e| sql_error("wait for changes", &url, e))?
            .is_some()
        {}
        Ok(true)
    }

    /// Begin a pull: one read-only snapshot of the server (repeatable read),
    /// so the tables read one after the other agree with each other.
    pub fn pull(&mut self) -> Result<Pull<'_>, ServerError> {
        let url = self.url().to_string();
        let tx = self
            .client()
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| sql_error("begin a pull", &url, e))?;
        Ok(Pull { tx, url })
    }
}

fn read_people(
    client: &mut impl postgres::GenericClient,
    url: &str,
) -> Result<Vec<PersonRecord>, ServerError> {
    let rows = client
        .query(
            "SELECT p.uid, p.login::text, p.name, p.role, p.created_at, p.removed_at,
                    (SELECT l.uid FROM tawsim.layers l WHERE l.owner = p.uid AND l.kind = 'annotator')
               FROM tawsim.people p ORDER BY p.created_at, p.uid",
            &[],
        )
        .map_err(|e| sql_error("read the people of the server", url, e))?;
    rows.iter()
        .map(|r| {
            Ok(PersonRecord {
                uid: r.try_get(0)?,
                login: r.try_get(1)?,
                name: r.try_get(2)?,
                role: r.try_get(3)?,
                created_at: r.try_get(4)?,
                removed_at: r.try_get(5)?,
                layer: r.try_get(6)?,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| sql_error("read the people of the server", url, e))
}

struct Writer<'a> {
    careful: bool,
    url: &'a str,
    pushed: &'a mut Pushed,
}

impl Writer<'_> {
    fn prepare(&self, tx: &mut Transaction<'_>, sql: &str) -> Result<Statement, ServerError> {
        tx.prepare(sql)
            .map_err(|e| sql_error("prepare the push", self.url, e))
    }

    /// Run one row's statement; in careful mode inside a savepoint, a
    /// refusal is reported and the push goes on.
    fn run(
        &mut self,
        tx: &mut Transaction<'_>,
        table: &'static str,
        what: &str,
        stmt: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<(), ServerError> {
        if !self.careful {
            let n = tx
                .execute(stmt, params)
                .map_err(|e| sql_error(&format!("push {what}"), self.url, e))?;
            self.pushed.count(table, n);
            return Ok(());
        }
        let mut sp = tx
            .savepoint("tawsim_row")
            .map_err(|e| sql_error("push", self.url, e))?;
        match sp.execute(stmt, params) {
            Ok(n) => {
                sp.commit().map_err(|e| sql_error("push", self.url, e))?;
                self.pushed.count(table, n);
            }
            Err(e) if e.as_db_error().is_some() => {
                sp.rollback().map_err(|e| sql_error("push", self.url, e))?;
                self.pushed
                    .refused
                    .push(format!("{what}: {}", describe(&e)));
            }
            Err(e) => return Err(sql_error(&format!("push {what}"), self.url, e)),
        }
        Ok(())
    }

    fn write_all(&mut self, tx: &mut Transaction<'_>, out: &Outgoing) -> Result<(), ServerError> {
        self.schemas(tx, &out.schemas)?;
        self.documents(tx, &out.documents)?;
        self.layers(tx, &out.layers)?;
        // What of the batch's documents the person may read now.
        let mut doc_refs: Vec<String> = Vec::new();
        doc_refs.extend(out.spans.iter().map(|s| s.doc.clone()));
        doc_refs.extend(out.statuses.iter().map(|s| s.doc.clone()));
        doc_refs.extend(out.reviews.iter().map(|s| s.doc.clone()));
        doc_refs.extend(out.notes.iter().map(|s| s.doc.clone()));
        doc_refs.extend(out.assignments.iter().map(|s| s.doc.clone()));
        doc_refs.extend(out.events.iter().filter_map(|e| e.doc.clone()));
        let docs = self.present_docs(tx, doc_refs)?;
        self.spans(tx, &out.spans, &docs)?;
        let mut span_refs: Vec<Uuid> = out.marks.iter().map(|m| m.span).collect();
        span_refs.extend(out.events.iter().filter_map(|e| e.span));
        let spans = self.present_spans(tx, span_refs)?;

        if !out.statuses.is_empty() {
            let stmt = self.prepare(
                tx,
                "INSERT INTO tawsim.statuses (doc, annotator, status, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (doc, annotator) DO UPDATE
             SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
             WHERE (EXCLUDED.updated_at COLLATE \"C\", coalesce(EXCLUDED.status, '') COLLATE \"C\")
                 > (tawsim.statuses.updated_at COLLATE \"C\",
                    coalesce(tawsim.statuses.status, '') COLLATE \"C\")",
            )?;
            for s in &out.statuses {
                if !docs.contains(&s.doc) {
                    self.pushed.left_out += 1;
                    continue;
                }
                let what = format!("the status of document {}", s.doc);
                self.run(
                    tx,
                    "statuses",
                    &what,
                    &stmt,
                    &[&s.doc, &s.annotator, &s.status, &s.updated_at],
                )?;
            }
        }
        if !out.notes.is_empty() {
            let stmt = self.prepare(
            tx,
            "UPDATE tawsim.documents SET note = $2, note_at = $3
             WHERE sha256 = $1
               AND (note_at IS NULL
                    OR (note_at COLLATE \"C\", note COLLATE \"C\") < ($3 COLLATE \"C\", $2 COLLATE \"C\"))",
        )?;
            for n in &out.notes {
                if !docs.contains(&n.doc) {
                    self.pushed.left_out += 1;
                    continue;
                }
                let what = format!("the note of document {}", n.doc);
                self.run(tx, "notes", &what, &stmt, &[&n.doc, &n.note, &n.at])?;
            }
        }
        if !out.reviews.is_empty() {
            let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.reviews (doc, status, reviewer, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (doc) DO UPDATE
             SET status = EXCLUDED.status, reviewer = EXCLUDED.reviewer,
                 updated_at = EXCLUDED.updated_at
             WHERE (EXCLUDED.updated_at COLLATE \"C\", coalesce(EXCLUDED.status, '') COLLATE \"C\")
                 > (tawsim.reviews.updated_at COLLATE \"C\",
                    coalesce(tawsim.reviews.status, '') COLLATE \"C\")",
        )?;
            for r in &out.reviews {
                if !docs.contains(&r.doc) {
                    self.pushed.left_out += 1;
                    continue;
                }
                let what = format!("the review of document {}", r.doc);
                self.run(
                    tx,
                    "reviews",
                    &what,
                    &stmt,
                    &[&r.doc, &r.status, &r.reviewer, &r.updated_at],
                )?;
            }
        }
        if !out.marks.is_empty() {
            let stmt = self.prepare(
                tx,
                "INSERT INTO tawsim.marks (span, annotator, rejected, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (span, annotator) DO UPDATE
             SET rejected = EXCLUDED.rejected, at = EXCLUDED.at
             WHERE (EXCLUDED.at COLLATE \"C\", EXCLUDED.rejected)
                 > (tawsim.marks.at COLLATE \"C\", tawsim.marks.rejected)",
            )?;
            for m in &out.marks {
                if !spans.contains(&m.span) {
                    self.pushed.left_out += 1;
                    continue;
                }
                let what = format!("a rejection of span {}", m.span);
                self.run(
                    tx,
                    "marks",
                    &what,
                    &stmt,
                    &[&m.span, &m.annotator, &m.rejected, &m.at],
                )?;
            }
        }
        self.assignments(tx, &out.assignments, &docs)?;
        if !out.settings.is_empty() {
            let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.settings (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
             WHERE (EXCLUDED.updated_at COLLATE \"C\", EXCLUDED.value::text COLLATE \"C\")
                 > (tawsim.settings.updated_at COLLATE \"C\", tawsim.settings.value::text COLLATE \"C\")",
        )?;
            for s in &out.settings {
                let what = format!("the setting {}", s.key);
                self.run(
                    tx,
                    "settings",
                    &what,
                    &stmt,
                    &[&s.key, &s.value, &s.updated_at],
                )?;
            }
        }
        self.events(tx, &out.events, &docs, &spans)
    }

    fn schemas(
        &mut self,
        tx: &mut Transaction<'_>,
        rows: &[SchemaRecord],
    ) -> Result<(), ServerError> {
        if rows.is_empty() {
            return Ok(());
        }
        let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.schemas (sha256, name, ron, source, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
        )?;
        for s in rows {
            let what = format!("the label schema {} ({})", s.name, s.sha256);
            self.run(
                tx,
                "schemas",
                &what,
                &stmt,
                &[&s.sha256, &s.name, &s.ron, &s.source, &s.created_at],
            )?;
        }
        Ok(())
    }

    fn documents(
        &mut self,
        tx: &mut Transaction<'_>,
        rows: &[DocumentRecord],
    ) -> Result<(), ServerError> {
        if rows.is_empty() {
            return Ok(());
        }
        let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.documents (sha256, title, text, source, meta, direction, char_len,
                                           imported_at, note, note_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (sha256) DO NOTHING",
        )?;
        for d in rows {
            let char_len = to_i32(d.char_len, "a document's length")?;
            let what = format!("document {} ({})", d.sha256, d.title);
            self.run(
                tx,
                "documents",
                &what,
                &stmt,
                &[
                    &d.sha256,
                    &d.title,
                    &d.text,
                    &d.source,
                    &d.meta,
                    &d.direction,
                    &char_len,
                    &d.imported_at,
                    &d.note,
                    &d.note_at,
                ],
            )?;
        }
        Ok(())
    }

    fn layers(
        &mut self,
        tx: &mut Transaction<'_>,
        rows: &[LayerRecord],
    ) -> Result<(), ServerError> {
        if rows.is_empty() {
            return Ok(());
        }
        // Any unique key: a person's second annotator layer is left out.
        let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.layers (uid, name, kind, owner, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )?;
        for l in rows {
            let what = format!("layer {} ({})", l.name, l.uid);
            self.run(
                tx,
                "layers",
                &what,
                &stmt,
                &[&l.uid, &l.name, &l.kind, &l.owner, &l.created_at],
            )?;
        }
        Ok(())
    }

    fn spans(
        &mut self,
        tx: &mut Transaction<'_>,
        rows: &[SpanRecord],
        docs: &HashSet<String>,
    ) -> Result<(), ServerError> {
        if rows.is_empty() {
            return Ok(());
        }
        let present = self.present_spans(tx, rows.iter().map(|s| s.uid).collect())?;
        let me: Option<Uuid> = tx
            .query_one("SELECT tawsim.me()", &[])
            .and_then(|row| row.try_get(0))
            .map_err(|e| sql_error("read who is pushing", self.url, e))?;
        let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.spans (uid, doc, layer, annotator, start, \"end\", label, text,
                                       origin, created_at, updated_at, deleted_at, attrs, note,
                                       score, model, schema_sha256, source_span)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
             ON CONFLICT (uid) DO UPDATE
             SET label = EXCLUDED.label, updated_at = EXCLUDED.updated_at,
                 deleted_at = EXCLUDED.deleted_at, attrs = EXCLUDED.attrs, note = EXCLUDED.note
             WHERE (EXCLUDED.updated_at COLLATE \"C\", EXCLUDED.label COLLATE \"C\",
                    EXCLUDED.attrs::text COLLATE \"C\", EXCLUDED.note COLLATE \"C\",
                    coalesce(EXCLUDED.deleted_at, '') COLLATE \"C\")
                 > (tawsim.spans.updated_at COLLATE \"C\", tawsim.spans.label COLLATE \"C\",
                    tawsim.spans.attrs::text COLLATE \"C\", tawsim.spans.note COLLATE \"C\",
                    coalesce(tawsim.spans.deleted_at, '') COLLATE \"C\")",
        )?;
        for s in rows {
            let new_not_mine = !present.contains(&s.uid) && Some(s.annotator) != me;
            if !docs.contains(&s.doc) || new_not_mine {
                self.pushed.left_out += 1;
                continue;
            }
            let (start, end) = (
                to_i32(s.start, "a span's start")?,
                to_i32(s.end, "a span's end")?,
            );
            let what = format!("span {} ({} «{}»)", s.uid, s.label, s.text);
            self.run(
                tx,
                "spans",
                &what,
                &stmt,
                &[
                    &s.uid,
                    &s.doc,
                    &s.layer,
                    &s.annotator,
                    &start,
                    &end,
                    &s.label,
                    &s.text,
                    &s.origin,
                    &s.created_at,
                    &s.updated_at,
                    &s.deleted_at,
                    &s.attrs,
                    &s.note,
                    &s.score,
                    &s.model,
                    &s.schema_sha256,
                    &s.source_span,
                ],
            )?;
        }
        Ok(())
    }

    fn assignments(
        &mut self,
        tx: &mut Transaction<'_>,
        rows: &[AssignmentRecord],
        docs: &HashSet<String>,
    ) -> Result<(), ServerError> {
        if rows.is_empty() {
            return Ok(());
        }
        let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.assignments (doc, annotator, assigned_by, updated_at, removed)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (doc, annotator) DO UPDATE
             SET assigned_by = EXCLUDED.assigned_by, updated_at = EXCLUDED.updated_at,
                 removed = EXCLUDED.removed
             WHERE (EXCLUDED.updated_at COLLATE \"C\", EXCLUDED.removed)
                 > (tawsim.assignments.updated_at COLLATE \"C\", tawsim.assignments.removed)",
        )?;
        for a in rows {
            if !docs.contains(&a.doc) {
                self.pushed.left_out += 1;
                continue;
            }
            let what = format!("the assignment of document {} to {}", a.doc, a.annotator);
            self.run(
                tx,
                "assignments",
                &what,
                &stmt,
                &[
                    &a.doc,
                    &a.annotator,
                    &a.assigned_by,
                    &a.updated_at,
                    &a.removed,
                ],
            )?;
        }
        Ok(())
    }

    fn events(
        &mut self,
        tx: &mut Transaction<'_>,
        rows: &[EventRecord],
        docs: &HashSet<String>,
        spans: &HashSet<Uuid>,
    ) -> Result<(), ServerError> {
        if rows.is_empty() {
            return Ok(());
        }
        let stmt = self.prepare(
            tx,
            "INSERT INTO tawsim.events (uid, at, actor, action, doc, span, before, after)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (uid) DO NOTHING",
        )?;
        for e in rows {
            let doc_ok = e.doc.as_ref().is_none_or(|d| docs.contains(d));
            let span_ok = e.span.as_ref().is_none_or(|s| spans.contains(s));
            if !doc_ok || !span_ok {
                self.pushed.left_out += 1;
                continue;
            }
            let what = format!("event {} ({})", e.uid, e.action);
            self.run(
                tx,
                "events",
                &what,
                &stmt,
                &[
                    &e.uid, &e.at, &e.actor, &e.action, &e.doc, &e.span, &e.before, &e.after,
                ],
            )?;
        }
        Ok(())
    }

    /// Which of `shas` are documents the person may read.
    fn present_docs(
        &self,
        tx: &mut Transaction<'_>,
        mut shas: Vec<String>,
    ) -> Result<HashSet<String>, ServerError> {
        if shas.is_empty() {
            return Ok(HashSet::new());
        }
        shas.sort();
        shas.dedup();
        let rows = tx
            .query(
                "SELECT sha256 FROM tawsim.documents WHERE sha256 = ANY($1)",
                &[&shas],
            )
            .map_err(|e| sql_error("look for documents", self.url, e))?;
        rows.iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(|e| sql_error("look for documents", self.url, e))
    }

    /// Which of `uids` are spans the person may read.
    fn present_spans(
        &self,
        tx: &mut Transaction<'_>,
        mut uids: Vec<Uuid>,
    ) -> Result<HashSet<Uuid>, ServerError> {
        if uids.is_empty() {
            return Ok(HashSet::new());
        }
        uids.sort();
        uids.dedup();
        let rows = tx
            .query("SELECT uid FROM tawsim.spans WHERE uid = ANY($1)", &[&uids])
            .map_err(|e| sql_error("look for spans", self.url, e))?;
        rows.iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(|e| sql_error("look for spans", self.url, e))
    }
}

/// A pull in progress: a read-only repeatable-read snapshot (see
/// [`Server::pull`]). Reads see only the rows the person may read.
pub struct Pull<'a> {
    tx: Transaction<'a>,
    url: String,
}

const SPAN_COLUMNS: &str = "uid, doc, layer, annotator, start, \"end\", label, text, origin,
     created_at, updated_at, deleted_at, attrs, note, score, model, schema_sha256, source_span, seq";
const EVENT_COLUMNS: &str = "uid, at, actor, action, doc, span, before, after, seq";
const DOCUMENT_COLUMNS: &str =
    "sha256, title, text, source, meta, direction, char_len, imported_at, note, note_at, seq";

fn span_of(r: &postgres::Row) -> Result<(i64, SpanRecord), postgres::Error> {
    Ok((
        r.try_get(18)?,
        SpanRecord {
            uid: r.try_get(0)?,
            doc: r.try_get(1)?,
            layer: r.try_get(2)?,
            annotator: r.try_get(3)?,
            start: i64::from(r.try_get::<_, i32>(4)?),
            end: i64::from(r.try_get::<_, i32>(5)?),
            label: r.try_get(6)?,
            text: r.try_get(7)?,
            origin: r.try_get(8)?,
            created_at: r.try_get(9)?,
            updated_at: r.try_get(10)?,
            deleted_at: r.try_get(11)?,
            attrs: r.try_get(12)?,
            note: r.try_get(13)?,
            score: r.try_get(14)?,
            model: r.try_get(15)?,
            schema_sha256: r.try_get(16)?,
            source_span: r.try_get(17)?,
        },
    ))
}

fn event_of(r: &postgres::Row) -> Result<(i64, EventRecord), postgres::Error> {
    Ok((
        r.try_get(8)?,
        EventRecord {
            uid: r.try_get(0)?,
            at: r.try_get(1)?,
            actor: r.try_get(2)?,
            action: r.try_get(3)?,
            doc: r.try_get(4)?,
            span: r.try_get(5)?,
            before: r.try_get(6)?,
            after: r.try_get(7)?,
        },
    ))
}

fn document_of(r: &postgres::Row) -> Result<(i64, DocumentRecord), postgres::Error> {
    Ok((
        r.try_get(10)?,
        DocumentRecord {
            sha256: r.try_get(0)?,
            title: r.try_get(1)?,
            text: r.try_get(2)?,
            source: r.try_get(3)?,
            meta: r.try_get(4)?,
            direction: r.try_get(5)?,
            char_len: i64::from(r.try_get::<_, i32>(6)?),
            imported_at: r.try_get(7)?,
            note: r.try_get(8)?,
            note_at: r.try_get(9)?,
        },
    ))
}

/// A row read by [`Pull`]: its `seq` and the record.
type Decode<T> = fn(&postgres::Row) -> Result<(i64, T), postgres::Error>;

fn schema_of(r: &postgres::Row) -> Result<(i64, SchemaRecord), postgres::Error> {
    Ok((
        r.try_get(5)?,
        SchemaRecord {
            sha256: r.try_get(0)?,
            name: r.try_get(1)?,
            ron: r.try_get(2)?,
            source: r.try_get(3)?,
            created_at: r.try_get(4)?,
        },
    ))
}

fn layer_of(r: &postgres::Row) -> Result<(i64, LayerRecord), postgres::Error> {
    Ok((
        r.try_get(5)?,
        LayerRecord {
            uid: r.try_get(0)?,
            name: r.try_get(1)?,
            kind: r.try_get(2)?,
            owner: r.try_get(3)?,
            created_at: r.try_get(4)?,
        },
    ))
}

fn assignment_of(r: &postgres::Row) -> Result<(i64, AssignmentRecord), postgres::Error> {
    Ok((
        r.try_get(5)?,
        AssignmentRecord {
            doc: r.try_get(0)?,
            annotator: r.try_get(1)?,
            assigned_by: r.try_get(2)?,
            updated_at: r.try_get(3)?,
            removed: r.try_get(4)?,
        },
    ))
}

const SCHEMA_COLUMNS: &str = "sha256, name, ron, source, created_at, seq";
const LAYER_COLUMNS: &str = "uid, name, kind, owner, created_at, seq";
const ASSIGNMENT_COLUMNS: &str = "doc, annotator, assigned_by, updated_at, removed, seq";

impl Pull<'_> {
    /// The rows of `sql`, each decoded with `decode`.
    fn read<T>(
        &mut self,
        during: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        decode: Decode<T>,
    ) -> Result<Vec<(i64, T)>, ServerError> {
        let rows = self
            .tx
            .query(sql, params)
            .map_err(|e| sql_error(during, &self.url, e))?;
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .map_err(|e| sql_error(during, &self.url, e))
    }

    /// A page of `table`: up to `limit` rows with `seq` after `after`, in
    /// `seq` order.
    fn page<T>(
        &mut self,
        table: &str,
        columns: &str,
        after: i64,
        limit: i64,
        decode: Decode<T>,
    ) -> Result<Vec<(i64, T)>, ServerError> {
        self.read(
            &format!("read {table}"),
            &format!("SELECT {columns} FROM tawsim.{table} WHERE seq > $1 ORDER BY seq LIMIT $2"),
            &[&after, &limit],
            decode,
        )
    }

    /// Every person, with their annotator layer's uid.
    pub fn people(&mut self) -> Result<Vec<PersonRecord>, ServerError> {
        read_people(&mut self.tx, &self.url)
    }

    pub fn schemas(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, SchemaRecord)>, ServerError> {
        self.page("schemas", SCHEMA_COLUMNS, after, limit, schema_of)
    }

    pub fn layers(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, LayerRecord)>, ServerError> {
        self.page("layers", LAYER_COLUMNS, after, limit, layer_of)
    }

    pub fn documents(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, DocumentRecord)>, ServerError> {
        self.page("documents", DOCUMENT_COLUMNS, after, limit, document_of)
    }

    /// These documents (by SHA-256), as far as the person may read them.
    pub fn documents_by_sha(
        &mut self,
        shas: &[String],
    ) -> Result<Vec<(i64, DocumentRecord)>, ServerError> {
        self.read(
            "read documents",
            &format!("SELECT {DOCUMENT_COLUMNS} FROM tawsim.documents WHERE sha256 = ANY($1)"),
            &[&shas],
            document_of,
        )
    }

    pub fn assignments(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, AssignmentRecord)>, ServerError> {
        self.page(
            "assignments",
            ASSIGNMENT_COLUMNS,
            after,
            limit,
            assignment_of,
        )
    }

    pub fn spans(&mut self, after: i64, limit: i64) -> Result<Vec<(i64, SpanRecord)>, ServerError> {
        self.page("spans", SPAN_COLUMNS, after, limit, span_of)
    }

    /// Every span of a document the person may read, whatever its seq.
    pub fn document_spans(&mut self, sha: &str) -> Result<Vec<(i64, SpanRecord)>, ServerError> {
        self.read(
            "read a document's spans",
            &format!("SELECT {SPAN_COLUMNS} FROM tawsim.spans WHERE doc = $1 ORDER BY seq"),
            &[&sha],
            span_of,
        )
    }

    pub fn events(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, EventRecord)>, ServerError> {
        self.page("events", EVENT_COLUMNS, after, limit, event_of)
    }

    /// Every event of a document the person may read, whatever its seq.
    pub fn document_events(&mut self, sha: &str) -> Result<Vec<(i64, EventRecord)>, ServerError> {
        self.read(
            "read a document's events",
            &format!("SELECT {EVENT_COLUMNS} FROM tawsim.events WHERE doc = $1 ORDER BY seq"),
            &[&sha],
            event_of,
        )
    }

    /// End the snapshot.
    pub fn finish(self) -> Result<(), ServerError> {
        let url = self.url;
        self.tx
            .commit()
            .map_err(|e| sql_error("end the pull", &url, e))
    }
}
