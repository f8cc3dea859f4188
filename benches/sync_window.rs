//! How long an action takes to reach another person's window through the
//! team server on loopback (issue 12's target: < 2 s).
//!
//! A throwaway PostgreSQL cluster (the tests' harness, `tests/common/pg.rs`)
//! with the lead (an admin) and a reviewer. Each has a linked project with
//! the app's background sync running ([`SyncWorker`], exactly what the
//! window runs; no window is drawn). The lead tags a span through their own
//! store connection, as the window does, and pokes the sync; the time is
//! until the reviewer's project holds the span (the window reads it in the
//! next frame after its sync reports the change). Repeated [`ROUNDS`] times;
//! after each, the span is deleted and the deletion awaited the same way.
//!
//! Run: `cargo bench --bench sync_window` (needs Debian's `postgresql`).

#[path = "../tests/common/pg.rs"]
mod pg;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use pg::{Cluster, LEAD_PASSWORD, TEAM_DB};
use tawsim::model::{Change, CharRange, Origin};
use tawsim::server::{Role, Server, ServerUrl};
use tawsim::store::Store;
use tawsim::sync::worker::{SyncState, SyncWorker};

const ROUNDS: usize = 40;
const TEXT: &str = "قصفت قوات النظام مدينة إدلب يوم الخميس وقتل 12 مدنياً في ريف حلب الغربي.";

fn wait(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn synced(worker: &SyncWorker) -> bool {
    let status = worker.status();
    matches!(status.state, SyncState::Synced { .. }) && status.waiting == 0
}

fn count_spans(path: &Path) -> usize {
    let store = Store::open(path).expect("open the reviewer's project");
    let doc = store.documents().expect("documents")[0].id;
    store.spans(doc).expect("spans").len()
}

fn main() {
    let Some(cluster) = Cluster::start() else {
        eprintln!("sync_window: skipped, no PostgreSQL (install Debian's postgresql)");
        return;
    };
    cluster.create_team();
    let mut server = Server::connect(&ServerUrl::parse(&cluster.lead_url()).unwrap()).unwrap();
    server.init().unwrap();
    server
        .add_person("sara", None, Role::Reviewer, "sara-pw")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lead_path = dir.path().join("lead.tawsim");
    let sara_path = dir.path().join("sara.tawsim");
    {
        let mut store = Store::open(&lead_path).unwrap();
        store
            .import_document(
                &tawsim::store::NewDocument {
                    title: "خبر".into(),
                    text: TEXT.into(),
                    source: "bench".into(),
                    meta: serde_json::json!({}),
                },
                None,
            )
            .unwrap();
        let mut server = Server::connect(&ServerUrl::parse(&cluster.lead_url()).unwrap()).unwrap();
        tawsim::sync::link(&mut store, &mut server).unwrap();
        let mut store = Store::open(&sara_path).unwrap();
        let url = cluster.url("sara", "sara-pw", TEAM_DB);
        let mut server = Server::connect(&ServerUrl::parse(&url).unwrap()).unwrap();
        tawsim::sync::link(&mut store, &mut server).unwrap();
    }

    let words: Vec<(usize, usize)> = support::word_ranges(TEXT);
    let mut lead = Store::open(&lead_path).unwrap();
    let annotator = lead.linked_annotator().unwrap().unwrap().0;
    let doc = lead.documents().unwrap()[0].id;

    {
        let lead_sync = SyncWorker::start(&lead_path, || {}).unwrap();
        let sara_sync = SyncWorker::start(&sara_path, || {}).unwrap();
        lead_sync.set_password(LEAD_PASSWORD.into());
        sara_sync.set_password("sara-pw".into());
        wait(Duration::from_secs(30), "both synced", || {
            synced(&lead_sync) && synced(&sara_sync)
        });
        let mut latencies = Vec::with_capacity(ROUNDS);
        for i in 0..ROUNDS {
            let before = count_spans(&sara_path);
            let (s, e) = words[i % words.len()];
            let span = lead
                .add_span(
                    doc,
                    annotator,
                    CharRange::new(s, e).unwrap(),
                    "PLACE",
                    Origin::Manual,
                )
                .unwrap();
            let t0 = Instant::now();
            lead_sync.poke();
            wait(
                Duration::from_secs(20),
                "the span at the reviewer's",
                || count_spans(&sara_path) > before,
            );
            latencies.push(t0.elapsed());
            lead.apply(&Change::Delete { span: span.id }, annotator)
                .unwrap();
            wait(
                Duration::from_secs(20),
                "the deletion at the reviewer's",
                || count_spans(&sara_path) == before,
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        latencies.sort();
        println!(
            "action → another client's project on loopback, {ROUNDS} actions: p50 {} · p95 {} · max {}",
            support::ms(support::quantile(&latencies, 0.5)),
            support::ms(support::quantile(&latencies, 0.95)),
            support::ms(*latencies.last().unwrap()),
        );
        drop(lead_sync);
        drop(sara_sync);
        std::thread::sleep(Duration::from_millis(300));
    }
}
