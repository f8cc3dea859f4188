//! The server schema: tables, group roles, grants, row-level-security
//! policies and triggers of the PostgreSQL schema `tawsim`, as SQL kept in
//! one place ([`MIGRATIONS`]), and `init`, which creates or migrates it. It
//! must not hold data logic of the sync protocol; the rules here are the ones
//! PostgreSQL enforces for every client.
//!
//! # Versions and migrations
//!
//! `tawsim.meta` row `schema_version` holds the version ([`SCHEMA_VERSION`]
//! = the number of [`MIGRATIONS`]). Migrations are only ever appended. `init`
//! runs in one transaction holding the advisory lock [`INIT_LOCK_KEY`]:
//! on a database without the schema it runs them all, records the version and
//! makes the role it runs as (the *owner*) an admin person; on a server at
//! the same version it changes nothing and says so; on an older one it runs
//! the missing migrations (only the owner may); a newer one is refused with
//! nothing changed. A schema `tawsim` without `tawsim.meta` is not ours and
//! is refused.
//!
//! # Conventions
//!
//! Times are text, ISO 8601 UTC with milliseconds exactly as the local store
//! writes them (`2026-11-30T14:48:29.152Z`), so they compare as text; a CHECK
//! (`tawsim.is_utc`) refuses any other shape. Global identities are UUIDs
//! (version 7 for rows tawsim makes); documents are named by the SHA-256 of
//! their text. JSON is `jsonb`. Offsets are Unicode code points, start
//! inclusive, end exclusive, as in the local store.
//!
//! # Tables (schema `tawsim`)
//!
//! | table | columns | meaning |
//! |---|---|---|
//! | `meta` | `key` (pk), `value` | `schema_version` = [`SCHEMA_VERSION`]; `created_at`. Readable by every person, written only by the owner |
//! | `people` | `uid` uuid (pk), `login` name (unique), `name`, `role`, `created_at`, `removed_at`, `seq` | a person: their PostgreSQL login role, display name, role `annotator`/`reviewer`/`admin`; `removed_at` set by `tawsim server user remove` (never deleted) |
//! | `documents` | `sha256` (pk, 64 lowercase hex digits of the UTF-8 text), `title`, `text`, `source`, `meta` jsonb, `direction` (`rtl`/`ltr`/`auto`), `char_len` (= code points of `text`), `imported_at`, `note` (default `''`), `note_at`, `seq` | an article; `sha256`, `text`, `title`, `char_len`, `imported_at` never change (trigger), the hash is checked against the text on insert |
//! | `schemas` | `sha256` (pk, of `ron`), `name`, `ron`, `source`, `created_at`, `seq` | every label schema used, as RON text; never changed |
//! | `layers` | `uid` (pk), `name`, `kind` (`annotator`/`imported`/`gold`), `owner` (→ people, required for `annotator`), `created_at`, `seq` | one `annotator` layer per person (unique index on `owner`); the gold layer has the uid `00000000-0000-7000-8000-000000000001`, as in every local project, and is made by `init` |
//! | `spans` | `uid` (pk), `doc` (→ documents), `layer` (→ layers), `annotator` (→ people), `start`, `"end"`, `label`, `text`, `origin` (`manual`/`imported`; version 2 adds `suggested`, an accepted suggestion), `created_at`, `updated_at`, `deleted_at` (null while live), `attrs` jsonb object, `note`, `score`, `model`, `schema_sha256`, `source_span`, `seq` | a span; `0 <= start < end <= char_len` and `text` = the document's text there (checked on insert); `uid`, `doc`, `layer`, `annotator`, `start`, `end`, `text`, `origin`, `created_at`, `source_span` never change; deletion is `deleted_at` |
//! | `statuses` | `doc`, `annotator` (pk together), `status` (`in_progress`/`done`/`skipped`; null = new), `updated_at`, `seq` | a person's progress on a document |
//! | `marks` | `span`, `annotator` (pk together), `rejected` bool, `at`, `seq` | a person hides (rejects) a span of another layer |
//! | `reviews` | `doc` (pk), `status` (`in_review`/`adjudicated`; null = unreviewed), `reviewer`, `updated_at`, `seq` | adjudication state of a document |
//! | `assignments` | `doc`, `annotator` (pk together), `assigned_by` (null: the system), `updated_at`, `removed` bool, `seq` | who is to label which document; taking one back sets `removed` |
//! | `settings` | `key` (pk), `value` jsonb, `updated_at`, `seq` | project settings, e.g. `blind_annotation` = `true` |
//! | `events` | `uid` (pk), `at`, `actor` (→ people, null: the system), `action`, `doc`, `span`, `before`, `after` (jsonb, `null` when absent), `seq` | the audit log, as the local store's `audit` (same actions); append-only |
//!
//! Every table but `meta` has an index on `seq`; also `spans(doc, layer)`,
//! `spans(layer)`, `events(doc)`, `events(span)`, live assignments by
//! annotator, statuses by annotator.
//!
//! # Change order: `seq`
//!
//! `seq` is the value of the sequence `tawsim.change_seq` taken when the row
//! was last inserted or updated; clients pull each table by `seq > last seen`.
//! A sequence alone would let a client skip a change: transaction A takes
//! seq 5, B takes 6 and commits, a pull sees 6, then A commits 5 behind it.
//! So the trigger that stamps `seq` (`zz_stamp_seq`, BEFORE INSERT OR UPDATE
//! on every table with `seq`, running as the owner) first takes the
//! transaction-scoped advisory lock [`PUSH_LOCK_KEY`]: from its first write
//! until it commits or rolls back, a transaction is the only one taking seq
//! values, so seqs become visible in increasing order and a pull that has
//! seen seq N has seen every committed change up to N. Writes are therefore
//! serialised; pushes are short transactions and should take the lock as
//! their first statement ([`super::Server::begin_push`]) so that they never
//! wait for it while holding row locks another writer needs.
//!
//! # Roles
//!
//! | role | kind | what it is |
//! |---|---|---|
//! | the owner | login | the role `init` ran as: owns the schema, every table and function; the only one who can alter them; an admin person (cannot be removed) |
//! | `tawsim_annotator` | group, NOLOGIN | USAGE on the schema, SELECT on every table, INSERT on `layers`, `spans`, `statuses`, `marks`, `events`; UPDATE of the changeable columns of `spans` (`label`, `updated_at`, `deleted_at`, `attrs`, `note`, `score`, `model`, `schema_sha256`), `statuses` (`status`, `updated_at`), `marks` (`rejected`, `at`), `documents` (`note`, `note_at`) |
//! | `tawsim_reviewer` | group, member of `tawsim_annotator` | also INSERT and UPDATE (`status`, `reviewer`, `updated_at`) on `reviews` |
//! | `tawsim_admin` | group, member of `tawsim_reviewer` | also INSERT on `documents`, `schemas`, `assignments`, `settings`; UPDATE of `documents` (`source`, `meta`, `direction`), `assignments` (`assigned_by`, `updated_at`, `removed`), `settings` (`value`, `updated_at`); EXECUTE on `tawsim.add_person` and `tawsim.remove_person` |
//! | a person | login | created by `tawsim server user add` with a SCRAM password, member of the group of their role; `remove` makes it NOLOGIN and revokes the group |
//!
//! Group roles belong to the whole PostgreSQL cluster; a person of another
//! database's tawsim server is no person here (policies go by `people`).
//! No DELETE or TRUNCATE is granted on anything, and no UPDATE of `events`,
//! `schemas`, `layers` or `people`.
//!
//! # Row-level security
//!
//! Every table has row-level security enabled and forced (the owner too is
//! held to the policies; only a superuser is not). Policies identify the
//! person by `current_user` through two functions, SECURITY DEFINER with a
//! fixed `search_path`: `tawsim.me()` (the caller's live person uid, null for
//! anyone else) and `tawsim.my_role()` (their role; `admin` for the owner).
//! Both take the caller's name as a parameter defaulting to `current_user`,
//! which PostgreSQL evaluates in the caller's context. Helpers (plain SQL,
//! evaluated as the caller): `is_staff()` (reviewer or admin),
//! `is_assigned(doc)` (a live assignment to me), `blind()` (setting
//! `blind_annotation` is `true`), `sees_layer(doc, layer)`,
//! `may_write_layer(doc, layer)`.
//!
//! | table | read (SELECT) | write (INSERT / UPDATE) |
//! |---|---|---|
//! | `meta` | everyone with USAGE | the owner |
//! | `people` | everyone with USAGE | the owner, i.e. only through `add_person`/`remove_person` |
//! | `documents` | staff; annotators: documents assigned to them | insert: admins; update (columns as granted): staff, annotators on documents assigned to them (the note) |
//! | `schemas`, `layers`, `settings` | every person | schemas, settings: admins. layers: an `annotator` layer owned by me; `gold` by staff; `imported` by admins |
//! | `spans` | staff; annotators: spans of documents assigned to them whose layer they may see: their own, `imported` layers, and, when blind annotation is on, other annotators' and gold layers only once their own status on the document is `done` | insert: `annotator` = me and `may_write_layer`: my own annotator layer (on a document assigned to me, or any document for staff), the gold layer (staff), imported layers (admins); update: the same layers |
//! | `statuses` | staff, my own, and those of documents assigned to me | my own, on documents assigned to me (staff: any document) |
//! | `marks` | staff, my own, and marks on spans I can read | my own, on spans I can read |
//! | `reviews` | staff, and those of documents assigned to me | staff, with `reviewer` = me |
//! | `assignments` | staff, and my own | admins |
//! | `events` | staff; my own; project events (no document, no span); events of documents assigned to me whose span (if any) I can read | `actor` = me (admins also `actor` null) |
//!
//! Triggers refuse, for everyone including the owner: any DELETE or TRUNCATE
//! of any table (statement-level, so even one that would touch no row); any
//! UPDATE of `events` (append-only), `schemas`, `layers`; a change of a
//! document's `sha256`/`text`/`title`/`char_len`/`imported_at`; a change of
//! a span's fixed columns; a change of a person's `uid`/`login`/`created_at`.
//!
//! Known limits, as of PostgreSQL: a unique-key violation tells a writer that
//! a row with that key exists even where they cannot read it (keys are
//! random UUIDs and SHA-256 hashes); a superuser bypasses row-level security
//! and can disable triggers; a removed person's open session is not ended,
//! but from then on `me()` is null for it and every policy refuses it.

use postgres::GenericClient;
use uuid::Uuid;

#[cfg(doc)]
use super::PUSH_LOCK_KEY;
use super::{INIT_LOCK_KEY, ServerError, is_permission_denied, sql_error};

/// The newest server schema version this build creates and speaks.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The oldest PostgreSQL (`server_version_num`) the schema needs.
pub const MIN_POSTGRES: i32 = 150_000;

/// Migration scripts, in order; only ever appended. Script N brings the
/// schema from version N-1 to N.
pub const MIGRATIONS: &[&str] = &[MIGRATION_1, MIGRATION_2];

const MIGRATION_1: &str = r#"
-- Group roles (cluster-wide, shared with other databases' tawsim servers).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tawsim_annotator') THEN
        CREATE ROLE tawsim_annotator NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tawsim_reviewer') THEN
        CREATE ROLE tawsim_reviewer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tawsim_admin') THEN
        CREATE ROLE tawsim_admin NOLOGIN;
    END IF;
    IF NOT pg_catalog.pg_has_role('tawsim_reviewer', 'tawsim_annotator', 'MEMBER') THEN
        GRANT tawsim_annotator TO tawsim_reviewer;
    END IF;
    IF NOT pg_catalog.pg_has_role('tawsim_admin', 'tawsim_reviewer', 'MEMBER') THEN
        GRANT tawsim_reviewer TO tawsim_admin;
    END IF;
END
$roles$;

CREATE SCHEMA tawsim;
REVOKE ALL ON SCHEMA tawsim FROM PUBLIC;
GRANT USAGE ON SCHEMA tawsim TO tawsim_annotator;

CREATE SEQUENCE tawsim.change_seq AS bigint;
REVOKE ALL ON SEQUENCE tawsim.change_seq FROM PUBLIC;

CREATE FUNCTION tawsim.is_utc(t text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN t ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$';

CREATE FUNCTION tawsim.now_text() RETURNS text
    LANGUAGE sql VOLATILE
    RETURN to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');

CREATE TABLE tawsim.meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE tawsim.people (
    uid        uuid PRIMARY KEY,
    login      name NOT NULL UNIQUE,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    role       text NOT NULL CHECK (role IN ('annotator', 'reviewer', 'admin')),
    created_at text NOT NULL CHECK (tawsim.is_utc(created_at)),
    removed_at text CHECK (tawsim.is_utc(removed_at)),
    seq        bigint NOT NULL DEFAULT 0
);

CREATE TABLE tawsim.documents (
    sha256      text PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 ~ '^[0-9a-f]{64}$'),
    title       text NOT NULL,
    text        text NOT NULL CHECK (text <> ''),
    source      text NOT NULL,
    meta        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(meta) = 'object'),
    direction   text NOT NULL DEFAULT 'rtl' CHECK (direction IN ('rtl', 'ltr', 'auto')),
    char_len    integer NOT NULL CHECK (char_len = char_length(text)),
    imported_at text NOT NULL CHECK (tawsim.is_utc(imported_at)),
    note        text NOT NULL DEFAULT '',
    note_at     text CHECK (tawsim.is_utc(note_at)),
    seq         bigint NOT NULL DEFAULT 0
);

CREATE TABLE tawsim.schemas (
    sha256     text PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 ~ '^[0-9a-f]{64}$'),
    name       text NOT NULL,
    ron        text NOT NULL,
    source     text NOT NULL,
    created_at text NOT NULL CHECK (tawsim.is_utc(created_at)),
    seq        bigint NOT NULL DEFAULT 0
);

CREATE TABLE tawsim.layers (
    uid        uuid PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    kind       text NOT NULL CHECK (kind IN ('annotator', 'imported', 'gold')),
    owner      uuid REFERENCES tawsim.people (uid),
    created_at text NOT NULL CHECK (tawsim.is_utc(created_at)),
    seq        bigint NOT NULL DEFAULT 0,
    CHECK (kind <> 'annotator' OR owner IS NOT NULL)
);
CREATE UNIQUE INDEX layers_one_per_annotator ON tawsim.layers (owner) WHERE kind = 'annotator';

CREATE TABLE tawsim.spans (
    uid           uuid PRIMARY KEY,
    doc           text NOT NULL REFERENCES tawsim.documents (sha256),
    layer         uuid NOT NULL REFERENCES tawsim.layers (uid),
    annotator     uuid NOT NULL REFERENCES tawsim.people (uid),
    start         integer NOT NULL CHECK (start >= 0),
    "end"         integer NOT NULL,
    label         text NOT NULL CHECK (btrim(label) <> ''),
    text          text NOT NULL,
    origin        text NOT NULL CHECK (origin IN ('manual', 'imported')),
    created_at    text NOT NULL CHECK (tawsim.is_utc(created_at)),
    updated_at    text NOT NULL CHECK (tawsim.is_utc(updated_at)),
    deleted_at    text CHECK (tawsim.is_utc(deleted_at)),
    attrs         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attrs) = 'object'),
    note          text NOT NULL DEFAULT '',
    score         double precision,
    model         text,
    schema_sha256 text,
    source_span   uuid,
    seq           bigint NOT NULL DEFAULT 0,
    CHECK (start < "end"),
    CHECK (char_length(text) = "end" - start)
);

CREATE TABLE tawsim.statuses (
    doc        text NOT NULL REFERENCES tawsim.documents (sha256),
    annotator  uuid NOT NULL REFERENCES tawsim.people (uid),
    status     text CHECK (status IN ('in_progress', 'done', 'skipped')),
    updated_at text NOT NULL CHECK (tawsim.is_utc(updated_at)),
    seq        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (doc, annotator)
);

CREATE TABLE tawsim.marks (
    span      uuid NOT NULL REFERENCES tawsim.spans (uid),
    annotator uuid NOT NULL REFERENCES tawsim.people (uid),
    rejected  boolean NOT NULL,
    at        text NOT NULL CHECK (tawsim.is_utc(at)),
    seq       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (span, annotator)
);

CREATE TABLE tawsim.reviews (
    doc        text PRIMARY KEY REFERENCES tawsim.documents (sha256),
    status     text CHECK (status IN ('in_review', 'adjudicated')),
    reviewer   uuid NOT NULL REFERENCES tawsim.people (uid),
    updated_at text NOT NULL CHECK (tawsim.is_utc(updated_at)),
    seq        bigint NOT NULL DEFAULT 0
);

CREATE TABLE tawsim.assignments (
    doc         text NOT NULL REFERENCES tawsim.documents (sha256),
    annotator   uuid NOT NULL REFERENCES tawsim.people (uid),
    assigned_by uuid REFERENCES tawsim.people (uid),
    updated_at  text NOT NULL CHECK (tawsim.is_utc(updated_at)),
    removed     boolean NOT NULL DEFAULT false,
    seq         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (doc, annotator)
);

CREATE TABLE tawsim.settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at text NOT NULL CHECK (tawsim.is_utc(updated_at)),
    seq        bigint NOT NULL DEFAULT 0
);

CREATE TABLE tawsim.events (
    uid    uuid PRIMARY KEY,
    at     text NOT NULL CHECK (tawsim.is_utc(at)),
    actor  uuid REFERENCES tawsim.people (uid),
    action text NOT NULL CHECK (action <> ''),
    doc    text REFERENCES tawsim.documents (sha256),
    span   uuid REFERENCES tawsim.spans (uid),
    before jsonb NOT NULL DEFAULT 'null',
    after  jsonb NOT NULL DEFAULT 'null',
    seq    bigint NOT NULL DEFAULT 0
);

CREATE INDEX people_by_seq ON tawsim.people (seq);
CREATE INDEX documents_by_seq ON tawsim.documents (seq);
CREATE INDEX schemas_by_seq ON tawsim.schemas (seq);
CREATE INDEX layers_by_seq ON tawsim.layers (seq);
CREATE INDEX spans_by_seq ON tawsim.spans (seq);
CREATE INDEX spans_by_doc_layer ON tawsim.spans (doc, layer);
CREATE INDEX spans_by_layer ON tawsim.spans (layer);
CREATE INDEX statuses_by_seq ON tawsim.statuses (seq);
CREATE INDEX statuses_by_annotator ON tawsim.statuses (annotator, doc);
CREATE INDEX marks_by_seq ON tawsim.marks (seq);
CREATE INDEX reviews_by_seq ON tawsim.reviews (seq);
CREATE INDEX assignments_by_seq ON tawsim.assignments (seq);
CREATE INDEX assignments_live_by_annotator ON tawsim.assignments (annotator, doc) WHERE NOT removed;
CREATE INDEX settings_by_seq ON tawsim.settings (seq);
CREATE INDEX events_by_seq ON tawsim.events (seq);
CREATE INDEX events_by_doc ON tawsim.events (doc);
CREATE INDEX events_by_span ON tawsim.events (span);

-- Who is calling. `who` defaults to current_user, which PostgreSQL evaluates
-- where the call is written (the policy, as the querying role), not inside
-- these SECURITY DEFINER functions (where current_user is the owner).
CREATE FUNCTION tawsim.me(who name DEFAULT current_user) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    RETURN (SELECT p.uid FROM tawsim.people p WHERE p.login = who AND p.removed_at IS NULL);

CREATE FUNCTION tawsim.my_role(who name DEFAULT current_user) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    RETURN coalesce(
        (SELECT p.role FROM tawsim.people p WHERE p.login = who AND p.removed_at IS NULL),
        (SELECT 'admin' FROM pg_namespace n
          WHERE n.nspname = 'tawsim' AND pg_has_role(who, n.nspowner, 'USAGE')));

-- True for the owner of the schema (and its members), evaluated as the caller.
CREATE FUNCTION tawsim.is_owner() RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    RETURN coalesce(
        (SELECT pg_has_role(n.nspowner, 'USAGE') FROM pg_namespace n WHERE n.nspname = 'tawsim'),
        false);

CREATE FUNCTION tawsim.is_staff() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN coalesce(tawsim.my_role() IN ('reviewer', 'admin'), false);

CREATE FUNCTION tawsim.is_assigned(d text) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT FROM tawsim.assignments a
                    WHERE a.doc = d AND a.annotator = tawsim.me() AND NOT a.removed);

CREATE FUNCTION tawsim.blind() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN coalesce((SELECT s.value = 'true'::jsonb FROM tawsim.settings s
                      WHERE s.key = 'blind_annotation'), false);

-- For an annotator: may I read the spans of layer l on document d?
CREATE FUNCTION tawsim.sees_layer(d text, l uuid) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN NOT tawsim.blind()
        OR EXISTS (SELECT FROM tawsim.layers y
                    WHERE y.uid = l
                      AND (y.kind = 'imported' OR (y.kind = 'annotator' AND y.owner = tawsim.me())))
        OR EXISTS (SELECT FROM tawsim.statuses s
                    WHERE s.doc = d AND s.annotator = tawsim.me() AND s.status = 'done');

-- May I write spans of layer l on document d?
CREATE FUNCTION tawsim.may_write_layer(d text, l uuid) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT FROM tawsim.layers y
                    WHERE y.uid = l
                      AND ((y.kind = 'annotator' AND y.owner = tawsim.me()
                            AND (tawsim.is_staff() OR tawsim.is_assigned(d)))
                           OR (y.kind = 'gold' AND tawsim.is_staff())
                           OR (y.kind = 'imported' AND tawsim.my_role() = 'admin')));

-- Triggers.
CREATE FUNCTION tawsim.stamp_seq() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(32758262963727617);
    NEW.seq := nextval('tawsim.change_seq');
    RETURN NEW;
END
$fn$;

CREATE FUNCTION tawsim.refuse_delete() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION 'rows of tawsim.% are never deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege', HINT = TG_ARGV[0];
END
$fn$;

CREATE FUNCTION tawsim.refuse_update() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION 'rows of tawsim.% are never changed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege', HINT = TG_ARGV[0];
END
$fn$;

CREATE FUNCTION tawsim.documents_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.sha256 <> encode(sha256(convert_to(NEW.text, 'UTF8')), 'hex') THEN
            RAISE EXCEPTION 'document %: sha256 is not the SHA-256 of its text', NEW.sha256
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.sha256 IS DISTINCT FROM OLD.sha256 OR NEW.text IS DISTINCT FROM OLD.text
       OR NEW.title IS DISTINCT FROM OLD.title OR NEW.char_len IS DISTINCT FROM OLD.char_len
       OR NEW.imported_at IS DISTINCT FROM OLD.imported_at THEN
        RAISE EXCEPTION 'document %: a document''s text, sha256, title, length and import time never change', OLD.sha256
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE FUNCTION tawsim.schemas_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF NEW.sha256 <> encode(sha256(convert_to(NEW.ron, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'label schema %: sha256 is not the SHA-256 of its RON text', NEW.sha256
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$fn$;

-- Runs as the owner to read the document whatever the writer may read; its
-- messages say nothing of the document's text.
CREATE FUNCTION tawsim.spans_check() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    doc_text text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT d.text INTO doc_text FROM tawsim.documents d WHERE d.sha256 = NEW.doc;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'span %: there is no document %', NEW.uid, NEW.doc
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF NEW."end" > char_length(doc_text)
           OR substr(doc_text, NEW.start + 1, NEW."end" - NEW.start) IS DISTINCT FROM NEW.text THEN
            RAISE EXCEPTION 'span %: its text is not the text of document % at %..%',
                NEW.uid, NEW.doc, NEW.start, NEW."end"
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.uid IS DISTINCT FROM OLD.uid OR NEW.doc IS DISTINCT FROM OLD.doc
       OR NEW.layer IS DISTINCT FROM OLD.layer OR NEW.annotator IS DISTINCT FROM OLD.annotator
       OR NEW.start IS DISTINCT FROM OLD.start OR NEW."end" IS DISTINCT FROM OLD."end"
       OR NEW.text IS DISTINCT FROM OLD.text OR NEW.origin IS DISTINCT FROM OLD.origin
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.source_span IS DISTINCT FROM OLD.source_span THEN
        RAISE EXCEPTION 'span %: a span''s document, layer, annotator, range, text, origin, creation time and source never change', OLD.uid
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE FUNCTION tawsim.people_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF NEW.uid IS DISTINCT FROM OLD.uid OR NEW.login IS DISTINCT FROM OLD.login
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'person %: a person''s uid, login and creation time never change', OLD.login
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$fn$;

REVOKE ALL ON FUNCTION tawsim.stamp_seq(), tawsim.refuse_delete(), tawsim.refuse_update(),
    tawsim.documents_check(), tawsim.schemas_check(), tawsim.spans_check(),
    tawsim.people_check() FROM PUBLIC;

DO $triggers$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['people', 'documents', 'schemas', 'layers', 'spans', 'statuses',
                             'marks', 'reviews', 'assignments', 'settings', 'events'] LOOP
        EXECUTE format('CREATE TRIGGER zz_stamp_seq BEFORE INSERT OR UPDATE ON tawsim.%I
                        FOR EACH ROW EXECUTE FUNCTION tawsim.stamp_seq()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['meta', 'documents', 'schemas', 'layers', 'statuses', 'marks',
                             'reviews', 'settings'] LOOP
        EXECUTE format('CREATE TRIGGER never_deleted BEFORE DELETE OR TRUNCATE ON tawsim.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_delete(%L)',
                       t, 'nothing on a tawsim server is ever deleted');
    END LOOP;
END
$triggers$;

CREATE TRIGGER never_deleted BEFORE DELETE OR TRUNCATE ON tawsim.people
    FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_delete(
        'remove a person with `tawsim server user remove`: their work stays');
CREATE TRIGGER never_deleted BEFORE DELETE OR TRUNCATE ON tawsim.spans
    FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_delete(
        'a deleted span is a span with deleted_at set');
CREATE TRIGGER never_deleted BEFORE DELETE OR TRUNCATE ON tawsim.assignments
    FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_delete(
        'a taken-back assignment is one with removed = true');
CREATE TRIGGER never_deleted BEFORE DELETE OR TRUNCATE ON tawsim.events
    FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_delete(
        'the event log is append-only');
CREATE TRIGGER never_changed BEFORE UPDATE ON tawsim.events
    FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_update(
        'the event log is append-only: record a new event instead');
CREATE TRIGGER never_changed BEFORE UPDATE ON tawsim.schemas
    FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_update(
        'a label schema is stored once, as it was');
CREATE TRIGGER never_changed BEFORE UPDATE ON tawsim.layers
    FOR EACH STATEMENT EXECUTE FUNCTION tawsim.refuse_update(
        'a layer keeps its name, kind and owner');
CREATE TRIGGER documents_check BEFORE INSERT OR UPDATE ON tawsim.documents
    FOR EACH ROW EXECUTE FUNCTION tawsim.documents_check();
CREATE TRIGGER schemas_check BEFORE INSERT ON tawsim.schemas
    FOR EACH ROW EXECUTE FUNCTION tawsim.schemas_check();
CREATE TRIGGER spans_check BEFORE INSERT OR UPDATE ON tawsim.spans
    FOR EACH ROW EXECUTE FUNCTION tawsim.spans_check();
CREATE TRIGGER people_check BEFORE UPDATE ON tawsim.people
    FOR EACH ROW EXECUTE FUNCTION tawsim.people_check();

-- The gold layer, the same uid as in every local project.
INSERT INTO tawsim.layers (uid, name, kind, owner, created_at)
    VALUES ('00000000-0000-7000-8000-000000000001', 'gold', 'gold', NULL, tawsim.now_text());

-- People, managed by admins through these two functions, which run as the
-- owner (who may create roles). The password arrives as a SCRAM verifier,
-- never in clear text.
CREATE FUNCTION tawsim.add_person(p_uid uuid, p_login text, p_name text, p_role text,
                                  p_verifier text)
    RETURNS TABLE (person uuid, restored boolean)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    existing tawsim.people;
    grp text;
BEGIN
    IF p_role IS NULL OR p_role NOT IN ('annotator', 'reviewer', 'admin') THEN
        RAISE EXCEPTION 'the role of a person is annotator, reviewer or admin, not %', p_role
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_login IS NULL OR p_login !~ '^[A-Za-z][A-Za-z0-9_.-]{0,62}$' OR p_login ~ '^(pg_|tawsim_)' THEN
        RAISE EXCEPTION 'a login is a letter then up to 62 letters, digits, _ . or - (not starting with pg_ or tawsim_), not %', p_login
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_verifier IS NULL OR p_verifier !~ '^SCRAM-SHA-256\$' THEN
        RAISE EXCEPTION 'the password must arrive as a SCRAM-SHA-256 verifier'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    grp := 'tawsim_' || p_role;
    SELECT * INTO existing FROM tawsim.people p WHERE p.login = p_login;
    IF FOUND THEN
        IF existing.removed_at IS NULL THEN
            RAISE EXCEPTION 'there is already a person % (%) on this server', p_login, existing.role
                USING ERRCODE = 'duplicate_object',
                      HINT = 'remove them first to add them again with another role or password';
        END IF;
        IF EXISTS (SELECT FROM pg_roles r WHERE r.rolname = p_login) THEN
            EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', p_login, p_verifier);
        ELSE
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', p_login, p_verifier);
        END IF;
        EXECUTE format('GRANT %I TO %I', grp, p_login);
        UPDATE tawsim.people p SET role = p_role, removed_at = NULL,
                                   name = coalesce(nullif(btrim(p_name), ''), p.name)
         WHERE p.uid = existing.uid;
        RETURN QUERY SELECT existing.uid, true;
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM pg_roles r WHERE r.rolname = p_login) THEN
        RAISE EXCEPTION 'a PostgreSQL role % already exists and is not a person of this server', p_login
            USING ERRCODE = 'duplicate_object',
                  HINT = 'choose another login; tawsim makes the login role itself';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_login, p_verifier, grp);
    INSERT INTO tawsim.people (uid, login, name, role, created_at)
        VALUES (p_uid, p_login, coalesce(nullif(btrim(p_name), ''), p_login), p_role,
                tawsim.now_text());
    RETURN QUERY SELECT p_uid, false;
END
$fn$;

CREATE FUNCTION tawsim.remove_person(p_login text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    existing tawsim.people;
    grp text;
BEGIN
    SELECT * INTO existing FROM tawsim.people p WHERE p.login = p_login;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no person % on this server', p_login
            USING ERRCODE = 'undefined_object';
    END IF;
    IF existing.removed_at IS NOT NULL THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT FROM pg_namespace n
                WHERE n.nspname = 'tawsim' AND n.nspowner::regrole::text = quote_ident(p_login)) THEN
        RAISE EXCEPTION '% owns this server''s schema and cannot be removed', p_login
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT FROM pg_roles r WHERE r.rolname = p_login) THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', p_login);
        FOR grp IN
            SELECT g.rolname FROM pg_auth_members m
              JOIN pg_roles g ON g.oid = m.roleid
              JOIN pg_roles u ON u.oid = m.member
             WHERE u.rolname = p_login
               AND g.rolname IN ('tawsim_annotator', 'tawsim_reviewer', 'tawsim_admin')
        LOOP
            EXECUTE format('REVOKE %I FROM %I', grp, p_login);
        END LOOP;
    END IF;
    UPDATE tawsim.people p SET removed_at = tawsim.now_text() WHERE p.uid = existing.uid;
    RETURN true;
END
$fn$;

REVOKE ALL ON FUNCTION tawsim.add_person(uuid, text, text, text, text),
    tawsim.remove_person(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tawsim.add_person(uuid, text, text, text, text),
    tawsim.remove_person(text) TO tawsim_admin;

-- Grants.
GRANT SELECT ON ALL TABLES IN SCHEMA tawsim TO tawsim_annotator;
GRANT INSERT ON tawsim.layers, tawsim.spans, tawsim.statuses, tawsim.marks, tawsim.events
    TO tawsim_annotator;
GRANT UPDATE (label, updated_at, deleted_at, attrs, note, score, model, schema_sha256)
    ON tawsim.spans TO tawsim_annotator;
GRANT UPDATE (status, updated_at) ON tawsim.statuses TO tawsim_annotator;
GRANT UPDATE (rejected, at) ON tawsim.marks TO tawsim_annotator;
GRANT UPDATE (note, note_at) ON tawsim.documents TO tawsim_annotator;
GRANT INSERT ON tawsim.reviews TO tawsim_reviewer;
GRANT UPDATE (status, reviewer, updated_at) ON tawsim.reviews TO tawsim_reviewer;
GRANT INSERT ON tawsim.documents, tawsim.schemas, tawsim.assignments, tawsim.settings
    TO tawsim_admin;
GRANT UPDATE (source, meta, direction) ON tawsim.documents TO tawsim_admin;
GRANT UPDATE (assigned_by, updated_at, removed) ON tawsim.assignments TO tawsim_admin;
GRANT UPDATE (value, updated_at) ON tawsim.settings TO tawsim_admin;

-- Row-level security, forced on the owner too.
ALTER TABLE tawsim.meta ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.people ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.documents ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.schemas ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.layers ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.spans ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.statuses ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.marks ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.reviews ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.assignments ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.settings ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tawsim.events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

CREATE POLICY meta_read ON tawsim.meta FOR SELECT USING (true);
CREATE POLICY meta_insert ON tawsim.meta FOR INSERT WITH CHECK (tawsim.is_owner());
CREATE POLICY meta_update ON tawsim.meta FOR UPDATE
    USING (tawsim.is_owner()) WITH CHECK (tawsim.is_owner());

CREATE POLICY people_read ON tawsim.people FOR SELECT USING (true);
CREATE POLICY people_insert ON tawsim.people FOR INSERT WITH CHECK (tawsim.is_owner());
CREATE POLICY people_update ON tawsim.people FOR UPDATE
    USING (tawsim.is_owner()) WITH CHECK (tawsim.is_owner());

CREATE POLICY documents_read ON tawsim.documents FOR SELECT
    USING ((SELECT tawsim.is_staff()) OR tawsim.is_assigned(sha256));
CREATE POLICY documents_import ON tawsim.documents FOR INSERT
    WITH CHECK ((SELECT tawsim.my_role()) = 'admin');
CREATE POLICY documents_note ON tawsim.documents FOR UPDATE
    USING ((SELECT tawsim.is_staff()) OR tawsim.is_assigned(sha256))
    WITH CHECK ((SELECT tawsim.is_staff()) OR tawsim.is_assigned(sha256));

CREATE POLICY schemas_read ON tawsim.schemas FOR SELECT
    USING ((SELECT tawsim.me()) IS NOT NULL OR (SELECT tawsim.is_owner()));
CREATE POLICY schemas_add ON tawsim.schemas FOR INSERT
    WITH CHECK ((SELECT tawsim.my_role()) = 'admin');

CREATE POLICY layers_read ON tawsim.layers FOR SELECT
    USING ((SELECT tawsim.me()) IS NOT NULL OR (SELECT tawsim.is_owner()));
CREATE POLICY layers_add ON tawsim.layers FOR INSERT WITH CHECK (
    (kind = 'annotator' AND owner = (SELECT tawsim.me()))
    OR (kind = 'gold' AND (SELECT tawsim.is_staff()))
    OR (kind = 'imported' AND (SELECT tawsim.my_role()) = 'admin'));

CREATE POLICY spans_read ON tawsim.spans FOR SELECT USING (
    (SELECT tawsim.is_staff())
    OR (tawsim.is_assigned(doc) AND tawsim.sees_layer(doc, layer)));
CREATE POLICY spans_add ON tawsim.spans FOR INSERT WITH CHECK (
    annotator = (SELECT tawsim.me()) AND tawsim.may_write_layer(doc, layer));
CREATE POLICY spans_change ON tawsim.spans FOR UPDATE
    USING (tawsim.may_write_layer(doc, layer))
    WITH CHECK (tawsim.may_write_layer(doc, layer));

CREATE POLICY statuses_read ON tawsim.statuses FOR SELECT USING (
    (SELECT tawsim.is_staff()) OR annotator = (SELECT tawsim.me()) OR tawsim.is_assigned(doc));
CREATE POLICY statuses_add ON tawsim.statuses FOR INSERT WITH CHECK (
    annotator = (SELECT tawsim.me()) AND ((SELECT tawsim.is_staff()) OR tawsim.is_assigned(doc)));
CREATE POLICY statuses_change ON tawsim.statuses FOR UPDATE
    USING (annotator = (SELECT tawsim.me()))
    WITH CHECK (annotator = (SELECT tawsim.me())
                AND ((SELECT tawsim.is_staff()) OR tawsim.is_assigned(doc)));

CREATE POLICY marks_read ON tawsim.marks FOR SELECT USING (
    (SELECT tawsim.is_staff()) OR annotator = (SELECT tawsim.me())
    OR EXISTS (SELECT FROM tawsim.spans s WHERE s.uid = span));
CREATE POLICY marks_add ON tawsim.marks FOR INSERT WITH CHECK (
    annotator = (SELECT tawsim.me()) AND EXISTS (SELECT FROM tawsim.spans s WHERE s.uid = span));
CREATE POLICY marks_change ON tawsim.marks FOR UPDATE
    USING (annotator = (SELECT tawsim.me()))
    WITH CHECK (annotator = (SELECT tawsim.me())
                AND EXISTS (SELECT FROM tawsim.spans s WHERE s.uid = span));

CREATE POLICY reviews_read ON tawsim.reviews FOR SELECT
    USING ((SELECT tawsim.is_staff()) OR tawsim.is_assigned(doc));
CREATE POLICY reviews_add ON tawsim.reviews FOR INSERT
    WITH CHECK ((SELECT tawsim.is_staff()) AND reviewer = (SELECT tawsim.me()));
CREATE POLICY reviews_change ON tawsim.reviews FOR UPDATE
    USING ((SELECT tawsim.is_staff()))
    WITH CHECK ((SELECT tawsim.is_staff()) AND reviewer = (SELECT tawsim.me()));

CREATE POLICY assignments_read ON tawsim.assignments FOR SELECT
    USING ((SELECT tawsim.is_staff()) OR annotator = (SELECT tawsim.me()));
CREATE POLICY assignments_add ON tawsim.assignments FOR INSERT
    WITH CHECK ((SELECT tawsim.my_role()) = 'admin');
CREATE POLICY assignments_change ON tawsim.assignments FOR UPDATE
    USING ((SELECT tawsim.my_role()) = 'admin')
    WITH CHECK ((SELECT tawsim.my_role()) = 'admin');

CREATE POLICY settings_read ON tawsim.settings FOR SELECT
    USING ((SELECT tawsim.me()) IS NOT NULL OR (SELECT tawsim.is_owner()));
CREATE POLICY settings_add ON tawsim.settings FOR INSERT
    WITH CHECK ((SELECT tawsim.my_role()) = 'admin');
CREATE POLICY settings_change ON tawsim.settings FOR UPDATE
    USING ((SELECT tawsim.my_role()) = 'admin')
    WITH CHECK ((SELECT tawsim.my_role()) = 'admin');

CREATE POLICY events_read ON tawsim.events FOR SELECT USING (
    (SELECT tawsim.is_staff())
    OR actor = (SELECT tawsim.me())
    OR (doc IS NULL AND span IS NULL AND (SELECT tawsim.me()) IS NOT NULL)
    OR (doc IS NOT NULL AND tawsim.is_assigned(doc)
        AND (span IS NULL OR EXISTS (SELECT FROM tawsim.spans s WHERE s.uid = span))));
CREATE POLICY events_add ON tawsim.events FOR INSERT WITH CHECK (
    actor = (SELECT tawsim.me())
    OR (actor IS NULL AND (SELECT tawsim.my_role()) = 'admin'));
"#;

/// What `init` found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitReport {
    /// The schema was created at `version`; `owner` owns it and is an admin.
    Created { version: i64, owner: String },
    /// The server was already at `version`; nothing was changed.
    Current { version: i64 },
    /// The schema was migrated from version `from` to `to`.
    Migrated { from: i64, to: i64 },
}

/// What a database holds.
pub(crate) enum Installed {
    /// No schema `tawsim`.
    Absent,
    /// The server schema at this version.
    Version(i64),
}

/// The installed schema version, read the way any person's client may.
pub(crate) fn installed_version(
    client: &mut impl GenericClient,
    url: &str,
) -> Result<Installed, ServerError> {
    let row = client
        .query_one(
            "SELECT n.oid IS NOT NULL,
                    EXISTS (SELECT FROM pg_class c
                             WHERE c.relnamespace = n.oid AND c.relname = 'meta'),
                    n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE'),
                    current_user::text
               FROM (SELECT NULL) AS one
               LEFT JOIN pg_namespace n ON n.nspname = 'tawsim'",
            &[],
        )
        .map_err(|e| sql_error("look for the tawsim schema", url, e))?;
    let (schema, meta, usage, role): (bool, bool, bool, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    if !schema {
        return Ok(Installed::Absent);
    }
    if !meta {
        return Err(ServerError::NotTawsim {
            what: "the database has a schema named tawsim without a table tawsim.meta".into(),
            url: url.to_owned(),
        });
    }
    if !usage {
        return Err(ServerError::NotAPerson {
            role,
            url: url.to_owned(),
        });
    }
    let value: Option<String> = client
        .query_opt(
            "SELECT value FROM tawsim.meta WHERE key = 'schema_version'",
            &[],
        )
        .map_err(|e| sql_error("read the server's schema version", url, e))?
        .map(|row| row.get(0));
    let Some(value) = value else {
        return Err(ServerError::NotTawsim {
            what: "tawsim.meta has no schema_version".into(),
            url: url.to_owned(),
        });
    };
    match value.trim().parse::<i64>() {
        Ok(version) if version >= 1 => Ok(Installed::Version(version)),
        _ => Err(ServerError::NotTawsim {
            what: format!("tawsim.meta says schema_version {value:?}, which is not a version"),
            url: url.to_owned(),
        }),
    }
}

/// Version 2: a span's origin may be `suggested` (a suggestion accepted
/// into an annotator's layer, see [`crate::store::suggest`]). The column
/// CHECK of version 1 has PostgreSQL's default name `spans_origin_check`.
///
/// And the annotators' read of events: version 1's `events_read` checked
/// "the event's span is one I may read" with `EXISTS (SELECT FROM
/// tawsim.spans …)`, which PostgreSQL planned as a scan of every span on the
/// server (the spans' policy evaluated per span) on every pull of an
/// annotator: 150–210 ms per page with 10 clients on a small server, and
/// growing with the server. `tawsim.sees_span` asks the same under the same
/// policy (it runs as the caller), but PL/pgSQL is never inlined into the
/// query, so it is one primary-key lookup per event.
const MIGRATION_2: &str = r#"
ALTER TABLE tawsim.spans DROP CONSTRAINT spans_origin_check;
ALTER TABLE tawsim.spans ADD CONSTRAINT spans_origin_check
    CHECK (origin IN ('manual', 'imported', 'suggested'));

CREATE OR REPLACE FUNCTION tawsim.sees_span(u uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN EXISTS (SELECT FROM tawsim.spans s WHERE s.uid = u); END $$;
ALTER POLICY events_read ON tawsim.events USING (
    (SELECT tawsim.is_staff())
    OR actor = (SELECT tawsim.me())
    OR (doc IS NULL AND span IS NULL AND (SELECT tawsim.me()) IS NOT NULL)
    OR (doc IS NOT NULL AND tawsim.is_assigned(doc)
        AND (span IS NULL OR tawsim.sees_span(span))));
"#;

/// Create or migrate the server schema (see the module documentation);
/// `owner_uid` is the person uid the owner gets on a new server.
pub(crate) fn init(
    client: &mut postgres::Client,
    url: &str,
    owner_uid: Uuid,
) -> Result<InitReport, ServerError> {
    preflight(client, url)?;
    let mut tx = client
        .transaction()
        .map_err(|e| sql_error("begin init", url, e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INIT_LOCK_KEY])
        .map_err(|e| sql_error("wait for another init to finish", url, e))?;
    let report = match installed_version(&mut tx, url)? {
        Installed::Absent => {
            may_create(&mut tx, url)?;
            migrate(&mut tx, url, 0)?;
            tx.execute(
                "INSERT INTO tawsim.meta (key, value) VALUES ('created_at', tawsim.now_text())",
                &[],
            )
            .map_err(|e| sql_error("record when the server was made", url, e))?;
            tx.execute(
                "INSERT INTO tawsim.people (uid, login, name, role, created_at)
                 VALUES ($1, current_user, current_user, 'admin', tawsim.now_text())",
                &[&owner_uid],
            )
            .map_err(|e| sql_error("make the owner an admin person", url, e))?;
            let owner: String = tx
                .query_one("SELECT current_user::text", &[])
                .map_err(|e| sql_error("read the role name", url, e))?
                .get(0);
            InitReport::Created {
                version: SCHEMA_VERSION,
                owner,
            }
        }
        Installed::Version(found) if found > SCHEMA_VERSION => {
            return Err(ServerError::Newer {
                found,
                known: SCHEMA_VERSION,
                url: url.to_owned(),
            });
        }
        Installed::Version(found) if found == SCHEMA_VERSION => {
            InitReport::Current { version: found }
        }
        Installed::Version(found) => {
            let row = tx
                .query_one(
                    "SELECT pg_has_role(nspowner, 'USAGE'), nspowner::regrole::text
                       FROM pg_namespace WHERE nspname = 'tawsim'",
                    &[],
                )
                .map_err(|e| sql_error("read who owns the schema", url, e))?;
            let (is_owner, owner): (bool, String) = (row.get(0), row.get(1));
            if !is_owner {
                return Err(ServerError::Refused {
                    message: format!(
                        "the server's schema is version {found} and needs migrating to \
                         {SCHEMA_VERSION}, which only its owner {owner} may do: run \
                         `tawsim server init` with {owner} in the URL"
                    ),
                    url: url.to_owned(),
                });
            }
            migrate(&mut tx, url, found)?;
            InitReport::Migrated {
                from: found,
                to: SCHEMA_VERSION,
            }
        }
    };
    tx.commit()
        .map_err(|e| sql_error("commit the server schema", url, e))?;
    Ok(report)
}

/// Run the migrations after version `from` and record the new version.
fn migrate(tx: &mut postgres::Transaction<'_>, url: &str, from: i64) -> Result<(), ServerError> {
    for (index, script) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = index + 1;
        tx.batch_execute(script).map_err(|e| {
            let during = format!("create the server schema (migration {version})");
            if is_permission_denied(&e) {
                ServerError::Refused {
                    message: format!(
                        "{during}: {}; the role in the URL must be allowed to create roles \
                         (CREATEROLE) and schemas in this database (CREATE)",
                        super::describe(&e)
                    ),
                    url: url.to_owned(),
                }
            } else {
                sql_error(&during, url, e)
            }
        })?;
    }
    tx.execute(
        "INSERT INTO tawsim.meta (key, value) VALUES ('schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&SCHEMA_VERSION.to_string()],
    )
    .map_err(|e| sql_error("record the schema version", url, e))?;
    Ok(())
}

/// Refuse a PostgreSQL older than 15 or a database not in UTF-8, before
/// anything is written.
fn preflight(client: &mut postgres::Client, url: &str) -> Result<(), ServerError> {
    let row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int, current_setting('server_version'),
                    pg_encoding_to_char(encoding)
               FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .map_err(|e| sql_error("read the server's version", url, e))?;
    let (number, version, encoding): (i32, String, String) = (row.get(0), row.get(1), row.get(2));
    if number < MIN_POSTGRES {
        return Err(ServerError::Refused {
            message: format!(
                "the server runs PostgreSQL {version}; tawsim needs PostgreSQL 15 or newer"
            ),
            url: url.to_owned(),
        });
    }
    if encoding != "UTF8" {
        return Err(ServerError::Refused {
            message: format!(
                "the database's encoding is {encoding}, and Arabic text needs UTF8: \
                 create the database with `createdb -E UTF8 -T template0 NAME`"
            ),
            url: url.to_owned(),
        });
    }
    Ok(())
}

/// Refuse, naming the missing right, a role that may not create roles or
/// schemas here.
fn may_create(tx: &mut postgres::Transaction<'_>, url: &str) -> Result<(), ServerError> {
    let row = tx
        .query_one(
            "SELECT current_user::text, current_database()::text, rolsuper OR rolcreaterole,
                    has_database_privilege(current_database(), 'CREATE')
               FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .map_err(|e| sql_error("read the role's rights", url, e))?;
    let (role, database, create_role, create_schema): (String, String, bool, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    if !create_role {
        return Err(ServerError::Refused {
            message: format!(
                "role {role} may not create roles, and the server needs to (group roles, and \
                 one login role per person): a superuser runs `ALTER ROLE {role} CREATEROLE`, \
                 or use a role that may"
            ),
            url: url.to_owned(),
        });
    }
    if !create_schema {
        return Err(ServerError::Refused {
            message: format!(
                "role {role} may not create schemas in database {database}: its owner runs \
                 `GRANT CREATE ON DATABASE {database} TO {role}`, or use the database's owner"
            ),
            url: url.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_2_widens_the_origin_check_that_version_1_made() {
        assert!(
            MIGRATION_1
                .contains("origin        text NOT NULL CHECK (origin IN ('manual', 'imported'))")
        );
        assert!(MIGRATION_2.contains("DROP CONSTRAINT spans_origin_check"));
        assert!(MIGRATION_2.contains("'suggested'"));
        assert_eq!(SCHEMA_VERSION, 2);
    }

    #[test]
    fn the_seq_trigger_takes_the_push_lock() {
        assert!(MIGRATION_1.contains(&format!(
            "pg_advisory_xact_lock({})",
            super::super::PUSH_LOCK_KEY
        )));
        assert_ne!(super::super::PUSH_LOCK_KEY, INIT_LOCK_KEY);
    }

    #[test]
    fn every_table_has_forced_row_level_security_and_a_seq_index() {
        for table in [
            "meta",
            "people",
            "documents",
            "schemas",
            "layers",
            "spans",
            "statuses",
            "marks",
            "reviews",
            "assignments",
            "settings",
            "events",
        ] {
            assert!(
                MIGRATION_1.contains(&format!(
                    "ALTER TABLE tawsim.{table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
                )),
                "{table} lacks forced row-level security"
            );
            if table != "meta" {
                assert!(
                    MIGRATION_1.contains(&format!("ON tawsim.{table} (seq);")),
                    "{table} lacks an index on seq"
                );
            }
        }
    }
}
