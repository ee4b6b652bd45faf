//! Building a classifier from its config.

use dfdx::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{Classifier, RecurrentEncoder};
use crate::nn::backend::{Path, SequenceDevice};
use crate::nn::cnn::CnnEncoder;
use crate::nn::config::{ConfigError, ModelConfig, ModelKind};
use crate::nn::conv1d::Conv1d;
use crate::nn::embedding::Embedding;
use crate::nn::gates::GateSet;
use crate::nn::linear::Head;
use crate::nn::lstm::Lstm;
use crate::nn::ngram::{NaiveBayes, NgramBag};
use crate::nn::params::DynList;
use crate::nn::pooling::Pooling;
use crate::nn::rnn::Rnn;
use crate::nn::stack::RecurrentStack;
use crate::nn::valence::{LexiconHead, ValenceChannel};

/// The one encoder of a config, in the list of its kind (the other two stay empty).
struct Encoders<E: Dtype, D: Device<E>> {
    cnn: Vec<CnnEncoder<E, D>>,
    rnn: Vec<RecurrentEncoder<E, D, Rnn<E, D>>>,
    lstm: Vec<RecurrentEncoder<E, D, Lstm<E, D>>>,
    /// Width of the encoder's feature vector.
    features: usize,
}

impl<E: Dtype, D: Device<E>> Encoders<E, D> {
    /// The encoder of `cfg` over `embed`-wide tokens, initialised from `rng`.
    fn build(cfg: &ModelConfig, embed: usize, dev: &D, rng: &mut StdRng) -> Self {
        let mut encoders = Self {
            cnn: vec![],
            rnn: vec![],
            lstm: vec![],
            features: 0,
        };
        let hidden = cfg.hidden_size;
        let dirs = 1 + cfg.bidirectional as usize;
        match cfg.kind {
            ModelKind::Cnn => {
                let branches = cfg
                    .kernel_widths
                    .iter()
                    .map(|&k| Conv1d::new(dev, k, embed, cfg.channels, cfg.conv_padding, rng))
                    .collect();
                encoders.cnn.push(CnnEncoder {
                    branches: DynList::new(branches),
                });
                encoders.features = cfg.kernel_widths.len() * cfg.channels;
            }
            ModelKind::Rnn => {
                let stack = recurrent_stack(cfg, embed, |input| Rnn::new(dev, input, hidden, rng));
                let pooling = Pooling::new(dev, cfg.aggregation, hidden * dirs, rng);
                encoders.rnn.push(RecurrentEncoder { stack, pooling });
                encoders.features = hidden * dirs;
            }
            ModelKind::Lstm => {
                let gates = GateSet::with_disabled(cfg.disabled_gate);
                let stack = recurrent_stack(cfg, embed, |input| {
                    Lstm::new(dev, input, hidden, gates, rng)
                });
                let pooling = Pooling::new(dev, cfg.aggregation, hidden * dirs, rng);
                encoders.lstm.push(RecurrentEncoder { stack, pooling });
                encoders.features = hidden * dirs;
            }
        }
        encoders
    }
}

/// The recurrent layers of `cfg` over `embed`-wide tokens, layer `l` built by `make(input)`.
fn recurrent_stack<L>(
    cfg: &ModelConfig,
    embed: usize,
    make: impl FnMut(usize) -> L,
) -> RecurrentStack<L> {
    RecurrentStack::new(
        cfg.num_layers,
        embed,
        cfg.hidden_size,
        cfg.bidirectional,
        cfg.layer_dropout,
        make,
    )
}

/// The n-gram branch of `cfg` (none for 0 buckets); its table must exceed the vocabulary.
fn ngram_branch<E: Dtype, D: Device<E>>(
    cfg: &ModelConfig,
    vocab_size: usize,
    dev: &D,
) -> Result<Vec<NgramBag<E, D>>, ConfigError> {
    match cfg.ngram_buckets {
        0 => Ok(vec![]),
        n if n > vocab_size => Ok(vec![NgramBag::new(dev, n)]),
        n => Err(ConfigError::Invalid {
            field: "ngram_buckets",
            got: n.to_string(),
            allowed: format!("0 or an integer > the vocabulary size {vocab_size}"),
        }),
    }
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
        let embedding = Embedding::new(dev, vocab_size, cfg.embedding_dim, &mut rng);
        // The valence channel is one more feature per token.
        let token_width = cfg.embedding_dim + usize::from(cfg.valence_channel);
        let encoders = Encoders::build(cfg, token_width, dev, &mut rng);
        let ngrams = ngram_branch(cfg, vocab_size, dev)?;
        let valence = cfg.valence_channel.then(|| ValenceChannel::new(dev));
        let lexicon_head = cfg.lexicon_head.then(|| LexiconHead::new(dev));
        Ok(Self {
            embedding,
            cnn: DynList::new(encoders.cnn),
            rnn: DynList::new(encoders.rnn),
            lstm: DynList::new(encoders.lstm),
            head: Head::new(dev, encoders.features, &mut rng),
            ngrams: DynList::new(ngrams),
            valence: DynList::new(valence.into_iter().collect()),
            lexicon_head: DynList::new(lexicon_head.into_iter().collect()),
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
    pub fn init_ngrams_from(&mut self, nb: &NaiveBayes) {
        if let Some(bag) = self.ngrams.items.first_mut() {
            bag.set_naive_bayes(nb);
        }
    }

    /// Starts the lexicon head, if any, with the logit margin `coefficients · features` (see
    /// [`LexiconHead::set_margin`]); a no-op without one.
    pub fn init_lexicon_head(&mut self, coefficients: [f64; crate::nn::valence::LEXICON_FEATURES]) {
        if let Some(head) = self.lexicon_head.items.first_mut() {
            head.set_margin(coefficients);
        }
    }

    /// Number of trainable scalars.
    pub fn num_params(&self) -> usize {
        self.num_trainable_params()
    }
}
