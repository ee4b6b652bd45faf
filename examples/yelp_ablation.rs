//! The IMDb → Yelp recipe's ingredient ablation, the experiment behind
//! `figures/yelp_ablation.csv`: the handed-in recipe, then each ingredient switched off alone,
//! every row with every seed, plus the TF-IDF anchor, at the smaller ablation budget.
//!
//! ```sh
//! cargo run --release --example yelp_ablation                       # figures/yelp_ablation.csv
//! cargo run --release --example yelp_ablation -- --seeds 0,1,2 --only "piece filter" \
//!     --budget '{}' --csv yelp_final_ablation.csv                   # chosen rows, final budget
//! cargo run --release --example yelp_ablation -- --recipe-only --out-dir /tmp/yelp
//! ```
//!
//! `--recipe-only` trains the recipe alone (no ablation) at the final budget and writes its
//! best seed's `yelp_predictions.txt` into the output folder. `--budget` and `--recipe` take
//! JSON objects with the fields of `YelpBudget` and `YelpRecipe` (missing budget fields keep
//! the final budget's values). The markdown table of every run is printed at the end.

use std::path::PathBuf;

use clap::Parser;
use sentiment_rnn::data::data_root;
use sentiment_rnn::study::yelp::{
    YelpBudget, YelpRecipe, YelpStudyOptions, ablation_markdown, run_yelp_study,
};

/// Run the Yelp recipe's ingredient ablation (or the recipe alone).
#[derive(Parser, Debug)]
struct Args {
    /// Seeds of every row (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0u64, 1, 2, 3])]
    seeds: Vec<u64>,
    /// Train the recipe alone at the final budget and write its `yelp_predictions.txt`.
    #[arg(long)]
    recipe_only: bool,
    /// Only the ablation rows whose label contains one of these (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The ablation CSV's file name in the output folder.
    #[arg(long, default_value = "yelp_ablation.csv")]
    csv: String,
    /// Output folder.
    #[arg(long, default_value = "figures")]
    out_dir: PathBuf,
    /// The budget as JSON (fields of `YelpBudget`; `{}` is the final budget).
    #[arg(long)]
    budget: Option<String>,
    /// The recipe as JSON (every field of `YelpRecipe`; default: the handed-in recipe).
    #[arg(long)]
    recipe: Option<String>,
    /// Score IMDb test as whole reviews only (no sentence-mean column: faster).
    #[arg(long)]
    whole_reviews_only: bool,
    /// Data root (default: env SENTIMENT_RNN_DATA, else ./datasets).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Seeds trained at once (default: 2 where there are 2 cores or more).
    #[arg(long)]
    jobs: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut opts = YelpStudyOptions::new(data_root(args.data_dir.as_deref()), &args.out_dir);
    opts.seeds = args.seeds;
    if let Some(jobs) = args.jobs {
        opts.jobs = jobs;
    }
    opts.ablation = !args.recipe_only;
    if opts.ablation {
        // Each ingredient off from the handed-in recipe, at the smaller budget.
        opts.recipe = YelpRecipe::chosen();
        opts.budget = YelpBudget::ablation();
    }
    opts.only_rows = args.only;
    opts.csv_name = args.csv;
    opts.sentence_scores = !args.whole_reviews_only;
    if let Some(json) = &args.recipe {
        opts.recipe = serde_json::from_str(json)?;
    }
    if let Some(json) = &args.budget {
        opts.budget = serde_json::from_str(json)?;
    }
    let out = run_yelp_study(&opts)?;
    println!("{}", ablation_markdown(&out.runs));
    println!(
        "chosen: {} seed {} Yelp/dev {:.3}; {} lines, {:.3} positive",
        out.chosen.switches,
        out.chosen.seed,
        out.chosen.yelp_dev,
        out.predicted_lines,
        out.positive_fraction
    );
    Ok(())
}
