//! What differs between the run a folder holds and the run asked for, field by field.

use std::collections::BTreeMap;

use serde_json::Value;

use super::run_config::RunConfig;
use crate::train::Schedule;

/// One line per difference (`  data.split_seed: 0 in the folder, 5 now`); empty when the
/// new run may continue the old one. A larger `train.epochs` with a constant learning rate
/// continues a run; `data.tokenizer` is compared by the tokenizer's hash, not its path
/// (`new_tokenizer` is the hash of the new run's given tokenizer, `None` when it trains one).
pub fn config_differences(
    old: &RunConfig,
    old_tokenizer: &str,
    new: &RunConfig,
    new_tokenizer: Option<&str>,
) -> Vec<String> {
    let extends = new.train.epochs >= old.train.epochs
        && old.train.schedule == Schedule::Constant
        && new.train.schedule == Schedule::Constant;
    let comparable = |config: &RunConfig| {
        let mut config = config.clone();
        config.data.tokenizer = None;
        if extends {
            config.train.epochs = 0;
        }
        let mut leaves = BTreeMap::new();
        flatten(
            "",
            &serde_json::to_value(config).expect("configs serialize"),
            &mut leaves,
        );
        leaves
    };
    let (before, after) = (comparable(old), comparable(new));
    let mut differences: Vec<String> = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|field| before.get(*field) != after.get(*field))
        .map(|field| {
            let show = |v: Option<&Value>| v.map_or("absent".to_string(), Value::to_string);
            format!(
                "  {field}: {} in the folder, {} now",
                show(before.get(field)),
                show(after.get(field))
            )
        })
        .collect();
    match (&old.data.tokenizer, new_tokenizer) {
        (None, None) => {}
        (_, Some(hash)) if hash == old_tokenizer => {}
        (_, Some(hash)) => differences.push(format!(
            "  tokenizer: the folder's has SHA-256 {old_tokenizer}, data.tokenizer has {hash}"
        )),
        (Some(path), None) => differences.push(format!(
            "  data.tokenizer: {} in the folder, none (trained) now",
            path.display()
        )),
    }
    differences
}

/// Every leaf of `value` (arrays count as leaves) by its dotted path.
fn flatten(prefix: &str, value: &Value, leaves: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                let path = match prefix {
                    "" => key.clone(),
                    _ => format!("{prefix}.{key}"),
                };
                flatten(&path, field, leaves);
            }
        }
        _ => {
            leaves.insert(prefix.to_string(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> RunConfig {
        RunConfig::parse(text, "test").unwrap()
    }

    #[test]
    fn names_each_changed_field_and_allows_more_epochs() {
        let old = config(r#"{"model": {"kind": "cnn"}, "train": {"epochs": 2}}"#);
        let new = config(
            r#"{"model": {"kind": "cnn"}, "train": {"epochs": 2}, "data": {"split_seed": 5, "max_len": 64}}"#,
        );
        let d = config_differences(&old, "h", &new, None);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(
            d[0].contains("data.max_len: 256 in the folder, 64 now"),
            "{d:?}"
        );
        assert!(
            d[1].contains("data.split_seed: 0 in the folder, 5 now"),
            "{d:?}"
        );
        let more = config(r#"{"model": {"kind": "cnn"}, "train": {"epochs": 3}}"#);
        assert!(config_differences(&old, "h", &more, None).is_empty());
        let d = config_differences(&more, "h", &old, None);
        assert!(
            d[0].contains("train.epochs: 3 in the folder, 2 now"),
            "{d:?}"
        );
        let d = config_differences(&old, "h", &old, Some("other"));
        assert!(d[0].contains("tokenizer"), "{d:?}");
        assert!(config_differences(&old, "h", &old, Some("h")).is_empty());
    }
}
