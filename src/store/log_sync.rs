//! The window's commits are synced to disk on a thread of their own, so a
//! frame never waits for the disk.
//!
//! A store connection commits with `synchronous=FULL` by default: the commit
//! returns after `fsync` of the write-ahead log. While another process
//! writes a lot (an import, a merge, a sync), that `fsync` can take tens of
//! milliseconds, and the window's frame would wait for it. The window's
//! connection ([`super::Store::wait_briefly_for_lock`]) therefore commits
//! with `synchronous=NORMAL`, and SQLite's write-ahead-log hook, which runs
//! right after every commit of that connection, asks a [`LogSyncer`] thread
//! to `fdatasync` the project's `-wal` file.
//!
//! What this guarantees, in order:
//!
//! 1. When the commit returns, the transaction is in the write-ahead log
//!    (in the operating system's cache): if tawsim crashes or is killed,
//!    the next open has it.
//! 2. A few milliseconds later, when the syncer's `fdatasync` returns, it
//!    is on the disk: it survives a power cut or a crash of the machine. A
//!    checkpoint never copies an unsynced frame into the project file
//!    (SQLite syncs the log before a checkpoint), so the file itself is
//!    never damaged, whichever moment the power goes.
//! 3. Closing the store (dropping it) waits for the last sync.
//!
//! A sync that fails (the disk reports an I/O error) is kept and reported by
//! [`super::Store::log_sync_error`]; the window shows it.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

/// What the connection's hook and the syncer thread share.
#[derive(Default)]
struct State {
    /// Commits asked to be synced so far.
    wanted: u64,
    /// Commits known to be on disk (every commit up to this many).
    done: u64,
    /// The store is closing: sync what is wanted and end.
    stop: bool,
    /// The last failed sync, as text.
    error: Option<String>,
}

/// A handle the connection's hook uses to ask for a sync.
#[derive(Clone)]
pub(super) struct SyncRequests {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl SyncRequests {
    /// A commit just went into the log: sync it.
    pub(super) fn commit(&self) {
        let (state, wake) = &*self.shared;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.wanted += 1;
        wake.notify_all();
    }
}

/// The thread that syncs a project's write-ahead log after each commit of
/// the window's connection (see the module documentation).
pub(super) struct LogSyncer {
    requests: SyncRequests,
    thread: Option<JoinHandle<()>>,
}

impl LogSyncer {
    /// Start syncing `wal` (the project's `-wal` file) when asked.
    pub(super) fn start(wal: PathBuf) -> std::io::Result<LogSyncer> {
        let shared: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let thread = std::thread::Builder::new()
            .name("tawsim log sync".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || run(&wal, &shared)
            })?;
        Ok(LogSyncer {
            requests: SyncRequests { shared },
            thread: Some(thread),
        })
    }

    pub(super) fn requests(&self) -> SyncRequests {
        self.requests.clone()
    }

    /// Wait up to `limit` until every commit asked for so far is on disk;
    /// false when the time ran out.
    #[cfg(test)]
    fn wait_until_synced(&self, limit: std::time::Duration) -> bool {
        use std::time::Instant;
        let (state, wake) = &*self.requests.shared;
        let deadline = Instant::now() + limit;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let target = state.wanted;
        while state.done < target {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = wake
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// How many commits were asked to be synced, and how many are on disk.
    fn counts(&self) -> (u64, u64) {
        let state = self
            .requests
            .shared
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (state.wanted, state.done)
    }

    /// The last sync that failed, if any.
    pub(super) fn error(&self) -> Option<String> {
        self.requests
            .shared
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .error
            .clone()
    }
}

impl std::fmt::Debug for LogSyncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (asked, done) = self.counts();
        f.debug_struct("LogSyncer")
            .field("asked", &asked)
            .field("done", &done)
            .finish()
    }
}

impl Drop for LogSyncer {
    fn drop(&mut self) {
        {
            let (state, wake) = &*self.requests.shared;
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            state.stop = true;
            wake.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            // A panic of the thread was already reported by the runtime.
            let _ = thread.join();
        }
    }
}

/// The syncer thread: wait for commits, sync the log once for all of them.
fn run(wal: &std::path::Path, shared: &(Mutex<State>, Condvar)) {
    let (state, wake) = shared;
    let mut file: Option<File> = None;
    loop {
        let target = {
            let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
            while guard.wanted == guard.done && !guard.stop {
                guard = wake.wait(guard).unwrap_or_else(PoisonError::into_inner);
            }
            if guard.wanted == guard.done {
                return;
            }
            guard.wanted
        };
        // The log exists once the connection has committed in WAL mode; it
        // keeps its inode while the connection is open (SQLite rewrites it
        // from the start instead of replacing it).
        let synced = match &file {
            Some(f) => f.sync_data(),
            None => File::open(wal).and_then(|f| {
                let result = f.sync_data();
                file = Some(f);
                result
            }),
        };
        let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
        match synced {
            Ok(()) => guard.done = target,
            Err(e) => {
                guard.error = Some(format!("syncing {} to disk: {e}", wal.display()));
                // Counted as handled, so waiters are not stuck; the error
                // stays for the window to show.
                guard.done = target;
                file = None;
            }
        }
        wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::Store;
    use super::*;

    /// Commits the store's syncer was asked to sync, and synced: `(0, 0)`
    /// when the store syncs each commit itself.
    fn syncs(store: &Store) -> (u64, u64) {
        store.log_syncer.as_ref().map_or((0, 0), LogSyncer::counts)
    }

    /// Wait until every commit of `store` is on disk.
    fn on_disk(store: &Store) -> bool {
        store
            .log_syncer
            .as_ref()
            .is_none_or(|s| s.wait_until_synced(Duration::from_secs(10)))
    }

    fn synchronous(store: &Store) -> i64 {
        store
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_windows_commits_are_synced_by_the_thread_not_by_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("p.tawsim")).unwrap();
        assert_eq!(synchronous(&store), 2, "a store syncs each commit itself");
        store.annotator_id("amal").unwrap();
        assert_eq!(syncs(&store), (0, 0));

        store.wait_briefly_for_lock();
        assert_eq!(
            synchronous(&store),
            1,
            "the window's commits do not wait for fsync"
        );
        store.annotator_id("badr").unwrap();
        store.annotator_id("dina").unwrap();
        assert!(on_disk(&store));
        let (asked, done) = syncs(&store);
        assert_eq!(asked, 2, "one sync asked per commit");
        assert_eq!(done, 2, "both on disk");
        assert_eq!(store.log_sync_error(), None);

        // Waiting patiently (the window closing) and briefly again keeps one
        // hook: each commit still asks once.
        store.wait_patiently_for_lock();
        store.wait_briefly_for_lock();
        store.annotator_id("hadi").unwrap();
        assert!(on_disk(&store));
        assert_eq!(syncs(&store), (3, 3));
        drop(store);

        let store = Store::open(&dir.path().join("p.tawsim")).unwrap();
        let names: Vec<String> = store
            .annotators()
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        for name in ["amal", "badr", "dina", "hadi"] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
    }

    #[test]
    fn a_log_that_cannot_be_synced_is_reported_and_nobody_waits_forever() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("gone").join("p.tawsim-wal");
        let syncer = LogSyncer::start(wal).unwrap();
        syncer.requests().commit();
        assert!(syncer.wait_until_synced(Duration::from_secs(10)));
        let error = syncer.error().expect("the failed sync is kept");
        assert!(error.contains("p.tawsim-wal"), "{error}");
        assert_eq!(syncer.counts(), (1, 1));
    }

    #[test]
    fn an_in_memory_store_has_no_log_to_sync() {
        let mut store = Store::open_in_memory().unwrap();
        store.wait_briefly_for_lock();
        store.annotator_id("amal").unwrap();
        assert_eq!(syncs(&store), (0, 0));
        assert!(on_disk(&store));
    }
}
