//! Neural network layers and classifiers built from dfdx tensor ops.

pub mod backend;
pub mod bidirectional;
pub mod classifier;
pub mod cnn;
pub mod config;
pub mod conv1d;
pub mod embedding;
pub mod fused;
pub mod gates;
pub mod linear;
pub mod lstm;
pub mod params;
pub mod pooling;
pub mod reference;
pub mod rnn;
pub mod sequence;
pub mod sequence_layer;
pub mod stack;
