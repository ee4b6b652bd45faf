//! The fused whole-sequence RNN/LSTM ops against an independent plain-Rust (f64) evaluation
//! of the equations: outputs, and every gradient (x, w_x, w_h, b) against central finite
//! differences of that f64 evaluation, for every gate setting, forward and reverse, ragged
//! lengths (including length-1 and length-0 rows) and several thread counts; the same against
//! the op-by-op dfdx reference (`nn::reference`, autodiff gradients) at sizes that take the
//! vectorized kernels' fast paths. A directional finite-difference check runs through the
//! fused op itself.

use dfdx::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sentiment_rnn::nn::fused::{Isa, conv1d_max_relu, embedding_lookup, recurrent_sequence};
use sentiment_rnn::nn::gates::GateSet;
use sentiment_rnn::nn::reference::{self, Recurrence, Weights};

/// Problem sizes and inputs for one case (all values in f64; the op sees them as f32).
#[derive(Clone, Debug)]
struct Case {
    batch: usize,
    seq: usize,
    embed: usize,
    hidden: usize,
    lengths: Vec<usize>,
    reverse: bool,
    /// LSTM gates [input, forget, candidate, output]; `None` for the RNN.
    gates: Option<[bool; 4]>,
    x: Vec<f64>,
    w_x: Vec<f64>,
    w_h: Vec<f64>,
    b: Vec<f64>,
    /// Loss weights: loss = Σ out ⊙ r.
    r: Vec<f64>,
}

impl Case {
    /// A random case of shape `(batch, seq, embed, hidden)`.
    fn new(
        seed: u64,
        (batch, seq, embed, hidden): (usize, usize, usize, usize),
        lengths: Vec<usize>,
        reverse: bool,
        gates: Option<[bool; 4]>,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let g = gates.map_or(1, |m| m.iter().filter(|&&on| on).count());
        let mut u = |n: usize, s: f64| (0..n).map(|_| rng.gen_range(-s..s)).collect::<Vec<f64>>();
        Self {
            x: u(batch * seq * embed, 1.0),
            w_x: u(embed * g * hidden, 0.8),
            w_h: u(hidden * g * hidden, 0.8),
            b: u(g * hidden, 0.5),
            r: u(batch * seq * hidden, 1.0),
            batch,
            seq,
            embed,
            hidden,
            lengths,
            reverse,
            gates,
        }
    }

    fn gh(&self) -> usize {
        self.w_h.len() / self.hidden
    }

    /// Plain per-row, per-step evaluation of the equations.
    fn reference_outputs(&self, x: &[f64], w_x: &[f64], w_h: &[f64], b: &[f64]) -> Vec<f64> {
        let (e, h, gh) = (self.embed, self.hidden, self.gh());
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let mut out = vec![0.0; self.batch * self.seq * h];
        for row in 0..self.batch {
            let len = self.lengths[row];
            let mut hprev = vec![0.0; h];
            let mut c = vec![0.0; h];
            for step in 0..len {
                let pos = if self.reverse { len - 1 - step } else { step };
                let xt = &x[(row * self.seq + pos) * e..][..e];
                let pre: Vec<f64> = (0..gh)
                    .map(|k| {
                        b[k] + (0..e).map(|i| xt[i] * w_x[i * gh + k]).sum::<f64>()
                            + (0..h).map(|j| hprev[j] * w_h[j * gh + k]).sum::<f64>()
                    })
                    .collect();
                let hnew: Vec<f64> = match self.gates {
                    None => pre.iter().map(|v| v.tanh()).collect(),
                    Some(mask) => {
                        let mut blocks = [None; 4];
                        let mut next = 0;
                        for k in 0..4 {
                            if mask[k] {
                                blocks[k] = Some(next);
                                next += 1;
                            }
                        }
                        let gate = |k: usize, j: usize| match blocks[k] {
                            None => 1.0,
                            Some(blk) if k == 2 => f64::tanh(pre[blk * h + j]),
                            Some(blk) => sig(pre[blk * h + j]),
                        };
                        (0..h)
                            .map(|j| {
                                c[j] = gate(1, j) * c[j] + gate(0, j) * gate(2, j);
                                gate(3, j) * c[j].tanh()
                            })
                            .collect()
                    }
                };
                out[(row * self.seq + pos) * h..][..h].copy_from_slice(&hnew);
                hprev = hnew;
            }
        }
        out
    }

    fn reference_loss(&self, params: &[Vec<f64>; 4]) -> f64 {
        let out = self.reference_outputs(&params[0], &params[1], &params[2], &params[3]);
        out.iter().zip(&self.r).map(|(o, r)| o * r).sum()
    }

    /// Central finite differences (f64) of the reference loss w.r.t. every x, w_x, w_h, b entry.
    fn reference_grads(&self) -> [Vec<f64>; 4] {
        let mut params = [
            self.x.clone(),
            self.w_x.clone(),
            self.w_h.clone(),
            self.b.clone(),
        ];
        let eps = 1e-6;
        std::array::from_fn(|p| {
            (0..params[p].len())
                .map(|i| {
                    let v = params[p][i];
                    params[p][i] = v + eps;
                    let up = self.reference_loss(&params);
                    params[p][i] = v - eps;
                    let down = self.reference_loss(&params);
                    params[p][i] = v;
                    (up - down) / (2.0 * eps)
                })
                .collect()
        })
    }

    fn gate_set(&self) -> GateSet {
        let m = self.gates.expect("an LSTM case");
        GateSet {
            input: m[0],
            forget: m[1],
            output: m[3],
        }
    }

    /// Runs the fused op (f32) on the given parameters; returns (outputs, loss, grads of x, w_x, w_h, b).
    fn fused(&self, params: &[Vec<f64>; 4]) -> (Vec<f64>, f64, [Vec<f64>; 4]) {
        self.run(params, false)
    }

    /// [`Self::fused`], or the op-by-op reference op when `op_by_op`.
    fn run(&self, params: &[Vec<f64>; 4], op_by_op: bool) -> (Vec<f64>, f64, [Vec<f64>; 4]) {
        let dev = Cpu::default();
        let f = |v: &Vec<f64>| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
        let (e, h, gh) = (self.embed, self.hidden, self.gh());
        let x = dev.tensor_from_vec(f(&params[0]), (self.batch, self.seq, e));
        let w_x = dev.tensor_from_vec(f(&params[1]), (e, gh));
        let w_h = dev.tensor_from_vec(f(&params[2]), (h, gh));
        let b = dev.tensor_from_vec(f(&params[3]), (gh,));
        let r = dev.tensor_from_vec(f(&self.r), (self.batch, self.seq, h));
        let (xt, lens, gates, rev) = (
            x.clone().leaky_traced(),
            &self.lengths,
            self.gates,
            self.reverse,
        );
        let weights = Weights {
            w_x: &w_x,
            w_h: &w_h,
            b: &b,
        };
        let out = match (gates, op_by_op) {
            (Some(_), false) => {
                let lstm = Recurrence::Lstm(self.gate_set());
                recurrent_sequence(xt, weights, lstm, lens, rev)
            }
            (Some(_), true) => {
                let lstm = Recurrence::Lstm(self.gate_set());
                reference::sequence(xt, weights, lstm, lens, rev, None)
            }
            (None, false) => recurrent_sequence(xt, weights, Recurrence::Rnn, lens, rev),
            (None, true) => reference::sequence(xt, weights, Recurrence::Rnn, lens, rev, None),
        };
        let out_untaped: Vec<f64> = out
            .retaped::<NoneTape>()
            .as_vec()
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let loss = (out * r).sum();
        let loss_value = f64::from(loss.array());
        let g = loss.backward();
        let to64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
        let grads = [
            to64(g.get(&x).as_vec()),
            to64(g.get(&w_x).as_vec()),
            to64(g.get(&w_h).as_vec()),
            to64(g.get(&b).as_vec()),
        ];
        (out_untaped, loss_value, grads)
    }

    fn params(&self) -> [Vec<f64>; 4] {
        [
            self.x.clone(),
            self.w_x.clone(),
            self.w_h.clone(),
            self.b.clone(),
        ]
    }
}

fn assert_close(name: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{name}[{i}]: fused {g} vs reference {w}"
        );
    }
}

/// Checks outputs and all four gradients of one case against the f64 reference.
fn check(case: &Case) {
    let got = case.fused(&case.params());
    check_against(case, &got, &case.reference_grads());
}

/// Checks the fused op's `(outputs, loss, grads)` against the f64 reference outputs and the
/// reference gradients `want_grads`.
fn check_against(case: &Case, got: &(Vec<f64>, f64, [Vec<f64>; 4]), want_grads: &[Vec<f64>; 4]) {
    let (out, _, grads) = got;
    let want = case.reference_outputs(&case.x, &case.w_x, &case.w_h, &case.b);
    assert_close("output", out, &want, 2e-5);
    for (b, &len) in case.lengths.iter().enumerate() {
        for t in len..case.seq {
            assert!(
                out[(b * case.seq + t) * case.hidden..][..case.hidden]
                    .iter()
                    .all(|&v| v == 0.0),
                "padding of row {b} not zero"
            );
        }
    }
    for (name, (g, w)) in ["x", "w_x", "w_h", "b"]
        .iter()
        .zip(grads.iter().zip(want_grads))
    {
        assert_close(
            &format!(
                "gates {:?} reverse {} lengths {:?}: d{name}",
                case.gates, case.reverse, case.lengths
            ),
            g,
            w,
            1e-4,
        );
    }
}

const LENGTHS: [usize; 5] = [5, 1, 3, 0, 5];

fn all_gate_settings() -> impl Iterator<Item = [bool; 4]> {
    (0..8).map(|m| [m & 1 != 0, m & 2 != 0, true, m & 4 != 0])
}

#[test]
fn lstm_matches_reference_for_every_gate_setting_and_direction() {
    for (seed, gates) in all_gate_settings().enumerate() {
        for reverse in [false, true] {
            check(&Case::new(
                seed as u64,
                (5, 6, 3, 4),
                LENGTHS.to_vec(),
                reverse,
                Some(gates),
            ));
        }
    }
}

#[test]
fn rnn_matches_reference_in_both_directions() {
    for reverse in [false, true] {
        check(&Case::new(
            11,
            (5, 6, 3, 4),
            LENGTHS.to_vec(),
            reverse,
            None,
        ));
    }
}

/// E = H = 16 makes every kernel matmul take the packed AVX2 path (widths G·H, H and E are
/// multiples of 16); the op-by-op reference's autodiff is the independent check here.
#[test]
fn fused_ops_match_the_op_by_op_reference() {
    let lengths = vec![9, 1, 4, 9, 7, 2, 9];
    let mut cases: Vec<Case> = all_gate_settings()
        .enumerate()
        .flat_map(|(seed, gates)| {
            [false, true].map(|reverse| {
                Case::new(
                    60 + seed as u64,
                    (7, 9, 16, 16),
                    lengths.clone(),
                    reverse,
                    Some(gates),
                )
            })
        })
        .collect();
    cases.extend(
        [false, true].map(|reverse| Case::new(70, (7, 9, 16, 16), lengths.clone(), reverse, None)),
    );
    for case in &cases {
        let (out, _, grads) = case.run(&case.params(), false);
        let (want_out, _, want_grads) = case.run(&case.params(), true);
        let what = format!("gates {:?} reverse {}", case.gates, case.reverse);
        assert_close(&format!("{what}: output"), &out, &want_out, 1e-5);
        for (name, (g, w)) in ["x", "w_x", "w_h", "b"]
            .iter()
            .zip(grads.iter().zip(&want_grads))
        {
            assert_close(&format!("{what}: d{name}"), g, w, 1e-4);
        }
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let lstm = Case::new(
        21,
        (7, 5, 3, 3),
        vec![5, 2, 1, 5, 4, 1, 3],
        true,
        Some([true; 4]),
    );
    let rnn = Case::new(22, (7, 5, 3, 3), vec![1, 5, 2, 3, 5, 4, 1], false, None);
    for threads in [1, 3, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            check(&lstm);
            check(&rnn);
        });
    }
}

#[test]
fn untaped_forward_equals_taped_forward() {
    let case = Case::new(
        31,
        (4, 5, 3, 4),
        vec![5, 4, 2, 1],
        false,
        Some([true, false, true, true]),
    );
    let dev = Cpu::default();
    let f = |v: &Vec<f64>| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    let x = dev.tensor_from_vec(f(&case.x), (4, 5, 3));
    let w_x = dev.tensor_from_vec(f(&case.w_x), (3, 12));
    let w_h = dev.tensor_from_vec(f(&case.w_h), (4, 12));
    let b = dev.tensor_from_vec(f(&case.b), (12,));
    let weights = Weights {
        w_x: &w_x,
        w_h: &w_h,
        b: &b,
    };
    let lstm = Recurrence::Lstm(case.gate_set());
    let plain = recurrent_sequence(x.clone(), weights, lstm, &case.lengths, false);
    let (taped, _, _) = case.fused(&case.params());
    let plain: Vec<f64> = plain.as_vec().into_iter().map(f64::from).collect();
    assert_eq!(plain, taped);
}

/// Directional finite difference through the fused op itself (f32, so a loose tolerance).
#[test]
fn fused_backward_matches_directional_finite_difference() {
    for gates in [Some([true; 4]), Some([false, true, true, false]), None] {
        let case = Case::new(41, (4, 6, 5, 6), vec![6, 3, 1, 6], false, gates);
        let (_, _, grads) = case.fused(&case.params());
        let mut rng = StdRng::seed_from_u64(42);
        let dir: [Vec<f64>; 4] = std::array::from_fn(|p| {
            (0..grads[p].len())
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect()
        });
        let analytic: f64 = (0..4)
            .map(|p| {
                grads[p]
                    .iter()
                    .zip(&dir[p])
                    .map(|(g, d)| g * d)
                    .sum::<f64>()
            })
            .sum();
        let eps = 2e-3;
        let shifted = |sign: f64| {
            let params: [Vec<f64>; 4] = std::array::from_fn(|p| {
                case.params()[p]
                    .iter()
                    .zip(&dir[p])
                    .map(|(v, d)| v + sign * eps * d)
                    .collect()
            });
            case.fused(&params).1
        };
        let numeric = (shifted(1.0) - shifted(-1.0)) / (2.0 * eps);
        assert!(
            (numeric - analytic).abs() <= 2e-3 * (1.0 + analytic.abs()),
            "{gates:?}: numeric {numeric} vs analytic {analytic}"
        );
    }
}

#[test]
fn empty_and_all_padding_batches_give_zero_outputs_and_gradients() {
    let case = Case::new(51, (3, 4, 2, 3), vec![0, 0, 0], false, Some([true; 4]));
    let (out, _, grads) = case.fused(&case.params());
    assert!(out.iter().all(|&v| v == 0.0));
    assert!(grads.iter().all(|g| g.iter().all(|&v| v == 0.0)));
}

/// One CNN branch's inputs: `x: (B, T, E)` of `shape`, `weight: (kernel·E, C)`, `bias: (C,)`,
/// the rows' `lengths` and the loss weights `r: (B, C)`.
struct ConvCase<'a> {
    x: &'a [f32],
    shape: (usize, usize, usize),
    weight: &'a [f32],
    bias: &'a [f32],
    lengths: &'a [usize],
    kernel: usize,
    padding: usize,
    r: &'a [f32],
}

impl<'a> ConvCase<'a> {
    /// A case of `shape` and `(kernel, padding)`; `[x, weight, bias, r]` are the values.
    fn new(
        shape: (usize, usize, usize),
        lengths: &'a [usize],
        (kernel, padding): (usize, usize),
        [x, weight, bias, r]: [&'a [f32]; 4],
    ) -> Self {
        Self {
            x,
            shape,
            weight,
            bias,
            lengths,
            kernel,
            padding,
            r,
        }
    }
}

/// One CNN branch's outputs and its gradients of x, weight and bias.
type ConvResult = (Vec<f32>, [Vec<f32>; 3]);

/// Runs one CNN branch: fused, or op-by-op (`nn::conv1d::Conv1d` + masked max + ReLU) when
/// `op_by_op`. Returns (outputs, grads of x, weight, bias) for loss = Σ out ⊙ r.
fn conv_branch(case: &ConvCase, op_by_op: bool) -> ConvResult {
    let (shape, kernel, padding) = (case.shape, case.kernel, case.padding);
    use sentiment_rnn::nn::conv1d::Conv1d;
    use sentiment_rnn::nn::sequence::neg_mask;
    let dev = Cpu::default();
    let channels = case.bias.len();
    let x = dev.tensor_from_vec(case.x.to_vec(), shape);
    let w = dev.tensor_from_vec(case.weight.to_vec(), (kernel * shape.2, channels));
    let b = dev.tensor_from_vec(case.bias.to_vec(), (channels,));
    let out = if op_by_op {
        let conv = Conv1d {
            weight: w.clone(),
            bias: b.clone(),
            kernel,
            padding,
        };
        let (y, out_lengths) = conv.forward(x.clone().leaky_traced(), case.lengths);
        let ys = *y.shape();
        let m = neg_mask::<f32, Cpu>(&dev, &out_lengths, ys.1);
        (y + m.broadcast_like::<_, Axis<2>>(&ys))
            .max::<_, Axis<1>>()
            .relu()
    } else {
        conv1d_max_relu(
            x.clone().leaky_traced(),
            &w,
            &b,
            case.lengths,
            kernel,
            padding,
        )
    };
    let values = out.retaped::<NoneTape>().as_vec();
    let rt = dev.tensor_from_vec(case.r.to_vec(), (shape.0, channels));
    let g = (out * rt).sum().backward();
    (
        values,
        [g.get(&x).as_vec(), g.get(&w).as_vec(), g.get(&b).as_vec()],
    )
}

/// Values uniform in [-1, 1), drawn in order from one seeded generator.
struct Uniform(StdRng);

impl Uniform {
    fn new(seed: u64) -> Self {
        Self(StdRng::seed_from_u64(seed))
    }

    /// The next `n` values.
    fn take(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.0.gen_range(-1.0_f32..1.0)).collect()
    }
}

fn to64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&a| f64::from(a)).collect()
}

/// The fused branch's outputs and gradients `got` match the op-by-op ones `want` to 1e-5.
fn assert_conv_close(what: &str, got: &ConvResult, want: &ConvResult) {
    assert_close(
        &format!("{what}: output"),
        &to64(&got.0),
        &to64(&want.0),
        1e-5,
    );
    for (name, (g, w)) in ["x", "weight", "bias"]
        .iter()
        .zip(got.1.iter().zip(&want.1))
    {
        assert_close(&format!("{what}: d{name}"), &to64(g), &to64(w), 1e-5);
    }
}

#[test]
fn conv_branch_matches_the_op_by_op_cnn() {
    let (batch, seq, embed, channels) = (6, 11, 5, 16);
    let lengths = [11, 1, 4, 7, 11, 2];
    let mut u = Uniform::new(80);
    let x = u.take(batch * seq * embed);
    let r = u.take(batch * channels);
    for (kernel, padding) in [(3, 0), (5, 0), (3, 1), (4, 2), (1, 0)] {
        let weight = u.take(kernel * embed * channels);
        let bias = u.take(channels);
        let values = [&x[..], &weight, &bias, &r];
        let case = ConvCase::new((batch, seq, embed), &lengths, (kernel, padding), values);
        assert_conv_close(
            &format!("kernel {kernel} padding {padding}"),
            &conv_branch(&case, false),
            &conv_branch(&case, true),
        );
    }
}

#[test]
fn conv_branch_backward_matches_directional_finite_difference() {
    let (batch, seq, embed, channels, kernel, padding) = (4, 9, 4, 16, 3, 1);
    let lengths = [9, 3, 1, 6];
    let mut u = Uniform::new(81);
    let (x, weight, bias, r) = (
        u.take(batch * seq * embed),
        u.take(kernel * embed * channels),
        u.take(channels),
        u.take(batch * channels),
    );
    let dir = [u.take(x.len()), u.take(weight.len()), u.take(bias.len())];
    let geometry = ((batch, seq, embed), (kernel, padding));
    let loss = |s: f32| {
        let shift = |v: &[f32], d: &[f32]| {
            v.iter()
                .zip(d)
                .map(|(a, b)| a + s * b)
                .collect::<Vec<f32>>()
        };
        let (x, weight, bias) = (
            shift(&x, &dir[0]),
            shift(&weight, &dir[1]),
            shift(&bias, &dir[2]),
        );
        let values = [&x[..], &weight, &bias, &r];
        let case = ConvCase::new(geometry.0, &lengths, geometry.1, values);
        let (out, _) = conv_branch(&case, false);
        out.iter()
            .zip(&r)
            .map(|(o, r)| f64::from(o * r))
            .sum::<f64>()
    };
    let values = [&x[..], &weight, &bias, &r];
    let (_, grads) = conv_branch(
        &ConvCase::new(geometry.0, &lengths, geometry.1, values),
        false,
    );
    let analytic: f64 = (0..3)
        .map(|p| {
            grads[p]
                .iter()
                .zip(&dir[p])
                .map(|(g, d)| f64::from(g * d))
                .sum::<f64>()
        })
        .sum();
    let eps = 1e-3;
    let numeric = (loss(eps) - loss(-eps)) / (2.0 * f64::from(eps));
    assert!(
        (numeric - analytic).abs() <= 2e-3 * (1.0 + analytic.abs()),
        "numeric {numeric} vs analytic {analytic}"
    );
}

#[test]
fn embedding_lookup_matches_dfdx_gather() {
    let dev = Cpu::default();
    let (vocab, dim, batch, seq) = (7, 3, 2, 4);
    let table: Vec<f32> = (0..vocab * dim).map(|v| v as f32 * 0.5 - 3.0).collect();
    let ids = vec![3, 3, 0, 6, 1, 3, 6, 2];
    let weight = dev.tensor_from_vec(table, (vocab, dim));
    let r = dev.tensor_from_vec(
        (0..batch * seq * dim)
            .map(|v| (v % 5) as f32 - 2.0)
            .collect(),
        (batch, seq, dim),
    );
    let fused = embedding_lookup(weight.clone().leaky_traced(), &ids, batch, seq);
    let idx = dev.tensor_from_vec(ids.clone(), (batch, seq));
    let gathered = weight.clone().leaky_traced().gather(idx);
    assert_eq!(
        fused.retaped::<NoneTape>().as_vec(),
        gathered.retaped::<NoneTape>().as_vec()
    );
    let g1 = (fused * r.clone()).sum().backward();
    let g2 = (gathered * r).sum().backward();
    assert_eq!(g1.get(&weight).as_vec(), g2.get(&weight).as_vec());
}

/// A permuted (strided) input gives the same result as its contiguous copy.
#[test]
fn strided_inputs_are_read_in_logical_order() {
    let dev = Cpu::default();
    let (b, t, e, h) = (3, 4, 2, 16);
    let mut u = Uniform::new(90);
    let x_bet = dev.tensor_from_vec(u.take(b * e * t), (b, e, t));
    let x_perm = x_bet.clone().permute::<_, Axes3<0, 2, 1>>();
    let x_copy = dev.tensor_from_vec(x_perm.as_vec(), (b, t, e));
    let w_x = dev.tensor_from_vec(u.take(e * 4 * h), (e, 4 * h));
    let w_h = dev.tensor_from_vec(u.take(h * 4 * h), (h, 4 * h));
    let bias = dev.tensor_from_vec(u.take(4 * h), (4 * h,));
    let lengths = [4, 2, 3];
    let run = |x: Tensor<(usize, usize, usize), f32, Cpu>| {
        let weights = Weights {
            w_x: &w_x,
            w_h: &w_h,
            b: &bias,
        };
        let lstm = Recurrence::Lstm(GateSet::ALL);
        recurrent_sequence(x, weights, lstm, &lengths, false).as_vec()
    };
    assert_eq!(run(x_perm), run(x_copy));
}

/// Every instruction set this CPU runs matches the reference, at sizes where the packed matmul
/// kernels take the products (H = 16, G·H = 64); the vector paths agree bit for bit (they sum
/// every product in the same order and their other loops are element-wise), and the scalar
/// path agrees with them to rounding.
#[test]
fn every_isa_matches_the_reference() {
    let supported = Isa::supported();
    assert!(supported.contains(&Isa::detected()) && supported.contains(&Isa::Scalar));
    let cases = [
        Case::new(
            31,
            (5, 6, 8, 16),
            vec![6, 2, 5, 1, 6],
            false,
            Some([true; 4]),
        ),
        Case::new(
            32,
            (5, 6, 8, 16),
            vec![3, 6, 0, 6, 4],
            true,
            Some([true, false, true, true]),
        ),
        Case::new(33, (5, 6, 8, 16), vec![6, 1, 6, 4, 2], true, None),
    ];
    for case in &cases {
        let want_grads = case.reference_grads();
        let runs: Vec<(Isa, _)> = supported
            .iter()
            .map(|&isa| (isa, isa.with(|| case.fused(&case.params()))))
            .collect();
        for (isa, got) in &runs {
            let what = format!("{} {:?}", isa.name(), case.gates);
            check_against(case, got, &want_grads);
            let (scalar_out, scalar_loss, scalar_grads) = &runs[0].1;
            assert_close(
                &format!("{what} vs scalar: output"),
                &got.0,
                scalar_out,
                1e-6,
            );
            assert!(
                (got.1 - scalar_loss).abs() <= 1e-5 * (1.0 + scalar_loss.abs()),
                "{what}"
            );
            for (g, w) in got.2.iter().zip(scalar_grads) {
                assert_close(&format!("{what} vs scalar: gradient"), g, w, 1e-5);
            }
        }
        let vector: Vec<_> = runs.iter().filter(|(isa, _)| *isa >= Isa::Avx2).collect();
        for pair in vector.windows(2) {
            let ((a, got_a), (b, got_b)) = (pair[0], pair[1]);
            assert!(got_a == got_b, "{} and {} differ", a.name(), b.name());
        }
    }
}

/// The CNN branch on every instruction set this CPU runs: the op-by-op outputs and gradients,
/// and the same bits on the vector paths.
#[test]
fn conv_branch_matches_on_every_isa() {
    let (batch, seq, embed, channels) = (5, 9, 6, 32);
    let lengths = [9, 2, 5, 1, 7];
    let mut u = Uniform::new(81);
    let (x, r) = (u.take(batch * seq * embed), u.take(batch * channels));
    let (weight, bias) = (u.take(3 * embed * channels), u.take(channels));
    let values = [&x[..], &weight, &bias, &r];
    let case = ConvCase::new((batch, seq, embed), &lengths, (3, 1), values);
    let want = conv_branch(&case, true);
    let mut vector = None;
    for isa in Isa::supported() {
        let got = isa.with(|| conv_branch(&case, false));
        let what = isa.name();
        assert_conv_close(what, &got, &want);
        if isa >= Isa::Avx2 {
            match &vector {
                Some(first) => assert!(&got == first, "{what} differs from the other kernel"),
                None => vector = Some(got),
            }
        }
    }
}
