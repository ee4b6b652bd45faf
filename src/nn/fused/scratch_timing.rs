#[cfg(test)]
mod t {
    use super::super::gemm::*;
    use std::time::Instant;
    fn time(
        name: &str,
        m: usize,
        k: usize,
        n: usize,
        reps: usize,
        threads: usize,
        trans_lhs: bool,
    ) {
        let a = vec![0.5f32; m * k];
        let b = vec![0.25f32; k * n];
        let mut c = vec![0.0f32; m * n];
        let lhs = if trans_lhs {
            MatRef::rows_of(&a, 0, k, m).t()
        } else {
            MatRef::rows_of(&a, 0, m, k)
        };
        let start = Instant::now();
        for _ in 0..reps {
            unsafe {
                matmul(
                    MatMut::rows_of(&mut c, 0, m, n),
                    lhs,
                    MatRef::rows_of(&b, 0, k, n),
                    true,
                    threads,
                )
            };
        }
        let el = start.elapsed().as_secs_f64() / reps as f64;
        let gf = 2.0 * (m * k * n) as f64 / el / 1e9;
        eprintln!(
            "{name}: {m}x{k}x{n} thr {threads}: {:.3} ms, {gf:.1} GFLOP/s",
            el * 1e3
        );
    }
    #[test]
    #[ignore]
    fn gemm_speed() {
        time("step", 32, 128, 512, 500, 1, false);
        time("step64", 64, 128, 512, 500, 1, false);
        time("stepT", 32, 512, 128, 500, 1, false);
        time("proj", 16384, 128, 512, 5, 2, false);
        time("proj1", 16384, 128, 512, 5, 1, false);
        time("dW", 128, 16384, 512, 5, 2, true);
        time("dW1", 128, 16384, 512, 5, 1, true);
    }
}
#[cfg(test)]
mod t2 {
    use super::super::*;
    use std::time::Instant;
    #[test]
    #[ignore]
    fn lstm_phases() {
        let (b, t, e, h) = (64, 256, 128, 128);
        let gates = lstm::GateLayout::new([true; 4]);
        let x = vec![0.1f32; b * t * e];
        let wx = vec![0.01f32; e * 4 * h];
        let wh = vec![0.01f32; h * 4 * h];
        let bias = vec![0.0f32; 4 * h];
        let lens = vec![t; b];
        let threads = rayon::current_num_threads();
        for _ in 0..3 {
            let s = Instant::now();
            let dims = lstm::LstmDims {
                batch: b,
                seq_len: t,
                embed: e,
                hidden: h,
                gates,
                threads,
            };
            let fwd = lstm::forward(dims, x.clone(), &wx, &wh, &bias, &lens, false);
            let t1 = s.elapsed().as_secs_f64() * 1e3;
            let go = vec![0.01f32; b * t * h];
            let dp = lstm::backward_gates(&fwd, &go, &wh, threads);
            let t2 = s.elapsed().as_secs_f64() * 1e3;
            let saved = Saved {
                tokens: b * t,
                x: &fwd.x,
                hp: &fwd.hp,
                w_x: &wx,
                e,
                h,
                gh: 4 * h,
            };
            let mut g1 = vec![0.0; e * 4 * h];
            let mut g2 = vec![0.0; h * 4 * h];
            let mut g3 = vec![0.0; 4 * h];
            let mut gx = vec![0.0; b * t * e];
            grads::accumulate_w_x(&saved, &dp, &mut g1, threads);
            let t3 = s.elapsed().as_secs_f64() * 1e3;
            grads::accumulate_w_h(&saved, &dp, &mut g2, threads);
            let t4 = s.elapsed().as_secs_f64() * 1e3;
            grads::accumulate_b(&saved, &dp, &mut g3);
            let t5 = s.elapsed().as_secs_f64() * 1e3;
            grads::accumulate_input(&saved, &dp, &mut gx, threads);
            let t6 = s.elapsed().as_secs_f64() * 1e3;
            pool::give(dp);
            eprintln!(
                "threads {threads} fwd {t1:.1} bwd-steps {:.1} dwx {:.1} dwh {:.1} db {:.1} dx {:.1} total {t6:.1}",
                t2 - t1,
                t3 - t2,
                t4 - t3,
                t5 - t4,
                t6 - t5
            );
        }
    }
}
#[cfg(test)]
mod t3 {
    use super::super::gemm::*;
    use super::super::kernel::matmul_rows;
    use std::time::Instant;
    #[test]
    #[ignore]
    fn kernel_vs_gemm() {
        for &(m, k, n) in &[
            (32usize, 128usize, 512usize),
            (32, 512, 128),
            (64, 128, 512),
            (1024, 128, 512),
        ] {
            let a = vec![0.5f32; m * k];
            let b = vec![0.25f32; k * n];
            let mut c = vec![0.0f32; m * n];
            let mut best_g = f64::MAX;
            let mut best_k = f64::MAX;
            for _ in 0..20 {
                let s = Instant::now();
                for _ in 0..50 {
                    unsafe {
                        matmul(
                            MatMut::rows_of(&mut c, 0, m, n),
                            MatRef::rows_of(&a, 0, m, k),
                            MatRef::rows_of(&b, 0, k, n),
                            false,
                            1,
                        )
                    };
                }
                best_g = best_g.min(s.elapsed().as_secs_f64() / 50.0);
                let s = Instant::now();
                for _ in 0..50 {
                    matmul_rows(&mut c, &a, &b, m, k, n);
                }
                best_k = best_k.min(s.elapsed().as_secs_f64() / 50.0);
            }
            let fl = 2.0 * (m * k * n) as f64 / 1e9;
            eprintln!(
                "{m}x{k}x{n}: gemm {:.1} us ({:.1} GF/s)  kernel {:.1} us ({:.1} GF/s)",
                best_g * 1e6,
                fl / best_g,
                best_k * 1e6,
                fl / best_k
            );
        }
    }
}
