/**
 * The native Backend: each method forwards its typed arrays to the addon, which reads and writes them in place.
 * Two kinds of call go to the JavaScript reference instead: those whose operands mix dtypes (the reference
 * accepts any DataArray combination, the addon one dtype per call), and kernels the addon does not implement
 * yet (they are inherited from jsBackend, so a kernel added to the interface works here before it is ported).
 */
import type { DataArray } from '../../tensor/dtype.js';
import { jsBackend } from '../js/index.js';
import type { AttentionLayout, Backend } from '../kernels.js';
import type { NativeAddon } from './addon.js';

function sameType(...arrays: DataArray[]): boolean {
  const c = arrays[0]!.constructor;
  return arrays.every((a) => a.constructor === c);
}

/** The addon's flat form of an attention layout: batch, head and row strides of q, k, v and out. */
function layoutStrides(layout: AttentionLayout | undefined): number[] | undefined {
  if (!layout) return undefined;
  return [layout.q, layout.k, layout.v, layout.out].flatMap((s) => [s.batch, s.head, s.row]);
}

export function createNativeBackend(addon: NativeAddon): Backend {
  return {
    ...jsBackend,
    name: 'native',
    unary: (op, x, out) => addon.unary(op, x, out),
    unaryGrad: (op, x, y, dy, dx) => addon.unaryGrad(op, x, y, dy, dx),
    clamp: (x, lo, hi, out) => addon.clamp(x, lo, hi, out),
    binary: (op, a, as, b, bs, out, shape) => addon.binary(op, a, as, b, bs, out, shape),
    compare(op, a, as, b, bs, out, shape) {
      if (sameType(a, b)) addon.compare(op, a, as, b, bs, out, shape);
      else jsBackend.compare(op, a, as, b, bs, out, shape);
    },
    where(cond, cs, a, as, b, bs, out, shape) {
      if (sameType(a, b, out)) addon.where(cond, cs, a, as, b, bs, out, shape);
      else jsBackend.where(cond, cs, a, as, b, bs, out, shape);
    },
    copy(src, so, ss, dst, dof, ds, shape) {
      if (sameType(src, dst)) addon.copy(src, so, ss, dst, dof, ds, shape);
      else jsBackend.copy(src, so, ss, dst, dof, ds, shape);
    },
    copyAdd: (src, so, ss, dst, dof, ds, shape) => addon.copyAdd(src, so, ss, dst, dof, ds, shape),
    reduce: (op, x, outer, n, inner, out) => addon.reduce(op, x, outer, n, inner, out),
    argReduce: (op, x, outer, n, inner, out) => addon.argReduce(op, x, outer, n, inner, out),
    matmul: (a, b, out, { batch, m, n, k, transA, transB, strideA, strideB }) =>
      addon.matmul(a, b, out, batch, m, n, k, transA, transB, strideA, strideB),
    packMatmulB(b, k, n, transB, reuse) {
      const size = addon.packedBFloats(k, n);
      const fits = reuse?.packedBy === 'native' && reuse.packed?.length === size;
      const packed = fits ? reuse.packed! : new Float32Array(size);
      addon.packB(b, k, n, transB, packed);
      return { b, k, n, transB, packedBy: 'native', packed };
    },
    matmulPacked(a, { b, k, n, transB, packedBy, packed }, out, m, transA) {
      // A PackedMatrix that the reference made (its packed copy is a plain transpose) runs as a plain product.
      if (packed && packedBy === 'native') addon.matmulPrepacked(a, b, packed, out, m, n, k, transA, transB);
      else addon.matmul(a, b, out, 1, m, n, k, transA, transB, 0, 0);
    },
    softmax: (x, outer, n, inner, log, out) => addon.softmax(x, outer, n, inner, log, out),
    softmaxGrad: (y, dy, outer, n, inner, log, dx) => addon.softmaxGrad(y, dy, outer, n, inner, log, dx),
    crossEntropy: (logits, targets, { rows, classes, ignoreIndex, labelSmoothing }, loss, logSumExp) =>
      addon.crossEntropy(logits, targets, rows, classes, ignoreIndex, labelSmoothing, loss, logSumExp),
    crossEntropyGrad: (
      logits,
      lse,
      targets,
      { rows, classes, ignoreIndex, labelSmoothing },
      rowGrad,
      dLogits,
    ) =>
      addon.crossEntropyGrad(
        logits,
        lse,
        targets,
        rows,
        classes,
        ignoreIndex,
        labelSmoothing,
        rowGrad,
        dLogits,
      ),
    layerNorm: (x, gamma, beta, rows, n, eps, out, mean, rstd) =>
      addon.layerNorm(x, gamma, beta, rows, n, eps, out, mean, rstd),
    layerNormGrad: (x, gamma, mean, rstd, dy, rows, n, dx, dGamma, dBeta) =>
      addon.layerNormGrad(x, gamma, mean, rstd, dy, rows, n, dx, dGamma, dBeta),
    matmulBiasAct(a, b, out, args, bias, activation) {
      if (args.batch !== 1) throw new Error(`matmulBiasAct: batch must be 1, got ${args.batch}`);
      addon.matmulBiasAct(
        a,
        b,
        out,
        args.m,
        args.n,
        args.k,
        args.transA,
        args.transB,
        bias,
        activation === 'relu',
      );
    },
    linearBiasAct: (y, bias, rows, n, activation) =>
      addon.linearBiasAct(y, bias, rows, n, activation === 'relu'),
    linearActGrad: (y, g, rows, n, activation, dPre, biasGrad) =>
      addon.linearActGrad(y, g, rows, n, activation === 'relu', dPre, biasGrad),
    indexSelect(src, outer, n, inner, index, out) {
      if (sameType(src, out)) addon.indexSelect(src, outer, n, inner, index, out);
      else jsBackend.indexSelect(src, outer, n, inner, index, out);
    },
    indexAdd: (dst, outer, n, inner, index, src) => addon.indexAdd(dst, outer, n, inner, index, src),
    gather(src, outer, n, inner, index, m, out) {
      if (sameType(src, out)) addon.gather(src, outer, n, inner, index, m, out);
      else jsBackend.gather(src, outer, n, inner, index, m, out);
    },
    scatterAdd: (dst, outer, n, inner, index, m, src) =>
      addon.scatterAdd(dst, outer, n, inner, index, m, src),
    attention: (q, k, v, pad, { batch, heads, tq, tk, d, dv, scale, causal, layout }, out, lse, weights) =>
      addon.attention(
        q,
        k,
        v,
        pad,
        batch,
        heads,
        tq,
        tk,
        d,
        dv,
        scale,
        causal,
        out,
        lse,
        weights,
        layoutStrides(layout),
      ),
    attentionGrad: (
      q,
      k,
      v,
      pad,
      { batch, heads, tq, tk, d, dv, scale, causal, layout },
      out,
      lse,
      dOut,
      dq,
      dk,
      dvOut,
      weights,
    ) =>
      addon.attentionGrad(
        q,
        k,
        v,
        pad,
        batch,
        heads,
        tq,
        tk,
        d,
        dv,
        scale,
        causal,
        out,
        lse,
        dOut,
        dq,
        dk,
        dvOut,
        layoutStrides(layout),
        weights ?? null,
      ),
    gruCell: (xg, hg, h, biasHn, { batch, hidden, rows }, hNew, gates) =>
      addon.gruCell(xg, hg, h, biasHn, batch, hidden, hNew, gates, rows ?? false),
    gruCellGrad: (hg, h, biasHn, gates, dhNew, { batch, hidden, rows }, dxg, dhg, dh) =>
      addon.gruCellGrad(hg, h, biasHn, gates, dhNew, batch, hidden, dxg, dhg, dh, rows ?? false),
    lstmCell: (xg, hg, c, { batch, hidden }, hNew, cNew, gates) =>
      addon.lstmCell(xg, hg, c, batch, hidden, hNew, cNew, gates),
    lstmCellGrad: (c, cNew, gates, dhNew, dcNew, { batch, hidden }, dPre, dc) =>
      addon.lstmCellGrad(c, cNew, gates, dhNew, dcNew, batch, hidden, dPre, dc),
    additiveAttention: (keys, query, v, memory, mask, a, weights, context) =>
      addon.additiveAttention(
        keys,
        query,
        v,
        memory,
        mask,
        a.batch,
        a.length,
        a.units,
        a.width,
        a.vBias,
        weights,
        context,
      ),
    additiveAttentionGrad: (keys, query, v, memory, mask, a, weights, dC, dW, dS, dQ, dK, dV, dM) =>
      addon.additiveAttentionGrad(
        keys,
        query,
        v,
        memory,
        mask,
        a.batch,
        a.length,
        a.units,
        a.width,
        a.vBias,
        weights,
        dC,
        dW,
        dS,
        dQ,
        dK,
        dV,
        dM,
      ),
    adam: (p, g, m, v, vMax, a) =>
      addon.adam(
        p,
        g,
        m,
        v,
        vMax,
        a.beta1,
        a.beta2,
        a.stepSize,
        a.biasCorrection2Sqrt,
        a.eps,
        a.l2,
        a.decay,
        a.sign,
      ),
  };
}
