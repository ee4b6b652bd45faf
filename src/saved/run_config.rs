//! The `--config` file of `train`: model, training and data settings as plain serde structs,
//! with errors that name the file, the field and the value typed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::json_path::json_path_at;
use crate::nn::config::{self as model_config, ModelConfig, ModelKind};
use crate::train::TrainConfig;

/// Data settings of a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Vocabulary of the tokenizer trained when `tokenizer` is absent.
    pub vocab_size: usize,
    /// An existing `tokenizer.json` to use instead of training one.
    pub tokenizer: Option<PathBuf>,
    /// Tokens kept per review.
    pub max_len: usize,
    /// Share of the course training reviews held out for validation.
    pub val_fraction: f64,
    /// Seed of the train/validation split.
    pub split_seed: u64,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            vocab_size: 30_000,
            tokenizer: None,
            max_len: 256,
            val_fraction: 0.1,
            split_seed: 0,
        }
    }
}

/// The whole `--config` file: `model` (required), `train` and `data`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub model: ModelConfig,
    #[serde(default)]
    pub train: TrainConfig,
    #[serde(default)]
    pub data: DataConfig,
}

/// A run config that cannot be read, parsed or used.
#[derive(Debug, thiserror::Error)]
pub enum RunConfigError {
    /// The file cannot be read.
    #[error("cannot read config {path}: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The text is not JSON of the expected shape; `field` is the dotted path of the value.
    #[error("{origin}:{line}:{column}: {}{message}", field_prefix(field))]
    Parse {
        origin: String,
        field: String,
        line: usize,
        column: usize,
        /// serde's message, which quotes the value found and the type expected.
        message: String,
    },
    /// A field holds a value outside its allowed range.
    #[error("{origin}: `{field}` = {value}: expected {expected}")]
    Invalid {
        origin: String,
        field: String,
        value: String,
        expected: String,
    },
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("`{field}`: ")
    }
}

impl RunConfig {
    /// Reads and checks the config at `path`; errors name the file.
    pub fn from_file(path: &Path) -> Result<Self, RunConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RunConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a config; `origin` (a file name) starts every error message.
    pub fn parse(text: &str, origin: &str) -> Result<Self, RunConfigError> {
        let config: Self = serde_json::from_str(text).map_err(|e| RunConfigError::Parse {
            origin: origin.to_string(),
            field: json_path_at(text, e.line(), e.column()),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        config.validate(origin)?;
        Ok(config)
    }

    /// Checks the ranges of every section, naming the first bad field.
    pub fn validate(&self, origin: &str) -> Result<(), RunConfigError> {
        let invalid = |field: String, value: String, expected: &str| RunConfigError::Invalid {
            origin: origin.to_string(),
            field,
            value,
            expected: expected.to_string(),
        };
        if let Err(model_config::ConfigError::Invalid {
            field,
            got,
            allowed,
        }) = self.model.validate()
        {
            return Err(invalid(format!("model.{field}"), got, &allowed));
        }
        if let Err(e) = self.train.validate() {
            return Err(invalid(format!("train.{}", e.field), e.value, e.expected));
        }
        if self.data.max_len == 0 {
            return Err(invalid("data.max_len".into(), "0".into(), "an integer ≥ 1"));
        }
        self.check_learnable(origin)?;
        let fraction = self.data.val_fraction;
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(invalid(
                "data.val_fraction".into(),
                fraction.to_string(),
                "a number in (0, 1)",
            ));
        }
        Ok(())
    }
}

impl RunConfig {
    /// Rejects a CNN none of whose kernels fits in a review of `max_len` tokens (plus its
    /// padding): it would see no window and train a constant model.
    fn check_learnable(&self, origin: &str) -> Result<(), RunConfigError> {
        let model = &self.model;
        let room = self.data.max_len + 2 * model.conv_padding;
        match model.kernel_widths.iter().min() {
            Some(&smallest) if model.kind == ModelKind::Cnn && smallest > room => {
                Err(RunConfigError::Invalid {
                    origin: origin.to_string(),
                    field: "model.kernel_widths".into(),
                    value: format!("{:?}", model.kernel_widths),
                    expected: format!(
                        "a smallest width ≤ data.max_len + 2 × model.conv_padding = {room}: \
                         a wider kernel sees no window of a review and cannot learn"
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}

/// serde_json's message without its " at line L column C" suffix (the error shows both first).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        RunConfig::parse(text, "cfg.json").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_file_field_and_value() {
        let e = error(r#"{"model": {"kind": "gru"}}"#);
        assert!(e.starts_with("cfg.json:1:"), "{e}");
        assert!(
            e.contains("`model.kind`") && e.contains("gru") && e.contains("lstm"),
            "{e}"
        );
        let e = error(r#"{"model": {"kind": "lstm"}, "train": {"lr": -1}}"#);
        assert!(e.contains("`train.lr` = -1"), "{e}");
        let e = error(r#"{"model": {"kind": "cnn"}, "trian": {}}"#);
        assert!(e.contains("unknown field `trian`"), "{e}");
        let e = error(r#"{"model": {"kind": "cnn"}, "data": {"max_len": 0}}"#);
        assert!(e.contains("`data.max_len` = 0"), "{e}");
        let e = error("{\"model\": {\"kind\": \"cnn\"},\n \"data\": {\"max_len\": \"64\"}}");
        assert!(
            e.starts_with("cfg.json:2:") && e.contains("`data.max_len`") && e.contains("\"64\""),
            "{e}"
        );
        let e = error(r#"{"model": {"kind": "cnn", "kernel_widths": [3, -4]}}"#);
        assert!(
            e.contains("`model.kernel_widths[1]`") && e.contains("-4"),
            "{e}"
        );
        let e =
            error(r#"{"model": {"kind": "cnn", "kernel_widths": [5, 7]}, "data": {"max_len": 4}}"#);
        assert!(
            e.contains("`model.kernel_widths` = [5, 7]") && e.contains("= 4"),
            "{e}"
        );
        let e = error(r#"{"train": {}}"#);
        assert!(e.contains("missing field `model`"), "{e}");
    }

    #[test]
    fn sections_default_and_round_trip() {
        let ok = RunConfig::parse(
            r#"{"model": {"kind": "lstm", "hidden_size": 8}, "train": {"epochs": 2}}"#,
            "x",
        )
        .unwrap();
        assert_eq!(
            (ok.model.hidden_size, ok.train.epochs, ok.data.max_len),
            (8, 2, 256)
        );
        let text = serde_json::to_string(&ok).unwrap();
        assert_eq!(RunConfig::parse(&text, "x").unwrap(), ok);
    }
}
