//! The example servers' allocator settings: jemalloc, tuned so that the memory of closed
//! connections goes back to the system within seconds (BENCHMARKS.md has the measurements).
//!
//! Three things keep freed memory in a jemalloc process after a burst of connections closes:
//! - dirty pages, which the background threads purge only after `dirty_decay_ms` (10 s by
//!   default), and then only to "muzzy" (still counted in RSS) unless `muzzy_decay_ms` is 0;
//! - each thread's cache of freed blocks (the tcache), which is trimmed only as the thread
//!   allocates again: an idle worker keeps it, and it keeps whole pages in use;
//! - what the program itself keeps (collections' capacity).
//!
//! [`configure`] sets a 1 s dirty decay and no muzzy stage; [`runtime`] builds the tokio
//! runtime with a hook that empties a worker's cache when it goes idle after freeing much.
//! Both are no-ops in effect when jemalloc is not the global allocator of the binary (the
//! `jemalloc` feature is off, or on MSVC): the settings are then simply refused.

/// How many bytes a worker frees before its idle hook empties its thread cache: small
/// enough that an idle server keeps little, large enough that a busy one seldom pays.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
const FLUSH_AFTER_FREED: u64 = 4 * 1024 * 1024;

/// The dirty-page decay the example servers use, in milliseconds (jemalloc's default: 10 s).
pub const DIRTY_DECAY_MS: isize = 1000;

/// Sets jemalloc's decay: dirty pages purged after [`DIRTY_DECAY_MS`], straight back to the
/// system (no muzzy stage), for the arenas that exist and those made later. Call it first
/// thing in `main`.
pub fn configure() {
    #[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
    jemalloc::configure();
}

/// A multi-thread tokio runtime whose workers hand their cached free memory back to
/// jemalloc when they park after freeing 4 MiB or more since they last did.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    #[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
    builder.on_thread_park(jemalloc::on_park);
    builder.build()
}

#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
mod jemalloc {
    use std::cell::Cell;

    use tikv_jemalloc_ctl::thread::{ThreadLocal, deallocatedp};
    use tikv_jemalloc_ctl::{Access, AsName};

    use super::{DIRTY_DECAY_MS, FLUSH_AFTER_FREED};

    pub(super) fn configure() {
        // Every setting is best effort: an allocator that refuses one only keeps more.
        let _ = b"arenas.dirty_decay_ms\0".name().write(DIRTY_DECAY_MS);
        let _ = b"arenas.muzzy_decay_ms\0".name().write(0isize);
        let arenas = tikv_jemalloc_ctl::arenas::narenas::read().unwrap_or(0);
        for i in 0..arenas {
            // Arenas not made yet refuse; they take the defaults above when made.
            let _ = format!("arena.{i}.dirty_decay_ms\0")
                .name()
                .write(DIRTY_DECAY_MS);
            let _ = format!("arena.{i}.muzzy_decay_ms\0").name().write(0isize);
        }
    }

    thread_local! {
        /// The thread's deallocated-bytes counter, and its value at the last flush.
        static FREED: Cell<Option<(ThreadLocal<u64>, u64)>> = const { Cell::new(None) };
    }

    pub(super) fn on_park() {
        FREED.with(|state| {
            let (counter, mut flushed_at) = match state.get() {
                Some(s) => s,
                None => match deallocatedp::read() {
                    Ok(counter) => (counter, counter.get()),
                    Err(_) => return,
                },
            };
            if counter.get().saturating_sub(flushed_at) >= FLUSH_AFTER_FREED {
                // Turning the thread cache off returns every block it holds to the arena;
                // turning it on again starts an empty one.
                let enabled = b"thread.tcache.enabled\0".name();
                let _ = enabled.write(false);
                let _ = enabled.write(true);
                flushed_at = counter.get();
            }
            state.set(Some((counter, flushed_at)));
        });
    }
}
