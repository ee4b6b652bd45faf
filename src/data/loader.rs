//! Batching: seeded shuffling, length buckets, padding, truncation and attention masks.
//!
//! An epoch is: shuffle all indices (seeded by `seed` and the epoch number), cut them into
//! chunks of `bucket_batches × batch_size`, sort each chunk by length and cut it into batches
//! (so rows of a batch have similar lengths and little padding), then shuffle the batch order.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// One padded batch, rows right-padded to `seq_len` with the tokenizer's pad id.
///
/// Shared contract between the data loader and the models: `ids` is row-major
/// `batch_size × seq_len`; row `r` holds `lengths[r] ≥ 1` real tokens followed by padding;
/// `mask[r * seq_len + t]` is `1` for real tokens and `0` for padding.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Token ids, `batch_size × seq_len` row-major.
    pub ids: Vec<u32>,
    /// `1` for a real token, `0` for padding, laid out like `ids`.
    pub mask: Vec<u8>,
    /// Prior valence of each token, row-major like `ids` (0 on padding); empty unless the
    /// model reads a valence channel ([`crate::data::valence`]).
    pub valence: Vec<f32>,
    /// Real tokens per row (at least 1).
    pub lengths: Vec<usize>,
    /// Class labels (0 = negative, 1 = positive); empty for unlabeled data.
    pub labels: Vec<usize>,
    /// Index of each row in the dataset the loader was built from.
    pub indices: Vec<usize>,
    /// Rows.
    pub batch_size: usize,
    /// Tokens per row, padding included.
    pub seq_len: usize,
}

impl Batch {
    /// Pads `rows` (each non-empty, already truncated) to the longest one with `pad_id`.
    /// `labels` is empty or one per row; `indices` one per row.
    pub fn from_rows(
        rows: &[&[u32]],
        labels: Vec<usize>,
        indices: Vec<usize>,
        pad_id: u32,
    ) -> Batch {
        debug_assert!(labels.is_empty() || labels.len() == rows.len());
        debug_assert_eq!(indices.len(), rows.len());
        let seq_len = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(rows.len() * seq_len);
        let mut mask = Vec::with_capacity(rows.len() * seq_len);
        for row in rows {
            ids.extend_from_slice(row);
            ids.resize(ids.len() + seq_len - row.len(), pad_id);
            mask.resize(mask.len() + row.len(), 1);
            mask.resize(mask.len() + seq_len - row.len(), 0);
        }
        Batch {
            ids,
            mask,
            valence: Vec::new(),
            lengths: rows.iter().map(|r| r.len()).collect(),
            labels,
            indices,
            batch_size: rows.len(),
            seq_len,
        }
    }

    /// Row `r` including its padding.
    pub fn row(&self, r: usize) -> &[u32] {
        &self.ids[r * self.seq_len..(r + 1) * self.seq_len]
    }

    /// Row `r`'s real tokens (padding cut off).
    pub fn tokens(&self, r: usize) -> &[u32] {
        &self.row(r)[..self.lengths[r]]
    }

    /// Number of padding positions in the batch.
    pub fn padding(&self) -> usize {
        self.batch_size * self.seq_len - self.lengths.iter().sum::<usize>()
    }
}

/// What to keep of a sequence longer than `max_len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    /// The first `max_len` tokens.
    Head,
    /// The first `head` tokens and the last `max_len - head` (reviews often end with the
    /// verdict).
    HeadTail { head: usize },
}

/// Batching settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoaderConfig {
    /// Rows per batch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Longest row kept; longer sequences are truncated per `truncation`.
    pub max_len: usize,
    pub truncation: Truncation,
    /// The id padding positions get.
    pub pad_id: u32,
    /// Shuffle samples and batch order each epoch (off: dataset order, for evaluation).
    pub shuffle: bool,
    /// Sort by length within chunks of this many batches (0 or 1: no length bucketing).
    pub bucket_batches: usize,
    /// Seed of the per-epoch shuffles.
    pub seed: u64,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        Self {
            batch_size: 32,
            max_len: 256,
            truncation: Truncation::Head,
            pad_id: 0,
            shuffle: true,
            bucket_batches: 50,
            seed: 0,
        }
    }
}

/// The loader's inputs or settings are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoaderError {
    /// A sequence has no tokens (it would make a row of padding only).
    #[error(
        "sequence {index} is empty (expected every sequence to have at least one token; \
         drop or fix empty texts before batching)"
    )]
    EmptySequence { index: usize },
    /// Labels given but not one per sequence.
    #[error("{labels} labels for {sequences} sequences (expected one label per sequence)")]
    LabelCount { sequences: usize, labels: usize },
    /// A setting is out of range.
    #[error("invalid loader setting: {0}")]
    Config(String),
}

/// Turns tokenized sequences (and labels) into padded batches, epoch by epoch.
#[derive(Clone, Debug)]
pub struct DataLoader<'a> {
    seqs: &'a [Vec<u32>],
    labels: Option<&'a [usize]>,
    config: LoaderConfig,
}

impl<'a> DataLoader<'a> {
    /// A loader over `seqs` (every one non-empty) with optional `labels` (one per sequence).
    pub fn new(
        seqs: &'a [Vec<u32>],
        labels: Option<&'a [usize]>,
        config: LoaderConfig,
    ) -> Result<Self, LoaderError> {
        if config.batch_size == 0 {
            return Err(LoaderError::Config("batch_size must be ≥ 1".into()));
        }
        if config.max_len == 0 {
            return Err(LoaderError::Config("max_len must be ≥ 1".into()));
        }
        if let Truncation::HeadTail { head } = config.truncation
            && head > config.max_len
        {
            return Err(LoaderError::Config(format!(
                "head+tail truncation keeps head = {head} > max_len = {} tokens",
                config.max_len
            )));
        }
        if let Some(labels) = labels
            && labels.len() != seqs.len()
        {
            return Err(LoaderError::LabelCount {
                sequences: seqs.len(),
                labels: labels.len(),
            });
        }
        if let Some(index) = seqs.iter().position(Vec::is_empty) {
            return Err(LoaderError::EmptySequence { index });
        }
        Ok(Self {
            seqs,
            labels,
            config,
        })
    }

    /// The settings.
    pub fn config(&self) -> &LoaderConfig {
        &self.config
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    /// Whether there are no sequences.
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    /// Batches per epoch.
    pub fn num_batches(&self) -> usize {
        self.seqs.len().div_ceil(self.config.batch_size)
    }

    /// Length of sequence `i` after truncation.
    pub fn truncated_len(&self, i: usize) -> usize {
        self.seqs[i].len().min(self.config.max_len)
    }

    /// Sequence `i` truncated to `max_len` per the truncation setting.
    pub fn truncated(&self, i: usize) -> Vec<u32> {
        truncate(&self.seqs[i], self.config.max_len, self.config.truncation)
    }

    /// The batches of epoch `epoch` (same seed and epoch → same batches).
    pub fn epoch(&self, epoch: u64) -> Vec<Batch> {
        self.build(self.epoch_order(epoch))
    }

    /// Every sequence once, for scoring: dataset order, never shuffled (whatever the config
    /// says), sorted by length within chunks of `bucket_batches` batches so rows of a batch
    /// need little padding (`usize::MAX`: the whole set sorted by length).
    pub fn eval_batches(&self) -> Vec<Batch> {
        self.build(self.order(0, false))
    }

    /// The dataset indices of each batch of epoch `epoch`, without building the batches.
    pub fn epoch_order(&self, epoch: u64) -> Vec<Vec<usize>> {
        self.order(epoch, self.config.shuffle)
    }

    fn order(&self, epoch: u64, shuffle: bool) -> Vec<Vec<usize>> {
        let cfg = &self.config;
        // Mix the epoch into the seed so every epoch has its own, reproducible order.
        let mut rng = StdRng::seed_from_u64(
            cfg.seed ^ epoch.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let mut order: Vec<usize> = (0..self.seqs.len()).collect();
        if shuffle {
            order.shuffle(&mut rng);
        }
        if cfg.bucket_batches > 1 {
            let chunk_len = cfg.bucket_batches.saturating_mul(cfg.batch_size);
            for chunk in order.chunks_mut(chunk_len) {
                chunk.sort_by_key(|&i| self.truncated_len(i));
            }
        }
        let mut batches: Vec<Vec<usize>> = order
            .chunks(cfg.batch_size)
            .map(<[usize]>::to_vec)
            .collect();
        if shuffle {
            batches.shuffle(&mut rng);
        }
        batches
    }

    fn build(&self, order: Vec<Vec<usize>>) -> Vec<Batch> {
        order.into_iter().map(|idx| self.make_batch(idx)).collect()
    }

    fn make_batch(&self, indices: Vec<usize>) -> Batch {
        let rows: Vec<Vec<u32>> = indices.iter().map(|&i| self.truncated(i)).collect();
        let refs: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
        let labels = self
            .labels
            .map_or_else(Vec::new, |l| indices.iter().map(|&i| l[i]).collect());
        Batch::from_rows(&refs, labels, indices, self.config.pad_id)
    }
}

/// `seq` cut to at most `max_len` tokens, keeping the head (and the tail with `HeadTail`).
pub fn truncate(seq: &[u32], max_len: usize, truncation: Truncation) -> Vec<u32> {
    if seq.len() <= max_len {
        return seq.to_vec();
    }
    match truncation {
        Truncation::Head => seq[..max_len].to_vec(),
        Truncation::HeadTail { head } => {
            let head = head.min(max_len);
            let tail = max_len - head;
            let mut out = seq[..head].to_vec();
            out.extend_from_slice(&seq[seq.len() - tail..]);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_batches_cover_every_sequence_once_sorted_and_unshuffled() {
        let seqs: Vec<Vec<u32>> = [5, 1, 3, 2, 4, 1, 6].iter().map(|&n| vec![7; n]).collect();
        let config = LoaderConfig {
            batch_size: 2,
            shuffle: true,
            bucket_batches: usize::MAX,
            ..LoaderConfig::default()
        };
        let loader = DataLoader::new(&seqs, None, config).unwrap();
        let batches = loader.eval_batches();
        let order: Vec<usize> = batches.iter().flat_map(|b| b.indices.clone()).collect();
        // The whole set sorted by length, ties in dataset order.
        assert_eq!(order, [1, 5, 3, 2, 4, 0, 6]);
        assert_eq!(loader.eval_batches(), batches);
    }
}
