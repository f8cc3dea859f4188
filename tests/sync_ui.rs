//! The app's background sync with a real team server (issue 12), through
//! the window: the status bar's states (password needed, synced, changes
//! waiting, offline, error), an action that reaches the server on its own,
//! another machine's change that reaches the window on its own, and a
//! server that hangs while the window goes on tagging.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use pg::{Cluster, LEAD, LEAD_PASSWORD, TEAM_DB};
use tawsim::model::{CharRange, Origin};
use tawsim::schema::Schema;
use tawsim::server::{Server, ServerUrl};
use tawsim::settings::Settings;
use tawsim::store::Store;
use tawsim::sync::worker::SyncState;
use tawsim::ui::sync::{TeamCommand, status_text};
use tawsim::ui::{App, Command};

fn tawsim(args: &[&str], password: &str) -> Output {
    let output = Process::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(args)
        .stdin(Stdio::null())
        .env("PGPASSWORD", password)
        .env("PGPASSFILE", "/nonexistent/pgpass")
        .output()
        .expect("run tawsim");
    assert!(
        output.status.success(),
        "tawsim {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Step the window (in real time) until `done` holds; panics with the
/// status bar's text after `limit`.
fn wait_for(
    harness: &mut Harness<'static, App>,
    limit: Duration,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness.state()) {
            return;
        }
        if start.elapsed() > limit {
            panic!(
                "waited {limit:?} for {what}; the status bar says {:?}",
                harness.state().sync_status().map(status_text)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text_of(app: &App) -> Option<String> {
    app.sync_status().map(status_text)
}

fn state_of(app: &App) -> Option<SyncState> {
    app.sync_status().map(|s| s.state.clone())
}

fn server_spans(cluster: &Cluster, label: &str) -> i64 {
    let mut client =
        postgres::Client::connect(&cluster.superuser_url(TEAM_DB), postgres::NoTls).unwrap();
    client
        .query_one(
            "SELECT count(*) FROM tawsim.spans WHERE label = $1 AND deleted_at IS NULL",
            &[&label],
        )
        .unwrap()
        .get(0)
}

fn range_of(text: &str, word: &str, nth: usize) -> CharRange {
    let r = common::find(text, word, nth);
    CharRange::new(r.start, r.end).unwrap()
}

fn open_app(path: &Path) -> Harness<'static, App> {
    let store = Store::open(path).unwrap();
    // The name saved on this machine is not the linked person's: the app
    // works as the linked person anyway.
    let settings = Settings {
        annotator: Some("someone else".into()),
        ..Settings::default()
    };
    let app = App::new(store, Schema::default_schema(), settings, None);
    Harness::builder()
        .with_size(egui::Vec2::new(1280.0, 860.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(400)
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

#[test]
fn the_status_bar_follows_the_sync_and_the_window_never_waits_for_the_server() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.create_team();
    let mut server = Server::connect(&ServerUrl::parse(&cluster.lead_url()).unwrap()).unwrap();
    server.init().unwrap();
    drop(server);
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.url_without_password(LEAD, TEAM_DB);

    // The lead's project: the sample article, linked on the command line.
    let mine = dir.path().join("lead.tawsim");
    {
        let mut store = Store::open(&mine).unwrap();
        let parsed =
            tawsim::io::parse_txt(common::ARTICLE.as_bytes(), "idlib-ceasefire-ar.txt").unwrap();
        store.import_document(&parsed.doc, None).unwrap();
    }
    tawsim(
        &["link", "--db", mine.to_str().unwrap(), &url],
        LEAD_PASSWORD,
    );

    // The window: no password in the environment, so it asks for one.
    let mut harness = open_app(&mine);
    wait_for(
        &mut harness,
        Duration::from_secs(20),
        "the password question",
        |app| matches!(state_of(app), Some(SyncState::NeedsPassword { .. })),
    );
    assert_eq!(harness.state().annotator_name(), Some(LEAD));
    assert_eq!(
        text_of(harness.state()).as_deref(),
        Some("team server: password needed")
    );
    // A wrong password is refused, and said so.
    harness
        .state_mut()
        .run(Command::Team(TeamCommand::Password("wrong".into())));
    wait_for(
        &mut harness,
        Duration::from_secs(20),
        "the refusal",
        |app| {
            matches!(
                state_of(app),
                Some(SyncState::NeedsPassword {
                    refused: Some(_),
                    ..
                })
            )
        },
    );
    harness
        .state_mut()
        .run(Command::Team(TeamCommand::Password(LEAD_PASSWORD.into())));
    wait_for(&mut harness, Duration::from_secs(20), "synced", |app| {
        matches!(state_of(app), Some(SyncState::Synced { .. }))
    });
    assert!(
        text_of(harness.state()).unwrap().starts_with("synced "),
        "{:?}",
        text_of(harness.state())
    );

    // An action goes up on its own, right after it commits.
    let text = common::text_of(&harness);
    harness
        .state_mut()
        .run(Command::SetSelection(Some(range_of(&text, "إدلب", 0))));
    harness.state_mut().run(Command::Tag("PLACE".into()));
    wait_for(
        &mut harness,
        Duration::from_secs(10),
        "the span on the server",
        |_| server_spans(&cluster, "PLACE") == 1,
    );
    wait_for(
        &mut harness,
        Duration::from_secs(10),
        "nothing waiting",
        |app| {
            app.sync_status().is_some_and(|s| s.waiting == 0)
                && matches!(state_of(app), Some(SyncState::Synced { .. }))
        },
    );

    // Another machine of the team tags a span and syncs: it reaches this
    // window on its own.
    let other = dir.path().join("lead-laptop.tawsim");
    tawsim(
        &["link", "--db", other.to_str().unwrap(), &url],
        LEAD_PASSWORD,
    );
    {
        let mut store = Store::open(&other).unwrap();
        let annotator = store.annotator_id(LEAD).unwrap();
        let doc = store.documents().unwrap()[0].id;
        let r = range_of(&text, "حلب", 0);
        store
            .add_span(doc, annotator, r, "PLACE", Origin::Manual)
            .unwrap();
    }
    tawsim(&["sync", "--db", other.to_str().unwrap()], LEAD_PASSWORD);
    let halab = range_of(&text, "حلب", 0);
    wait_for(
        &mut harness,
        Duration::from_secs(10),
        "the other machine's span in the window",
        |app| app.spans().iter().any(|s| s.range == halab),
    );

    // The server stops: work goes on, and waits.
    cluster.stop();
    harness
        .state_mut()
        .run(Command::SetSelection(Some(range_of(&text, "إدلب", 1))));
    harness.state_mut().run(Command::Tag("PLACE".into()));
    wait_for(&mut harness, Duration::from_secs(20), "offline", |app| {
        matches!(state_of(app), Some(SyncState::Offline { .. }))
            && app.sync_status().is_some_and(|s| s.waiting == 1)
    });
    let shown = text_of(harness.state()).unwrap();
    assert!(
        shown.starts_with("offline · 1 change waiting · retrying in "),
        "{shown}"
    );
    assert_eq!(
        harness
            .state()
            .spans()
            .iter()
            .filter(|s| s.label == "PLACE")
            .count(),
        3
    );

    // A server that accepts the connection and never answers: the round
    // hangs on its thread, and the window goes on tagging.
    let hung = TcpListener::bind(("127.0.0.1", cluster.port)).expect("take the server's port");
    harness.state_mut().run(Command::Team(TeamCommand::SyncNow));
    wait_for(
        &mut harness,
        Duration::from_secs(10),
        "a hanging round",
        |app| matches!(state_of(app), Some(SyncState::Syncing)),
    );
    let (_conn, _) = hung.accept().expect("the sync connects");
    let before = Instant::now();
    harness
        .state_mut()
        .run(Command::SetSelection(Some(range_of(&text, "إدلب", 2))));
    harness.state_mut().run(Command::Tag("PLACE".into()));
    for _ in 0..10 {
        harness.step();
    }
    let took = before.elapsed();
    assert!(
        matches!(state_of(harness.state()), Some(SyncState::Syncing)),
        "the round still hangs"
    );
    assert!(
        took < Duration::from_secs(2),
        "the window waited {took:?} for a hanging server"
    );
    let doc = harness.state().current_document().unwrap();
    let stored = Store::open(&mine).unwrap().spans(doc).unwrap();
    assert_eq!(stored.iter().filter(|s| s.label == "PLACE").count(), 4);
    drop(_conn);
    drop(hung);

    // The server is back: everything goes up, once.
    cluster.start_again();
    harness.state_mut().run(Command::Team(TeamCommand::SyncNow));
    wait_for(
        &mut harness,
        Duration::from_secs(40),
        "synced again",
        |app| {
            matches!(state_of(app), Some(SyncState::Synced { .. }))
                && app.sync_status().is_some_and(|s| s.waiting == 0)
        },
    );
    assert_eq!(server_spans(&cluster, "PLACE"), 4);

    // A server this tawsim does not speak: an error that says why.
    cluster.sql(
        TEAM_DB,
        "UPDATE tawsim.meta SET value = '99' WHERE key = 'schema_version'",
    );
    harness.state_mut().run(Command::Team(TeamCommand::SyncNow));
    wait_for(
        &mut harness,
        Duration::from_secs(20),
        "the version error",
        |app| matches!(state_of(app), Some(SyncState::Error { .. })),
    );
    let shown = text_of(harness.state()).unwrap();
    assert!(
        shown.starts_with("sync error: the server's schema is version 99"),
        "{shown}"
    );
}
