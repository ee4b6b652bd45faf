//! The homework's experiments as data, run over seeds with a cache.

pub mod analysis;
pub mod baseline;
pub mod experiments;
pub mod format;
pub mod jobs;
pub mod prepare;
pub mod results;
pub mod runner;
pub mod settings;
pub mod timing;
pub mod yelp;
pub mod yelp_errors;
