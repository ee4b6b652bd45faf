//! A register-blocked AVX2/FMA kernel for the per-step recurrent matmuls.
//!
//! Each step multiplies a few dozen rows by the same recurrent weight matrix. A general sgemm
//! re-packs that weight matrix on every call, which costs about as much memory traffic as the
//! product itself at this size; this kernel reads the weights in place (row-major), strip by
//! strip, keeping 6×16 accumulators in registers. Other CPUs and shapes fall back to `gemm`.

use super::gemm::{MatMut, MatRef, matmul};

/// `c = a · b` for contiguous row-major `a` `(m, k)`, `b` `(k, n)`, `c` `(m, n)`.
pub(crate) fn matmul_rows(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    matmul_strided(c, a, k, b, m, k, n);
}

/// [`matmul_rows`] where row `i` of `a` starts at `a[i · lda]` (rows may overlap, as the
/// sliding windows of a convolution do).
pub(crate) fn matmul_strided(
    c: &mut [f32],
    a: &[f32],
    lda: usize,
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        a.len() >= (m - 1) * lda + k && b.len() >= k * n && c.len() >= m * n,
        "matmul_strided: buffers too small"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if n.is_multiple_of(16)
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA (checked) and the buffers are large enough.
            unsafe { avx2::matmul(c.as_mut_ptr(), a.as_ptr(), lda, b.as_ptr(), m, k, n) };
            return;
        }
    }
    // SAFETY: views in bounds (checked by `rows_of`); `c` does not alias the inputs.
    unsafe {
        matmul(
            MatMut::rows_of(c, 0, m, n),
            MatRef {
                ptr: a.as_ptr(),
                rows: m,
                cols: k,
                rs: lda as isize,
                cs: 1,
            },
            MatRef::rows_of(b, 0, k, n),
            false,
            1,
        )
    };
}

/// The transpose `(cols, rows)` of a row-major `(rows, cols)` matrix.
pub(crate) fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = m[r * cols + c];
        }
    }
    t
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Rows per register block.
    const MR: usize = 6;

    /// # Safety
    /// AVX2+FMA available; `n % 16 == 0`; the pointers cover `(m,k)`, `(k,n)`, `(m,n)`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn matmul(
        c: *mut f32,
        a: *const f32,
        lda: usize,
        b: *const f32,
        m: usize,
        k: usize,
        n: usize,
    ) {
        for j0 in (0..n).step_by(16) {
            let mut i0 = 0;
            while i0 + MR <= m {
                // SAFETY: forwarded from the caller.
                unsafe { block::<MR>(c, a, lda, b, [i0, j0, k, n]) };
                i0 += MR;
            }
            // SAFETY: as above, for the remaining rows.
            unsafe {
                match m - i0 {
                    0 => {}
                    1 => block::<1>(c, a, lda, b, [i0, j0, k, n]),
                    2 => block::<2>(c, a, lda, b, [i0, j0, k, n]),
                    3 => block::<3>(c, a, lda, b, [i0, j0, k, n]),
                    4 => block::<4>(c, a, lda, b, [i0, j0, k, n]),
                    _ => block::<5>(c, a, lda, b, [i0, j0, k, n]),
                }
            }
        }
    }

    /// Rows `i0 .. i0 + R`, columns `j0 .. j0 + 16` of `c`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn block<const R: usize>(
        c: *mut f32,
        a: *const f32,
        lda: usize,
        b: *const f32,
        dims: [usize; 4],
    ) {
        let [i0, j0, k, n] = dims;
        // SAFETY: all offsets stay inside the caller-guaranteed extents.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            let mut bp = b.add(j0);
            for kk in 0..k {
                let b0 = _mm256_loadu_ps(bp);
                let b1 = _mm256_loadu_ps(bp.add(8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*a.add((i0 + r) * lda + kk));
                    acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
                }
                bp = bp.add(n);
            }
            for (r, acc) in acc.iter().enumerate() {
                let cp = c.add((i0 + r) * n + j0);
                _mm256_storeu_ps(cp, acc[0]);
                _mm256_storeu_ps(cp.add(8), acc[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_rows_match_a_naive_product() {
        let (m, k, n, lda) = (9, 12, 32, 4);
        let a: Vec<f32> = (0..(m - 1) * lda + k)
            .map(|i| (i % 11) as f32 - 5.0)
            .collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 3) as f32 - 1.0).collect();
        let mut c = vec![f32::NAN; m * n];
        matmul_strided(&mut c, &a, lda, &b, m, k, n);
        for i in 0..m {
            for j in 0..n {
                let want: f32 = (0..k).map(|l| a[i * lda + l] * b[l * n + j]).sum();
                assert_eq!(c[i * n + j], want, "({i},{j})");
            }
        }
    }

    #[test]
    fn matches_a_naive_product() {
        for &(m, k, n) in &[(1, 3, 16), (7, 5, 32), (13, 9, 48), (6, 1, 16), (4, 4, 20)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5 - 1.0).collect();
            let mut c = vec![f32::NAN; m * n];
            matmul_rows(&mut c, &a, &b, m, k, n);
            for i in 0..m {
                for j in 0..n {
                    let want: f32 = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
                    assert!(
                        (c[i * n + j] - want).abs() < 1e-4,
                        "({m},{k},{n}) at ({i},{j})"
                    );
                }
            }
        }
    }
}
