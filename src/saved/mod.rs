//! Saved models: the run config a model is trained from, the model folder that `train`
//! writes (atomically, with a manifest) and that `eval`, `predict` or any library user load.

mod config_diff;
pub mod folder;
mod json_path;
pub mod manifest;
pub mod output;
pub mod run_config;

pub use folder::{ModelRecord, SavedModel, SavedModelError};
pub use manifest::{Manifest, TrainingSummary};
pub use output::{OutputError, OutputFolder, Plan};
pub use run_config::{DataConfig, RunConfig, RunConfigError};
