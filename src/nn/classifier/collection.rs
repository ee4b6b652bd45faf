//! The dfdx `TensorCollection` walk of the classifier: every tensor for gradients, optimizers
//! and safetensors, every non-tensor setting as a scalar.

use dfdx::nn::tensor_collection::{ModuleVisitor, ScalarOptions, TensorCollection};
use dfdx::prelude::*;

use super::{Classifier, RecurrentEncoder};
use crate::nn::backend::Path;

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
                    (
                        Self::module(
                            "ngrams",
                            |s| s.ngrams.announce(),
                            |s| s.ngrams.announce_mut(),
                        ),
                        Self::module(
                            "valence",
                            |s| s.valence.announce(),
                            |s| s.valence.announce_mut(),
                        ),
                        Self::module(
                            "lexicon_head",
                            |s| s.lexicon_head.announce(),
                            |s| s.lexicon_head.announce_mut(),
                        ),
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
            |(
                (embedding, cnn, rnn, lstm, head, (ngrams, valence, lexicon_head)),
                (dropout, embedding_dropout),
            )| {
                Classifier {
                    embedding,
                    cnn,
                    rnn,
                    lstm,
                    head,
                    ngrams,
                    valence,
                    lexicon_head,
                    dropout,
                    embedding_dropout,
                    path: Path::Fastest,
                }
            },
        )
    }
}
