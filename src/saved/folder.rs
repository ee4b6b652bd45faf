//! A trained model as a folder: `model.json`, `tokenizer.json` and `model.safetensors`, loaded
//! together and used to score texts.

use std::path::{Path, PathBuf};

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Batch, DataLoader, LoaderConfig, LoaderError, TextNormalizer};
use crate::nn::classifier::Classifier;
use crate::nn::config::ModelConfig;
use crate::tokenizer::{EncodeOptions, Tokenizer, TokenizerError};
use crate::train::checkpoint::load_weights;

/// File names inside a model folder.
pub const MODEL_JSON: &str = "model.json";
/// See [`MODEL_JSON`].
pub const TOKENIZER_JSON: &str = "tokenizer.json";
/// See [`MODEL_JSON`].
pub const WEIGHTS: &str = "model.safetensors";

/// What a saved model folder's `model.json` holds besides the weights.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelMeta {
    pub model: ModelConfig,
    pub max_len: usize,
    /// Applied to every text before tokenization.
    pub normalizer: TextNormalizer,
    pub val_accuracy: f32,
    pub test_accuracy: f32,
}

/// A model folder that cannot be loaded, or texts it cannot score.
#[derive(Debug, thiserror::Error)]
pub enum SavedModelError {
    /// A file of the folder cannot be read.
    #[error("cannot read {path} (is this a model folder written by `train`?): {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `model.json` is not what `train` writes.
    #[error("{path}: {source}", path = path.display())]
    Meta {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// The model settings cannot build a classifier.
    #[error("{path}: {message}", path = path.display())]
    Model { path: PathBuf, message: String },
    /// The weights file is damaged or belongs to another model.
    #[error("{0}")]
    Weights(String),
    /// The tokenizer cannot be loaded or cannot encode a text.
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    /// The encoded texts cannot be batched.
    #[error(transparent)]
    Batch(#[from] LoaderError),
}

/// A trained model loaded from its folder.
pub struct SavedModel {
    pub meta: ModelMeta,
    pub tokenizer: Tokenizer,
    pub model: Classifier<f32, Cpu>,
}

impl SavedModel {
    /// Loads `dir/model.json`, `dir/tokenizer.json` and `dir/model.safetensors`.
    pub fn load(dir: &Path) -> Result<Self, SavedModelError> {
        let meta_path = dir.join(MODEL_JSON);
        let text = std::fs::read_to_string(&meta_path).map_err(|source| SavedModelError::Read {
            path: meta_path.clone(),
            source,
        })?;
        let meta: ModelMeta =
            serde_json::from_str(&text).map_err(|source| SavedModelError::Meta {
                path: meta_path.clone(),
                source,
            })?;
        let tokenizer = Tokenizer::from_file(dir.join(TOKENIZER_JSON))?;
        let dev = Cpu::default();
        let mut model = Classifier::<f32, Cpu>::new(&meta.model, tokenizer.vocab_size(), &dev)
            .map_err(|e| SavedModelError::Model {
                path: meta_path,
                message: e.to_string(),
            })?;
        load_weights(&mut model, &dir.join(WEIGHTS))
            .map_err(|e| SavedModelError::Weights(e.to_string()))?;
        Ok(Self {
            meta,
            tokenizer,
            model,
        })
    }

    /// Normalizes and encodes texts; a text with no piece gets `<unk>`, so every row can be
    /// batched.
    pub fn encode(&self, texts: &[String]) -> Result<Vec<Vec<u32>>, SavedModelError> {
        let norm: Vec<String> = texts
            .iter()
            .map(|t| self.meta.normalizer.normalize(t))
            .collect();
        let mut ids = self
            .tokenizer
            .encode_batch_ids(&norm, &EncodeOptions::default())?;
        for row in ids.iter_mut().filter(|row| row.is_empty()) {
            row.push(self.tokenizer.unk_id());
        }
        Ok(ids)
    }

    /// Fixed-order batches of `ids` (and labels, if any).
    pub fn batches(
        &self,
        ids: &[Vec<u32>],
        labels: Option<&[usize]>,
        batch_size: usize,
    ) -> Result<Vec<Batch>, SavedModelError> {
        let cfg = LoaderConfig {
            batch_size,
            max_len: self.meta.max_len,
            pad_id: self.tokenizer.pad_id(),
            shuffle: false,
            ..LoaderConfig::default()
        };
        Ok(DataLoader::new(ids, labels, cfg)?.epoch(0))
    }
}
