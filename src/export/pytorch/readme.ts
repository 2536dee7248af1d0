/** The README.md of a PyTorch export: what each file is and the commands that run, train and load it back. */
import type { ModelCheckpointConfig } from '../../inference/model-config.js';

export function exportReadme(config: ModelCheckpointConfig): string {
  const translate = config.task === 'translate';
  const example = translate ? 'a sentence to translate' : 'a text to classify';
  const tsv = translate ? 'source<TAB>target' : 'text<TAB>label';
  const use = translate
    ? 'print(greedy_translate(model, ["a sentence"]))'
    : 'print(classify(model, ["a text"]))  # [(label, probability)]';
  const helper = translate ? 'greedy_translate' : 'classify';
  const call = translate ? "predictor.translateBatch(['a sentence'])" : "predictor.classifyBatch(['a text'])";
  return `# ${config.architecture} exported from attn for PyTorch

| file | what it is |
| --- | --- |
| model.py | the model as torch modules with attn's parameter names; a safetensors reader and writer; attn's word and char tokenizers; \`load_model\`, \`${helper}\` |
| weights.safetensors | the weights (float32, attn's state-dict names) |
| config.json | attn's model configuration (architecture, every hyper-parameter${translate ? ', sourceEos, maxDecodeLength' : ', labels'}) |
| tokenizers.json | attn's tokenizers |
| train_ddp.py | continues training with DistributedDataParallel under torchrun |

Only torch is needed (\`pip install torch\`, or Debian's python3-torch).

## Run it

\`\`\`sh
python3 model.py "${example}"
\`\`\`

\`\`\`python
from model import load_model, ${helper}
model = load_model(".")      # eval mode; model(${translate ? 'src, src_lengths, tgt_in' : 'ids, lengths'}) gives the logits
${use}
\`\`\`

## Continue training (DistributedDataParallel)

The data is a TSV as attn reads it (\`${tsv}\`). Each process takes every N-th batch; gradients are averaged.

\`\`\`sh
torchrun --nproc_per_node 4 train_ddp.py --data train.tsv --out next --epochs 2 --batch-size 32 --lr 5e-4
# two machines, four processes each (run on both, --node_rank 0 and 1):
torchrun --nnodes 2 --node_rank 0 --master_addr HOST0 --master_port 29500 --nproc_per_node 4 \\
  train_ddp.py --data train.tsv --out next
\`\`\`

With Debian's torch 1.13 under Python 3.11, add \`--redirects 2 --tee 2\` to torchrun: its defaults do not parse
there. Without torchrun, \`python3 train_ddp.py ...\` trains in one process.

\`next/\` then holds the same files with the trained weights (and training.json): \`load_model("next")\` in Python.

## Back into attn

\`\`\`ts
import { readFile } from 'node:fs/promises';
import { predictorFromCheckpoint } from 'attn';
import { readSafetensorsFile } from 'attn/node';

const { tensors } = await readSafetensorsFile('next/weights.safetensors');
const predictor = predictorFromCheckpoint({
  weights: tensors,
  config: JSON.parse(await readFile('next/config.json', 'utf8')),
  tokenizers: JSON.parse(await readFile('next/tokenizers.json', 'utf8')),
  source: 'next',
});
console.log(${call});
\`\`\`
`;
}
