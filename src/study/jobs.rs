//! Runs independent jobs (a model and a seed each) a few at a time.
//!
//! One training run keeps about 1.5 of 2 cores busy: the matmuls and the fused kernels are
//! parallel, the rest of a step (embedding lookups, losses, data) is not. Two runs side by side
//! finish about 1.4× sooner. A job's numbers do not depend on what runs beside it: each job seeds
//! its own device, and the kernels split their work by the size of rayon's pool, not by load.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How many jobs run at once by default: two where there are at least two cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

/// Runs `job(0)`, …, `job(count - 1)` on `workers` threads (at least one) and returns their
/// results in index order. After the first error no new job starts, and the error of the
/// lowest failing index is returned.
pub fn run_jobs<T: Send>(
    workers: usize,
    count: usize,
    job: impl Fn(usize) -> anyhow::Result<T> + Sync,
) -> anyhow::Result<Vec<T>> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<anyhow::Result<T>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let work = || {
        // The flush modes are per thread: every worker sets its own.
        crate::cpu::configure();
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= count {
                break;
            }
            let result = job(index);
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            slots.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
        }
    };
    let workers = workers.clamp(1, count.max(1));
    if workers == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(work);
            }
        });
    }
    let slots = slots.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut results = Vec::with_capacity(count);
    for slot in slots {
        match slot {
            Some(result) => results.push(result?),
            // Only jobs after a failure are skipped, and that failure came first above.
            None => anyhow::bail!("a job was skipped after an earlier job failed"),
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_index_order_whatever_the_worker_count() {
        for workers in [1, 2, 3, 8] {
            let out = run_jobs(workers, 7, |i| Ok(i * 10)).unwrap();
            assert_eq!(out, vec![0, 10, 20, 30, 40, 50, 60]);
        }
    }

    #[test]
    fn the_lowest_failing_job_is_reported() {
        let err = run_jobs(1, 5, |i| {
            if i >= 2 {
                anyhow::bail!("job {i} failed")
            }
            Ok(i)
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "job 2 failed");
    }

    #[test]
    fn every_worker_flushes_subnormals() {
        let flushed = run_jobs(
            2,
            4,
            |_| Ok(crate::cpu::subnormals_flushed_on_this_thread()),
        );
        assert!(flushed.unwrap().into_iter().all(|f| f));
    }

    #[test]
    fn no_jobs_is_an_empty_result() {
        assert!(run_jobs(2, 0, |_| Ok(())).unwrap().is_empty());
    }
}
