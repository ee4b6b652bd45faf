//! Finite-difference gradient checks in f64: every parameter entry (and layer inputs) of the
//! layers and classifiers, against dfdx's backward through our op-by-op formulations.

mod common;

use common::random_batch;
use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sentiment_rnn::data::loader::Batch;
use sentiment_rnn::nn::backend::Path;
use sentiment_rnn::nn::bidirectional::Bidirectional;
use sentiment_rnn::nn::classifier::Classifier;
use sentiment_rnn::nn::config::{ModelConfig, ModelKind};
use sentiment_rnn::nn::conv1d::Conv1d;
use sentiment_rnn::nn::gates::{Gate, GateSet};
use sentiment_rnn::nn::lstm::Lstm;
use sentiment_rnn::nn::params::{R3, runtime_options};
use sentiment_rnn::nn::pooling::Aggregation;
use sentiment_rnn::nn::rnn::Rnn;
use sentiment_rnn::nn::sequence_layer::{Pass, SequenceLayer};
use sentiment_rnn::nn::stack::RecurrentStack;
use sentiment_rnn::train::gradients::{for_each_gradient, update_each};

type Dev = Cpu;
type Tp = OwnedTape<f64, Dev>;
const EPS: f64 = 1e-6;

// ---------------------------------------------------------------- the checker

/// Adds `delta` to entry `entry` of the `target`-th trainable tensor.
fn perturb<M: TensorCollection<f64, Dev>>(m: &mut M, target: usize, entry: usize, delta: f64) {
    let mut unused = Gradients::leaky();
    update_each(m, &mut unused, &mut Vec::new(), |tensor, values| {
        if tensor.index == target {
            values[entry] += delta;
        }
    })
    .unwrap();
}

/// Compares backward's gradient of every entry of every tensor of `model` with central
/// differences of `loss`, which must be deterministic (no dropout).
fn gradcheck<M, F>(what: &str, model: &M, loss: F)
where
    M: TensorCollection<f64, Dev> + Clone,
    F: Fn(&M, Tp) -> Tensor<(), f64, Dev, Tp>,
{
    let mut grads = loss(model, Tp::default()).backward();
    let mut analytic_grads = Vec::new();
    for_each_gradient(model, &mut grads, |tensor| {
        analytic_grads.push(tensor.gradient.to_vec());
    })
    .unwrap();
    let value = |m: &M| loss(m, Tp::default()).array();
    let mut checked = 0;
    let mut worst: f64 = 0.0;
    for (k, grad) in analytic_grads.iter().enumerate() {
        for (i, &analytic) in grad.iter().enumerate() {
            let mut m = model.clone();
            perturb(&mut m, k, i, EPS);
            let up = value(&m);
            perturb(&mut m, k, i, -2.0 * EPS);
            let down = value(&m);
            let numeric = (up - down) / (2.0 * EPS);
            let err = (analytic - numeric).abs() / (1e-4 + numeric.abs().max(analytic.abs()));
            worst = worst.max(err);
            assert!(
                err < 1e-5,
                "{what}: tensor {k} entry {i}: backward {analytic} vs numeric {numeric}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "{what}: nothing checked");
    println!("{what}: {checked} entries, worst relative error {worst:.2e}");
}

// ---------------------------------------------------------------- fixtures

/// A layer plus its input, so that the input gradient is checked too.
#[derive(Clone)]
struct Probe<E: Dtype, D: Device<E>, L> {
    x: R3<E, D>,
    layer: L,
}

impl<E: Dtype, D: Device<E>, L: TensorCollection<E, D>> TensorCollection<E, D> for Probe<E, D, L> {
    type To<E2: Dtype, D2: Device<E2>> = Probe<E2, D2, L::To<E2, D2>>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor("x", |s| &s.x, |s| &mut s.x, runtime_options()),
                Self::module("layer", |s| &s.layer, |s| &mut s.layer),
            ),
            |(x, layer)| Probe { x, layer },
        )
    }
}

const LENGTHS: [usize; 3] = [4, 1, 3];

/// A pass over rows of `LENGTHS` on the op-by-op path, without dropout.
const REFERENCE_PASS: Pass = Pass {
    lengths: &LENGTHS,
    path: Path::Reference,
    train: false,
};
const DIMS: (usize, usize, usize) = (3, 4, 2);

fn probe<L>(layer: L, rng: &mut StdRng) -> Probe<f64, Dev, L> {
    Probe {
        x: uniform(&Dev::default(), DIMS, rng),
        layer,
    }
}

/// A tensor of `shape` with entries drawn uniformly from `-1..1`.
fn uniform<S: Shape>(dev: &Dev, shape: S, rng: &mut StdRng) -> Tensor<S, f64, Dev> {
    let values = (0..shape.num_elements())
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    dev.tensor_from_vec(values, shape)
}

/// `Σ w ⊙ y` for fixed random weights `w`: every output entry matters.
fn weighted_sum<S: Shape>(y: Tensor<S, f64, Dev, Tp>, seed: u64) -> Tensor<(), f64, Dev, Tp> {
    let w = uniform(y.device(), *y.shape(), &mut StdRng::seed_from_u64(seed));
    (y * w).sum()
}

/// Checks a recurrent layer's gradients, its input's included, forward and reversed, on a
/// random input from `rng`; the loss weights come from `loss_seed`.
fn gradcheck_both_directions<L: SequenceLayer<f64, Dev>>(
    what: &str,
    layer: L,
    rng: &mut StdRng,
    loss_seed: u64,
) {
    let probe = probe(layer, rng);
    for reverse in [false, true] {
        gradcheck(&format!("{what} reverse={reverse}"), &probe, |m, tape| {
            let x = m.x.clone().put_tape(tape);
            weighted_sum(m.layer.run(x, REFERENCE_PASS, reverse), loss_seed)
        });
    }
}

/// A seeded device and rng and a batch drawn from that rng, for the classifier checks.
struct ClassifierSetup {
    dev: Dev,
    rng: StdRng,
    /// Rows of the given lengths, padded to the longest; ids below `vocab`.
    b: Batch,
    vocab: usize,
}

impl ClassifierSetup {
    fn new(seed: u64, lengths: &[usize], vocab: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let seq_len = lengths.iter().copied().max().unwrap_or(0);
        let b = random_batch(lengths, seq_len, vocab as u32, &mut rng);
        Self {
            dev: Dev::seed_from_u64(seed),
            rng,
            b,
            vocab,
        }
    }

    fn classifier(&self, cfg: &ModelConfig) -> Classifier<f64, Dev> {
        Classifier::new(cfg, self.vocab, &self.dev).unwrap()
    }

    /// Checks every gradient of the cross-entropy loss of `model` on the batch.
    fn check(&self, what: &str, model: &Classifier<f64, Dev>) {
        gradcheck(what, model, |m, tape| classifier_loss(m, &self.b, tape));
    }

    /// Checks a CNN and an LSTM classifier with the `branch` that `enable` switches on. The
    /// branch's weight (picked by `weight`) starts at zero; random values replace it, so that
    /// the gradient reaching the branch's input side is checked too.
    fn check_branch<S: Shape>(
        &mut self,
        branch: &str,
        enable: impl Fn(&mut ModelConfig),
        weight: impl Fn(&mut Classifier<f64, Dev>) -> &mut Tensor<S, f64, Dev>,
    ) {
        for kind in [ModelKind::Cnn, ModelKind::Lstm] {
            let mut cfg = tiny_config(kind);
            enable(&mut cfg);
            let mut model = self.classifier(&cfg);
            let zero = weight(&mut model);
            *zero = uniform(&self.dev, *zero.shape(), &mut self.rng);
            self.check(&format!("{kind:?} + {branch}"), &model);
        }
    }
}

fn classifier_loss(m: &Classifier<f64, Dev>, b: &Batch, tape: Tp) -> Tensor<(), f64, Dev, Tp> {
    let logits = m.forward_with_tape(b, tape, false);
    let targets: Vec<f64> = b
        .labels
        .iter()
        .flat_map(|&l| [(l == 0) as u8 as f64, l as f64])
        .collect();
    let targets = logits
        .device()
        .tensor_from_vec(targets, (b.batch_size, Const::<2>));
    cross_entropy_with_logits_loss(logits, targets)
}

/// A classifier small enough for finite differences: width 2 everywhere.
fn tiny_config(kind: ModelKind) -> ModelConfig {
    let mut cfg = ModelConfig::new(kind);
    cfg.embedding_dim = 2;
    cfg.hidden_size = 2;
    cfg.kernel_widths = vec![2];
    cfg.channels = 2;
    cfg
}

// ---------------------------------------------------------------- layers

#[test]
fn conv1d_gradients() {
    let dev = Dev::default();
    let mut rng = StdRng::seed_from_u64(1);
    for (k, p) in [(1, 0), (2, 0), (3, 1)] {
        let conv = Conv1d::<f64, Dev>::new(&dev, k, 2, 3, p, &mut rng);
        let probe = probe(conv, &mut rng);
        gradcheck(&format!("conv1d k={k} p={p}"), &probe, |m, tape| {
            let (y, out_lengths) = m.layer.forward(m.x.clone().put_tape(tape), &LENGTHS);
            // Only valid positions are defined outputs.
            let (b, l, c) = *y.shape();
            let valid: Vec<f64> = out_lengths
                .iter()
                .flat_map(|&n| (0..l * c).map(move |i| ((i / c) < n) as u8 as f64))
                .collect();
            weighted_sum(y * dev.tensor_from_vec(valid, (b, l, c)), 5)
        });
    }
}

#[test]
fn rnn_gradients_both_directions() {
    let dev = Dev::default();
    let mut rng = StdRng::seed_from_u64(2);
    let rnn = Rnn::<f64, Dev>::new(&dev, 2, 3, &mut rng);
    gradcheck_both_directions("rnn", rnn, &mut rng, 6);
}

#[test]
fn lstm_gradients_for_every_gate_setting() {
    let dev = Dev::default();
    let mut rng = StdRng::seed_from_u64(3);
    for gates in [
        GateSet::ALL,
        GateSet::without(Gate::Forget),
        GateSet::without(Gate::Input),
        GateSet::without(Gate::Output),
    ] {
        let lstm = Lstm::<f64, Dev>::new(&dev, 2, 3, gates, &mut rng);
        gradcheck_both_directions(&format!("lstm {gates:?}"), lstm, &mut rng, 7);
    }
}

#[test]
fn bidirectional_gradients() {
    let dev = Dev::default();
    let mut rng = StdRng::seed_from_u64(4);
    let bi = Bidirectional::new(
        Lstm::<f64, Dev>::new(&dev, 2, 3, GateSet::ALL, &mut rng),
        Some(Lstm::<f64, Dev>::new(&dev, 2, 3, GateSet::ALL, &mut rng)),
    );
    gradcheck("bidirectional lstm", &probe(bi, &mut rng), |m, tape| {
        let x = m.x.clone().put_tape(tape);
        weighted_sum(m.layer.forward(x, REFERENCE_PASS, None).concat(), 8)
    });
}

#[test]
fn stacked_gradients() {
    let dev = Dev::default();
    let mut rng = StdRng::seed_from_u64(5);
    let mut make_rng = StdRng::seed_from_u64(6);
    let stack = RecurrentStack::new(2, 2, 3, true, 0.0, |input| {
        Rnn::<f64, Dev>::new(&dev, input, 3, &mut make_rng)
    });
    let probe = probe(stack, &mut rng);
    gradcheck("2-layer bidirectional rnn", &probe, |m, tape| {
        let x = m.x.clone().put_tape(tape);
        weighted_sum(m.layer.forward(x, REFERENCE_PASS, None).concat(), 9)
    });
}

// ---------------------------------------------------------------- classifiers

#[test]
fn cnn_classifier_gradients_including_embedding() {
    let setup = ClassifierSetup::new(7, &[5, 2, 1], 6);
    for (widths, pad) in [
        (vec![2], 0),
        (vec![1], 0),
        (vec![2, 3], 0),
        (vec![2], 1),
        (vec![1, 2, 3], 1),
    ] {
        let model = setup.classifier(&ModelConfig {
            kernel_widths: widths.clone(),
            channels: 3,
            conv_padding: pad,
            ..tiny_config(ModelKind::Cnn)
        });
        setup.check(&format!("cnn classifier {widths:?} {pad}"), &model);
    }
}

#[test]
fn recurrent_classifier_gradients_for_every_pooling() {
    let setup = ClassifierSetup::new(8, &[4, 1, 3], 5);
    for kind in [ModelKind::Rnn, ModelKind::Lstm] {
        for agg in Aggregation::ALL {
            let model = setup.classifier(&ModelConfig {
                num_layers: 2,
                bidirectional: true,
                aggregation: agg,
                ..tiny_config(kind)
            });
            setup.check(&format!("{kind:?} classifier {agg:?}"), &model);
        }
    }
}

#[test]
fn ngram_branch_gradients_reach_both_halves() {
    let mut setup = ClassifierSetup::new(9, &[5, 2, 4], 3);
    // Repeated tokens: duplicate unigrams and bigrams must count once.
    setup.b.ids[..4].copy_from_slice(&[1, 2, 1, 2]);
    setup.check_branch(
        "n-gram bag",
        |cfg| cfg.ngram_buckets = 7,
        |model| &mut model.ngrams.items[0].weight,
    );
}

#[test]
fn valence_channel_and_lexicon_head_gradients() {
    let mut setup = ClassifierSetup::new(10, &[5, 2, 4], 4);
    let rng = &mut setup.rng;
    setup.b.valence = (0..setup.b.ids.len())
        .map(|_| rng.gen_range(-4.0f32..4.0))
        .collect();
    setup.check_branch(
        "valence",
        |cfg| {
            cfg.valence_channel = true;
            cfg.lexicon_head = true;
        },
        |model| &mut model.lexicon_head.items[0].weight,
    );
}
