//! The app's background sync: one thread per open project that links it to
//! the team server and keeps it in sync, on a store connection and a server
//! connection of its own, so that no frame ever waits on the network.
//!
//! # When it runs a round
//!
//! - right after an action of the user (the app calls [`SyncWorker::poke`]
//!   once the action has committed locally; pokes that arrive during a
//!   round are folded into one more round);
//! - as soon as someone else's push commits on the server: a second
//!   connection listens for the server's change notifications (see
//!   "Change notifications" in [`crate::server::sync`]);
//! - every [`ONLINE_INTERVAL`] while the server answers;
//! - while it does not, after a back-off that doubles from
//!   [`OFFLINE_FIRST_RETRY`] up to [`OFFLINE_MAX_RETRY`] (an action still
//!   tries at once, so reconnecting needs no waiting for the timer).
//!
//! A round is [`super::sync`] (push, then pull), whose writes to the local
//! project are short transactions (see [`crate::store::sync`]), so the
//! window's own writes get in between them.
//!
//! # Status
//!
//! [`SyncWorker::status`] is a copy of the latest [`SyncStatus`], cheap to
//! read every frame: the [`SyncState`], how many of the person's changes
//! wait to go up ([`crate::store::Store::sync_waiting`]), and a summary of
//! the last round. Its `changed` counter grows whenever a pull changed the
//! project, so the window knows to read its documents and spans again.
//!
//! | state | when | what the user does |
//! |---|---|---|
//! | `NotLinked` | the project has no team server | File ▸ Team server… to link it |
//! | `Syncing` | a round is under way | nothing |
//! | `Synced` | the last round went through; `waiting` is usually 0 | nothing |
//! | `Offline` | the server cannot be reached (stopped, no network, it went away mid-round) | nothing: work goes on and goes up when it answers again |
//! | `NeedsPassword` | the server asks for a password that neither `PGPASSWORD` nor `~/.pgpass` gives, or refused the one typed | type it (kept in memory only, never saved) |
//! | `Error` | anything else (removed from the team, a server of another version, a refused row) | read the message |
//!
//! # Passwords
//!
//! A password typed in the app ([`SyncWorker::set_password`]) lives only in
//! this thread's memory for the session; it is never written to the project
//! or the settings, and never shown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::{LinkReport, SyncError, SyncReport};
use crate::server::{Server, ServerError, ServerUrl};
use crate::store::{Store, StoreError};

/// Time between two rounds while the server answers.
pub const ONLINE_INTERVAL: Duration = Duration::from_secs(3);

/// First wait before trying an unreachable server again.
pub const OFFLINE_FIRST_RETRY: Duration = Duration::from_secs(2);

/// Longest wait before trying an unreachable server again.
pub const OFFLINE_MAX_RETRY: Duration = Duration::from_secs(30);

/// Where the background sync stands.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncState {
    /// The project has no team server.
    NotLinked,
    /// A round (or a link) is under way.
    Syncing,
    /// The last round went through, at this time.
    Synced { at: SystemTime },
    /// The server cannot be reached; the next try is in `retry_in` from
    /// `since` (the last try).
    Offline {
        reason: String,
        since: Instant,
        retry_in: Duration,
    },
    /// The server wants a password that is not known, or refused it.
    NeedsPassword {
        role: String,
        server: String,
        /// The server's refusal of a password typed before, if any.
        refused: Option<String>,
    },
    /// Anything else that stopped the round.
    Error { message: String },
}

/// What the last round did, for the status bar's tooltip and the Team
/// server window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundSummary {
    /// Rows written on the server.
    pub pushed: u64,
    /// Rows added or changed here.
    pub pulled: usize,
    /// Records here that took a later change made elsewhere (the merge
    /// rules: the later change wins).
    pub took_later: usize,
    /// Rows the server refused, with its reasons.
    pub refused: Vec<String>,
}

/// A copy of the sync's state, for the window to read every frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncStatus {
    pub state: SyncState,
    /// The person's changes not yet on the server.
    pub waiting: u64,
    /// The server (no password), the login and role, once linked.
    pub server: Option<String>,
    pub login: Option<String>,
    pub role: Option<String>,
    pub last: Option<RoundSummary>,
    /// Grows every time a pull (or a link) changed the project.
    pub changed: u64,
    /// Rounds finished, successful or not.
    pub rounds: u64,
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            state: SyncState::NotLinked,
            waiting: 0,
            server: None,
            login: None,
            role: None,
            last: None,
            changed: 0,
            rounds: 0,
        }
    }
}

enum Msg {
    Poke,
    /// The server announced a committed push.
    Remote,
    Password(String),
    Link {
        url: String,
        password: String,
    },
    Stop,
}

/// The background sync of one project (see the module documentation).
pub struct SyncWorker {
    tx: Sender<Msg>,
    shared: Arc<Mutex<SyncStatus>>,
}

impl SyncWorker {
    /// Start the sync thread for the project file at `path`; `wake` is
    /// called whenever the status changes (the app asks for a repaint).
    pub fn start(
        path: &std::path::Path,
        wake: impl Fn() + Send + 'static,
    ) -> Result<SyncWorker, SyncError> {
        let store = Store::open(path)?;
        let shared = Arc::new(Mutex::new(SyncStatus::default()));
        let (tx, rx) = mpsc::channel();
        let mut worker = Worker {
            tx: tx.clone(),
            listening: Arc::new(AtomicBool::new(false)),
            stopped: Arc::new(AtomicBool::new(false)),
            store,
            server: None,
            password: None,
            shared: Arc::clone(&shared),
            wake: Box::new(wake),
            offline_wait: OFFLINE_FIRST_RETRY,
        };
        worker.read_link();
        thread::Builder::new()
            .name("tawsim sync".into())
            .spawn(move || {
                crate::background::yield_to_the_window();
                worker.run(rx)
            })
            .map_err(SyncError::Thread)?;
        Ok(SyncWorker { tx, shared })
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        lock(&self.shared).clone()
    }

    /// An action committed locally: count it and sync now.
    pub fn poke(&self) {
        let _ = self.tx.send(Msg::Poke);
    }

    /// Use this password (kept in memory only) and sync now.
    pub fn set_password(&self, password: String) {
        let _ = self.tx.send(Msg::Password(password));
    }

    /// Link the project to the server at `url` as the person it names
    /// (`password` empty: the standard places), then sync.
    pub fn link(&self, url: String, password: String) {
        let _ = self.tx.send(Msg::Link { url, password });
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
    }
}

fn lock(shared: &Mutex<SyncStatus>) -> MutexGuard<'_, SyncStatus> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Worker {
    /// For the listener thread's messages.
    tx: Sender<Msg>,
    /// Whether a listener thread holds a listening connection.
    listening: Arc<AtomicBool>,
    /// Set when the worker stops, so the listener ends too.
    stopped: Arc<AtomicBool>,
    store: Store,
    server: Option<Server>,
    password: Option<String>,
    shared: Arc<Mutex<SyncStatus>>,
    wake: Box<dyn Fn() + Send>,
    offline_wait: Duration,
}

impl Worker {
    fn update(&self, f: impl FnOnce(&mut SyncStatus)) {
        f(&mut lock(&self.shared));
        (self.wake)();
    }

    fn linked(&self) -> bool {
        lock(&self.shared).server.is_some()
    }

    /// Read the link and the waiting count from the project.
    fn read_link(&mut self) {
        let link = self.store.sync_link();
        let waiting = self.store.sync_waiting();
        self.update(|s| {
            match link {
                Ok(Some(link)) => {
                    s.server = Some(link.server);
                    s.login = Some(link.login);
                    s.role = Some(link.role);
                }
                Ok(None) => {}
                Err(e) => {
                    s.state = SyncState::Error {
                        message: format!("{:#}", anyhow::Error::from(e)),
                    }
                }
            }
            if let Ok(n) = waiting {
                s.waiting = n;
            }
        });
    }

    fn run(mut self, rx: Receiver<Msg>) {
        let mut due = self.linked();
        loop {
            if due {
                due = false;
                self.round(None);
            }
            let wait = match &lock(&self.shared).state {
                SyncState::NotLinked | SyncState::NeedsPassword { .. } => OFFLINE_MAX_RETRY,
                SyncState::Offline { .. } | SyncState::Error { .. } => self.offline_wait,
                _ => ONLINE_INTERVAL,
            };
            let first = match rx.recv_timeout(wait) {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Timeout) => {
                    due = self.linked();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.stopped.store(true, Ordering::Relaxed);
                    return;
                }
            };
            // Fold everything already queued into one round.
            let mut link = None;
            for msg in std::iter::once(first).chain(rx.try_iter()) {
                match msg {
                    Msg::Stop => {
                        self.stopped.store(true, Ordering::Relaxed);
                        return;
                    }
                    Msg::Remote => {}
                    Msg::Poke => {
                        if let Ok(n) = self.store.sync_waiting() {
                            self.update(|s| s.waiting = n);
                        }
                    }
                    Msg::Password(p) => {
                        self.password = Some(p);
                        self.offline_wait = OFFLINE_FIRST_RETRY;
                    }
                    Msg::Link { url, password } => link = Some((url, password)),
                }
            }
            if link.is_some() {
                self.round(link);
            } else {
                due = self.linked();
            }
        }
    }

    /// One round, or a link and its round.
    fn round(&mut self, link: Option<(String, String)>) {
        self.update(|s| s.state = SyncState::Syncing);
        let result = match link {
            Some((url, password)) => {
                if !password.is_empty() {
                    self.password = Some(password);
                }
                self.server = None;
                self.link(&url).map(|r| r.round)
            }
            None => self.sync(),
        };
        let waiting = self.store.sync_waiting().unwrap_or(0);
        match result {
            Ok(report) => {
                self.offline_wait = OFFLINE_FIRST_RETRY;
                self.keep_listening();
                let summary = summarise(&report);
                let changed = summary.pulled > 0;
                self.update(|s| {
                    s.state = SyncState::Synced {
                        at: SystemTime::now(),
                    };
                    s.server = Some(report.server.clone());
                    s.login = Some(report.login.clone());
                    s.role = Some(report.role.clone());
                    s.waiting = waiting;
                    s.last = Some(summary);
                    s.rounds += 1;
                    if changed {
                        s.changed += 1;
                    }
                });
            }
            Err(error) => {
                self.server = None;
                let state = self.state_of(&error);
                if matches!(state, SyncState::Offline { .. }) {
                    self.offline_wait = (self.offline_wait * 2).min(OFFLINE_MAX_RETRY);
                }
                self.update(|s| {
                    s.state = state;
                    s.waiting = waiting;
                    s.rounds += 1;
                });
            }
        }
    }

    /// Start the listener thread unless one listens already.
    fn keep_listening(&mut self) {
        if self.listening.load(Ordering::Relaxed) {
            return;
        }
        let url = match self.store.sync_link() {
            Ok(Some(link)) => match self.url(&link.server) {
                Ok(url) => url,
                Err(_) => return,
            },
            _ => return,
        };
        self.listening.store(true, Ordering::Relaxed);
        let listening = Arc::clone(&self.listening);
        let stopped = Arc::clone(&self.stopped);
        let tx = self.tx.clone();
        let spawned = thread::Builder::new()
            .name("tawsim sync listener".into())
            .spawn(move || {
                listen(&url, &tx, &stopped);
                listening.store(false, Ordering::Relaxed);
            });
        if spawned.is_err() {
            // Timed rounds still run.
            self.listening.store(false, Ordering::Relaxed);
        }
    }

    fn url(&self, url: &str) -> Result<ServerUrl, SyncError> {
        let mut url = ServerUrl::parse(url)?;
        if let Some(p) = &self.password
            && !url.has_password()
        {
            url.set_password(p);
        }
        Ok(url)
    }

    fn link(&mut self, url: &str) -> Result<LinkReport, SyncError> {
        let mut server = Server::connect(&self.url(url)?)?;
        let report = super::link(&mut self.store, &mut server)?;
        self.server = Some(server);
        self.read_link();
        self.update(|s| s.changed += 1);
        Ok(report)
    }

    fn sync(&mut self) -> Result<SyncReport, SyncError> {
        let server = match self.server.take() {
            Some(server) => server,
            None => {
                let link = self.store.sync_link()?.ok_or(StoreError::NotLinked)?;
                Server::connect(&self.url(&link.server)?)?
            }
        };
        let server = self.server.insert(server);
        super::sync(&mut self.store, server)
    }

    fn state_of(&self, error: &SyncError) -> SyncState {
        match error {
            SyncError::Server(ServerError::PasswordNeeded { role, url }) => {
                SyncState::NeedsPassword {
                    role: role.clone(),
                    server: url.clone(),
                    refused: None,
                }
            }
            SyncError::Server(ServerError::Login {
                role, url, message, ..
            }) => SyncState::NeedsPassword {
                role: role.clone(),
                server: url.clone(),
                refused: Some(message.clone()),
            },
            e if is_offline(e) => SyncState::Offline {
                reason: offline_reason(e),
                since: Instant::now(),
                retry_in: (self.offline_wait * 2).min(OFFLINE_MAX_RETRY),
            },
            e => SyncState::Error {
                message: e.to_string(),
            },
        }
    }
}

/// Listen for the server's change notifications and pass each on as
/// [`Msg::Remote`], until the connection goes or the worker stops.
fn listen(url: &ServerUrl, tx: &Sender<Msg>, stopped: &AtomicBool) {
    let Ok(mut server) = Server::connect(url) else {
        return;
    };
    if server.listen_for_changes().is_err() {
        return;
    }
    while !stopped.load(Ordering::Relaxed) {
        match server.wait_for_change(LISTEN_CHECK) {
            Ok(true) => {
                if tx.send(Msg::Remote).is_err() {
                    return;
                }
            }
            Ok(false) => {}
            Err(_) => return,
        }
    }
}

/// How often the listener looks whether the worker stopped.
const LISTEN_CHECK: Duration = Duration::from_secs(5);

fn summarise(report: &SyncReport) -> RoundSummary {
    let pulled = report.pull.people_added
        + report
            .pull
            .tables
            .values()
            .map(|a| a.added + a.updated + a.states)
            .sum::<usize>();
    RoundSummary {
        pushed: report.push.written(),
        pulled,
        took_later: report.pull.tables.values().map(|a| a.updated).sum(),
        refused: report.push.refused.clone(),
    }
}

/// Whether `error` means the server could not be reached or went away,
/// rather than that it refused something.
pub fn is_offline(error: &SyncError) -> bool {
    match error {
        SyncError::Server(ServerError::Unreachable { .. }) => true,
        SyncError::Server(ServerError::Sql { error, .. }) => match error.as_db_error() {
            // 08: connection exception; 57P01..57P03: the server is shutting
            // down or starting up.
            Some(db) => {
                let code = db.code().code();
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
            }
            None => true,
        },
        _ => false,
    }
}

fn offline_reason(error: &SyncError) -> String {
    match error {
        SyncError::Server(ServerError::Unreachable { reason, .. }) => reason.clone(),
        SyncError::Server(ServerError::Sql { message, .. }) => {
            format!("the connection was lost: {message}")
        }
        e => e.to_string(),
    }
}
