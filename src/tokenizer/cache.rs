//! A concurrent word → ids cache in front of Viterbi (HuggingFace keeps one too).
//!
//! Natural text repeats words constantly, so after warm-up almost every word is a cache hit.
//! The map is split into shards, each behind its own `RwLock`, so threads rarely contend, and it
//! stops growing at a fixed capacity so memory stays bounded on unbounded input.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::RwLock;

const SHARDS: usize = 32;

/// Default number of cached words (about the distinct words of a few hundred MB of text).
pub const DEFAULT_CAPACITY: usize = 1 << 20;

/// FxHash (rustc's hasher): fast on short keys; the cache needs no DoS resistance.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().unwrap());
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type Shard = HashMap<Box<str>, Box<[u32]>, BuildHasherDefault<FxHasher>>;

/// Word (without its leading `▁`) → its token ids.
pub struct WordCache {
    shards: Vec<RwLock<Shard>>,
    per_shard: usize,
}

impl WordCache {
    /// A cache holding at most about `capacity` words (0 disables it).
    pub fn new(capacity: usize) -> Self {
        WordCache {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS),
        }
    }

    fn shard(&self, word: &str) -> &RwLock<Shard> {
        let mut h = FxHasher::default();
        word.hash(&mut h);
        // High bits: the low ones also pick the bucket inside the shard's map.
        &self.shards[(h.finish() >> 58) as usize % SHARDS]
    }

    /// Appends the cached ids of `word` to `out`; false on a miss.
    #[inline]
    pub fn extend_into(&self, word: &str, out: &mut Vec<u32>) -> bool {
        if self.per_shard == 0 {
            return false;
        }
        let shard = self.shard(word).read().unwrap_or_else(|e| e.into_inner());
        match shard.get(word) {
            Some(ids) => {
                out.extend_from_slice(ids);
                true
            }
            None => false,
        }
    }

    /// Remembers `ids` for `word` unless the shard is full.
    pub fn insert(&self, word: &str, ids: &[u32]) {
        if self.per_shard == 0 {
            return;
        }
        let mut shard = self.shard(word).write().unwrap_or_else(|e| e.into_inner());
        if shard.len() < self.per_shard {
            shard.insert(word.into(), ids.into());
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        for s in &self.shards {
            s.write().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}

impl Default for WordCache {
    fn default() -> Self {
        WordCache::new(DEFAULT_CAPACITY)
    }
}

impl std::fmt::Debug for WordCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordCache")
            .field("per_shard", &self.per_shard)
            .finish()
    }
}
