//! Batching: seeded shuffling, length buckets, padding, truncation and attention masks.

/// One padded batch, rows right-padded to `seq_len` with the tokenizer's pad id.
///
/// Shared contract between the data loader and the models: `ids` is row-major
/// `batch_size × seq_len`; row `r` holds `lengths[r] ≥ 1` real tokens followed by padding;
/// `mask[r * seq_len + t]` is `1` for real tokens and `0` for padding.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub ids: Vec<u32>,
    pub mask: Vec<u8>,
    pub lengths: Vec<usize>,
    /// Class labels (0 = negative, 1 = positive); empty for unlabeled data.
    pub labels: Vec<usize>,
    /// Index of each row in the dataset the loader was built from.
    pub indices: Vec<usize>,
    pub batch_size: usize,
    pub seq_len: usize,
}
