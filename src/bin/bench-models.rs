//! Training-step benchmark of the sentiment models on their fast path.
//!
//! Every model is the project's `Classifier` as users run it (CPU/f32, `Path::Fastest`: the
//! fused embedding, CNN and recurrent ops), plus the op-by-op reference LSTM (`Path::Reference`)
//! for the fused/reference ratio. One step = embedding lookup, the encoder, pooling (the final
//! hidden state(s) unless the name says otherwise), a linear head, cross-entropy, backward and
//! the trainer's Adam update — the same work as the PyTorch anchor that
//! `scripts/bench-models.sh` runs beside it (batch 64 × 256 tokens, vocab 30000, embedding =
//! hidden = 128, 2 threads). Each model runs in a child process of this binary, so its peak RSS
//! (`VmHWM`) is its own. The last stdout line (and `--out`) is one JSON object; it names the
//! CPU and the instruction set the fused kernels ran on, and gives every model's median, min
//! and `median / min` (the stability figure: near 1 on a quiet machine).
//!
//! ```sh
//! cargo run --release --bin bench-models -- --json
//! cargo run --release --bin bench-models -- --models lstm,rnn --steps 5 --warmup 1
//! cargo run --release --bin bench-models -- --models lstm,rnn --isa avx2
//! ```

use anyhow::{Context, Result, bail};
use clap::Parser;
use dfdx::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sentiment_rnn::data::loader::Batch;
use sentiment_rnn::nn::backend::Path;
use sentiment_rnn::nn::classifier::Classifier;
use sentiment_rnn::nn::config::{ModelConfig, ModelKind};
use sentiment_rnn::nn::fused::Isa;
use sentiment_rnn::nn::pooling::Aggregation;
use sentiment_rnn::train::TrainConfig;
use sentiment_rnn::train::adam::Adam;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// The op-by-op (`Path::Reference`) models, for the fused/reference ratio.
const REFERENCE_MODELS: [&str; 2] = ["lstm_reference", "cnn_reference"];

/// Output channels of each CNN branch (k = 3 and 5), as in the PyTorch anchor.
const CNN_CHANNELS: usize = 128;

/// Every fused-path model the benchmark knows, in report order.
const ALL_MODELS: [&str; 8] = [
    "rnn",
    "lstm",
    "lstm_2layer",
    "bilstm",
    "cnn",
    "bilstm_mean",
    "bilstm_max",
    "bilstm_attention",
];

#[derive(Parser, Debug, Clone)]
#[command(about = "Per-model training-step timings (ms/step, tokens/s, peak RSS)")]
struct Args {
    /// Print the per-model lines as they finish (the JSON summary is always the last line).
    #[arg(long)]
    json: bool,
    /// Where to write the JSON summary.
    #[arg(long, default_value = "figures/bench_models.json")]
    out: PathBuf,
    /// Timed steps per model (the median is reported).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Untimed warm-up steps per model.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Worker threads (rayon pool used by the ops and matmuls).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Comma-separated subset of: rnn, lstm, lstm_2layer, bilstm, cnn, bilstm_mean,
    /// bilstm_max, bilstm_attention, lstm_reference, cnn_reference (default: all).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    #[arg(long, default_value_t = 64)]
    batch: usize,
    #[arg(long, default_value_t = 256)]
    seq_len: usize,
    #[arg(long, default_value_t = 30000)]
    vocab: usize,
    #[arg(long, default_value_t = 128)]
    embed: usize,
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// Instruction set of the fused kernels: scalar, avx2 or avx512 (default: the best this
    /// CPU runs, or `SENTIMENT_RNN_ISA`).
    #[arg(long, value_parser = parse_isa)]
    isa: Option<Isa>,
    /// Run every model in this process (peak RSS is then cumulative).
    #[arg(long)]
    in_process: bool,
    /// Internal: run one model and print its result line.
    #[arg(long, hide = true)]
    child: Option<String>,
}

/// `--isa`: a name this CPU can run.
fn parse_isa(name: &str) -> Result<Isa, String> {
    let isa = Isa::from_name(name)
        .ok_or_else(|| format!("{name:?} is not one of scalar, avx2, avx512"))?;
    if !isa.is_supported() {
        return Err(format!("this CPU cannot run {name}"));
    }
    Ok(isa)
}

/// One model's measurement.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct ModelResult {
    name: String,
    /// Median wall time of the timed steps.
    ms_per_step: f64,
    min_ms: f64,
    /// `ms_per_step / min_ms`: 1 when every step took the same time.
    stability: f64,
    /// The instruction set the fused kernels ran on.
    isa: String,
    /// CPU time (all threads) per timed step: on a loaded machine the wall time stretches,
    /// this much less.
    cpu_ms_per_step: f64,
    tokens_per_s: f64,
    peak_rss_mb: f64,
    final_loss: f32,
}

/// The summary written as the last stdout line and to `--out`.
#[derive(Serialize, Debug)]
struct Summary {
    /// The CPU's model name (`/proc/cpuinfo`).
    cpu_model: String,
    /// The instruction set the fused kernels ran on.
    isa: String,
    models: Vec<ModelResult>,
    lstm_reference_ms_per_step: Option<f64>,
    /// Wall-time ratio fused LSTM / op-by-op reference LSTM.
    lstm_over_reference: Option<f64>,
    lstm_reference_cpu_ms_per_step: Option<f64>,
    /// The same ratio in CPU time (steadier when other processes compete for the cores).
    lstm_over_reference_cpu: Option<f64>,
    threads: usize,
    steps: usize,
    warmup: usize,
    shape: serde_json::Value,
    /// 1-minute load average before and after the run (timings on a loaded machine stretch).
    load_avg: [f64; 2],
}

fn main() -> Result<()> {
    let args = Args::parse();
    // The pool's threads flush subnormals and the allocator keeps freed buffers, as in training.
    sentiment_rnn::cpu::configure_with_threads(args.threads).context("building the rayon pool")?;
    if let Some(name) = &args.child {
        let r = run_model(&args, name)?;
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    let names: Vec<String> = if args.models.is_empty() {
        ALL_MODELS
            .iter()
            .chain(&REFERENCE_MODELS)
            .map(|s| s.to_string())
            .collect()
    } else {
        args.models.clone()
    };
    let load_before = load_avg();
    let models = run_models(&args, &names)?;
    let summary = summarize(&args, models, [load_before, load_avg()]);
    let line = serde_json::to_string(&summary)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, format!("{line}\n"))
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("{line}");
    Ok(())
}

/// Runs every named model (each in a child process unless `--in-process`), printing a line
/// per model; a model that fails is reported and skipped.
fn run_models(args: &Args, names: &[String]) -> Result<Vec<ModelResult>> {
    let mut models = Vec::new();
    for name in names {
        let r = if args.in_process {
            run_model(args, name)
        } else {
            run_child(args, name)
        };
        match r {
            Ok(r) => {
                eprintln!(
                    "{:14} {:8.1} ms/step (min {:.1}, median/min {:.2}, CPU {:.1})  {:9.0} tokens/s  peak RSS {:.0} MB  [{}]",
                    r.name,
                    r.ms_per_step,
                    r.min_ms,
                    r.stability,
                    r.cpu_ms_per_step,
                    r.tokens_per_s,
                    r.peak_rss_mb,
                    r.isa
                );
                if args.json {
                    println!("{}", serde_json::to_string(&r)?);
                }
                models.push(r);
            }
            Err(e) => eprintln!("{name:12} skipped: {e:#}"),
        }
    }
    Ok(models)
}

/// The summary of the measured models; the op-by-op LSTM only enters the fused/reference
/// ratios.
fn summarize(args: &Args, models: Vec<ModelResult>, load_avg: [f64; 2]) -> Summary {
    let find = |name: &str| models.iter().find(|m| m.name == name);
    let reference = find("lstm_reference").map(|m| m.ms_per_step);
    let reference_cpu = find("lstm_reference").map(|m| m.cpu_ms_per_step);
    let lstm = find("lstm").map(|m| m.ms_per_step);
    let lstm_cpu = find("lstm").map(|m| m.cpu_ms_per_step);
    Summary {
        cpu_model: cpu_model(),
        isa: args.isa.unwrap_or_else(Isa::detected).name().to_string(),
        lstm_reference_ms_per_step: reference,
        lstm_reference_cpu_ms_per_step: reference_cpu,
        lstm_over_reference_cpu: lstm_cpu.zip(reference_cpu).map(|(a, b)| a / b),
        lstm_over_reference: lstm.zip(reference).map(|(a, b)| a / b),
        models: models
            .into_iter()
            .filter(|m| m.name != "lstm_reference")
            .collect(),
        threads: args.threads,
        steps: args.steps,
        warmup: args.warmup,
        load_avg,
        shape: serde_json::json!({
            "batch": args.batch, "seq_len": args.seq_len, "vocab": args.vocab,
            "embed": args.embed, "hidden": args.hidden, "classes": 2,
        }),
    }
}

/// The CPU's model name from `/proc/cpuinfo` ("unknown" where it is unavailable).
fn cpu_model() -> String {
    proc_line("/proc/cpuinfo", "model name")
        .and_then(|line| Some(line.split_once(':')?.1.trim().to_string()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The first line of the /proc file `path` that starts with `prefix`.
fn proc_line(path: &str, prefix: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|line| line.starts_with(prefix))
        .map(str::to_string)
}

/// Runs one model in a child process of this binary and parses its result line.
fn run_child(args: &Args, name: &str) -> Result<ModelResult> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let out = std::process::Command::new(exe)
        .args(["--child", name])
        .args(
            [
                ("--steps", args.steps),
                ("--warmup", args.warmup),
                ("--threads", args.threads),
                ("--batch", args.batch),
                ("--seq-len", args.seq_len),
                ("--vocab", args.vocab),
                ("--embed", args.embed),
                ("--hidden", args.hidden),
            ]
            .into_iter()
            .flat_map(|(flag, value)| [flag.to_string(), value.to_string()]),
        )
        .args(args.isa.iter().flat_map(|isa| ["--isa", isa.name()]))
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running the child process")?;
    if !out.status.success() {
        bail!("child for {name} failed with {}", out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().context("child printed nothing")?;
    serde_json::from_str(last).with_context(|| format!("parsing the child's line {last:?}"))
}

/// The 1-minute load average (0 where /proc is unavailable).
fn load_avg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Peak resident set size of this process in MB (`VmHWM`), 0 where /proc is unavailable.
fn peak_rss_mb() -> f64 {
    proc_line("/proc/self/status", "VmHWM:")
        .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// User + system CPU time of this process (all threads) in ms, from `/proc/self/stat`
/// (clock ticks of 10 ms); 0 where /proc is unavailable.
fn cpu_time_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) * 10.0
}

/// Times `warmup + steps` training steps of model `name` on `--isa`'s kernels.
fn run_model(args: &Args, name: &str) -> Result<ModelResult> {
    let isa = args.isa.unwrap_or_else(Isa::detected);
    isa.with(|| time_model(args, name))
}

/// Times `warmup + steps` training steps of model `name`.
fn time_model(args: &Args, name: &str) -> Result<ModelResult> {
    // No `enable_cache`, as in training: the fused ops hand dfdx buffers it never allocated,
    // so its cache would keep one set per step (peak RSS grew ~16 MB a step, unbounded).
    let dev = Cpu::default();
    let mut rng = StdRng::seed_from_u64(0);
    let (b, t) = (args.batch, args.seq_len);
    // One fixed batch of random tokens, all rows full length like the PyTorch anchor.
    let batch = Batch {
        ids: (0..b * t)
            .map(|_| rng.gen_range(0..args.vocab as u32))
            .collect(),
        mask: vec![1; b * t],
        lengths: vec![t; b],
        labels: (0..b).map(|_| rng.gen_range(0..2)).collect(),
        indices: (0..b).collect(),
        batch_size: b,
        seq_len: t,
        valence: Vec::new(),
    };
    let mut model = ClassifierModel::new(name, args, &dev, batch)?;
    let mut times = Vec::with_capacity(args.steps);
    let mut loss = 0.0;
    let mut cpu_start = 0.0;
    for i in 0..args.warmup + args.steps {
        if i == args.warmup {
            cpu_start = cpu_time_ms();
        }
        let start = Instant::now();
        loss = model.train_step();
        if i >= args.warmup {
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let cpu_ms_per_step = (cpu_time_ms() - cpu_start) / args.steps.max(1) as f64;
    if !loss.is_finite() {
        bail!("{name}: the loss is not finite ({loss})");
    }
    times.sort_by(f64::total_cmp);
    let median = if times.is_empty() {
        f64::NAN
    } else {
        times[times.len() / 2]
    };
    let min_ms = times.first().copied().unwrap_or(f64::NAN);
    Ok(ModelResult {
        name: name.to_string(),
        ms_per_step: median,
        min_ms,
        stability: median / min_ms,
        isa: Isa::current().name().to_string(),
        cpu_ms_per_step,
        tokens_per_s: (b * t) as f64 / (median / 1e3),
        peak_rss_mb: peak_rss_mb(),
        final_loss: loss,
    })
}

/// The project's `Classifier` (embedding → encoder → final state → linear) with the trainer's Adam.
struct ClassifierModel {
    model: Classifier<f32, Cpu>,
    grads: Option<Gradients<f32, Cpu>>,
    adam: Adam,
    batch: Batch,
    targets: Tensor<(usize, Const<2>), f32, Cpu>,
}

impl ClassifierModel {
    /// `cnn` (Conv1d k = 3, 5 with 128 channels, max over time, like the PyTorch anchor), the
    /// recurrent models (final state, or the `bilstm_<aggregation>` pooling), and the
    /// `_reference` models on the op-by-op path.
    fn new(name: &str, args: &Args, dev: &Cpu, batch: Batch) -> Result<Self> {
        let base = name.strip_suffix("_reference").unwrap_or(name);
        let (kind, layers, bidirectional, aggregation) = match base {
            "cnn" => (ModelKind::Cnn, 1, false, Aggregation::Final),
            "rnn" => (ModelKind::Rnn, 1, false, Aggregation::Final),
            "lstm" => (ModelKind::Lstm, 1, false, Aggregation::Final),
            "lstm_2layer" => (ModelKind::Lstm, 2, false, Aggregation::Final),
            "bilstm" => (ModelKind::Lstm, 1, true, Aggregation::Final),
            other => match other
                .strip_prefix("bilstm_")
                .and_then(|a| Aggregation::ALL.into_iter().find(|agg| agg.name() == a))
            {
                Some(agg) => (ModelKind::Lstm, 1, true, agg),
                None => bail!(
                    "unknown model {name:?}; expected one of {ALL_MODELS:?} or {REFERENCE_MODELS:?}"
                ),
            },
        };
        let mut cfg = ModelConfig::new(kind);
        cfg.embedding_dim = args.embed;
        cfg.hidden_size = args.hidden;
        cfg.kernel_widths = vec![3, 5];
        cfg.channels = CNN_CHANNELS;
        cfg.num_layers = layers;
        cfg.bidirectional = bidirectional;
        cfg.aggregation = aggregation;
        cfg.dropout = 0.0;
        cfg.layer_dropout = 0.0;
        cfg.embedding_dropout = 0.0;
        let mut model = Classifier::<f32, Cpu>::new(&cfg, args.vocab, dev)?;
        if name.ends_with("_reference") {
            model.path = Path::Reference;
        }
        model.check_batch(&batch)?;
        let targets = dev.tensor_from_vec(
            batch
                .labels
                .iter()
                .flat_map(|&l| [(l == 0) as u8 as f32, (l == 1) as u8 as f32])
                .collect(),
            (batch.batch_size, Const::<2>),
        );
        // The trainer's Adam (dfdx's update, state saveable), lr 1e-3, no clipping.
        let adam = Adam::new(&TrainConfig {
            lr: 1e-3,
            ..TrainConfig::default()
        });
        let grads = Some(model.alloc_grads());
        Ok(Self {
            model,
            grads,
            adam,
            batch,
            targets,
        })
    }
}

impl ClassifierModel {
    /// One training step on the fixed batch; returns the loss.
    fn train_step(&mut self) -> f32 {
        let grads = self
            .grads
            .take()
            .expect("gradients are put back every step");
        let logits = self.model.forward_train(&self.batch, grads);
        let loss = cross_entropy_with_logits_loss(logits, self.targets.clone());
        let value = loss.array();
        let mut grads = loss.backward();
        self.adam
            .update(&mut self.model, &mut grads)
            .expect("the CPU update cannot fail");
        self.model.zero_grads(&mut grads);
        self.grads = Some(grads);
        value
    }
}
