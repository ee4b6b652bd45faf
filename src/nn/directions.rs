//! The per-direction outputs of one recurrent layer, as the stack hands them to pooling.

use dfdx::prelude::*;

use super::params::R3;

/// The per-direction outputs of one layer, each `(B, T, H)` aligned to input positions.
pub struct Directions<E: Dtype, D: Device<E>, T> {
    pub forward: R3<E, D, T>,
    pub backward: Option<R3<E, D, T>>,
}

impl<E: Dtype, D: Device<E>, T: Tape<E, D>> Directions<E, D, T> {
    /// `(B, T, H·directions)`: forward features first.
    pub fn concat(self) -> R3<E, D, T> {
        match self.backward {
            Some(b) => (self.forward, b).concat_along(Axis::<2>),
            None => self.forward,
        }
    }
}
