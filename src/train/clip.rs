//! Gradient clipping by global norm (dfdx 0.13 has none).
//!
//! The norm is taken over the gradients of every trainable tensor of the model, found with
//! dfdx's `TensorCollection` visitor, so it works for any model shape.

use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorViewer, TensorVisitor, ViewTensorRef,
};
use dfdx::prelude::*;

/// What the visitor does with each gradient.
enum Op {
    /// Accumulate the sum of squares.
    SumSquares(f64),
    /// Multiply every entry by a factor.
    Scale(f32),
}

struct GradVisitor<'a> {
    grads: &'a mut Gradients<f32, Cpu>,
    op: Op,
}

impl TensorVisitor<f32, Cpu> for GradVisitor<'_> {
    type Viewer = ViewTensorRef;
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        t: <Self::Viewer as TensorViewer>::View<'_, Tensor<S, f32, Cpu>>,
    ) -> Result<Option<Tensor<S, f32, Cpu>>, Self::Err> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        // A tensor the loss did not reach has a zero gradient; allocating it is harmless.
        let g: &mut Vec<f32> = self.grads.get_or_alloc_mut(t)?;
        match &mut self.op {
            Op::SumSquares(s) => *s += g.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>(),
            Op::Scale(f) => g.iter_mut().for_each(|x| *x *= *f),
        }
        Ok(None)
    }
}

fn walk<M: TensorCollection<f32, Cpu>>(model: &M, grads: &mut Gradients<f32, Cpu>, op: Op) -> Op {
    let mut v = GradVisitor { grads, op };
    let mut walker = RecursiveWalker {
        m: model,
        f: &mut v,
    };
    M::iter_tensors(&mut walker).expect("visiting CPU gradients cannot fail");
    v.op
}

/// The L2 norm of all of `model`'s gradients taken together.
pub fn global_grad_norm<M: TensorCollection<f32, Cpu>>(
    model: &M,
    grads: &mut Gradients<f32, Cpu>,
) -> f32 {
    match walk(model, grads, Op::SumSquares(0.0)) {
        Op::SumSquares(s) => s.sqrt() as f32,
        Op::Scale(_) => unreachable!(),
    }
}

/// Scales all gradients so their global norm is at most `max_norm`; returns the norm
/// measured before clipping. A non-finite norm is returned unchanged and nothing is scaled,
/// so the caller can report it.
pub fn clip_grad_norm<M: TensorCollection<f32, Cpu>>(
    model: &M,
    grads: &mut Gradients<f32, Cpu>,
    max_norm: f32,
) -> f32 {
    let norm = global_grad_norm(model, grads);
    if norm.is_finite() && norm > max_norm {
        // The small epsilon mirrors PyTorch's clip_grad_norm_.
        walk(model, grads, Op::Scale(max_norm / (norm + 1e-6)));
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::nn::modules;

    type Model = (
        modules::Linear<3, 2, f32, Cpu>,
        modules::Linear<2, 2, f32, Cpu>,
    );

    fn grads_of(dev: &Cpu, m: &Model) -> Gradients<f32, Cpu> {
        let x = dev.tensor([1.0f32, -2.0, 3.0]);
        let y = m.forward(x.traced(m.alloc_grads()));
        (y.square().sum() * 10.0).backward()
    }

    fn flat(m: &Model, g: &Gradients<f32, Cpu>) -> Vec<f32> {
        let mut v = g.get(&m.0.weight).as_vec();
        v.extend(g.get(&m.0.bias).as_vec());
        v.extend(g.get(&m.1.weight).as_vec());
        v.extend(g.get(&m.1.bias).as_vec());
        v
    }

    #[test]
    fn norm_matches_plain_computation_and_clipping_scales() {
        let dev = Cpu::seed_from_u64(1);
        let m = dev.build_module::<(Linear<3, 2>, Linear<2, 2>), f32>();
        let mut g = grads_of(&dev, &m);
        let plain = flat(&m, &g).iter().map(|x| x * x).sum::<f32>().sqrt();
        let norm = global_grad_norm(&m, &mut g);
        assert!((norm - plain).abs() <= 1e-4 * plain.max(1.0));

        let before = flat(&m, &g);
        let reported = clip_grad_norm(&m, &mut g, norm / 4.0);
        assert!((reported - norm).abs() < 1e-6);
        let after = flat(&m, &g);
        for (a, b) in after.iter().zip(&before) {
            assert!(
                (a * 4.0 - b).abs() <= 1e-4 * b.abs().max(1e-3),
                "{a} vs {b}"
            );
        }
        assert!((global_grad_norm(&m, &mut g) - norm / 4.0).abs() <= 1e-3 * norm);

        // Below the threshold nothing changes.
        let n2 = global_grad_norm(&m, &mut g);
        clip_grad_norm(&m, &mut g, n2 * 2.0);
        assert_eq!(flat(&m, &g), after);
    }
}
