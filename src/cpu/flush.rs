//! Flushes subnormal floats to zero on the threads that compute.
//!
//! Backprop through time multiplies many small gradients, and saturated gates give values far
//! below `f32::MIN_POSITIVE` (about 1.2e-38). Arithmetic on such subnormal numbers is 10–100×
//! slower on many Intel cores, which made one training step take up to 9× its best time. Values
//! that small cannot change a sentiment model's output, so every thread that computes flushes them:
//! flush-to-zero (results) and denormals-are-zero (inputs) on x86-64 (the MXCSR register), and
//! flush-to-zero on aarch64 (FPCR.FZ). Elsewhere setting the mode is a documented no-op.

use std::cell::Cell;

/// Whether subnormal results are flushed to zero on the calling thread.
pub fn subnormals_flushed_on_this_thread() -> bool {
    // A product of two normal numbers whose exact value is subnormal: 2^-100 · 2^-40 = 2^-140.
    let tiny = std::hint::black_box(f32::from_bits(0x0d80_0000)); // 2^-100
    let small = std::hint::black_box(f32::from_bits(0x2b80_0000)); // 2^-40
    std::hint::black_box(tiny * small) == 0.0
}

thread_local! {
    static FLUSHED: Cell<bool> = const { Cell::new(false) };
}

/// Sets the flush modes on the calling thread (once per thread).
pub fn flush_subnormals_on_this_thread() {
    FLUSHED.with(|done| {
        if !done.get() {
            set_flush_mode();
            done.set(true);
        }
    });
}

#[cfg(target_arch = "x86_64")]
fn set_flush_mode() {
    // MXCSR bit 15: flush to zero; bit 6: denormals are zero.
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr/ldmxcsr read and write this thread's SSE control register; only the two
    // flush bits change, every other mode (rounding, exception masks) is kept.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
        csr |= FTZ_DAZ;
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack));
    }
}

#[cfg(target_arch = "aarch64")]
fn set_flush_mode() {
    // FPCR bit 24 (FZ): flush subnormal inputs and results to zero.
    // SAFETY: reads and writes this thread's floating-point control register; only FZ changes.
    unsafe {
        let mut fpcr: u64;
        std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack));
        fpcr |= 1 << 24;
        std::arch::asm!("msr fpcr, {}", in(reg) fpcr, options(nomem, nostack));
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn set_flush_mode() {
    // No portable way to set flush modes on this architecture: subnormals stay (slower, same results).
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::configure;

    /// Clears the flush bits again, so the probe can be seen to read `false`.
    #[cfg(target_arch = "x86_64")]
    fn keep_subnormals_on_this_thread() {
        let mut csr: u32 = 0;
        // SAFETY: as in `set_flush_mode`, only the two flush bits change.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
            csr &= !((1 << 15) | (1 << 6));
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack));
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn probe_tells_flushed_from_kept() {
        std::thread::spawn(|| {
            keep_subnormals_on_this_thread();
            assert!(!subnormals_flushed_on_this_thread());
            set_flush_mode();
            assert!(subnormals_flushed_on_this_thread());
        })
        .join()
        .unwrap();
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn configure_flushes_this_thread_and_every_pool_thread() {
        configure();
        assert!(subnormals_flushed_on_this_thread());
        let per_thread = rayon::broadcast(|_| subnormals_flushed_on_this_thread());
        assert_eq!(per_thread.len(), rayon::current_num_threads());
        assert!(per_thread.iter().all(|&flushed| flushed), "{per_thread:?}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn subnormal_inputs_read_as_zero_after_configure() {
        let result = std::thread::spawn(|| {
            configure();
            // Denormals-are-zero: a subnormal input reads as 0 (2^-149 · 2^100 = 2^-49 otherwise).
            let sub = std::hint::black_box(f32::from_bits(0x0000_0001));
            let big = std::hint::black_box(2f32.powi(100));
            sub * big
        })
        .join()
        .unwrap();
        assert_eq!(result, 0.0);
    }
}
