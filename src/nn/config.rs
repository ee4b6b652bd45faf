//! Model hyper-parameters as data (`ModelConfig`), with errors that name the bad field.

use serde::{Deserialize, Serialize};

use super::gates::Gate;
use super::pooling::Aggregation;

/// The encoder family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Cnn,
    Rnn,
    Lstm,
}

/// Everything needed to build a [`super::classifier::Classifier`] besides the vocabulary size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// `cnn`, `rnn` or `lstm`.
    pub kind: ModelKind,
    /// Embedding width E.
    #[serde(default = "defaults::embedding_dim")]
    pub embedding_dim: usize,
    /// Recurrent hidden size H (per direction).
    #[serde(default = "defaults::hidden_size")]
    pub hidden_size: usize,
    /// CNN: one Conv1d branch per kernel width.
    #[serde(default = "defaults::kernel_widths")]
    pub kernel_widths: Vec<usize>,
    /// CNN: output channels of each branch.
    #[serde(default = "defaults::channels")]
    pub channels: usize,
    /// CNN: zero padding on each end of a sequence.
    #[serde(default)]
    pub conv_padding: usize,
    /// Recurrent: number of stacked layers.
    #[serde(default = "defaults::num_layers")]
    pub num_layers: usize,
    /// Recurrent: add a backward pass per layer.
    #[serde(default)]
    pub bidirectional: bool,
    /// Recurrent: `final`, `mean`, `max` or `attention`.
    #[serde(default)]
    pub aggregation: Aggregation,
    /// LSTM: `forget`, `input` or `output` gate fixed to 1 (none when absent).
    #[serde(default)]
    pub disabled_gate: Option<Gate>,
    /// Dropout on the pooled features before the output layer.
    #[serde(default = "defaults::dropout")]
    pub dropout: f64,
    /// Dropout between stacked recurrent layers.
    #[serde(default)]
    pub layer_dropout: f64,
    /// Dropout on the embedded tokens.
    #[serde(default)]
    pub embedding_dropout: f64,
    /// Rows of a bag-of-n-grams branch added to the logits (token unigrams + hashed bigrams,
    /// see [`super::ngram`]); 0 = no branch. Must exceed the vocabulary size.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ngram_buckets: usize,
    /// Append each token's prior valence (the batch's `valence`) to its embedding (see
    /// [`super::valence::ValenceChannel`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub valence_channel: bool,
    /// Add a linear map of text-level valence features to the logits (see
    /// [`super::valence::LexiconHead`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub lexicon_head: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

mod defaults {
    pub fn embedding_dim() -> usize {
        128
    }
    pub fn hidden_size() -> usize {
        128
    }
    pub fn kernel_widths() -> Vec<usize> {
        vec![3, 4, 5]
    }
    pub fn channels() -> usize {
        100
    }
    pub fn num_layers() -> usize {
        1
    }
    pub fn dropout() -> f64 {
        0.5
    }
}

/// A configuration that cannot be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// A field holds a value outside its allowed set.
    #[error("model config field `{field}`: got {got}, expected {allowed}")]
    Invalid {
        field: &'static str,
        got: String,
        allowed: String,
    },
    /// The text is not a config at all (bad JSON, unknown or missing field).
    #[error("model config: {0}")]
    Parse(String),
}

impl ModelConfig {
    /// A config of `kind` with every other field at its default.
    pub fn new(kind: ModelKind) -> Self {
        serde_json::from_value(serde_json::json!({ "kind": kind })).expect("defaults are valid")
    }

    /// Parses and validates JSON. Enum fields are checked first so that the error names the
    /// field and lists the allowed values.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let enums: [(&'static str, &[&str]); 3] = [
            ("kind", &["cnn", "rnn", "lstm"]),
            ("aggregation", &["final", "mean", "max", "attention"]),
            ("disabled_gate", &["forget", "input", "output", "null"]),
        ];
        for (field, allowed) in enums {
            if let Some(v) = value.get(field) {
                let ok = match v {
                    serde_json::Value::String(s) => allowed.contains(&s.as_str()),
                    serde_json::Value::Null => allowed.contains(&"null"),
                    _ => false,
                };
                if !ok {
                    return Err(invalid(field, v, &one_of(allowed)));
                }
            }
        }
        let cfg: Self =
            serde_json::from_value(value).map_err(|e| ConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the numeric fields and their combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = "an integer ≥ 1";
        let prob = "a probability in [0, 1)";
        for (field, v) in [
            ("embedding_dim", self.embedding_dim),
            ("hidden_size", self.hidden_size),
            ("channels", self.channels),
            ("num_layers", self.num_layers),
        ] {
            if v == 0 {
                return Err(invalid(field, v, positive));
            }
        }
        for (field, p) in [
            ("dropout", self.dropout),
            ("layer_dropout", self.layer_dropout),
            ("embedding_dropout", self.embedding_dropout),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(invalid(field, p, prob));
            }
        }
        if self.kind == ModelKind::Cnn
            && (self.kernel_widths.is_empty() || self.kernel_widths.contains(&0))
        {
            return Err(invalid(
                "kernel_widths",
                format!("{:?}", self.kernel_widths),
                "a non-empty list of integers ≥ 1",
            ));
        }
        if self.disabled_gate.is_some() && self.kind != ModelKind::Lstm {
            return Err(invalid(
                "disabled_gate",
                format!("{:?}", self.disabled_gate),
                "null unless kind is \"lstm\"",
            ));
        }
        Ok(())
    }
}

fn one_of(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
    format!("one of {}", quoted.join(", "))
}

fn invalid(field: &'static str, got: impl std::fmt::Display, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        field,
        got: got.to_string(),
        allowed: allowed.to_string(),
    }
}
