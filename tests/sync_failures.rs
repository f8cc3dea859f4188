//! Sync when things go wrong (issue 12), against a real throwaway server
//! (see `common/pg.rs`): an annotator works while the server is down (each
//! sync fails saying the server cannot be reached, and nothing local is
//! lost), then one sync brings everything up; a `tawsim sync` killed with
//! SIGKILL in the middle of its push, and a server restarted (`pg_ctl
//! restart -m fast`) in the middle of a push and of a reviewer's first
//! pull. After each, the next sync leaves every project holding exactly
//! what the server shows its person: nothing lost, nothing twice.
//!
//! The pushes are made long by real work: some 4,000 spans on 200
//! documents, pushed in batches of `tawsim::sync::PUSH_BATCH` audit rows.
//! The test watches the server (the person's span count, as the superuser
//! sees it) to act after the first batch has committed and before the last.

#[path = "common/pg.rs"]
mod pg;
#[path = "common/team.rs"]
mod team;

use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pg::{LEAD, TEAM_DB};
use tawsim::model::{Change, CharRange, Origin};
use tawsim::server::Role;
use tawsim::store::{NewDocument, Status, Store};
use team::{TEXTS, Team, matches_server, no_duplicates};
use uuid::Uuid;

/// Extra documents of the lead's, besides [`TEXTS`].
const EXTRA_DOCS: usize = 200;

/// A team whose lead has [`TEXTS`] and [`EXTRA_DOCS`] more documents, all
/// assigned to each of `annotators`, linked and synced; the annotators and
/// the reviewer `sara` are people of the server, not linked yet.
fn big_team(annotators: &[&str]) -> Option<Team> {
    let mut people: Vec<(&str, Role)> = annotators.iter().map(|a| (*a, Role::Annotator)).collect();
    people.push(("sara", Role::Reviewer));
    let team = Team::start(&people)?;
    {
        let mut store = Store::open(&team.path(LEAD)).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        let docs: Vec<NewDocument> = (0..EXTRA_DOCS)
            .map(|n| NewDocument {
                title: format!("خبر إضافي {n}"),
                text: format!("{} ({n})", TEXTS[n % TEXTS.len()]),
                source: "lead".into(),
                meta: serde_json::json!({ "extra": n }),
            })
            .collect();
        store.import_documents(&docs, Some(lead)).unwrap();
    }
    team.link(LEAD);
    {
        let mut store = Store::open(&team.path(LEAD)).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        for who in annotators {
            let a = store.annotator_id(who).unwrap();
            for d in store.documents().unwrap() {
                store.set_assignment(d.id, a, true, Some(lead)).unwrap();
            }
        }
    }
    team.sync(LEAD);
    Some(team)
}

/// Code-point ranges of the words of `text`.
fn words(text: &str) -> Vec<CharRange> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.chars().chain(std::iter::once(' ')).enumerate() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(CharRange::new(s, i).unwrap());
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// `who` tags every word of every document of theirs twice (PLACE and
/// ACTOR), relabels one span per document and finishes the document.
/// Returns the spans made.
fn tag_everything(path: &Path, who: &str) -> usize {
    let mut store = Store::open(path).unwrap();
    let me = store.annotator_id(who).unwrap();
    let mut made = 0;
    for d in store.documents().unwrap() {
        let text = store.document(d.id).unwrap().text;
        for (k, range) in words(&text).into_iter().enumerate() {
            for label in ["PLACE", "ACTOR"] {
                let span = store
                    .add_span(d.id, me, range, label, Origin::Manual)
                    .unwrap();
                made += 1;
                if k == 0 && label == "PLACE" {
                    store
                        .apply(
                            &Change::Relabel {
                                span: span.id,
                                from: "PLACE".into(),
                                to: "DATE".into(),
                            },
                            me,
                        )
                        .unwrap();
                }
            }
        }
        store.set_status(d.id, me, Status::Done).unwrap();
    }
    made
}

/// `tawsim sync --db PATH` as `who`, as a child process.
fn spawn_sync(team: &Team, who: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["sync", "--db", team.path(who).to_str().unwrap()])
        .env("PGPASSWORD", Team::password(who))
        .env("PGPASSFILE", "/nonexistent/pgpass")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tawsim sync")
}

fn person(team: &Team, login: &str) -> Uuid {
    team.sql_super()
        .query_one("SELECT uid FROM tawsim.people WHERE login = $1", &[&login])
        .unwrap()
        .get(0)
}

/// Spans of `annotator` on the server (as the superuser sees them); `None`
/// while the server does not answer.
fn server_spans_of(team: &Team, annotator: Uuid) -> Option<i64> {
    let mut client =
        postgres::Client::connect(&team.cluster.superuser_url(TEAM_DB), postgres::NoTls).ok()?;
    client
        .query_one(
            "SELECT count(*) FROM tawsim.spans WHERE annotator = $1",
            &[&annotator],
        )
        .ok()
        .map(|r| r.get(0))
}

/// Wait until `annotator` has some spans on the server but fewer than
/// `all`: the push is under way. Panics if `child` ends first.
fn wait_mid_push(team: &Team, child: &mut Child, annotator: Uuid, all: usize) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut client =
        postgres::Client::connect(&team.cluster.superuser_url(TEAM_DB), postgres::NoTls).unwrap();
    loop {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM tawsim.spans WHERE annotator = $1",
                &[&annotator],
            )
            .unwrap()
            .get(0);
        if n > 0 {
            assert!(
                (n as usize) < all,
                "the whole push ({n} spans) committed before the test could act"
            );
            return n;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("tawsim sync ended ({status}) before any span reached the server");
        }
        assert!(Instant::now() < deadline, "no span reached the server");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Rows of the local project's audit log made by `who` (that go up).
fn own_events(path: &Path, who: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM audit e JOIN annotators a ON a.id = e.actor
             WHERE a.name = ?1 AND e.action NOT IN ('annotator.create', 'annotator.join')",
            [who],
            |r| r.get(0),
        )
        .unwrap()
}

fn local_spans_of(path: &Path, who: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM spans s JOIN annotators a ON a.id = s.annotator_id
             WHERE a.name = ?1",
            [who],
            |r| r.get(0),
        )
        .unwrap()
}

/// After the failure: everything of `who`'s is on the server exactly once.
fn all_up_once(team: &Team, who: &str, made: usize) {
    let uid = person(team, who);
    assert_eq!(
        server_spans_of(team, uid),
        Some(made as i64),
        "{who}'s spans"
    );
    let events: i64 = team
        .sql_super()
        .query_one(
            "SELECT count(*) FROM tawsim.events WHERE actor = $1",
            &[&uid],
        )
        .unwrap()
        .get(0);
    assert_eq!(events, own_events(&team.path(who), who), "{who}'s events");
    matches_server(team, who);
}

#[test]
fn work_done_while_the_server_is_down_goes_up_once_it_is_back() {
    let Some(team) = Team::start(&[("layla", Role::Annotator), ("sara", Role::Reviewer)]) else {
        return;
    };
    team.link(LEAD);
    {
        let mut store = Store::open(&team.path(LEAD)).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        let layla = store.annotator_id("layla").unwrap();
        for d in store.documents().unwrap() {
            store.set_assignment(d.id, layla, true, Some(lead)).unwrap();
        }
    }
    team.sync(LEAD);
    team.link("layla");
    team.link("sara");
    let path = team.path("layla");

    team.cluster.stop();
    let mut made = 0;
    for (round, text) in TEXTS.iter().enumerate().take(3) {
        // Work goes on locally, a document at a time, as in the app.
        {
            let mut store = Store::open(&path).unwrap();
            let me = store.annotator_id("layla").unwrap();
            let doc = team::doc_of(&store, round).unwrap();
            for range in words(text).into_iter().take(4) {
                store
                    .add_span(doc, me, range, "PLACE", Origin::Manual)
                    .unwrap();
                made += 1;
            }
            let first = store
                .spans(doc)
                .unwrap()
                .into_iter()
                .find(|s| s.annotator == me)
                .unwrap();
            store
                .apply(
                    &Change::Relabel {
                        span: first.id,
                        from: "PLACE".into(),
                        to: "ACTOR".into(),
                    },
                    me,
                )
                .unwrap();
            store.set_status(doc, me, Status::Done).unwrap();
        }
        let watermark = Store::open(&path)
            .unwrap()
            .sync_link()
            .unwrap()
            .unwrap()
            .pushed;
        let error = team.try_sync("layla").unwrap_err().to_string();
        assert!(
            error.contains("cannot reach the team server"),
            "round {round}: {error}"
        );
        // The command line says the same, and fails.
        let out = spawn_sync(&team, "layla").wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot reach the team server"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        // Nothing local is lost, nothing counted as pushed.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.sync_link().unwrap().unwrap().pushed, watermark);
        assert_eq!(local_spans_of(&path, "layla"), made as i64);
    }

    team.cluster.start_again();
    let report = team.sync("layla");
    assert_eq!(
        report.push.tables.get("spans").map(|t| t.1),
        Some(made as u64),
        "{report}"
    );
    all_up_once(&team, "layla", made);
    // The reviewer gets it all, once; a second round moves nothing.
    team.sync("sara");
    matches_server(&team, "sara");
    let again = team.sync("layla");
    assert_eq!(again.push.written(), 0, "{again}");
    all_up_once(&team, "layla", made);
}

#[test]
fn a_sync_killed_in_the_middle_of_its_push_loses_and_doubles_nothing() {
    let Some(team) = big_team(&["layla"]) else {
        return;
    };
    team.link("layla");
    let path = team.path("layla");
    let made = tag_everything(&path, "layla");
    assert!(made > 3_000, "{made} spans");
    let layla = person(&team, "layla");

    let mut child = spawn_sync(&team, "layla");
    let seen = wait_mid_push(&team, &mut child, layla, made);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "killed, not ended: {status}");
    let after_kill = server_spans_of(&team, layla).unwrap();
    eprintln!("killed with {after_kill} of {made} spans up (seen {seen})");
    assert!(
        after_kill >= seen && (after_kill as usize) < made,
        "the push was cut: {after_kill} of {made} spans are up"
    );
    // The project is whole; the watermark is no further than the server.
    no_duplicates("layla after the kill", &path);
    assert_eq!(local_spans_of(&path, "layla"), made as i64);

    let out = spawn_sync(&team, "layla").wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    all_up_once(&team, "layla", made);
    team.link("sara");
    matches_server(&team, "sara");
}

#[test]
fn a_server_restart_in_the_middle_of_a_push_or_a_pull_loses_and_doubles_nothing() {
    let Some(team) = big_team(&["omar"]) else {
        return;
    };
    team.link("omar");
    let path = team.path("omar");
    let made = tag_everything(&path, "omar");
    let omar = person(&team, "omar");

    // The server restarts while omar's push runs: the sync fails cleanly
    // (or, if it got through, completes); the next one brings the rest.
    let mut child = spawn_sync(&team, "omar");
    wait_mid_push(&team, &mut child, omar, made);
    team.cluster.restart();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("omar's sync cut by a restart: {}\n{stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    if !out.status.success() {
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("syncing"), "{stderr}");
    }
    no_duplicates("omar after the restart", &path);
    team.sync("omar");
    all_up_once(&team, "omar", made);

    // The reviewer's first sync (thousands of spans and events to pull)
    // is cut by a restart; the next sync resumes and brings each once.
    let sara = team.path("sara");
    {
        let mut store = Store::open(&sara).unwrap();
        let mut server = team.open_server("sara").unwrap();
        let people = server.sync_people().unwrap();
        let me = people.iter().find(|p| p.login == "sara").unwrap().clone();
        store
            .link_to_server(&server.url().to_string(), &me, &people)
            .unwrap();
    }
    let mut child = spawn_sync(&team, "sara");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let cursor = Store::open(&sara).unwrap().sync_cursor("spans").unwrap();
        if cursor > 0 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the reviewer's sync ended ({status}) before any span came down");
        }
        assert!(Instant::now() < deadline, "no span came down");
        std::thread::sleep(Duration::from_millis(2));
    }
    team.cluster.restart();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "sara's first pull cut by a restart: {}\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    no_duplicates("sara after the restart", &sara);
    team.sync("sara");
    matches_server(&team, "sara");
    let again = team.sync("sara");
    assert!(again.pull.nothing_new(), "{again}");
}
