//! Offline-first sync between a local project and the team server: the
//! protocol, and the orchestration of one round (a push, then a pull). Every
//! action still commits to the local SQLite project at once; a sync carries
//! what changed since the last one. This module holds no SQL: the local side
//! is [`crate::store::sync`], the server side [`crate::server::sync`], and
//! what travels between them is [`records`], named by global identities
//! only. It must not know about egui and never waits for the user.
//!
//! # Link
//!
//! `tawsim link --db P postgres://NAME@HOST:PORT/DB` ([`link`]) opens the
//! server (its schema version must be the one this build speaks), checks
//! that `NAME` is a person of the server, and records in the project's
//! `sync_state` (store schema 7) the URL without a password, the person's
//! uid, login and role, a pushed-audit watermark of 0 and no pull cursors.
//! Every person of the server becomes an annotator of the project with the
//! person's uid; each one's annotator layer gets the uid of their layer on
//! the server, or, when they have none yet, their own uid (so every linked
//! project names a person's layer alike, and their first push creates it on
//! the server with that uid). In an existing project, an annotator named
//! like the person who is no person of the server is joined into the
//! person ([`crate::store::Store::join_annotators`]): the work done before
//! linking becomes theirs. Another person whose name is taken here is
//! shown as `name · 2`, as after a merge (join them on purpose with `tawsim
//! join`). A project linked as one person is refused for another. The
//! link then runs one sync round, so an admin's link pushes the admin's
//! documents, label schemas, imported layers and their spans.
//!
//! # A round
//!
//! `tawsim sync --db P` ([`sync`]) connects as the linked person (password
//! from `PGPASSWORD`, `~/.pgpass` or a prompt; see
//! [`crate::server::connection`]), reads the person's current role and the
//! people of the server (new people become annotators), pushes, then pulls.
//! In the app, rounds run on a background thread of their own right after
//! each action and every few seconds ([`worker`]).
//!
//! # Push
//!
//! 1. The store reads the visible audit rows after the watermark, in
//!    batches of [`PUSH_BATCH`], stopping below the first row of a running
//!    or abandoned import (whose rows are hidden until it commits, and must
//!    not be skipped). Rows that came from the server (marked with the
//!    project's pull import id) are never read.
//! 2. For each batch it collects the records the rows touch: their document
//!    and span; for `document.import` and `span.import`, every span of the
//!    document (an import writes no event per span); the statuses,
//!    reviews, rejections, notes and settings their events decide; the
//!    (document, annotator) pairs of `assignment.set`/`assignment.remove`
//!    (one document, or every pair of a bulk summary); the layer of
//!    `layer.create`, the label schema of `schema.switch`.
//! 3. It keeps what the person's role may write (see the policies in
//!    [`crate::server::schema`]), each as its current state:
//!
//!    | record | who sends it |
//!    |---|---|
//!    | span | a span of the person's own annotator layer; of the gold layer (staff; a new one only if its annotator is the person); of an imported layer (admins; it goes up with the admin as its annotator, since the server records who brought a span) |
//!    | layer | the person's annotator layer; imported layers (admins) |
//!    | status, rejection | the person's own, when the latest event of it is theirs |
//!    | review | staff, when the latest review event of the document is theirs |
//!    | document note | when the latest note event of the document is theirs |
//!    | document | admins: those the batch's `document.import` events name, and those its other rows name that the server lacks (asked first, so texts are not sent again) |
//!    | label schema, assignment, setting | admins (an assignment only between people of the server; a setting when its latest event is theirs or the system's) |
//!    | event | the person's own (actor = the person, or an annotator joined into them), and for admins the system's (no actor); never `annotator.create`, `annotator.join`, `import`, `project.merge` ([`crate::store::sync::LOCAL_ACTIONS`]) |
//!
//!    Left out: other people's events and records (they push their own),
//!    a document's direction (its events carry it), work of annotators who
//!    are no people of the server.
//! 4. The server writes the batch in one transaction after
//!    [`crate::server::Server::begin_push`]: documents, schemas and layers
//!    (nothing if present), spans, statuses, notes, reviews, rejections,
//!    assignments and settings as upserts guarded by "later wins", events
//!    with `ON CONFLICT (uid) DO NOTHING` (see [`crate::server::sync`] for
//!    the guards and what it leaves out because it lacks a reference). If
//!    PostgreSQL still refuses a row, the batch is written again with each
//!    row in a savepoint, and the refused rows are reported instead of
//!    sinking the batch (they are not sent again: the watermark moves past
//!    them with the batch).
//! 5. Only after the server's commit does the store move the watermark to
//!    the batch's end. A push cut off before the commit left nothing on the
//!    server; one cut off after the commit but before the watermark moved
//!    is sent again by the next round, and adds nothing: the events are
//!    there, and every state is as late as the one sent (no row is
//!    written, no `seq` moves).
//!
//! ## Events
//!
//! An event goes up as `(uid, at, actor uid, action, document sha256, span
//! uid, before, after)`, with the local ids inside `before` and `after`
//! replaced by global ones, and back again on a pull:
//!
//! | key of `before`/`after` | local value | on the server |
//! |---|---|---|
//! | `doc`, `docs` (in `assigned`), `removed` (of a bulk `assignment.remove`) | document id(s) | SHA-256 text(s) |
//! | `annotator`, `joined_into` | annotator id | the person's uid (of the annotator they were joined into), `"0192…"` |
//! | `layer` | layer id | layer uid |
//! | `span`, `spans`, `source_span` | span id(s) | span uid(s) |
//! | `schema_version`; `version` of `schema.switch` | project schema version | SHA-256 of the schema's RON text |
//! | `id` of `span.*`, `gold.*` / `document.import` / `annotator.create` / `layer.create` | span / document / annotator / layer id | its uid / SHA-256 |
//!
//! Keys inside the objects of a bulk assignment's `assigned` list are
//! translated too; nothing else is (attribute values, offsets, labels). An
//! id the other side cannot translate becomes `null`.
//!
//! ```json
//! {"id":"0192a4c1-7d3e-7b21-9a40-3f1c2d4e5a6b","doc":"9f86d081884c7d65…",
//!  "annotator":"0192a4c1-0000-7000-8000-00000000002a","layer":"0192a4c1-…",
//!  "start":370,"end":374,"label":"PLACE","text":"إدلب","source_span":null,
//!  "schema_version":"c3ab8ff13720e8ad…","deleted_at":null}
//! ```
//!
//! # Pull
//!
//! One read-only repeatable-read transaction on the server (one snapshot:
//! the tables agree with each other). `people` is read whole; then, per
//! table, `WHERE seq > cursor ORDER BY seq LIMIT` [`PULL_PAGE`] in this
//! order: `schemas`, `layers`, `documents`, `assignments`, `spans`,
//! `events` (a row's references arrive before it). A page is applied in
//! short local transactions (about 5 ms each, with a pause between them, as
//! an import writes) that also move the table's cursor to their last row,
//! so the window's writes get in and a pull cut off resumes where it
//! stopped. `seq` never skips a committed change: the server stamps it
//! under the push lock (see "Change order" in [`crate::server::schema`]).
//! Rows are translated to local ids; new
//! documents, layers and schemas are created here; a span is added or
//! takes the later state; an assignment takes the greater (`updated_at`,
//! `removed`); events are added once (by uid) and marked as pulled, and
//! the statuses, reviews, rejections, notes, directions and settings they
//! decide take the state of the latest event (greater `at`, then uid).
//! These are the rules of a merge ([`crate::store::merge`]), so a record
//! changed in two places ends the same everywhere. The server's tables
//! `statuses`, `marks`, `reviews` and `settings` are kept for its policies
//! and are not pulled: their events carry the same states.
//!
//! ## Rows that become visible later
//!
//! What a person may read can grow without the rows changing: a new
//! assignment shows a document, its spans and events; with blind
//! annotation on, marking a document done shows the other annotators'
//! spans; turning blind annotation off shows them all. Such rows keep
//! their old `seq`, below the cursors. So the pull fetches in full (all its
//! spans and events, ignoring cursors) every document with a new live
//! assignment to the person, every document whose status for the person
//! became `done` (pushed in this round or pulled), every document assigned
//! to the person when blind annotation was turned off, and the document row
//! itself when an assignment names one this project lacks. The first pull
//! (every cursor 0) reads everything visible anyway, and staff read
//! everything always: they fetch nothing in full. An event the pull cannot
//! apply because its span is not here yet (hidden when its page was read)
//! is among the events of a document fetched whole.
//!
//! # Limits
//!
//! Rows the server left out or refused are reported and not sent again
//! (e.g. work on a document whose assignment was taken back while the
//! annotator was offline). Conflicts are resolved (as in a merge) but not
//! yet listed to the user.
//! A tie between two states of one record within the same millisecond is
//! broken by the event uid here and by the values on the server. A person's
//! annotator layer made on the server by some other client, with another
//! uid than tawsim gives it, is mapped by its owner on pulls, and pushes
//! of spans into it are refused and reported.

pub mod records;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use uuid::Uuid;

use crate::server::sync::Pushed;
use crate::server::{Person, Role, Server, ServerError};
use crate::store::sync::{Applied, LinkOutcome};
use crate::store::{Store, StoreError};
use records::{PULLED_TABLES, PersonRecord, Rights};

/// Local audit rows read per push transaction, at most.
pub const PUSH_BATCH: usize = 500;

/// Rows read per pull page, at most (applied in local transactions of
/// about 5 ms each).
pub const PULL_PAGE: i64 = 500;

/// Documents read per pull page (their texts are long).
pub const PULL_DOCUMENT_PAGE: i64 = 100;

/// What went wrong in a link or a sync.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(
        "{login} is no longer a person of the team server {server} (removed, or the server was set up anew); ask an admin to add them again"
    )]
    NoLongerAPerson { login: String, server: String },
    #[error("cannot start the team-server sync: {0}")]
    Thread(std::io::Error),
    #[error(
        "this project is linked as {linked}, but {server} logs in as {login}; sync with the linked person's login"
    )]
    OtherPerson {
        linked: String,
        login: String,
        server: String,
    },
}

/// What went up in one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Push transactions committed.
    pub batches: usize,
    /// Local audit rows read.
    pub read: usize,
    /// Audit rows left out by the rules of "Push" (others' events, local
    /// bookkeeping).
    pub left_out_here: usize,
    /// Per server table: rows sent, rows written.
    pub tables: BTreeMap<&'static str, (usize, u64)>,
    /// Rows the server left out (it lacks what they refer to, or the person
    /// may not read it).
    pub left_out_there: usize,
    /// Rows PostgreSQL refused, with its reason.
    pub refused: Vec<String>,
    /// Wall time of the push: from reading the first local row to the
    /// watermark moved past the last batch the server committed.
    pub took: std::time::Duration,
}

impl PushReport {
    fn add(&mut self, pushed: Pushed) {
        self.batches += 1;
        for (table, (sent, written)) in pushed.tables {
            let entry = self.tables.entry(table).or_default();
            entry.0 += sent;
            entry.1 += written;
        }
        self.left_out_there += pushed.left_out;
        self.refused.extend(pushed.refused);
    }

    /// Rows written on the server in all.
    pub fn written(&self) -> u64 {
        self.tables.values().map(|(_, w)| w).sum()
    }
}

/// What came down in one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// People of the server who became annotators here.
    pub people_added: usize,
    /// Per table, what applying its rows did.
    pub tables: BTreeMap<&'static str, Applied>,
    /// Documents fetched whole (see "Rows that become visible later").
    pub fetched_whole: usize,
}

impl PullReport {
    fn add(&mut self, table: &'static str, applied: Applied) {
        *self.tables.entry(table).or_default() += applied;
    }

    /// Whether the pull changed nothing here.
    pub fn nothing_new(&self) -> bool {
        self.people_added == 0
            && self
                .tables
                .values()
                .all(|a| a.added == 0 && a.updated == 0 && a.states == 0)
    }
}

/// One round: what went up and what came down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The server, without password.
    pub server: String,
    pub login: String,
    pub role: String,
    pub push: PushReport,
    pub pull: PullReport,
}

/// What a link did, and the round that followed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkReport {
    pub link: LinkOutcome,
    pub round: SyncReport,
}

fn rights_of(person: &Person) -> Rights {
    Rights {
        me: person.uid,
        staff: matches!(person.role, Role::Reviewer | Role::Admin),
        admin: person.role == Role::Admin,
    }
}

/// Link `store` to `server` as the person the server's URL logs in as,
/// then run one round (see "Link").
pub fn link(store: &mut Store, server: &mut Server) -> Result<LinkReport, SyncError> {
    server.check_version()?;
    let url = server.url().to_string();
    let me = server.me()?.ok_or_else(|| ServerError::NotAPerson {
        role: server.url().user().unwrap_or("?").to_owned(),
        url: url.clone(),
    })?;
    let people = server.sync_people()?;
    let record = people
        .iter()
        .find(|p| p.uid == me.uid)
        .cloned()
        .unwrap_or_else(|| PersonRecord {
            uid: me.uid,
            login: me.login.clone(),
            name: me.name.clone(),
            role: me.role.as_str().to_owned(),
            created_at: me.created_at.clone(),
            removed_at: me.removed_at.clone(),
            layer: None,
        });
    let outcome = store.link_to_server(&url, &record, &people)?;
    let round = sync(store, server)?;
    Ok(LinkReport {
        link: outcome,
        round,
    })
}

/// One round for a linked `store`: push, then pull (see "A round").
pub fn sync(store: &mut Store, server: &mut Server) -> Result<SyncReport, SyncError> {
    let link = store.sync_link()?.ok_or(StoreError::NotLinked)?;
    server.check_version()?;
    let url = server.url().to_string();
    let me = server.me()?.ok_or_else(|| SyncError::NoLongerAPerson {
        login: link.login.clone(),
        server: url.clone(),
    })?;
    if me.uid != link.person {
        return Err(SyncError::OtherPerson {
            linked: link.login.clone(),
            login: me.login.clone(),
            server: url,
        });
    }
    if me.role.as_str() != link.role {
        store.set_sync_role(me.role.as_str())?;
    }
    let rights = rights_of(&me);
    let people = server.sync_people()?;
    let mut pull = PullReport {
        people_added: store.apply_people(&people)?,
        ..PullReport::default()
    };
    let people: HashSet<Uuid> = people.iter().map(|p| p.uid).collect();
    let mut refetch: BTreeSet<String> = BTreeSet::new();
    let push = push(store, server, &rights, &people, &mut refetch)?;
    pull_all(store, server, &rights, &mut pull, refetch)?;
    Ok(SyncReport {
        server: server.url().to_string(),
        login: me.login,
        role: me.role.as_str().to_owned(),
        push,
        pull,
    })
}

fn push(
    store: &mut Store,
    server: &mut Server,
    rights: &Rights,
    people: &HashSet<Uuid>,
    refetch: &mut BTreeSet<String>,
) -> Result<PushReport, SyncError> {
    let started = std::time::Instant::now();
    let mut report = PushReport::default();
    loop {
        let pushed_before = store
            .sync_link()?
            .map(|l| l.pushed)
            .ok_or(StoreError::NotLinked)?;
        let mut out = store.outgoing(rights, people, PUSH_BATCH)?;
        if rights.admin {
            // Documents the batch names that the server lacks (their import
            // event went up before, or was never the admin's to send).
            let absent = server.absent_documents(&out.referenced_documents())?;
            if !absent.is_empty() {
                out.documents.extend(store.document_records(&absent)?);
            }
        }
        report.read += out.read;
        report.left_out_here += out.left_out;
        if !out.is_empty() {
            let pushed = match server.push(&out, false) {
                Ok(pushed) => pushed,
                // A row PostgreSQL refused: again, row by row.
                Err(ServerError::Sql { error, .. }) if error.as_db_error().is_some() => {
                    server.push(&out, true)?
                }
                Err(e) => return Err(e.into()),
            };
            report.add(pushed);
            refetch.extend(
                out.statuses
                    .iter()
                    .filter(|s| s.annotator == rights.me && s.status.as_deref() == Some("done"))
                    .map(|s| s.doc.clone()),
            );
        }
        if out.through != pushed_before {
            store.mark_pushed(out.through)?;
        }
        if out.read < PUSH_BATCH {
            report.took = started.elapsed();
            return Ok(report);
        }
    }
}

fn pull_all(
    store: &mut Store,
    server: &mut Server,
    rights: &Rights,
    report: &mut PullReport,
    mut refetch: BTreeSet<String>,
) -> Result<(), SyncError> {
    let first = PULLED_TABLES
        .iter()
        .map(|t| store.sync_cursor(t))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .all(|c| *c == 0);
    let mut unblinded = false;
    let mut pull = server.pull()?;
    for table in PULLED_TABLES {
        let mut cursor = store.sync_cursor(table)?;
        let page = if table == "documents" {
            PULL_DOCUMENT_PAGE
        } else {
            PULL_PAGE
        };
        loop {
            let (applied, last, n) = match table {
                "schemas" => {
                    let rows = pull.schemas(cursor, page)?;
                    (
                        store.apply_schemas(&rows, true)?,
                        rows.last().map(|r| r.0),
                        rows.len(),
                    )
                }
                "layers" => {
                    let rows = pull.layers(cursor, page)?;
                    (
                        store.apply_layers(&rows, true)?,
                        rows.last().map(|r| r.0),
                        rows.len(),
                    )
                }
                "documents" => {
                    let rows = pull.documents(cursor, page)?;
                    (
                        store.apply_documents(&rows, true)?,
                        rows.last().map(|r| r.0),
                        rows.len(),
                    )
                }
                "assignments" => {
                    let rows = pull.assignments(cursor, page)?;
                    // Documents that became visible with their assignment.
                    let mut shas: Vec<String> = rows.iter().map(|a| a.1.doc.clone()).collect();
                    shas.sort();
                    shas.dedup();
                    let missing = store.missing_documents(&shas)?;
                    if !missing.is_empty() {
                        let docs = pull.documents_by_sha(&missing)?;
                        report.add("documents", store.apply_documents(&docs, false)?);
                    }
                    (
                        store.apply_assignments(&rows, rights.me, true)?,
                        rows.last().map(|r| r.0),
                        rows.len(),
                    )
                }
                "spans" => {
                    let rows = pull.spans(cursor, page)?;
                    (
                        store.apply_spans(&rows, true)?,
                        rows.last().map(|r| r.0),
                        rows.len(),
                    )
                }
                _ => {
                    let rows = pull.events(cursor, page)?;
                    (
                        store.apply_events(&rows, rights.me, true)?,
                        rows.last().map(|r| r.0),
                        rows.len(),
                    )
                }
            };
            refetch.extend(applied.refetch.iter().cloned());
            unblinded |= applied.unblinded;
            report.add(table, applied);
            match last {
                Some(last) if n as i64 >= page => cursor = last,
                _ => break,
            }
        }
    }
    if unblinded {
        refetch.extend(store.my_assigned_documents(rights.me)?);
    }
    if !first && !rights.staff {
        for sha in &refetch {
            if !store
                .missing_documents(std::slice::from_ref(sha))?
                .is_empty()
            {
                let docs = pull.documents_by_sha(std::slice::from_ref(sha))?;
                report.add("documents", store.apply_documents(&docs, false)?);
            }
            let spans = pull.document_spans(sha)?;
            report.add("spans", store.apply_spans(&spans, false)?);
            let events = pull.document_events(sha)?;
            report.add("events", store.apply_events(&events, rights.me, false)?);
            report.fetched_whole += 1;
        }
    }
    pull.finish()?;
    Ok(())
}

impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "synced with {} as {} ({})",
            self.server, self.login, self.role
        )?;
        let p = &self.push;
        if p.tables.is_empty() {
            writeln!(f, "  up: nothing new")?;
        } else {
            let parts: Vec<String> = p
                .tables
                .iter()
                .map(|(table, (sent, written))| {
                    let sent = *sent as u64;
                    if sent <= *written {
                        format!("{table} {written}")
                    } else {
                        format!("{table} {written} ({} already there)", sent - written)
                    }
                })
                .collect();
            writeln!(f, "  up: {}", parts.join(", "))?;
        }
        if p.left_out_here > 0 {
            writeln!(
                f,
                "  not sent: {} events of others or of this project's own bookkeeping",
                p.left_out_here
            )?;
        }
        if p.left_out_there > 0 {
            writeln!(
                f,
                "  left out by the server: {} rows about documents or spans it lacks or you may not read",
                p.left_out_there
            )?;
        }
        if !p.refused.is_empty() {
            writeln!(f, "  refused by the server ({}):", p.refused.len())?;
            for r in &p.refused {
                writeln!(f, "    {r}")?;
            }
        }
        let d = &self.pull;
        if d.nothing_new() {
            write!(f, "  down: nothing new")?;
        } else {
            let mut parts = Vec::new();
            if d.people_added > 0 {
                parts.push(format!("people {}", d.people_added));
            }
            for (table, a) in &d.tables {
                if a.added + a.updated + a.states == 0 {
                    continue;
                }
                let mut part = format!("{table} {}", a.added);
                if a.updated > 0 {
                    part.push_str(&format!(" ({} updated)", a.updated));
                }
                if a.states > 0 {
                    part.push_str(&format!(
                        " ({} statuses, reviews, rejections, notes or settings set)",
                        a.states
                    ));
                }
                parts.push(part);
            }
            write!(f, "  down: {}", parts.join(", "))?;
        }
        let skipped: usize = d.tables.values().map(|a| a.skipped).sum();
        if skipped > 0 {
            write!(
                f,
                "\n  not applied: {skipped} rows naming something this project does not have"
            )?;
        }
        if d.fetched_whole > 0 {
            write!(
                f,
                "\n  fetched whole: {} documents newly assigned or marked done (others' work on them may show now)",
                d.fetched_whole
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for LinkReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.link;
        if l.relinked {
            writeln!(
                f,
                "the project was linked as {} already; link renewed",
                l.annotator
            )?;
        } else {
            writeln!(
                f,
                "linked the project to {} as {} ({}); you are the annotator {} here",
                self.round.server, self.round.login, self.round.role, l.annotator
            )?;
        }
        if l.people_added > 0 {
            writeln!(
                f,
                "  {} people of the server became annotators here",
                l.people_added
            )?;
        }
        if let Some(joined) = &l.adopted {
            writeln!(f, "  your work before linking: {joined}")?;
        }
        write!(f, "{}", self.round)
    }
}
