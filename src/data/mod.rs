//! Reading, downloading, splitting and batching the study's data.

pub mod download;
pub mod files;
pub mod loader;
pub mod normalize;
pub mod split;
