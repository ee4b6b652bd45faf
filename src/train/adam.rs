//! Adam whose state can be saved, so a resumed run continues its moment estimates.
//!
//! dfdx 0.13's `Adam` keeps its step count and moments in private fields, so a checkpoint
//! could only restart them. This one performs the same update, element for element and in the
//! same float operations as dfdx's CPU kernel (so training numbers do not change), splits the
//! elements over rayon's threads, and stores its state next to the weights.
//!
//! Moments are kept per trainable tensor in the model's visiting order (which is fixed by the
//! model's structure), not by tensor id: ids change whenever tensors are rebuilt.

use std::io::{Read, Write};
use std::path::Path;

use dfdx::nn::tensor_collection::TensorCollection;
use dfdx::prelude::*;
use rayon::prelude::*;

use super::TrainConfig;
use super::gradients::update_each;

/// Elements per parallel chunk (small tensors run on one thread).
const CHUNK: usize = 1 << 16;
/// First bytes of a saved state.
const MAGIC: &[u8; 8] = b"ADAMv1\0\0";

/// Adam (β₁, β₂, ε, learning rate and optional decoupled weight decay) with saveable state.
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f32,
    betas: [f32; 2],
    eps: f32,
    /// `weight_decay · lr`, applied as in AdamW; 0 disables it.
    decay: f32,
    weight_decay: f64,
    /// Steps taken.
    t: i32,
    /// First and second moments of each trainable tensor, in visiting order.
    moments: Vec<(Vec<f32>, Vec<f32>)>,
    /// Reused buffer for a tensor's values (a fresh one per step would fault in its pages).
    scratch: Vec<f32>,
}

impl Adam {
    /// A fresh optimizer with the settings of `cfg`.
    pub fn new(cfg: &TrainConfig) -> Self {
        Self {
            lr: cfg.lr as f32,
            betas: cfg.betas.map(|b| b as f32),
            eps: cfg.eps as f32,
            decay: (cfg.weight_decay * cfg.lr) as f32,
            weight_decay: cfg.weight_decay,
            t: 0,
            moments: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Sets the learning rate of the next updates (the decoupled decay scales with it).
    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr as f32;
        self.decay = (self.weight_decay * lr) as f32;
    }

    /// Steps taken so far.
    pub fn steps(&self) -> i32 {
        self.t
    }

    /// One update of every trainable tensor of `model` from `grads` (a tensor without a
    /// gradient buffer gets a zero one, as after `alloc_grads`).
    pub fn update<M: TensorCollection<f32, Cpu>>(
        &mut self,
        model: &mut M,
        grads: &mut Gradients<f32, Cpu>,
    ) -> Result<(), AdamError> {
        self.t = self.t.checked_add(1).ok_or(AdamError::StepOverflow)?;
        let kernel = Kernel::new(self.lr, self.betas, self.eps, self.decay, self.t);
        let moments = &mut self.moments;
        let mut mismatch = None;
        update_each(model, grads, &mut self.scratch, |tensor, values| {
            let n = values.len();
            if moments.len() == tensor.index {
                moments.push((vec![0.0; n], vec![0.0; n]));
            }
            let (m, v) = &mut moments[tensor.index];
            if m.len() != n {
                mismatch.get_or_insert(AdamError::StateMismatch {
                    index: tensor.index,
                    state: m.len(),
                    model: n,
                });
                return;
            }
            values
                .par_chunks_mut(CHUNK)
                .zip(tensor.gradient.par_chunks(CHUNK))
                .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
                .for_each(|((p, g), (m, v))| kernel.apply(p, g, m, v));
        })?;
        mismatch.map_or(Ok(()), Err)
    }

    /// Writes the step count and moments to `path` (little-endian f32 after a small header),
    /// through a temporary file and a rename.
    pub fn save(&self, path: &Path) -> Result<(), AdamError> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.t.to_le_bytes());
        out.extend_from_slice(&(self.moments.len() as u64).to_le_bytes());
        for (m, v) in &self.moments {
            out.extend_from_slice(&(m.len() as u64).to_le_bytes());
            for x in m.iter().chain(v) {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        let io = |source| AdamError::Io {
            path: path.to_path_buf(),
            source,
        };
        let tmp = path.with_extension("tmp");
        std::fs::File::create(&tmp)
            .and_then(|mut file| file.write_all(&out))
            .map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Restores the state written by [`Adam::save`]; the hyper-parameters stay those of `self`.
    pub fn load(&mut self, path: &Path) -> Result<(), AdamError> {
        let bad = |reason: &'static str| AdamError::Damaged {
            path: path.to_path_buf(),
            reason,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .map_err(|source| AdamError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let mut rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| bad("not an Adam state file"))?;
        let mut take = |n: usize| -> Result<&[u8], AdamError> {
            if rest.len() < n {
                return Err(bad("truncated"));
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let t = i32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
        let count = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes")) as usize;
        let mut moments = Vec::with_capacity(count.min(1 << 16));
        for _ in 0..count {
            let len = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes")) as usize;
            let floats: Vec<f32> = take(len.checked_mul(8).ok_or_else(|| bad("bad length"))?)?
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            let (m, v) = floats.split_at(len);
            moments.push((m.to_vec(), v.to_vec()));
        }
        if !rest.is_empty() {
            return Err(bad("trailing bytes"));
        }
        self.t = t;
        self.moments = moments;
        Ok(())
    }
}

/// Why Adam could not update, save or restore its state.
#[derive(Debug, thiserror::Error)]
pub enum AdamError {
    /// The saved moments do not fit the model (the state belongs to another model).
    #[error(
        "Adam state of tensor {index} has {state} elements, the model's has {model}: \
         the state belongs to another model"
    )]
    StateMismatch {
        index: usize,
        state: usize,
        model: usize,
    },
    /// More than `i32::MAX` steps.
    #[error("Adam step count overflow")]
    StepOverflow,
    /// The device failed to allocate a gradient.
    #[error("optimizer update: {0:?}")]
    Device(#[from] CpuError),
    /// A state file is not one [`Adam::save`] wrote, or is cut short.
    #[error("{path}: {reason}", path = path.display())]
    Damaged {
        path: std::path::PathBuf,
        reason: &'static str,
    },
    /// Reading or writing the state file failed.
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// The per-element update with its constants.
#[derive(Clone, Copy)]
struct Kernel {
    lr: f32,
    betas: [f32; 2],
    eps: f32,
    decay: f32,
    /// `1 / (1 − β₁ᵗ)`, `1 / (1 − β₂ᵗ)`.
    correction: [f32; 2],
}

impl Kernel {
    fn new(lr: f32, betas: [f32; 2], eps: f32, decay: f32, t: i32) -> Self {
        Self {
            lr,
            betas,
            eps,
            decay,
            correction: betas.map(|b| (1.0 - b.powi(t)).recip()),
        }
    }

    /// The operations of dfdx 0.13's CPU `adam_kernel`, in its order.
    #[inline]
    fn apply(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        let [b1, b2] = self.betas;
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m = *m * b1 + g * (1.0 - b1);
            *v = *v * b2 + g.powi(2) * (1.0 - b2);
            let m_hat = *m * self.correction[0];
            let v_hat = *v * self.correction[1];
            let mut step = self.lr * m_hat / (v_hat.sqrt() + self.eps);
            if self.decay != 0.0 {
                step += self.decay * *p;
            }
            *p -= step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::optim::{Adam as DfdxAdam, Optimizer};

    type Net = (
        dfdx::nn::modules::Linear<5, 7, f32, Cpu>,
        dfdx::nn::modules::Linear<7, 3, f32, Cpu>,
    );

    fn loss_grads(net: &Net, x: &Tensor<Rank2<4, 5>, f32, Cpu>) -> Gradients<f32, Cpu> {
        net.forward(x.leaky_trace()).square().mean().backward()
    }

    fn values(net: &Net) -> Vec<f32> {
        [
            net.0.weight.as_vec(),
            net.0.bias.as_vec(),
            net.1.weight.as_vec(),
            net.1.bias.as_vec(),
        ]
        .concat()
    }

    #[test]
    fn matches_dfdx_adam_bit_for_bit_and_resumes_exactly() {
        for weight_decay in [0.0, 0.01] {
            let dev = Cpu::seed_from_u64(3);
            let net: Net = dev.build_module::<(Linear<5, 7>, Linear<7, 3>), f32>();
            let x: Tensor<Rank2<4, 5>, f32, Cpu> = dev.sample_normal();
            let cfg = TrainConfig {
                lr: 1e-2,
                weight_decay,
                ..TrainConfig::default()
            };
            let (mut ours, mut theirs) = (net.clone(), net.clone());
            let mut a = Adam::new(&cfg);
            let mut b = DfdxAdam::new(&theirs, cfg.adam_config());
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("adam.bin");
            for step in 0..6 {
                let mut g = loss_grads(&ours, &x);
                a.update(&mut ours, &mut g).unwrap();
                let g = loss_grads(&theirs, &x);
                b.update(&mut theirs, &g).unwrap();
                assert_eq!(
                    values(&ours),
                    values(&theirs),
                    "step {step}, decay {weight_decay}"
                );
                if step == 2 {
                    // A resumed optimizer continues exactly.
                    a.save(&path).unwrap();
                    let mut restored = Adam::new(&cfg);
                    restored.load(&path).unwrap();
                    assert_eq!(restored.steps(), 3);
                    a = restored;
                }
            }
        }
    }

    #[test]
    fn a_damaged_state_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("adam.bin");
        let mut a = Adam::new(&TrainConfig::default());
        a.moments = vec![(vec![1.0, 2.0], vec![3.0, 4.0])];
        a.save(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let e = a.load(&path).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        std::fs::write(&path, b"hello").unwrap();
        let e = a.load(&path).unwrap_err().to_string();
        assert!(e.contains("not an Adam state file"), "{e}");
    }
}
