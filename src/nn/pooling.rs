//! Masked aggregations of a recurrent encoder's outputs into one vector per sequence.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::directions::Directions;
use super::params::{DynList, R1, R2, R3, UNSET, from_f64, host_values, to_f64, uniform};
use super::sequence::{constant_index, last_index, neg_mask};

/// How the per-position outputs become one feature vector; padding never contributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// Forward state at `t = len − 1`, concatenated with the backward state at `t = 0`.
    #[default]
    Final,
    /// Mean over the real positions.
    Mean,
    /// Feature-wise max over the real positions.
    Max,
    /// Softmax-weighted sum with scores `⟨q, h_t⟩` from a learned query `q`.
    Attention,
}

impl Aggregation {
    /// Every variant, in a stable order.
    pub const ALL: [Aggregation; 4] = [Self::Final, Self::Mean, Self::Max, Self::Attention];

    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Final => "final",
            Self::Mean => "mean",
            Self::Max => "max",
            Self::Attention => "attention",
        }
    }

    fn code(self) -> usize {
        Self::ALL.iter().position(|&a| a == self).unwrap_or(0)
    }
}

/// The learned query of attention pooling.
#[derive(Clone, Debug)]
pub struct Query<E: Dtype, D: Device<E>> {
    pub q: R1<E, D>,
}

crate::tensor_collection!(Query<E, D> { tensor q });

/// An [`Aggregation`] and, for attention, its query.
#[derive(Clone, Debug)]
pub struct Pooling<E: Dtype, D: Device<E>> {
    /// Index into [`Aggregation::ALL`] (a number so that checkpoints record it).
    pub code: usize,
    /// The attention query (empty for the other aggregations).
    pub query: DynList<Query<E, D>>,
}

impl<E: Dtype, D: Device<E>> Pooling<E, D> {
    /// A pooling over `features`-wide outputs; the attention query is uniform in ±1/√features.
    pub fn new(dev: &D, aggregation: Aggregation, features: usize, rng: &mut StdRng) -> Self {
        let query = (aggregation == Aggregation::Attention)
            .then(|| Query {
                q: uniform(dev, (features,), 1.0 / (features as f64).sqrt(), rng),
            })
            .into_iter()
            .collect();
        Self {
            code: aggregation.code(),
            query: DynList::new(query),
        }
    }

    /// The aggregation.
    pub fn aggregation(&self) -> Aggregation {
        Aggregation::ALL[self.code.min(3)]
    }

    /// `(B, features)` from one layer's directions.
    pub fn forward<T: Tape<E, D>>(
        &self,
        dirs: Directions<E, D, T>,
        lengths: &[usize],
    ) -> R2<E, D, T> {
        match self.aggregation() {
            Aggregation::Final => final_states(dirs, lengths),
            Aggregation::Mean => mean_pool(dirs.concat(), lengths),
            Aggregation::Max => max_pool(dirs.concat(), lengths),
            Aggregation::Attention => {
                let q = &self
                    .query
                    .items
                    .first()
                    .expect("attention pooling has a query")
                    .q;
                attention_pool(dirs.concat(), q, lengths)
            }
        }
    }
}

/// Forward output at `len − 1` ‖ backward output at 0 → `(B, H·directions)`.
pub fn final_states<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    dirs: Directions<E, D, T>,
    lengths: &[usize],
) -> R2<E, D, T> {
    let dev = dirs.forward.device().clone();
    let forward = dirs.forward.select(last_index(&dev, lengths));
    match dirs.backward {
        Some(b) => {
            (forward, b.select(constant_index(&dev, lengths.len(), 0))).concat_along(Axis::<1>)
        }
        None => forward,
    }
}

/// Mean over real positions of `x: (B, T, F)` whose padded positions are zero.
pub fn mean_pool<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    lengths: &[usize],
) -> R2<E, D, T> {
    let (b, _, f) = *x.shape();
    let inv: R1<E, D> = x.device().tensor_from_vec(
        lengths
            .iter()
            .map(|&l| from_f64(1.0 / l.max(1) as f64))
            .collect(),
        (b,),
    );
    x.sum::<_, Axis<1>>() * inv.broadcast_like::<_, Axis<1>>(&(b, f))
}

/// Feature-wise max over real positions of `x: (B, T, F)`.
pub fn max_pool<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    lengths: &[usize],
) -> R2<E, D, T> {
    max_over_time(x, lengths)
}

/// Feature-wise max over the first `valid[r]` positions of each row of `x: (B, T, F)`; a row
/// with no valid position yields 0.
///
/// The argmax is found on the host and the winner picked by `select`, so the gradient goes to
/// exactly one position. dfdx's `max` sends the full gradient to every tied position, which
/// doubles it whenever a token (CNN width 1) or a saturated state repeats.
pub fn max_over_time<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    valid: &[usize],
) -> R2<E, D, T> {
    let (b, t, f) = *x.shape();
    let host = host_values(&x);
    let mut winners = vec![0usize; b * f];
    for (r, &len) in valid.iter().enumerate() {
        for c in 0..f {
            let value = |p: usize| to_f64(host[(r * t + p) * f + c]);
            winners[r * f + c] =
                (1..len.min(t)).fold(0, |best, p| if value(p) > value(best) { p } else { best });
        }
    }
    let dev = x.device().clone();
    let picked = x
        .permute::<_, Axes3<0, 2, 1>>()
        .select(dev.tensor_from_vec(winners, (b, f)));
    if valid.iter().all(|&len| len > 0) {
        return picked;
    }
    let rows: R1<E, D> = dev.tensor_from_vec(
        valid
            .iter()
            .map(|&len| from_f64((len > 0) as u8 as f64))
            .collect(),
        (b,),
    );
    picked * rows.broadcast_like::<_, Axis<1>>(&(b, f))
}

/// `Σ_t softmax_t(⟨q, x_t⟩) x_t` over real positions of `x: (B, T, F)`.
pub fn attention_pool<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    q: &R1<E, D>,
    lengths: &[usize],
) -> R2<E, D, T> {
    let shape = *x.shape();
    let (b, t, f) = shape;
    let m = neg_mask::<E, D>(x.device(), lengths, t);
    let (x, tape) = x.split_tape();
    let scores = x
        .clone()
        .put_tape(tape)
        .reshape_like(&(b * t, f))
        .matmul(q.clone())
        .reshape_like(&(b, t))
        + m;
    let weights = scores.softmax::<Axis<1>>();
    (weights.broadcast_like::<_, Axis<2>>(&shape) * x).sum::<_, Axis<1>>()
}

crate::tensor_collection!(Pooling<E, D> { setting code = UNSET, list query });
