//! Where `train` writes: the model folder `OUT` appears only complete, and a failure never
//! costs the folder that was there.
//!
//! A run works in the sibling `OUT.partial/` (its `run.json` records the config and tokenizer
//! hash, next to `tokenizer.json`, the checkpoint and the metrics). When the model is saved
//! and verified there, the old `OUT` is moved aside, `OUT.partial` renamed to `OUT`, and the
//! old one deleted. An interrupted run resumes from `OUT.partial` — only with the same config
//! and tokenizer; a finished `OUT` is continued only for a larger `train.epochs` (constant
//! learning rate); anything else is an error naming what differs, unless `--overwrite`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::config_diff::config_differences;
use super::folder::{MODEL_JSON, SavedModelError, TOKENIZER_JSON, WEIGHTS, read_manifest};
use super::manifest::sha256_hex;
use super::run_config::RunConfig;
use crate::tokenizer::{Tokenizer, TokenizerError};

/// The record of a run in progress, `OUT.partial/run.json`.
pub const RUN_JSON: &str = "run.json";

/// What `run.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialRun {
    pub crate_version: String,
    pub config: RunConfig,
    /// Lowercase hex SHA-256 of the run's `tokenizer.json`.
    pub tokenizer_sha256: String,
}

/// How a run starts, given what is already on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Train from scratch (a stale partial folder is discarded).
    Fresh,
    /// Continue the interrupted run in the partial folder.
    ResumePartial,
    /// Continue the finished folder's run for more epochs, from a copy of its checkpoint.
    Extend,
    /// The folder already holds this very run: nothing to train.
    Done,
}

/// Why `train` cannot write where it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("--out {path}: expected a folder path, e.g. `models/lstm`", path = path.display())]
    NoName { path: PathBuf },
    #[error("--out {path}: exists and is not a folder; choose another --out", path = path.display())]
    NotAFolder { path: PathBuf },
    #[error(
        "--out {path}: exists and is not a model folder (no {marker}); choose a new or empty folder",
        path = path.display()
    )]
    NotAModelFolder { path: PathBuf, marker: &'static str },
    #[error(
        "{path} holds a run with other settings:\n{differences}\nresuming would mix the two; pass \
         --overwrite to replace it (the old folder stays until the new one is complete), or \
         choose a fresh --out",
        path = path.display()
    )]
    Mismatch { path: PathBuf, differences: String },
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}", path = path.display())]
    RunRecord {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Saved(#[from] SavedModelError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
}

/// The model folder `train` writes and its partial sibling.
#[derive(Clone, Debug)]
pub struct OutputFolder {
    /// The finished model folder (`--out`).
    pub dir: PathBuf,
    /// Where the run works until the model is complete.
    pub partial: PathBuf,
}

impl OutputFolder {
    /// The folder `out` and its `out.partial` sibling.
    pub fn new(out: &Path) -> Result<Self, OutputError> {
        let name = out
            .file_name()
            .filter(|name| *name != "..")
            .ok_or_else(|| OutputError::NoName {
                path: out.to_path_buf(),
            })?;
        let mut partial_name = name.to_os_string();
        partial_name.push(".partial");
        Ok(Self {
            dir: out.to_path_buf(),
            partial: out.with_file_name(partial_name),
        })
    }

    /// Refuses, before any work, a target that is a file or a folder of something else (even
    /// with `--overwrite`: only model folders are ever replaced).
    pub fn check(&self) -> Result<(), OutputError> {
        for (path, marker) in [(&self.dir, MODEL_JSON), (&self.partial, RUN_JSON)] {
            if !path.exists() {
                continue;
            }
            if !path.is_dir() {
                return Err(OutputError::NotAFolder { path: path.clone() });
            }
            let empty = std::fs::read_dir(path)
                .map_err(|source| io(path, source))?
                .next()
                .is_none();
            if !empty && !path.join(marker).is_file() {
                return Err(OutputError::NotAModelFolder {
                    path: path.clone(),
                    marker,
                });
            }
        }
        Ok(())
    }

    /// Decides how to start a run of `config`; `tokenizer_sha256` is the hash of the
    /// tokenizer given by `data.tokenizer`, if any (a trained one follows from the config).
    pub fn plan(
        &self,
        config: &RunConfig,
        tokenizer_sha256: Option<&str>,
        overwrite: bool,
    ) -> Result<Plan, OutputError> {
        if overwrite {
            return Ok(Plan::Fresh);
        }
        let mismatch = |path: &Path, differences: Vec<String>| OutputError::Mismatch {
            path: path.to_path_buf(),
            differences: differences.join("\n"),
        };
        if self.partial.join(RUN_JSON).is_file() {
            let run = self.partial_run()?;
            let differences =
                config_differences(&run.config, &run.tokenizer_sha256, config, tokenizer_sha256);
            if !differences.is_empty() {
                return Err(mismatch(&self.partial, differences));
            }
            return Ok(Plan::ResumePartial);
        }
        if !self.dir.join(MODEL_JSON).is_file() {
            return Ok(Plan::Fresh);
        }
        let manifest = read_manifest(&self.dir.join(MODEL_JSON)).map_err(|e| {
            mismatch(
                &self.dir,
                vec![format!("  its model.json cannot be used: {e}")],
            )
        })?;
        let differences = config_differences(
            &manifest.config,
            &manifest.tokenizer_sha256,
            config,
            tokenizer_sha256,
        );
        if !differences.is_empty() {
            return Err(mismatch(&self.dir, differences));
        }
        if manifest.config.train.epochs == config.train.epochs {
            return Ok(Plan::Done);
        }
        if !self.dir.join("ckpt").is_dir() {
            let note = "  no checkpoint (ckpt/) to continue from for more epochs".to_string();
            return Err(mismatch(&self.dir, vec![note]));
        }
        Ok(Plan::Extend)
    }

    /// The tokenizer of the run being continued, checked against its recorded hash.
    pub fn continued_tokenizer(&self, plan: Plan) -> Result<Tokenizer, OutputError> {
        let (dir, expected) = match plan {
            Plan::Extend => {
                let manifest = read_manifest(&self.dir.join(MODEL_JSON))?;
                (&self.dir, manifest.tokenizer_sha256)
            }
            _ => (&self.partial, self.partial_run()?.tokenizer_sha256),
        };
        let path = dir.join(TOKENIZER_JSON);
        let text = std::fs::read_to_string(&path).map_err(|source| io(&path, source))?;
        let found = sha256_hex(text.as_bytes());
        if found != expected {
            return Err(SavedModelError::Hash {
                path,
                expected,
                found,
            }
            .into());
        }
        Ok(Tokenizer::from_json_str(&text, &path)?)
    }

    /// Prepares the partial folder for `plan`: a fresh one, or a copy of the finished folder
    /// to extend; then (re)writes its tokenizer and `run.json`.
    pub fn begin(
        &self,
        plan: Plan,
        config: &RunConfig,
        tokenizer: &Tokenizer,
    ) -> Result<(), OutputError> {
        if matches!(plan, Plan::Fresh | Plan::Extend) {
            remove_dir_if_present(&self.partial)?;
            std::fs::create_dir_all(&self.partial).map_err(|e| io(&self.partial, e))?;
        }
        if plan == Plan::Extend {
            copy_dir(&self.dir, &self.partial)?;
            for finished in [MODEL_JSON, WEIGHTS] {
                let path = self.partial.join(finished);
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            }
        }
        let json = tokenizer.to_json_string();
        let run = PartialRun {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            config: config.clone(),
            tokenizer_sha256: sha256_hex(json.as_bytes()),
        };
        let record = serde_json::to_string_pretty(&run).expect("a run record serializes");
        for (name, bytes) in [(TOKENIZER_JSON, json), (RUN_JSON, record)] {
            let path = self.partial.join(name);
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        }
        Ok(())
    }

    /// Moves the completed partial folder to `dir`, replacing the folder there.
    pub fn commit(&self) -> Result<(), OutputError> {
        let record = self.partial.join(RUN_JSON);
        std::fs::remove_file(&record).map_err(|e| io(&record, e))?;
        let mut aside_name = self.partial.file_name().unwrap_or_default().to_os_string();
        aside_name.push(format!(".replaced-{}", std::process::id()));
        let aside = self.dir.with_file_name(aside_name);
        let replacing = self.dir.exists();
        if replacing {
            std::fs::rename(&self.dir, &aside).map_err(|e| io(&self.dir, e))?;
        }
        if let Err(e) = std::fs::rename(&self.partial, &self.dir) {
            if replacing {
                let _ = std::fs::rename(&aside, &self.dir);
            }
            return Err(io(&self.dir, e));
        }
        if replacing {
            std::fs::remove_dir_all(&aside).map_err(|e| io(&aside, e))?;
        }
        Ok(())
    }

    fn partial_run(&self) -> Result<PartialRun, OutputError> {
        let path = self.partial.join(RUN_JSON);
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        serde_json::from_str(&text).map_err(|source| OutputError::RunRecord { path, source })
    }
}

fn io(path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn remove_dir_if_present(dir: &Path) -> Result<(), OutputError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(dir, e)),
        _ => Ok(()),
    }
}

/// Copies the files of `from` (and of its sub-folders) into the existing folder `to`.
fn copy_dir(from: &Path, to: &Path) -> Result<(), OutputError> {
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let source = entry.map_err(|e| io(from, e))?.path();
        let target = to.join(source.file_name().unwrap_or_default());
        if source.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| io(&target, e))?;
            copy_dir(&source, &target)?;
        } else {
            std::fs::copy(&source, &target).map_err(|e| io(&source, e))?;
        }
    }
    Ok(())
}
