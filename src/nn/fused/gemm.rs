//! A thin, strided view over row-major `f32` matrices and the sgemm call on top of it.
//!
//! The fused ops address sub-blocks of their packed buffers (one step's rows, one thread's
//! interleaved rows, transposed views of weights), so the views carry explicit strides.

use gemm::Parallelism;

/// A strided matrix view: element `(r, c)` lives at `ptr + r * rs + c * cs`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatView<P> {
    pub ptr: P,
    pub rows: usize,
    pub cols: usize,
    pub rs: isize,
    pub cs: isize,
}

/// A read-only strided matrix view.
pub(crate) type MatRef = MatView<*const f32>;
/// A mutable strided matrix view.
pub(crate) type MatMut = MatView<*mut f32>;

impl<P> MatView<P> {
    /// A contiguous row-major `rows × cols` matrix starting at element `offset` of a buffer
    /// of `len` elements; `ptr` gives the address of element `offset` once it is in bounds.
    fn row_major(
        len: usize,
        offset: usize,
        rows: usize,
        cols: usize,
        ptr: impl FnOnce() -> P,
    ) -> Self {
        assert!(offset + rows * cols <= len, "matrix view out of bounds");
        Self {
            ptr: ptr(),
            rows,
            cols,
            rs: cols as isize,
            cs: 1,
        }
    }
}

impl MatRef {
    /// A contiguous row-major `rows × cols` matrix starting at `data[offset]`.
    pub fn rows_of(data: &[f32], offset: usize, rows: usize, cols: usize) -> Self {
        Self::row_major(data.len(), offset, rows, cols, || data[offset..].as_ptr())
    }

    /// The transpose of this view (no data moves).
    pub fn t(self) -> Self {
        Self {
            ptr: self.ptr,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

impl MatMut {
    /// A contiguous row-major `rows × cols` matrix starting at `data[offset]`.
    pub fn rows_of(data: &mut [f32], offset: usize, rows: usize, cols: usize) -> Self {
        let len = data.len();
        Self::row_major(len, offset, rows, cols, || data[offset..].as_mut_ptr())
    }
}

/// `dst = lhs · rhs` (or `dst += lhs · rhs` when `accumulate`).
///
/// # Safety
/// Every view must point to memory valid for all of its elements, `dst` must not overlap the
/// inputs, and no other thread may touch `dst`'s elements during the call.
pub(crate) unsafe fn matmul(
    dst: MatMut,
    lhs: MatRef,
    rhs: MatRef,
    accumulate: bool,
    threads: usize,
) {
    assert_eq!(lhs.cols, rhs.rows, "inner dimensions differ");
    assert_eq!(
        (dst.rows, dst.cols),
        (lhs.rows, rhs.cols),
        "output shape differs"
    );
    if dst.rows == 0 || dst.cols == 0 {
        return;
    }
    if lhs.cols == 0 {
        if !accumulate {
            for r in 0..dst.rows {
                for c in 0..dst.cols {
                    // SAFETY: in bounds of `dst` by the caller's contract.
                    unsafe { *dst.ptr.offset(r as isize * dst.rs + c as isize * dst.cs) = 0.0 };
                }
            }
        }
        return;
    }
    let parallelism = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    // SAFETY: forwarded from the caller's contract; gemm computes dst = 1·dst + 1·lhs·rhs when
    // `read_dst`, else dst = lhs·rhs.
    unsafe {
        gemm::gemm(
            dst.rows,
            dst.cols,
            lhs.cols,
            dst.ptr,
            dst.cs,
            dst.rs,
            accumulate,
            lhs.ptr,
            lhs.cs,
            lhs.rs,
            rhs.ptr,
            rhs.cs,
            rhs.rs,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    }
}

/// A raw pointer that may be shared between the threads of one fused op; each thread writes
/// only its own rows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SharedMut(pub *mut f32);
// SAFETY: the fused ops partition the pointed-to rows between threads (see their docs).
unsafe impl Send for SharedMut {}
// SAFETY: as above.
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// The `len` elements starting at `offset`.
    ///
    /// # Safety
    /// The range must be in bounds and not aliased by any other live reference.
    // Allowed: a raw pointer shared between threads that each write disjoint ranges; the
    // `&self` → `&mut` step is the point, and the contract above is what keeps it sound.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice(&self, offset: usize, len: usize) -> &mut [f32] {
        // SAFETY: forwarded from the caller.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(offset), len) }
    }
}

// SAFETY: views are plain pointers; the ops that share them across threads write disjoint rows.
unsafe impl Send for MatRef {}
// SAFETY: as above.
unsafe impl Sync for MatRef {}
// SAFETY: as above.
unsafe impl Send for MatMut {}
// SAFETY: as above.
unsafe impl Sync for MatMut {}
