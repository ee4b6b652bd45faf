//! Variable-length batches: padding never changes a sequence's output; shapes and masks hold
//! for arbitrary batch sizes, lengths and layer counts.

use dfdx::prelude::*;
use proptest::prelude::*;
use sentiment_rnn::data::loader::Batch;
use sentiment_rnn::nn::backend::Path;
use sentiment_rnn::nn::classifier::{Classifier, state_grad_norms};
use sentiment_rnn::nn::config::{ModelConfig, ModelKind};
use sentiment_rnn::nn::gates::{Gate, GateSet};
use sentiment_rnn::nn::lstm::Lstm;
use sentiment_rnn::nn::pooling::Aggregation;
use sentiment_rnn::nn::rnn::Rnn;
use sentiment_rnn::nn::sequence_layer::Pass;
use sentiment_rnn::nn::stack::RecurrentStack;

type Dev = Cpu;
const VOCAB: u32 = 17;

/// Rows of real token ids, padded with arbitrary ids (not a pad id) to `seq_len`.
fn batch(rows: &[Vec<u32>], seq_len: usize, pad_ids: &[u32]) -> Batch {
    let b = rows.len();
    let mut ids = Vec::with_capacity(b * seq_len);
    let mut mask = Vec::with_capacity(b * seq_len);
    for (r, row) in rows.iter().enumerate() {
        for t in 0..seq_len {
            ids.push(match row.get(t) {
                Some(&id) => id,
                None => pad_ids[(r + t) % pad_ids.len()],
            });
            mask.push((t < row.len()) as u8);
        }
    }
    Batch {
        ids,
        mask,
        lengths: rows.iter().map(Vec::len).collect(),
        labels: vec![0; b],
        indices: (0..b).collect(),
        batch_size: b,
        valence: Vec::new(),
        seq_len,
    }
}

/// A small model of `kind`: embeddings of 3, hidden states of 4.
fn small_config(kind: ModelKind) -> ModelConfig {
    let mut cfg = ModelConfig::new(kind);
    cfg.embedding_dim = 3;
    cfg.hidden_size = 4;
    cfg
}

/// Each row's logits alone (from `logits`) match its logits in `padded`, the logits of the
/// whole padded batch, to `tol` relative.
fn rows_match_alone<E: num_traits::Float + std::fmt::Display>(
    rows: &[Vec<u32>],
    padded: &[E],
    tol: E,
    logits: impl Fn(&Batch) -> Vec<E>,
) -> Result<(), TestCaseError> {
    for (r, row) in rows.iter().enumerate() {
        let alone = logits(&batch(std::slice::from_ref(row), row.len(), &[0]));
        for c in 0..2 {
            let (a, b) = (alone[c], padded[r * 2 + c]);
            prop_assert!(
                (a - b).abs() <= tol * (E::one() + a.abs()),
                "row {} class {}: alone {} padded {}",
                r,
                c,
                a,
                b
            );
        }
    }
    Ok(())
}

fn config() -> impl Strategy<Value = ModelConfig> {
    (
        prop_oneof![
            Just(ModelKind::Cnn),
            Just(ModelKind::Rnn),
            Just(ModelKind::Lstm)
        ],
        1usize..=3,
        any::<bool>(),
        prop::sample::select(Aggregation::ALL.to_vec()),
        prop::option::of(prop::sample::select(vec![
            Gate::Forget,
            Gate::Input,
            Gate::Output,
        ])),
        prop::collection::vec(1usize..=4, 1..=3),
        0usize..=2,
    )
        .prop_map(
            |(kind, layers, bidirectional, aggregation, gate, widths, padding)| {
                let mut cfg = small_config(kind);
                cfg.channels = 3;
                cfg.kernel_widths = widths;
                cfg.conv_padding = padding;
                cfg.num_layers = layers;
                cfg.bidirectional = bidirectional;
                cfg.aggregation = aggregation;
                cfg.disabled_gate = if kind == ModelKind::Lstm { gate } else { None };
                cfg
            },
        )
}

fn rows() -> impl Strategy<Value = Vec<Vec<u32>>> {
    prop::collection::vec(prop::collection::vec(0..VOCAB, 1..=7), 1..=5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn logits_do_not_depend_on_padding_or_batch_mates(
        cfg in config(),
        rows in rows(),
        extra in 0usize..=3,
        pad_ids in prop::collection::vec(0..VOCAB, 1..=4),
        seed in any::<u64>(),
    ) {
        let dev = Dev::seed_from_u64(seed);
        let model = Classifier::<f64, Dev>::new(&cfg, VOCAB as usize, &dev).unwrap();
        let seq_len = rows.iter().map(Vec::len).max().unwrap() + extra;
        let padded = model.forward_eval(&batch(&rows, seq_len, &pad_ids));
        prop_assert_eq!(padded.shape(), &(rows.len(), Const::<2>));
        rows_match_alone(&rows, &padded.as_vec(), 1e-9, |b| model.forward_eval(b).as_vec())?;
    }

    #[test]
    fn fused_f32_logits_do_not_depend_on_padding(
        cfg in config(),
        rows in rows(),
        extra in 0usize..=3,
        seed in any::<u64>(),
    ) {
        // The default path on the CPU in f32 runs the fused recurrent ops.
        let dev = Dev::seed_from_u64(seed);
        let model = Classifier::<f32, Dev>::new(&cfg, VOCAB as usize, &dev).unwrap();
        let seq_len = rows.iter().map(Vec::len).max().unwrap() + extra;
        let logits = |b: &Batch| model.forward_eval(b).as_vec();
        let padded = logits(&batch(&rows, seq_len, &[3, 9]));
        rows_match_alone(&rows, &padded, 1e-5, logits)?;
    }

    #[test]
    fn stack_outputs_have_their_shape_and_zero_padding(
        lengths in prop::collection::vec(1usize..=6, 1..=4),
        extra in 0usize..=2,
        layers in 1usize..=3,
        bidirectional in any::<bool>(),
        lstm in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let dev = Dev::seed_from_u64(seed);
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let (b, t, e, h) = (lengths.len(), lengths.iter().max().unwrap() + extra, 2, 3);
        let x: Tensor<(usize, usize, usize), f64, Dev> = dev.sample_like(&(b, t, e), rand_distr::StandardNormal);
        let pass = Pass { lengths: &lengths, path: Path::Reference, train: false };
        let out = if lstm {
            let stack = RecurrentStack::new(layers, e, h, bidirectional, 0.0, |i| {
                Lstm::<f64, Dev>::new(&dev, i, h, GateSet::ALL, &mut rng)
            });
            stack.forward(x, pass, None).concat()
        } else {
            let stack = RecurrentStack::new(layers, e, h, bidirectional, 0.0, |i| {
                Rnn::<f64, Dev>::new(&dev, i, h, &mut rng)
            });
            stack.forward(x, pass, None).concat()
        };
        let width = h * (1 + bidirectional as usize);
        prop_assert_eq!(out.shape(), &(b, t, width));
        let v = out.as_vec();
        for (r, &len) in lengths.iter().enumerate() {
            for p in 0..t {
                let row = &v[(r * t + p) * width..(r * t + p + 1) * width];
                if p < len {
                    prop_assert!(row.iter().any(|&x| x != 0.0), "real position {} of row {} is all zero", p, r);
                } else {
                    prop_assert!(row.iter().all(|&x| x == 0.0), "padding {} of row {} is not zero", p, r);
                }
            }
        }
    }

    #[test]
    fn traced_forward_exposes_one_state_per_step(
        rows in rows(),
        bidirectional in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let dev = Dev::seed_from_u64(seed);
        let mut cfg = small_config(ModelKind::Lstm);
        cfg.bidirectional = bidirectional;
        let model = Classifier::<f64, Dev>::new(&cfg, VOCAB as usize, &dev).unwrap();
        let seq_len = rows.iter().map(Vec::len).max().unwrap();
        let b = batch(&rows, seq_len, &[1]);
        let traced = model.forward_traced(&b, NoneTape, false);
        prop_assert_eq!(traced.states.len(), seq_len);
        for s in &traced.states {
            prop_assert_eq!(s.shape(), &(rows.len(), 4));
        }
        prop_assert_eq!(traced.logits.as_vec(), model.forward_eval(&b).as_vec());
    }
}

#[test]
fn state_gradients_are_readable_and_vanish_after_the_last_token() {
    let dev = Dev::seed_from_u64(3);
    let cfg = small_config(ModelKind::Rnn);
    let model = Classifier::<f64, Dev>::new(&cfg, VOCAB as usize, &dev).unwrap();
    let b = batch(&[vec![1, 2, 3, 4], vec![5, 6]], 4, &[7]);
    let traced = model.forward_traced(&b, OwnedTape::default(), false);
    let grads = traced.logits.sum().backward();
    let norms = state_grad_norms(&traced.states, &grads);
    // Row 1 has 2 tokens: its states at t = 2, 3 (padding) get no gradient; t ≤ 1 do.
    assert!(norms[0][1] > 0.0 && norms[1][1] > 0.0);
    assert_eq!((norms[2][1], norms[3][1]), (0.0, 0.0));
    assert!(norms.iter().all(|n| n[0] > 0.0));
}
