//! Configures the CPU and the process for numeric work, once, before any of it runs.
//!
//! - [`flush`]: subnormal floats are flushed to zero on every thread that computes (they are
//!   10–100× slower on many cores and too small to change a model's output).
//! - [`allocator`]: freed large buffers stay in the process for the next training step instead
//!   of going back to the kernel and faulting in again.
//!
//! [`configure`] sets the calling thread and, once per process, every thread of rayon's global
//! pool, which runs both dfdx's matmuls (through `gemm`) and our fused kernels, and tunes the
//! allocator. The binaries call it first thing; the trainer and evaluation call it too, so tests
//! get it on their own threads.

pub mod allocator;
mod flush;

use std::sync::Once;

pub use flush::{flush_subnormals_on_this_thread, subnormals_flushed_on_this_thread};

/// Flushes subnormal floats on this thread and on every thread of rayon's global pool, and
/// keeps freed large buffers in the process.
///
/// Cheap after the first call on a thread; safe to call from anywhere, any number of times.
pub fn configure() {
    static PROCESS: Once = Once::new();
    flush_subnormals_on_this_thread();
    PROCESS.call_once(|| {
        allocator::keep_freed_memory();
        rayon::broadcast(|_| flush_subnormals_on_this_thread());
    });
}

/// Builds rayon's global pool with `threads` threads (0: one per core), each flushing
/// subnormals from its start, then configures this thread. For binaries that size the pool.
pub fn configure_with_threads(threads: usize) -> Result<(), rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .start_handler(|_| flush_subnormals_on_this_thread())
        .build_global()?;
    configure();
    Ok(())
}
