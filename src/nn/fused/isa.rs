//! Which instruction set the fused kernels run on: detected once, overridable for a run
//! (`SENTIMENT_RNN_ISA`) and for a scope on one thread ([`Isa::with`], for tests).
//!
//! An op reads [`Isa::current`] once on the thread that calls it and hands the choice to every
//! worker and to its backward, so one op never mixes paths. Results are deterministic for a
//! given ISA and thread count; different ISAs agree to rounding (they differ in FMA use and
//! vector width, which changes the order of float additions).

use std::cell::Cell;
use std::sync::OnceLock;

/// The environment variable that picks the ISA for a whole run: `scalar`, `avx2` or `avx512`.
pub const ISA_ENV: &str = "SENTIMENT_RNN_ISA";

/// An instruction set the fused kernels are compiled for, slowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// The baseline target (SSE2 on x86-64); matmuls that the packed kernel cannot take go to
    /// the `gemm` crate, which picks its own kernels.
    Scalar,
    /// AVX2 + FMA: 8-wide loops and the 6×16 packed matmul kernel.
    Avx2,
    /// AVX-512F (+ AVX2, FMA): 16-wide loops and the 12×32 packed matmul kernel.
    Avx512,
}

thread_local! {
    /// The [`Isa::with`] override of this thread, if any.
    static SCOPED: Cell<Option<Isa>> = const { Cell::new(None) };
}

impl Isa {
    /// Every ISA, slowest first.
    pub const ALL: [Isa; 3] = [Isa::Scalar, Isa::Avx2, Isa::Avx512];

    /// The lowercase name (`SENTIMENT_RNN_ISA`'s spelling, and what benchmarks report).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The ISA called `name`, if any.
    pub fn from_name(name: &str) -> Option<Isa> {
        Self::ALL.into_iter().find(|isa| isa.name() == name)
    }

    /// Whether this CPU can run the ISA (std caches the feature detection).
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2.is_supported() && std::arch::is_x86_feature_detected!("avx512f")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Every ISA this CPU can run, slowest first.
    pub fn supported() -> Vec<Isa> {
        Self::ALL
            .into_iter()
            .filter(|isa| isa.is_supported())
            .collect()
    }

    /// The best ISA this CPU runs, or `SENTIMENT_RNN_ISA`'s choice when set (lowered to the
    /// best supported one at or below it). Read once per process.
    pub fn detected() -> Isa {
        static DETECTED: OnceLock<Isa> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let best = *Self::supported()
                .last()
                .expect("scalar is always supported");
            match std::env::var(ISA_ENV) {
                Ok(name) => match Isa::from_name(name.trim()) {
                    Some(wanted) => wanted.min(best),
                    None => panic!(
                        "{ISA_ENV}={name:?} names no ISA; expected one of scalar, avx2, avx512"
                    ),
                },
                Err(_) => best,
            }
        })
    }

    /// The ISA an op started on this thread runs: the innermost [`Isa::with`], else
    /// [`Isa::detected`].
    pub fn current() -> Isa {
        SCOPED.get().unwrap_or_else(Self::detected)
    }

    /// Runs `f` with the fused ops it starts on this thread using `self`.
    ///
    /// # Panics
    /// If this CPU cannot run `self`.
    pub fn with<R>(self, f: impl FnOnce() -> R) -> R {
        assert!(self.is_supported(), "this CPU cannot run {}", self.name());
        let previous = SCOPED.replace(Some(self));
        // Restores the outer choice even when `f` panics.
        struct Restore(Option<Isa>);
        impl Drop for Restore {
            fn drop(&mut self) {
                SCOPED.set(self.0);
            }
        }
        let _restore = Restore(previous);
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_choice_nests_and_restores() {
        let outer = Isa::current();
        Isa::Scalar.with(|| {
            assert_eq!(Isa::current(), Isa::Scalar);
            let best = *Isa::supported().last().unwrap();
            best.with(|| assert_eq!(Isa::current(), best));
            assert_eq!(Isa::current(), Isa::Scalar);
        });
        assert_eq!(Isa::current(), outer);
        assert!(Isa::detected().is_supported());
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
        }
    }
}
