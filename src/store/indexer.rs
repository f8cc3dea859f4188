//! The search index, caught up in the background: a thread of its own, with
//! its own connection to the project, that indexes queued documents (see
//! `store::search`) in short transactions while the annotator works.
//!
//! An [`Indexer`] runs [`Store::index_queued`] until nothing visible is
//! queued, then sleeps until [`Indexer::nudge`] is called (after an import in
//! the window) or [`POLL`] has passed (an import from the command line, or
//! one stopped while indexing). It calls its `wake` function after each
//! batch, so a window showing "indexing: N % of documents searchable" can
//! redraw. Each transaction holds the write lock for about
//! [`super::search::INDEX_TX_BUDGET`], so the window's own writes never
//! wait long. A project in memory has no file for a second connection: the
//! owner calls [`Indexer::run_inline`] instead, which indexes a batch on the
//! caller's store. When idle it also copies the write-ahead log into the
//! project file ([`Store::checkpoint`]), which the window's connection
//! leaves to others. Errors are kept for [`Indexer::take_error`]; after one the
//! thread waits for the next nudge or poll and tries again. Dropping the
//! Indexer stops its thread after the batch it is writing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Store, StoreError};

/// How often an idle indexer looks for documents another program queued.
pub const POLL: Duration = Duration::from_secs(2);
/// Documents per [`Store::index_queued`] call on the thread (it splits them
/// into short transactions itself).
const BATCH: usize = 512;

/// The background indexer of one project.
pub struct Indexer {
    nudge: Option<Sender<()>>,
    error: Arc<Mutex<Option<String>>>,
    /// Documents indexed by the thread since it started.
    indexed: Arc<AtomicUsize>,
}

impl Indexer {
    /// Start indexing the project `store` has open, on a new connection and
    /// thread; `wake` is called after each batch. For a project in memory
    /// no thread is started (see [`Indexer::run_inline`]).
    pub fn new(store: &Store, wake: impl Fn() + Send + 'static) -> Self {
        let error = Arc::new(Mutex::new(None));
        let indexed = Arc::new(AtomicUsize::new(0));
        let Some(path) = store.path().map(std::path::Path::to_path_buf) else {
            return Self {
                nudge: None,
                error,
                indexed,
            };
        };
        let (nudge, nudges) = mpsc::channel::<()>();
        let kept = error.clone();
        let counted = indexed.clone();
        let spawned = std::thread::Builder::new()
            .name("tawsim-indexer".into())
            .spawn(move || {
                crate::background::yield_to_the_window();
                let mut store: Option<Store> = None;
                loop {
                    let outcome = (|| -> Result<usize, StoreError> {
                        if store.is_none() {
                            store = Some(Store::open(&path)?);
                        }
                        match store.as_mut() {
                            Some(store) => store.index_queued(BATCH),
                            None => Ok(0),
                        }
                    })();
                    let indexed = match outcome {
                        Ok(n) => n,
                        Err(error) => {
                            if let Ok(mut slot) = kept.lock() {
                                *slot = Some(format!(
                                    "search indexing stopped: {:#}",
                                    anyhow::Error::from(error)
                                ));
                            }
                            0
                        }
                    };
                    if indexed > 0 {
                        counted.fetch_add(indexed, Ordering::Relaxed);
                        wake();
                        continue;
                    }
                    // The window's connection leaves checkpoints to others.
                    if let Some(store) = &store {
                        let _ = store.checkpoint();
                    }
                    match nudges.recv_timeout(POLL) {
                        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
        match spawned {
            Ok(_) => Self {
                nudge: Some(nudge),
                error,
                indexed,
            },
            Err(e) => {
                if let Ok(mut slot) = error.lock() {
                    *slot = Some(format!("cannot start search indexing: {e}"));
                }
                Self {
                    nudge: None,
                    error,
                    indexed,
                }
            }
        }
    }

    /// Look for queued documents now rather than at the next poll.
    pub fn nudge(&self) {
        if let Some(nudge) = &self.nudge {
            // The thread ends only when this sender is dropped.
            let _ = nudge.send(());
        }
    }

    /// Whether indexing runs on a thread of its own.
    pub fn is_threaded(&self) -> bool {
        self.nudge.is_some()
    }

    /// For a project in memory: index one batch on `store`, returning how
    /// many documents were indexed.
    pub fn run_inline(&self, store: &mut Store) -> Result<usize, StoreError> {
        let n = store.index_queued(BATCH)?;
        self.indexed.fetch_add(n, Ordering::Relaxed);
        Ok(n)
    }

    /// Documents indexed since the indexer started. It indexes documents
    /// once their import has committed, so a change tells the window that
    /// documents appeared (an import from the command line, say).
    pub fn indexed(&self) -> usize {
        self.indexed.load(Ordering::Relaxed)
    }

    /// The last error of the thread, once.
    pub fn take_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|mut slot| slot.take())
    }
}
