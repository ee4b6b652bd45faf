//! Row gather / scatter-add for the embedding lookup.

use rayon::prelude::*;

/// `out[i] = table[ids[i]]` for rows of `dim` floats.
pub(crate) fn gather(table: &[f32], ids: &[usize], dim: usize) -> Vec<f32> {
    let mut out = vec![0.0_f32; ids.len() * dim];
    out.par_chunks_mut(dim * 256)
        .enumerate()
        .for_each(|(chunk, rows)| {
            for (r, row) in rows.chunks_exact_mut(dim).enumerate() {
                let id = ids[chunk * 256 + r];
                row.copy_from_slice(&table[id * dim..(id + 1) * dim]);
            }
        });
    out
}

/// `grad[ids[i]] += rows[i]`. Repeated ids would race if tokens were split between threads,
/// so threads own column blocks of the table instead: every thread walks all tokens, and each
/// entry still sums its tokens in order (the same result for any thread count).
pub(crate) fn scatter_add(grad: &mut [f32], ids: &[usize], rows: &[f32], dim: usize) {
    assert_eq!(rows.len(), ids.len() * dim, "one row per id");
    assert!(
        ids.iter().all(|&id| (id + 1) * dim <= grad.len()),
        "id outside the table"
    );
    let threads = rayon::current_num_threads().max(1);
    let block = dim.div_ceil(threads).max(1);
    let starts: Vec<usize> = (0..dim).step_by(block).collect();
    let grad = super::gemm::SharedMut(grad.as_mut_ptr());
    starts.into_par_iter().for_each(|start| {
        let width = block.min(dim - start);
        for (i, &id) in ids.iter().enumerate() {
            // SAFETY: in bounds (asserted above); each thread writes only columns
            // `start..start + width` of every row, so no entry is written by two threads.
            let g = unsafe { grad.slice(id * dim + start, width) };
            let row = &rows[i * dim + start..i * dim + start + width];
            for (g, v) in g.iter_mut().zip(row) {
                *g += v;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_then_scatter_add_counts_repeated_ids() {
        let table: Vec<f32> = (0..8).map(|v| v as f32).collect(); // 4 rows of 2
        let ids = [3, 0, 3];
        assert_eq!(gather(&table, &ids, 2), vec![6.0, 7.0, 0.0, 1.0, 6.0, 7.0]);
        let mut grad = vec![0.0; 8];
        scatter_add(&mut grad, &ids, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2);
        assert_eq!(grad, vec![3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 6.0, 8.0]);
    }
}
