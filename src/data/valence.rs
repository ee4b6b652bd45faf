//! Per-token prior valence from the sentiment lexicon ([`super::lexicon`]): each word of a
//! normalized text gets its lexicon valence (0 when it has none), optionally flipped and
//! damped inside a negation's scope as VADER's rules do, and each tokenizer piece inherits the
//! valence of the word it is part of. A word the training reviews never used still carries
//! its polarity this way.

use std::sync::Arc;

use super::lexicon::Lexicon;
use super::loader::Batch;
use crate::tokenizer::{META, Tokenizer};

/// VADER's negation words (Hutto & Gilbert 2014, MIT): a lexicon word within
/// [`NEGATION_REACH`] words after one of these (or after a word containing `n't`, or `no`)
/// has its valence multiplied by [`NEGATION_SCALAR`].
pub const NEGATION_WORDS: [&str; 59] = [
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

/// VADER's empirically derived factor for a negated word's valence.
pub const NEGATION_SCALAR: f32 = -0.74;

/// How many preceding words a negation reaches (VADER looks three words back).
pub const NEGATION_REACH: usize = 3;

/// Whether `word` negates what follows: a VADER negation word, `no`, or any word with `n't`
/// (the normalized text splits `don't` into `do n't`).
pub fn is_negation(word: &str) -> bool {
    word == "no" || word.contains("n't") || NEGATION_WORDS.contains(&word)
}

/// Tags words and tokenizer pieces with their prior valence.
#[derive(Clone, Debug)]
pub struct ValenceTagger {
    lexicon: Arc<Lexicon>,
    /// Apply VADER's negation rule.
    pub negation_scope: bool,
}

impl ValenceTagger {
    /// A tagger reading `lexicon`.
    pub fn new(lexicon: Arc<Lexicon>, negation_scope: bool) -> Self {
        Self {
            lexicon,
            negation_scope,
        }
    }

    /// The valence of each word (0 when the lexicon lacks it). With the negation scope, each
    /// negation among the [`NEGATION_REACH`] words before a word multiplies its valence by
    /// [`NEGATION_SCALAR`] (two negations cancel, damped).
    pub fn word_valences<S: AsRef<str>>(&self, words: &[S]) -> Vec<f32> {
        words
            .iter()
            .enumerate()
            .map(|(index, word)| {
                let valence = self.lexicon.valence(word.as_ref()).unwrap_or(0.0);
                if !self.negation_scope || valence == 0.0 {
                    return valence;
                }
                let before = &words[index.saturating_sub(NEGATION_REACH)..index];
                before
                    .iter()
                    .filter(|w| is_negation(w.as_ref()))
                    .fold(valence, |v, _| v * NEGATION_SCALAR)
            })
            .collect()
    }
}

/// What the tagger needs to know of each tokenizer piece: whether it starts a word and the
/// bytes it adds to its word.
#[derive(Clone, Debug)]
pub struct PieceWords {
    starts_word: Vec<bool>,
    bytes: Vec<Vec<u8>>,
    /// Special tokens (`<unk>` from token dropout among them): a word of its own, unknown.
    special: Vec<bool>,
}

impl PieceWords {
    /// The pieces of `tok`'s vocabulary.
    pub fn new(tok: &Tokenizer) -> Self {
        let size = tok.vocab_size();
        let mut table = Self {
            starts_word: vec![false; size],
            bytes: vec![Vec::new(); size],
            special: vec![false; size],
        };
        for id in 0..size as u32 {
            let piece = tok.id_to_token(id).unwrap_or_default();
            let slot = id as usize;
            if tok.is_special(id) {
                table.special[slot] = true;
            } else if let Some(byte) = byte_piece(piece) {
                table.bytes[slot] = vec![byte];
            } else {
                table.starts_word[slot] = piece.starts_with(META);
                table.bytes[slot] = piece.trim_start_matches(META).as_bytes().to_vec();
            }
        }
        table
    }

    /// The word each piece of `ids` belongs to (`None` for a special token's word), and the
    /// words in order. A piece that starts no word joins the word before it.
    pub fn words(&self, ids: &[u32]) -> (Vec<usize>, Vec<Option<String>>) {
        let mut words: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut word_of = Vec::with_capacity(ids.len());
        for &id in ids {
            let slot = id as usize;
            let special = self.special.get(slot).copied().unwrap_or(true);
            if special || self.starts_word[slot] || words.is_empty() {
                words.push((Vec::new(), special));
            }
            if !special {
                let last = words.last_mut().expect("a word was pushed");
                last.0.extend_from_slice(&self.bytes[slot]);
            }
            word_of.push(words.len() - 1);
        }
        let words = words
            .into_iter()
            .map(|(bytes, special)| (!special).then(|| String::from_utf8_lossy(&bytes).into()))
            .collect();
        (word_of, words)
    }

    /// Each piece's prior valence: its word's, as `tagger` gives it.
    pub fn valences(&self, tagger: &ValenceTagger, ids: &[u32]) -> Vec<f32> {
        let (word_of, words) = self.words(ids);
        let words: Vec<&str> = words.iter().map(|w| w.as_deref().unwrap_or("")).collect();
        let valences = tagger.word_valences(&words);
        word_of.iter().map(|&w| valences[w]).collect()
    }

    /// Fills `batch.valence`: each real token's valence, 0 on padding.
    pub fn tag_batch(&self, tagger: &ValenceTagger, batch: &mut Batch) {
        let t = batch.seq_len;
        let mut valence = vec![0.0; batch.ids.len()];
        for (row, &len) in batch.lengths.iter().enumerate() {
            let span = row * t..row * t + len;
            valence[span.clone()].copy_from_slice(&self.valences(tagger, &batch.ids[span]));
        }
        batch.valence = valence;
    }
}

/// The byte of a byte-fallback piece `<0xNN>`.
fn byte_piece(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    (hex.len() == 2)
        .then(|| u8::from_str_radix(hex, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn tagger(negation_scope: bool) -> ValenceTagger {
        let text =
            "good\t1.9\t0.9\t[2]\nbad\t-2.5\t0.5\t[-2]\nyummy\t2.4\t1\t[2]\nno\t-1.2\t0.4\t[-1]";
        let lexicon = Lexicon::parse(text, Path::new("lex.txt")).unwrap();
        ValenceTagger::new(Arc::new(lexicon), negation_scope)
    }

    #[test]
    fn negation_flips_and_damps_within_three_words() {
        let words = [
            "it", "is", "n't", "very", "good", "but", "not", "bad", "at", "all", "good",
        ];
        let plain = tagger(false).word_valences(&words);
        assert_eq!(plain[4], 1.9);
        assert_eq!(plain[7], -2.5);
        let negated = tagger(true).word_valences(&words);
        assert_eq!(negated[4], 1.9 * NEGATION_SCALAR);
        assert_eq!(negated[7], -2.5 * NEGATION_SCALAR);
        // "not" is four words before the last "good": out of reach.
        assert_eq!(negated[10], 1.9);
        // Two negations in reach apply twice; "no" negates too, and keeps its own valence.
        let twice = tagger(true).word_valences(&["never", "no", "bad"]);
        assert_eq!(
            twice,
            [0.0, -1.2 * NEGATION_SCALAR, -2.5 * NEGATION_SCALAR.powi(2)]
        );
        assert!(is_negation("can't") && is_negation("without") && !is_negation("nothingness"));
    }

    #[test]
    fn pieces_inherit_their_words_valence() {
        let mut table = PieceWords {
            starts_word: vec![false; 8],
            bytes: vec![Vec::new(); 8],
            special: vec![false; 8],
        };
        // 0 <unk>, 1 "▁yum", 2 "my", 3 "▁good", 4 "▁not", 5 <0x21> "!", 6 "▁", 7 "▁bad"
        table.special[0] = true;
        for (id, text, start) in [
            (1, "yum", true),
            (2, "my", false),
            (3, "good", true),
            (4, "not", true),
            (5, "!", false),
            (6, "", true),
            (7, "bad", true),
        ] {
            table.bytes[id] = text.as_bytes().to_vec();
            table.starts_word[id] = start;
        }
        let (word_of, words) = table.words(&[1, 2, 3, 6, 5, 0, 2, 7]);
        assert_eq!(word_of, [0, 0, 1, 2, 2, 3, 3, 4]);
        let words: Vec<Option<&str>> = words.iter().map(|w| w.as_deref()).collect();
        assert_eq!(
            words,
            [Some("yummy"), Some("good"), Some("!"), None, Some("bad")]
        );
        // A piece after <unk> joins the unknown word; "not" negates "good" within reach.
        let v = table.valences(&tagger(true), &[1, 2, 0, 2, 4, 3]);
        assert_eq!(v, [2.4, 2.4, 0.0, 0.0, 0.0, 1.9 * NEGATION_SCALAR]);
    }

    #[test]
    fn a_batch_is_tagged_row_by_row_with_zero_padding() {
        let mut table = PieceWords {
            starts_word: vec![true; 4],
            bytes: vec![
                b"".to_vec(),
                b"good".to_vec(),
                b"bad".to_vec(),
                b"x".to_vec(),
            ],
            special: vec![true, false, false, false],
        };
        table.starts_word[0] = false;
        let mut batch = Batch::from_rows(&[&[1, 3], &[3, 2, 1]], vec![], vec![0, 1], 0);
        table.tag_batch(&tagger(false), &mut batch);
        assert_eq!(batch.valence, [1.9, 0.0, 0.0, 0.0, -2.5, 1.9]);
    }

    #[test]
    fn byte_pieces_are_recognised() {
        assert_eq!(byte_piece("<0x21>"), Some(b'!'));
        assert_eq!(byte_piece("<0xE2>"), Some(0xE2));
        assert_eq!(byte_piece("<0x2>"), None);
        assert_eq!(byte_piece("<unk>"), None);
    }
}
