//! The window asks a running import for the write lock, so the import can
//! write in longer transactions without making the window wait.
//!
//! SQLite gives its write lock to whoever asks first once it is free, and
//! tells no writer that another one is waiting. Without a word from the
//! window, an import can only keep its transactions shorter than the
//! window's brief wait ([`super::Store::wait_briefly_for_lock`], 7 ms) and
//! pause between them. With one, it can go on while nobody waits and stop
//! at once when somebody does.
//!
//! # Protocol
//!
//! The word is an advisory lock on a file beside the project, `P-want` for
//! project `P` (created empty when missing, never written; like `P-wal` it
//! may be deleted whenever no tawsim has the project open):
//!
//! 1. The window, before it asks SQLite for the write lock (`BEGIN
//!    IMMEDIATE`, [`super::Store`]'s `begin`), takes a *shared* lock on
//!    `P-want` without waiting (trying again for up to a millisecond while
//!    an import's look holds it exclusively), and releases it as soon as
//!    `BEGIN` returns, whether it got the lock or not.
//! 2. An import ([`super::Store::import_batch`]), every
//!    [`LOOK_EVERY`] records of a transaction, tries an *exclusive* lock on
//!    `P-want` without waiting and releases it at once. If that fails,
//!    somebody is waiting: the import commits what it has, then looks again
//!    every quarter millisecond until the lock is free (the window got the
//!    write lock and let go of `P-want`) or [`HOLD_BACK`] has passed, and
//!    goes on. Otherwise a transaction ends after
//!    [`super::import::IMPORT_TX_LONGEST`].
//!
//! Locks are `flock`-style (`File::try_lock`): between processes and
//! between connections of one process alike, and released by the system
//! when a process ends. Where they do not work (some network file
//! systems), nothing is announced and nothing is seen: the import's
//! transactions still end after [`super::import::IMPORT_TX_LONGEST`], with
//! a pause after each, and the window waits and retries as it did before
//! (its action shown as pending; no frame waits longer).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// Records an import writes between two looks at `P-want`.
pub const LOOK_EVERY: usize = 4;
/// How long an import holds back, at most, after it saw somebody waiting.
pub const HOLD_BACK: Duration = Duration::from_millis(20);
/// How long the window tries to announce while an import looks (which
/// takes microseconds).
const ANNOUNCE_FOR: Duration = Duration::from_millis(1);
/// How often a holding-back import looks whether the waiter got in.
const LOOK_AGAIN: Duration = Duration::from_micros(250);

/// `P-want`, open.
#[derive(Debug)]
pub struct WantFile(File);

impl WantFile {
    /// Open (or create) the file beside `project`.
    pub fn open(project: &Path) -> std::io::Result<WantFile> {
        let mut name = project.as_os_str().to_owned();
        name.push("-want");
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(name)
            .map(WantFile)
    }

    /// The window: say it is about to wait for the write lock. `false` when
    /// it could not say so (the file system has no locks); then nothing is
    /// to be withdrawn. An import's look holds the exclusive lock for a
    /// moment: the window tries again for up to [`ANNOUNCE_FOR`].
    pub fn announce(&self) -> bool {
        let started = Instant::now();
        loop {
            match self.0.try_lock_shared() {
                Ok(()) => return true,
                Err(TryLockError::WouldBlock) if started.elapsed() < ANNOUNCE_FOR => {
                    std::thread::yield_now();
                }
                Err(_) => return false,
            }
        }
    }

    /// The window: it got the write lock, or gave up waiting.
    pub fn withdraw(&self) {
        let _ = self.0.unlock();
    }

    /// The import: is somebody waiting for the write lock?
    pub fn someone_waits(&self) -> bool {
        match self.0.try_lock() {
            Ok(()) => {
                let _ = self.0.unlock();
                false
            }
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Error(_)) => false,
        }
    }

    /// The import, after committing for a waiter: wait until the waiter got
    /// in (it withdrew) or [`HOLD_BACK`] passed.
    pub fn hold_back(&self) {
        let started = Instant::now();
        while self.someone_waits() && started.elapsed() < HOLD_BACK {
            std::thread::sleep(LOOK_AGAIN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_sees_a_waiting_window_until_it_withdraws() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p.tawsim");
        let window = WantFile::open(&project).unwrap();
        let import = WantFile::open(&project).unwrap();
        assert!(dir.path().join("p.tawsim-want").exists());
        assert!(!import.someone_waits());
        assert!(window.announce());
        assert!(import.someone_waits());
        // Holding back ends when the window withdraws, not after HOLD_BACK.
        let started = Instant::now();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(5));
                window.withdraw();
            });
            import.hold_back();
        });
        assert!(!import.someone_waits());
        assert!(started.elapsed() >= Duration::from_millis(5));
        // Nobody waits: holding back returns at once.
        let started = Instant::now();
        import.hold_back();
        assert!(started.elapsed() < HOLD_BACK);
        // A window that never withdraws holds an import back HOLD_BACK at most.
        assert!(window.announce());
        let started = Instant::now();
        import.hold_back();
        assert!(started.elapsed() >= HOLD_BACK);
        window.withdraw();
    }
}
