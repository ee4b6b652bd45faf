//! The IMDb→Yelp recipe's ingredient ablation (`yelp_ablation.csv`): a table with the mean ±
//! std over each recipe's seeds, then one computed sentence per ingredient against the all-on
//! recipe.

use std::fmt::Write as _;

use serde::Deserialize;

use super::ReportInputs;
use super::format::points;
use crate::study::format::pct;
use crate::study::results::MeanStd;

/// One run of the ablation CSV: the columns the report reads (others are ignored).
#[derive(Deserialize)]
struct AblationRun {
    label: String,
    yelp_dev: f64,
    imdb_test: f64,
    /// Blank for runs without a train time (the TF-IDF anchor).
    #[serde(deserialize_with = "csv::invalid_option")]
    train_seconds: Option<f64>,
}

/// The runs of one recipe (one per seed).
struct Recipe {
    label: String,
    yelp: Vec<f64>,
    imdb: Vec<f64>,
    seconds: Vec<f64>,
}

/// Both ablation tables the side files hold: the small-budget one and the final-budget one.
pub(super) fn ablation_sections(out: &mut String, inputs: &ReportInputs) {
    if let Some(csv) = &inputs.yelp_ablation {
        let how = "Ingredient ablation (`yelp_ablation.csv`, from `cargo run --release --example yelp_ablation`; \
                   each ingredient switched off in turn at a smaller budget";
        yelp_ablation_section(out, csv, how);
    }
    if let Some(csv) = &inputs.yelp_final_ablation {
        let how = "The same comparison at the handed-in recipe's final budget for the VADER lexicon and each of its parts \
                   (`yelp_final_ablation.csv`, from `cargo run --release --example yelp_ablation -- --seeds 0,1,2 \
                   --only \"lexicon,valence channel,negation scope\" --budget '{}' --csv yelp_final_ablation.csv`";
        yelp_ablation_section(out, csv, how);
    }
}

/// One ablation CSV as a table and sentences; `how` opens the paragraph (where it came from).
fn yelp_ablation_section(out: &mut String, csv_text: &str, how: &str) {
    let recipes = recipes(csv_text);
    if recipes.is_empty() {
        return;
    }
    recipe_table(out, &recipes, how);
    let Some(full) = recipes
        .iter()
        .find(|recipe| recipe.label.starts_with("full recipe"))
    else {
        return;
    };
    for recipe in recipes
        .iter()
        .filter(|recipe| recipe.label.starts_with('−'))
    {
        ingredient_sentence(out, full, recipe);
    }
    if let Some(anchor) = recipes
        .iter()
        .find(|recipe| recipe.label.to_lowercase().contains("tf-idf"))
    {
        let full_yelp = MeanStd::of(&full.yelp).mean;
        let anchor_yelp = MeanStd::of(&anchor.yelp).mean;
        let _ = writeln!(
            out,
            "- The TF-IDF anchor under the same normalization reaches {}% on Yelp/dev, {} {} the full recipe.",
            pct(anchor_yelp, 2),
            points(full_yelp - anchor_yelp),
            if full_yelp >= anchor_yelp {
                "below"
            } else {
                "above"
            }
        );
    }
    out.push('\n');
}

/// The CSV's runs grouped by label, in first-seen order; rows that do not parse are skipped.
fn recipes(csv_text: &str) -> Vec<Recipe> {
    let mut recipes: Vec<Recipe> = Vec::new();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    for run in reader.deserialize::<AblationRun>().filter_map(Result::ok) {
        let i = match recipes.iter().position(|recipe| recipe.label == run.label) {
            Some(i) => i,
            None => {
                recipes.push(Recipe {
                    label: run.label,
                    yelp: vec![],
                    imdb: vec![],
                    seconds: vec![],
                });
                recipes.len() - 1
            }
        };
        recipes[i].yelp.push(run.yelp_dev);
        recipes[i].imdb.push(run.imdb_test);
        recipes[i]
            .seconds
            .push(run.train_seconds.unwrap_or(f64::NAN));
    }
    recipes
}

/// The mean ± std table, one row per recipe.
fn recipe_table(out: &mut String, recipes: &[Recipe], how: &str) {
    let seeds = recipes
        .iter()
        .map(|recipe| recipe.yelp.len())
        .max()
        .unwrap_or(1);
    let _ = writeln!(
        out,
        "{how}, {} per row, nothing from Yelp in training):\n",
        if seeds == 1 {
            "one seed".to_string()
        } else {
            format!("mean ± std over {seeds} seeds")
        }
    );
    out.push_str(
        "| recipe | seeds | Yelp/dev % | IMDb test % | train s |\n|---|---:|---:|---:|---:|\n",
    );
    for recipe in recipes {
        let seconds = MeanStd::of(&recipe.seconds);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            recipe.label,
            recipe.yelp.len(),
            MeanStd::of(&recipe.yelp).percent(),
            MeanStd::of(&recipe.imdb).percent(),
            if seconds.mean.is_finite() {
                format!("{:.0}", seconds.mean)
            } else {
                "–".to_string()
            }
        );
    }
    out.push('\n');
}

/// What switching one ingredient off does against the full recipe, called an effect only
/// outside the seeds' spread.
fn ingredient_sentence(out: &mut String, full: &Recipe, without: &Recipe) {
    let name = without.label.trim_start_matches('−').trim();
    let name = name.split(" [").next().unwrap_or(name);
    let (full_yelp, full_imdb) = (MeanStd::of(&full.yelp), MeanStd::of(&full.imdb));
    let (yelp, imdb) = (MeanStd::of(&without.yelp), MeanStd::of(&without.imdb));
    let yelp_loss = full_yelp.mean - yelp.mean;
    let imdb_loss = full_imdb.mean - imdb.mean;
    // A difference inside the seeds' spread (or under a point) is not called an effect.
    let noise = (full_yelp.std + yelp.std).max(0.01);
    let effect = if yelp_loss > noise {
        "helps"
    } else if yelp_loss < -noise {
        "hurts"
    } else {
        "makes no clear difference (within the seeds' spread or 1 point)"
    };
    let _ = writeln!(
        out,
        "- Without {name}: Yelp/dev {}% ({} {}), IMDb test {}% ({} {}). On Yelp this ingredient {effect}.",
        pct(yelp.mean, 2),
        points(yelp_loss),
        if yelp_loss >= 0.0 { "lower" } else { "higher" },
        pct(imdb.mean, 2),
        points(imdb_loss),
        if imdb_loss >= 0.0 { "lower" } else { "higher" },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yelp_ablation_gets_a_table_and_a_sentence_per_ingredient() {
        // Two seeds per recipe; the anchor has one (and no train time).
        let csv = "label,switches,seed,yelp_dev,imdb_test,train_seconds\n\
                   full recipe [x],a,0,0.8100,0.8500,100.0\n\
                   full recipe [x],a,1,0.8150,0.8510,115.6\n\
                   \"− sentence pieces [x]\",b,0,0.7000,0.7970,248.0\n\
                   \"− sentence pieces [x]\",b,1,0.7020,0.7980,248.0\n\
                   − token dropout [x],c,0,0.8150,0.8485,192.8\n\
                   − token dropout [x],c,1,0.8150,0.8485,192.8\n\
                   TF-IDF LR anchor [x],d,0,0.8030,0.8740,\n";
        let mut o = String::new();
        yelp_ablation_section(&mut o, csv, "Ingredient ablation (x");
        assert!(
            o.contains("Ingredient ablation (x, mean ± std over 2 seeds per row, nothing"),
            "{o}"
        );
        assert!(
            o.contains("| full recipe [x] | 2 | 81.25 ± 0.35 | 85.05 ± 0.07 | 108 |"),
            "{o}"
        );
        assert!(
            o.contains("| TF-IDF LR anchor [x] | 1 | 80.30 | 87.40 | – |"),
            "{o}"
        );
        assert!(
            o.contains("- Without sentence pieces: Yelp/dev 70.10% (11.15 points lower), IMDb test 79.75% (5.30 points lower). On Yelp this ingredient helps."),
            "{o}"
        );
        // 0.25 points is inside the spread: no effect claimed.
        assert!(
            o.contains("- Without token dropout: Yelp/dev 81.50% (0.25 points higher), IMDb test 84.85% (0.20 points lower). On Yelp this ingredient makes no clear difference"),
            "{o}"
        );
        assert!(
            o.contains("reaches 80.30% on Yelp/dev, 0.95 points below the full recipe"),
            "{o}"
        );
    }

    #[test]
    fn unreadable_rows_are_skipped_and_a_bad_train_time_is_blank() {
        let csv = "label,yelp_dev,imdb_test,train_seconds\n\
                   full recipe [x],0.81,0.85,n/a\n\
                   − bag [x],oops,0.85,1.0\n";
        let rows = recipes(csv);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].seconds[0].is_nan());
        let mut o = String::new();
        yelp_ablation_section(&mut o, "label,seed\nx,0\n", "none");
        assert!(o.is_empty(), "{o}");
    }
}
