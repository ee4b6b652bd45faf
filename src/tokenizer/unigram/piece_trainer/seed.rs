//! The seed vocabulary: every character, plus the most frequent substrings.
//!
//! Like SentencePiece, candidates are substrings of at most `max_piece_len` characters that
//! occur at least twice and are maximal repeats (not always preceded, nor always followed,
//! by the same character; a word boundary counts as a distinct neighbour), scored by
//! frequency × length; the best `seed_size` are kept. Counts are weighted by word
//! frequency and substrings never cross a word start, so `▁` only begins a piece.

use super::corpus::{Corpus, Node, Word};
use rayon::prelude::*;

use super::hash::FxHashMap;

/// The seed pieces and the corpus lattices over them.
pub struct Seed {
    /// Pieces: the `num_chars` single characters first (most frequent first), then the
    /// substrings (best score first).
    pub pieces: Vec<String>,
    /// Initial log-probabilities (counts normalized, as SentencePiece's `ToLogProb`).
    pub logp: Vec<f64>,
    pub num_chars: usize,
    pub corpus: Corpus,
}

/// No neighbour on this side: the substring touches a word boundary.
const BOUNDARY: u32 = u32::MAX;
const LEFT_VARIES: u8 = 1;
const RIGHT_VARIES: u8 = 2;
const NO_PIECE: u32 = u32::MAX;

struct Stat<'a> {
    key: &'a str,
    /// A second, independent hash of `key`: comparing it (instead of the strings, which
    /// live elsewhere in memory) detects collisions of the map's hash.
    check: u64,
    count: u64,
    chars: u32,
    left: u32,
    right: u32,
    varies: u8,
}

/// Extends a substring's hash by one character. Substrings are hashed incrementally
/// (start fixed, end growing), so all substrings of a word cost O(len × max_piece_len).
#[inline]
fn extend_hash((h, g): (u64, u64), c: u32) -> (u64, u64) {
    let c = u64::from(c);
    let h = (h.rotate_left(5) ^ c).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    let g = (g ^ c).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h, g ^ (g >> 29))
}

#[inline]
fn shard_of(hash: u64, shards: usize) -> usize {
    ((hash >> 40) as usize) % shards
}

/// Calls `f(word, start, end, hash)` for every substring of at most `max_len` characters
/// of every word, in (word, start, end) order. `chars` receives the word's characters and
/// `bounds` their byte offsets (plus the end).
fn for_each_substring(
    words: &[(&str, u64)],
    max_len: usize,
    mut f: impl FnMut(usize, &[u32], &[usize], usize, usize, (u64, u64)),
) {
    let mut bounds: Vec<usize> = Vec::new();
    let mut chars: Vec<u32> = Vec::new();
    for (wi, &(w, _)) in words.iter().enumerate() {
        bounds.clear();
        chars.clear();
        for (i, c) in w.char_indices() {
            bounds.push(i);
            chars.push(c as u32);
        }
        bounds.push(w.len());
        let n = chars.len();
        for s in 0..n {
            let mut h = (0, 0);
            for e in s + 1..=n.min(s + max_len) {
                h = extend_hash(h, chars[e - 1]);
                f(wi, &chars, &bounds, s, e, h);
            }
        }
    }
}

/// Substring statistics of one hash shard, and the shard-local index of each of the
/// shard's occurrences in enumeration order.
struct Shard<'a> {
    stats: Vec<Stat<'a>>,
    occ: Vec<u32>,
}

/// Counts the substrings whose hash falls in shard `shard` of `shards`.
fn count_shard<'a>(
    words: &[(&'a str, u64)],
    max_len: usize,
    shard: usize,
    shards: usize,
) -> Shard<'a> {
    let mut by_hash: FxHashMap<u64, u32> = FxHashMap::default();
    // Substrings whose hash collides with a different substring's (rare).
    let mut collided: FxHashMap<&'a str, u32> = FxHashMap::default();
    let mut stats: Vec<Stat<'a>> = Vec::new();
    let mut occ: Vec<u32> = Vec::new();
    for_each_substring(words, max_len, |wi, chars, bounds, s, e, (h, check)| {
        if shard_of(h, shards) != shard {
            return;
        }
        let (w, count) = words[wi];
        let key = &w[bounds[s]..bounds[e]];
        let left = if s == 0 { BOUNDARY } else { chars[s - 1] };
        let right = if e == chars.len() { BOUNDARY } else { chars[e] };
        let new_stat = |stats: &mut Vec<Stat<'a>>| {
            stats.push(Stat {
                key,
                check,
                count: 0,
                chars: (e - s) as u32,
                left,
                right,
                varies: 0,
            });
            (stats.len() - 1) as u32
        };
        let mut idx = *by_hash.entry(h).or_insert_with(|| new_stat(&mut stats));
        if stats[idx as usize].check != check {
            idx = *collided.entry(key).or_insert_with(|| new_stat(&mut stats));
        }
        let st = &mut stats[idx as usize];
        st.count += count;
        if left == BOUNDARY || left != st.left {
            st.varies |= LEFT_VARIES;
        }
        if right == BOUNDARY || right != st.right {
            st.varies |= RIGHT_VARIES;
        }
        occ.push(idx);
    });
    Shard { stats, occ }
}

/// Builds the seed vocabulary and the lattices of `words`, which must be valid (non-empty,
/// `▁` only at the start, nonzero counts).
pub fn seed(words: &[(&str, u64)], max_piece_len: usize, seed_size: usize) -> Seed {
    // Substring counting is hash-sharded over the threads: each thread enumerates every
    // substring but only counts its own shard, so no merging is needed.
    let shards = rayon::current_num_threads().max(1);
    let parts: Vec<Shard> = (0..shards)
        .into_par_iter()
        .map(|t| count_shard(words, max_piece_len, t, shards))
        .collect();
    let mut offsets = Vec::with_capacity(shards);
    let mut stats: Vec<Stat> = Vec::new();
    let mut occs = Vec::with_capacity(shards);
    for part in parts {
        offsets.push(stats.len() as u32);
        stats.extend(part.stats);
        occs.push(part.occ);
    }

    // Characters: all of them, most frequent first.
    let mut char_ids: Vec<u32> = (0..stats.len() as u32)
        .filter(|&i| stats[i as usize].chars == 1)
        .collect();
    char_ids.sort_by(|&a, &b| {
        stats[b as usize]
            .count
            .cmp(&stats[a as usize].count)
            .then_with(|| stats[a as usize].key.cmp(stats[b as usize].key))
    });
    // Substrings: maximal repeats, best freq × len first.
    let score = |i: u32| stats[i as usize].count * u64::from(stats[i as usize].chars);
    let mut cand: Vec<u32> = (0..stats.len() as u32)
        .filter(|&i| {
            let st = &stats[i as usize];
            st.chars >= 2 && st.count >= 2 && st.varies == LEFT_VARIES | RIGHT_VARIES
        })
        .collect();
    let order = |a: &u32, b: &u32| {
        score(*b)
            .cmp(&score(*a))
            .then_with(|| stats[*a as usize].key.cmp(stats[*b as usize].key))
    };
    if cand.len() > seed_size {
        cand.select_nth_unstable_by(seed_size, order);
        cand.truncate(seed_size);
    }
    cand.sort_unstable_by(order);

    let num_chars = char_ids.len();
    let mut piece_of = vec![NO_PIECE; stats.len()];
    let mut pieces = Vec::with_capacity(num_chars + cand.len());
    let mut weight = Vec::with_capacity(num_chars + cand.len());
    for (p, &i) in char_ids.iter().chain(&cand).enumerate() {
        piece_of[i as usize] = p as u32;
        pieces.push(stats[i as usize].key.to_string());
        weight.push(score(i) as f64);
    }
    let log_total = weight.iter().sum::<f64>().ln();
    let logp = weight.iter().map(|w| w.ln() - log_total).collect();
    drop(stats);

    // Shard-local occurrence indices → pieces, in the shared enumeration order.
    let occs: Vec<Vec<u32>> = occs
        .into_iter()
        .zip(&offsets)
        .map(|(occ, &off)| {
            occ.into_iter()
                .map(|i| piece_of[(off + i) as usize])
                .collect()
        })
        .collect();
    let corpus = build_corpus(words, &occs, pieces.len(), max_piece_len);
    Seed {
        pieces,
        logp,
        num_chars,
        corpus,
    }
}

/// Replays the enumeration order of [`count_shard`] to turn substring occurrences
/// (`occ_pieces[shard]`: the piece of each of that shard's occurrences, or `NO_PIECE`)
/// into lattice nodes.
fn build_corpus(
    words: &[(&str, u64)],
    occ_pieces: &[Vec<u32>],
    num_pieces: usize,
    max_piece_len: usize,
) -> Corpus {
    let shards = occ_pieces.len();
    let mut cursor = vec![0usize; shards];
    let mut nodes = Vec::new();
    let mut out_words: Vec<Word> = Vec::with_capacity(words.len());
    let mut occurrence = vec![(u32::MAX, 0u32); num_pieces];
    for_each_substring(words, max_piece_len, |wi, chars, _, s, e, (h, _)| {
        if out_words.len() == wi {
            let begin = out_words.last().map_or(0, |w| w.nodes.end);
            out_words.push(Word {
                nodes: begin..begin,
                chars: chars.len(),
                freq: words[wi].1 as f64,
            });
        }
        let t = shard_of(h, shards);
        let piece = occ_pieces[t][cursor[t]];
        cursor[t] += 1;
        if piece != NO_PIECE {
            nodes.push(Node {
                start: s as u32,
                len: (e - s) as u32,
                piece,
            });
            out_words[wi].nodes.end = nodes.len();
            if occurrence[piece as usize].0 == u32::MAX {
                occurrence[piece as usize] = (wi as u32, s as u32);
            }
        }
    });
    Corpus {
        words: out_words,
        nodes,
        occurrence,
    }
}
