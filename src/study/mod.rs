//! The homework's experiments as data, run over seeds with a cache.

pub mod baseline;
pub mod experiments;
pub mod results;
pub mod yelp;
