//! One dfdx op around a [`Cell`]'s recurrence: shape checks, the tape, and the backward that
//! turns `dP` into the gradients of the input and the three parameters.

use dfdx::prelude::*;

use super::bptt::{self, Cell, SequenceDims, threads};
use super::grads::{self, Saved};
use super::isa::Isa;
use super::pool::{self, split_input};
use crate::nn::params::host_values;

/// A rank-3 / rank-2 / rank-1 `f32` CPU tensor.
type T3<T = NoneTape> = Tensor<(usize, usize, usize), f32, Cpu, T>;
type T2 = Tensor<(usize, usize), f32, Cpu>;
type T1 = Tensor<(usize,), f32, Cpu>;

/// The recurrent layer's parameters, `w_x` `(E, G·H)`, `w_h` `(H, G·H)`, `b` `(G·H,)`.
pub(crate) struct Params<'a> {
    pub w_x: &'a T2,
    pub w_h: &'a T2,
    pub b: &'a T1,
}

/// Runs `cell`'s recurrence over `x` `(B, T, E)` → `(B, T, H)`; the tape rides on `x` and the
/// untaped parameters get their gradients accumulated into it. `width_name` names the column
/// count in the shape-check messages ("H" or "G·H").
pub(crate) fn sequence_op<C: Cell + Send + 'static, T: Tape<f32, Cpu>>(
    cell: C,
    width_name: &str,
    x: T3<T>,
    params: Params<'_>,
    lengths: &[usize],
    reverse: bool,
) -> T3<T> {
    let Params { w_x, w_h, b } = params;
    let (batch, seq_len, embed) = *x.shape();
    let (hidden, width) = (cell.hidden(), cell.width());
    assert_eq!(
        *w_x.shape(),
        (embed, width),
        "w_x must be (E, {width_name}) = ({embed}, {width})"
    );
    assert_eq!(
        *w_h.shape(),
        (hidden, width),
        "w_h must be (H, {width_name}) = ({hidden}, {width})"
    );
    assert_eq!(b.shape().0, width, "b must be ({width_name},) = ({width},)");
    let threads = threads();
    let dims = SequenceDims {
        batch,
        seq_len,
        embed,
        threads,
        isa: Isa::current(),
    };
    let mut input = split_input(x);
    let (wx, wh) = (host_values(w_x), host_values(w_h));
    let mut fwd = bptt::forward(
        &cell,
        dims,
        input.values,
        [&wx, &wh, &host_values(b)],
        lengths,
        reverse,
    );
    let out = input
        .dev
        .tensor_from_vec(std::mem::take(&mut fwd.out), (batch, seq_len, hidden));
    if T::OWNS_TAPE {
        let (xg, wxg, whg, bg) = (input.untaped.ghost(), w_x.ghost(), w_h.ghost(), b.ghost());
        let og = out.ghost();
        input.tape.add_backward_op(move |grads| {
            let (dp, db) =
                bptt::backward_gates(&cell, &fwd, grads.get_or_alloc_mut(&og)?, &wh, threads);
            let saved = Saved {
                tokens: batch * seq_len,
                x: &fwd.x,
                hp: &fwd.hp,
                w_x: &wx,
                e: embed,
                h: hidden,
                gh: width,
                isa: fwd.isa,
            };
            let (dwx, dwh) =
                grads::backward_products(&saved, &dp, grads.get_or_alloc_mut(&xg)?, threads);
            pool::give(dp);
            grads::add_into(grads.get_or_alloc_mut(&wxg)?, dwx);
            grads::add_into(grads.get_or_alloc_mut(&whg)?, dwh);
            grads::add_into(grads.get_or_alloc_mut(&bg)?, db);
            Ok(())
        });
    }
    out.put_tape(input.tape)
}
