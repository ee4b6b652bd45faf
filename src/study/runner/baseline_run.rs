//! Question 9's TF-IDF + logistic-regression baseline on the study's split, cached by its
//! settings.

use std::time::Instant;

use super::StudyOptions;
use crate::study::baseline::{BaselineConfig, TfidfLogReg};
use crate::study::prepare::{Prepared, short_hash};
use crate::study::results::BaselineResult;
use crate::study::settings::StudySettings;

/// Fits (or loads from the run cache) the baseline and scores it.
pub fn run_baseline(
    data: &Prepared,
    options: &StudyOptions,
    settings: &StudySettings,
) -> anyhow::Result<BaselineResult> {
    let cfg = BaselineConfig::default();
    let path = options.runs_dir.join(format!(
        "baseline-{}.json",
        short_hash(&(
            &cfg,
            settings.train_limit,
            settings.test_limit,
            settings.split_seed,
            settings.val_fraction,
            "baseline-v2"
        ))
    ));
    if let Ok(cached) = std::fs::read_to_string(&path)
        .map_err(anyhow::Error::from)
        .and_then(|text| Ok(serde_json::from_str(&text)?))
    {
        return Ok(cached);
    }
    let t0 = Instant::now();
    let model = TfidfLogReg::fit(&data.train.texts, &data.train.labels, &cfg)?;
    let accuracy =
        |split: &crate::study::prepare::Encoded| model.accuracy(&split.texts, &split.labels) as f32;
    let result = BaselineResult {
        seed: 0,
        params: model.vectorizer().num_features() + 1,
        val_accuracy: accuracy(&data.val),
        test_accuracy: accuracy(&data.test),
        yelp_dev_accuracy: accuracy(&data.yelp_dev),
        train_seconds: t0.elapsed().as_secs_f64(),
    };
    std::fs::create_dir_all(&options.runs_dir)?;
    std::fs::write(&path, serde_json::to_string_pretty(&result)?)?;
    super::log(&format!(
        "TF-IDF baseline: test {:.2}%",
        result.test_accuracy * 100.0
    ));
    Ok(result)
}
