//! Offline-first sync with a real team server (issue 12): a lead (admin),
//! two annotators and a reviewer, each with a local project, through one
//! throwaway PostgreSQL cluster (see `common/pg.rs`). `tawsim link`,
//! `tawsim assign` and `tawsim sync` run as the real binary; the work is
//! done through the store's own API, as the app does it.

#[path = "common/pg.rs"]
mod pg;
#[path = "common/team.rs"]
mod team;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use pg::{LEAD, LEAD_PASSWORD, TEAM_DB};
use rusqlite::Connection;
use tawsim::model::{Attrs, Change, DocId, Origin};
use tawsim::server::Role;
use tawsim::store::{ReviewStatus, Status, Store};
use team::{PLACES, TEXTS, Team, range_of};

fn tawsim(args: &[&str], password: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(args)
        .stdin(Stdio::null())
        .env("PGPASSWORD", password)
        .env("PGPASSFILE", "/nonexistent/pgpass")
        .output()
        .expect("run tawsim")
}

fn ok(output: Output) -> String {
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "tawsim failed ({}):\n{out}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// The server address `who` links to (no password: it comes from
/// `PGPASSWORD`, as a person types it).
fn url_of(team: &Team, who: &str) -> String {
    team.cluster.url_without_password(who, TEAM_DB)
}

/// `tawsim link` as `who`, through the binary; its output.
fn cli_link(team: &Team, who: &str) -> String {
    let path = team.path(who);
    let out = ok(tawsim(
        &["link", "--db", path.to_str().unwrap(), &url_of(team, who)],
        &Team::password(who),
    ));
    eprintln!("$ tawsim link … {who}\n{out}");
    out
}

/// `tawsim sync` as `who`, through the binary; its output.
fn cli_sync(team: &Team, who: &str) -> String {
    let path = team.path(who);
    let out = ok(tawsim(
        &["sync", "--db", path.to_str().unwrap()],
        &Team::password(who),
    ));
    eprintln!("$ tawsim sync … {who}\n{out}");
    out
}

/// Rows per server table and the highest seq of all.
fn server_counts(team: &Team) -> Vec<(String, i64, i64)> {
    let mut client = team.sql_super();
    [
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
    ]
    .iter()
    .map(|t| {
        let row = client
            .query_one(
                &format!("SELECT count(*), coalesce(max(seq), 0) FROM tawsim.{t}"),
                &[],
            )
            .unwrap();
        ((*t).to_owned(), row.get(0), row.get(1))
    })
    .collect()
}

/// A server with annotators layla and omar and reviewer sara, and the
/// lead's project: five documents with a machine layer `model`, blind
/// annotation on.
fn team() -> Option<Team> {
    let people = [
        ("layla", Role::Annotator),
        ("omar", Role::Annotator),
        ("sara", Role::Reviewer),
    ];
    let team = Team::start_with(&people, &TEXTS[..5])?;
    let mut store = Store::open(&team.path(LEAD)).unwrap();
    // The lead worked before linking, under their own name.
    let lead = store.annotator_id(LEAD).unwrap();
    store.set_blind_annotation(true, Some(lead)).unwrap();
    Some(team)
}

/// What `name` does on their project: on each document a place, a date
/// relabelled as an actor with an attribute, a note; one span deleted, a
/// document note, statuses (`shared` stays in progress unless
/// `done_shared`), and a rejection of a model span.
fn work(path: &Path, name: &str, shared: &str, done_shared: bool) {
    let mut store = Store::open(path).unwrap();
    let me = store.annotator_id(name).unwrap();
    let docs = store.documents().unwrap();
    for (i, doc) in docs.iter().enumerate() {
        let document = store.document(doc.id).unwrap();
        let text = document.text;
        let place = PLACES.iter().find(|p| text.contains(*p)).unwrap();
        let span = store
            .add_span(doc.id, me, range_of(&text, place), "PLACE", Origin::Manual)
            .unwrap();
        let other = store
            .add_span(
                doc.id,
                me,
                range_of(&text, text.split(' ').nth(1).unwrap()),
                "DATE",
                Origin::Manual,
            )
            .unwrap();
        store
            .apply(
                &Change::Relabel {
                    span: other.id,
                    from: "DATE".into(),
                    to: "ACTOR".into(),
                },
                me,
            )
            .unwrap();
        let mut attrs = Attrs::new();
        attrs.insert("side".into(), serde_json::json!(name));
        store
            .apply(
                &Change::SetAttrs {
                    span: other.id,
                    from: Attrs::new(),
                    to: attrs,
                },
                me,
            )
            .unwrap();
        store
            .apply(
                &Change::SetNote {
                    span: span.id,
                    from: String::new(),
                    to: format!("{name} رأى هذا"),
                },
                me,
            )
            .unwrap();
        let is_shared = document.sha256 == shared;
        if i == 0 && !is_shared {
            store.apply(&Change::Delete { span: other.id }, me).unwrap();
            let from = store.document_note(doc.id).unwrap();
            store
                .apply(
                    &Change::DocumentNote {
                        doc: doc.id,
                        from,
                        to: format!("ملاحظة {name}"),
                    },
                    me,
                )
                .unwrap();
            let model = store
                .spans(doc.id)
                .unwrap()
                .into_iter()
                .find(|s| s.model.is_some())
                .unwrap();
            store.apply(&Change::Reject { span: model.id }, me).unwrap();
        }
        let status = if is_shared {
            if done_shared {
                Status::Done
            } else {
                Status::InProgress
            }
        } else if i % 2 == 0 {
            Status::Done
        } else {
            Status::InProgress
        };
        store.set_status(doc.id, me, status).unwrap();
    }
}

/// The SHA-256 of every document of a project.
fn shas(path: &Path) -> BTreeSet<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT sha256 FROM documents").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Documents assigned to `who` in `path` (by SHA-256).
fn assigned(path: &Path, who: &str) -> BTreeSet<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT d.sha256 FROM assignments x JOIN documents d ON d.id = x.doc_id
             JOIN annotators a ON a.id = x.annotator_id WHERE a.name = ?1 AND x.removed = 0",
        )
        .unwrap();
    stmt.query_map([who], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Spans of `layer_owner`'s layer on document `sha` in `path`.
fn spans_of(path: &Path, sha: &str, layer_owner: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(
        "SELECT count(*) FROM spans s JOIN documents d ON d.id = s.doc_id
         JOIN layers l ON l.id = s.layer_id JOIN annotators a ON a.id = l.annotator_id
         WHERE d.sha256 = ?1 AND a.given_name = ?2",
        rusqlite::params![sha, layer_owner],
        |r| r.get(0),
    )
    .unwrap()
}

/// A project's records by global identities, one line per record: what
/// the server holds of it (local bookkeeping and local ids left out;
/// annotators by the person they are).
fn snapshot(path: &Path) -> BTreeSet<String> {
    let conn = Connection::open(path).unwrap();
    let (role, pulled): (String, i64) = conn
        .query_row(
            "SELECT (SELECT value FROM sync_state WHERE key = 'role'),
                    (SELECT value FROM sync_state WHERE key = 'pull_import')",
            [],
            |r| Ok((r.get(0)?, r.get::<_, String>(1)?.parse().unwrap())),
        )
        .unwrap();
    let admin = i64::from(role == "admin");
    let person = |alias: &str, column: &str| {
        format!(
            "(SELECT hex(k.uid) FROM annotators x JOIN annotators k ON k.id = coalesce(x.joined_into, x.id)
              WHERE x.id = {alias}.{column})"
        )
    };
    let queries = [
        "SELECT 'doc', sha256, title, text, source, meta, direction, char_len, imported_at, note FROM documents"
            .to_owned(),
        "SELECT 'annotator', hex(uid), given_name FROM annotators WHERE joined_into IS NULL".to_owned(),
        "SELECT 'layer', hex(l.uid), l.kind, hex(a.uid) FROM layers l LEFT JOIN annotators a ON a.id = l.annotator_id
         WHERE l.joined_into IS NULL"
            .to_owned(),
        format!(
            "SELECT 'span', hex(s.uid), d.sha256, hex(l.uid), {}, s.start, s.\"end\", s.label, s.text,
                    s.attrs, s.note, s.deleted_at, s.created_at, s.updated_at, s.score, s.model, s.origin,
                    hex(src.uid)
             FROM spans s JOIN documents d ON d.id = s.doc_id JOIN layers l ON l.id = s.layer_id
             LEFT JOIN spans src ON src.id = s.source_span_id",
            person("s", "annotator_id")
        ),
        format!(
            "SELECT 'status', d.sha256, {}, ds.status, ds.updated_at FROM document_status ds
             JOIN documents d ON d.id = ds.doc_id",
            person("ds", "annotator_id")
        ),
        format!(
            "SELECT 'mark', hex(s.uid), {}, m.mark FROM span_marks m JOIN spans s ON s.id = m.span_id",
            person("m", "annotator_id")
        ),
        format!(
            "SELECT 'review', d.sha256, r.status, {} FROM document_review r JOIN documents d ON d.id = r.doc_id",
            person("r", "reviewer_id")
        ),
        format!(
            "SELECT 'assignment', d.sha256, {}, g.updated_at, g.removed, {} FROM assignments g
             JOIN documents d ON d.id = g.doc_id",
            person("g", "annotator_id"),
            person("g", "assigned_by")
        ),
        "SELECT 'setting', key, value FROM project_settings".to_owned(),
        format!(
            "SELECT 'event', hex(e.uid), e.at, e.action, {}, d.sha256, hex(s.uid)
             FROM audit e LEFT JOIN documents d ON d.id = e.doc_id LEFT JOIN spans s ON s.id = e.span_id
             WHERE e.import_id IS {pulled}
                OR (e.action NOT IN ('annotator.create', 'annotator.join', 'import', 'project.merge')
                    AND (e.actor IS NOT NULL OR {admin}))",
            person("e", "actor")
        ),
    ];
    let mut out = BTreeSet::new();
    for q in queries {
        let mut stmt = conn.prepare(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut line = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push(format!("{v:?}"));
                }
                Ok(line.join(" | "))
            })
            .unwrap();
        for row in rows {
            out.insert(row.unwrap());
        }
    }
    out
}

fn diff(label: &str, want: &BTreeSet<String>, got: &BTreeSet<String>) {
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{label}:\nmissing {missing:#?}\nextra {extra:#?}"
    );
}

#[test]
fn a_team_syncs_through_one_server_and_everything_arrives_exactly_once() {
    let Some(team) = team() else { return };
    let lead_path = team.path(LEAD);

    // The lead links: documents, schema, the model layer and its spans go up.
    let out = cli_link(&team, LEAD);
    assert!(out.contains("linked the project to"), "{out}");
    assert!(out.contains("documents 5"), "{out}");
    assert!(
        out.contains("your work before linking: lead · local is now part of lead"),
        "{out}"
    );
    {
        let mut server = team.sql_super();
        let n: i64 = server
            .query_one(
                "SELECT count(*) FROM tawsim.spans s JOIN tawsim.layers l ON l.uid = s.layer
                 WHERE l.kind = 'imported' AND l.name = 'model'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(n, 5);
        let blind: serde_json::Value = server
            .query_one(
                "SELECT value FROM tawsim.settings WHERE key = 'blind_annotation'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(blind, serde_json::json!(true));
    }

    // The lead assigns on the linked project, one document to both.
    ok(tawsim(
        &[
            "assign",
            "--db",
            lead_path.to_str().unwrap(),
            "--annotators",
            "layla,omar",
            "--per-document",
            "1",
            "--seed",
            "7",
        ],
        "",
    ));
    let shared = {
        let mut store = Store::open(&lead_path).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        let omar = store.annotator_id("omar").unwrap();
        let layla_docs = assigned(&lead_path, "layla");
        let shared = layla_docs.iter().next().unwrap().clone();
        let doc: DocId = store
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| store.document(d.id).unwrap().sha256 == shared)
            .unwrap()
            .id;
        assert!(store.set_assignment(doc, omar, true, Some(lead)).unwrap());
        shared
    };
    let out = cli_sync(&team, LEAD);
    assert!(out.contains("assignments 6"), "{out}");

    // Each annotator links a fresh project and gets their documents only.
    for who in ["layla", "omar"] {
        cli_link(&team, who);
        let want = assigned(&lead_path, who);
        assert_eq!(shas(&team.path(who)), want, "{who}'s documents");
        assert_eq!(assigned(&team.path(who), who), want);
    }

    // They work and sync; omar has not finished the shared document, so
    // layla's spans on it stay hidden from him (blind annotation).
    work(&team.path("layla"), "layla", &shared, true);
    cli_sync(&team, "layla");
    work(&team.path("omar"), "omar", &shared, false);
    cli_sync(&team, "omar");
    assert_eq!(spans_of(&team.path("omar"), &shared, "layla"), 0);
    assert_eq!(spans_of(&team.path("omar"), &shared, "omar"), 2);
    // Once he marks it done, the next sync fetches them.
    {
        let path = team.path("omar");
        let mut store = Store::open(&path).unwrap();
        let me = store.annotator_id("omar").unwrap();
        let doc = store
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| store.document(d.id).unwrap().sha256 == shared)
            .unwrap();
        store.set_status(doc.id, me, Status::Done).unwrap();
    }
    let out = cli_sync(&team, "omar");
    assert!(out.contains("fetched whole: 1 documents"), "{out}");
    assert_eq!(spans_of(&team.path("omar"), &shared, "layla"), 2);

    // Everyone up to date; the reviewer links and sees everything, once.
    for who in [LEAD, "layla", "omar"] {
        cli_sync(&team, who);
    }
    cli_link(&team, "sara");
    let mut union = BTreeSet::new();
    for who in [LEAD, "layla", "omar"] {
        union.extend(snapshot(&team.path(who)));
    }
    diff(
        "the reviewer against the union",
        &union,
        &snapshot(&team.path("sara")),
    );
    diff(
        "the lead (an admin) against the union",
        &union,
        &snapshot(&lead_path),
    );
    for who in ["layla", "omar"] {
        let mine = snapshot(&team.path(who));
        let beyond: Vec<_> = mine.difference(&union).collect();
        assert!(beyond.is_empty(), "{who}: {beyond:#?}");
    }
    // Nothing twice on the server either: one row per span and event made.
    let spans_made: usize = union
        .iter()
        .filter(|l| l.starts_with("Text(\"span\")"))
        .count();
    let counts = server_counts(&team);
    let count = |t: &str| counts.iter().find(|c| c.0 == t).unwrap().1;
    assert_eq!(count("spans") as usize, spans_made);
    assert_eq!(count("documents"), 5);

    // The reviewer adjudicates the shared document; the annotators see it.
    {
        let path = team.path("sara");
        let mut store = Store::open(&path).unwrap();
        let me = store.annotator_id("sara").unwrap();
        let doc = store
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| store.document(d.id).unwrap().sha256 == shared)
            .unwrap();
        let layla_place = store
            .spans(doc.id)
            .unwrap()
            .into_iter()
            .find(|s| s.label == "PLACE")
            .unwrap();
        store.accept_into_gold(layla_place.id, me).unwrap();
        store
            .set_review_status(doc.id, ReviewStatus::Adjudicated, me)
            .unwrap();
    }
    cli_sync(&team, "sara");
    for who in ["layla", "omar"] {
        cli_sync(&team, who);
        let store = Store::open(&team.path(who)).unwrap();
        let doc = store
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| store.document(d.id).unwrap().sha256 == shared)
            .unwrap();
        assert_eq!(
            store.review_status(doc.id).unwrap(),
            ReviewStatus::Adjudicated,
            "{who}"
        );
        assert_eq!(spans_of(&team.path(who), &shared, "sara"), 0);
        let gold: i64 = Connection::open(team.path(who))
            .unwrap()
            .query_row(
                "SELECT count(*) FROM spans s JOIN layers l ON l.id = s.layer_id WHERE l.kind = 'gold'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(gold, 1, "{who} sees the gold span");
    }

    // Two more rounds: the second changes nothing anywhere.
    for who in [LEAD, "layla", "omar", "sara"] {
        cli_sync(&team, who);
    }
    let before: Vec<BTreeSet<String>> = [LEAD, "layla", "omar", "sara"]
        .iter()
        .map(|w| snapshot(&team.path(w)))
        .collect();
    let counts = server_counts(&team);
    for who in [LEAD, "layla", "omar", "sara"] {
        let out = cli_sync(&team, who);
        assert!(out.contains("up: nothing new"), "{who}: {out}");
        assert!(out.contains("down: nothing new"), "{who}: {out}");
    }
    let after: Vec<BTreeSet<String>> = [LEAD, "layla", "omar", "sara"]
        .iter()
        .map(|w| snapshot(&team.path(w)))
        .collect();
    assert_eq!(before, after);
    assert_eq!(server_counts(&team), counts);
    let mut union = BTreeSet::new();
    for who in [LEAD, "layla", "omar"] {
        union.extend(snapshot(&team.path(who)));
    }
    diff("after review", &union, &snapshot(&team.path("sara")));
}

#[test]
fn a_push_sent_again_after_its_commit_duplicates_nothing() {
    let Some(team) = team() else { return };
    cli_link(&team, LEAD);
    ok(tawsim(
        &[
            "assign",
            "--db",
            team.path(LEAD).to_str().unwrap(),
            "--annotators",
            "layla",
        ],
        "",
    ));
    cli_sync(&team, LEAD);
    cli_link(&team, "layla");
    let path = team.path("layla");
    let watermark = Store::open(&path)
        .unwrap()
        .sync_link()
        .unwrap()
        .unwrap()
        .pushed;
    work(&path, "layla", "", true);
    let out = cli_sync(&team, "layla");
    assert!(out.contains("spans "), "{out}");
    let counts = server_counts(&team);
    let snapshot_before = snapshot(&path);

    // The server committed, the watermark never moved: the same push again.
    Store::open(&path).unwrap().mark_pushed(watermark).unwrap();
    let out = cli_sync(&team, "layla");
    assert!(out.contains("already there"), "{out}");
    assert_eq!(
        server_counts(&team),
        counts,
        "rows and seqs unchanged:\n{out}"
    );
    assert_eq!(snapshot(&path), snapshot_before);
    // And the lead, pulling, gets each of layla's events once.
    cli_sync(&team, LEAD);
    let mut server = team.sql_super();
    let dup: i64 = server
        .query_one(
            "SELECT count(*) FROM (SELECT uid FROM tawsim.events GROUP BY uid HAVING count(*) > 1) d",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(dup, 0);
    let layla = snapshot(&path);
    let lead = snapshot(&team.path(LEAD));
    let missing: Vec<_> = layla.difference(&lead).collect();
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn a_row_the_server_refuses_is_reported_and_the_rest_goes_up() {
    let Some(team) = team() else { return };
    cli_link(&team, LEAD);
    ok(tawsim(
        &[
            "assign",
            "--db",
            team.path(LEAD).to_str().unwrap(),
            "--annotators",
            "layla",
        ],
        "",
    ));
    cli_sync(&team, LEAD);
    cli_link(&team, "layla");
    // Another client makes layla an annotator layer of its own on the
    // server: the layer her project gave her can no longer go up, and
    // PostgreSQL refuses her spans into it.
    let mut layla = team.cluster.connect("layla", "layla-pw", TEAM_DB).unwrap();
    layla
        .execute(
            "INSERT INTO tawsim.layers (uid, name, kind, owner, created_at)
             VALUES ('0192a4c1-0000-7000-8000-0000000000ee', 'layla elsewhere', 'annotator',
                     tawsim.me(), '2026-11-30T14:48:29.152Z')",
            &[],
        )
        .unwrap();
    work(&team.path("layla"), "layla", "", true);
    let out = cli_sync(&team, "layla");
    assert!(out.contains("refused by the server (10)"), "{out}");
    assert!(
        out.contains("new row violates row-level security policy"),
        "{out}"
    );
    // The rest went up in the same round: statuses, notes, rejections and
    // the events that name no refused span.
    let statuses: i64 = layla
        .query_one(
            "SELECT count(*) FROM tawsim.statuses WHERE annotator = tawsim.me()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(statuses, 5);
    let marks: i64 = layla
        .query_one("SELECT count(*) FROM tawsim.marks", &[])
        .unwrap()
        .get(0);
    assert_eq!(marks, 1);
    let spans: i64 = layla
        .query_one(
            "SELECT count(*) FROM tawsim.spans WHERE annotator = tawsim.me()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(spans, 0);
    // The watermark moved past them: the next round sends nothing again.
    let out = cli_sync(&team, "layla");
    assert!(out.contains("up: nothing new"), "{out}");
}

#[test]
fn link_keeps_no_password_and_refuses_what_it_cannot_do() {
    let Some(team) = team() else { return };
    // The password given in the URL is used, never stored.
    let lead = team.path(LEAD);
    ok(tawsim(
        &[
            "link",
            "--db",
            lead.to_str().unwrap(),
            &team.cluster.url(LEAD, LEAD_PASSWORD, TEAM_DB),
        ],
        "",
    ));
    let link = Store::open(&lead).unwrap().sync_link().unwrap().unwrap();
    assert_eq!(link.server, url_of(&team, LEAD));
    assert_eq!((link.login.as_str(), link.role.as_str()), (LEAD, "admin"));
    Store::open(&lead).unwrap().checkpoint().unwrap();
    let bytes = std::fs::read(&lead).unwrap();
    assert!(
        !bytes
            .windows(LEAD_PASSWORD.len())
            .any(|w| w == LEAD_PASSWORD.as_bytes())
    );

    // Linked as the lead, the project is refused for anyone else.
    let out = tawsim(
        &[
            "link",
            "--db",
            lead.to_str().unwrap(),
            &url_of(&team, "layla"),
        ],
        "layla-pw",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already linked to"), "{err}");
    assert!(err.contains(&format!("as {LEAD}")), "{err}");

    // A project never linked cannot sync; a role that is no person cannot link.
    let fresh = team.path("fresh");
    drop(Store::open(&fresh).unwrap());
    let out = tawsim(&["sync", "--db", fresh.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not linked to a team server"), "{err}");
    let out = tawsim(
        &[
            "link",
            "--db",
            fresh.to_str().unwrap(),
            &team.cluster.superuser_url(TEAM_DB),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a person of this tawsim server"),
        "{err}"
    );
    assert!(Store::open(&fresh).unwrap().sync_link().unwrap().is_none());
}
