//! Gradient clipping by global norm (dfdx 0.13 has none).
//!
//! The norm is taken over the gradients of every trainable tensor of the model, found with
//! the shared gradient walk, so it works for any model shape.

use dfdx::nn::tensor_collection::TensorCollection;
use dfdx::prelude::*;

use super::gradients::for_each_gradient;

/// The L2 norm of all of `model`'s gradients taken together.
pub fn global_grad_norm<M: TensorCollection<f32, Cpu>>(
    model: &M,
    grads: &mut Gradients<f32, Cpu>,
) -> f32 {
    let mut sum_squares = 0.0f64;
    for_each_gradient(model, grads, |tensor| {
        sum_squares += tensor
            .gradient
            .iter()
            .map(|&x| (x as f64) * (x as f64))
            .sum::<f64>();
    })
    .expect("visiting CPU gradients cannot fail");
    sum_squares.sqrt() as f32
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
        let factor = max_norm / (norm + 1e-6);
        for_each_gradient(model, grads, |tensor| {
            tensor.gradient.iter_mut().for_each(|x| *x *= factor);
        })
        .expect("visiting CPU gradients cannot fail");
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
