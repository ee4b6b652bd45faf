//! Register-blocked AVX2/FMA and AVX-512 kernels for the per-step recurrent matmuls.
//!
//! Each step multiplies a few dozen rows by the same recurrent weight matrix. A general sgemm
//! re-packs that weight matrix on every call, which costs about as much memory traffic as the
//! product itself at this size; here the weights are packed once per op call ([`Rhs`]) into
//! 16-column strips stored contiguously, and the kernel streams a strip while keeping its
//! accumulators in registers: 6×16 with AVX2 (16 ymm registers), 12×32 (two strips) with
//! AVX-512 (32 zmm registers). (Read in place, a strip's rows lie `4·n` bytes apart — 2 KiB for
//! an LSTM — and all map to the same two L1 sets, so they kept evicting each other.) Both
//! kernels sum each output over `k` in order with one FMA per term, so they give the same
//! bits. The scalar path and other shapes fall back to `gemm`.

use super::gemm::{MatMut, MatRef, matmul};
use super::isa::Isa;
use rayon::prelude::*;

/// Columns per packed strip.
const STRIP: usize = 16;

/// The right-hand `(k, n)` matrix of many products, prepared once for one ISA.
pub(crate) struct Rhs {
    /// Strip-major `[n / 16][k][16]` when `kernel` is set, else row-major `(k, n)`.
    data: Vec<f32>,
    k: usize,
    n: usize,
    /// The packed kernel that multiplies by it (`None`: `gemm` on the row-major matrix).
    kernel: Option<Isa>,
}

impl Rhs {
    /// Prepares the row-major `(k, n)` matrix `b` for `isa`'s kernel.
    pub fn new(b: &[f32], k: usize, n: usize, isa: Isa) -> Self {
        Self::build(k, n, isa, |r, c| b[r * n + c])
    }

    /// Prepares the transpose `(k, n)` of the row-major `(n, k)` matrix `b`.
    pub fn transposed(b: &[f32], n: usize, k: usize, isa: Isa) -> Self {
        Self::build(k, n, isa, |r, c| b[c * k + r])
    }

    fn build(k: usize, n: usize, isa: Isa, at: impl Fn(usize, usize) -> f32) -> Self {
        debug_assert!(isa.is_supported(), "{isa:?} on a CPU without it");
        let kernel = (n.is_multiple_of(STRIP) && isa >= Isa::Avx2).then_some(isa);
        let mut data = Vec::with_capacity(k * n);
        if kernel.is_some() {
            for s in 0..n / STRIP {
                for r in 0..k {
                    data.extend((0..STRIP).map(|j| at(r, s * STRIP + j)));
                }
            }
        } else {
            for r in 0..k {
                data.extend((0..n).map(|c| at(r, c)));
            }
        }
        Self { data, k, n, kernel }
    }
}

/// `c = a · rhs` (or `c += a · rhs` when `accumulate`) for `a` `(m, k)` whose row `i` starts
/// at `a[i · lda]` (rows may overlap, as the sliding windows of a convolution do) and
/// row-major `c` `(m, n)`. Runs on the calling thread.
pub(crate) fn matmul_strided(
    c: &mut [f32],
    a: &[f32],
    lda: usize,
    rhs: &Rhs,
    m: usize,
    accumulate: bool,
) {
    let (k, n) = (rhs.k, rhs.n);
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        a.len() >= (m - 1) * lda + k && c.len() >= m * n,
        "matmul_strided: buffers too small"
    );
    #[cfg(target_arch = "x86_64")]
    {
        let product = Product {
            c: c.as_mut_ptr(),
            a: a.as_ptr(),
            lda,
            b: rhs.data.as_ptr(),
            m,
            k,
            n,
            accumulate,
        };
        // SAFETY: a kernel is only chosen for n % 16 == 0 on a CPU with its ISA (`Rhs::build`
        // gets a supported ISA); the strip-packed `b` and the buffers are large enough.
        match rhs.kernel {
            Some(Isa::Avx512) => {
                unsafe { avx512::matmul(product) };
                return;
            }
            Some(_) => {
                unsafe { avx2::matmul(product) };
                return;
            }
            None => {}
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
            MatRef::rows_of(&rhs.data, 0, k, n),
            accumulate,
            1,
        )
    };
}

/// `c = a · rhs` for contiguous row-major `a` `(m, k)` and `c` `(m, n)`, on this thread.
pub(crate) fn matmul_rows(c: &mut [f32], a: &[f32], rhs: &Rhs, m: usize) {
    matmul_strided(c, a, rhs.k, rhs, m, false);
}

/// [`matmul_rows`] (accumulating when asked) for many rows, split into chunks over rayon's
/// threads. The chunk's rows of `a` stay in L2 while each packed strip is reused from L1.
pub(crate) fn matmul_rows_par(c: &mut [f32], a: &[f32], rhs: &Rhs, m: usize, accumulate: bool) {
    const CHUNK: usize = 192;
    let (k, n) = (rhs.k, rhs.n);
    assert!(
        a.len() >= m * k && c.len() >= m * n,
        "matmul_rows_par: buffers too small"
    );
    c[..m * n]
        .par_chunks_mut(CHUNK * n)
        .zip(a[..m * k].par_chunks(CHUNK * k))
        .for_each(|(c, a)| matmul_strided(c, a, k, rhs, a.len() / k.max(1), accumulate));
}

/// One product for the packed kernels: `c` `(m, n)` `= a · b` (`+=` when `accumulate`), with
/// `a`'s `m` rows of `k` floats `lda` apart and `b` strip-packed (see [`Rhs`]).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Product {
    c: *mut f32,
    a: *const f32,
    lda: usize,
    b: *const f32,
    m: usize,
    k: usize,
    n: usize,
    accumulate: bool,
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
    use super::Product;
    use std::arch::x86_64::*;

    /// Rows per register block.
    const MR: usize = 6;

    /// # Safety
    /// AVX2+FMA available; `n % 16 == 0`; the pointers cover their extents (see `Product`).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn matmul(product: Product) {
        let m = product.m;
        for j0 in (0..product.n).step_by(16) {
            let mut i0 = 0;
            while i0 + MR <= m {
                // SAFETY: forwarded from the caller.
                unsafe { block::<MR>(product, i0, j0) };
                i0 += MR;
            }
            // SAFETY: as above, for the remaining rows.
            unsafe {
                match m - i0 {
                    0 => {}
                    1 => block::<1>(product, i0, j0),
                    2 => block::<2>(product, i0, j0),
                    3 => block::<3>(product, i0, j0),
                    4 => block::<4>(product, i0, j0),
                    _ => block::<5>(product, i0, j0),
                }
            }
        }
    }

    /// Rows `i0 .. i0 + R`, columns `j0 .. j0 + 16` of `c`, from the packed strip `(k, 16)`
    /// of those columns.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn block<const R: usize>(product: Product, i0: usize, j0: usize) {
        let Product {
            c,
            a,
            lda,
            b,
            k,
            n,
            accumulate,
            ..
        } = product;
        // SAFETY: all offsets stay inside the caller-guaranteed extents; strip `j0 / 16`
        // starts `j0 · k` floats into `b`.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            let mut bp = b.add(j0 * k);
            for kk in 0..k {
                let b0 = _mm256_loadu_ps(bp);
                let b1 = _mm256_loadu_ps(bp.add(8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*a.add((i0 + r) * lda + kk));
                    acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
                }
                bp = bp.add(16);
            }
            for (r, acc) in acc.iter().enumerate() {
                let cp = c.add((i0 + r) * n + j0);
                let (mut lo, mut hi) = (acc[0], acc[1]);
                if accumulate {
                    lo = _mm256_add_ps(lo, _mm256_loadu_ps(cp));
                    hi = _mm256_add_ps(hi, _mm256_loadu_ps(cp.add(8)));
                }
                _mm256_storeu_ps(cp, lo);
                _mm256_storeu_ps(cp.add(8), hi);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Product;
    use std::arch::x86_64::*;

    /// Rows per register block (12 rows × 2 strips = 24 accumulators of the 32 registers).
    const MR: usize = 12;

    /// # Safety
    /// AVX-512F available; `n % 16 == 0`; the pointers cover their extents (see `Product`).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn matmul(product: Product) {
        let mut j0 = 0;
        while j0 < product.n {
            // SAFETY: forwarded from the caller; two strips while two remain, else one.
            unsafe {
                if j0 + 32 <= product.n {
                    rows::<2>(product, j0);
                    j0 += 32;
                } else {
                    rows::<1>(product, j0);
                    j0 += 16;
                }
            }
        }
    }

    /// Every row of `c` for the `S` strips starting at column `j0`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn rows<const S: usize>(product: Product, j0: usize) {
        let m = product.m;
        // SAFETY: forwarded from the caller.
        unsafe {
            let mut i0 = 0;
            while i0 + MR <= m {
                block::<MR, S>(product, i0, j0);
                i0 += MR;
            }
            match m - i0 {
                0 => {}
                1 => block::<1, S>(product, i0, j0),
                2 => block::<2, S>(product, i0, j0),
                3 => block::<3, S>(product, i0, j0),
                4 => block::<4, S>(product, i0, j0),
                5 => block::<5, S>(product, i0, j0),
                6 => block::<6, S>(product, i0, j0),
                7 => block::<7, S>(product, i0, j0),
                8 => block::<8, S>(product, i0, j0),
                9 => block::<9, S>(product, i0, j0),
                10 => block::<10, S>(product, i0, j0),
                _ => block::<11, S>(product, i0, j0),
            }
        }
    }

    /// Rows `i0 .. i0 + R`, columns `j0 .. j0 + 16·S` of `c`, from the `S` packed strips of
    /// those columns (each `(k, 16)`, the next one `16·k` floats on).
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block<const R: usize, const S: usize>(product: Product, i0: usize, j0: usize) {
        let Product {
            c,
            a,
            lda,
            b,
            k,
            n,
            accumulate,
            ..
        } = product;
        // SAFETY: all offsets stay inside the caller-guaranteed extents; strip `j0 / 16`
        // starts `j0 · k` floats into `b`.
        unsafe {
            let strip = b.add(j0 * k);
            let mut acc = [[_mm512_setzero_ps(); S]; R];
            for kk in 0..k {
                let mut bv = [_mm512_setzero_ps(); S];
                for (s, bv) in bv.iter_mut().enumerate() {
                    *bv = _mm512_loadu_ps(strip.add(s * 16 * k + kk * 16));
                }
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_ps(*a.add((i0 + r) * lda + kk));
                    for (acc, bv) in acc.iter_mut().zip(&bv) {
                        *acc = _mm512_fmadd_ps(av, *bv, *acc);
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                for (s, &v) in acc.iter().enumerate() {
                    let cp = c.add((i0 + r) * n + j0 + 16 * s);
                    let v = if accumulate {
                        _mm512_add_ps(v, _mm512_loadu_ps(cp))
                    } else {
                        v
                    };
                    _mm512_storeu_ps(cp, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a · b` summed in `f64`, for `a` rows `lda` apart.
    fn naive(a: &[f32], lda: usize, b: &[f32], [m, k, n]: [usize; 3]) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k)
                    .map(|l| f64::from(a[i * lda + l]) * f64::from(b[l * n + j]))
                    .sum();
            }
        }
        c
    }

    fn assert_close(got: &[f32], want: &[f64], tol: f64, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((f64::from(*g) - w).abs() < tol, "{what} at {i}: {g} vs {w}");
        }
    }

    #[test]
    fn strided_rows_match_a_naive_product_on_every_isa() {
        let (m, k, n, lda) = (9, 12, 32, 4);
        let a: Vec<f32> = (0..(m - 1) * lda + k)
            .map(|i| (i % 11) as f32 - 5.0)
            .collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 3) as f32 - 1.0).collect();
        let want = naive(&a, lda, &b, [m, k, n]);
        for isa in Isa::supported() {
            let mut c = vec![f32::NAN; m * n];
            matmul_strided(&mut c, &a, lda, &Rhs::new(&b, k, n, isa), m, false);
            // Small integers: every path is exact.
            assert_close(&c, &want, f64::EPSILON, isa.name());
        }
    }

    #[test]
    fn products_match_a_naive_product_on_every_isa() {
        let shapes = [
            (1, 3, 16),
            (7, 5, 32),
            (13, 9, 48),
            (6, 1, 16),
            (4, 4, 20),
            (25, 17, 64),
            (12, 8, 80),
        ];
        for (m, k, n) in shapes {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7) % 13) as f32 * 0.37 - 2.0)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5) % 11) as f32 * 0.21 - 1.0)
                .collect();
            let want = naive(&a, k, &b, [m, k, n]);
            let bt = transpose(&b, k, n);
            let mut packed: Option<Vec<f32>> = None;
            for isa in Isa::supported() {
                let what = format!("({m},{k},{n}) {}", isa.name());
                let mut c = vec![f32::NAN; m * n];
                matmul_rows(&mut c, &a, &Rhs::new(&b, k, n, isa), m);
                assert_close(&c, &want, 1e-4, &what);
                let mut ct = vec![f32::NAN; m * n];
                matmul_rows(&mut ct, &a, &Rhs::transposed(&bt, n, k, isa), m);
                assert_eq!(c, ct, "{what} transposed");
                // The packed kernels sum in the same order: the same bits.
                if isa >= Isa::Avx2 {
                    match &packed {
                        Some(first) => assert_eq!(&c, first, "{what} vs the other kernel"),
                        None => packed = Some(c),
                    }
                }
            }
        }
    }

    #[test]
    fn parallel_rows_accumulate_like_a_naive_product_on_every_isa() {
        for (m, k, n) in [(400, 20, 32), (401, 7, 20), (5, 3, 16), (403, 9, 48)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5 - 1.0).collect();
            let start: Vec<f32> = (0..m * n).map(|i| (i % 3) as f32).collect();
            let want: Vec<f64> = naive(&a, k, &b, [m, k, n])
                .iter()
                .zip(&start)
                .map(|(p, s)| p + f64::from(*s))
                .collect();
            for isa in Isa::supported() {
                let mut c = start.clone();
                matmul_rows_par(&mut c, &a, &Rhs::new(&b, k, n, isa), m, true);
                assert_close(&c, &want, 1e-3, &format!("({m},{k},{n}) {}", isa.name()));
            }
        }
    }
}
