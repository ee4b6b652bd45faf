//! Saved models: the run config a model is trained from, and the model folder that `train`
//! writes and `eval`, `predict` (or any library user) load.

pub mod folder;
mod json_path;
pub mod run_config;

pub use folder::{ModelMeta, SavedModel, SavedModelError};
pub use run_config::{DataConfig, RunConfig, RunConfigError};
