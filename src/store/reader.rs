//! A second, read-only connection on a thread of its own, for the queries a
//! window must not wait for: the document list's counts and pages, search.
//!
//! A [`Reader`] takes jobs of one type `J`, runs each with a function
//! `fn(&Store, J) -> A` on its thread, in the order sent, and hands back the
//! answers through [`Reader::try_recv`] / [`Reader::recv_timeout`]. After each
//! answer it calls the `wake` function it was given (the UI passes one that
//! asks for a repaint), so the caller never polls a channel in a busy loop.
//!
//! SQLite in WAL mode lets the reader's connection read while the app's own
//! connection writes: every action commits at once, and a query started
//! after the commit sees it. The reader never writes (its connection is
//! opened read-only). A project that lives in memory (tests, benchmarks) has
//! no file to open twice: there, and if the second connection cannot be
//! opened or its thread has died, jobs run at once on the caller's store
//! inside [`Reader::send`], and their answers wait in a queue, so callers
//! are written once for both cases.
//!
//! Callers keep few jobs in flight and drop answers they no longer want
//! (see `ui::browser` and `ui::search`); [`Reader::interrupt`] stops the
//! query running now, for a job the caller has given up on.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use super::Store;

/// Runs jobs against the project on a background thread (or inline, see the
/// module documentation).
pub struct Reader<J, A> {
    run: fn(&Store, J) -> A,
    mode: Mode<J, A>,
    /// The thread stopped with jobs unanswered (see [`Reader::take_lost`]).
    lost: bool,
}

enum Mode<J, A> {
    Thread {
        jobs: Sender<J>,
        answers: Receiver<A>,
        interrupt: rusqlite::InterruptHandle,
    },
    Inline {
        answers: VecDeque<A>,
    },
}

impl<J: Send + 'static, A: Send + 'static> Reader<J, A> {
    /// A reader over the project `store` has open. `wake` is called on the
    /// reader's thread after each answer is ready.
    pub fn new(store: &Store, run: fn(&Store, J) -> A, wake: impl Fn() + Send + 'static) -> Self {
        let connection = store.path().map(Store::open_reader);
        let Some(Ok(reader)) = connection else {
            return Self::inline(run);
        };
        let interrupt = reader.conn.get_interrupt_handle();
        let (jobs, job_rx) = mpsc::channel::<J>();
        let (answer_tx, answers) = mpsc::channel::<A>();
        let spawned = std::thread::Builder::new()
            .name("tawsim-reader".into())
            .spawn(move || {
                // Ends when the Reader (the only sender) is dropped.
                for job in job_rx {
                    if answer_tx.send(run(&reader, job)).is_err() {
                        return;
                    }
                    wake();
                }
            });
        match spawned {
            Ok(_) => Self {
                run,
                mode: Mode::Thread {
                    jobs,
                    answers,
                    interrupt,
                },
                lost: false,
            },
            Err(_) => Self::inline(run),
        }
    }

    /// A reader that runs every job at once on the caller's store.
    pub fn inline(run: fn(&Store, J) -> A) -> Self {
        Self {
            run,
            mode: Mode::Inline {
                answers: VecDeque::new(),
            },
            lost: false,
        }
    }

    /// Whether jobs run on a thread of their own.
    pub fn is_threaded(&self) -> bool {
        matches!(self.mode, Mode::Thread { .. })
    }

    /// Queue `job`. Without a thread it runs now, on `store`.
    pub fn send(&mut self, store: &Store, job: J) {
        let job = match &self.mode {
            Mode::Thread { jobs, .. } => match jobs.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(unsent)) => {
                    self.thread_gone();
                    unsent
                }
            },
            Mode::Inline { .. } => job,
        };
        let answer = (self.run)(store, job);
        if let Mode::Inline { answers } = &mut self.mode {
            answers.push_back(answer);
        }
    }

    /// The thread is gone (a job panicked): jobs run on the caller's store
    /// from now on; the answers it sent are kept, the jobs it had not
    /// answered are lost.
    fn thread_gone(&mut self) {
        let kept: VecDeque<A> = match &self.mode {
            Mode::Thread { answers, .. } => answers.try_iter().collect(),
            Mode::Inline { .. } => return,
        };
        self.mode = Mode::Inline { answers: kept };
        self.lost = true;
    }

    /// Whether the thread stopped (a job panicked) since the last call, so
    /// the jobs out with it will never be answered; later jobs run inline.
    pub fn take_lost(&mut self) -> bool {
        std::mem::take(&mut self.lost)
    }

    /// Stop the query running on the reader's thread, if one is: its job
    /// ends with an error for which [`super::StoreError::is_interrupted`]
    /// holds (a job between queries, or none, is not affected). For a job
    /// the caller no longer wants, so the next one starts sooner; jobs
    /// queued behind it run as usual.
    pub fn interrupt(&self) {
        if let Mode::Thread { interrupt, .. } = &self.mode {
            interrupt.interrupt();
        }
    }

    /// The next answer, if one is ready.
    pub fn try_recv(&mut self) -> Option<A> {
        self.recv_timeout(Duration::ZERO)
    }

    /// The next answer, waiting at most `timeout` for it.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<A> {
        let received = match &mut self.mode {
            Mode::Inline { answers } => return answers.pop_front(),
            Mode::Thread { answers, .. } if timeout.is_zero() => answers
                .try_recv()
                .map_err(|e| e == mpsc::TryRecvError::Disconnected),
            Mode::Thread { answers, .. } => answers
                .recv_timeout(timeout)
                .map_err(|e| e == mpsc::RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(answer) => Some(answer),
            Err(gone) => {
                if gone {
                    self.thread_gone();
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::{DocQuery, NewDocument};

    fn add(store: &mut Store, text: &str) {
        let doc = NewDocument {
            title: String::new(),
            text: text.into(),
            source: "test".into(),
            meta: serde_json::json!({}),
        };
        store.import_document(&doc, None).unwrap();
    }

    fn count(store: &Store, query: DocQuery) -> usize {
        store.document_count(&query).unwrap()
    }

    /// The reader's thread sees what the app's connection committed before
    /// the job was sent, and wakes the caller after each answer.
    #[test]
    fn a_threaded_reader_sees_committed_writes_and_wakes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("p.tawsim")).unwrap();
        add(&mut store, "نص أول");
        let woken = Arc::new(AtomicUsize::new(0));
        let counter = woken.clone();
        let mut reader = Reader::new(&store, count, move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert!(reader.is_threaded());
        reader.send(&store, DocQuery::default());
        assert_eq!(reader.recv_timeout(Duration::from_secs(10)), Some(1));
        add(&mut store, "نص ثان");
        reader.send(&store, DocQuery::default());
        assert_eq!(reader.recv_timeout(Duration::from_secs(10)), Some(2));
        assert_eq!(reader.try_recv(), None);
        // `wake` runs just after the answer is handed over.
        let waited = std::time::Instant::now();
        while woken.load(Ordering::SeqCst) < 2 && waited.elapsed() < Duration::from_secs(10) {
            std::thread::yield_now();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 2);
    }

    /// The reader's connection is read-only: a job that tries to write fails
    /// and the project is unchanged.
    #[test]
    fn the_reader_cannot_write() {
        fn write(store: &Store, (): ()) -> bool {
            store.conn.execute("DELETE FROM documents", []).is_ok()
        }
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("p.tawsim")).unwrap();
        add(&mut store, "نص");
        let mut reader = Reader::new(&store, write, || {});
        reader.send(&store, ());
        assert_eq!(reader.recv_timeout(Duration::from_secs(10)), Some(false));
        assert_eq!(count(&store, DocQuery::default()), 1);
    }

    /// `interrupt` stops the query running now; the job after it runs.
    #[test]
    fn interrupt_stops_the_running_query_only() {
        use crate::store::{During, StoreError};
        static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        /// `true`: a query that never ends by itself; `false`: a short one.
        fn job(store: &Store, endless: bool) -> Result<i64, StoreError> {
            let sql = if endless {
                STARTED.store(true, Ordering::SeqCst);
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                 SELECT count(*) FROM c"
            } else {
                "SELECT count(*) FROM documents"
            };
            store
                .conn
                .query_row(sql, [], |row| row.get(0))
                .during("count")
        }
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("p.tawsim")).unwrap();
        add(&mut store, "نص");
        let mut reader = Reader::new(&store, job, || {});
        reader.send(&store, true);
        reader.send(&store, false);
        while !STARTED.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_millis(20));
        reader.interrupt();
        let stopped = reader.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(stopped.is_err_and(|e| e.is_interrupted()));
        let next = reader.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(next.unwrap(), 1);
    }

    /// A job that panics ends the thread: the caller learns its jobs are
    /// lost, and later jobs run on the caller's store.
    #[test]
    fn a_panicking_job_is_reported_lost_and_later_jobs_run_inline() {
        fn job(store: &Store, panic: bool) -> usize {
            assert!(!panic, "a job that fails its own check");
            count(store, DocQuery::default())
        }
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("p.tawsim")).unwrap();
        add(&mut store, "نص");
        let mut reader = Reader::new(&store, job, || {});
        reader.send(&store, true);
        assert_eq!(reader.recv_timeout(Duration::from_secs(10)), None);
        assert!(reader.take_lost());
        assert!(!reader.take_lost());
        assert!(!reader.is_threaded());
        reader.send(&store, false);
        assert_eq!(reader.try_recv(), Some(1));
    }

    /// A project in memory has no second connection: jobs run in `send`.
    #[test]
    fn an_in_memory_project_runs_jobs_inline() {
        let mut store = Store::open_in_memory().unwrap();
        add(&mut store, "نص");
        let mut reader = Reader::new(&store, count, || {});
        assert!(!reader.is_threaded());
        reader.send(&store, DocQuery::default());
        add(&mut store, "نص آخر");
        reader.send(&store, DocQuery::default());
        assert_eq!(reader.try_recv(), Some(1));
        assert_eq!(reader.recv_timeout(Duration::ZERO), Some(2));
        assert_eq!(reader.try_recv(), None);
    }
}
