//! A trained model as a folder: `model.json` (the [`Manifest`]), `tokenizer.json` and
//! `model.safetensors`, written together and loaded only when all three check out.
//!
//! Loading verifies the manifest's own checksum, both file hashes, and then every weight
//! (shape, finite values, settings equal to the config's), so a damaged or edited folder is
//! an error naming the file (and tensor), never a panic or a silently different model.

use std::path::{Path, PathBuf};

use dfdx::prelude::*;

use super::json_path::json_path_at;
use super::manifest::{FORMAT, Manifest, TrainingSummary, sha256_hex};
use super::run_config::{RunConfig, RunConfigError};
use crate::data::{Batch, DataLoader, LoaderConfig, LoaderError, YelpStyleNormalizer};
use crate::nn::classifier::Classifier;
use crate::tokenizer::{Tokenizer, TokenizerError};
use crate::train::weights::{WeightsError, load_weights_from_bytes, save_weights};

/// The manifest's file name inside a model folder.
pub const MODEL_JSON: &str = "model.json";
/// The tokenizer's file name inside a model folder.
pub const TOKENIZER_JSON: &str = "tokenizer.json";
/// The weights' file name inside a model folder.
pub const WEIGHTS: &str = "model.safetensors";

/// A model folder that cannot be written or loaded, or texts it cannot score.
#[derive(Debug, thiserror::Error)]
pub enum SavedModelError {
    #[error("cannot read {path} (is this a model folder written by `train`?): {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}", path = path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `model.json` is not a manifest of this version (older folder, or damaged).
    #[error(
        "{path}:{line}:{column}: {field}{message} (not a model folder of this version, or \
         damaged: train it again)",
        path = path.display()
    )]
    Manifest {
        path: PathBuf,
        field: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: folder format {found}, this version reads format {FORMAT}: train it again", path = path.display())]
    Format { path: PathBuf, found: u32 },
    /// A file's bytes differ from what the manifest recorded.
    #[error(
        "{path}: SHA-256 {found} differs from {expected} recorded in model.json: the file was \
         changed or damaged",
        path = path.display()
    )]
    Hash {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{path}: checksum mismatch: the manifest was edited or damaged", path = path.display())]
    Checksum { path: PathBuf },
    #[error("{path}: {source}", path = path.display())]
    Config {
        path: PathBuf,
        source: RunConfigError,
    },
    #[error("{path}: the model config cannot build a classifier: {message}", path = path.display())]
    Model { path: PathBuf, message: String },
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Batch(#[from] LoaderError),
}

/// A trained model loaded from (or about to be written to) its folder.
pub struct SavedModel {
    pub manifest: Manifest,
    pub tokenizer: Tokenizer,
    pub model: Classifier<f32, Cpu>,
}

/// What [`SavedModel::write`] needs besides the weights and the tokenizer.
pub struct ModelRecord<'a> {
    pub config: &'a RunConfig,
    pub normalizer: YelpStyleNormalizer,
    pub training: TrainingSummary,
}

impl SavedModel {
    /// Writes `model.safetensors`, `tokenizer.json` and `model.json` (last, with both hashes
    /// and its checksum) into the existing folder `dir`; returns the manifest written.
    pub fn write(
        dir: &Path,
        record: ModelRecord<'_>,
        tokenizer: &Tokenizer,
        model: &Classifier<f32, Cpu>,
    ) -> Result<Manifest, SavedModelError> {
        let weights_path = dir.join(WEIGHTS);
        save_weights(model, &weights_path)?;
        let tokenizer_json = tokenizer.to_json_string();
        write_file(&dir.join(TOKENIZER_JSON), tokenizer_json.as_bytes())?;
        let manifest = Manifest {
            format: FORMAT,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            config: record.config.clone(),
            normalizer: record.normalizer,
            tokenizer_sha256: sha256_hex(tokenizer_json.as_bytes()),
            weights_sha256: sha256_hex(&read_file(&weights_path)?),
            training: record.training,
            checksum: String::new(),
        }
        .sealed();
        write_file(&dir.join(MODEL_JSON), manifest.to_json().as_bytes())?;
        Ok(manifest)
    }

    /// Loads and verifies the folder `dir` (see the module docs).
    pub fn load(dir: &Path) -> Result<Self, SavedModelError> {
        let manifest_path = dir.join(MODEL_JSON);
        let manifest = read_manifest(&manifest_path)?;
        let tokenizer_path = dir.join(TOKENIZER_JSON);
        let tokenizer_bytes = read_file(&tokenizer_path)?;
        check_hash(
            &tokenizer_path,
            &tokenizer_bytes,
            &manifest.tokenizer_sha256,
        )?;
        let tokenizer_text = String::from_utf8_lossy(&tokenizer_bytes);
        let tokenizer = Tokenizer::from_json_str(&tokenizer_text, &tokenizer_path)?;
        let model_error = |message: String| SavedModelError::Model {
            path: manifest_path.clone(),
            message,
        };
        let mut model = Classifier::<f32, Cpu>::new(
            &manifest.config.model,
            tokenizer.vocab_size(),
            &Cpu::default(),
        )
        .map_err(|e| model_error(e.to_string()))?;
        let weights_path = dir.join(WEIGHTS);
        let weights = read_file(&weights_path)?;
        check_hash(&weights_path, &weights, &manifest.weights_sha256)?;
        load_weights_from_bytes(&mut model, &weights, &weights_path)?;
        Ok(Self {
            manifest,
            tokenizer,
            model,
        })
    }

    /// Tokens kept per text.
    pub fn max_len(&self) -> usize {
        self.manifest.config.data.max_len
    }

    /// Normalizes and encodes texts. A text with no piece (empty after normalization, e.g. a
    /// blank line or a lone `<br />`) becomes the empty review `[<unk>]`, as in training, so
    /// every text gets a prediction.
    pub fn encode(&self, texts: &[String]) -> Result<Vec<Vec<u32>>, SavedModelError> {
        let normalized: Vec<String> = texts
            .iter()
            .map(|text| self.manifest.normalizer.normalize(text))
            .collect();
        Ok(self.tokenizer.encode_batch_for_model(&normalized, None)?)
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
            max_len: self.max_len(),
            pad_id: self.tokenizer.pad_id(),
            shuffle: false,
            ..LoaderConfig::default()
        };
        Ok(DataLoader::new(ids, labels, cfg)?.epoch(0))
    }
}

/// Reads `model.json` and checks its format, checksum and config.
pub fn read_manifest(path: &Path) -> Result<Manifest, SavedModelError> {
    let text = String::from_utf8_lossy(&read_file(path)?).into_owned();
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| SavedModelError::Manifest {
            path: path.to_path_buf(),
            field: match json_path_at(&text, e.line(), e.column()) {
                field if field.is_empty() => String::new(),
                field => format!("`{field}`: "),
            },
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    if manifest.format != FORMAT {
        return Err(SavedModelError::Format {
            path: path.to_path_buf(),
            found: manifest.format,
        });
    }
    if manifest.checksum != manifest.expected_checksum() {
        return Err(SavedModelError::Checksum {
            path: path.to_path_buf(),
        });
    }
    manifest
        .config
        .validate(MODEL_JSON)
        .map_err(|source| SavedModelError::Config {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(manifest)
}

fn check_hash(path: &Path, bytes: &[u8], expected: &str) -> Result<(), SavedModelError> {
    let found = sha256_hex(bytes);
    if found != expected {
        return Err(SavedModelError::Hash {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            found,
        });
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<u8>, SavedModelError> {
    std::fs::read(path).map_err(|source| SavedModelError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SavedModelError> {
    std::fs::write(path, bytes).map_err(|source| SavedModelError::Write {
        path: path.to_path_buf(),
        source,
    })
}
