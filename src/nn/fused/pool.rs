//! A small pool of large `f32` buffers reused across calls.
//!
//! The fused ops need several (B·T × G·H) buffers per step; fresh allocations of that size
//! are mmap-backed, so every step would pay page faults and kernel zeroing for ~100 MB.

use std::sync::Mutex;

use dfdx::prelude::*;

/// Buffers smaller than this are left to the allocator.
const MIN_POOLED: usize = 1 << 16;
/// At most this many idle buffers are kept.
const MAX_IDLE: usize = 24;

static IDLE: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// A buffer of `len` elements with unspecified (but initialized) contents.
pub(crate) fn take(len: usize) -> Vec<f32> {
    if len >= MIN_POOLED {
        let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
        let best = (0..idle.len())
            // Not much larger: a big buffer handed out for a small request may leave the pool
            // for good (outputs become dfdx tensors), and the next big request would fault in
            // fresh pages.
            .filter(|&i| (len..=2 * len).contains(&idle[i].capacity()))
            .min_by_key(|&i| idle[i].capacity());
        if let Some(i) = best {
            let mut v = idle.swap_remove(i);
            v.resize(len, 0.0);
            v.truncate(len);
            return v;
        }
    }
    vec![0.0; len]
}

/// Returns a buffer to the pool.
pub(crate) fn give(v: Vec<f32>) {
    if v.capacity() >= MIN_POOLED {
        let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(v);
        }
    }
}

/// An op's `(B, T, E)` input taken apart for the fused forward.
pub(crate) struct Input<T> {
    pub dev: Cpu,
    /// The values, in a pooled buffer (see [`input_buffer`]).
    pub values: Vec<f32>,
    /// The input without its tape (its ghost finds the input's gradient).
    pub untaped: Tensor<(usize, usize, usize), f32, Cpu>,
    /// The tape that rode on the input; the op's output carries it on.
    pub tape: T,
}

/// Splits `x` into its device, values, untaped tensor and tape.
pub(crate) fn split_input<T: Tape<f32, Cpu>>(
    x: Tensor<(usize, usize, usize), f32, Cpu, T>,
) -> Input<T> {
    let dev = x.device().clone();
    let (x, tape) = x.contiguous().split_tape();
    Input {
        dev,
        values: input_buffer(&x),
        untaped: x,
        tape,
    }
}

/// The input's values in a pooled buffer (dfdx exposes no borrowed view of a tensor's data).
/// `x` must be contiguous (the ops call `contiguous()` first, a no-op for ordinary tensors).
pub(crate) fn input_buffer<T>(x: &Tensor<(usize, usize, usize), f32, Cpu, T>) -> Vec<f32> {
    let (b, t, e) = *x.shape();
    let mut buf = take(b * t * e);
    x.copy_into(&mut buf);
    buf
}
