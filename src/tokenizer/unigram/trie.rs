//! A byte trie over the vocabulary's pieces, for common-prefix search during Viterbi.
//!
//! Nodes are flattened into arrays after construction: each node owns a contiguous, sorted run
//! of `(byte, child)` edges, and the root has a dense 256-entry table because every search
//! starts there.

/// Marks "no piece ends here" / "no child".
const NONE: u32 = u32::MAX;

/// An immutable byte trie mapping piece strings to ids.
#[derive(Clone, Debug)]
pub struct Trie {
    root: Box<[u32; 256]>,
    /// Per node: `(first edge, number of edges, id of the piece ending here or NONE)`.
    nodes: Vec<(u32, u32, u32)>,
    edge_bytes: Vec<u8>,
    edge_targets: Vec<u32>,
}

/// A growable node used only while building.
#[derive(Default)]
struct BuildNode {
    children: std::collections::BTreeMap<u8, usize>,
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
        // Node ids in the flat form equal build indices.
        let mut nodes = Vec::with_capacity(build.len());
        let mut edge_bytes = Vec::new();
        let mut edge_targets = Vec::new();
        for n in &build {
            nodes.push((
                edge_bytes.len() as u32,
                n.children.len() as u32,
                n.value.unwrap_or(NONE),
            ));
            for (&b, &c) in &n.children {
                edge_bytes.push(b);
                edge_targets.push(c as u32);
            }
        }
        let mut root = Box::new([NONE; 256]);
        for (&b, &c) in &build[0].children {
            root[b as usize] = c as u32;
        }
        Trie {
            root,
            nodes,
            edge_bytes,
            edge_targets,
        }
    }

    fn child(&self, node: u32, byte: u8) -> u32 {
        let (start, len, _) = self.nodes[node as usize];
        let (start, end) = (start as usize, (start + len) as usize);
        let bytes = &self.edge_bytes[start..end];
        let found = if bytes.len() <= 8 {
            bytes.iter().position(|&b| b == byte)
        } else {
            bytes.binary_search(&byte).ok()
        };
        found.map_or(NONE, |i| self.edge_targets[start + i])
    }

    /// Calls `f(byte_len, id)` for every piece that is a prefix of `bytes`, shortest first.
    #[inline]
    pub fn common_prefix_search(&self, bytes: &[u8], mut f: impl FnMut(usize, u32)) {
        let Some(&first) = bytes.first() else { return };
        let mut node = self.root[first as usize];
        let mut len = 1;
        while node != NONE {
            let value = self.nodes[node as usize].2;
            if value != NONE {
                f(len, value);
            }
            match bytes.get(len) {
                Some(&b) => node = self.child(node, b),
                None => break,
            }
            len += 1;
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
        let t = Trie::new([("a", 0), ("ab", 1), ("abc", 2), ("b", 3), ("▁a", 4)]);
        let mut got = Vec::new();
        t.common_prefix_search(b"abd", |l, id| got.push((l, id)));
        assert_eq!(got, vec![(1, 0), (2, 1)]);
        assert_eq!(t.get("▁a"), Some(4));
        assert_eq!(t.get("▁"), None);
        assert_eq!(t.get("abc"), Some(2));
    }
}
