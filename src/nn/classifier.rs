//! A sentiment classifier: embedding → encoder (CNN, RNN or LSTM stack) → dropout → linear,
//! plus, optionally, the scores of a bag of n-grams ([`super::ngram`]) added to the logits.

use dfdx::nn::tensor_collection::{ModuleVisitor, ScalarOptions, TensorCollection};
use dfdx::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::backend::{Path, SequenceDevice};
use super::cnn::CnnEncoder;
use super::config::{ConfigError, ModelConfig, ModelKind};
use super::conv1d::Conv1d;
use super::embedding::Embedding;
use super::gates::GateSet;
use super::linear::{Head, Logits};
use super::lstm::Lstm;
use super::ngram::NgramBag;
use super::params::{DynList, R2, UNSET, to_f64};
use super::pooling::Aggregation;
use super::pooling::Pooling;
use super::rnn::Rnn;
use super::sequence_layer::SequenceLayer;
use super::stack::RecurrentStack;
use crate::data::loader::Batch;

/// A recurrent stack and its pooling.
#[derive(Clone, Debug)]
pub struct RecurrentEncoder<E: Dtype, D: Device<E>, L> {
    pub stack: RecurrentStack<L>,
    pub pooling: Pooling<E, D>,
}

impl<E: Dtype, D: SequenceDevice<E>, L: SequenceLayer<E, D>> RecurrentEncoder<E, D, L> {
    fn forward<T: Tape<E, D>>(
        &self,
        x: super::params::R3<E, D, T>,
        lengths: &[usize],
        train: bool,
        path: Path,
        trace: Option<&mut Vec<R2<E, D>>>,
    ) -> R2<E, D, T> {
        let dirs = self.stack.forward(x, lengths, train, path, trace);
        self.pooling.forward(dirs, lengths)
    }
}

/// Embedding, exactly one encoder (the other lists are empty), dropout, the output layer and
/// at most one n-gram bag.
///
/// A dfdx `TensorCollection`: `alloc_grads`, `zero_grads`, `num_trainable_params`, the
/// optimizers and safetensors save/load work on the whole model.
#[derive(Clone, Debug)]
pub struct Classifier<E: Dtype, D: Device<E>> {
    pub embedding: Embedding<E, D>,
    pub cnn: DynList<CnnEncoder<E, D>>,
    pub rnn: DynList<RecurrentEncoder<E, D, Rnn<E, D>>>,
    pub lstm: DynList<RecurrentEncoder<E, D, Lstm<E, D>>>,
    pub head: Head<E, D>,
    /// The optional bag-of-n-grams branch (empty list: none).
    pub ngrams: DynList<NgramBag<E, D>>,
    /// Dropout on the encoder's features (training only).
    pub dropout: f64,
    /// Dropout on the embedded tokens (training only).
    pub embedding_dropout: f64,
    /// Which recurrent implementation runs (not saved; defaults to the fastest).
    pub path: Path,
}

/// The outcome of a traced forward: logits and, for recurrent models, the last layer's forward
/// hidden states `h_t` for `t = 0..T` (each `(B, H)`, before padding is masked). With a leaky
/// tape, `grads.get(&states[t])` after `backward` is ∂L/∂h_t.
pub struct Traced<E: Dtype, D: Device<E>, T> {
    pub logits: Logits<E, D, T>,
    pub states: Vec<R2<E, D>>,
}

/// `‖∂L/∂h_t‖` per step and row (`[t][row]`) of [`Traced::states`], from the gradients of a
/// leaky tape (`OwnedTape::default()`); row `r`'s distance from its last token is
/// `lengths[r] − 1 − t`.
pub fn state_grad_norms<E: Dtype, D: Device<E>>(
    states: &[R2<E, D>],
    grads: &Gradients<E, D>,
) -> Vec<Vec<f64>> {
    states
        .iter()
        .map(|h| {
            let hidden = h.shape().1;
            grads
                .get(h)
                .as_vec()
                .chunks(hidden)
                .map(|row| row.iter().map(|&v| to_f64(v).powi(2)).sum::<f64>().sqrt())
                .collect()
        })
        .collect()
}

impl<E: Dtype, D: SequenceDevice<E>> Classifier<E, D> {
    /// Builds the model of `cfg` for a `vocab_size` vocabulary, initialised from the device's
    /// RNG (seed the device for reproducible weights).
    pub fn new(cfg: &ModelConfig, vocab_size: usize, dev: &D) -> Result<Self, ConfigError> {
        cfg.validate()?;
        if vocab_size == 0 {
            return Err(ConfigError::Invalid {
                field: "vocab_size",
                got: "0".into(),
                allowed: "an integer ≥ 1".into(),
            });
        }
        let mut rng = StdRng::seed_from_u64(dev.random_u64());
        let emb = cfg.embedding_dim;
        let embedding = Embedding::new(dev, vocab_size, emb, &mut rng);
        let (mut cnn, mut rnn, mut lstm) = (vec![], vec![], vec![]);
        let hidden = cfg.hidden_size;
        let dirs = 1 + cfg.bidirectional as usize;
        let features = match cfg.kind {
            ModelKind::Cnn => {
                let branches = cfg
                    .kernel_widths
                    .iter()
                    .map(|&k| Conv1d::new(dev, k, emb, cfg.channels, cfg.conv_padding, &mut rng))
                    .collect();
                cnn.push(CnnEncoder {
                    branches: DynList::new(branches),
                });
                cfg.kernel_widths.len() * cfg.channels
            }
            ModelKind::Rnn => {
                let stack = RecurrentStack::new(
                    cfg.num_layers,
                    emb,
                    hidden,
                    cfg.bidirectional,
                    cfg.layer_dropout,
                    |input| Rnn::new(dev, input, hidden, &mut rng),
                );
                let pooling = Pooling::new(dev, cfg.aggregation, hidden * dirs, &mut rng);
                rnn.push(RecurrentEncoder { stack, pooling });
                hidden * dirs
            }
            ModelKind::Lstm => {
                let gates = GateSet::with_disabled(cfg.disabled_gate);
                let stack = RecurrentStack::new(
                    cfg.num_layers,
                    emb,
                    hidden,
                    cfg.bidirectional,
                    cfg.layer_dropout,
                    |input| Lstm::new(dev, input, hidden, gates, &mut rng),
                );
                let pooling = Pooling::new(dev, cfg.aggregation, hidden * dirs, &mut rng);
                lstm.push(RecurrentEncoder { stack, pooling });
                hidden * dirs
            }
        };
        let ngrams = match cfg.ngram_buckets {
            0 => vec![],
            n if n > vocab_size => vec![NgramBag::new(dev, n)],
            n => {
                return Err(ConfigError::Invalid {
                    field: "ngram_buckets",
                    got: n.to_string(),
                    allowed: format!("0 or an integer > the vocabulary size {vocab_size}"),
                });
            }
        };
        Ok(Self {
            embedding,
            cnn: DynList::new(cnn),
            rnn: DynList::new(rnn),
            lstm: DynList::new(lstm),
            head: Head::new(dev, features, &mut rng),
            ngrams: DynList::new(ngrams),
            dropout: cfg.dropout,
            embedding_dropout: cfg.embedding_dropout,
            path: Path::Fastest,
        })
    }

    /// Starts the n-gram branch, if any, from naive-Bayes ratios over the training texts
    /// (see [`NgramBag::init_naive_bayes`]); a no-op without one.
    pub fn init_ngrams(&mut self, texts: &[Vec<u32>], labels: &[usize]) {
        let vocab = self.embedding.vocab();
        if let Some(bag) = self.ngrams.items.first_mut() {
            bag.init_naive_bayes(texts, labels, vocab);
        }
    }

    /// Starts the n-gram branch, if any, from ratios already counted (the same table size);
    /// a no-op without one.
    pub fn init_ngrams_from(&mut self, nb: &super::ngram::NaiveBayes) {
        if let Some(bag) = self.ngrams.items.first_mut() {
            bag.set_naive_bayes(nb);
        }
    }

    /// Number of trainable scalars.
    pub fn num_params(&self) -> usize {
        self.num_trainable_params()
    }

    /// Inference: untaped logits, no dropout.
    pub fn forward_eval(&self, batch: &Batch) -> Logits<E, D> {
        self.forward_with_tape(batch, NoneTape, false)
    }

    /// Training: logits taped into `grads` (from `alloc_grads`), dropout on.
    pub fn forward_train(
        &self,
        batch: &Batch,
        grads: Gradients<E, D>,
    ) -> Logits<E, D, OwnedTape<E, D>> {
        let (_, tape) = self.embedding.weight.clone().traced(grads).split_tape();
        self.forward_with_tape(batch, tape, true)
    }

    /// The general forward: records on `tape`, dropout iff `train`.
    ///
    /// # Panics
    /// If the batch is malformed or holds an id ≥ the vocabulary size (see [`Self::check_batch`]).
    pub fn forward_with_tape<T: Tape<E, D>>(
        &self,
        batch: &Batch,
        tape: T,
        train: bool,
    ) -> Logits<E, D, T> {
        self.run(batch, tape, train, None)
    }

    /// [`Self::forward_with_tape`] that also returns the last recurrent layer's per-step
    /// forward hidden states (reference path; none for a CNN). Use a leaky tape
    /// (`Gradients::leaky()`) to read ∂L/∂h_t after backward.
    pub fn forward_traced<T: Tape<E, D>>(
        &self,
        batch: &Batch,
        tape: T,
        train: bool,
    ) -> Traced<E, D, T> {
        let mut states = Vec::new();
        let logits = self.run(batch, tape, train, Some(&mut states));
        Traced { logits, states }
    }

    /// Copies to another device, keeping the non-tensor settings (dfdx's own `ToDevice` resets
    /// them to [`super::params::UNSET`]).
    pub fn to_device<D2: SequenceDevice<E>>(&self, dev: &D2) -> Classifier<E, D2> {
        let mut out = ToDevice::to_device(self, dev);
        out.restore_settings(self);
        out
    }

    /// Checks the non-tensor settings (see [`super::params::UNSET`]).
    pub fn check_settings(&self) -> Result<(), String> {
        let lost = "were lost (converted with dfdx's to_device/to_dtype or loaded from a file \
                    without them); use Classifier::to_device/to_dtype or Classifier::new + \
                    load_safetensors";
        let mut ok = self.dropout.is_finite() && self.embedding_dropout.is_finite();
        for cnn in &self.cnn.items {
            ok &= cnn
                .branches
                .items
                .iter()
                .all(|c| c.kernel != UNSET && c.padding != UNSET);
        }
        for enc in &self.rnn.items {
            ok &= enc.stack.dropout.is_finite() && enc.pooling.code < Aggregation::ALL.len();
        }
        for enc in &self.lstm.items {
            ok &= enc.stack.dropout.is_finite() && enc.pooling.code < Aggregation::ALL.len();
            for layer in &enc.stack.layers.items {
                ok &= std::iter::once(&layer.forward)
                    .chain(&layer.backward.items)
                    .all(|l| l.gate_bits < 8);
            }
        }
        if ok {
            Ok(())
        } else {
            Err(format!("model settings {lost}"))
        }
    }

    /// Copies the non-tensor settings of a model of the same structure.
    fn restore_settings<E0: Dtype, D0: Device<E0>>(&mut self, from: &Classifier<E0, D0>) {
        self.dropout = from.dropout;
        self.embedding_dropout = from.embedding_dropout;
        self.path = from.path;
        for (to, from) in self.cnn.items.iter_mut().zip(&from.cnn.items) {
            for (to, from) in to.branches.items.iter_mut().zip(&from.branches.items) {
                (to.kernel, to.padding) = (from.kernel, from.padding);
            }
        }
        for (to, from) in self.rnn.items.iter_mut().zip(&from.rnn.items) {
            to.stack.dropout = from.stack.dropout;
            to.pooling.code = from.pooling.code;
        }
        for (to, from) in self.lstm.items.iter_mut().zip(&from.lstm.items) {
            to.stack.dropout = from.stack.dropout;
            to.pooling.code = from.pooling.code;
            for (to, from) in to
                .stack
                .layers
                .items
                .iter_mut()
                .zip(&from.stack.layers.items)
            {
                to.forward.gate_bits = from.forward.gate_bits;
                for (to, from) in to.backward.items.iter_mut().zip(&from.backward.items) {
                    to.gate_bits = from.gate_bits;
                }
            }
        }
    }

    /// Checks that `batch` is consistent and its ids fit the vocabulary.
    pub fn check_batch(&self, batch: &Batch) -> Result<(), String> {
        let (b, t) = (batch.batch_size, batch.seq_len);
        if batch.ids.len() != b * t || batch.lengths.len() != b {
            return Err(format!(
                "batch of {b}×{t} has {} ids and {} lengths",
                batch.ids.len(),
                batch.lengths.len()
            ));
        }
        if let Some(r) = batch.lengths.iter().position(|&l| l == 0 || l > t) {
            return Err(format!(
                "row {r} has length {} (expected 1..={t})",
                batch.lengths[r]
            ));
        }
        let vocab = self.embedding.vocab();
        if let Some(&id) = batch.ids.iter().find(|&&id| id as usize >= vocab) {
            return Err(format!("token id {id} ≥ vocabulary size {vocab}"));
        }
        Ok(())
    }

    fn run<T: Tape<E, D>>(
        &self,
        batch: &Batch,
        tape: T,
        train: bool,
        trace: Option<&mut Vec<R2<E, D>>>,
    ) -> Logits<E, D, T> {
        if let Err(e) = self.check_settings().and_then(|()| self.check_batch(batch)) {
            panic!("Classifier::forward: {e}");
        }
        let (b, t) = (batch.batch_size, batch.seq_len);
        let ids: Vec<usize> = batch.ids.iter().map(|&id| id as usize).collect();
        let lengths = &batch.lengths;
        let emb_dropout = train && self.embedding_dropout > 0.0;
        let path = self.path;
        let embed = |tape: T| {
            let weight = self.embedding.weight.clone().put_tape(tape);
            let x = D::embed(weight, &ids, b, t, path);
            if emb_dropout {
                x.dropout(self.embedding_dropout)
            } else {
                x
            }
        };
        let features = if let Some(cnn) = self.cnn.items.first() {
            if emb_dropout || D::is_fused(path) {
                cnn.forward_path(embed(tape), lengths, path)
            } else {
                // Op-by-op: gather each window from the table (no embedded copy).
                cnn.forward_tokens(&self.embedding, &ids, lengths, t, tape)
            }
        } else if let Some(rnn) = self.rnn.items.first() {
            rnn.forward(embed(tape), lengths, train, path, trace)
        } else if let Some(lstm) = self.lstm.items.first() {
            lstm.forward(embed(tape), lengths, train, path, trace)
        } else {
            panic!("Classifier has no encoder");
        };
        let features = if train && self.dropout > 0.0 {
            features.dropout(self.dropout)
        } else {
            features
        };
        let logits = self.head.forward(features);
        match self.ngrams.items.first() {
            None => logits,
            Some(bag) => {
                // Both halves need gradients: the bag records on the tape, the encoder's
                // logits rejoin it by id.
                let (deep, tape) = logits.split_tape();
                let wide = bag.forward(&ids, lengths, t, self.embedding.vocab(), tape);
                wide + deep.retaped::<T>()
            }
        }
    }
}

macro_rules! to_dtype {
    ($from:ty) => {
        impl<D: SequenceDevice<$from>> Classifier<$from, D> {
            /// Converts to another float type, keeping the non-tensor settings (see
            /// [`Classifier::to_device`]).
            pub fn to_dtype<E2: Dtype>(&self) -> Classifier<E2, D>
            where
                D: SequenceDevice<E2>,
            {
                let mut out = ToDtype::to_dtype::<E2>(self);
                out.restore_settings(self);
                out
            }
        }
    };
}
to_dtype!(f32);
to_dtype!(f64);

impl<E: Dtype, D: Device<E>, L: TensorCollection<E, D>> TensorCollection<E, D>
    for RecurrentEncoder<E, D, L>
{
    type To<E2: Dtype, D2: Device<E2>> = RecurrentEncoder<E2, D2, L::To<E2, D2>>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("stack", |s| &s.stack, |s| &mut s.stack),
                Self::module("pooling", |s| &s.pooling, |s| &mut s.pooling),
            ),
            |(stack, pooling)| RecurrentEncoder { stack, pooling },
        )
    }
}

impl<E: Dtype, D: Device<E>> TensorCollection<E, D> for Classifier<E, D> {
    type To<E2: Dtype, D2: Device<E2>> = Classifier<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                (
                    Self::module("embedding", |s| &s.embedding, |s| &mut s.embedding),
                    Self::module("cnn", |s| s.cnn.announce(), |s| s.cnn.announce_mut()),
                    Self::module("rnn", |s| s.rnn.announce(), |s| s.rnn.announce_mut()),
                    Self::module("lstm", |s| s.lstm.announce(), |s| s.lstm.announce_mut()),
                    Self::module("head", |s| &s.head, |s| &mut s.head),
                    Self::module(
                        "ngrams",
                        |s| s.ngrams.announce(),
                        |s| s.ngrams.announce_mut(),
                    ),
                ),
                (
                    Self::scalar(
                        "dropout",
                        |s| &s.dropout,
                        |s| &mut s.dropout,
                        ScalarOptions::from_default(f64::NAN),
                    ),
                    Self::scalar(
                        "embedding_dropout",
                        |s| &s.embedding_dropout,
                        |s| &mut s.embedding_dropout,
                        ScalarOptions::from_default(f64::NAN),
                    ),
                ),
            ),
            |((embedding, cnn, rnn, lstm, head, ngrams), (dropout, embedding_dropout))| {
                Classifier {
                    embedding,
                    cnn,
                    rnn,
                    lstm,
                    head,
                    ngrams,
                    dropout,
                    embedding_dropout,
                    path: Path::Fastest,
                }
            },
        )
    }
}
