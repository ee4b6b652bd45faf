//! Reading, downloading, splitting and batching the study's data, and the classification-time
//! text normalizer.

pub mod augment;
pub mod download;
pub mod error;
pub mod files;
pub mod lexicon;
pub mod loader;
pub mod normalize;
pub mod root;
pub mod split;
pub mod valence;

pub use download::{Source, ensure_course_data};
pub use error::DataError;
pub use files::{Corpus, FileStats, LabeledSplit, LineFile};
pub use loader::{Batch, DataLoader, LoaderConfig, LoaderError, Truncation};
pub use normalize::{YelpStyleNormalizer, split_sentences};
pub use root::{DataRoot, RootOrigin, data_root};
pub use split::{SplitIndices, stratified_split};
