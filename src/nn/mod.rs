//! Neural network layers and classifiers built from dfdx tensor ops.

pub mod fused;
pub mod gates;
pub mod lstm;
