//! A concurrent word → ids cache in front of Viterbi (HuggingFace keeps one too).
//!
//! Natural text repeats words constantly, so after warm-up almost every word is a cache hit.
//! The map is split into shards, each behind its own `RwLock`, so threads rarely contend, and it
//! stops growing at a fixed capacity so memory stays bounded on unbounded input.
//!
//! In front of the shared map each thread keeps a small direct-mapped table ([`FrontCache`])
//! of short words stored inline, one cache line per entry: the frequent words ("the", ",")
//! then cost one hash and one memory access, with no lock and no pointer chasing.

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
        // Middle bits: hashbrown uses the low bits for the bucket and the top 7 as a tag, so
        // reusing either would leave the shard's map with colliding buckets or tags.
        &self.shards[(h.finish() >> 40) as usize % SHARDS]
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

/// Hashes a word with [`FxHasher`].
#[inline]
pub fn fx_hash(word: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(word.as_bytes());
    // Finalize so that the low bits (the slot index) depend on every byte.
    let x = h.finish();
    (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 32)
}

const FRONT_SLOTS: usize = 8192;
const KEY_MAX: usize = 21;
const IDS_MAX: usize = 8;

/// One inline entry: a word of at most 21 bytes (zero-padded) and its at most 8 ids, in one
/// 64-byte cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    hash: u64,
    key_len: u8,
    n_ids: u8,
    /// Hits minus collisions: a frequent word keeps its slot against passing rare ones.
    credit: u8,
    key: [u8; KEY_MAX],
    ids: [u32; IDS_MAX],
}

const EMPTY: Slot = Slot {
    hash: 0,
    key_len: u8::MAX,
    n_ids: 0,
    credit: 0,
    key: [0; KEY_MAX],
    ids: [0; IDS_MAX],
};

/// A per-thread, direct-mapped word → ids table shared by all tokenizers: each slot's hash
/// mixes in its tokenizer's owner id (see [`owner_hash`]), so entries of different tokenizers
/// never match each other and switching tokenizers costs nothing.
pub struct FrontCache {
    slots: Vec<Slot>,
}

/// The front-cache hash of `word` for tokenizer `owner`. Multiplying by an odd constant is a
/// bijection, so two owners never give the same hash for the same word.
#[inline]
pub fn owner_hash(word: &str, owner: u64) -> u64 {
    fx_hash(word) ^ owner.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// `word` zero-padded to the inline key size (`None` if too long).
#[inline]
fn padded(word: &str) -> Option<[u8; KEY_MAX]> {
    let b = word.as_bytes();
    if b.len() > KEY_MAX {
        return None;
    }
    let mut key = [0; KEY_MAX];
    key[..b.len()].copy_from_slice(b);
    Some(key)
}

impl FrontCache {
    fn new() -> Self {
        FrontCache {
            slots: vec![EMPTY; FRONT_SLOTS],
        }
    }

    /// Appends the ids of `word` (with [`owner_hash`] `hash`) to `out`; false on a miss.
    #[inline]
    pub fn extend_into(&mut self, word: &str, hash: u64, out: &mut Vec<u32>) -> bool {
        let slot = &mut self.slots[hash as usize % FRONT_SLOTS];
        if slot.hash != hash || slot.key_len as usize != word.len() {
            return false;
        }
        match padded(word) {
            Some(key) if key == slot.key => {
                out.extend_from_slice(&slot.ids[..slot.n_ids as usize]);
                slot.credit = slot.credit.saturating_add(1);
                true
            }
            _ => false,
        }
    }

    /// Offers `word`'s ids to its slot: taken when they fit inline and the slot is free or its
    /// word has used up its credit (each refused offer costs the incumbent one credit).
    #[inline]
    pub fn insert(&mut self, word: &str, hash: u64, ids: &[u32]) {
        let Some(key) = padded(word) else { return };
        if ids.len() > IDS_MAX {
            return;
        }
        let slot = &mut self.slots[hash as usize % FRONT_SLOTS];
        if slot.credit > 0 {
            slot.credit -= 1;
            return;
        }
        slot.hash = hash;
        slot.key_len = word.len() as u8;
        slot.key = key;
        slot.n_ids = ids.len() as u8;
        slot.ids[..ids.len()].copy_from_slice(ids);
        slot.credit = 1;
    }
}

thread_local! {
    static FRONT: std::cell::RefCell<FrontCache> = std::cell::RefCell::new(FrontCache::new());
}

/// Runs `f` with this thread's front cache.
pub fn with_front<R>(f: impl FnOnce(&mut FrontCache) -> R) -> R {
    FRONT.with(|c| f(&mut c.borrow_mut()))
}

/// A process-unique id for a tokenizer instance (its front-cache owner tag).
pub fn next_owner_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
