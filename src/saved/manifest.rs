//! `model.json`, the manifest of a model folder: the full run config, the text normalizer,
//! the SHA-256 of `tokenizer.json` and `model.safetensors`, the crate version, the training
//! summary, and a checksum of the manifest itself.
//!
//! The checksum makes every edit of a value (a `max_len`, a `conv_padding`) an error instead
//! of a silently different model; the file hashes do the same for the other two files.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::run_config::RunConfig;
use crate::data::YelpStyleNormalizer;
use crate::train::divergence::TrainWarning;

/// Layout version of the folder; a folder of another version is not loaded.
pub const FORMAT: u32 = 1;

/// How the training went (informational; loading does not depend on it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSummary {
    /// Epochs trained in total (including those before a resume).
    pub epochs: usize,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    pub val_accuracy: f32,
    pub test_accuracy: f32,
    /// Divergence warnings of the run (empty for a run that learned).
    pub warnings: Vec<TrainWarning>,
}

/// The contents of `model.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`] when written.
    pub format: u32,
    /// Version of the crate that wrote the folder.
    pub crate_version: String,
    /// The whole config the model was trained from (`model`, `train`, `data`).
    pub config: RunConfig,
    /// Applied to every text before tokenization.
    pub normalizer: YelpStyleNormalizer,
    /// Lowercase hex SHA-256 of `tokenizer.json`.
    pub tokenizer_sha256: String,
    /// Lowercase hex SHA-256 of `model.safetensors`.
    pub weights_sha256: String,
    pub training: TrainingSummary,
    /// SHA-256 of this manifest written with an empty `checksum` (see [`Manifest::sealed`]).
    pub checksum: String,
}

impl Manifest {
    /// The manifest with its checksum filled in.
    pub fn sealed(mut self) -> Self {
        self.checksum = self.expected_checksum();
        self
    }

    /// The checksum this manifest's values give.
    pub fn expected_checksum(&self) -> String {
        let unsealed = Manifest {
            checksum: String::new(),
            ..self.clone()
        };
        sha256_hex(
            serde_json::to_string(&unsealed)
                .expect("a manifest always serializes")
                .as_bytes(),
        )
    }

    /// Pretty JSON, as written to `model.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serializes") + "\n"
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
