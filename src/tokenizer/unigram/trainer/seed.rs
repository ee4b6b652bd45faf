//! The seed vocabulary: every character, plus the most frequent substrings.
//!
//! Like SentencePiece, candidates are substrings of at most `max_piece_len` characters that
//! occur at least twice and are maximal repeats (not always preceded, nor always followed,
//! by the same character; a word boundary counts as a distinct neighbour), scored by
//! frequency × length; the best `seed_size` are kept. Counts are weighted by word
//! frequency and substrings never cross a word start, so `▁` only begins a piece.

use super::corpus::{Corpus, Node, Word};
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

struct Stat {
    count: u64,
    chars: u32,
    left: u32,
    right: u32,
    varies: u8,
}

/// Builds the seed vocabulary and the lattices of `words`, which must be valid (non-empty,
/// `▁` only at the start, nonzero counts).
pub fn seed(words: &[(&str, u64)], max_piece_len: usize, seed_size: usize) -> Seed {
    let mut map: FxHashMap<&str, u32> = FxHashMap::default();
    let mut stats: Vec<Stat> = Vec::new();
    // Stat index of every (word, start, length) in enumeration order.
    let mut occ: Vec<u32> = Vec::new();
    let mut word_chars: Vec<usize> = Vec::with_capacity(words.len());
    let mut bounds: Vec<usize> = Vec::new();
    let mut chars: Vec<u32> = Vec::new();
    for &(w, count) in words {
        bounds.clear();
        chars.clear();
        for (i, c) in w.char_indices() {
            bounds.push(i);
            chars.push(c as u32);
        }
        bounds.push(w.len());
        let n = chars.len();
        word_chars.push(n);
        for s in 0..n {
            let left = if s == 0 { BOUNDARY } else { chars[s - 1] };
            for e in s + 1..=n.min(s + max_piece_len) {
                let right = if e == n { BOUNDARY } else { chars[e] };
                let key = &w[bounds[s]..bounds[e]];
                let idx = *map.entry(key).or_insert_with(|| {
                    stats.push(Stat {
                        count: 0,
                        chars: (e - s) as u32,
                        left,
                        right,
                        varies: 0,
                    });
                    (stats.len() - 1) as u32
                });
                let st = &mut stats[idx as usize];
                st.count += count;
                if left == BOUNDARY || left != st.left {
                    st.varies |= LEFT_VARIES;
                }
                if right == BOUNDARY || right != st.right {
                    st.varies |= RIGHT_VARIES;
                }
                occ.push(idx);
            }
        }
    }
    let mut keys: Vec<&str> = vec![""; stats.len()];
    for (&k, &i) in &map {
        keys[i as usize] = k;
    }
    drop(map);

    // Characters: all of them, most frequent first.
    let mut char_ids: Vec<u32> = (0..stats.len() as u32)
        .filter(|&i| stats[i as usize].chars == 1)
        .collect();
    char_ids.sort_by(|&a, &b| {
        stats[b as usize]
            .count
            .cmp(&stats[a as usize].count)
            .then_with(|| keys[a as usize].cmp(keys[b as usize]))
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
            .then_with(|| keys[*a as usize].cmp(keys[*b as usize]))
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
        pieces.push(keys[i as usize].to_string());
        weight.push(score(i) as f64);
    }
    let log_total = weight.iter().sum::<f64>().ln();
    let logp = weight.iter().map(|w| w.ln() - log_total).collect();

    let corpus = build_corpus(
        words,
        &word_chars,
        &occ,
        &piece_of,
        pieces.len(),
        max_piece_len,
    );
    Seed {
        pieces,
        logp,
        num_chars,
        corpus,
    }
}

/// Replays the enumeration order of [`seed`] to turn substring occurrences into nodes.
fn build_corpus(
    words: &[(&str, u64)],
    word_chars: &[usize],
    occ: &[u32],
    piece_of: &[u32],
    num_pieces: usize,
    max_piece_len: usize,
) -> Corpus {
    let mut nodes = Vec::new();
    let mut out_words = Vec::with_capacity(words.len());
    let mut occurrence = vec![(u32::MAX, 0u32); num_pieces];
    let mut k = 0;
    for (wi, (&(_, count), &n)) in words.iter().zip(word_chars).enumerate() {
        let begin = nodes.len();
        for s in 0..n {
            for len in 1..=max_piece_len.min(n - s) {
                let piece = piece_of[occ[k] as usize];
                k += 1;
                if piece != NO_PIECE {
                    nodes.push(Node {
                        start: s as u32,
                        len: len as u32,
                        piece,
                    });
                    if occurrence[piece as usize].0 == u32::MAX {
                        occurrence[piece as usize] = (wi as u32, s as u32);
                    }
                }
            }
        }
        out_words.push(Word {
            nodes: begin..nodes.len(),
            chars: n,
            freq: count as f64,
        });
    }
    Corpus {
        words: out_words,
        nodes,
        occurrence,
    }
}
