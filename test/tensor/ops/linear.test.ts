// The fused linear op (x·Wᵀ + b, optionally ReLU, applied in place) against matmul, add and relu composed:
// the same bits forward and backward, a finite-difference check, and its errors.
import { describe, expect, it } from 'vitest';
import { add, Generator, linear, matmul, mul, randn, relu, sum, type Tensor } from '../../../src/index.js';
import { gradcheck, randomInput } from '../../helpers/gradcheck.js';

describe('linear', () => {
  for (const activation of [null, 'relu'] as const)
    for (const withBias of [true, false])
      for (const xShape of [[7], [3, 7], [2, 5, 7]])
        it(`equals matmul + add${activation ? ' + relu' : ''} (bias ${withBias}, x ${JSON.stringify(xShape)})`, () => {
          const run = (fused: boolean) => {
            const g = new Generator(3);
            const x = randn(xShape, { generator: g }).requireGrad();
            const w = randn([4, 7], { generator: g }).requireGrad();
            const b = withBias ? randn([4], { generator: g }).requireGrad() : null;
            let y: Tensor;
            if (fused) y = linear(x, w, b, { activation });
            else {
              y = matmul(x, w, { transB: true });
              if (b) y = add(y, b);
              if (activation) y = relu(y);
            }
            sum(mul(y, randn(y.shape, { generator: g }))).backward();
            return [y, x.grad!, w.grad!, ...(b ? [b.grad!] : [])];
          };
          const fused = run(true);
          const composed = run(false);
          expect(fused[0]!.shape).toEqual(composed[0]!.shape);
          fused.forEach((t, i) =>
            expect(Array.from(t.data), `tensor ${i}`).toEqual(Array.from(composed[i]!.data)),
          );
        });

  it('matches central differences, with and without ReLU', () => {
    const inputs = [randomInput([2, 3, 5], 31), randomInput([4, 5], 32), randomInput([4], 33)];
    gradcheck((x, w, b) => linear(x!, w!, b!), inputs);
    // Keep x·Wᵀ + b away from ReLU's kink: the difference step must not cross it.
    const far = [
      randomInput([3, 5], 34),
      randomInput([4, 5], 35),
      randomInput([4], 36, { scale: 3, margin: 1 }),
    ];
    gradcheck((x, w, b) => linear(x!, w!, b!, { activation: 'relu' }), far, { eps: 1e-3 });
  });

  it('gives no gradient to inputs that do not require one', () => {
    const x = randn([3, 5]);
    const w = randn([4, 5]).requireGrad();
    sum(linear(x, w, null, { activation: 'relu' })).backward();
    expect(x.grad).toBeNull();
    expect(w.grad!.shape).toEqual([4, 5]);
  });

  it('names the argument and the shapes in its errors', () => {
    const w = randn([4, 5]);
    expect(() => linear(randn([3, 6]), w)).toThrow(
      /linear: input must be \[\.\.\., 5\] for weight \[4,5\], got \[3,6\]/,
    );
    expect(() => linear(randn([3, 5]), randn([4, 5, 1]))).toThrow(/weight must be \[out, in\]/);
    expect(() => linear(randn([3, 5]), w, randn([5]))).toThrow(/bias must be \[4\]/);
    expect(() => linear(randn([3, 5]), w, null, { activation: 'gelu' as 'relu' })).toThrow(
      /activation must be/,
    );
  });
});
