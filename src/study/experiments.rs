//! The homework's questions as data: which models each question compares and which
//! figures answer it. Model configurations live in [`models`]; every model is trained
//! once per seed and shared by all the questions that mention it.

/// Display names of the study's model configurations, by family.
pub mod names {
    pub const CNN: &str = "CNN";
    pub const RNN: &str = "RNN";
    pub const LSTM: &str = "LSTM";
    pub const LSTM_2: &str = "LSTM, 2 layers";

    /// The LSTM with one gate held at 1 (the gate ablation), by gate.
    pub mod fixed_gate {
        pub const FORGET: &str = "LSTM, forget gate = 1";
        pub const INPUT: &str = "LSTM, input gate = 1";
        pub const OUTPUT: &str = "LSTM, output gate = 1";
    }

    /// The bidirectional LSTMs, by how they aggregate the sequence.
    pub mod bilstm {
        pub const CONCAT: &str = "BiLSTM, concat final";
        pub const MEAN: &str = "BiLSTM, mean";
        pub const MAX: &str = "BiLSTM, max";
        pub const ATTENTION: &str = "BiLSTM, attention";
        /// Max pooling plus the bag-of-n-grams branch (the baseline question's network).
        pub const MAX_NGRAM: &str = "BiLSTM max + n-gram bag";
    }
}

/// The homework's questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Question {
    Tokenizer,
    Cnn,
    Rnn,
    Lstm,
    Gates,
    Layers,
    Bidirectional,
    Yelp,
    Baseline,
}

/// One question: what it asks, the models it compares and the figures that answer it.
#[derive(Clone, Debug)]
pub struct QuestionSpec {
    pub id: Question,
    pub number: usize,
    /// Short key used by `--only` (e.g. `cnn`, `gates`).
    pub key: &'static str,
    /// The report's heading.
    pub title: &'static str,
    /// The homework's question, quoted under the heading.
    pub prompt: &'static str,
    /// The models it compares, by display name ([`names`]).
    pub models: &'static [&'static str],
    /// The figures shown in its section, by file stem.
    pub figures: &'static [&'static str],
}

/// The nine questions in the homework's order.
pub fn questions() -> &'static [QuestionSpec] {
    &QUESTIONS
}

const QUESTIONS: [QuestionSpec; 9] = {
    use names::*;
    [
        QuestionSpec {
            id: Question::Tokenizer,
            number: 1,
            key: "tokenizer",
            title: "Tokenizer",
            prompt: "Train a Unigram tokenizer with 30,000 pieces; how many tokens does a review take, and how many are unknown?",
            models: &[],
            figures: &["token_lengths"],
        },
        QuestionSpec {
            id: Question::Cnn,
            number: 2,
            key: "cnn",
            title: "Convolutional network",
            prompt: "A Conv1d classifier over token embeddings with max pooling over time.",
            models: &[CNN],
            figures: &[],
        },
        QuestionSpec {
            id: Question::Rnn,
            number: 3,
            key: "rnn",
            title: "Recurrent network",
            prompt: "A vanilla RNN; how does accuracy depend on review length for RNN, LSTM and CNN, and how does ‖∂L/∂hₜ‖ change with the distance from the last token?",
            models: &[RNN, LSTM, CNN],
            figures: &["length_buckets", "grad_flow"],
        },
        QuestionSpec {
            id: Question::Lstm,
            number: 4,
            key: "lstm",
            title: "LSTM",
            prompt: "An LSTM classifier compared with the RNN and the CNN.",
            models: &[LSTM, RNN, CNN],
            figures: &[],
        },
        QuestionSpec {
            id: Question::Gates,
            number: 5,
            key: "gates",
            title: "Gate ablations",
            prompt: "Fix each LSTM gate (forget, input, output) to 1 in turn.",
            models: &[
                LSTM,
                fixed_gate::FORGET,
                fixed_gate::INPUT,
                fixed_gate::OUTPUT,
            ],
            figures: &["gate_ablation"],
        },
        QuestionSpec {
            id: Question::Layers,
            number: 6,
            key: "layers",
            title: "Stacked LSTM",
            prompt: "Two stacked LSTM layers against one.",
            models: &[LSTM_2, LSTM],
            figures: &[],
        },
        QuestionSpec {
            id: Question::Bidirectional,
            number: 7,
            key: "bidirectional",
            title: "Bidirectional LSTM",
            prompt: "A BiLSTM with each way of aggregating the sequence (final states concatenated, mean, max, attention) against the 2-layer LSTM, with parameter counts.",
            models: &[
                bilstm::CONCAT,
                bilstm::MEAN,
                bilstm::MAX,
                bilstm::ATTENTION,
                LSTM_2,
            ],
            figures: &[],
        },
        QuestionSpec {
            id: Question::Yelp,
            number: 8,
            key: "yelp",
            title: "Generalisation to Yelp",
            prompt: "The best IMDb-trained model labels every line of Yelp/reviews.txt (no Yelp text in training); how well does it transfer?",
            models: &[],
            figures: &[],
        },
        QuestionSpec {
            id: Question::Baseline,
            number: 9,
            key: "baseline",
            title: "TF-IDF baseline",
            prompt: "A TF-IDF + logistic-regression baseline in the same table; can a network beat it?",
            models: &[bilstm::MAX_NGRAM],
            figures: &[],
        },
    ]
};

/// An `--only` entry that names no question.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown experiment `{given}`: expected one of {keys} or a number 1–9")]
pub struct UnknownQuestion {
    /// The entry as given.
    pub given: String,
    /// The question keys, comma-separated.
    pub keys: String,
}

/// Resolves `--only` keys (question keys, numbers or model names) to question ids.
pub fn select(only: &[String]) -> Result<Vec<Question>, UnknownQuestion> {
    let all = questions();
    if only.is_empty() {
        return Ok(all.iter().map(|q| q.id).collect());
    }
    let mut out = Vec::new();
    for entry in only
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        let q = all
            .iter()
            .find(|q| q.key.eq_ignore_ascii_case(entry) || q.number.to_string() == entry)
            .ok_or_else(|| UnknownQuestion {
                given: entry.to_string(),
                keys: all.iter().map(|q| q.key).collect::<Vec<_>>().join(", "),
            })?;
        if !out.contains(&q.id) {
            out.push(q.id);
        }
    }
    Ok(out)
}

/// The distinct models the selected questions need, in first-mention order.
pub fn models_for(selected: &[Question]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for q in questions().iter().filter(|q| selected.contains(&q.id)) {
        for &m in q.models {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    // Yelp needs a model to apply; the LSTM is the cheapest strong one.
    if selected.contains(&Question::Yelp) && out.is_empty() {
        out.push(names::LSTM);
    }
    out
}

/// The configuration of a named model at the study's shared sizes.
pub fn model_config(
    name: &str,
    s: &super::settings::StudySettings,
) -> Option<crate::nn::config::ModelConfig> {
    use crate::nn::config::{ModelConfig, ModelKind};
    use crate::nn::gates::Gate;
    use crate::nn::pooling::Aggregation;
    use names::*;
    let base = |kind| {
        let mut c = ModelConfig::new(kind);
        c.embedding_dim = s.embedding_dim;
        c.hidden_size = s.hidden_size;
        c.channels = s.channels;
        c.kernel_widths = s.kernel_widths.clone();
        c.dropout = s.dropout;
        c
    };
    let lstm = || base(ModelKind::Lstm);
    let gate = |g| ModelConfig {
        disabled_gate: Some(g),
        ..lstm()
    };
    let bi = |a| ModelConfig {
        bidirectional: true,
        aggregation: a,
        ..lstm()
    };
    Some(match name {
        CNN => base(ModelKind::Cnn),
        RNN => base(ModelKind::Rnn),
        LSTM => lstm(),
        fixed_gate::FORGET => gate(Gate::Forget),
        fixed_gate::INPUT => gate(Gate::Input),
        fixed_gate::OUTPUT => gate(Gate::Output),
        LSTM_2 => ModelConfig {
            num_layers: 2,
            ..lstm()
        },
        bilstm::CONCAT => bi(Aggregation::Final),
        bilstm::MEAN => bi(Aggregation::Mean),
        bilstm::MAX => bi(Aggregation::Max),
        bilstm::ATTENTION => bi(Aggregation::Attention),
        bilstm::MAX_NGRAM => ModelConfig {
            ngram_buckets: s.ngram_buckets,
            ..bi(Aggregation::Max)
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_accepts_keys_and_numbers_and_names_bad_ones() {
        assert_eq!(
            select(&["cnn,7".into()]).unwrap(),
            vec![Question::Cnn, Question::Bidirectional]
        );
        let e = select(&["cnnn".into()]).unwrap_err().to_string();
        assert!(e.contains("cnnn") && e.contains("gates"), "{e}");
        assert_eq!(select(&[]).unwrap().len(), 9);
    }

    #[test]
    fn models_are_deduplicated() {
        let m = models_for(&[Question::Rnn, Question::Lstm]);
        assert_eq!(m, vec![names::RNN, names::LSTM, names::CNN]);
    }
}
