//! Training-step benchmark of the sentiment models (issue 3's fast path).
//!
//! One step = embedding gather, the model, a linear head on the final hidden state(s),
//! cross-entropy, backward and an Adam update — the same work as
//! `/work/shared/bench/torch_models.py` (batch 64 × 256 tokens, vocab 30000, embedding =
//! hidden = 128, 2 threads). Each model runs in a child process of this binary, so its peak RSS
//! (`VmHWM`) is its own. The last stdout line (and `--out`) is one JSON object.
//!
//! ```sh
//! cargo run --release --bin bench-models -- --json
//! cargo run --release --bin bench-models -- --models lstm,rnn --steps 5 --warmup 1
//! ```

use anyhow::{Context, Result, bail};
use clap::Parser;
use dfdx::optim::Adam;
use dfdx::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use sentiment_rnn::data::loader::Batch as TokenBatch;
use sentiment_rnn::nn::backend::Path;
use sentiment_rnn::nn::classifier::Classifier;
use sentiment_rnn::nn::config::{ModelConfig, ModelKind};
use sentiment_rnn::nn::fused::{conv1d_max_relu, embedding_lookup, lstm_sequence, rnn_sequence};
use sentiment_rnn::nn::lstm::GateSet;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// The project's current op-by-op models, timed through the `Classifier` for comparison.
const REFERENCE_MODELS: [&str; 2] = ["lstm_reference", "cnn_reference"];

/// Output channels of each CNN branch (k = 3 and 5), as in the PyTorch anchor.
const CNN_CHANNELS: usize = 128;

/// Every model the benchmark knows, in report order.
const ALL_MODELS: [&str; 5] = ["rnn", "lstm", "lstm_2layer", "bilstm", "cnn"];

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
    /// Comma-separated subset of: rnn, lstm, lstm_2layer, bilstm, cnn, lstm_reference,
    /// cnn_reference (default: all).
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
    /// Time the recurrent models through the project's `Classifier` (its fastest path) instead
    /// of the standalone stack built directly on the fused ops.
    #[arg(long)]
    via_classifier: bool,
    /// Run every model in this process (peak RSS is then cumulative).
    #[arg(long)]
    in_process: bool,
    /// Internal: run one model and print its result line.
    #[arg(long, hide = true)]
    child: Option<String>,
}

/// One model's measurement.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct ModelResult {
    name: String,
    ms_per_step: f64,
    min_ms: f64,
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
    rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build_global()
        .context("building the rayon pool")?;
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
    let mut models = Vec::new();
    for name in &names {
        let r = if args.in_process {
            run_model(&args, name)
        } else {
            run_child(&args, name)
        };
        match r {
            Ok(r) => {
                eprintln!(
                    "{:14} {:8.1} ms/step (min {:.1}, CPU {:.1})  {:9.0} tokens/s  peak RSS {:.0} MB",
                    r.name,
                    r.ms_per_step,
                    r.min_ms,
                    r.cpu_ms_per_step,
                    r.tokens_per_s,
                    r.peak_rss_mb
                );
                if args.json {
                    println!("{}", serde_json::to_string(&r)?);
                }
                models.push(r);
            }
            Err(e) => eprintln!("{name:12} skipped: {e:#}"),
        }
    }
    let reference = models
        .iter()
        .find(|m| m.name == "lstm_reference")
        .map(|m| m.ms_per_step);
    let reference_cpu = models
        .iter()
        .find(|m| m.name == "lstm_reference")
        .map(|m| m.cpu_ms_per_step);
    let lstm_cpu = models
        .iter()
        .find(|m| m.name == "lstm")
        .map(|m| m.cpu_ms_per_step);
    let lstm = models
        .iter()
        .find(|m| m.name == "lstm")
        .map(|m| m.ms_per_step);
    let summary = Summary {
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
        load_avg: [load_before, load_avg()],
        shape: serde_json::json!({
            "batch": args.batch, "seq_len": args.seq_len, "vocab": args.vocab,
            "embed": args.embed, "hidden": args.hidden, "classes": 2,
        }),
    };
    let line = serde_json::to_string(&summary)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, format!("{line}\n"))
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("{line}");
    Ok(())
}

/// Runs one model in a child process of this binary and parses its result line.
fn run_child(args: &Args, name: &str) -> Result<ModelResult> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let out = std::process::Command::new(exe)
        .args(["--child", name])
        .args([
            "--steps",
            &args.steps.to_string(),
            "--warmup",
            &args.warmup.to_string(),
        ])
        .args([
            "--threads",
            &args.threads.to_string(),
            "--batch",
            &args.batch.to_string(),
        ])
        .args([
            "--seq-len",
            &args.seq_len.to_string(),
            "--vocab",
            &args.vocab.to_string(),
        ])
        .args([
            "--embed",
            &args.embed.to_string(),
            "--hidden",
            &args.hidden.to_string(),
        ])
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
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
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

/// Times `warmup + steps` training steps of model `name`.
fn run_model(args: &Args, name: &str) -> Result<ModelResult> {
    let dev = Cpu::default();
    // Reuse freed tensor buffers instead of faulting in fresh pages every step.
    dev.enable_cache();
    let mut rng = StdRng::seed_from_u64(0);
    let (b, t) = (args.batch, args.seq_len);
    let tokens: Vec<usize> = (0..b * t).map(|_| rng.gen_range(0..args.vocab)).collect();
    let labels: Vec<usize> = (0..b).map(|_| rng.gen_range(0..2)).collect();
    let batch = Batch {
        tokens: dev.tensor_from_vec(tokens.clone(), (b, t)),
        ids: tokens,
        lengths: vec![t; b],
        targets: dev.tensor_from_vec(
            labels
                .iter()
                .flat_map(|&l| [(l == 0) as u8 as f32, (l == 1) as u8 as f32])
                .collect(),
            (b, 2),
        ),
    };
    let use_classifier = name.ends_with("_reference") || args.via_classifier;
    let mut model: Box<dyn TrainStep> = if use_classifier {
        Box::new(ClassifierModel::new(name, args, &dev, &batch)?)
    } else {
        Box::new(FusedModel::new(name, args, &dev, &mut rng)?)
    };
    let mut times = Vec::with_capacity(args.steps);
    let mut loss = 0.0;
    let mut cpu_start = 0.0;
    for i in 0..args.warmup + args.steps {
        if i == args.warmup {
            cpu_start = cpu_time_ms();
        }
        let start = Instant::now();
        loss = model.train_step(&batch, &dev);
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
    Ok(ModelResult {
        name: name.to_string(),
        ms_per_step: median,
        min_ms: times.first().copied().unwrap_or(f64::NAN),
        cpu_ms_per_step,
        tokens_per_s: (b * t) as f64 / (median / 1e3),
        peak_rss_mb: peak_rss_mb(),
        final_loss: loss,
    })
}

/// One training step of some model on the fixed batch; returns the loss.
trait TrainStep {
    fn train_step(&mut self, batch: &Batch, dev: &Cpu) -> f32;
}

impl TrainStep for FusedModel {
    fn train_step(&mut self, batch: &Batch, dev: &Cpu) -> f32 {
        FusedModel::train_step(self, batch, dev)
    }
}

/// The project's `Classifier` (embedding → encoder → final state → linear) with dfdx's Adam.
struct ClassifierModel {
    model: Classifier<f32, Cpu>,
    grads: Option<Gradients<f32, Cpu>>,
    adam: Adam<Classifier<f32, Cpu>, f32, Cpu>,
    batch: TokenBatch,
    targets: Tensor<(usize, Const<2>), f32, Cpu>,
}

impl ClassifierModel {
    /// `cnn` (Conv1d k = 3, 5 with 128 channels, max over time, like the PyTorch anchor),
    /// `lstm_reference` (the op-by-op LSTM), or the recurrent models on the fastest path.
    fn new(name: &str, args: &Args, dev: &Cpu, batch: &Batch) -> Result<Self> {
        let (kind, layers, bidirectional) = match name {
            "cnn" | "cnn_reference" => (ModelKind::Cnn, 1, false),
            "rnn" => (ModelKind::Rnn, 1, false),
            "lstm" | "lstm_reference" => (ModelKind::Lstm, 1, false),
            "lstm_2layer" => (ModelKind::Lstm, 2, false),
            "bilstm" => (ModelKind::Lstm, 1, true),
            other => {
                bail!(
                    "unknown model {other:?}; expected one of {ALL_MODELS:?} or {REFERENCE_MODELS:?}"
                )
            }
        };
        let mut cfg = ModelConfig::new(kind);
        cfg.embedding_dim = args.embed;
        cfg.hidden_size = args.hidden;
        cfg.kernel_widths = vec![3, 5];
        cfg.channels = 128;
        cfg.num_layers = layers;
        cfg.bidirectional = bidirectional;
        cfg.dropout = 0.0;
        let mut model = Classifier::<f32, Cpu>::new(&cfg, args.vocab, dev)?;
        if name == "lstm_reference" {
            model.path = Path::Reference;
        }
        let (b, t) = (args.batch, args.seq_len);
        let ids: Vec<u32> = batch
            .tokens
            .as_vec()
            .into_iter()
            .map(|v| v as u32)
            .collect();
        let labels: Vec<usize> = batch
            .targets
            .as_vec()
            .chunks(2)
            .map(|p| usize::from(p[1] > 0.5))
            .collect();
        let token_batch = TokenBatch {
            ids,
            mask: vec![1; b * t],
            lengths: batch.lengths.clone(),
            labels,
            indices: (0..b).collect(),
            batch_size: b,
            seq_len: t,
        };
        model
            .check_batch(&token_batch)
            .map_err(anyhow::Error::msg)?;
        let targets = dev.tensor_from_vec(batch.targets.as_vec(), (b, Const::<2>));
        let adam = Adam::new(
            &model,
            AdamConfig {
                lr: 1e-3,
                ..Default::default()
            },
        );
        let grads = Some(model.alloc_grads());
        Ok(Self {
            model,
            grads,
            adam,
            batch: token_batch,
            targets,
        })
    }
}

impl TrainStep for ClassifierModel {
    fn train_step(&mut self, _batch: &Batch, _dev: &Cpu) -> f32 {
        let grads = self
            .grads
            .take()
            .expect("gradients are put back every step");
        let logits = self.model.forward_train(&self.batch, grads);
        let loss = cross_entropy_with_logits_loss(logits, self.targets.clone());
        let value = loss.array();
        let mut grads = loss.backward();
        self.adam
            .update(&mut self.model, &grads)
            .expect("every parameter has a gradient");
        self.model.zero_grads(&mut grads);
        self.grads = Some(grads);
        value
    }
}

/// One fixed batch of random tokens (all rows full length, like the PyTorch anchor).
struct Batch {
    tokens: Tensor<(usize, usize), usize, Cpu>,
    ids: Vec<usize>,
    lengths: Vec<usize>,
    targets: Tensor<(usize, usize), f32, Cpu>,
}

type Mat = Tensor<(usize, usize), f32, Cpu>;
type Taped2 = Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>;
type Vec1 = Tensor<(usize,), f32, Cpu>;

/// A recurrent layer's parameters for the fused ops.
struct Recurrent {
    lstm: bool,
    reverse: bool,
    w_x: Mat,
    w_h: Mat,
    b: Vec1,
}

/// Embedding → fused recurrent layer(s) → final hidden state(s) → linear head.
struct FusedModel {
    embedding: Mat,
    /// Stacked layers (each feeding the next), or for `bidirectional` the two directions.
    layers: Vec<Recurrent>,
    bidirectional: bool,
    /// CNN branches: weight `(k·E, C)`, bias `(C,)`, width `k`.
    convs: Vec<(Mat, Vec1, usize)>,
    /// One head matrix `(H, 2)` (or `(C, 2)`) per final state or branch (the concat head
    /// split by blocks).
    heads: Vec<Mat>,
    head_b: Vec1,
    adam: Vec<AdamState>,
}

impl FusedModel {
    fn new(name: &str, args: &Args, dev: &Cpu, rng: &mut StdRng) -> Result<Self> {
        let (e, h) = (args.embed, args.hidden);
        let k = 1.0 / (h as f32).sqrt();
        let uniform = |rows: usize, cols: usize, rng: &mut StdRng| -> Mat {
            dev.tensor_from_vec(
                (0..rows * cols).map(|_| rng.gen_range(-k..k)).collect(),
                (rows, cols),
            )
        };
        let layer = |lstm: bool, reverse: bool, input: usize, rng: &mut StdRng| {
            let g = if lstm { 4 } else { 1 };
            Recurrent {
                lstm,
                reverse,
                w_x: uniform(input, g * h, rng),
                w_h: uniform(h, g * h, rng),
                b: dev.zeros_like(&(g * h,)),
            }
        };
        let conv = |width: usize, rng: &mut StdRng| {
            let kc = 1.0 / ((width * e) as f32).sqrt();
            let w = dev.tensor_from_vec(
                (0..width * e * CNN_CHANNELS)
                    .map(|_| rng.gen_range(-kc..kc))
                    .collect(),
                (width * e, CNN_CHANNELS),
            );
            let b = dev.tensor_from_vec(
                (0..CNN_CHANNELS).map(|_| rng.gen_range(-kc..kc)).collect(),
                (CNN_CHANNELS,),
            );
            (w, b, width)
        };
        let mut convs = Vec::new();
        let (layers, bidirectional) = match name {
            "cnn" => {
                convs = vec![conv(3, rng), conv(5, rng)];
                (vec![], false)
            }
            "rnn" => (vec![layer(false, false, e, rng)], false),
            "lstm" => (vec![layer(true, false, e, rng)], false),
            "lstm_2layer" => (
                vec![layer(true, false, e, rng), layer(true, false, h, rng)],
                false,
            ),
            "bilstm" => (
                vec![layer(true, false, e, rng), layer(true, true, e, rng)],
                true,
            ),
            other => {
                bail!(
                    "unknown model {other:?}; expected one of {ALL_MODELS:?} or {REFERENCE_MODELS:?}"
                )
            }
        };
        let (n_heads, width) = if !convs.is_empty() {
            (convs.len(), CNN_CHANNELS)
        } else {
            (if bidirectional { 2 } else { 1 }, h)
        };
        let kh = 1.0 / ((n_heads * width) as f32).sqrt();
        let heads = (0..n_heads)
            .map(|_| {
                dev.tensor_from_vec(
                    (0..width * 2).map(|_| rng.gen_range(-kh..kh)).collect(),
                    (width, 2),
                )
            })
            .collect();
        let embedding = dev.tensor_from_vec(
            (0..args.vocab * e)
                .map(|_| StandardNormal.sample(&mut *rng))
                .collect(),
            (args.vocab, e),
        );
        let mut model = Self {
            embedding,
            layers,
            bidirectional,
            convs,
            heads,
            head_b: dev.zeros_like(&(2,)),
            adam: Vec::new(),
        };
        model.adam = model.params().iter().map(|p| AdamState::new(p)).collect();
        Ok(model)
    }

    /// Every trainable tensor, flattened to 1-d views' element counts for Adam.
    fn params(&self) -> Vec<ParamRef<'_>> {
        let mut v = vec![ParamRef::Mat(&self.embedding)];
        for l in &self.layers {
            v.extend([
                ParamRef::Mat(&l.w_x),
                ParamRef::Mat(&l.w_h),
                ParamRef::Vec(&l.b),
            ]);
        }
        for (w, b, _) in &self.convs {
            v.extend([ParamRef::Mat(w), ParamRef::Vec(b)]);
        }
        v.extend(self.heads.iter().map(ParamRef::Mat));
        v.push(ParamRef::Vec(&self.head_b));
        v
    }

    fn train_step(&mut self, batch: &Batch, dev: &Cpu) -> f32 {
        let (b, _) = *batch.tokens.shape();
        let (_, t) = *batch.tokens.shape();
        let x = embedding_lookup(
            self.embedding.clone().traced(Gradients::leaky()),
            &batch.ids,
            b,
            t,
        );
        let last = dev.tensor_from_vec(
            batch.lengths.iter().map(|&l| l - 1).collect::<Vec<_>>(),
            (b,),
        );
        let first = dev.tensor_from_vec(vec![0usize; b], (b,));
        let run =
            |l: &Recurrent, x: Tensor<(usize, usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>| {
                if l.lstm {
                    lstm_sequence(
                        x,
                        &l.w_x,
                        &l.w_h,
                        &l.b,
                        &batch.lengths,
                        GateSet::ALL,
                        l.reverse,
                    )
                } else {
                    rnn_sequence(x, &l.w_x, &l.w_h, &l.b, &batch.lengths, l.reverse)
                }
            };
        let finals: Vec<Taped2> = if !self.convs.is_empty() {
            let (x, tape) = x.split_tape();
            let mut tape = Some(tape);
            self.convs
                .iter()
                .map(|(w, b, k)| {
                    let xi = x.clone().put_tape(tape.take().unwrap_or_default());
                    conv1d_max_relu(xi, w, b, &batch.lengths, *k, 0)
                })
                .collect()
        } else if self.bidirectional {
            let fwd = run(&self.layers[0], x.with_empty_tape());
            let bwd = run(&self.layers[1], x);
            vec![fwd.select(last), bwd.select(first)]
        } else {
            let mut h = x;
            for l in &self.layers {
                h = run(l, h);
            }
            vec![h.select(last)]
        };
        let mut logits = None;
        for (f, w) in finals.into_iter().zip(&self.heads) {
            let part = f.matmul(w.clone());
            logits = Some(match logits {
                None => part,
                Some(acc) => acc + part,
            });
        }
        let logits = logits.expect("at least one head");
        let logits = logits + self.head_b.clone().broadcast_like::<_, Axis<0>>(&(b, 2));
        let loss = cross_entropy_with_logits_loss(logits, batch.targets.clone());
        let value = loss.array();
        let mut grads = loss.backward();
        self.adam_update(&mut grads);
        value
    }

    fn adam_update(&mut self, grads: &mut Gradients<f32, Cpu>) {
        let mut adam = std::mem::take(&mut self.adam);
        let mut i = 0;
        let mut step = |p: &mut dyn AdamParam| {
            adam[i].update(p, grads);
            i += 1;
        };
        step(&mut self.embedding);
        for l in &mut self.layers {
            step(&mut l.w_x);
            step(&mut l.w_h);
            step(&mut l.b);
        }
        for (w, b, _) in &mut self.convs {
            step(w);
            step(b);
        }
        for w in &mut self.heads {
            step(w);
        }
        step(&mut self.head_b);
        self.adam = adam;
    }
}

/// A borrowed parameter (only its size matters when building Adam state).
enum ParamRef<'a> {
    Mat(&'a Mat),
    Vec(&'a Vec1),
}

/// Adam over a parameter tensor: reads its gradient in place and copies the new values back.
trait AdamParam {
    fn grad<'g>(&self, grads: &'g mut Gradients<f32, Cpu>) -> &'g [f32];
    fn set(&mut self, values: &[f32]);
}

impl AdamParam for Mat {
    fn grad<'g>(&self, grads: &'g mut Gradients<f32, Cpu>) -> &'g [f32] {
        grads.get_or_alloc_mut(self).expect("allocating a gradient")
    }
    fn set(&mut self, values: &[f32]) {
        self.copy_from(values);
    }
}

impl AdamParam for Vec1 {
    fn grad<'g>(&self, grads: &'g mut Gradients<f32, Cpu>) -> &'g [f32] {
        grads.get_or_alloc_mut(self).expect("allocating a gradient")
    }
    fn set(&mut self, values: &[f32]) {
        self.copy_from(values);
    }
}

/// Adam (lr 1e-3, β = (0.9, 0.999), ε = 1e-8) moments and a mirror of the values.
struct AdamState {
    values: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl AdamState {
    fn new(p: &ParamRef<'_>) -> Self {
        let values = match p {
            ParamRef::Mat(t) => t.as_vec(),
            ParamRef::Vec(t) => t.as_vec(),
        };
        let n = values.len();
        Self {
            values,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    fn update(&mut self, p: &mut dyn AdamParam, grads: &mut Gradients<f32, Cpu>) {
        let (lr, b1, b2, eps) = (1e-3_f32, 0.9_f32, 0.999_f32, 1e-8_f32);
        self.t += 1;
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        let g = p.grad(grads);
        // Element-wise, so chunks run on the pool's threads (the embedding has V·E entries).
        const CHUNK: usize = 1 << 14;
        self.values
            .par_chunks_mut(CHUNK)
            .zip(self.m.par_chunks_mut(CHUNK))
            .zip(self.v.par_chunks_mut(CHUNK))
            .zip(g.par_chunks(CHUNK))
            .for_each(|(((x, m), v), g)| {
                for (((x, m), v), &g) in x.iter_mut().zip(m).zip(v).zip(g) {
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    *x -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                }
            });
        p.set(&self.values);
    }
}
