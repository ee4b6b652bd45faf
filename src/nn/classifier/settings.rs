//! The classifier's non-tensor settings (kernel widths, gates, pooling, dropout) across device
//! and dtype conversions, and the checks that run before every forward.

use dfdx::prelude::*;

use super::Classifier;
use crate::data::loader::Batch;
use crate::nn::backend::SequenceDevice;
use crate::nn::params::UNSET;
use crate::nn::pooling::Aggregation;

/// Why a classifier cannot run (a forward panics with it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClassifierError {
    /// A non-tensor setting reads [`UNSET`] or `NaN`.
    #[error(
        "model settings were lost (converted with dfdx's to_device/to_dtype or loaded from a \
         file without them); use Classifier::to_device/to_dtype or Classifier::new + \
         load_safetensors"
    )]
    SettingsLost,
    /// The batch's ids or lengths do not match its shape.
    #[error("batch of {batch}×{seq_len} has {ids} ids and {lengths} lengths")]
    BatchShape {
        batch: usize,
        seq_len: usize,
        ids: usize,
        lengths: usize,
    },
    /// A row is empty or longer than the batch.
    #[error("row {row} has length {length} (expected 1..={seq_len})")]
    RowLength {
        row: usize,
        length: usize,
        seq_len: usize,
    },
    /// A token id outside the embedding table.
    #[error("token id {id} ≥ vocabulary size {vocab}")]
    TokenOutOfVocab { id: u32, vocab: usize },
    /// The model reads a valence per token, and the batch has another number of them.
    #[error(
        "the model reads each token's valence: expected {expected} valences (one per id), \
         got {got} (tag the batch with data::valence)"
    )]
    ValenceShape { expected: usize, got: usize },
}

impl<E: Dtype, D: SequenceDevice<E>> Classifier<E, D> {
    /// Copies to another device, keeping the non-tensor settings (dfdx's own `ToDevice` resets
    /// them to [`UNSET`]).
    pub fn to_device<D2: SequenceDevice<E>>(&self, dev: &D2) -> Classifier<E, D2> {
        let mut out = ToDevice::to_device(self, dev);
        out.restore_settings(self);
        out
    }

    /// Checks the non-tensor settings (see [`UNSET`]).
    pub fn check_settings(&self) -> Result<(), ClassifierError> {
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
            Err(ClassifierError::SettingsLost)
        }
    }

    /// Checks that `batch` is consistent and its ids fit the vocabulary.
    pub fn check_batch(&self, batch: &Batch) -> Result<(), ClassifierError> {
        let (b, t) = (batch.batch_size, batch.seq_len);
        if batch.ids.len() != b * t || batch.lengths.len() != b {
            return Err(ClassifierError::BatchShape {
                batch: b,
                seq_len: t,
                ids: batch.ids.len(),
                lengths: batch.lengths.len(),
            });
        }
        if let Some(row) = batch.lengths.iter().position(|&l| l == 0 || l > t) {
            return Err(ClassifierError::RowLength {
                row,
                length: batch.lengths[row],
                seq_len: t,
            });
        }
        let vocab = self.embedding.vocab();
        if let Some(&id) = batch.ids.iter().find(|&&id| id as usize >= vocab) {
            return Err(ClassifierError::TokenOutOfVocab { id, vocab });
        }
        let reads_valence = !self.valence.items.is_empty() || !self.lexicon_head.items.is_empty();
        if reads_valence && batch.valence.len() != batch.ids.len() {
            return Err(ClassifierError::ValenceShape {
                expected: batch.ids.len(),
                got: batch.valence.len(),
            });
        }
        Ok(())
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
            let layers = to.stack.layers.items.iter_mut();
            for (to, from) in layers.zip(&from.stack.layers.items) {
                to.forward.gate_bits = from.forward.gate_bits;
                for (to, from) in to.backward.items.iter_mut().zip(&from.backward.items) {
                    to.gate_bits = from.gate_bits;
                }
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
