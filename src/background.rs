//! Background work yields to the person at the window.
//!
//! An import, a merge, a sync or the search indexer writing into a project
//! competes with the window for the two things a frame needs at once: a CPU
//! and the disk. On a 2-core laptop an import's reader and writer threads
//! keep both cores busy, and the kernel then delays the window's thread by
//! whole milliseconds, or holds its write back behind the import's dirty
//! pages. [`yield_to_the_window`] lowers the calling thread's CPU priority
//! (nice 5) and disk priority (best effort, lowest level): when the window
//! wants to run, it runs first; when nothing else does, the background work
//! gets the whole machine as before. Threads started afterwards by the same
//! thread inherit both.
//!
//! Callers: the command-line `import`, `merge`, `join`, `suggest`, `sync` and `link`
//! (before any work) and, in the app, the threads of File ▸ Import…, the
//! search indexer, the team sync and the merge. Only Linux has per-thread
//! priorities of both kinds; elsewhere this does nothing.

/// The nice value background threads run at (0 is normal, 19 the lowest).
pub const BACKGROUND_NICE: i32 = 5;

/// Lower this thread's CPU and disk priority (see the module
/// documentation). Failing to is harmless (the work runs at normal
/// priority), so nothing is returned.
pub fn yield_to_the_window() {
    #[cfg(target_os = "linux")]
    linux::lower_this_thread();
}

/// This thread's nice value, or `None` where it cannot be read.
pub fn this_threads_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        linux::nice()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::BACKGROUND_NICE;

    /// `ioprio_set(2)` constants (include/uapi/linux/ioprio.h).
    const IOPRIO_WHO_PROCESS: libc::c_long = 1;
    const IOPRIO_CLASS_BE: libc::c_long = 2;
    const IOPRIO_CLASS_SHIFT: libc::c_long = 13;
    /// The lowest level of the best-effort class.
    const IOPRIO_BE_LOWEST: libc::c_long = 7;

    fn tid() -> libc::id_t {
        // SAFETY: gettid has no preconditions and cannot fail.
        let tid = unsafe { libc::gettid() };
        libc::id_t::try_from(tid).unwrap_or(0)
    }

    pub(super) fn lower_this_thread() {
        let tid = tid();
        if tid == 0 {
            return;
        }
        // On Linux, PRIO_PROCESS with a thread id sets that thread's nice
        // value only (setpriority(2), "BUGS"); a higher value is always
        // allowed. Never raise a value that is already lower priority.
        if nice().is_some_and(|now| now < BACKGROUND_NICE) {
            // SAFETY: plain system call on this thread's id.
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, tid, BACKGROUND_NICE);
            }
        }
        // SAFETY: plain system call; an unknown class or a refusal only
        // returns an error, which leaves the priority as it was.
        unsafe {
            libc::syscall(
                libc::SYS_ioprio_set,
                IOPRIO_WHO_PROCESS,
                libc::c_long::from(tid),
                (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | IOPRIO_BE_LOWEST,
            );
        }
    }

    pub(super) fn nice() -> Option<i32> {
        let tid = tid();
        // getpriority may return -1 as a value: clear errno first.
        // SAFETY: errno is thread-local; plain system call.
        unsafe {
            *libc::__errno_location() = 0;
            let value = libc::getpriority(libc::PRIO_PROCESS, tid);
            (*libc::__errno_location() == 0).then_some(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_background_thread_runs_at_lower_priority_and_the_window_does_not() {
        fn io_priority() -> libc::c_long {
            // SAFETY: plain system call: ioprio_get(IOPRIO_WHO_PROCESS, this thread).
            unsafe { libc::syscall(libc::SYS_ioprio_get, 1 as libc::c_long, 0 as libc::c_long) }
        }
        let before = this_threads_nice().unwrap();
        let io_before = io_priority();
        let (background, child, io) = std::thread::spawn(|| {
            yield_to_the_window();
            let own = this_threads_nice();
            // Threads it starts inherit the lower priority.
            let child = std::thread::spawn(this_threads_nice).join().unwrap();
            (own, child, io_priority())
        })
        .join()
        .unwrap();
        let expected = before.max(BACKGROUND_NICE);
        assert_eq!(background, Some(expected));
        assert_eq!(child, Some(expected));
        assert_eq!(io, (2 << 13) | 7, "best effort, lowest level");
        assert_eq!(
            this_threads_nice(),
            Some(before),
            "the calling thread is untouched"
        );
        assert_eq!(io_priority(), io_before);
    }
}
