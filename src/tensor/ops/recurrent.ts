/**
 * Fused recurrent cell steps: one op (one kernel forward, one backward) for all the gate arithmetic of a GRU or
 * LSTM step, instead of a dozen elementwise ops each with its own node and buffers. The matrix products stay
 * outside (the caller computes xg = x·W_ihᵀ + b and hg = h·W_hhᵀ), so the gradients of the weights flow through
 * matmul as usual. Gate pre-activations are gate-major [G, B, H], as src/nn/recurrent-step.ts lays them out.
 */
import { fail } from '../errors.js';
import { formatShape, shapesEqual } from '../shape.js';
import { uninitialisedFloats } from '../storage.js';
import { Tensor } from '../tensor.js';
import { backend, floatData, newFloat, record } from './common.js';

function checkShapes(
  op: string,
  gates: number,
  xg: Tensor,
  hg: Tensor,
  state: Tensor,
  stateName: string,
): { batch: number; hidden: number } {
  floatData(op, xg, 'xg');
  floatData(op, hg, 'hg');
  floatData(op, state, stateName);
  if (state.ndim !== 2) fail(op, `${stateName} must be [B, H], got ${formatShape(state.shape)}`);
  const [batch, hidden] = state.shape as [number, number];
  const want = [gates, batch, hidden];
  if (!shapesEqual(xg.shape, want)) fail(op, `xg must be ${formatShape(want)}, got ${formatShape(xg.shape)}`);
  if (!shapesEqual(hg.shape, want)) fail(op, `hg must be ${formatShape(want)}, got ${formatShape(hg.shape)}`);
  return { batch, hidden };
}

/**
 * A GRU step (torch.nn.GRUCell's arithmetic, gates r, z, n) from xg = x·W_ihᵀ + b_ih (+ b_hr, b_hz) and
 * hg = h·W_hhᵀ, each [3, B, H], the state h [B, H] and b_hn [H] (or null):
 *   r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r ⊙ (hn + b_hn)),  h' = n + z ⊙ (h − n)  → h' [B, H].
 */
export function gruCell(xg: Tensor, hg: Tensor, h: Tensor, biasHn: Tensor | null = null): Tensor {
  const args = checkShapes('gruCell', 3, xg, hg, h, 'h');
  if (biasHn !== null) {
    floatData('gruCell', biasHn, 'biasHn');
    if (!shapesEqual(biasHn.shape, [args.hidden]))
      fail('gruCell', `biasHn must be [${args.hidden}], got ${formatShape(biasHn.shape)}`);
  }
  const xd = xg.data as Float32Array;
  const hgd = hg.data as Float32Array;
  const hd = h.data as Float32Array;
  const bd = biasHn ? (biasHn.data as Float32Array) : null;
  const { data: out, tensor: y } = newFloat(h.shape);
  // Written whole by the kernel; from the storage pool, as op outputs are (see storage.ts).
  const gates = uninitialisedFloats(3 * args.batch * args.hidden);
  backend().gruCell({ xg: xd, hg: hgd, h: hd, biasHn: bd, ...args, hNew: out, gates });
  const inputs = biasHn ? [xg, hg, h, biasHn] : [xg, hg, h];
  return record('gruCell', y, inputs, (g) => {
    const dx = newFloat(xg.shape);
    const dhg = newFloat(hg.shape);
    const dh = newFloat(h.shape);
    backend().gruCellGrad({
      hg: hgd,
      h: hd,
      biasHn: bd,
      gates,
      dhNew: g.data as Float32Array,
      ...args,
      dxg: dx.data,
      dhg: dhg.data,
      dh: dh.data,
    });
    const grads = [dx.tensor, dhg.tensor, dh.tensor];
    if (biasHn) {
      const n = args.batch * args.hidden;
      const db = newFloat(biasHn.shape);
      backend().reduce({
        op: 'sum',
        x: dhg.data.subarray(2 * n, 3 * n),
        outer: 1,
        n: args.batch,
        inner: args.hidden,
        out: db.data,
      });
      grads.push(db.tensor);
    }
    return grads;
  });
}

/**
 * An LSTM step (torch.nn.LSTMCell's arithmetic, gates i, f, g, o) from xg = x·W_ihᵀ + b_ih + b_hh and
 * hg = h·W_hhᵀ, each [4, B, H], and the cell state c [B, H]:
 *   c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),  h' = σ(o) ⊙ tanh(c')  → [2, B, H] holding h' then c' (take them with unbind).
 */
export function lstmCell(xg: Tensor, hg: Tensor, c: Tensor): Tensor {
  const args = checkShapes('lstmCell', 4, xg, hg, c, 'c');
  const n = args.batch * args.hidden;
  const xd = xg.data as Float32Array;
  const hgd = hg.data as Float32Array;
  const cd = c.data as Float32Array;
  const { data: out, tensor: y } = newFloat([2, args.batch, args.hidden]);
  const gates = uninitialisedFloats(4 * n);
  backend().lstmCell({
    xg: xd,
    hg: hgd,
    c: cd,
    ...args,
    hNew: out.subarray(0, n),
    cNew: out.subarray(n),
    gates,
  });
  return record('lstmCell', y, [xg, hg, c], (g) => {
    const gd = g.data as Float32Array;
    const dPre = newFloat(xg.shape);
    const dc = newFloat(c.shape);
    backend().lstmCellGrad({
      c: cd,
      cNew: out.subarray(n),
      gates,
      dhNew: gd.subarray(0, n),
      dcNew: gd.subarray(n),
      ...args,
      dPre: dPre.data,
      dc: dc.data,
    });
    // xg and hg enter only through their sum, so they share one gradient (the engine never writes into it).
    return [dPre.tensor, dPre.tensor, dc.tensor];
  });
}
