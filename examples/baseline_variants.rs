//! How the TF-IDF + logistic-regression baseline was chosen: for every n-gram order, with and
//! without the shared text normalization, the inverse regularization C is picked on a
//! stratified validation split of the course IMDb training reviews, then the variant is
//! refit on all of them and scored on IMDb test and Yelp/dev.
//!
//! ```sh
//! cargo run --release --example baseline_variants
//! cargo run --release --example baseline_variants -- --max-ngrams 2 --c 10,30 --valid-fraction 0.2
//! ```

use std::path::PathBuf;

use clap::Parser;
use sentiment_rnn::data::{Corpus, LabeledSplit, YelpStyleNormalizer, data_root, stratified_split};
use sentiment_rnn::study::baseline::{BaselineConfig, TfidfLogReg};

/// Print the validation, IMDb test and Yelp/dev accuracy of every baseline variant.
#[derive(Parser, Debug)]
struct Args {
    /// Longest n-grams tried (1: unigrams, 2: unigrams and bigrams; comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
    max_ngrams: Vec<usize>,
    /// Values of the inverse regularization C tried on the validation split (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [3.0f64, 10.0, 30.0, 100.0])]
    c: Vec<f64>,
    /// Share of the training reviews held out to pick C.
    #[arg(long, default_value_t = 0.1)]
    valid_fraction: f64,
    /// Data root (default: env SENTIMENT_RNN_DATA, else ./datasets).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// The C with the best validation accuracy (the first of equals).
fn pick_c(
    fit_part: &LabeledSplit,
    valid: &LabeledSplit,
    base: &BaselineConfig,
    cs: &[f64],
) -> anyhow::Result<f64> {
    let mut best = (f64::NEG_INFINITY, cs[0]);
    for &c in cs {
        let config = BaselineConfig { c, ..base.clone() };
        let model = TfidfLogReg::fit(&fit_part.texts, &fit_part.labels, &config)?;
        let acc = model.accuracy(&valid.texts, &valid.labels);
        println!(
            "  n={} norm={} C={c}: valid {acc:.4}",
            base.max_ngram,
            base.normalizer.is_some()
        );
        if acc > best.0 {
            best = (acc, c);
        }
    }
    Ok(best.1)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(!args.c.is_empty(), "--c: expected at least one value");
    let root = data_root(args.data_dir.as_deref());
    let train = root.labeled(Corpus::ImdbTrain)?;
    let test = root.labeled(Corpus::ImdbTest)?;
    let dev = root.labeled(Corpus::YelpDev)?;
    let split = stratified_split(&train.labels, args.valid_fraction, 0);
    let (fit_part, valid) = (train.subset(&split.train), train.subset(&split.valid));
    for &max_ngram in &args.max_ngrams {
        for normalizer in [None, Some(YelpStyleNormalizer::yelp_style())] {
            let base = BaselineConfig {
                max_ngram,
                normalizer,
                ..BaselineConfig::default()
            };
            let c = pick_c(&fit_part, &valid, &base, &args.c)?;
            let config = BaselineConfig { c, ..base };
            let model = TfidfLogReg::fit(&train.texts, &train.labels, &config)?;
            println!(
                "n={max_ngram} normalized={} C={c}: features {} IMDb test {:.4} Yelp/dev {:.4}",
                config.normalizer.is_some(),
                model.vectorizer().num_features(),
                model.accuracy(&test.texts, &test.labels),
                model.accuracy(&dev.texts, &dev.labels),
            );
        }
    }
    Ok(())
}
