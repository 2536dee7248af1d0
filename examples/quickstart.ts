// Quickstart: a tiny softmax classifier trained by hand with autograd, then scaled dot-product attention.
// Run with: npx tsx examples/quickstart.ts (or import `run` as the test does).
import {
  crossEntropy,
  Generator,
  matmul,
  noGrad,
  randn,
  scaledDotProductAttention,
  sub,
  mul,
  tensor,
  type Tensor,
} from '../src/index.js';

export function run(log: (line: string) => void = console.log): { firstLoss: number; lastLoss: number } {
  const generator = new Generator(42);
  // Four points, four classes.
  const x = tensor([
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ]);
  const y = tensor([0, 1, 2, 3], { dtype: 'int32' });
  let w: Tensor = randn([2, 4], { generator }).requireGrad();
  let firstLoss = NaN;
  let lastLoss = NaN;
  for (let step = 0; step < 100; step++) {
    const loss = crossEntropy(matmul(x, w), y);
    loss.backward();
    if (step === 0) firstLoss = loss.item();
    lastLoss = loss.item();
    // Plain gradient descent: w ← w - 0.5·∂L/∂w, outside the graph.
    w = noGrad(() => sub(w, mul(w.grad!, 0.5))).requireGrad();
  }
  log(`cross-entropy: ${firstLoss.toFixed(4)} → ${lastLoss.toFixed(4)}`);

  const q = randn([1, 2, 4, 8], { generator });
  const k = randn([1, 2, 6, 8], { generator });
  const v = randn([1, 2, 6, 8], { generator });
  const { output, weights } = scaledDotProductAttention(q, k, v, { causal: true });
  log(`attention output ${JSON.stringify(output.shape)}, weights ${JSON.stringify(weights.shape)}`);
  return { firstLoss, lastLoss };
}

if (import.meta.url === `file://${process.argv[1]}`) run();
