//! The classifier's forward passes: training, inference, and traced hidden states.

use dfdx::prelude::*;

use super::Classifier;
use crate::data::loader::Batch;
use crate::nn::backend::SequenceDevice;
use crate::nn::linear::Logits;
use crate::nn::params::{R2, to_f64};
use crate::nn::sequence_layer::Pass;

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
        let ids: Vec<usize> = batch.ids.iter().map(|&id| id as usize).collect();
        let features = self.encode(batch, &ids, tape, train, trace);
        let features = if train && self.dropout > 0.0 {
            features.dropout(self.dropout)
        } else {
            features
        };
        let logits = self.head.forward(features);
        let logits = match self.ngrams.items.first() {
            None => logits,
            Some(bag) => {
                // Both halves need gradients: the bag records on the tape, the encoder's
                // logits rejoin it by id.
                let (deep, tape) = logits.split_tape();
                let vocab = self.embedding.vocab();
                let wide = bag.forward(&ids, &batch.lengths, batch.seq_len, vocab, tape);
                wide + deep.retaped::<T>()
            }
        };
        match self.lexicon_head.items.first() {
            None => logits,
            Some(head) => {
                let (rest, tape) = logits.split_tape();
                let lexicon = head.forward(&batch.valence, &batch.lengths, batch.seq_len, tape);
                lexicon + rest.retaped::<T>()
            }
        }
    }

    /// The encoder's features `(B, F)` for the batch's token `ids`.
    fn encode<T: Tape<E, D>>(
        &self,
        batch: &Batch,
        ids: &[usize],
        tape: T,
        train: bool,
        trace: Option<&mut Vec<R2<E, D>>>,
    ) -> R2<E, D, T> {
        let (b, t) = (batch.batch_size, batch.seq_len);
        let lengths = &batch.lengths;
        let emb_dropout = train && self.embedding_dropout > 0.0;
        let path = self.path;
        let pass = Pass {
            lengths,
            path,
            train,
        };
        let valence = self.valence.items.first();
        let embed = |tape: T| {
            let weight = self.embedding.weight.clone().put_tape(tape);
            let x = D::embed(weight, ids, b, t, path);
            let x = if emb_dropout {
                x.dropout(self.embedding_dropout)
            } else {
                x
            };
            match valence {
                Some(channel) => channel.append(x, &batch.valence),
                None => x,
            }
        };
        if let Some(cnn) = self.cnn.items.first() {
            if emb_dropout || valence.is_some() || D::is_fused(path) {
                cnn.forward_path(embed(tape), lengths, path)
            } else {
                // Op-by-op: gather each window from the table (no embedded copy).
                cnn.forward_tokens(&self.embedding, ids, lengths, t, tape)
            }
        } else if let Some(rnn) = self.rnn.items.first() {
            rnn.forward(embed(tape), pass, trace)
        } else if let Some(lstm) = self.lstm.items.first() {
            lstm.forward(embed(tape), pass, trace)
        } else {
            panic!("Classifier has no encoder");
        }
    }
}
