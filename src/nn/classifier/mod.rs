//! A sentiment classifier: embedding → encoder (CNN, RNN or LSTM stack) → dropout → linear,
//! plus, optionally, the scores of a bag of n-grams ([`super::ngram`]) added to the logits, and
//! prior valence from a lexicon ([`super::valence`]) beside the embeddings and into the logits.
//!
//! - [`build`](self::build): construction from a [`ModelConfig`](super::config::ModelConfig).
//! - [`forward`](self::forward): the forward passes (training, inference, traced states).
//! - [`settings`](self::settings): the non-tensor settings across device/dtype conversions and
//!   the checks of settings and batches ([`ClassifierError`]).
//! - [`collection`](self::collection): the dfdx `TensorCollection` walk.

mod build;
mod collection;
mod forward;
mod settings;

use dfdx::prelude::*;

use super::backend::{Path, SequenceDevice};
use super::cnn::CnnEncoder;
use super::embedding::Embedding;
use super::linear::Head;
use super::lstm::Lstm;
use super::ngram::NgramBag;
use super::params::{DynList, R2, R3};
use super::pooling::Pooling;
use super::rnn::Rnn;
use super::sequence_layer::{Pass, SequenceLayer};
use super::stack::RecurrentStack;
use super::valence::{LexiconHead, ValenceChannel};

pub use forward::{Traced, state_grad_norms};
pub use settings::ClassifierError;

/// A recurrent stack and its pooling.
#[derive(Clone, Debug)]
pub struct RecurrentEncoder<E: Dtype, D: Device<E>, L> {
    pub stack: RecurrentStack<L>,
    pub pooling: Pooling<E, D>,
}

impl<E: Dtype, D: SequenceDevice<E>, L: SequenceLayer<E, D>> RecurrentEncoder<E, D, L> {
    fn forward<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        pass: Pass<'_>,
        trace: Option<&mut Vec<R2<E, D>>>,
    ) -> R2<E, D, T> {
        let dirs = self.stack.forward(x, pass, trace);
        self.pooling.forward(dirs, pass.lengths)
    }
}

/// Embedding, exactly one encoder (the other lists are empty), dropout, the output layer, at
/// most one n-gram bag, and at most one valence channel and one lexicon head.
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
    /// The optional valence channel beside the embeddings (empty list: none).
    pub valence: DynList<ValenceChannel<E, D>>,
    /// The optional head over text-level valence features (empty list: none).
    pub lexicon_head: DynList<LexiconHead<E, D>>,
    /// Dropout on the encoder's features (training only).
    pub dropout: f64,
    /// Dropout on the embedded tokens (training only).
    pub embedding_dropout: f64,
    /// Which recurrent implementation runs (not saved; defaults to the fastest).
    pub path: Path,
}
