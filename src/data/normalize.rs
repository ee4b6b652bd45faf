//! The classification-time text normalizer: a lossy rewrite that brings raw IMDb reviews and
//! the pre-tokenized Yelp sentences to one form (the Yelp one), so a model trained on one reads
//! the other. Not to be confused with the tokenizer's reversible
//! [`crate::tokenizer::Normalizer`], which only marks spaces as `▁` for the Unigram model.
//!
//! The Yelp sentences are lowercased and split the way the Stanford/PTB tokenizers split
//! English: `do n't`, `it 's`, `great !`, `` `` meh '' ``, `$ _num_`, `dr.` (abbreviations keep
//! their dot), `10:30`, `3/4` and `non-smoking` stay whole, pure numbers become `_num_`, and
//! a few stray BPE marks (`hum@@ ane`) remain. [`YelpStyleNormalizer::yelp_style`] does the
//! same to any text; each step can be switched off. Normalizing twice gives the same text as once.

/// Which normalization steps to apply, in this order: `<br />` → space, strip `@@ ` marks,
/// lowercase, split punctuation and clitics, numbers → `_num_`, collapse whitespace.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct YelpStyleNormalizer {
    /// Lowercase everything.
    pub lowercase: bool,
    /// Replace HTML line breaks (`<br />`, `<br/>`, `<br>`) with a space.
    pub br_to_space: bool,
    /// Split punctuation and the clitics `n't 's 're 'll 've 'd 'm` into their own tokens,
    /// and write `"` as `` `` `` (opening) / `''` (closing), as in the Yelp text.
    pub split_punct: bool,
    /// Replace numbers (`12`, `1,000`, `3.5`) with `_num_`.
    pub numbers: bool,
    /// Remove BPE continuation marks: `hum@@ ane` → `humane`.
    pub strip_bpe_marks: bool,
    /// Turn every run of whitespace into one space and trim the ends.
    pub collapse_whitespace: bool,
}

impl Default for YelpStyleNormalizer {
    /// Every step on ([`YelpStyleNormalizer::yelp_style`]).
    fn default() -> Self {
        Self::yelp_style()
    }
}

/// The token numbers become.
pub const NUM_TOKEN: &str = "_num_";

/// Clitics split off the end of a word (`n't` is matched with the letter before the `'`).
const CLITICS: [&str; 7] = ["n't", "'s", "'re", "'ll", "'ve", "'d", "'m"];

/// Words whose final `.` is part of the word (the Yelp text writes `dr.`).
const ABBREVIATIONS: [&str; 18] = [
    "mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "vs.", "etc.", "e.g.", "i.e.", "prof.",
    "mt.", "no.", "ft.", "u.s.", "a.m.", "p.m.",
];

impl YelpStyleNormalizer {
    /// All steps on: the form of the Yelp sentences.
    pub fn yelp_style() -> Self {
        Self {
            lowercase: true,
            br_to_space: true,
            split_punct: true,
            numbers: true,
            strip_bpe_marks: true,
            collapse_whitespace: true,
        }
    }

    /// All steps off: the identity.
    pub fn none() -> Self {
        Self {
            lowercase: false,
            br_to_space: false,
            split_punct: false,
            numbers: false,
            strip_bpe_marks: false,
            collapse_whitespace: false,
        }
    }

    /// Normalizes one text.
    pub fn normalize(&self, text: &str) -> String {
        let mut s = text.to_string();
        if self.br_to_space {
            s = replace_br(&s, ' ', self.collapse_whitespace);
        }
        if self.strip_bpe_marks {
            s = strip_bpe_joins(&s);
        }
        if self.lowercase {
            s = s.to_lowercase();
        }
        let token_level = self.split_punct || self.numbers || self.strip_bpe_marks;
        if token_level {
            s = self.map_chunks(&s);
        }
        if self.collapse_whitespace {
            s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        s
    }

    /// Rewrites each whitespace-separated chunk, keeping the whitespace between chunks.
    fn map_chunks(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + text.len() / 4);
        let mut quotes = 0usize;
        let mut tokens = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let ws_end = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            out.push_str(&rest[..ws_end]);
            rest = &rest[ws_end..];
            let chunk_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let chunk = &rest[..chunk_end];
            rest = &rest[chunk_end..];
            if chunk.is_empty() {
                continue;
            }
            // Fast path for plain words, which every step leaves alone.
            if chunk.bytes().all(|b| b.is_ascii_alphanumeric()) && !is_number(chunk) {
                out.push_str(chunk);
                continue;
            }
            tokens.clear();
            if self.split_punct {
                let mut ctx = SplitCtx {
                    quotes,
                    strip_bpe_marks: self.strip_bpe_marks,
                };
                split_chunk(chunk, &mut ctx, &mut tokens);
                quotes = ctx.quotes;
            } else {
                tokens.push(chunk.to_string());
            }
            let mut first = true;
            for mut tok in tokens.drain(..) {
                if self.strip_bpe_marks {
                    // Marks left before punctuation or at the end of the text.
                    tok = tok.trim_end_matches("@@").to_string();
                }
                if self.numbers && is_number(&tok) {
                    tok = NUM_TOKEN.to_string();
                }
                if tok.is_empty() {
                    continue;
                }
                if !first {
                    out.push(' ');
                }
                out.push_str(&tok);
                first = false;
            }
        }
        out
    }
}

/// Replaces `<br />`-like tags (`<br`, optional spaces, optional `/`, `>`; any case) with
/// `with`, repeatedly, since removing one tag can join the pieces of another.
fn replace_br(text: &str, with: char, collapse: bool) -> String {
    let mut cur = text.to_string();
    loop {
        let mut out = String::with_capacity(cur.len());
        let mut rest = cur.as_str();
        let mut changed = false;
        while let Some(at) = find_ascii_ci(rest, "<br") {
            let after = &rest[at + 3..];
            let trimmed = after.trim_start_matches(|c: char| c.is_whitespace());
            let trimmed = trimmed.strip_prefix('/').unwrap_or(trimmed);
            if let Some(tail) = trimmed.strip_prefix('>') {
                out.push_str(&rest[..at]);
                out.push(with);
                rest = tail;
                changed = true;
            } else {
                out.push_str(&rest[..at + 3]);
                rest = after;
            }
        }
        out.push_str(rest);
        if collapse {
            out = out.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        if !changed {
            return out;
        }
        cur = out;
    }
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Removes `@@` followed by whitespace (the join marks of BPE pieces): `hum@@ ane` → `humane`.
fn strip_bpe_joins(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("@@") {
        let after = &rest[at + 2..];
        let joined = after.trim_start_matches(|c: char| c.is_whitespace());
        if joined.len() < after.len() {
            out.push_str(&rest[..at]);
            rest = joined;
        } else {
            out.push_str(&rest[..at + 2]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `12`, `1,000`, `3.5`: digits with single `,`/`.` between digit groups.
fn is_number(tok: &str) -> bool {
    let b = tok.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_digit()
        && b[b.len() - 1].is_ascii_digit()
        && b.iter()
            .all(|c| c.is_ascii_digit() || *c == b',' || *c == b'.')
        && !b
            .windows(2)
            .any(|w| !w[0].is_ascii_digit() && !w[1].is_ascii_digit())
}

/// Punctuation that is always a token of its own.
fn is_lone_punct(c: char) -> bool {
    matches!(
        c,
        '!' | '?'
            | ';'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '$'
            | '#'
            | '%'
            | '&'
            | '*'
            | '+'
            | '='
            | '<'
            | '>'
            | '|'
            | '\\'
            | '~'
            | '^'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Tokens that are already in normalized form and must not be split again.
fn is_atomic(chunk: &str) -> bool {
    CLITICS.iter().any(|c| chunk.eq_ignore_ascii_case(c))
}

/// State of [`split_chunk`] across the chunks of one text.
struct SplitCtx {
    /// The `"` seen so far, to write them alternately as `` `` `` and `''`.
    quotes: usize,
    /// Drop `@@` marks left at the end of a word (before punctuation or the text's end).
    strip_bpe_marks: bool,
}

/// Splits one whitespace-free chunk into tokens.
fn split_chunk(chunk: &str, ctx: &mut SplitCtx, out: &mut Vec<String>) {
    if is_atomic(chunk) {
        out.push(chunk.to_string());
        return;
    }
    let chars: Vec<char> = chunk.chars().collect();
    let mut splitter = ChunkSplitter {
        word: String::new(),
        ctx,
        out,
    };
    let mut at = 0;
    while at < chars.len() {
        at += splitter.step(&chars, at);
    }
    splitter.flush();
}

/// The state of splitting one chunk: the word being built and the tokens so far.
struct ChunkSplitter<'a> {
    word: String,
    ctx: &'a mut SplitCtx,
    out: &'a mut Vec<String>,
}

impl ChunkSplitter<'_> {
    /// Ends the current word (peeling its clitics), if any.
    fn flush(&mut self) {
        if !self.word.is_empty() {
            let word = std::mem::take(&mut self.word);
            peel_clitics(word, self.ctx.strip_bpe_marks, self.out);
        }
    }

    /// Ends the current word, then adds `token`.
    fn emit(&mut self, token: String) {
        self.flush();
        self.out.push(token);
    }

    /// Handles the character at `at`; returns how many characters it used.
    fn step(&mut self, chars: &[char], at: usize) -> usize {
        let character = chars[at];
        let prev = self.word.chars().last();
        let next = chars.get(at + 1).copied();
        let run = chars[at..]
            .iter()
            .take_while(|&&same| same == character)
            .count();
        match character {
            '"' => {
                let quote = if self.ctx.quotes.is_multiple_of(2) {
                    "``"
                } else {
                    "''"
                };
                self.emit(quote.to_string());
                self.ctx.quotes += 1;
            }
            _ if is_lone_punct(character) => self.emit(character.to_string()),
            ',' | ':' | '/' => {
                let between_digits = prev.is_some_and(|before| before.is_ascii_digit())
                    && next.is_some_and(|after| after.is_ascii_digit());
                if between_digits {
                    self.word.push(character);
                } else {
                    self.emit(character.to_string());
                }
            }
            '.' if run >= 2 => {
                self.emit(".".repeat(run));
                return run;
            }
            '.' => self.dot(prev, next),
            '-' | '`' | '\'' if run >= 2 => {
                self.emit(character.to_string().repeat(run));
                return run;
            }
            '`' => self.emit("`".to_string()),
            '\'' => {
                // Inside a word (`o'clock`, `don't`): kept there, clitics are peeled later.
                if prev.is_some() && next.is_some_and(char::is_alphabetic) {
                    self.word.push('\'');
                } else {
                    self.emit("'".to_string());
                }
            }
            _ => self.word.push(character),
        }
        1
    }

    /// A single `.`: inside a word (`3.5`, `e.g`), ending an abbreviation (`dr.`), or its own
    /// token.
    fn dot(&mut self, prev: Option<char>, next: Option<char>) {
        if prev.is_some() && next.is_some_and(is_word_char) {
            self.word.push('.');
        } else if prev.is_some() && is_abbreviation(&self.word) {
            self.word.push('.');
            let abbreviation = std::mem::take(&mut self.word);
            self.out.push(abbreviation);
        } else {
            self.emit(".".to_string());
        }
    }
}

/// Whether `word` + `.` is a known abbreviation.
fn is_abbreviation(word: &str) -> bool {
    let with_dot = format!("{word}.");
    ABBREVIATIONS
        .iter()
        .any(|a| with_dot.eq_ignore_ascii_case(a))
}

/// Pushes `word` with its trailing clitics split off: `don't` → `do n't`, `it's` → `it 's`.
/// A stem that changed is split again, so every token pushed is stable.
fn peel_clitics(word: String, strip_bpe_marks: bool, out: &mut Vec<String>) {
    let mut stem = word.as_str();
    let mut peeled = Vec::new();
    loop {
        if strip_bpe_marks {
            stem = stem.trim_end_matches("@@");
        }
        // Every clitic holds an apostrophe: most words need no further look.
        if !stem.contains('\'') {
            break;
        }
        let lower = stem.to_lowercase();
        let hit = CLITICS.iter().find(|c| {
            lower.ends_with(*c)
                && lower.len() > c.len()
                && stem.is_char_boundary(stem.len() - c.len())
        });
        match hit {
            Some(c) => {
                let cut = stem.len() - c.len();
                peeled.push(&stem[cut..]);
                stem = &stem[..cut];
            }
            None => break,
        }
    }
    if peeled.is_empty() {
        if !stem.is_empty() {
            out.push(stem.to_string());
        }
        return;
    }
    let mut ctx = SplitCtx {
        quotes: 0,
        strip_bpe_marks,
    };
    split_chunk(stem, &mut ctx, out);
    out.extend(peeled.into_iter().rev().map(str::to_string));
}

/// Splits a review into sentences: at `<br />` tags and after `.`, `!` or `?` (runs included)
/// followed by whitespace, except after a known abbreviation. Pieces are trimmed; empty pieces
/// are dropped.
pub fn split_sentences(review: &str) -> Vec<String> {
    let text = replace_br_with_newline(review);
    let mut sentences = Vec::new();
    for para in text.split('\n') {
        let mut start = 0;
        let bytes = para.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if matches!(bytes[i], b'.' | b'!' | b'?') {
                let mut j = i;
                while j < bytes.len() && matches!(bytes[j], b'.' | b'!' | b'?' | b'"' | b')') {
                    j += 1;
                }
                let at_space = j < bytes.len() && bytes[j].is_ascii_whitespace();
                // Whitespace may be multi-byte (U+0085, U+00A0): step over the whole char.
                let word_start = para[..i]
                    .char_indices()
                    .rfind(|(_, c)| c.is_whitespace())
                    .map_or(start, |(p, c)| p + c.len_utf8())
                    .max(start);
                let abbreviation =
                    bytes[i] == b'.' && j == i + 1 && is_abbreviation(&para[word_start..i]);
                if at_space && !abbreviation {
                    push_trimmed(&mut sentences, &para[start..j]);
                    start = j;
                }
                i = j;
            } else {
                i += 1;
            }
        }
        push_trimmed(&mut sentences, &para[start..]);
    }
    sentences
}

fn push_trimmed(out: &mut Vec<String>, piece: &str) {
    let t = piece.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
}

fn replace_br_with_newline(text: &str) -> String {
    replace_br(&text.replace('\n', " "), '\n', false)
}
