//! The project store: one SQLite file holding the articles, the annotators,
//! every span ever made and an audit log of every change.
//!
//! This module is the only place that talks SQL. Each mutating call is one
//! immediate transaction that writes the change together with its audit row;
//! when the call returns `Ok`, the change is committed to disk
//! (`journal_mode=WAL`, `synchronous=FULL`); on the window's connection it
//! is committed to the log at once and synced to disk a few milliseconds
//! later by a thread of its own, so no frame waits for the disk (see
//! [`log_sync`]). It must not know about egui, must
//! not keep state that could drift from the file (no caches of rows), and must
//! never change a document's text or remove a span row: deletion is a
//! `deleted_at` mark, so the audit log can always be replayed.
//!
//! # Database format
//!
//! The schema version is `PRAGMA user_version` ([`SCHEMA_VERSION`]). Migrations
//! are an append-only list of SQL scripts; all pending ones run in one
//! immediate transaction, after a backup copy of an older non-empty project is
//! written with `VACUUM INTO '<path>.v<N>.bak'` (N = the old version). A file
//! whose version is newer than this build knows is refused and left untouched.
//! An SQLite file with version 0 that already holds tables belongs to some
//! other program and is refused too.
//!
//! All tables are `STRICT`. Offsets are Unicode code points (Python `str`
//! indices), start inclusive, end exclusive. Timestamps are RFC 3339 UTC with
//! milliseconds, e.g. `2025-01-16T09:30:12.345Z`. JSON columns hold JSON text.
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `documents` | `id` | row id ([`DocId`]), in import order |
//! | | `title` | display title |
//! | | `text` | the article, exactly as imported; never updated (a trigger refuses) |
//! | | `sha256` | lowercase hex SHA-256 of the UTF-8 `text`; a text is imported once (unique index until schema 9, then see "Schema 9") |
//! | | `source` | where it came from: the file path as given, or an origin string |
//! | | `meta` | JSON object, e.g. `{"file_name":"a.txt","had_bom":false}` |
//! | | `direction` | `'rtl'` (default), `'ltr'` or `'auto'` |
//! | | `char_len` | number of code points of `text` (checked: `= length(text)`) |
//! | | `imported_at` | timestamp |
//! | `annotators` | `id`, `name` (unique, not blank), `created_at` | the people who label |
//! | `spans` | `id` | row id ([`SpanId`]) |
//! | | `doc_id`, `annotator_id` | foreign keys |
//! | | `start`, `end` | code-point offsets, `0 <= start < end <= char_len` |
//! | | `label` | label name from the label schema, e.g. `PLACE` |
//! | | `text` | copy of the covered text, `substr(documents.text, start+1, end-start)` |
//! | | `origin` | `'manual'` or `'imported'` (schema 8 adds `'suggested'`) |
//! | | `created_at`, `updated_at` | timestamps |
//! | | `deleted_at` | `NULL` while the span is live; set by a delete, cleared by a restore |
//! | `audit` | `id`, `at` | order and time of the event |
//! | | `actor` | annotator id, `NULL` for the system (e.g. an import from the command line) |
//! | | `action` | one of `annotator.create`, `document.import`, `document.direction`, `document.note`, `span.add`, `span.delete`, `span.restore`, `span.relabel`, `span.attrs`, `span.note`, `schema.switch`, `document.status` |
//! | | `doc_id`, `span_id` | what the event is about (`NULL` when not applicable) |
//! | | `before`, `after` | JSON of the row before and after (`null` when absent) |
//!
//! Indexes: `spans(doc_id, start)`, `documents(sha256)` (unique), `audit(doc_id, id)`;
//! for the document browser (see `browse`) `documents(id)`, `documents(title)`,
//! `documents(changed_at)`, and over live spans `spans(doc_id, label, layer_id)`
//! and `spans(layer_id, doc_id)`.
//! Triggers refuse any UPDATE of a document's `text`/`sha256`/`char_len`, any
//! change to a span's `doc_id`/`start`/`end`/`text`, any DELETE of a span, and
//! any UPDATE or DELETE of an audit row.
//!
//! ## Schema 2: layers, attributes, status, review
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `layers` | `id`, `name` (unique), `kind`, `annotator_id`, `created_at` | a named set of spans: `'annotator'` (one per annotator, named after them, created with them), `'imported'` (named at import), `'gold'` (the adjudicated layer, named `gold`) |
//! | `spans` | `layer_id` | the layer the span belongs to (never changes) |
//! | | `attrs` | JSON object of attribute values, e.g. `{"count":19,"kind":"killed"}` |
//! | | `note` | free text, `''` when none |
//! | | `score`, `model` | confidence and model name of an imported machine extraction |
//! | | `schema_version` | `schemas.version` current when the span was made |
//! | | `source_span_id` | the span this one was copied from (copy into my layer, gold decisions) |
//! | `schemas` | `version`, `name`, `ron`, `sha256`, `source`, `created_at` | every label schema the project has used; the highest version is current |
//! | `documents` | `note` | a note on the document |
//! | | `changed_at` | time of the document's latest audit event (kept by a trigger) |
//! | `document_status` | `doc_id`, `annotator_id`, `status`, `updated_at` | an annotator's progress: `in_progress`, `done`, `skipped` (no row: new) |
//! | `span_marks` | `span_id`, `annotator_id`, `mark`, `at` | `'rejected'`: the annotator hides another layer's span |
//! | `document_review` | `doc_id`, `status`, `reviewer_id`, `updated_at` | `in_review` or `adjudicated` (no row: unreviewed) |
//! | `project_settings` | `key`, `value` (JSON) | e.g. `blind_annotation` = `true` |
//! | `search_index` | FTS5 | normalised title and text of each document, rowid = document id |
//!
//! Migrating a version-1 project gives each annotator their layer and puts
//! their spans in it. Audit actions added: `layer.create`, `span.copy`,
//! `span.reject`, `span.unreject`, `gold.accept`, `gold.correct`,
//! `document.review`, `project.setting`.
//!
//! ## Schema 3: imports in short transactions
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `imports` | `id` | one import (`tawsim import`, File ▸ Import…) |
//! | | `state` | `running`, `committed`, `abandoned` (failed, cancelled or its process gone; its rows are being removed), `cleaned` |
//! | | `origin`, `source` | `command line` / `app` / `library`, and the files as given |
//! | | `actor`, `pid`, `host` | who and which process on which machine runs it |
//! | | `started_at`, `heartbeat_at`, `finished_at` | timestamps; a running import refreshes `heartbeat_at` every few seconds |
//! | | `doc_floor`, `span_floor`, `audit_floor`, `layer_floor` | the highest row id of each table when it began: its rows all lie above (for removing them without an index on `import_id`) |
//! | `documents`, `spans`, `layers`, `audit` | `import_id` | the import that wrote the row; `NULL` for everything else |
//! | `search_index`, `search_titles` | FTS5 | the search index, rebuilt without positions (see `search`) |
//! | `search_queue` | `doc_id`, `import_id` | documents not yet in the search index (see `search`) |
//!
//! ### Imports in short transactions
//!
//! SQLite lets one connection write at a time, so a writer that is not the
//! user's own action must never hold the lock for long. An import (see
//! [`import`]) therefore writes in many transactions of at most 20 ms each
//! ([`import::IMPORT_TX_LONGEST`]), and ends one at once when the window
//! says it waits for the lock (a lock on the file `P-want` beside the
//! project, see [`turn`]); it then holds back until the window got in.
//! Otherwise it pauses half a millisecond between two transactions
//! ([`import::IMPORT_YIELD`]). The window polls for the lock every quarter
//! millisecond for at most 7 ms ([`Store::wait_briefly_for_lock`]); where
//! the file system has no locks and an import cannot hear it, the window's
//! action is retried the next frame. Merges, joins and syncs keep to
//! transactions of about 5 ms ([`import::IMPORT_TX_BUDGET`]) with the same
//! pause. Like every background writer, it runs at a lower CPU and disk
//! priority than the window ([`crate::background`]). It stays all or
//! nothing for the user:
//!
//! 1. [`Store::begin_import`] records the import as `running` (imports run
//!    one at a time: a second one is refused, naming the first).
//! 2. Every row it writes carries its `import_id`. Every connection this
//!    module opens creates TEMP views `documents`, `spans`, `layers` and
//!    `audit` that leave out the rows of imports that are `running` or
//!    `abandoned`; SQLite resolves an unqualified table name in `temp`
//!    before `main`, so every read anywhere (browser, search, exports,
//!    agreement, stats) sees committed rows only. Writes name `main.`
//!    tables; the import itself reads `main.` tables to find its own rows
//!    (a text twice in one file).
//! 3. [`Store::finish_import`] writes the `import` audit row and sets the
//!    state to `committed` in one short transaction: that commit makes
//!    everything visible at once.
//! 4. A failed or cancelled import is set `abandoned` and its rows are
//!    deleted a chunk per transaction ([`Store::abandon_import`]); triggers
//!    allow deleting spans, documents and audit rows only for an abandoned
//!    import. An import whose process is gone (killed, crashed: on this
//!    machine its pid no longer exists, anywhere its heartbeat is older than
//!    [`import::IMPORT_STALE_AFTER`]) is abandoned and cleaned up by the
//!    next [`Store::open`] or [`Store::begin_import`]. Until then its rows
//!    are hidden.
//!
//! Documents enter the search index later, in the background (see
//! [`search`]).
//!
//! ## Schema 4: span counts
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `span_counts` | `layer_id`, `label`, `import_id` | a layer's label, among the spans of one import (`0`: spans not from an import) |
//! | | `live` | how many of those spans are live (`deleted_at IS NULL`) |
//!
//! Triggers on `spans` keep `span_counts` equal to a count of live spans
//! (insert, relabel, delete, restore, and the removal of an abandoned
//! import's rows); the migration counts the spans already there. Statistics
//! sum the rows of visible imports instead of reading every span, so a
//! project of millions of spans counts them in microseconds. The partial
//! index `audit_work_by_day` now carries `import_id` too, so work per day
//! is read from the index alone.
//!
//! ## Schema 5: global identities, assignments
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `annotators`, `layers`, `spans`, `audit` | `uid` | 16 bytes, unique across machines: a UUID version 7 (RFC 9562: 48 bits of milliseconds since 1970, then random bits) made when the row is made ([`NEW_UID`]); rows older than schema 5 got one from their creation time. Shown as `0192a4c1-…` ([`Uid`]). Never changes (triggers). |
//! | `annotators` | `given_name` | the name the person chose; `name` is how this project shows them, unique here (`omar · 2` when another `omar` came in by a merge) |
//! | `layers` | `uid` | the gold layer's is the same in every project (`GOLD_LAYER_UID`), so the gold layers of two copies are one |
//! | `assignments` | `doc_id`, `annotator_id` | the annotator is to label the document (see [`assign`]) |
//! | | `assigned_by`, `updated_at`, `removed` | who made the latest change, when; `1`: taken back (kept as a row, so a merge sees the removal) |
//! | `audit` | `action` | adds `assignment.set` and `assignment.remove` (one document, or a summary per transaction of a bulk assignment; see [`assign`]) |
//! | `document_status` events | `after.row` | the stored status (`null`: no row), which a merge replays; `after.status` is the status shown |
//!
//! Documents are identified by the SHA-256 of their text; statuses,
//! rejections and reviews by their document and person. Local integer ids
//! stay for speed and differ between copies of a project: a merge
//! ([`merge`]) matches records by these identities.
//!
//! ## Schema 6: one person, two identities
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `annotators` | `joined_into` | the annotator this one was joined into on purpose (the same person under two uids, e.g. two laptops); `NULL` for everyone else |
//! | `layers` | `joined_into` | likewise for the joined annotator's layer, whose spans moved into the kept one's |
//!
//! Joined annotators and layers are left out of lists; their names and
//! uids still find the kept ones, so a later merge of a joined person's file
//! comes in as the kept person's work (see [`join`]). The trigger that keeps
//! a span in its layer lets it move only from a joined layer into the layer
//! it joined.
//!
//! A span row in `before`/`after` looks like:
//!
//! ```json
//! {"id":3,"doc":1,"annotator":1,"layer":1,"start":370,"end":374,"label":"PLACE",
//!  "text":"إدلب","origin":"manual","attrs":{},"note":"","score":null,"model":null,
//!  "schema_version":1,"source_span":null,"deleted_at":null}
//! ```
//!
//! ## Schema 7: the link to a team server
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `sync_state` | `key`, `value` | the project's link to a team server (see [`sync`]); no row: not linked |
//!
//! Keys: `server` (the server URL, never with a password), `person` (the
//! uid of the person the project syncs as, the uid of their annotator
//! here), `login`, `role` (`annotator`, `reviewer` or `admin`), `linked_at`,
//! `pushed` (the pushed-audit watermark: every visible audit row up to this
//! id has been pushed, or left out by the rules of [`sync`]), `pull_import`
//! (the id of the `imports` row, state `committed`, whose id marks audit
//! rows that came from the server, so that they are never pushed back) and
//! `cursor.TABLE` (the highest server `seq` of `TABLE` applied here).
//!
//! ## Schema 8: suggestions
//!
//! | table | column | meaning |
//! |---|---|---|
//! | `spans` | `origin` | adds `'suggested'`: a suggestion the annotator accepted into their layer (`model` = the recogniser, `score` kept) |
//! | `suggestion_rejections` | `doc_id`, `annotator_id`, `start`, `end`, `label` | a suggestion the annotator rejected: never suggested to them again in that document (see [`suggest`]) |
//! | | `text`, `at` | the covered text (what the project's string matcher learns from), when |
//!
//! Audit actions added: `suggestion.reject`, `suggestion.unreject`, and
//! `suggest` (one per `tawsim suggest` run, its summary as `after`).
//!
//! ## Schema 9: a narrow key for a document's text
//!
//! The unique index on `documents(sha256)` (64 hex digits a row) becomes
//! `documents_by_sha256_key` on `substr(sha256, 1, 16)`: 64 bits, a quarter
//! of the width. Every lookup of a text ([`document_with_sha256`]) names
//! the key and then the whole hash, so two texts whose hashes share the key
//! are still told apart. A text is still imported once: every writer of documents
//! (import, merge, sync, a single article) looks the hash up before it
//! inserts, inside the same immediate transaction, so no other writer can
//! come between. Why: a SHA-256 is random, so every new document lands on a
//! random leaf of this index, and an import in short transactions rewrites
//! nearly a page of it per document it adds; with keys a quarter as wide,
//! those pages are a quarter as many (BENCHMARKS.md, "Session of stop
//! 18").
//!
//! Since schema 9 a `document.import` event's `after` is `{"id": …}`
//! alone: the document row holds its title, hash, source, length and
//! direction, none of which changes, and [`Store::document_history`] shows
//! the title from there. Events written before keep their longer `after`.
//!
//! ## Schema 10: cheaper checks, the same rules
//!
//! Three CHECKs that every imported document or span ran are replaced by
//! ones that accept exactly the same rows:
//!
//! | table | before | since schema 10 |
//! |---|---|---|
//! | `documents` | `length(text) > 0` | `char_len > 0` (with `char_len = length(text)`, the same rule) |
//! | `documents` | `direction IN ('rtl', 'ltr', 'auto')` | `direction = 'rtl' OR direction = 'ltr' OR direction = 'auto'` |
//! | `spans` | `origin IN ('manual', 'imported', 'suggested')` | `origin = 'manual' OR origin = 'imported' OR origin = 'suggested'` |
//!
//! Why: SQLite counts a text's characters by reading all of it, once per
//! `length(text)`, and builds a temporary table for each `IN (…)` list it
//! checks, at every insert; the two together were about a tenth of the
//! time of an import (BENCHMARKS.md, "Session of stop 19"). The stored
//! schema text is edited, no table is rebuilt.

mod notes;
mod schema;

pub use notes::HistoryEntry;
pub use schema::{LabelUse, StoredSchema};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::json;
use sha2::{Digest, Sha256};

pub mod assign;
mod browse;

pub use assign::{
    ASSIGN_CHUNK, AnnotatorAssignments, AssignPlan, AssignReport, AssignedDocument, Assignee,
    AssignmentProgress,
};
pub use browse::{DocQuery, DocRow, Sort, Status};

use crate::model::{AnnotatorId, Change, CharRange, DocId, LayerId, Origin, Span, SpanId};

mod export;
mod layers;
mod measure;
mod progress;
pub mod reader;
mod review;
pub use reader::Reader;
pub mod search;
pub use search::{SearchField, SearchHit, SearchResults};
pub mod import;
pub mod indexer;
mod join;
pub mod merge;
mod resolve;
pub mod suggest;
pub mod sync;
pub use join::JoinReport;
mod log_sync;
mod pack;
mod turn;
pub use indexer::Indexer;
pub use pack::{PackError, PackReport};
pub use search::SearchCoverage;

/// Schema migrations, oldest first. Only ever append to this list: entry `i`
/// moves a database from `user_version = i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_3,
    MIGRATION_4,
    MIGRATION_5,
    MIGRATION_6,
    MIGRATION_7,
    MIGRATION_8,
    MIGRATION_9,
    MIGRATION_10,
];

/// The newest schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a call waits for another connection's write lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const MIGRATION_1: &str = r#"
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL CHECK (length(text) > 0),
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    source      TEXT NOT NULL,
    meta        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
    direction   TEXT NOT NULL DEFAULT 'rtl' CHECK (direction IN ('rtl', 'ltr', 'auto')),
    char_len    INTEGER NOT NULL CHECK (char_len = length(text)),
    imported_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX documents_by_sha256 ON documents(sha256);

CREATE TABLE annotators (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE spans (
    id           INTEGER PRIMARY KEY,
    doc_id       INTEGER NOT NULL REFERENCES documents(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    start        INTEGER NOT NULL CHECK (start >= 0),
    "end"        INTEGER NOT NULL,
    label        TEXT NOT NULL CHECK (length(trim(label)) > 0),
    text         TEXT NOT NULL,
    origin       TEXT NOT NULL CHECK (origin IN ('manual', 'imported')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    CHECK (start < "end"),
    CHECK (length(text) = "end" - start)
) STRICT;
CREATE INDEX spans_by_doc_start ON spans(doc_id, start);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   INTEGER REFERENCES annotators(id),
    action  TEXT NOT NULL,
    doc_id  INTEGER REFERENCES documents(id),
    span_id INTEGER REFERENCES spans(id),
    before  TEXT NOT NULL CHECK (json_valid(before)),
    after   TEXT NOT NULL CHECK (json_valid(after))
) STRICT;
CREATE INDEX audit_by_doc ON audit(doc_id, id);

CREATE TRIGGER documents_text_is_immutable
BEFORE UPDATE OF text, sha256, char_len ON documents
BEGIN
    SELECT RAISE(ABORT, 'a document''s text never changes after import');
END;

CREATE TRIGGER spans_range_is_immutable
BEFORE UPDATE OF doc_id, start, "end", text ON spans
BEGIN
    SELECT RAISE(ABORT, 'a span''s document, range and covered text never change');
END;

CREATE TRIGGER spans_are_never_removed
BEFORE DELETE ON spans
BEGIN
    SELECT RAISE(ABORT, 'spans are never removed: set deleted_at instead');
END;

CREATE TRIGGER audit_is_append_only_update
BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_is_append_only_delete
BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
"#;

/// Projects of many articles: layers, attributes and notes, the stored label
/// schema, per-annotator document status, rejected marks, last change, search.
const MIGRATION_2: &str = r#"
CREATE TABLE layers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE CHECK (trim(name) <> ''),
    kind         TEXT NOT NULL CHECK (kind IN ('annotator', 'imported', 'gold')),
    annotator_id INTEGER UNIQUE REFERENCES annotators(id),
    created_at   TEXT NOT NULL,
    CHECK ((kind = 'annotator') = (annotator_id IS NOT NULL))
) STRICT;
INSERT INTO layers (name, kind, annotator_id, created_at)
    SELECT name, 'annotator', id, created_at FROM annotators ORDER BY id;

CREATE TABLE schemas (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    ron        TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

ALTER TABLE spans ADD COLUMN layer_id INTEGER REFERENCES layers(id);
UPDATE spans SET layer_id = (SELECT l.id FROM layers l WHERE l.annotator_id = spans.annotator_id);
ALTER TABLE spans ADD COLUMN attrs TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(attrs) AND json_type(attrs) = 'object');
ALTER TABLE spans ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE spans ADD COLUMN score REAL;
ALTER TABLE spans ADD COLUMN model TEXT;
ALTER TABLE spans ADD COLUMN schema_version INTEGER REFERENCES schemas(version);
ALTER TABLE spans ADD COLUMN source_span_id INTEGER REFERENCES spans(id);
CREATE INDEX spans_by_layer_doc ON spans(layer_id, doc_id);

CREATE TRIGGER spans_need_a_layer
BEFORE INSERT ON spans WHEN NEW.layer_id IS NULL
BEGIN
    SELECT RAISE(ABORT, 'a span belongs to a layer');
END;

CREATE TRIGGER spans_layer_is_immutable
BEFORE UPDATE OF layer_id, source_span_id ON spans
BEGIN
    SELECT RAISE(ABORT, 'a span''s layer and source never change');
END;

ALTER TABLE documents ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN changed_at TEXT;
UPDATE documents SET changed_at =
    coalesce((SELECT max(a.at) FROM audit a WHERE a.doc_id = documents.id), imported_at);

CREATE TRIGGER documents_change_with_their_audit
AFTER INSERT ON audit WHEN NEW.doc_id IS NOT NULL
BEGIN
    UPDATE documents SET changed_at = NEW.at WHERE id = NEW.doc_id;
END;

CREATE TABLE document_status (
    doc_id       INTEGER NOT NULL REFERENCES documents(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    status       TEXT NOT NULL CHECK (status IN ('in_progress', 'done', 'skipped')),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (doc_id, annotator_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX document_status_by_annotator ON document_status(annotator_id, status, doc_id);

CREATE TABLE span_marks (
    span_id      INTEGER NOT NULL REFERENCES spans(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    mark         TEXT NOT NULL CHECK (mark IN ('rejected')),
    at           TEXT NOT NULL,
    PRIMARY KEY (span_id, annotator_id)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE search_index USING fts5(
    title, body, content = '', tokenize = 'trigram'
);

CREATE TABLE document_review (
    doc_id      INTEGER PRIMARY KEY REFERENCES documents(id),
    status      TEXT NOT NULL CHECK (status IN ('in_review', 'adjudicated')),
    reviewer_id INTEGER NOT NULL REFERENCES annotators(id),
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX document_review_by_status ON document_review(status, doc_id);

CREATE TABLE project_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value))
) STRICT;

-- The document browser (src/store/browse.rs): sort by title or last change,
-- and per-label counts, label and layer filters from live spans alone.
-- documents_by_id is the narrow twin of the table for paging in import order.
CREATE INDEX documents_by_id ON documents(id);
CREATE INDEX documents_by_title ON documents(title);
CREATE INDEX documents_by_changed ON documents(changed_at);
CREATE INDEX spans_live_by_doc_label ON spans(doc_id, label, layer_id) WHERE deleted_at IS NULL;
CREATE INDEX spans_live_by_layer_doc ON spans(layer_id, doc_id) WHERE deleted_at IS NULL;
"#;

/// Imports in short transactions (see [`import`]): the `imports` table, the
/// rows each import wrote, leftovers of an abandoned import removable, and the
/// search index filled in the background from `search_queue`.
const MIGRATION_3: &str = r#"
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    state        TEXT NOT NULL CHECK (state IN ('running', 'committed', 'abandoned', 'cleaned')),
    origin       TEXT NOT NULL CHECK (origin IN ('command line', 'app', 'library')),
    source       TEXT NOT NULL,
    actor        INTEGER REFERENCES annotators(id),
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    finished_at  TEXT,
    doc_floor    INTEGER NOT NULL DEFAULT 0,
    span_floor   INTEGER NOT NULL DEFAULT 0,
    audit_floor  INTEGER NOT NULL DEFAULT 0,
    layer_floor  INTEGER NOT NULL DEFAULT 0
) STRICT;

ALTER TABLE documents ADD COLUMN import_id INTEGER REFERENCES imports(id);
ALTER TABLE spans ADD COLUMN import_id INTEGER REFERENCES imports(id);
ALTER TABLE layers ADD COLUMN import_id INTEGER REFERENCES imports(id);
ALTER TABLE audit ADD COLUMN import_id INTEGER REFERENCES imports(id);

-- A new document's changed_at is set as it is inserted: its import row
-- need not update it again (an import writes one per document).
DROP TRIGGER documents_change_with_their_audit;
CREATE TRIGGER documents_change_with_their_audit
AFTER INSERT ON audit WHEN NEW.doc_id IS NOT NULL AND NEW.action <> 'document.import'
BEGIN
    UPDATE documents SET changed_at = NEW.at WHERE id = NEW.doc_id;
END;

-- The browser's covering indexes carry import_id, which the visibility
-- filter reads.
DROP INDEX documents_by_id;
DROP INDEX documents_by_title;
DROP INDEX documents_by_changed;
DROP INDEX spans_live_by_doc_label;
DROP INDEX spans_live_by_layer_doc;
CREATE INDEX documents_by_id ON documents(id, import_id);
CREATE INDEX documents_by_title ON documents(title, id, import_id);
CREATE INDEX documents_by_changed ON documents(changed_at, id, import_id);
CREATE INDEX spans_live_by_doc_label ON spans(doc_id, label, layer_id, import_id) WHERE deleted_at IS NULL;
CREATE INDEX spans_live_by_layer_doc ON spans(layer_id, doc_id, import_id) WHERE deleted_at IS NULL;

-- Rows of an abandoned import may be removed; nothing else.
DROP TRIGGER spans_are_never_removed;
CREATE TRIGGER spans_are_never_removed
BEFORE DELETE ON spans
WHEN OLD.import_id IS NULL
  OR NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = OLD.import_id AND i.state = 'abandoned')
BEGIN
    SELECT RAISE(ABORT, 'spans are never removed: set deleted_at instead');
END;
DROP TRIGGER audit_is_append_only_delete;
CREATE TRIGGER audit_is_append_only_delete
BEFORE DELETE ON audit
WHEN OLD.import_id IS NULL
  OR NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = OLD.import_id AND i.state = 'abandoned')
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER documents_are_never_removed
BEFORE DELETE ON documents
WHEN OLD.import_id IS NULL
  OR NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = OLD.import_id AND i.state = 'abandoned')
BEGIN
    SELECT RAISE(ABORT, 'documents are never removed');
END;

-- The search index without positions (see search.rs), titles apart; every
-- document is indexed again, in the background.
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
    body, content = '', tokenize = 'trigram', detail = 'none'
);
CREATE VIRTUAL TABLE search_titles USING fts5(
    title, content = '', tokenize = 'trigram', detail = 'none', columnsize = 0
);

-- Work per day (store/progress.rs) without reading the audit rows of
-- imports, one per imported document.
CREATE INDEX audit_work_by_day ON audit(substr(at, 1, 10), actor)
    WHERE actor IS NOT NULL AND action NOT IN ('document.import', 'annotator.create', 'layer.create');

CREATE TABLE search_queue (
    doc_id    INTEGER PRIMARY KEY REFERENCES documents(id),
    import_id INTEGER REFERENCES imports(id)
) STRICT;
CREATE INDEX search_queue_by_import ON search_queue(import_id, doc_id);
INSERT INTO search_queue (doc_id, import_id) SELECT id, import_id FROM documents;
"#;

/// Live spans counted per layer, label and import, kept by triggers, so that
/// project statistics need not read every span (see [`Store::progress`]).
const MIGRATION_4: &str = r#"
CREATE TABLE span_counts (
    layer_id  INTEGER NOT NULL REFERENCES layers(id),
    label     TEXT NOT NULL,
    import_id INTEGER NOT NULL DEFAULT 0,
    live      INTEGER NOT NULL,
    PRIMARY KEY (layer_id, label, import_id)
) STRICT, WITHOUT ROWID;

INSERT INTO span_counts (layer_id, label, import_id, live)
    SELECT layer_id, label, coalesce(import_id, 0), count(*) FROM spans
    WHERE deleted_at IS NULL GROUP BY layer_id, label, coalesce(import_id, 0);

CREATE TRIGGER span_counts_insert
AFTER INSERT ON spans WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO span_counts (layer_id, label, import_id, live)
    VALUES (NEW.layer_id, NEW.label, coalesce(NEW.import_id, 0), 1)
    ON CONFLICT (layer_id, label, import_id) DO UPDATE SET live = live + 1;
END;
CREATE TRIGGER span_counts_leave
AFTER UPDATE OF label, deleted_at ON spans WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE span_counts SET live = live - 1
    WHERE layer_id = OLD.layer_id AND label = OLD.label AND import_id = coalesce(OLD.import_id, 0);
END;
CREATE TRIGGER span_counts_enter
AFTER UPDATE OF label, deleted_at ON spans WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO span_counts (layer_id, label, import_id, live)
    VALUES (NEW.layer_id, NEW.label, coalesce(NEW.import_id, 0), 1)
    ON CONFLICT (layer_id, label, import_id) DO UPDATE SET live = live + 1;
END;
CREATE TRIGGER span_counts_delete
AFTER DELETE ON spans WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE span_counts SET live = live - 1
    WHERE layer_id = OLD.layer_id AND label = OLD.label AND import_id = coalesce(OLD.import_id, 0);
END;

-- Work per day reads the index alone: it carries import_id, which the
-- visibility filter reads.
DROP INDEX IF EXISTS audit_work_by_day;
CREATE INDEX audit_work_by_day ON audit(substr(at, 1, 10), actor, import_id)
    WHERE actor IS NOT NULL AND action NOT IN ('document.import', 'annotator.create', 'layer.create');
"#;

/// Global identities (see the module documentation, "Schema 5"): a uid for
/// every annotator, layer, span and audit event, given to existing rows from
/// their creation time; the name each annotator chose; assignments.
const MIGRATION_5: &str = r#"
ALTER TABLE annotators ADD COLUMN uid BLOB CHECK (uid IS NULL OR length(uid) = 16);
ALTER TABLE annotators ADD COLUMN given_name TEXT;
ALTER TABLE layers ADD COLUMN uid BLOB CHECK (uid IS NULL OR length(uid) = 16);
ALTER TABLE spans ADD COLUMN uid BLOB CHECK (uid IS NULL OR length(uid) = 16);
ALTER TABLE audit ADD COLUMN uid BLOB CHECK (uid IS NULL OR length(uid) = 16);

UPDATE annotators SET given_name = name,
    uid = unhex(printf('%012X', CAST(coalesce(unixepoch(created_at, 'subsec'), 0) * 1000 AS INTEGER))
        || '7' || substr(hex(randomblob(2)), 2) || printf('%X', 8 + abs(random() % 4))
        || substr(hex(randomblob(8)), 2));
UPDATE layers SET uid = CASE WHEN kind = 'gold' THEN X'00000000000070008000000000000001' ELSE
    unhex(printf('%012X', CAST(coalesce(unixepoch(created_at, 'subsec'), 0) * 1000 AS INTEGER))
        || '7' || substr(hex(randomblob(2)), 2) || printf('%X', 8 + abs(random() % 4))
        || substr(hex(randomblob(8)), 2)) END;
UPDATE spans SET uid =
    unhex(printf('%012X', CAST(coalesce(unixepoch(created_at, 'subsec'), 0) * 1000 AS INTEGER))
        || '7' || substr(hex(randomblob(2)), 2) || printf('%X', 8 + abs(random() % 4))
        || substr(hex(randomblob(8)), 2));
DROP TRIGGER audit_is_append_only_update;
UPDATE audit SET uid =
    unhex(printf('%012X', CAST(coalesce(unixepoch(at, 'subsec'), 0) * 1000 AS INTEGER))
        || '7' || substr(hex(randomblob(2)), 2) || printf('%X', 8 + abs(random() % 4))
        || substr(hex(randomblob(8)), 2));
CREATE TRIGGER audit_is_append_only_update
BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE UNIQUE INDEX annotators_by_uid ON annotators(uid);
CREATE UNIQUE INDEX layers_by_uid ON layers(uid);
CREATE UNIQUE INDEX spans_by_uid ON spans(uid);
CREATE UNIQUE INDEX audit_by_uid ON audit(uid);

CREATE TRIGGER annotators_need_a_uid BEFORE INSERT ON annotators
WHEN NEW.uid IS NULL OR NEW.given_name IS NULL
BEGIN
    SELECT RAISE(ABORT, 'an annotator needs a uid and a given name');
END;
CREATE TRIGGER layers_need_a_uid BEFORE INSERT ON layers WHEN NEW.uid IS NULL
BEGIN
    SELECT RAISE(ABORT, 'a layer needs a uid');
END;
CREATE TRIGGER spans_need_a_uid BEFORE INSERT ON spans WHEN NEW.uid IS NULL
BEGIN
    SELECT RAISE(ABORT, 'a span needs a uid');
END;
CREATE TRIGGER audit_needs_a_uid BEFORE INSERT ON audit WHEN NEW.uid IS NULL
BEGIN
    SELECT RAISE(ABORT, 'an audit event needs a uid');
END;
CREATE TRIGGER annotators_uid_is_immutable BEFORE UPDATE OF uid, given_name ON annotators
BEGIN
    SELECT RAISE(ABORT, 'an annotator''s uid and given name never change');
END;
CREATE TRIGGER layers_uid_is_immutable BEFORE UPDATE OF uid ON layers
BEGIN
    SELECT RAISE(ABORT, 'a layer''s uid never changes');
END;
CREATE TRIGGER spans_uid_is_immutable BEFORE UPDATE OF uid ON spans
BEGIN
    SELECT RAISE(ABORT, 'a span''s uid never changes');
END;

-- A document's last change only moves forward (merged events may be older).
-- Events a merge brings in (under its import id) leave it to the merge,
-- which sets it once per document instead of once per event.
DROP TRIGGER documents_change_with_their_audit;
CREATE TRIGGER documents_change_with_their_audit
AFTER INSERT ON audit WHEN NEW.doc_id IS NOT NULL AND NEW.action <> 'document.import'
    AND (NEW.import_id IS NULL OR NEW.action = 'span.import')
BEGIN
    UPDATE documents SET changed_at = NEW.at
    WHERE id = NEW.doc_id AND (changed_at IS NULL OR changed_at < NEW.at);
END;

CREATE TABLE assignments (
    doc_id       INTEGER NOT NULL REFERENCES documents(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    assigned_by  INTEGER REFERENCES annotators(id),
    updated_at   TEXT NOT NULL,
    removed      INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    PRIMARY KEY (doc_id, annotator_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX assignments_by_annotator ON assignments(annotator_id, doc_id) WHERE removed = 0;
"#;

/// Joining two annotators who are one person (see [`join`]): the joined
/// annotator and layer point at the kept ones, and a span may move from a
/// joined layer into the layer it joined, and nowhere else.
const MIGRATION_6: &str = r#"
ALTER TABLE annotators ADD COLUMN joined_into INTEGER REFERENCES annotators(id);
ALTER TABLE layers ADD COLUMN joined_into INTEGER REFERENCES layers(id);

DROP TRIGGER spans_layer_is_immutable;
CREATE TRIGGER spans_layer_is_immutable
BEFORE UPDATE OF layer_id, source_span_id ON spans
WHEN NEW.source_span_id IS NOT OLD.source_span_id
  OR NOT EXISTS (SELECT 1 FROM layers l WHERE l.id = OLD.layer_id AND l.joined_into = NEW.layer_id)
BEGIN
    SELECT RAISE(ABORT, 'a span''s layer and source never change');
END;

-- Span counts follow a span that moves into the layer it joined.
DROP TRIGGER span_counts_leave;
CREATE TRIGGER span_counts_leave
AFTER UPDATE OF label, deleted_at, layer_id ON spans WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE span_counts SET live = live - 1
    WHERE layer_id = OLD.layer_id AND label = OLD.label AND import_id = coalesce(OLD.import_id, 0);
END;
DROP TRIGGER span_counts_enter;
CREATE TRIGGER span_counts_enter
AFTER UPDATE OF label, deleted_at, layer_id ON spans WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO span_counts (layer_id, label, import_id, live)
    VALUES (NEW.layer_id, NEW.label, coalesce(NEW.import_id, 0), 1)
    ON CONFLICT (layer_id, label, import_id) DO UPDATE SET live = live + 1;
END;
"#;

/// The link to a team server (see [`sync`]): the server, the person this
/// project syncs as, how far pushes and pulls have come.
const MIGRATION_7: &str = r#"
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
"#;

/// Suggestions (see [`suggest`]): spans of origin `suggested`, and the
/// suggestions an annotator rejected.
///
/// Widening the CHECK on `spans.origin` edits the stored schema text, the
/// way SQLite documents for changes ALTER TABLE cannot make
/// (<https://sqlite.org/lang_altertable.html>, "Making Other Kinds Of Table
/// Schema Changes"), instead of rebuilding a table of millions of spans: a
/// CHECK that accepts more than before needs no existing row to be looked
/// at again. `writable_schema = RESET` reloads this connection's schema;
/// the CREATE TABLE after it changes the schema cookie, so every other
/// connection reloads it too. The temporary table refuses to migrate if the
/// text was not found (nothing is changed then).
const MIGRATION_8: &str = r#"
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (origin IN (''manual'', ''imported''))',
                          'CHECK (origin IN (''manual'', ''imported'', ''suggested''))')
 WHERE type = 'table' AND name = 'spans';
PRAGMA writable_schema = RESET;
CREATE TEMP TABLE migration_8_check (widened INTEGER NOT NULL CHECK (widened = 1));
INSERT INTO migration_8_check
    SELECT instr(sql, '''suggested''') > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'spans';
DROP TABLE migration_8_check;

CREATE TABLE suggestion_rejections (
    doc_id       INTEGER NOT NULL REFERENCES documents(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    start        INTEGER NOT NULL CHECK (start >= 0),
    "end"        INTEGER NOT NULL,
    label        TEXT NOT NULL CHECK (trim(label) <> ''),
    text         TEXT NOT NULL,
    at           TEXT NOT NULL,
    CHECK (start < "end"),
    PRIMARY KEY (doc_id, annotator_id, start, "end", label)
) STRICT, WITHOUT ROWID;
"#;

/// A narrow key for finding a document by its text (see the module
/// documentation, "Schema 9"): the first 16 hex digits of the SHA-256.
const MIGRATION_9: &str = r#"
DROP INDEX documents_by_sha256;
CREATE INDEX documents_by_sha256_key ON documents(substr(sha256, 1, 16));
"#;

/// Cheaper CHECKs, the same rules (see the module documentation, "Schema
/// 10"), by editing the stored schema text as [`MIGRATION_8`] does: a CHECK
/// replaced by one that accepts exactly the same rows needs no row looked at
/// again. The table `migration_10_check` refuses to migrate if a text was
/// not found (nothing is changed then); creating it in `main` also changes
/// the schema cookie, so every other connection reloads the schema.
const MIGRATION_10: &str = r#"
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(replace(sql,
           'CHECK (length(text) > 0)',
           'CHECK (char_len > 0)'),
           'CHECK (direction IN (''rtl'', ''ltr'', ''auto''))',
           'CHECK (direction = ''rtl'' OR direction = ''ltr'' OR direction = ''auto'')')
 WHERE type = 'table' AND name = 'documents';
UPDATE sqlite_schema
   SET sql = replace(sql,
           'CHECK (origin IN (''manual'', ''imported'', ''suggested''))',
           'CHECK (origin = ''manual'' OR origin = ''imported'' OR origin = ''suggested'')')
 WHERE type = 'table' AND name = 'spans';
PRAGMA writable_schema = RESET;
CREATE TABLE main.migration_10_check (rewritten INTEGER NOT NULL CHECK (rewritten = 1));
INSERT INTO main.migration_10_check
    SELECT instr(sql, 'CHECK (char_len > 0)') > 0 AND instr(sql, 'direction IN (') = 0
      FROM sqlite_schema WHERE type = 'table' AND name = 'documents';
INSERT INTO main.migration_10_check
    SELECT instr(sql, 'origin IN (') = 0
      FROM sqlite_schema WHERE type = 'table' AND name = 'spans';
DROP TABLE main.migration_10_check;
"#;

/// The condition that finds the document whose text has the SHA-256 (hex)
/// bound as `?1` through `documents_by_sha256_key` (schema 9): the key,
/// then the whole hash. A macro, so that queries can `concat!` it
/// ([`document_with_sha256`], and the tests' query plans).
macro_rules! sha256_is_1 {
    () => {
        "substr(sha256, 1, 16) = substr(?1, 1, 16) AND sha256 = ?1"
    };
}

/// The document whose text has SHA-256 `sha256` (lowercase hex), if the
/// project has it (hidden rows of a running import too): the one lookup by
/// text of every writer of documents, through `documents_by_sha256_key`.
pub(super) fn document_with_sha256(
    conn: &Connection,
    sha256: &str,
) -> Result<Option<DocId>, StoreError> {
    conn.prepare_cached(concat!(
        "SELECT id FROM main.documents WHERE ",
        sha256_is_1!()
    ))
    .and_then(|mut stmt| stmt.query_row([sha256], |row| row.get(0)).optional())
    .during("look for a document with the same text")
}

/// SQL for a new uid: a UUID version 7 (RFC 9562) of the current time, as 16
/// bytes. [`Uid`] shows it in the usual hyphenated form.
///
/// It calls `tawsim_uid()`, which every store connection registers
/// ([`configure`]): [`uuid::Uuid::now_v7`], whose uids are ordered by their
/// creation within the process, also within one millisecond (RFC 9562's
/// method 1, a counter). Two changes of one record made in the same
/// millisecond (accepting a span into gold, then adjudicating) are then
/// ordered by their uids as they were made, which is how merge and sync
/// break a tie of times ([`resolve`]).
pub(crate) const NEW_UID: &str = "tawsim_uid()";

/// The uid of the gold layer in every project, so that the gold layers of
/// two copies of a project are one layer when they are merged.
pub(crate) const GOLD_LAYER_UID: [u8; 16] = [0, 0, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 1];

/// A global identity: 16 bytes, a UUID version 7 for rows made by tawsim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub [u8; 16]);

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Uid {
    type Err = String;

    fn from_str(s: &str) -> Result<Uid, String> {
        let hex: String = s.chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("{s:?} is not a uid (32 hexadecimal digits)"));
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| format!("{s:?} is not a uid"))?;
        }
        Ok(Uid(out))
    }
}

impl rusqlite::types::FromSql for Uid {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let bytes = value.as_blob()?;
        <[u8; 16]>::try_from(bytes).map(Uid).map_err(|_| {
            rusqlite::types::FromSqlError::InvalidBlobSize {
                expected_size: 16,
                blob_size: bytes.len(),
            }
        })
    }
}

impl rusqlite::types::ToSql for Uid {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Blob(&self.0),
        ))
    }
}

/// Per-connection views that hide the rows of imports that have not
/// committed (see the module documentation, "Imports in short
/// transactions"). They live in the connection's `temp` schema, which SQLite
/// searches before `main`, so every unqualified read of these tables sees
/// only committed rows; writes name `main.` tables explicitly.
const VISIBILITY_VIEWS: &str = r#"
CREATE TEMP VIEW IF NOT EXISTS documents AS SELECT * FROM main.documents
    WHERE import_id IS NULL OR import_id NOT IN
        (SELECT id FROM main.imports WHERE state IN ('running', 'abandoned'));
CREATE TEMP VIEW IF NOT EXISTS spans AS SELECT * FROM main.spans
    WHERE import_id IS NULL OR import_id NOT IN
        (SELECT id FROM main.imports WHERE state IN ('running', 'abandoned'));
CREATE TEMP VIEW IF NOT EXISTS layers AS SELECT * FROM main.layers
    WHERE import_id IS NULL OR import_id NOT IN
        (SELECT id FROM main.imports WHERE state IN ('running', 'abandoned'));
CREATE TEMP VIEW IF NOT EXISTS audit AS SELECT * FROM main.audit
    WHERE import_id IS NULL OR import_id NOT IN
        (SELECT id FROM main.imports WHERE state IN ('running', 'abandoned'));
"#;

/// Errors from the project store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An annotator cannot be joined into themselves.
    #[error("an annotator cannot be joined into themselves; name two different annotators")]
    JoinSelf,
    /// The annotator was already joined into someone else.
    #[error("{name} was already joined into another annotator; join into that one instead")]
    JoinedAlready { name: String },
    /// SQLite could not open or create the file.
    #[error(
        "cannot open the project database; check that the folder exists and that you may write to it: {}",
        path.display()
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The file exists but is not an SQLite database.
    #[error(
        "this file is not a tawsim project (it is not an SQLite database); choose a project file or a new file name: {}",
        path.display()
    )]
    NotADatabase { path: PathBuf },
    /// The file is an SQLite database of some other program.
    #[error(
        "this SQLite database is not a tawsim project (it has tables but no tawsim schema version); choose a project file or a new file name: {}",
        path.display()
    )]
    NotAProject { path: PathBuf },
    /// The file can only be read (permissions, read-only medium).
    #[error(
        "the project database can only be read, not written; copy it somewhere writable or fix its permissions: {}",
        path.display()
    )]
    ReadOnly { path: PathBuf },
    /// The schema version is newer than this build knows.
    #[error(
        "this project was written by a newer version of tawsim (schema {found}, this build reads up to {supported}); open it with a newer tawsim: {}",
        path.display()
    )]
    TooNew {
        found: i64,
        supported: i64,
        path: PathBuf,
    },
    /// The backup before a migration could not be written; nothing was migrated.
    #[error(
        "could not write a backup of the project before upgrading it, so it was not upgraded; free some disk space and open it again: {}",
        backup.display()
    )]
    Backup {
        backup: PathBuf,
        source: rusqlite::Error,
    },
    /// A migration failed; the database was rolled back to its old version.
    #[error(
        "could not upgrade the project to schema {version}; it was left at its old version, report this with the file: {}",
        path.display()
    )]
    Migrate {
        version: i64,
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// Any other SQLite failure; the transaction was rolled back.
    #[error(
        "could not {action} in the project database, nothing was changed; if this repeats, check free disk space and that no other program is writing the project"
    )]
    Sqlite {
        action: &'static str,
        source: rusqlite::Error,
    },
    /// A row holds a value this build cannot read.
    #[error("the project database holds an invalid value ({what}); restore it from a backup")]
    Corrupt { what: String },
    #[error("there is no document {doc} in this project; refresh the document list")]
    DocumentNotFound { doc: DocId },
    #[error("there is no span {span} in this project; refresh the document")]
    SpanNotFound { span: SpanId },
    #[error("there is no annotator {annotator} in this project; choose an annotator again")]
    AnnotatorNotFound { annotator: AnnotatorId },
    #[error("an annotator name cannot be empty; type a name")]
    BlankAnnotatorName,
    #[error("a span needs a label, and the label given is empty; choose a label")]
    BlankLabel,
    #[error("the article {title:?} has no text; import a file that holds the article")]
    EmptyText { title: String },
    #[error(
        "the article {title:?} contains a NUL character at character {offset}, which an article never has; save it as plain UTF-8 text and import again"
    )]
    NulInText { title: String, offset: usize },
    /// A span range does not fit the document.
    #[error(
        "span {start}..{end} does not fit document {doc}, which has {char_len} characters; select the text again"
    )]
    SpanOutOfRange {
        doc: DocId,
        start: usize,
        end: usize,
        char_len: usize,
    },
    /// A relabel whose `from` is not the current label: the view was stale.
    #[error(
        "span {span} is labelled {found}, not {expected}; it was changed elsewhere, so nothing was written (reload the document)"
    )]
    StaleLabel {
        span: SpanId,
        expected: String,
        found: String,
    },
    #[error("span {span} is already deleted; nothing was written (reload the document)")]
    AlreadyDeleted { span: SpanId },
    #[error(
        "span {span} is not deleted, so it cannot be restored; nothing was written (reload the document)"
    )]
    NotDeleted { span: SpanId },
    #[error("span {span} is deleted; restore it before relabelling it")]
    SpanDeleted { span: SpanId },
    #[error(
        "the name {name:?} is already used by another layer (an annotator or an imported layer); choose another name"
    )]
    LayerNameTaken { name: String },
    #[error("there is no layer {layer} in this project; refresh the layer list")]
    LayerNotFound { layer: LayerId },
    #[error("span {span} is already rejected by you; nothing was written")]
    AlreadyRejected { span: SpanId },
    #[error("span {span} is not rejected by you, so there is nothing to take back")]
    NotRejected { span: SpanId },
    #[error("span {span} is in your own layer: delete it instead of rejecting it")]
    RejectOwnSpan { span: SpanId },
    // The stored label schema, attributes and notes (store/schema.rs, store/notes.rs).
    /// The project's stored label schema does not parse any more.
    #[error("the label schema stored in the project (version {version}) cannot be read")]
    StoredSchema {
        version: i64,
        source: Box<crate::schema::SchemaError>,
    },
    /// A new schema lacks labels that live spans still use.
    #[error(
        "the label schema {name:?} drops labels that spans still use: {}; keep those labels in the schema, or relabel or delete their spans first; the project's schema was not changed: {origin}",
        LabelUse::list(uses)
    )]
    LabelsInUse {
        name: String,
        origin: String,
        uses: Vec<LabelUse>,
    },
    /// A span's label is not in the project's current schema, so its attributes cannot be checked.
    #[error(
        "span {span} is labelled {label}, which the project's label schema (version {version}) does not define; relabel the span before setting its attributes"
    )]
    LabelNotInSchema {
        span: SpanId,
        label: String,
        version: i64,
    },
    #[error("span {span} ({label}): {source}; nothing was written")]
    Attribute {
        span: SpanId,
        label: String,
        source: Box<crate::schema::AttrError>,
    },
    #[error(
        "the attributes of span {span} are {found}, not {expected}; they were changed elsewhere, so nothing was written (reload the document)"
    )]
    StaleAttrs {
        span: SpanId,
        expected: String,
        found: String,
    },
    #[error(
        "the note of span {span} was changed elsewhere, so nothing was written (reload the document)"
    )]
    StaleNote { span: SpanId },
    #[error(
        "the note of document {doc} was changed elsewhere, so nothing was written (reload the document)"
    )]
    StaleDocumentNote { doc: DocId },
    // The link to a team server (store/sync.rs).
    #[error(
        "this project is not linked to a team server; link it first with `tawsim link --db PROJECT postgres://NAME@HOST:5432/DATABASE`"
    )]
    NotLinked,
    #[error(
        "this project is already linked to {server} as {login}; sync it with that server, or link a new project file to {wanted}"
    )]
    LinkedElsewhere {
        server: String,
        login: String,
        wanted: String,
    },
    // Assignments (store/assign.rs).
    #[error(
        "no annotator was named to assign documents to; name at least one, nothing was assigned"
    )]
    NoAssignees,
    #[error("each document must get at least 1 annotator; nothing was assigned")]
    NoneAssignedPerDocument,
    #[error(
        "each document is to get {per_document} different annotators, but only {annotators} are named ({names}); name more annotators or give each document fewer, nothing was assigned"
    )]
    TooFewAssignees {
        per_document: usize,
        annotators: usize,
        names: String,
    },
}

pub use crate::model::Direction;
pub use export::{DoneBy, ExportDocument, ExportQuery, ExportSpan};
pub use layers::Copied;
pub use progress::Progress;
pub use review::ReviewStatus;

/// An article to import.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocument {
    pub title: String,
    pub text: String,
    /// The file path as given, or an origin string.
    pub source: String,
    /// A JSON object with whatever the importer knows (file name, checksums, …).
    pub meta: serde_json::Value,
}

/// A stored article.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: DocId,
    pub title: String,
    pub text: String,
    /// Lowercase hex SHA-256 of the UTF-8 text.
    pub sha256: String,
    pub source: String,
    pub meta: serde_json::Value,
    pub direction: Direction,
    /// Number of code points in `text`.
    pub char_len: usize,
    pub imported_at: String,
}

/// One line of the document list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub id: DocId,
    pub title: String,
    pub char_len: usize,
    /// Live (not deleted) spans.
    pub span_count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotator {
    pub id: AnnotatorId,
    pub name: String,
}

/// What a layer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// One annotator's own spans (created with the annotator).
    Annotator,
    /// Spans brought in by an import (another tool, a model, a second annotator's file).
    Imported,
    /// The adjudicated layer.
    Gold,
}

impl LayerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Annotator => "annotator",
            LayerKind::Imported => "imported",
            LayerKind::Gold => "gold",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "annotator" => Some(LayerKind::Annotator),
            "imported" => Some(LayerKind::Imported),
            "gold" => Some(LayerKind::Gold),
            _ => None,
        }
    }
}

/// A named set of spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub id: LayerId,
    pub name: String,
    pub kind: LayerKind,
    /// The annotator whose layer this is (only for [`LayerKind::Annotator`]).
    pub annotator: Option<AnnotatorId>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    /// `None` for the system.
    pub actor: Option<AnnotatorId>,
    /// e.g. `span.add`; see the module documentation for the list.
    pub action: String,
    pub doc: Option<DocId>,
    pub span: Option<SpanId>,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// The outcome of importing a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new document with this id.
    Added(DocId),
    /// A document with the same text (same SHA-256) was already there; nothing was written.
    AlreadyPresent(DocId),
}

impl Imported {
    /// The id of the document, new or existing.
    pub fn id(self) -> DocId {
        match self {
            Imported::Added(id) | Imported::AlreadyPresent(id) => id,
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// An open project database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    /// Syncs the log after the window's commits (see [`log_sync`]); `None`
    /// until [`Store::wait_briefly_for_lock`], and for an in-memory store.
    log_syncer: Option<log_sync::LogSyncer>,
    /// The window's `P-want` ([`turn`]): announced around each wait for the
    /// write lock. `None` but for the window's connection of a project file.
    want: Option<turn::WantFile>,
}

impl Store {
    /// Open the project at `path`, creating it if it does not exist, and bring
    /// its schema up to date (after a backup; see the module documentation).
    /// A project without a stored label schema (new, or migrated from
    /// version 1) gets the bundled default, so every project has one.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        wait_for_lock(&mut conn, LockWait::Patient).map_err(open_err)?;
        // Reading the header is the first access to the file: a file that is not
        // SQLite fails here, before anything could be written to it.
        let version = user_version(&conn).map_err(|source| {
            if source.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
                StoreError::NotADatabase {
                    path: path.to_path_buf(),
                }
            } else {
                open_err(source)
            }
        })?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: version,
                supported: SCHEMA_VERSION,
                path: path.to_path_buf(),
            });
        }
        if conn.is_readonly(rusqlite::MAIN_DB).map_err(open_err)? {
            return Err(StoreError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
        if version == 0 && has_tables(&conn).map_err(open_err)? {
            return Err(StoreError::NotAProject {
                path: path.to_path_buf(),
            });
        }
        // `journal_mode` answers with the mode in effect; a file system without
        // WAL support keeps the rollback journal, which is still safe.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(open_err)?;
        configure(&conn).map_err(open_err)?;
        migrate(&mut conn, Some(path), MIGRATIONS)?;
        install_views(&conn).map_err(open_err)?;
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
            log_syncer: None,
            want: None,
        };
        store.clean_up_imports()?;
        search::ensure_queued(&store.conn)?;
        store.ensure_default_schema()?;
        Ok(store)
    }

    /// A fresh project that lives in memory only (tests, benchmarks), with
    /// the bundled label schema stored.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: PathBuf::from(":memory:"),
            source,
        };
        let mut conn = Connection::open_in_memory().map_err(open_err)?;
        configure(&conn).map_err(open_err)?;
        migrate(&mut conn, None, MIGRATIONS)?;
        install_views(&conn).map_err(open_err)?;
        let mut store = Store {
            conn,
            path: None,
            log_syncer: None,
            want: None,
        };
        store.ensure_default_schema()?;
        Ok(store)
    }

    /// A read-only connection to the project at `path`, which another
    /// connection has open and up to date: no migration, no schema check, no
    /// write ever (see [`Reader`]).
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        wait_for_lock(&mut conn, LockWait::Patient).map_err(open_err)?;
        install_views(&conn).map_err(open_err)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(open_err)?;
        Ok(Store {
            conn,
            path: Some(path.to_path_buf()),
            log_syncer: None,
            want: None,
        })
    }

    /// Wait at most [`BRIEF_WAIT`] for another connection's write lock (instead
    /// of [`BUSY_TIMEOUT`]), so a call that cannot get it fails with
    /// [`StoreError::is_locked`] instead of blocking, leave checkpoints to
    /// the other connections (see [`Store::checkpoint`]), and sync each
    /// commit to disk on a thread of its own (see [`log_sync`]). For the
    /// window's connection: its frames never wait longer for the lock, its
    /// commits never copy an import's write-ahead log into the file, and
    /// never wait for the disk.
    pub fn wait_briefly_for_lock(&mut self) {
        // Only fails for a closed connection, where every call fails anyway.
        let _ = wait_for_lock(&mut self.conn, LockWait::Brief);
        // Without the file, an import simply does not hear the window ask.
        self.want = self
            .path
            .as_deref()
            .and_then(|path| turn::WantFile::open(path).ok());
        // Setting `wal_autocheckpoint` replaces the log hook: set it first.
        let _ = self.conn.pragma_update(None, "wal_autocheckpoint", 0);
        self.sync_log_in_background();
    }

    /// Commit with `synchronous=NORMAL` and have a [`log_sync::LogSyncer`]
    /// sync the log after each commit. Stays with `synchronous=FULL` if the
    /// thread cannot be started or the store is in memory.
    fn sync_log_in_background(&mut self) {
        let Some(path) = self.path.clone() else {
            return;
        };
        // Without a write-ahead log (a file system that cannot share
        // memory) there is no log to sync: every commit syncs itself.
        let wal_mode = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .is_ok_and(|mode| mode.eq_ignore_ascii_case("wal"));
        if !wal_mode {
            return;
        }
        if self.log_syncer.is_none() {
            let mut wal = path.into_os_string();
            wal.push("-wal");
            match log_sync::LogSyncer::start(PathBuf::from(wal)) {
                Ok(syncer) => self.log_syncer = Some(syncer),
                Err(_) => return,
            }
        }
        let Some(requests) = self.log_syncer.as_ref().map(log_sync::LogSyncer::requests) else {
            return;
        };
        let hooked = self
            .conn
            .wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, _| {
                requests.commit();
                Ok(())
            }));
        if hooked.is_ok() {
            // Only fails for a closed connection; FULL stays then.
            let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
        }
    }

    /// Why the last background sync of the log failed, if one did: the
    /// disk refused to write, so commits since may not survive a power cut.
    pub fn log_sync_error(&self) -> Option<String> {
        self.log_syncer
            .as_ref()
            .and_then(log_sync::LogSyncer::error)
    }

    /// Wait up to [`BUSY_TIMEOUT`] for another connection's write lock again
    /// (the default, undoing [`Store::wait_briefly_for_lock`]).
    pub fn wait_patiently_for_lock(&mut self) {
        // Only fails for a closed connection, where every call fails anyway.
        let _ = wait_for_lock(&mut self.conn, LockWait::Patient);
    }

    /// Copy what the write-ahead log holds into the project file as far as
    /// readers allow, without waiting for anyone (SQLite's passive
    /// checkpoint); the background indexer calls it now and then.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .during("write the log into the project file")
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The id of the annotator called `name` (surrounding whitespace ignored),
    /// creating the annotator (with an audit row) if there is none yet.
    pub fn annotator_id(&mut self, name: &str) -> Result<AnnotatorId, StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::BlankAnnotatorName);
        }
        // A joined annotator's name finds the person it was joined into.
        const FIND: &str = "SELECT coalesce(joined_into, id) FROM annotators WHERE name = ?1";
        let found = self
            .conn
            .prepare_cached(FIND)
            .and_then(|mut stmt| stmt.query_row([name], |row| row.get(0)).optional())
            .during("look up an annotator")?;
        if let Some(id) = found {
            return Ok(id);
        }
        let tx = self.begin("add an annotator")?;
        // Another program may have added the name since the lookup above.
        let found = tx
            .query_row(FIND, [name], |row| row.get(0))
            .optional()
            .during("look up an annotator")?;
        if let Some(id) = found {
            return Ok(id);
        }
        let (id, _) = insert_annotator(&tx, name, None)?;
        tx.commit().during("save a new annotator")?;
        Ok(id)
    }

    /// All annotators, oldest first.
    pub fn annotators(&self) -> Result<Vec<Annotator>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name FROM annotators WHERE joined_into IS NULL ORDER BY id")
            .during("list annotators")?;
        let rows = stmt
            .query_map([], |row| {
                Ok(Annotator {
                    id: row.get(0)?,
                    name: row.get(1)?,
                })
            })
            .during("list annotators")?;
        rows.collect::<Result<_, _>>().during("list annotators")
    }

    /// Add an article, unless one with the same text (same SHA-256) is already
    /// in the project. The text is stored exactly as given.
    pub fn import_document(
        &mut self,
        doc: &NewDocument,
        actor: Option<AnnotatorId>,
    ) -> Result<Imported, StoreError> {
        check_new_document(doc)?;
        let sha256 = sha256_hex(doc.text.as_bytes());
        let char_len = doc.text.chars().count();
        let tx = self.begin("import a document")?;
        if let Some(actor) = actor {
            ensure_annotator(&tx, actor)?;
        }
        if let Some(id) = document_with_sha256(&tx, &sha256)? {
            return Ok(Imported::AlreadyPresent(id));
        }
        let id = insert_document(&tx, doc, &sha256, char_len, actor, None)?;
        tx.commit().during("save an imported document")?;
        Ok(Imported::Added(id))
    }

    /// Add many articles in one transaction: all of them or, on an error,
    /// none. A text already in the project (same SHA-256) is not added again.
    pub fn import_documents<'a>(
        &mut self,
        docs: impl IntoIterator<Item = &'a NewDocument>,
        actor: Option<AnnotatorId>,
    ) -> Result<Vec<Imported>, StoreError> {
        let tx = self.begin("import documents")?;
        if let Some(actor) = actor {
            ensure_annotator(&tx, actor)?;
        }
        let mut out = Vec::new();
        for doc in docs {
            check_new_document(doc)?;
            let sha256 = sha256_hex(doc.text.as_bytes());
            out.push(match document_with_sha256(&tx, &sha256)? {
                Some(id) => Imported::AlreadyPresent(id),
                None => Imported::Added(insert_document(
                    &tx,
                    doc,
                    &sha256,
                    doc.text.chars().count(),
                    actor,
                    None,
                )?),
            });
        }
        tx.commit().during("save imported documents")?;
        Ok(out)
    }

    /// All documents in import order, with their number of live spans.
    pub fn documents(&self) -> Result<Vec<DocumentSummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT d.id, d.title, d.char_len,
                        (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.deleted_at IS NULL)
                 FROM documents d ORDER BY d.id",
            )
            .during("list documents")?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, DocId>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .during("list documents")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, title, char_len, span_count) = row.during("list documents")?;
            out.push(DocumentSummary {
                id,
                title,
                char_len: to_usize(char_len, "documents.char_len")?,
                span_count: to_usize(span_count, "span count")?,
            });
        }
        Ok(out)
    }

    /// One document with its full text.
    pub fn document(&self, id: DocId) -> Result<Document, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT title, text, sha256, source, meta, direction, char_len, imported_at
                 FROM documents WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([id], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, i64>(6)?,
                        row.get::<_, String>(7)?,
                    ))
                })
                .optional()
            })
            .during("read a document")?;
        let Some((title, text, sha256, source, meta, direction, char_len, imported_at)) = row
        else {
            return Err(StoreError::DocumentNotFound { doc: id });
        };
        Ok(Document {
            id,
            title,
            text,
            sha256,
            source,
            meta: parse_json(&meta, "documents.meta")?,
            direction: parse_direction(&direction)?,
            char_len: to_usize(char_len, "documents.char_len")?,
            imported_at,
        })
    }

    /// Change how a document is laid out. Writing the direction it already has
    /// changes nothing and writes no audit row.
    pub fn set_direction(
        &mut self,
        doc: DocId,
        dir: Direction,
        actor: Option<AnnotatorId>,
    ) -> Result<(), StoreError> {
        let tx = self.begin("change a document's direction")?;
        if let Some(actor) = actor {
            ensure_annotator(&tx, actor)?;
        }
        let current: Option<String> = tx
            .query_row(
                "SELECT direction FROM documents WHERE id = ?1",
                [doc],
                |row| row.get(0),
            )
            .optional()
            .during("read a document's direction")?;
        let Some(current) = current else {
            return Err(StoreError::DocumentNotFound { doc });
        };
        let current = parse_direction(&current)?;
        if current == dir {
            return Ok(());
        }
        tx.execute(
            "UPDATE main.documents SET direction = ?1 WHERE id = ?2",
            params![dir.as_str(), doc],
        )
        .during("change a document's direction")?;
        write_audit(
            &tx,
            &now(),
            actor,
            "document.direction",
            Some(doc),
            None,
            &json!({ "direction": current.as_str() }),
            &json!({ "direction": dir.as_str() }),
        )?;
        tx.commit().during("save a document's direction")
    }

    /// The live (not deleted) spans of a document, ordered by start, end, id.
    pub fn spans(&self, doc: DocId) -> Result<Vec<Span>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SPAN_SELECT} WHERE doc_id = ?1 AND deleted_at IS NULL ORDER BY start, \"end\", id"
            ))
            .during("list spans")?;
        let rows = stmt.query_map([doc], SpanRow::read).during("list spans")?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.during("list spans")?.into_span()?);
        }
        Ok(out)
    }

    /// One span by id, whether live or deleted (undo needs deleted ones).
    pub fn span(&self, id: SpanId) -> Result<Span, StoreError> {
        load_span(&self.conn, id)?.into_span()
    }

    /// Label `range` of document `doc`. The covered text is copied by SQLite
    /// from the stored text. Refuses a range past the end of the document.
    pub fn add_span(
        &mut self,
        doc: DocId,
        annotator: AnnotatorId,
        range: CharRange,
        label: &str,
        origin: Origin,
    ) -> Result<Span, StoreError> {
        if label.trim().is_empty() {
            return Err(StoreError::BlankLabel);
        }
        let tx = self.begin("add a span")?;
        check_fits(doc, range, char_len_of(&tx, doc)?)?;
        ensure_annotator(&tx, annotator)?;
        let layer = annotator_layer(&tx, annotator)?;
        let at = now();
        let id: SpanId = tx
            .prepare_cached(&format!(
                "INSERT INTO main.spans (doc_id, annotator_id, layer_id, start, \"end\", label, text, origin,
                                    schema_version, created_at, updated_at, uid)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, substr(text, ?4 + 1, ?5 - ?4), ?7,
                        (SELECT max(version) FROM schemas), ?8, ?8, {NEW_UID}
                 FROM documents WHERE id = ?1
                 RETURNING id",
            ))
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![
                        doc,
                        annotator,
                        layer,
                        to_i64(range.start()),
                        to_i64(range.end()),
                        label,
                        origin.as_str(),
                        at
                    ],
                    |row| row.get(0),
                )
            })
            .during("add a span")?;
        let span = load_span(&tx, id)?.into_span()?;
        write_audit(
            &tx,
            &at,
            Some(annotator),
            "span.add",
            Some(doc),
            Some(id),
            &serde_json::Value::Null,
            &span_json(&span, None),
        )?;
        tx.commit().during("save a new span")?;
        Ok(span)
    }

    /// Apply one edit by `actor` and return the span as it now is (`None`
    /// for a change to a document rather than a span).
    ///
    /// `Delete` marks a live span deleted, `Restore` clears the mark, `Relabel`
    /// changes the label of a live span whose label is still `from`;
    /// `SetAttrs`, `SetNote` and `DocumentNote` replace the attribute values
    /// or note that are still `from`; every value that `SetAttrs` adds or
    /// changes must fit the span's label in the current schema (values left
    /// as they were are kept, even if the label does not define them). An edit that does not match the stored state (already
    /// deleted, not deleted, another label, other values) is refused and
    /// nothing is written.
    pub fn apply(
        &mut self,
        change: &Change,
        actor: AnnotatorId,
    ) -> Result<Option<Span>, StoreError> {
        let id = match change {
            Change::DocumentNote { doc, from, to } => {
                self.set_document_note(doc, from, to, actor)?;
                return Ok(None);
            }
            Change::RejectSuggestion { doc, range, label }
            | Change::UnrejectSuggestion { doc, range, label } => {
                let reject = matches!(change, Change::RejectSuggestion { .. });
                self.set_suggestion_rejected(*doc, *range, label, actor, reject)?;
                return Ok(None);
            }
            Change::Restore { span }
            | Change::Delete { span }
            | Change::Relabel { span, .. }
            | Change::SetAttrs { span, .. }
            | Change::SetNote { span, .. }
            | Change::Reject { span }
            | Change::Unreject { span } => *span,
        };
        let tx = self.begin("change a span")?;
        ensure_annotator(&tx, actor)?;
        let row = load_span(&tx, id)?;
        let before = row.json();
        let mut after = row.clone();
        let at = now();
        let action = match change {
            Change::Delete { span } => {
                if row.deleted_at.is_some() {
                    return Err(StoreError::AlreadyDeleted { span: *span });
                }
                tx.prepare_cached(
                    "UPDATE main.spans SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
                )
                .and_then(|mut stmt| stmt.execute(params![at, span]))
                .during("delete a span")?;
                after.deleted_at = Some(at.clone());
                "span.delete"
            }
            Change::Restore { span } => {
                if row.deleted_at.is_none() {
                    return Err(StoreError::NotDeleted { span: *span });
                }
                tx.prepare_cached(
                    "UPDATE main.spans SET deleted_at = NULL, updated_at = ?1 WHERE id = ?2",
                )
                .and_then(|mut stmt| stmt.execute(params![at, span]))
                .during("restore a span")?;
                after.deleted_at = None;
                "span.restore"
            }
            Change::Relabel { span, from, to } => {
                if row.deleted_at.is_some() {
                    return Err(StoreError::SpanDeleted { span: *span });
                }
                if row.label != *from {
                    return Err(StoreError::StaleLabel {
                        span: *span,
                        expected: from.clone(),
                        found: row.label,
                    });
                }
                if to.trim().is_empty() {
                    return Err(StoreError::BlankLabel);
                }
                tx.prepare_cached(
                    "UPDATE main.spans SET label = ?1, updated_at = ?2 WHERE id = ?3",
                )
                .and_then(|mut stmt| stmt.execute(params![to, at, span]))
                .during("relabel a span")?;
                after.label = to.clone();
                "span.relabel"
            }
            Change::Reject { span } | Change::Unreject { span } => {
                let reject = matches!(change, Change::Reject { .. });
                layers::set_rejected(&tx, *span, actor, reject, &at)?;
                write_audit(
                    &tx,
                    &at,
                    Some(actor),
                    if reject {
                        "span.reject"
                    } else {
                        "span.unreject"
                    },
                    Some(row.doc),
                    Some(row.id),
                    &json!({ "span": span, "rejected": !reject }),
                    &json!({ "span": span, "rejected": reject }),
                )?;
                tx.commit().during("save a span change")?;
                return row.into_span().map(Some);
            }
            Change::SetAttrs { from, to, .. } => {
                notes::write_attrs(&tx, &row, from, to, &at)?;
                after.attrs = serde_json::Value::Object(to.clone()).to_string();
                "span.attrs"
            }
            Change::SetNote { from, to, .. } => {
                notes::write_note(&tx, &row, from, to, &at)?;
                after.note = to.clone();
                "span.note"
            }
            Change::DocumentNote { .. }
            | Change::RejectSuggestion { .. }
            | Change::UnrejectSuggestion { .. } => {
                unreachable!("document changes returned above")
            }
        };
        write_audit(
            &tx,
            &at,
            Some(actor),
            action,
            Some(row.doc),
            Some(row.id),
            &before,
            &after.json(),
        )?;
        tx.commit().during("save a span change")?;
        after.into_span().map(Some)
    }

    /// The audit log of one document, oldest first.
    pub fn audit(&self, doc: DocId) -> Result<Vec<AuditEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, at, actor, action, doc_id, span_id, before, after
                 FROM audit WHERE doc_id = ?1 ORDER BY id",
            )
            .during("read the audit log")?;
        let rows = stmt
            .query_map([doc], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<AnnotatorId>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<DocId>>(4)?,
                    row.get::<_, Option<SpanId>>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(7)?,
                ))
            })
            .during("read the audit log")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, actor, action, doc, span, before, after) =
                row.during("read the audit log")?;
            out.push(AuditEvent {
                id,
                at,
                actor,
                action,
                doc,
                span,
                before: parse_json(&before, "audit.before")?,
                after: parse_json(&after, "audit.after")?,
            });
        }
        Ok(out)
    }

    /// All layers, oldest first.
    pub fn layers(&self) -> Result<Vec<Layer>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, name, kind, annotator_id FROM layers WHERE joined_into IS NULL ORDER BY id",
            )
            .during("list layers")?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, LayerId>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<AnnotatorId>>(3)?,
                ))
            })
            .during("list layers")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, kind, annotator) = row.during("list layers")?;
            let kind = LayerKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                what: format!("layer {id} has kind {kind:?}"),
            })?;
            out.push(Layer {
                id,
                name,
                kind,
                annotator,
            });
        }
        Ok(out)
    }

    /// The layer of annotator `annotator`'s own spans.
    pub fn annotator_layer(&self, annotator: AnnotatorId) -> Result<LayerId, StoreError> {
        annotator_layer(&self.conn, annotator)
    }

    /// The layer called `name` of kind `kind`, created (with an audit row) if
    /// there is none. Refuses a name already used by a layer of another kind,
    /// and [`LayerKind::Annotator`] (annotator layers come with the annotator).
    pub fn layer_named(
        &mut self,
        name: &str,
        kind: LayerKind,
        actor: Option<AnnotatorId>,
    ) -> Result<LayerId, StoreError> {
        let name = name.trim();
        if name.is_empty() || kind == LayerKind::Annotator {
            return Err(StoreError::LayerNameTaken {
                name: name.to_owned(),
            });
        }
        let tx = self.begin("add a layer")?;
        let id = layer_named(&tx, name, kind, actor)?;
        tx.commit().during("save a new layer")?;
        Ok(id)
    }

    fn begin(&mut self, action: &'static str) -> Result<rusqlite::Transaction<'_>, StoreError> {
        // The window tells a running import it waits (see `turn`).
        let announced = self.want.as_ref().is_some_and(turn::WantFile::announce);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate);
        if announced && let Some(want) = &self.want {
            want.withdraw();
        }
        tx.during(action)
    }
}

/// Adds the action to a rusqlite error.
impl StoreError {
    /// The project file was locked by another writer for longer than this
    /// connection waits: nothing was written, and the same call may simply
    /// be made again.
    pub fn is_locked(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite { source, .. }
                if matches!(
                    source.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                )
        )
    }

    /// The query was stopped by [`Reader::interrupt`] (or another call of
    /// SQLite's interrupt) rather than failing.
    pub fn is_interrupted(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite { source, .. }
                if source.sqlite_error_code() == Some(ErrorCode::OperationInterrupted)
        )
    }
}

trait During<T> {
    fn during(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T> During<T> for rusqlite::Result<T> {
    fn during(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { action, source })
    }
}

/// Per-connection settings. `synchronous=FULL`: a commit is on disk when it returns.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Not deterministic: a new value at every call (see [`NEW_UID`]).
    conn.create_scalar_function(
        "tawsim_uid",
        0,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8,
        |_| Ok(uuid::Uuid::now_v7().as_bytes().to_vec()),
    )?;
    Ok(())
}

/// How long a connection waits for another's write lock.
#[derive(Debug, Clone, Copy)]
enum LockWait {
    /// [`BRIEF_WAIT`] (the window, see [`Store::wait_briefly_for_lock`]).
    Brief,
    /// [`BUSY_TIMEOUT`].
    Patient,
}

/// How often a waiting connection looks at the lock.
const LOCK_POLL: Duration = Duration::from_micros(250);
/// How long the window's connection waits for the lock within a frame: with
/// its own commit it stays under 16 ms.
const BRIEF_WAIT: Duration = Duration::from_millis(7);

/// Make `conn` wait for the write lock by polling every [`LOCK_POLL`] (SQLite's
/// own busy timeout sleeps up to 100 ms between looks, and so would miss the
/// short pauses between an import's transactions, see `import`).
fn wait_for_lock(conn: &mut Connection, wait: LockWait) -> rusqlite::Result<()> {
    fn brief(tries: i32) -> bool {
        poll(tries, BRIEF_WAIT)
    }
    fn patient(tries: i32) -> bool {
        poll(tries, BUSY_TIMEOUT)
    }
    thread_local! {
        /// When this thread's current wait for the lock began.
        static WAIT_BEGAN: std::cell::Cell<Option<std::time::Instant>> =
            const { std::cell::Cell::new(None) };
    }
    // Bounded by the time waited, not the number of looks: a sleep of 250 µs
    // takes 320 µs or more on a busy machine.
    fn poll(tries: i32, limit: Duration) -> bool {
        let now = std::time::Instant::now();
        let began = WAIT_BEGAN.with(|cell| {
            let began = match cell.get() {
                Some(began) if tries > 0 => began,
                _ => now,
            };
            cell.set(Some(began));
            began
        });
        if now.duration_since(began) + LOCK_POLL > limit {
            return false;
        }
        std::thread::sleep(LOCK_POLL);
        true
    }
    conn.busy_handler(Some(match wait {
        LockWait::Brief => brief,
        LockWait::Patient => patient,
    }))
}

/// Create the connection's [`VISIBILITY_VIEWS`] (after any migration).
fn install_views(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(VISIBILITY_VIEWS)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn has_tables(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%')",
        [],
        |row| row.get(0),
    )
}

/// Run the pending `migrations` in one immediate transaction, after backing up
/// a non-empty database that is older than the list.
fn migrate(
    conn: &mut Connection,
    path: Option<&Path>,
    migrations: &[&str],
) -> Result<(), StoreError> {
    let target = migrations.len() as i64;
    let shown_path = || path.map_or_else(|| PathBuf::from(":memory:"), Path::to_path_buf);
    let migrate_err = |version, source| StoreError::Migrate {
        version,
        path: shown_path(),
        source,
    };
    let version = user_version(conn).map_err(|e| migrate_err(target, e))?;
    if version >= target {
        return Ok(());
    }
    if let Some(path) = path
        && version > 0
    {
        backup(conn, path, version)?;
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| migrate_err(target, e))?;
    // Another program may have migrated between the check above and the lock.
    let version = user_version(&tx).map_err(|e| migrate_err(target, e))?;
    for (index, sql) in migrations.iter().enumerate().skip(version.max(0) as usize) {
        let next = index as i64 + 1;
        tx.execute_batch(sql).map_err(|e| migrate_err(next, e))?;
    }
    tx.pragma_update(None, "user_version", target)
        .map_err(|e| migrate_err(target, e))?;
    tx.commit().map_err(|e| migrate_err(target, e))
}

/// `VACUUM INTO '<path>.v<version>.bak'`, or `.v<version>.<k>.bak` if that exists.
fn backup(conn: &Connection, path: &Path, version: i64) -> Result<PathBuf, StoreError> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".v{version}.bak"));
    let mut target = PathBuf::from(name);
    let mut k = 2;
    while target.exists() {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".v{version}.{k}.bak"));
        target = PathBuf::from(name);
        k += 1;
    }
    let backup_err = |source| StoreError::Backup {
        backup: target.clone(),
        source,
    };
    let Some(target_str) = target.to_str() else {
        return Err(backup_err(rusqlite::Error::InvalidPath(target.clone())));
    };
    conn.execute("VACUUM INTO ?1", [target_str])
        .map_err(backup_err)?;
    Ok(target)
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

#[allow(clippy::too_many_arguments)]
fn write_audit(
    conn: &Connection,
    at: &str,
    actor: Option<AnnotatorId>,
    action: &str,
    doc: Option<DocId>,
    span: Option<SpanId>,
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> Result<(), StoreError> {
    write_import_audit(conn, None, at, actor, action, doc, span, before, after)
}

/// [`write_audit`] for a row written by import `import` (hidden with the
/// import's other rows until it commits).
#[allow(clippy::too_many_arguments)]
fn write_import_audit(
    conn: &Connection,
    import: Option<i64>,
    at: &str,
    actor: Option<AnnotatorId>,
    action: &str,
    doc: Option<DocId>,
    span: Option<SpanId>,
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO main.audit (at, actor, action, doc_id, span_id, before, after, import_id, uid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {NEW_UID})"
    ))
    .and_then(|mut stmt| {
        stmt.execute(params![
            at,
            actor,
            action,
            doc,
            span,
            before.to_string(),
            after.to_string(),
            import
        ])
    })
    .during("write the audit log")?;
    Ok(())
}

fn ensure_annotator(conn: &Connection, annotator: AnnotatorId) -> Result<(), StoreError> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM annotators WHERE id = ?1)")
        .and_then(|mut stmt| stmt.query_row([annotator], |row| row.get(0)))
        .during("look up an annotator")?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::AnnotatorNotFound { annotator })
    }
}

/// Refuse a document the store cannot hold: empty, or with a NUL.
fn check_new_document(doc: &NewDocument) -> Result<(), StoreError> {
    if doc.text.is_empty() {
        return Err(StoreError::EmptyText {
            title: doc.title.clone(),
        });
    }
    // SQLite's character functions stop at a NUL, so offsets past one would be wrong.
    if let Some(offset) = doc.text.chars().position(|c| c == '\0') {
        return Err(StoreError::NulInText {
            title: doc.title.clone(),
            offset,
        });
    }
    Ok(())
}

/// The length of document `doc` in code points.
pub(super) fn char_len_of(tx: &Connection, doc: DocId) -> Result<usize, StoreError> {
    let char_len: Option<i64> = tx
        .prepare_cached("SELECT char_len FROM documents WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([doc], |r| r.get(0)).optional())
        .during("read a document's length")?;
    let Some(char_len) = char_len else {
        return Err(StoreError::DocumentNotFound { doc });
    };
    to_usize(char_len, "documents.char_len")
}

/// Refuse `range` if it runs past the end of `doc` (`char_len` code points).
pub(super) fn check_fits(doc: DocId, range: CharRange, char_len: usize) -> Result<(), StoreError> {
    if range.end() > char_len {
        return Err(StoreError::SpanOutOfRange {
            doc,
            start: range.start(),
            end: range.end(),
            char_len,
        });
    }
    Ok(())
}

/// Insert a checked new document (text not empty, no NUL, `sha256` not yet
/// present) with its audit row, inside the caller's transaction, and queue
/// it for search. An import writes the same with [`insert_document_row`]
/// and [`record_imported_documents`]; a merge and a pull from the team
/// server write the rows they bring and queue them too, so the search index
/// stays complete.
fn insert_document(
    tx: &Connection,
    doc: &NewDocument,
    sha256: &str,
    char_len: usize,
    actor: Option<AnnotatorId>,
    import: Option<i64>,
) -> Result<DocId, StoreError> {
    let at = now();
    let id = insert_document_row(
        tx,
        doc,
        sha256,
        char_len,
        &doc.meta.to_string(),
        &at,
        import,
    )?;
    search::enqueue(tx, id, import)?;
    // The row holds the rest, none of which changes (see "Schema 9").
    let after = json!({ "id": id });
    write_import_audit(
        tx,
        import,
        &at,
        actor,
        "document.import",
        Some(id),
        None,
        &serde_json::Value::Null,
        &after,
    )?;
    Ok(id)
}

/// The document row of [`insert_document`] alone, with `meta` as JSON text,
/// imported at `at`: an import queues its new
/// documents for search and writes their `document.import` rows once per
/// transaction ([`record_imported_documents`]).
fn insert_document_row(
    tx: &Connection,
    doc: &NewDocument,
    sha256: &str,
    char_len: usize,
    meta: &str,
    at: &str,
    import: Option<i64>,
) -> Result<DocId, StoreError> {
    let direction = Direction::default().as_str();
    // Cached: a large import inserts thousands of documents in one transaction.
    // No `RETURNING`: SQLite gathers returned rows in a temporary table and
    // journals the statement, a fifth of an import's time for one integer.
    tx.prepare_cached(
        "INSERT INTO main.documents (title, text, sha256, source, meta, direction, char_len, imported_at, import_id, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            doc.title,
            doc.text,
            sha256,
            doc.source,
            meta,
            direction,
            to_i64(char_len),
            at,
            import
        ])
    })
    .map(|_| tx.last_insert_rowid())
    .during("import a document")
}

/// For the documents import `import` added with ids `first..=last` (one
/// transaction's, so no other writer's lie between), by `actor`: queue them
/// for search and write each one's `document.import` audit row, as
/// [`insert_document`] does for a single document, with two statements.
fn record_imported_documents(
    tx: &Connection,
    import: i64,
    actor: AnnotatorId,
    (first, last): (DocId, DocId),
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO main.search_queue (doc_id, import_id)
         SELECT id, import_id FROM main.documents WHERE id BETWEEN ?1 AND ?2 AND import_id = ?3",
    )
    .and_then(|mut stmt| stmt.execute(params![first, last, import]))
    .during("queue documents for search")?;
    tx.prepare_cached(&format!(
        "INSERT INTO main.audit (at, actor, action, doc_id, span_id, before, after, import_id, uid)
         SELECT imported_at, ?4, 'document.import', id, NULL, 'null', json_object('id', id), import_id, {NEW_UID}
         FROM main.documents WHERE id BETWEEN ?1 AND ?2 AND import_id = ?3 ORDER BY id"
    ))
    .and_then(|mut stmt| stmt.execute(params![first, last, import, actor]))
    .during("write the audit log")?;
    Ok(())
}

/// Add annotator `name` (trimmed, not blank, not yet present) with their
/// layer, named after them, and the `annotator.create` audit row, inside the
/// caller's transaction. Refused when a layer already has the name. For
/// import `import` the audit row stays hidden with the import's other rows
/// (the annotator and the layer are visible at once), and the name is
/// checked against the import's hidden layers too.
fn insert_annotator(
    conn: &Connection,
    name: &str,
    import: Option<i64>,
) -> Result<(AnnotatorId, LayerId), StoreError> {
    let at = now();
    let taken_sql = if import.is_some() {
        "SELECT EXISTS (SELECT 1 FROM main.layers WHERE name = ?1)"
    } else {
        "SELECT EXISTS (SELECT 1 FROM layers WHERE name = ?1)"
    };
    let taken: bool = conn
        .query_row(taken_sql, [name], |row| row.get(0))
        .during("look up a layer")?;
    if taken {
        return Err(StoreError::LayerNameTaken {
            name: name.to_owned(),
        });
    }
    let id: AnnotatorId = conn
        .query_row(
            &format!(
                "INSERT INTO annotators (name, given_name, created_at, uid)
                 VALUES (?1, ?1, ?2, {NEW_UID}) RETURNING id"
            ),
            params![name, at],
            |row| row.get(0),
        )
        .during("add an annotator")?;
    let layer: LayerId = conn
        .query_row(
            &format!(
                "INSERT INTO main.layers (name, kind, annotator_id, created_at, uid)
                 VALUES (?1, 'annotator', ?2, ?3, {NEW_UID}) RETURNING id"
            ),
            params![name, id, at],
            |row| row.get(0),
        )
        .during("add an annotator's layer")?;
    write_import_audit(
        conn,
        import,
        &at,
        None,
        "annotator.create",
        None,
        None,
        &serde_json::Value::Null,
        &json!({ "id": id, "name": name }),
    )?;
    Ok((id, layer))
}

fn annotator_layer(conn: &Connection, annotator: AnnotatorId) -> Result<LayerId, StoreError> {
    conn.prepare_cached("SELECT id FROM layers WHERE annotator_id = ?1")
        .and_then(|mut stmt| stmt.query_row([annotator], |row| row.get(0)).optional())
        .during("look up an annotator's layer")?
        .ok_or(StoreError::AnnotatorNotFound { annotator })
}

/// The id of layer `name` of `kind`, creating it inside the caller's transaction.
fn layer_named(
    conn: &Connection,
    name: &str,
    kind: LayerKind,
    actor: Option<AnnotatorId>,
) -> Result<LayerId, StoreError> {
    import_layer_named(conn, name, kind, actor, None)
}

/// [`layer_named`] for import `import`: a layer it creates stays hidden with
/// the import's other rows until the import commits. An import looks at
/// every layer, hidden ones included (imports run one at a time, so a
/// hidden layer is its own); `import = None` looks at visible layers only.
fn import_layer_named(
    conn: &Connection,
    name: &str,
    kind: LayerKind,
    actor: Option<AnnotatorId>,
    import: Option<i64>,
) -> Result<LayerId, StoreError> {
    // An import sees its own hidden layers; anyone else only visible ones.
    let find = if import.is_some() {
        "SELECT id, kind FROM main.layers WHERE name = ?1"
    } else {
        "SELECT id, kind FROM layers WHERE name = ?1"
    };
    let found: Option<(LayerId, String)> = conn
        .prepare_cached(find)
        .and_then(|mut stmt| {
            stmt.query_row([name], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .during("look up a layer")?;
    if let Some((id, found_kind)) = found {
        if found_kind == kind.as_str() {
            return Ok(id);
        }
        return Err(StoreError::LayerNameTaken {
            name: name.to_owned(),
        });
    }
    let at = now();
    let id: LayerId = conn
        .query_row(
            &format!(
                "INSERT INTO main.layers (name, kind, created_at, import_id, uid)
                 VALUES (?1, ?2, ?3, ?4, coalesce(?5, {NEW_UID})) RETURNING id"
            ),
            params![
                name,
                kind.as_str(),
                at,
                import,
                (kind == LayerKind::Gold).then_some(Uid(GOLD_LAYER_UID))
            ],
            |row| row.get(0),
        )
        .during("add a layer")?;
    write_import_audit(
        conn,
        import,
        &at,
        actor,
        "layer.create",
        None,
        None,
        &serde_json::Value::Null,
        &json!({ "id": id, "name": name, "kind": kind.as_str() }),
    )?;
    Ok(id)
}

const SPAN_SELECT: &str =
    "SELECT id, doc_id, annotator_id, start, \"end\", label, text, origin, deleted_at,
            layer_id, attrs, note, score, model, schema_version, source_span_id FROM spans";

/// [`SPAN_SELECT`] from the table itself (for `INDEXED BY`, which a view
/// does not take); the caller adds [`VISIBLE_ROW`] to its `WHERE`.
const SPAN_SELECT_MAIN: &str =
    "SELECT id, doc_id, annotator_id, start, \"end\", label, text, origin, deleted_at,
            layer_id, attrs, note, score, model, schema_version, source_span_id FROM main.spans";

/// The condition of [`VISIBILITY_VIEWS`], for a query on a `main.` table.
const VISIBLE_ROW: &str = "(import_id IS NULL OR import_id NOT IN
    (SELECT id FROM main.imports WHERE state IN ('running', 'abandoned')))";

/// A span row as stored, before its values are checked.
#[derive(Debug, Clone)]
struct SpanRow {
    id: SpanId,
    doc: DocId,
    annotator: AnnotatorId,
    start: i64,
    end: i64,
    label: String,
    text: String,
    origin: String,
    deleted_at: Option<String>,
    layer: LayerId,
    attrs: String,
    note: String,
    score: Option<f64>,
    model: Option<String>,
    schema_version: Option<i64>,
    source_span: Option<SpanId>,
}

impl SpanRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<SpanRow> {
        Ok(SpanRow {
            id: row.get(0)?,
            doc: row.get(1)?,
            annotator: row.get(2)?,
            start: row.get(3)?,
            end: row.get(4)?,
            label: row.get(5)?,
            text: row.get(6)?,
            origin: row.get(7)?,
            deleted_at: row.get(8)?,
            layer: row.get(9)?,
            attrs: row.get(10)?,
            note: row.get(11)?,
            score: row.get(12)?,
            model: row.get(13)?,
            schema_version: row.get(14)?,
            source_span: row.get(15)?,
        })
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "doc": self.doc,
            "annotator": self.annotator,
            "layer": self.layer,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
            "origin": self.origin,
            "attrs": serde_json::from_str::<serde_json::Value>(&self.attrs)
                .unwrap_or(serde_json::Value::Null),
            "note": self.note,
            "score": self.score,
            "model": self.model,
            "schema_version": self.schema_version,
            "source_span": self.source_span,
            "deleted_at": self.deleted_at,
        })
    }

    fn into_span(self) -> Result<Span, StoreError> {
        let start = to_usize(self.start, "spans.start")?;
        let end = to_usize(self.end, "spans.end")?;
        let range = CharRange::new(start, end).map_err(|e| StoreError::Corrupt {
            what: format!("span {}: {e}", self.id),
        })?;
        let origin = Origin::parse(&self.origin).ok_or_else(|| StoreError::Corrupt {
            what: format!("span {} has origin {:?}", self.id, self.origin),
        })?;
        // Most spans have no attributes: skip the JSON parser for them.
        let attrs = match self.attrs.as_str() {
            "{}" => serde_json::Map::new(),
            json => match parse_json(json, "spans.attrs")? {
                serde_json::Value::Object(map) => map,
                other => {
                    return Err(StoreError::Corrupt {
                        what: format!("span {} has attributes {other}", self.id),
                    });
                }
            },
        };
        Ok(Span {
            id: self.id,
            doc: self.doc,
            annotator: self.annotator,
            layer: self.layer,
            range,
            label: self.label,
            text: self.text,
            origin,
            attrs,
            note: self.note,
            score: self.score,
            model: self.model,
            schema_version: self.schema_version,
            source_span: self.source_span,
        })
    }
}

/// A span as an audit row's `before`/`after` value.
fn span_json(span: &Span, deleted_at: Option<&str>) -> serde_json::Value {
    json!({
        "id": span.id,
        "doc": span.doc,
        "annotator": span.annotator,
        "layer": span.layer,
        "start": span.range.start(),
        "end": span.range.end(),
        "label": span.label,
        "text": span.text,
        "origin": span.origin.as_str(),
        "attrs": span.attrs,
        "note": span.note,
        "score": span.score,
        "model": span.model,
        "schema_version": span.schema_version,
        "source_span": span.source_span,
        "deleted_at": deleted_at,
    })
}

fn load_span(conn: &Connection, id: SpanId) -> Result<SpanRow, StoreError> {
    conn.prepare_cached(&format!("{SPAN_SELECT} WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id], SpanRow::read).optional())
        .during("read a span")?
        .ok_or(StoreError::SpanNotFound { span: id })
}

fn parse_direction(s: &str) -> Result<Direction, StoreError> {
    Direction::parse(s).ok_or_else(|| StoreError::Corrupt {
        what: format!("direction {s:?}"),
    })
}

fn parse_json(s: &str, column: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt {
        what: format!("{column} is not JSON: {e}"),
    })
}

fn to_usize(n: i64, column: &str) -> Result<usize, StoreError> {
    usize::try_from(n).map_err(|_| StoreError::Corrupt {
        what: format!("{column} is {n}"),
    })
}

/// Counts and offsets come from `str` lengths, which never exceed `isize::MAX`.
fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: &str = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);";
    const M2: &str = "ALTER TABLE notes ADD COLUMN lang TEXT NOT NULL DEFAULT 'ar';";

    #[test]
    fn migration_backs_up_an_older_database_and_runs_pending_steps_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("project.tawsim");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate(&mut conn, Some(&path), &[M1]).unwrap();
            conn.execute("INSERT INTO notes (body) VALUES ('وقف إطلاق النار')", [])
                .unwrap();
            // A fresh database is not backed up: there is nothing to lose.
            assert!(!dir.path().join("project.tawsim.v0.bak").exists());
        }
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn, Some(&path), &[M1, M2]).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 2);
        let lang: String = conn
            .query_row("SELECT lang FROM notes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(lang, "ar");

        let backup = dir.path().join("project.tawsim.v1.bak");
        let old = Connection::open(&backup).unwrap();
        assert_eq!(user_version(&old).unwrap(), 1);
        let body: String = old
            .query_row("SELECT body FROM notes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(body, "وقف إطلاق النار");

        // Up to date: running again neither migrates nor backs up.
        migrate(&mut conn, Some(&path), &[M1, M2]).unwrap();
        assert!(!dir.path().join("project.tawsim.v2.bak").exists());
    }

    #[test]
    fn a_failing_migration_leaves_the_old_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("project.tawsim");
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn, Some(&path), &[M1]).unwrap();
        let err = migrate(&mut conn, Some(&path), &[M1, M2, "THIS IS NOT SQL"]).unwrap_err();
        assert!(
            matches!(err, StoreError::Migrate { version: 3, .. }),
            "{err:?}"
        );
        assert_eq!(user_version(&conn).unwrap(), 1);
        // M2 ran in the same transaction and was rolled back with it.
        let has_lang: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info('notes') WHERE name = 'lang')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!has_lang);
    }

    /// The window's side of `turn`: while its write waits for the lock,
    /// an import sees it waiting; once it gave up (or got in), no longer.
    #[test]
    fn a_window_waiting_for_the_lock_is_seen_by_an_import() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tawsim");
        let mut window = Store::open(&path).unwrap();
        let doc = window
            .import_document(
                &NewDocument {
                    title: "إدلب".into(),
                    text: "قصف على إدلب".into(),
                    source: "t".into(),
                    meta: json!({}),
                },
                None,
            )
            .unwrap()
            .id();
        let me = window.annotator_id("layla").unwrap();
        window.wait_briefly_for_lock();
        let import = turn::WantFile::open(&path).unwrap();
        assert!(!import.someone_waits());
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let saw = std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                window.add_span(
                    doc,
                    me,
                    CharRange::new(8, 12).unwrap(),
                    "PLACE",
                    Origin::Manual,
                )
            });
            let mut saw = false;
            while !writer.is_finished() {
                saw |= import.someone_waits();
                std::thread::yield_now();
            }
            let refused = writer.join().unwrap().unwrap_err();
            assert!(refused.is_locked(), "{refused}");
            saw
        });
        assert!(saw, "the import never saw the window wait");
        assert!(!import.someone_waits());
        holder.execute_batch("ROLLBACK").unwrap();
        window
            .add_span(
                doc,
                me,
                CharRange::new(8, 12).unwrap(),
                "PLACE",
                Origin::Manual,
            )
            .unwrap();
        assert!(!import.someone_waits());
    }

    #[test]
    fn a_version_8_project_finds_its_documents_by_the_narrow_key_after_migrating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.tawsim");
        let doc = NewDocument {
            title: "إدلب".into(),
            text: "قصف على إدلب".into(),
            source: "t".into(),
            meta: json!({}),
        };
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate(&mut conn, Some(&path), &MIGRATIONS[..8]).unwrap();
            conn.execute(
                "INSERT INTO documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES (?1, ?2, ?3, 's', '{}', 'rtl', 12, '2025-01-01T00:00:00.000Z')",
                params![doc.title, doc.text, sha256_hex(doc.text.as_bytes())],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert!(dir.path().join("old.tawsim.v8.bak").exists());
        let indexes: Vec<String> = store
            .conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'documents' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            indexes.contains(&"documents_by_sha256_key".to_owned()),
            "{indexes:?}"
        );
        assert!(
            !indexes.contains(&"documents_by_sha256".to_owned()),
            "{indexes:?}"
        );
        // The text already there is found, through the key, not by reading every row.
        assert_eq!(
            store.import_document(&doc, None).unwrap(),
            Imported::AlreadyPresent(1)
        );
        let plan: String = store
            .conn
            .query_row(
                concat!(
                    "EXPLAIN QUERY PLAN SELECT id FROM main.documents WHERE ",
                    sha256_is_1!()
                ),
                [sha256_hex(doc.text.as_bytes())],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("documents_by_sha256_key"), "{plan}");
        // Two texts whose hashes share the key's 16 digits are still two documents.
        let twin = format!(
            "{}{}",
            &sha256_hex(doc.text.as_bytes())[..16],
            "0".repeat(48)
        );
        store
            .conn
            .execute(
                "INSERT INTO main.documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES ('twin', 'نص آخر', ?1, 's', '{}', 'rtl', 6, '2025-01-01T00:00:00.000Z')",
                [&twin],
            )
            .unwrap();
        assert_eq!(
            store.import_document(&doc, None).unwrap(),
            Imported::AlreadyPresent(1)
        );
        let found: Vec<i64> = store
            .conn
            .prepare(concat!(
                "SELECT id FROM main.documents WHERE ",
                sha256_is_1!()
            ))
            .unwrap()
            .query_map([&twin], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(found, [2]);
    }

    #[test]
    fn a_version_9_project_keeps_the_same_rules_with_cheaper_checks_after_migrating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.tawsim");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate(&mut conn, Some(&path), &MIGRATIONS[..9]).unwrap();
            conn.execute(
                "INSERT INTO documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES ('إدلب', 'قصف على إدلب', ?1, 's', '{}', 'rtl', 12, '2025-01-01T00:00:00.000Z')",
                [sha256_hex("قصف على إدلب".as_bytes())],
            )
            .unwrap();
        }
        // A second program has the project open while it is migrated.
        let other = Connection::open(&path).unwrap();
        let cookie = |conn: &Connection| -> i64 {
            conn.query_row("PRAGMA schema_version", [], |r| r.get(0))
                .unwrap()
        };
        let before = cookie(&other);
        let mut store = Store::open(&path).unwrap();
        assert!(dir.path().join("old.tawsim.v9.bak").exists());
        // It reloads the schema at its next statement.
        assert!(cookie(&other) > before);
        let table = |name: &str| -> String {
            store
                .conn
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .unwrap()
        };
        let documents = table("documents");
        assert!(!documents.contains(" IN ("), "{documents}");
        assert!(!documents.contains("length(text) > 0"), "{documents}");
        assert!(documents.contains("char_len = length(text)"), "{documents}");
        assert!(!table("spans").contains(" IN ("), "{}", table("spans"));
        let me = store.annotator_id("layla").unwrap();
        let span = store
            .add_span(
                1,
                me,
                CharRange::new(8, 12).unwrap(),
                "PLACE",
                Origin::Manual,
            )
            .unwrap();
        // The same rows are refused as before: from this connection and from
        // the one that was open while the schema changed.
        for conn in [&store.conn, &other] {
            let refused = |sql: &str, args: &[&dyn rusqlite::ToSql]| {
                let err = conn.execute(sql, args).unwrap_err();
                assert!(
                    err.to_string().contains("CHECK constraint failed"),
                    "{sql}: {err}"
                );
            };
            refused(
                "INSERT INTO main.documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES ('empty', '', ?1, 's', '{}', 'rtl', 0, '2025-01-01T00:00:00.000Z')",
                &[&sha256_hex(b"")],
            );
            refused(
                "INSERT INTO main.documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES ('long', 'نص', ?1, 's', '{}', 'rtl', 3, '2025-01-01T00:00:00.000Z')",
                &[&sha256_hex("نص".as_bytes())],
            );
            refused(
                "UPDATE main.documents SET direction = 'up' WHERE id = 1",
                &[],
            );
            refused(
                "UPDATE main.documents SET direction = 'RTL' WHERE id = 1",
                &[],
            );
            refused(
                "UPDATE main.spans SET origin = 'guessed' WHERE id = ?1",
                &[&span.id],
            );
            for direction in ["ltr", "auto", "rtl"] {
                conn.execute(
                    "UPDATE main.documents SET direction = ?1 WHERE id = 1",
                    [direction],
                )
                .unwrap();
            }
            for origin in ["imported", "suggested", "manual"] {
                conn.execute(
                    "UPDATE main.spans SET origin = ?1 WHERE id = ?2",
                    params![origin, span.id],
                )
                .unwrap();
            }
        }
        let check: String = store
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn a_version_1_project_keeps_its_spans_in_each_annotators_layer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.tawsim");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate(&mut conn, Some(&path), &[MIGRATION_1]).unwrap();
            conn.execute_batch(
                "INSERT INTO annotators (name, created_at) VALUES ('layla', '2025-01-01T00:00:00.000Z');
                 INSERT INTO documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES ('t', 'قصف على إدلب', printf('%064d', 0), 's', '{}', 'rtl', 12, '2025-01-01T00:00:00.000Z');
                 INSERT INTO spans (doc_id, annotator_id, start, \"end\", label, text, origin, created_at, updated_at)
                 VALUES (1, 1, 8, 12, 'PLACE', 'إدلب', 'manual', '2025-01-02T00:00:00.000Z', '2025-01-02T00:00:00.000Z');
                 INSERT INTO audit (at, actor, action, doc_id, span_id, before, after)
                 VALUES ('2025-01-02T00:00:00.000Z', 1, 'span.add', 1, 1, 'null', '{}');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert!(dir.path().join("old.tawsim.v1.bak").exists());
        let layers = store.layers().unwrap();
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0].name, "layla");
        assert_eq!(layers[0].kind, LayerKind::Annotator);
        let spans = store.spans(1).unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].layer, layers[0].id);
        assert_eq!(spans[0].text, "إدلب");
        assert!(spans[0].attrs.is_empty());
        assert_eq!(spans[0].schema_version, None);
        let changed: String = store
            .conn
            .query_row("SELECT changed_at FROM documents WHERE id = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(changed, "2025-01-02T00:00:00.000Z");
    }

    #[test]
    fn sha256_hex_matches_a_known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
