//! Vectorizable sigmoid / tanh for the gate math.
//!
//! `f32::exp` is a libm call per element, which would dominate an LSTM step; a Cephes-style
//! `exp` (range reduction by powers of two, degree-6 polynomial, relative error ≈ 1e-7) written
//! with plain float/integer ops lets LLVM vectorize the loops. Callers run the loops inside an
//! AVX2+FMA or AVX-512 `target_feature` function, as the op's [`Isa`] says (see [`simd_fn`]).
//! The loops are element-wise, so the vector width does not change their results.

#[cfg(doc)]
use super::isa::Isa;

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 · 2^23: adding it rounds a float of magnitude < 2^22 to an integer in the low mantissa bits.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x`, relative error ≈ 1e-7, clamped to the finite normal range.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    p = p * r * r + r + 1.0;
    let k = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    p * f32::from_bits(((k + 127) << 23) as u32)
}

/// The logistic function `1 / (1 + e^{-x})`.
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh(x) = 1 − 2 / (1 + e^{2x})` (absolute error ≈ 1e-7).
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / (1.0 + exp(2.0 * x))
}

/// Applies the sigmoid to every element.
#[inline(always)]
pub(crate) fn sigmoid_slice(xs: &mut [f32]) {
    for x in xs {
        *x = sigmoid(*x);
    }
}

/// Applies tanh to every element.
#[inline(always)]
pub(crate) fn tanh_slice(xs: &mut [f32]) {
    for x in xs {
        *x = tanh(*x);
    }
}

/// Defines a function whose body is compiled three times — for AVX-512F, for AVX2+FMA and for
/// the baseline target — and that runs the version its first argument, an [`Isa`], names.
///
/// A closure handed to a `#[target_feature]` function is not compiled with that feature
/// unless LLVM happens to inline it (for the large per-thread loops it did not: they ran
/// 4-wide SSE code), so the body becomes an `#[inline(always)]` function called from
/// feature-enabled wrappers, which the compiler must inline and then vectorizes 8 or 16 wide.
macro_rules! simd_fn {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$($gen:ident: $bound:path),+>)?
        ($isa:ident: Isa, $($arg:ident: $ty:ty),* $(,)?) $body:block
    ) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name $(<$($gen: $bound),+>)? ($isa: Isa, $($arg: $ty),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body $(<$($gen: $bound),+>)? ($($arg: $ty),*) $body
            debug_assert!($isa.is_supported(), "{:?} on a CPU without it", $isa);
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx2 $(<$($gen: $bound),+>)? ($($arg: $ty),*) {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx512f,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx512 $(<$($gen: $bound),+>)? ($($arg: $ty),*) {
                    body($($arg),*)
                }
                match $isa {
                    // SAFETY: ops only run an ISA the CPU supports (`Isa::current` is checked).
                    Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    Isa::Scalar => {}
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use simd_fn;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_functions() {
        let mut x = -30.0_f32;
        while x < 30.0 {
            let e = f64::from(x).exp();
            assert!(((f64::from(exp(x)) - e) / e).abs() < 3e-7, "exp({x})");
            assert!(
                (sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs() < 2e-7,
                "sigmoid({x})"
            );
            assert!((tanh(x) - x.tanh()).abs() < 3e-7, "tanh({x})");
            x += 0.013;
        }
        assert!((0.0..1e-30).contains(&sigmoid(-200.0)) && sigmoid(200.0) == 1.0);
        assert!(tanh(100.0) == 1.0 && tanh(-100.0) == -1.0);
    }
}
