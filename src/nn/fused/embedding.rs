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

/// `grad[ids[i]] += rows[i]` (serial: repeated ids would race).
pub(crate) fn scatter_add(grad: &mut [f32], ids: &[usize], rows: &[f32], dim: usize) {
    for (&id, row) in ids.iter().zip(rows.chunks_exact(dim)) {
        for (g, v) in grad[id * dim..(id + 1) * dim].iter_mut().zip(row) {
            *g += v;
        }
    }
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
