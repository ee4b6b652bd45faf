//! Smoke check of a `--features cuda` build on a GPU machine: opens device 0 and runs one op of
//! each kind dfdx's CUDA backend has, comparing each with the CPU: a cuBLAS matmul, kernels that
//! nvcc compiled to PTX at build time (tanh, sum and their backward), and kernels NVRTC compiles
//! at run time (to_dtype, a non-contiguous reshape, concat_along), which read include paths baked
//! into the binary. Exits 0 when all match, 1 on a mismatch or when the device cannot be opened.
//!
//! `cargo run --release --features cuda --example cuda_smoke`

#[cfg(feature = "cuda")]
fn main() -> std::process::ExitCode {
    use dfdx::prelude::*;

    let cuda = match open_device() {
        Ok(cuda) => cuda,
        Err(error) => {
            eprintln!("cuda_smoke: cannot open CUDA device 0: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let cpu = Cpu::seed_from_u64(0);
    let a_cpu = cpu.sample_normal::<Rank2<64, 128>>();
    let b_cpu = cpu.sample_normal::<Rank2<128, 32>>();
    let a_gpu = cuda.tensor_from_vec(a_cpu.as_vec(), (Const::<64>, Const::<128>));
    let b_gpu = cuda.tensor_from_vec(b_cpu.as_vec(), (Const::<128>, Const::<32>));

    let grad_of_tanh_sum = |cpu_side: bool| -> Vec<f32> {
        if cpu_side {
            let grads = a_cpu.leaky_trace().tanh().sum().backward();
            grads.get(&a_cpu).as_vec()
        } else {
            let grads = a_gpu.leaky_trace().tanh().sum().backward();
            grads.get(&a_gpu).as_vec()
        }
    };
    let concat_cpu = {
        let rows = cpu.tensor_from_vec(a_cpu.as_vec(), (64usize, Const::<128>));
        (rows.clone(), rows).concat_along(Axis::<0>).as_vec()
    };
    let concat_gpu = {
        let rows = cuda.tensor_from_vec(a_cpu.as_vec(), (64usize, Const::<128>));
        (rows.clone(), rows).concat_along(Axis::<0>).as_vec()
    };
    let as_f32 = |values: Vec<f64>| values.into_iter().map(|v| v as f32).collect::<Vec<_>>();
    let checks: [(&'static str, Vec<f32>, Vec<f32>); 6] = [
        (
            "cuBLAS matmul",
            a_cpu.clone().matmul(b_cpu.clone()).as_vec(),
            a_gpu.clone().matmul(b_gpu.clone()).as_vec(),
        ),
        (
            "PTX tanh",
            a_cpu.clone().tanh().as_vec(),
            a_gpu.clone().tanh().as_vec(),
        ),
        (
            "PTX tanh+sum backward",
            grad_of_tanh_sum(true),
            grad_of_tanh_sum(false),
        ),
        (
            "NVRTC to_dtype",
            as_f32(a_cpu.clone().to_dtype::<f64>().as_vec()),
            as_f32(a_gpu.clone().to_dtype::<f64>().as_vec()),
        ),
        (
            "NVRTC reshape (permuted)",
            a_cpu
                .clone()
                .permute::<Rank2<128, 64>, _>()
                .reshape::<Rank1<8192>>()
                .as_vec(),
            a_gpu
                .clone()
                .permute::<Rank2<128, 64>, _>()
                .reshape::<Rank1<8192>>()
                .as_vec(),
        ),
        ("NVRTC concat_along", concat_cpu, concat_gpu),
    ];

    if report(checks) {
        println!("cuda_smoke: all CUDA ops match the CPU");
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// Prints each check's largest |cpu - cuda| and says whether all are within 1e-4.
#[cfg(feature = "cuda")]
fn report(checks: impl IntoIterator<Item = (&'static str, Vec<f32>, Vec<f32>)>) -> bool {
    let mut all_match = true;
    for (name, expected, actual) in checks {
        let max_error = expected
            .iter()
            .zip(&actual)
            .map(|(e, a)| (e - a).abs())
            .fold(0.0f32, f32::max);
        let matches = expected.len() == actual.len() && max_error <= 1e-4;
        all_match &= matches;
        let verdict = if matches { "ok" } else { "MISMATCH" };
        println!("{name:26} max |cpu - cuda| = {max_error:.2e}  {verdict}");
    }
    all_match
}

/// Opens device 0. cudarc 0.9 panics (instead of returning the error) when the driver fails to
/// initialize or has no such device, so the panic is caught and its message returned.
#[cfg(feature = "cuda")]
fn open_device() -> Result<dfdx::tensor::Cuda, String> {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let opened = std::panic::catch_unwind(|| dfdx::tensor::Cuda::try_build(0, 0));
    std::panic::set_hook(default_hook);
    match opened {
        Ok(Ok(cuda)) => Ok(cuda),
        Ok(Err(error)) => Err(format!("{error:?}")),
        Err(payload) => Err(payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|message| message.to_string())
            })
            .unwrap_or_else(|| "the CUDA driver panicked".to_string())),
    }
}

#[cfg(not(feature = "cuda"))]
fn main() -> std::process::ExitCode {
    eprintln!("cuda_smoke: built without `--features cuda`");
    std::process::ExitCode::from(2)
}
