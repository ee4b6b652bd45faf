//! Every layer's forward against an independent plain-Rust (`Vec<f64>`, loops) implementation
//! of its equations, in f64.

mod common;

use common::random_batch;
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sentiment_rnn::data::loader::Batch;
use sentiment_rnn::nn::backend::Path;
use sentiment_rnn::nn::bidirectional::Bidirectional;
use sentiment_rnn::nn::classifier::{Classifier, ClassifierError};
use sentiment_rnn::nn::config::{ConfigError, ModelConfig, ModelKind};
use sentiment_rnn::nn::conv1d::Conv1d;
use sentiment_rnn::nn::embedding::Embedding;
use sentiment_rnn::nn::gates::{Block, Gate, GateSet};
use sentiment_rnn::nn::lstm::Lstm;
use sentiment_rnn::nn::pooling::{self, Aggregation};
use sentiment_rnn::nn::rnn::Rnn;
use sentiment_rnn::nn::sequence_layer::{Pass, SequenceLayer};
use sentiment_rnn::nn::stack::RecurrentStack;
use sentiment_rnn::train::gradients::for_each_gradient;

type Dev = Cpu;
type Seq = Tensor<(usize, usize, usize), f64, Dev>;
const TOL: f64 = 1e-9;

// ---------------------------------------------------------------- host-side references

/// A row-major host matrix.
#[derive(Clone)]
struct M {
    rows: usize,
    cols: usize,
    v: Vec<f64>,
}

impl M {
    fn of<S: Shape>(t: &Tensor<S, f64, Dev>) -> Self {
        let dims = t.shape().concrete();
        let dims = dims.as_ref();
        let cols = *dims.last().unwrap();
        Self {
            rows: t.shape().num_elements() / cols,
            cols,
            v: t.as_vec(),
        }
    }
    fn at(&self, r: usize, c: usize) -> f64 {
        self.v[r * self.cols + c]
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `Σ_k a[k]·W[k, col]`.
fn dot_col(a: &[f64], w: &M, col: usize) -> f64 {
    a.iter().enumerate().map(|(k, &ak)| ak * w.at(k, col)).sum()
}

/// A recurrent layer's equations on the host: its weights, and its gates (`None` for the RNN).
struct HostCell {
    wx: M,
    wh: M,
    b: Vec<f64>,
    gates: Option<GateSet>,
}

impl HostCell {
    fn rnn(rnn: &Rnn<f64, Dev>) -> Self {
        Self::new(M::of(&rnn.w_x), M::of(&rnn.w_h), rnn.b.as_vec(), None)
    }

    fn lstm(lstm: &Lstm<f64, Dev>) -> Self {
        Self::new(
            M::of(&lstm.w_x),
            M::of(&lstm.w_h),
            lstm.b.as_vec(),
            Some(lstm.gates()),
        )
    }

    fn new(wx: M, wh: M, b: Vec<f64>, gates: Option<GateSet>) -> Self {
        Self { wx, wh, b, gates }
    }

    /// W·[h_{t−1}, x_t] + b at column `col`.
    fn pre(&self, xt: &[f64], h: &[f64], col: usize) -> f64 {
        dot_col(xt, &self.wx, col) + dot_col(h, &self.wh, col) + self.b[col]
    }

    /// The next hidden state; `c` is the LSTM's cell state.
    fn step(&self, xt: &[f64], h: &[f64], c: &mut [f64]) -> Vec<f64> {
        let hidden = self.wh.rows;
        let Some(gates) = self.gates else {
            return (0..hidden).map(|j| self.pre(xt, h, j).tanh()).collect();
        };
        // One gate's block; a disabled gate is the constant 1.
        let gate = |block: Block, j: usize, act: fn(f64) -> f64| match gates.block_index(block) {
            Some(k) => act(self.pre(xt, h, k * hidden + j)),
            None => 1.0,
        };
        let mut h_new = vec![0.0; hidden];
        for j in 0..hidden {
            let f = gate(Block::Forget, j, sigmoid);
            let i = gate(Block::Input, j, sigmoid);
            let o = gate(Block::Output, j, sigmoid);
            let g = gate(Block::Candidate, j, f64::tanh);
            c[j] = f * c[j] + i * g;
            h_new[j] = o * c[j].tanh();
        }
        h_new
    }

    /// x: (B, T, E) host; returns (B, T, H) with zero padding.
    fn run(
        &self,
        x: &[f64],
        dims: (usize, usize, usize),
        lengths: &[usize],
        reverse: bool,
    ) -> Vec<f64> {
        let (b, t, e) = dims;
        let hidden = self.wh.rows;
        let mut out = vec![0.0; b * t * hidden];
        for r in 0..b {
            let mut h = vec![0.0; hidden];
            let mut c = vec![0.0; hidden];
            let order: Vec<usize> = if reverse {
                (0..lengths[r]).rev().collect()
            } else {
                (0..lengths[r]).collect()
            };
            for p in order {
                let xt = &x[(r * t + p) * e..(r * t + p + 1) * e];
                h = self.step(xt, &h, &mut c);
                out[(r * t + p) * hidden..(r * t + p + 1) * hidden].copy_from_slice(&h);
            }
        }
        out
    }
}

// ---------------------------------------------------------------- fixtures

fn rng() -> StdRng {
    StdRng::seed_from_u64(7)
}

fn random_input(dev: &Dev, dims: (usize, usize, usize), rng: &mut StdRng) -> (Vec<f64>, Seq) {
    let v: Vec<f64> = (0..dims.0 * dims.1 * dims.2)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    (v.clone(), dev.tensor_from_vec(v, dims))
}

/// A recurrent layer's outputs on `x` (rows of `LENGTHS`) on the op-by-op path.
fn reference_outputs<L: SequenceLayer<f64, Dev>>(layer: &L, x: &Seq, reverse: bool) -> Vec<f64> {
    layer.run(x.clone(), REFERENCE_PASS, reverse).as_vec()
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= TOL * (1.0 + w.abs()),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
}

const LENGTHS: [usize; 4] = [5, 2, 1, 4];

/// An inference pass over rows of `LENGTHS` on the op-by-op path.
const REFERENCE_PASS: Pass = Pass {
    lengths: &LENGTHS,
    path: Path::Reference,
    train: false,
};
const DIMS: (usize, usize, usize) = (4, 6, 3);
/// The classifier tests' vocabulary size.
const VOCAB: usize = 13;

/// The classifier tests' batch: rows of `LENGTHS` padded to `DIMS.1` tokens, ids below `VOCAB`.
fn classifier_batch() -> Batch {
    random_batch(&LENGTHS, DIMS.1, VOCAB as u32, &mut rng())
}

// ---------------------------------------------------------------- recurrent layers

#[test]
fn rnn_matches_equations_both_directions() {
    let dev = Dev::default();
    let mut rng = rng();
    let rnn = Rnn::<f64, Dev>::new(&dev, 3, 4, &mut rng);
    let (xv, x) = random_input(&dev, DIMS, &mut rng);
    for reverse in [false, true] {
        let got = reference_outputs(&rnn, &x, reverse);
        assert_close(
            &got,
            &HostCell::rnn(&rnn).run(&xv, DIMS, &LENGTHS, reverse),
            "rnn",
        );
    }
}

#[test]
fn lstm_matches_equations_for_every_gate_setting() {
    let dev = Dev::default();
    let mut rng = rng();
    let (xv, x) = random_input(&dev, DIMS, &mut rng);
    let settings = [
        GateSet::ALL,
        GateSet::without(Gate::Forget),
        GateSet::without(Gate::Input),
        GateSet::without(Gate::Output),
    ];
    let full = Lstm::<f64, Dev>::new(&dev, 3, 4, GateSet::ALL, &mut rng).num_trainable_params();
    for gates in settings {
        let lstm = Lstm::<f64, Dev>::new(&dev, 3, 4, gates, &mut rng);
        assert_eq!(lstm.w_x.shape().1, gates.num_blocks() * 4);
        if gates != GateSet::ALL {
            // One block of (E + H + 1)·H parameters fewer.
            assert_eq!(
                lstm.num_trainable_params(),
                full - (3 + 4 + 1) * 4,
                "{gates:?}"
            );
        }
        for reverse in [false, true] {
            let got = reference_outputs(&lstm, &x, reverse);
            let want = HostCell::lstm(&lstm).run(&xv, DIMS, &LENGTHS, reverse);
            assert_close(&got, &want, &format!("lstm {gates:?} reverse={reverse}"));
        }
    }
}

#[test]
fn lstm_without_gate_equals_full_lstm_with_that_gate_saturated_open() {
    // An independent check of "the gate is the constant 1": a full LSTM whose gate block has
    // zero weights and a huge bias (σ → 1) computes the same as the ablated one.
    let dev = Dev::default();
    let mut rng = rng();
    let (_, x) = random_input(&dev, DIMS, &mut rng);
    for gate in [Gate::Forget, Gate::Input, Gate::Output] {
        let ablated = Lstm::<f64, Dev>::new(&dev, 3, 4, GateSet::without(gate), &mut rng);
        let mut full = Lstm::<f64, Dev>::new(&dev, 3, 4, GateSet::ALL, &mut rng);
        let block = match gate {
            Gate::Forget => Block::Forget,
            Gate::Input => Block::Input,
            Gate::Output => Block::Output,
        };
        let (wx, wh, b) = (M::of(&ablated.w_x), M::of(&ablated.w_h), ablated.b.as_vec());
        let (mut fx, mut fh, mut fb) = (M::of(&full.w_x), M::of(&full.w_h), full.b.as_vec());
        let h = 4;
        for blk in [Block::Input, Block::Forget, Block::Candidate, Block::Output] {
            let dst = GateSet::ALL.block_index(blk).unwrap();
            for j in 0..h {
                let dcol = dst * h + j;
                match ablated.gates().block_index(blk) {
                    Some(src) => {
                        let scol = src * h + j;
                        for r in 0..fx.rows {
                            fx.v[r * fx.cols + dcol] = wx.at(r, scol);
                        }
                        for r in 0..fh.rows {
                            fh.v[r * fh.cols + dcol] = wh.at(r, scol);
                        }
                        fb[dcol] = b[scol];
                    }
                    None => {
                        assert_eq!(blk, block);
                        for r in 0..fx.rows {
                            fx.v[r * fx.cols + dcol] = 0.0;
                        }
                        for r in 0..fh.rows {
                            fh.v[r * fh.cols + dcol] = 0.0;
                        }
                        fb[dcol] = 60.0;
                    }
                }
            }
        }
        full.w_x.copy_from(&fx.v);
        full.w_h.copy_from(&fh.v);
        full.b.copy_from(&fb);
        let a = reference_outputs(&ablated, &x, false);
        let f = reference_outputs(&full, &x, false);
        assert_close(&a, &f, &format!("without {gate:?}"));
    }
}

#[test]
fn padded_outputs_are_zero_and_padding_values_do_not_matter() {
    let dev = Dev::default();
    let mut rng = rng();
    let lstm = Lstm::<f64, Dev>::new(&dev, 3, 4, GateSet::ALL, &mut rng);
    let (mut xv, x) = random_input(&dev, DIMS, &mut rng);
    for (r, &len) in LENGTHS.iter().enumerate() {
        for t in len..DIMS.1 {
            for e in 0..DIMS.2 {
                xv[(r * DIMS.1 + t) * DIMS.2 + e] = 1e3;
            }
        }
    }
    let x2 = dev.tensor_from_vec(xv, DIMS);
    for reverse in [false, true] {
        let a = reference_outputs(&lstm, &x, reverse);
        let b = reference_outputs(&lstm, &x2, reverse);
        assert_close(&a, &b, "padding values");
        for (r, &len) in LENGTHS.iter().enumerate() {
            for t in len..DIMS.1 {
                assert!(
                    a[(r * DIMS.1 + t) * 4..(r * DIMS.1 + t + 1) * 4]
                        .iter()
                        .all(|&v| v == 0.0)
                );
            }
        }
    }
}

/// Reverses each row's real tokens (padding stays in place).
fn reverse_rows(x: &[f64], dims: (usize, usize, usize), lengths: &[usize]) -> Vec<f64> {
    let (b, t, e) = dims;
    let mut out = x.to_vec();
    for r in 0..b {
        for p in 0..lengths[r] {
            let q = lengths[r] - 1 - p;
            out[(r * t + p) * e..(r * t + p + 1) * e]
                .copy_from_slice(&x[(r * t + q) * e..(r * t + q + 1) * e]);
        }
    }
    out
}

#[test]
fn bidirectional_backward_half_is_a_forward_layer_on_reversed_tokens() {
    let dev = Dev::default();
    let mut rng = rng();
    let fwd = Lstm::<f64, Dev>::new(&dev, 3, 4, GateSet::ALL, &mut rng);
    let bwd = Lstm::<f64, Dev>::new(&dev, 3, 4, GateSet::ALL, &mut rng);
    let bi = Bidirectional::new(fwd.clone(), Some(bwd.clone()));
    let (xv, x) = random_input(&dev, DIMS, &mut rng);
    let dirs = bi.forward(x.clone(), REFERENCE_PASS, None);
    let backward = dirs.backward.as_ref().unwrap().as_vec();
    let rev = dev.tensor_from_vec(reverse_rows(&xv, DIMS, &LENGTHS), DIMS);
    let on_reversed = reference_outputs(&bwd, &rev, false);
    let want = reverse_rows(&on_reversed, (4, 6, 4), &LENGTHS);
    assert_close(&backward, &want, "backward half");
    assert_close(
        &dirs.forward.as_vec(),
        &reference_outputs(&fwd, &x, false),
        "forward half",
    );
}

#[test]
fn stacked_bidirectional_layers_compose_the_equations() {
    let dev = Dev::default();
    let mut rng = rng();
    let mut make_rng = StdRng::seed_from_u64(3);
    let stack = RecurrentStack::new(2, 3, 4, true, 0.0, |input| {
        Rnn::<f64, Dev>::new(&dev, input, 4, &mut make_rng)
    });
    let (xv, x) = random_input(&dev, DIMS, &mut rng);
    let got = stack.forward(x, REFERENCE_PASS, None).concat().as_vec();
    let mut input = xv;
    let mut width = 3;
    for layer in &stack.layers.items {
        let dims = (DIMS.0, DIMS.1, width);
        let f = HostCell::rnn(&layer.forward).run(&input, dims, &LENGTHS, false);
        let b = HostCell::rnn(&layer.backward.items[0]).run(&input, dims, &LENGTHS, true);
        input = f
            .chunks(4)
            .zip(b.chunks(4))
            .flat_map(|(f, b)| f.iter().chain(b).copied())
            .collect();
        width = 8;
    }
    assert_close(&got, &input, "2-layer bidirectional stack");
}

// ---------------------------------------------------------------- convolution

fn host_conv(
    x: &[f64],
    dims: (usize, usize, usize),
    lengths: &[usize],
    conv: &Conv1d<f64, Dev>,
) -> (Vec<f64>, usize) {
    let (b, t, cin) = dims;
    let (k, p, cout) = (conv.kernel, conv.padding, conv.out_channels());
    let w = M::of(&conv.weight);
    let bias = conv.bias.as_vec();
    let out_len = (t + 2 * p + 1).saturating_sub(k).max(1);
    let mut y = vec![f64::NAN; b * out_len * cout];
    for r in 0..b {
        let valid = (lengths[r] + 2 * p + 1).saturating_sub(k);
        for j in 0..valid {
            for c in 0..cout {
                let mut acc = bias[c];
                for q in 0..k {
                    let pos = j as isize - p as isize + q as isize;
                    if pos < 0 || pos as usize >= lengths[r] {
                        continue; // zero padding
                    }
                    for ci in 0..cin {
                        acc += x[(r * t + pos as usize) * cin + ci] * w.at(q * cin + ci, c);
                    }
                }
                y[(r * out_len + j) * cout + c] = acc;
            }
        }
    }
    (y, out_len)
}

#[test]
fn conv1d_matches_direct_convolution() {
    let dev = Dev::default();
    let mut rng = rng();
    let (xv, x) = random_input(&dev, DIMS, &mut rng);
    for (k, p) in [(1, 0), (2, 0), (3, 1), (5, 2), (6, 0)] {
        let conv = Conv1d::<f64, Dev>::new(&dev, k, 3, 5, p, &mut rng);
        let (y, out_lengths) = conv.forward(x.clone(), &LENGTHS);
        let (want, out_len) = host_conv(&xv, DIMS, &LENGTHS, &conv);
        assert_eq!(y.shape(), &(4, out_len, 5));
        let got = y.as_vec();
        for (r, &valid) in out_lengths.iter().enumerate() {
            assert_eq!(valid, (LENGTHS[r] + 2 * p + 1).saturating_sub(k));
            let range = r * out_len * 5..(r * out_len + valid) * 5;
            assert_close(
                &got[range.clone()],
                &want[range],
                &format!("conv k={k} p={p} row {r}"),
            );
        }
    }
}

#[test]
fn conv1d_on_token_ids_equals_conv1d_on_embedded_tokens() {
    let dev = Dev::default();
    let mut rng = rng();
    let emb = Embedding::<f64, Dev>::new(&dev, 11, 3, &mut rng);
    let b = random_batch(&LENGTHS, 6, 11, &mut rng);
    let ids: Vec<usize> = b.ids.iter().map(|&i| i as usize).collect();
    for (k, p) in [(2, 0), (3, 1)] {
        let conv = Conv1d::<f64, Dev>::new(&dev, k, 3, 5, p, &mut rng);
        let x = emb.forward(&ids, 4, 6, NoneTape);
        let (want, _) = conv.forward(x, &LENGTHS);
        let plan = conv.plan(&LENGTHS, 6);
        let got = conv.forward_tokens(&emb, &ids, &plan, 6, NoneTape);
        let (want, got) = (want.as_vec(), got.as_vec());
        for (r, &valid) in plan.out_lengths.iter().enumerate() {
            let range = r * plan.out_len * 5..(r * plan.out_len + valid) * 5;
            assert_close(&got[range.clone()], &want[range], "token conv");
        }
    }
}

// ---------------------------------------------------------------- pooling and classifiers

/// Host pooling of (B, T, F) outputs (`fwd_width` leading features are the forward direction).
fn host_pool(
    x: &[f64],
    dims: (usize, usize, usize),
    lengths: &[usize],
    agg: Aggregation,
    fwd_width: usize,
    q: &[f64],
) -> Vec<f64> {
    let (_, t, f) = dims;
    let at = |r: usize, p: usize, c: usize| x[(r * t + p) * f + c];
    let mut out = Vec::new();
    for (r, &len) in lengths.iter().enumerate() {
        for c in 0..f {
            out.push(match agg {
                Aggregation::Final => at(r, if c < fwd_width { len - 1 } else { 0 }, c),
                Aggregation::Mean => (0..len).map(|p| at(r, p, c)).sum::<f64>() / len as f64,
                Aggregation::Max => (0..len).map(|p| at(r, p, c)).fold(f64::MIN, f64::max),
                Aggregation::Attention => {
                    let s: Vec<f64> = (0..len)
                        .map(|p| (0..f).map(|d| q[d] * at(r, p, d)).sum())
                        .collect();
                    let m = s.iter().cloned().fold(f64::MIN, f64::max);
                    let z: f64 = s.iter().map(|v| (v - m).exp()).sum();
                    (0..len).map(|p| (s[p] - m).exp() / z * at(r, p, c)).sum()
                }
            });
        }
    }
    out
}

#[test]
fn poolings_match_loops() {
    let dev = Dev::default();
    let mut rng = rng();
    let (mut xv, _) = random_input(&dev, DIMS, &mut rng);
    for (r, &len) in LENGTHS.iter().enumerate() {
        for v in &mut xv[(r * 6 + len) * 3..(r + 1) * 6 * 3] {
            *v = 0.0; // recurrent outputs are zero at padding
        }
    }
    let x0 = dev.tensor_from_vec(xv.clone(), DIMS);
    let q: Vec<f64> = (0..3).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let qt = dev.tensor_from_vec(q.clone(), (3,));
    let mean = pooling::mean_pool(x0.clone(), &LENGTHS).as_vec();
    assert_close(
        &mean,
        &host_pool(&xv, DIMS, &LENGTHS, Aggregation::Mean, 3, &q),
        "mean",
    );
    let max = pooling::max_pool(x0.clone(), &LENGTHS).as_vec();
    assert_close(
        &max,
        &host_pool(&xv, DIMS, &LENGTHS, Aggregation::Max, 3, &q),
        "max",
    );
    let att = pooling::attention_pool(x0.clone(), &qt, &LENGTHS).as_vec();
    assert_close(
        &att,
        &host_pool(&xv, DIMS, &LENGTHS, Aggregation::Attention, 3, &q),
        "attention",
    );
}

/// Host logits of a recurrent classifier (no dropout).
fn host_recurrent_logits(model: &Classifier<f64, Dev>, b: &Batch) -> Vec<f64> {
    let emb = M::of(&model.embedding.weight);
    let (bs, t) = (b.batch_size, b.seq_len);
    let mut x: Vec<f64> = b
        .ids
        .iter()
        .flat_map(|&id| emb.v[id as usize * emb.cols..(id as usize + 1) * emb.cols].to_vec())
        .collect();
    let mut width = emb.cols;
    let (feat, agg, fwd_width, q) = if let Some(enc) = model.lstm.items.first() {
        let mut fwd_w = 0;
        for layer in &enc.stack.layers.items {
            let dims = (bs, t, width);
            let f = HostCell::lstm(&layer.forward).run(&x, dims, &b.lengths, false);
            let h = layer.forward.hidden();
            fwd_w = h;
            x = match layer.backward.items.first() {
                Some(bl) => {
                    let bw = HostCell::lstm(bl).run(&x, dims, &b.lengths, true);
                    width = 2 * h;
                    f.chunks(h)
                        .zip(bw.chunks(h))
                        .flat_map(|(a, c)| a.iter().chain(c).copied())
                        .collect()
                }
                None => {
                    width = h;
                    f
                }
            };
        }
        let q = enc
            .pooling
            .query
            .items
            .first()
            .map(|q| q.q.as_vec())
            .unwrap_or_default();
        (x, enc.pooling.aggregation(), fwd_w, q)
    } else {
        unreachable!("LSTM classifiers only")
    };
    let pooled = host_pool(&feat, (bs, t, width), &b.lengths, agg, fwd_width, &q);
    let w = M::of(&model.head.weight);
    let bias = model.head.bias.as_vec();
    pooled
        .chunks(width)
        .flat_map(|row| {
            (0..2)
                .map(|c| dot_col(row, &w, c) + bias[c])
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn lstm_classifier_matches_host_pipeline_for_every_aggregation() {
    let dev = Dev::seed_from_u64(1);
    let b = classifier_batch();
    for agg in Aggregation::ALL {
        for bidirectional in [false, true] {
            let mut cfg = ModelConfig::new(ModelKind::Lstm);
            cfg.embedding_dim = 3;
            cfg.hidden_size = 4;
            cfg.num_layers = 2;
            cfg.bidirectional = bidirectional;
            cfg.aggregation = agg;
            cfg.disabled_gate = Some(Gate::Input);
            let model = Classifier::<f64, Dev>::new(&cfg, VOCAB, &dev).unwrap();
            let got = model.forward_eval(&b).as_vec();
            assert_close(
                &got,
                &host_recurrent_logits(&model, &b),
                &format!("{agg:?} bi={bidirectional}"),
            );
        }
    }
}

#[test]
fn cnn_classifier_matches_host_pipeline() {
    let dev = Dev::seed_from_u64(2);
    let b = classifier_batch();
    let mut cfg = ModelConfig::new(ModelKind::Cnn);
    cfg.embedding_dim = 3;
    cfg.kernel_widths = vec![1, 2, 3];
    cfg.channels = 4;
    cfg.conv_padding = 1;
    let model = Classifier::<f64, Dev>::new(&cfg, VOCAB, &dev).unwrap();
    let emb = M::of(&model.embedding.weight);
    let x: Vec<f64> = b
        .ids
        .iter()
        .flat_map(|&id| emb.v[id as usize * 3..id as usize * 3 + 3].to_vec())
        .collect();
    let mut features = vec![Vec::new(); 4];
    for conv in &model.cnn.items[0].branches.items {
        let (y, out_len) = host_conv(&x, (4, 6, 3), &LENGTHS, conv);
        for (r, feat) in features.iter_mut().enumerate() {
            let valid = (LENGTHS[r] + 2 + 1).saturating_sub(conv.kernel);
            for c in 0..4 {
                let m = (0..valid)
                    .map(|j| y[(r * out_len + j) * 4 + c])
                    .fold(f64::MIN, f64::max);
                feat.push(m.max(0.0)); // ReLU after the max over time
            }
        }
    }
    let w = M::of(&model.head.weight);
    let bias = model.head.bias.as_vec();
    let want: Vec<f64> = features
        .iter()
        .flat_map(|f| {
            (0..2)
                .map(|c| dot_col(f, &w, c) + bias[c])
                .collect::<Vec<_>>()
        })
        .collect();
    assert_close(&model.forward_eval(&b).as_vec(), &want, "cnn logits");
}

#[test]
fn gate_ablation_removes_parameters_from_the_classifier() {
    let dev = Dev::default();
    let mut cfg = ModelConfig::new(ModelKind::Lstm);
    cfg.embedding_dim = 5;
    cfg.hidden_size = 6;
    cfg.num_layers = 2;
    cfg.bidirectional = true;
    let full = Classifier::<f32, Dev>::new(&cfg, 20, &dev)
        .unwrap()
        .num_params();
    for gate in [Gate::Forget, Gate::Input, Gate::Output] {
        cfg.disabled_gate = Some(gate);
        let n = Classifier::<f32, Dev>::new(&cfg, 20, &dev)
            .unwrap()
            .num_params();
        // Per direction: layer 0 loses (5 + 6 + 1)·6, layer 1 loses (12 + 6 + 1)·6.
        assert_eq!(
            full - n,
            2 * ((5 + 6 + 1) * 6 + (12 + 6 + 1) * 6),
            "{gate:?}"
        );
    }
}

#[test]
fn classifier_collection_supports_optimizer_and_safetensors() {
    let dev = Dev::seed_from_u64(0);
    let mut rng = rng();
    for kind in [ModelKind::Cnn, ModelKind::Rnn, ModelKind::Lstm] {
        let mut cfg = ModelConfig::new(kind);
        cfg.embedding_dim = 8;
        cfg.hidden_size = 6;
        cfg.channels = 4;
        cfg.num_layers = 2;
        cfg.bidirectional = true;
        cfg.aggregation = Aggregation::Attention;
        let mut model = Classifier::<f32, Dev>::new(&cfg, 50, &dev).unwrap();
        let b = random_batch(&[5, 3, 1], 6, 50, &mut rng);
        let mut opt = Adam::new(&model, AdamConfig::default());
        let grads = model.alloc_grads();
        let logits = model.forward_train(&b, grads);
        let targets = dev.tensor_from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 0.0], (3, Const::<2>));
        let loss = cross_entropy_with_logits_loss(logits, targets);
        let grads = loss.backward();
        let before = model.forward_eval(&b).as_vec();
        opt.update(&mut model, &grads)
            .expect("every parameter has a gradient");
        assert_ne!(
            before,
            model.forward_eval(&b).as_vec(),
            "{kind:?}: the update changed nothing"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        model.save_safetensors(&path).unwrap();
        let mut other = Classifier::<f32, Dev>::new(&cfg, 50, &dev).unwrap();
        other.load_safetensors(&path).unwrap();
        assert_eq!(
            model.forward_eval(&b).as_vec(),
            other.forward_eval(&b).as_vec(),
            "{kind:?}"
        );
    }
}

#[test]
fn config_errors_name_the_field_and_allowed_values() {
    let err = ModelConfig::from_json(r#"{"kind": "gru"}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"model config field `kind`: got "gru", expected one of "cnn", "rnn", "lstm""#
    );
    let invalid = |json: &str, want: &str| {
        let err = ModelConfig::from_json(json).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { field, .. } if *field == want),
            "{json}: {err}"
        );
        err.to_string()
    };
    let msg = invalid(r#"{"kind": "lstm", "aggregation": "sum"}"#, "aggregation");
    assert!(
        msg.contains(r#""final", "mean", "max", "attention""#),
        "{msg}"
    );
    invalid(
        r#"{"kind": "lstm", "disabled_gate": "cell"}"#,
        "disabled_gate",
    );
    invalid(
        r#"{"kind": "rnn", "disabled_gate": "forget"}"#,
        "disabled_gate",
    );
    invalid(r#"{"kind": "rnn", "dropout": 1.5}"#, "dropout");
    invalid(r#"{"kind": "cnn", "kernel_widths": []}"#, "kernel_widths");
    let err = ModelConfig::from_json(r#"{"kind": "cnn", "kernels": [3]}"#).unwrap_err();
    assert!(err.to_string().contains("kernels"), "{err}");
    let cfg = ModelConfig::from_json(r#"{"kind": "lstm", "bidirectional": true, "aggregation": "max", "disabled_gate": "output"}"#).unwrap();
    assert_eq!(cfg.disabled_gate, Some(Gate::Output));
    assert_eq!(
        serde_json::from_str::<ModelConfig>(&serde_json::to_string(&cfg).unwrap()).unwrap(),
        cfg
    );
}

/// The fused CPU ops (embedding lookup, CNN branches, recurrent layers) give the reference
/// path's logits and the gradients of every parameter.
#[test]
fn fused_cpu_path_matches_reference_path_in_f32() {
    let dev = Cpu::seed_from_u64(4);
    let mut rng = rng();
    let b = random_batch(&[7, 3, 1, 5], 8, 23, &mut rng);
    let gates = [
        None,
        Some(Gate::Forget),
        Some(Gate::Input),
        Some(Gate::Output),
    ];
    let mut cfgs: Vec<ModelConfig> = gates
        .iter()
        .map(|&g| (ModelKind::Lstm, g))
        .chain([(ModelKind::Rnn, None)])
        .map(|(kind, gate)| {
            let mut cfg = ModelConfig::new(kind);
            cfg.hidden_size = 6;
            cfg.num_layers = 2;
            cfg.bidirectional = true;
            cfg.aggregation = Aggregation::Mean;
            cfg.disabled_gate = gate;
            cfg
        })
        .collect();
    for (widths, padding) in [(vec![1, 2, 3], 0), (vec![3, 5], 1), (vec![2, 9], 2)] {
        let mut cfg = ModelConfig::new(ModelKind::Cnn);
        cfg.kernel_widths = widths;
        cfg.channels = 7;
        cfg.conv_padding = padding;
        cfgs.push(cfg);
    }
    for mut cfg in cfgs {
        cfg.embedding_dim = 5;
        let what = format!(
            "{:?} gate {:?} kernels {:?} padding {}",
            cfg.kind, cfg.disabled_gate, cfg.kernel_widths, cfg.conv_padding
        );
        let mut model = Classifier::<f32, Cpu>::new(&cfg, 23, &dev).unwrap();
        let mut run = |path: Path| {
            model.path = path;
            let logits = model.forward_with_tape(&b, OwnedTape::default(), false);
            let values = logits.as_vec();
            let mut grads = logits.sum().backward();
            let mut out = vec![("logits".to_string(), values)];
            for_each_gradient(&model, &mut grads, |tensor| {
                let name = format!("tensor {} {:?}", tensor.index, tensor.shape);
                out.push((name, tensor.gradient.to_vec()));
            })
            .unwrap();
            out
        };
        let fused = run(Path::Fastest);
        let reference = run(Path::Reference);
        assert_eq!(fused.len(), reference.len());
        for ((name, a), (_, r)) in fused.iter().zip(&reference) {
            assert_eq!(a.len(), r.len(), "{what} {name}");
            assert!(r.iter().any(|&v| v != 0.0), "{what} {name}: all zero");
            for (x, y) in a.iter().zip(r) {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "{what} {name}: fused {x} vs reference {y}"
                );
            }
        }
    }
}

#[test]
fn device_and_dtype_conversions_keep_the_settings() {
    let dev = Cpu::seed_from_u64(5);
    let b = classifier_batch();
    let mut cnn = ModelConfig::new(ModelKind::Cnn);
    cnn.kernel_widths = vec![2, 3];
    cnn.conv_padding = 1;
    let mut lstm = ModelConfig::new(ModelKind::Lstm);
    lstm.bidirectional = true;
    lstm.aggregation = Aggregation::Attention;
    lstm.disabled_gate = Some(Gate::Forget);
    for cfg in [cnn, lstm] {
        let mut small = cfg.clone();
        small.embedding_dim = 4;
        small.hidden_size = 3;
        small.channels = 3;
        let model = Classifier::<f32, Cpu>::new(&small, VOCAB, &dev).unwrap();
        let want = model.forward_eval(&b).as_vec();
        let moved = model.to_device(&Cpu::default());
        assert_eq!(moved.forward_eval(&b).as_vec(), want, "{:?}", cfg.kind);
        let wide = model.to_dtype::<f64>();
        for (x, y) in wide.forward_eval(&b).as_vec().iter().zip(&want) {
            assert!(
                (x - *y as f64).abs() < 1e-5,
                "{:?}: f64 {x} vs f32 {y}",
                cfg.kind
            );
        }
        // dfdx's own conversion cannot see the settings; the model refuses to run.
        let raw: Classifier<f32, Cpu> = ToDevice::to_device(&model, &Cpu::default());
        let err = raw.check_settings().unwrap_err();
        assert_eq!(err, ClassifierError::SettingsLost);
        assert!(err.to_string().contains("lost"), "{err}");
    }
}
