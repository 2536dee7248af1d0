/* global document */
import * as attn from 'attn/browser';

await attn.initWasm(); // the WebAssembly backend beside the bundle (the JS reference if it fails)
const { pairs, sourceTokenizer: source, targetTokenizer: target } = attn.dateTask({ count: 4000, seed: 0 });
const train = pairs.map((p) => ({ source: source.encode(p.source), target: target.encode(p.target) }));
const sizes = { srcVocabSize: source.vocabulary.size, tgtVocabSize: target.vocabulary.size };
const model = { embeddingDim: 16, hiddenSize: 32, dropout: 0 };
const architecture = 'gru-bahdanau'; // a GRU encoder and a decoder with Bahdanau (additive) attention
const built = attn.buildModel(architecture, model, sizes, new attn.Generator(0));
const batching = { batchSize: 32, sourceEos: true }; // every source ends with <eos>, as the predictor's will
const task = new attn.TranslationTask({ model: built.model, train, batching });
const optimizer = new attn.Adam(built.model.parameters(), { lr: 0.01 });
await new attn.Trainer({ task, optimizer, maxSteps: 600, evalEveryEpoch: false }).fit();
const config = { format: 'attn-model', version: 1, task: 'translate', architecture, model, sourceEos: true };
const predictor = attn.createPredictor({ model: built, config, tokenizers: { source, target } });
document.querySelector('#out').textContent = predictor.translate('the 3rd of May, 1998').hypotheses[0].text;
