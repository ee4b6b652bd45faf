//! A double-array byte trie over the vocabulary's pieces, for common-prefix search in Viterbi.
//!
//! Double array (Aoe 1989, as SentencePiece's darts): the child of node `s` on byte `c` is unit
//! `base[s] + c` if that unit's `check` is `s`. One array access per byte keeps the search
//! cache-friendly, which matters: it is Viterbi's inner loop.

use std::collections::BTreeMap;

/// Marks "no piece ends here" / "unit unused".
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Unit {
    base: u32,
    check: u32,
    value: u32,
}

const FREE: Unit = Unit {
    base: 0,
    check: NONE,
    value: NONE,
};

/// An immutable byte trie mapping piece strings to ids.
#[derive(Clone, Debug)]
pub struct Trie {
    units: Vec<Unit>,
}

/// The unit array under construction, with a doubly linked list of its free cells so that
/// finding a base skips the (dense) used region.
struct Cells {
    units: Vec<Unit>,
    next: Vec<usize>,
    prev: Vec<usize>,
    /// First free cell (`usize::MAX`: none).
    head: usize,
    tail: usize,
}

impl Cells {
    /// Just the root, at cell 0.
    fn new() -> Self {
        let root = Unit {
            base: 0,
            check: 0,
            value: NONE,
        };
        Cells {
            units: vec![root],
            next: vec![usize::MAX],
            prev: vec![usize::MAX],
            head: usize::MAX,
            tail: usize::MAX,
        }
    }

    /// Extends the array to `len` cells, all free.
    fn grow(&mut self, len: usize) {
        while self.units.len() < len {
            let i = self.units.len();
            self.units.push(FREE);
            self.next.push(usize::MAX);
            self.prev.push(self.tail);
            match self.tail {
                usize::MAX => self.head = i,
                t => self.next[t] = i,
            }
            self.tail = i;
        }
    }

    /// Marks free cell `i` as a child of `parent`.
    fn take(&mut self, i: usize, parent: u32) {
        let (p, n) = (self.prev[i], self.next[i]);
        match p {
            usize::MAX => self.head = n,
            p => self.next[p] = n,
        }
        match n {
            usize::MAX => self.tail = p,
            n => self.prev[n] = p,
        }
        self.units[i].check = parent;
    }

    /// The first base >= 1 at which every `labels` cell is free, growing the array as needed.
    fn find_base(&mut self, labels: &[u8]) -> usize {
        let lo = labels[0] as usize;
        let mut f = self.head;
        loop {
            let base = match f {
                usize::MAX => self.units.len().saturating_sub(lo).max(1),
                f => f.saturating_sub(lo).max(1),
            };
            self.grow(base + 256);
            if labels
                .iter()
                .all(|&c| self.units[base + c as usize].check == NONE)
            {
                return base;
            }
            f = match f {
                usize::MAX => unreachable!("cells past the end are all free"),
                f => self.next[f],
            };
        }
    }
}

/// A pointer-based node used only while building.
#[derive(Default)]
struct BuildNode {
    children: BTreeMap<u8, usize>,
    value: Option<u32>,
}

impl Trie {
    /// Builds a trie from `(piece, id)` pairs; a later duplicate piece keeps the first id.
    pub fn new<'a>(pieces: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        let mut build = vec![BuildNode::default()];
        for (piece, id) in pieces {
            let mut node = 0;
            for &b in piece.as_bytes() {
                node = match build[node].children.get(&b) {
                    Some(&c) => c,
                    None => {
                        build.push(BuildNode::default());
                        let c = build.len() - 1;
                        build[node].children.insert(b, c);
                        c
                    }
                };
            }
            build[node].value.get_or_insert(id);
        }
        let mut cells = Cells::new();
        // (build node, its unit), placed breadth-first so that siblings and the frequent
        // shallow nodes end up close together.
        let mut queue = std::collections::VecDeque::from([(0usize, 0usize)]);
        while let Some((node, unit)) = queue.pop_front() {
            cells.units[unit].value = build[node].value.unwrap_or(NONE);
            let labels: Vec<u8> = build[node].children.keys().copied().collect();
            if labels.is_empty() {
                continue;
            }
            let base = cells.find_base(&labels);
            cells.units[unit].base = base as u32;
            for (&c, &child) in &build[node].children {
                let t = base + c as usize;
                cells.take(t, unit as u32);
                queue.push_back((child, t));
            }
        }
        let mut units = cells.units;
        while units.last().is_some_and(|u| u.check == NONE) {
            units.pop();
        }
        Trie { units }
    }

    /// Calls `f(byte_len, id)` for every piece that is a prefix of `bytes`, shortest first.
    #[inline]
    pub fn common_prefix_search(&self, bytes: &[u8], mut f: impl FnMut(usize, u32)) {
        let units = &self.units[..];
        let mut s = 0usize;
        for (i, &b) in bytes.iter().enumerate() {
            let t = units[s].base as usize + b as usize;
            match units.get(t) {
                Some(u) if u.check == s as u32 && t != 0 => {
                    s = t;
                    if u.value != NONE {
                        f(i + 1, u.value);
                    }
                }
                _ => return,
            }
        }
    }

    /// The id of exactly `piece`, if it is in the trie.
    pub fn get(&self, piece: &str) -> Option<u32> {
        let mut found = None;
        self.common_prefix_search(piece.as_bytes(), |len, id| {
            if len == piece.len() {
                found = Some(id);
            }
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_all_prefixes_shortest_first() {
        let t = Trie::new([
            ("a", 0),
            ("ab", 1),
            ("abc", 2),
            ("b", 3),
            ("▁a", 4),
            ("\0", 5),
        ]);
        let mut got = Vec::new();
        t.common_prefix_search(b"abd", |l, id| got.push((l, id)));
        assert_eq!(got, vec![(1, 0), (2, 1)]);
        assert_eq!(t.get("▁a"), Some(4));
        assert_eq!(t.get("▁"), None);
        assert_eq!(t.get("abc"), Some(2));
        assert_eq!(t.get("\0"), Some(5));
        assert_eq!(t.get("c"), None);
    }

    /// 3,000 distinct words sharing many prefixes: `{i·7919 mod 1000}{separator}{i}`.
    fn numbered_words(separator: &str) -> Vec<String> {
        (0..3000u32)
            .map(|i| format!("{}{separator}{i}", i * 7919 % 1000))
            .collect()
    }

    /// A trie mapping each word to its index.
    fn numbered_trie(words: &[String]) -> Trie {
        Trie::new(
            words
                .iter()
                .enumerate()
                .map(|(id, word)| (word.as_str(), id as u32)),
        )
    }

    #[test]
    fn units_are_packed_densely() {
        // Breadth-first placement with a free list: almost no unused cells.
        let words = numbered_words("▁");
        let t = numbered_trie(&words);
        let used = t.units.iter().filter(|u| u.check != NONE).count();
        assert!(
            t.units.len() < used + used / 10 + 256,
            "{} units for {used} nodes",
            t.units.len()
        );
    }

    #[test]
    fn every_piece_is_found() {
        let words = numbered_words("");
        let t = numbered_trie(&words);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.get(w), Some(i as u32), "{w}");
        }
        assert_eq!(t.get("x"), None);
    }
}
