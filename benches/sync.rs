//! The team server under load (issue 12's speed targets), against a
//! throwaway PostgreSQL cluster of its own (`tests/common/pg.rs`: initdb and
//! pg_ctl from Debian's binaries, fsync off, loopback TCP with passwords).
//!
//! Run with `cargo bench --bench sync` (both parts; figures go in
//! BENCHMARKS.md), or `-- clients` / `-- reviewer` for one.
//! `TAWSIM_BENCH_SECONDS` and `TAWSIM_BENCH_CLIENTS` change the clients'
//! run; `TAWSIM_BENCH_PG_LOG=1` also prints the server's log of statements
//! slower than 10 ms and the plans of an annotator's pull of events and
//! spans (to see where a round's time goes).
//!
//! **clients**: ten simulated annotators (threads), each with its own local
//! project and its own server connection as its own PostgreSQL login. The
//! lead's project (200 generated documents) is linked and every document
//! assigned to all ten. Each client then tags a word twice a second (on a
//! fixed schedule) for `TAWSIM_BENCH_SECONDS` (default 60) and after each
//! action runs one sync round (push then pull, `tawsim::sync::sync`, as the
//! app's sync thread does). Reported: the push's own time
//! (`PushReport::took`: local rows read, the server's transaction under the
//! push lock, the watermark committed locally) and the whole round's (also
//! the version and person checks and the pull of the others' new spans and
//! events).
//! At the end every client syncs twice more and the result is checked: the
//! server holds each client's spans once (count by annotator = actions),
//! and every client's project holds every client's spans, once per uid,
//! the same uids as the server.
//!
//! **reviewer**: a server holding the 100,000-document generated project
//! (`support::project`: 1.6 M spans in the imported layer `model` and the
//! annotator layer of `layla`, and the 100,000 `document.import` events),
//! then a new reviewer's `tawsim link` (the release binary, as a child
//! process, timed and its memory sampled) into a new project: its first
//! sync pulls everything. The server is seeded by `COPY` as the superuser
//! with triggers off (`session_replication_role = replica`) and `seq`
//! numbered here in pull order, then `change_seq` moved past them: an
//! admin's push of 1.6 M spans goes row by row (about a minute per
//! 100,000 rows), which is setup, not what is measured. The rows are what
//! an admin's link and layla's sync would have pushed: documents by
//! SHA-256, the model layer's spans with the lead as their annotator (the
//! server records who brought a span), layla's with layla.

#[path = "../tests/common/pg.rs"]
mod pg;
mod support;

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use pg::{Cluster, LEAD, TEAM_DB};
use rusqlite::{Connection, OpenFlags};
use tawsim::model::{CharRange, Origin};
use tawsim::server::{Role, Server, ServerUrl};
use tawsim::store::Store;
use uuid::Uuid;

/// Simulated clients (`TAWSIM_BENCH_CLIENTS` for another number, to see
/// what one round costs without contention).
fn clients_n() -> usize {
    std::env::var("TAWSIM_BENCH_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
}
const CLIENT_DOCS: usize = 200;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let want = |name: &str| {
        let named: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        named.is_empty() || named.iter().any(|a| *a == name)
    };
    if want("clients") {
        clients();
    }
    if want("reviewer") {
        reviewer();
    }
}

fn cluster() -> Cluster {
    let cluster = Cluster::start().expect("a PostgreSQL cluster (install postgresql)");
    cluster.create_team();
    let mut server = Server::connect(&ServerUrl::parse(&cluster.lead_url()).unwrap()).unwrap();
    server.init().expect("tawsim server init");
    cluster
}

fn password(who: &str) -> String {
    if who == LEAD {
        pg::LEAD_PASSWORD.to_owned()
    } else {
        format!("{who}-pw")
    }
}

fn open_server(cluster: &Cluster, who: &str) -> Server {
    Server::open(&ServerUrl::parse(&cluster.url(who, &password(who), TEAM_DB)).unwrap())
        .unwrap_or_else(|e| panic!("{who} logs in: {e}"))
}

fn clients() {
    let seconds: u64 = std::env::var("TAWSIM_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let clients = clients_n();
    let cluster = cluster();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..clients).map(|i| format!("annotator{i}")).collect();
    {
        let mut server = open_server(&cluster, LEAD);
        for name in &names {
            server
                .add_person(name, None, Role::Annotator, &password(name))
                .unwrap();
        }
    }
    let path = |who: &str| dir.path().join(format!("{who}.tawsim"));
    // The lead's project: generated documents, linked, assigned to all.
    {
        let sentences = support::sentences();
        let mut store = Store::open(&path(LEAD)).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        let docs: Vec<_> = (0..CLIENT_DOCS)
            .map(|i| support::document(&sentences, i))
            .collect();
        store.import_documents(&docs, Some(lead)).unwrap();
        let mut server = open_server(&cluster, LEAD);
        tawsim::sync::link(&mut store, &mut server).unwrap();
        for name in &names {
            let a = store.annotator_id(name).unwrap();
            for d in store.documents().unwrap() {
                store.set_assignment(d.id, a, true, Some(lead)).unwrap();
            }
        }
        tawsim::sync::sync(&mut store, &mut server).unwrap();
    }
    for name in &names {
        let mut store = Store::open(&path(name)).unwrap();
        let mut server = open_server(&cluster, name);
        tawsim::sync::link(&mut store, &mut server).unwrap();
    }
    if std::env::var("TAWSIM_BENCH_PG_LOG").is_ok() {
        cluster.sql(
            "postgres",
            "ALTER SYSTEM SET log_min_duration_statement = 10",
        );
        cluster.sql("postgres", "SELECT pg_reload_conf()");
    }
    println!(
        "sync/clients: {clients} clients, {CLIENT_DOCS} documents assigned to each, 2 actions/s each for {seconds} s, a sync round after each action"
    );

    let start = Arc::new(Barrier::new(clients));
    let handles: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let (name, file) = (name.clone(), path(name));
            let url = cluster.url(&name, &password(&name), TEAM_DB);
            let start = start.clone();
            std::thread::spawn(move || client(k, clients, &name, &file, &url, seconds, &start))
        })
        .collect();
    let mut rounds = Vec::new();
    let mut pushes = Vec::new();
    let mut made = BTreeMap::new();
    let mut late = 0;
    for (name, h) in names.iter().zip(handles) {
        let run = h.join().expect("a client thread");
        rounds.extend(run.rounds);
        pushes.extend(run.pushes);
        late += run.late;
        made.insert(name.clone(), run.made);
    }
    support::distribution(
        "push (local rows read, server commit, watermark moved)",
        &pushes,
    );
    support::distribution("whole sync round (connection checks, push, pull)", &rounds);
    let over = |v: &[Duration]| {
        v.iter()
            .filter(|d| **d >= Duration::from_millis(100))
            .count()
    };
    println!(
        "  pushes ≥ 100 ms: {}; rounds ≥ 100 ms: {}; actions started late (previous round still running): {late}",
        over(&pushes),
        over(&rounds)
    );

    // Everyone catches up, then the check.
    for _ in 0..2 {
        for name in &names {
            let mut store = Store::open(&path(name)).unwrap();
            let mut server = open_server(&cluster, name);
            tawsim::sync::sync(&mut store, &mut server).unwrap();
        }
    }
    let mut su =
        postgres::Client::connect(&cluster.superuser_url(TEAM_DB), postgres::NoTls).unwrap();
    let server_uids: HashSet<Uuid> = su
        .query(
            "SELECT s.uid FROM tawsim.spans s JOIN tawsim.people p ON p.uid = s.annotator
             WHERE p.login LIKE 'annotator%'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let total: usize = made.values().sum();
    let mut lost = 0usize;
    let mut duplicated = 0usize;
    for name in &names {
        let n: i64 = su
            .query_one(
                "SELECT count(*) FROM tawsim.spans s JOIN tawsim.people p ON p.uid = s.annotator
                 WHERE p.login = $1",
                &[name],
            )
            .unwrap()
            .get(0);
        lost += made[name].saturating_sub(n as usize);
        duplicated += (n as usize).saturating_sub(made[name]);
        let conn = Connection::open(path(name)).unwrap();
        let local: Vec<Uuid> = conn
            .prepare(
                "SELECT s.uid FROM spans s JOIN annotators a ON a.id = s.annotator_id
                 WHERE a.name LIKE 'annotator%'",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .map(|r| Uuid::from_slice(&r.unwrap()).unwrap())
            .collect();
        let set: HashSet<Uuid> = local.iter().copied().collect();
        duplicated += local.len() - set.len();
        lost += server_uids.difference(&set).count();
        duplicated += set.difference(&server_uids).count();
    }
    println!(
        "  check: {total} actions, {} spans on the server, every client holds all of them: lost {lost}, duplicated {duplicated}",
        server_uids.len()
    );
    if std::env::var("TAWSIM_BENCH_PG_LOG").is_ok() {
        let mut a = cluster
            .connect(&names[0], &password(&names[0]), TEAM_DB)
            .unwrap();
        let top: i64 = su
            .query_one("SELECT max(seq) FROM tawsim.events", &[])
            .unwrap()
            .get(0);
        for table in ["events", "spans"] {
            for r in a
                .query(
                    &format!("EXPLAIN ANALYZE SELECT * FROM tawsim.{table} WHERE seq > $1 ORDER BY seq LIMIT 500"),
                    &[&(top - 100)],
                )
                .unwrap()
            {
                println!("{}", r.get::<_, String>(0));
            }
        }
    }
    assert_eq!(server_uids.len(), total, "spans on the server");
    assert_eq!((lost, duplicated), (0, 0));
}

struct ClientRun {
    rounds: Vec<Duration>,
    pushes: Vec<Duration>,
    made: usize,
    late: usize,
}

/// One client: an action every 500 ms (on a fixed schedule), each followed
/// by a sync round; a different word of a different document each time.
fn client(
    k: usize,
    clients: usize,
    name: &str,
    path: &Path,
    url: &str,
    seconds: u64,
    start: &Barrier,
) -> ClientRun {
    let mut store = Store::open(path).unwrap();
    let mut server = Server::open(&ServerUrl::parse(url).unwrap()).unwrap();
    let me = store.annotator_id(name).unwrap();
    let docs: Vec<(tawsim::model::DocId, Vec<(usize, usize)>)> = store
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| {
            let text = store.document(d.id).unwrap().text;
            (d.id, support::word_ranges(&text))
        })
        .collect();
    let labels = ["PLACE", "ACTOR", "DATE", "CASUALTY"];
    let mut run = ClientRun {
        rounds: Vec::new(),
        pushes: Vec::new(),
        made: 0,
        late: 0,
    };
    start.wait();
    let began = Instant::now();
    let period = Duration::from_millis(500);
    let mut n = 0usize;
    while began.elapsed() < Duration::from_secs(seconds) {
        let due = began + period * n as u32;
        match due.checked_duration_since(Instant::now()) {
            Some(wait) => std::thread::sleep(wait),
            None if n > 0 => run.late += 1,
            None => {}
        }
        // Client k tags the words k, k + 10, … of document n: no two
        // clients make the same span.
        let (doc, words) = &docs[n % docs.len()];
        let w = (k + clients * (n / docs.len())) % words.len();
        let (s, e) = words[w];
        store
            .add_span(
                *doc,
                me,
                CharRange::new(s, e).unwrap(),
                labels[(k + n) % labels.len()],
                Origin::Manual,
            )
            .unwrap();
        run.made += 1;
        let t = Instant::now();
        let report =
            tawsim::sync::sync(&mut store, &mut server).unwrap_or_else(|e| panic!("{name}: {e}"));
        run.rounds.push(t.elapsed());
        run.pushes.push(report.push.took);
        n += 1;
    }
    run
}

/// The cached 100,000-document project: the current schema's, else the
/// newest cached one of an earlier schema (only read here, with SQL that
/// schema 7 and later share), else built.
fn bench_project(n: usize) -> PathBuf {
    let path = support::project_path(n);
    if path.exists() {
        return path;
    }
    let stem = path
        .file_name()
        .and_then(|f| f.to_str())
        .and_then(|f| f.rsplit_once("-s"))
        .map(|(stem, _)| stem.to_owned())
        .unwrap_or_default();
    let older = std::fs::read_dir(path.parent().unwrap())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&format!("{stem}-s")) && f.ends_with(".tawsim"))
        })
        .filter(|p| {
            Connection::open_with_flags(p, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)))
                .is_ok_and(|v| v >= 7)
        })
        .max();
    older.unwrap_or_else(|| support::project(n))
}

/// A CSV field for COPY: `None` is NULL (unquoted empty), text is quoted.
fn field(out: &mut Vec<u8>, value: Option<&str>) {
    if let Some(v) = value {
        out.push(b'"');
        out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    }
}

fn row(out: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        field(out, *f);
    }
    out.push(b'\n');
}

fn hex_uid(blob: &[u8]) -> String {
    Uuid::from_slice(blob).expect("a 16-byte uid").to_string()
}

/// COPY the rows `query` gives (each made into fields by `make`, with the
/// next `seq` last) into `table (columns, seq)`.
fn copy_table(
    client: &mut postgres::Client,
    src: &Connection,
    table: &str,
    columns: &str,
    query: &str,
    seq: &mut i64,
    make: &dyn Fn(&rusqlite::Row<'_>) -> Vec<Option<String>>,
) -> usize {
    let mut writer = client
        .copy_in(&format!(
            "COPY tawsim.{table} ({columns}, seq) FROM STDIN (FORMAT csv)"
        ))
        .unwrap();
    let mut stmt = src.prepare(query).unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut buf = Vec::with_capacity(1 << 20);
    let mut n = 0;
    while let Some(r) = rows.next().unwrap() {
        *seq += 1;
        let mut fields = make(r);
        fields.push(Some(seq.to_string()));
        let refs: Vec<Option<&str>> = fields.iter().map(|f| f.as_deref()).collect();
        row(&mut buf, &refs);
        n += 1;
        if buf.len() > 1 << 20 {
            writer.write_all(&buf).unwrap();
            buf.clear();
        }
    }
    writer.write_all(&buf).unwrap();
    writer.finish().unwrap();
    n
}

fn reviewer() {
    let project = bench_project(100_000);
    let cluster = cluster();
    let (lead_uid, layla_uid) = {
        let mut server = open_server(&cluster, LEAD);
        server
            .add_person("layla", None, Role::Annotator, &password("layla"))
            .unwrap();
        server
            .add_person("rami", None, Role::Reviewer, &password("rami"))
            .unwrap();
        let people = server.sync_people().unwrap();
        let uid = |login: &str| people.iter().find(|p| p.login == login).unwrap().uid;
        (uid(LEAD), uid("layla"))
    };
    let src = Connection::open_with_flags(&project, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut su =
        postgres::Client::connect(&cluster.superuser_url(TEAM_DB), postgres::NoTls).unwrap();
    let seeding = Instant::now();
    su.batch_execute("BEGIN; SET LOCAL session_replication_role = replica;")
        .unwrap();
    let mut seq: i64 = su
        .query_one("SELECT last_value FROM tawsim.change_seq", &[])
        .unwrap()
        .get(0);
    let text = |r: &rusqlite::Row<'_>, i: usize| -> Option<String> {
        match r.get_ref(i).unwrap() {
            rusqlite::types::ValueRef::Null => None,
            rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
            rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
            rusqlite::types::ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
            rusqlite::types::ValueRef::Blob(b) => Some(hex_uid(b)),
        }
    };
    let schemas = copy_table(
        &mut su,
        &src,
        "schemas",
        "sha256, name, ron, source, created_at",
        "SELECT sha256, name, ron, source, created_at FROM schemas ORDER BY version",
        &mut seq,
        &|r| (0..5).map(|i| text(r, i)).collect(),
    );
    let lead_s = lead_uid.to_string();
    let layla_s = layla_uid.to_string();
    let layers = copy_table(
        &mut su,
        &src,
        "layers",
        "uid, name, kind, owner, created_at",
        "SELECT uid, name, kind, annotator_id IS NOT NULL, created_at FROM layers
         WHERE kind IN ('annotator', 'imported') ORDER BY id",
        &mut seq,
        &|r| {
            let owned: bool = r.get(3).unwrap();
            vec![
                text(r, 0),
                text(r, 1),
                text(r, 2),
                owned.then(|| layla_s.clone()),
                text(r, 4),
            ]
        },
    );
    let documents = copy_table(
        &mut su,
        &src,
        "documents",
        "sha256, title, text, source, meta, direction, char_len, imported_at, note",
        "SELECT sha256, title, text, source, meta, direction, char_len, imported_at, note
         FROM documents ORDER BY id",
        &mut seq,
        &|r| (0..9).map(|i| text(r, i)).collect(),
    );
    let spans = copy_table(
        &mut su,
        &src,
        "spans",
        "uid, doc, layer, annotator, start, \"end\", label, text, origin, created_at, updated_at,
         deleted_at, attrs, note, score, model",
        "SELECT s.uid, d.sha256, l.uid, l.kind = 'imported', s.start, s.\"end\", s.label, s.text,
                s.origin, s.created_at, s.updated_at, s.deleted_at, s.attrs, s.note, s.score, s.model
         FROM spans s JOIN documents d ON d.id = s.doc_id JOIN layers l ON l.id = s.layer_id
         ORDER BY s.id",
        &mut seq,
        &|r| {
            let imported: bool = r.get(3).unwrap();
            let mut f: Vec<Option<String>> = (0..16).map(|i| text(r, i)).collect();
            f[3] = Some(if imported { lead_s.clone() } else { layla_s.clone() });
            f
        },
    );
    let events = copy_table(
        &mut su,
        &src,
        "events",
        "uid, at, action, doc, before, after",
        "SELECT e.uid, e.at, e.action, d.sha256, e.before, json_set(e.after, '$.id', d.sha256)
         FROM audit e JOIN documents d ON d.id = e.doc_id
         WHERE e.action = 'document.import' ORDER BY e.id",
        &mut seq,
        &|r| (0..6).map(|i| text(r, i)).collect(),
    );
    su.execute("SELECT setval('tawsim.change_seq', $1)", &[&seq])
        .unwrap();
    su.batch_execute("COMMIT; ANALYZE;").unwrap();
    println!(
        "sync/reviewer: server seeded by COPY from {} in {:.1?}: {schemas} schemas, {layers} layers, {documents} documents, {spans} spans, {events} events",
        project.display(),
        seeding.elapsed()
    );

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("rami.tawsim");
    let watched = support::run_watched(
        Command::new(env!("CARGO_BIN_EXE_tawsim"))
            .args([
                "link",
                "--db",
                target.to_str().unwrap(),
                &cluster.url_without_password("rami", TEAM_DB),
            ])
            .env("PGPASSWORD", password("rami"))
            .env("PGPASSFILE", "/nonexistent/pgpass"),
    );
    assert!(watched.status.success(), "{}", watched.stdout);
    println!(
        "  a new reviewer's `tawsim link` (first sync): {:.1} s, peak VmHWM {:.0} MB (VmRSS {:.0} MB, {} samples)",
        watched.wall.as_secs_f64(),
        watched.peak_hwm_mb,
        watched.peak_rss_mb,
        watched.samples
    );
    for line in watched.stdout.lines() {
        println!("    {line}");
    }
    let local = Connection::open(&target).unwrap();
    let count = |sql: &str| -> i64 { local.query_row(sql, [], |r| r.get(0)).unwrap() };
    let (d, s, e) = (
        count("SELECT count(*) FROM documents"),
        count("SELECT count(*) FROM spans"),
        count("SELECT count(*) FROM audit WHERE action = 'document.import'"),
    );
    println!("  the reviewer's project: {d} documents, {s} spans, {e} document.import events");
    assert_eq!(
        (d as usize, s as usize, e as usize),
        (documents, spans, events)
    );
    let _ = std::io::stdout().flush();
}
