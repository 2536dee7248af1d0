/**
 * The web page of `attn serve`: asks the model what it is, then sends the typed text to it and draws the answer
 * with its attention. The model is the server's (its JSON API), or one in this tab: a checkpoint folder the user
 * picks, the date model trained here, or, in a static copy of the page (`attn serve --static`, whose page.json
 * names it), the checkpoint beside the page. Bundled into dist/serve/public/app.js by scripts/build-page.mjs; it
 * loads nothing but that file, style.css, the WebAssembly module beside them and the API.
 */
import type { PredictorInfo, TranslationHypothesis, TranslationResult } from '../../inference/types.js';
import { byId, element, option } from './dom.js';
import { renderHeatmap } from './heatmap.js';
import { renderClassification } from './highlight.js';
import { predictorFromFolder, predictorFromUrl, tabBackend } from './in-tab.js';
import { serverSource, tabSource, type ModelSource } from './sources.js';
import { trainDateModel } from './train-here.js';

/** Hypotheses asked for when beam search runs: enough to compare, few enough to read. */
const MAX_SHOWN_HYPOTHESES = 5;

const form = byId<HTMLFormElement>('query');
const text = byId<HTMLTextAreaElement>('text');
const submit = byId<HTMLButtonElement>('submit');
const status = byId('status');
const errorBox = byId('error');
const beamSize = byId<HTMLSelectElement>('beam-size');
const sample = byId<HTMLInputElement>('sample');
const layerSelect = byId<HTMLSelectElement>('layer');
const headSelect = byId<HTMLSelectElement>('head');

let source: ModelSource | undefined;
let info: PredictorInfo | undefined;
let serverAvailable = false;
let shown: { result: TranslationResult; hypothesis: TranslationHypothesis } | undefined;

function showError(message: string | undefined): void {
  errorBox.hidden = message === undefined;
  errorBox.textContent = message ?? '';
}

/** Makes `next` the model the form asks: describes it and sets up the controls its task has. */
async function useSource(next: ModelSource): Promise<void> {
  const [modelInfo, limits] = await Promise.all([next.info(), next.limits()]);
  source = next;
  info = modelInfo;
  shown = undefined;
  describeModel(modelInfo, next.where);
  text.maxLength = limits.maxChars;
  beamSize.replaceChildren();
  byId('beam-controls').hidden = modelInfo.task !== 'translate';
  byId('sample-controls').hidden = modelInfo.task !== 'translate';
  byId('translation').hidden = true;
  byId('classification').hidden = true;
  if (modelInfo.task === 'translate') {
    for (let k = 1; k <= limits.maxBeamSize; k++)
      beamSize.append(option(String(k), k === 1 ? '1 (greedy)' : String(k)));
    // Sampling draws one translation: the beam size does not apply while it is on.
    sample.onchange = () => {
      byId('sampling').hidden = !sample.checked;
      beamSize.disabled = sample.checked;
    };
    setupLayerHeadSelectors(modelInfo);
  }
  byId('use-server').hidden = !serverAvailable || next === serverSource;
  submit.textContent = modelInfo.task === 'translate' ? 'Translate' : 'Classify';
  submit.disabled = false;
}

/**
 * What page.json says the page is: a server's ({ server: true }, from npm run build), or a static copy
 * (`attn serve --static`), with the URL of its checkpoint when it has one. Undefined: the page of a server.
 */
async function staticPage(): Promise<{ checkpoint?: string } | undefined> {
  const response = await fetch('page.json');
  if (!response.ok) throw new Error(`page.json: HTTP ${response.status}`);
  const page = (await response.json()) as { server?: boolean; checkpoint?: string };
  return page.server === true ? undefined : page;
}

async function start(): Promise<void> {
  try {
    const page = await staticPage();
    if (!page) {
      serverAvailable = true;
      await useSource(serverSource);
      return;
    }
    byId<HTMLDetailsElement>('in-tab').open = true;
    if (page.checkpoint === undefined) {
      byId('model-info').textContent =
        'No model yet: load a checkpoint folder or train the date model below.';
      return;
    }
    byId('model-info').textContent = 'Loading the model into this tab…';
    const base = new URL(page.checkpoint, location.href);
    await useSource(tabSource(await predictorFromUrl(base), 'in this tab'));
  } catch (error) {
    showError(`Could not load the model: ${(error as Error).message}`);
  }
}

function describeModel(model: PredictorInfo, where: string): void {
  const parameters =
    model.parameters >= 1e6
      ? `${(model.parameters / 1e6).toFixed(2)} M`
      : model.parameters.toLocaleString('en');
  const shape =
    model.attentionLayers > 1 || model.attentionHeads > 1
      ? ` · attention: ${model.attentionLayers} layer${model.attentionLayers > 1 ? 's' : ''} × ${model.attentionHeads} head${model.attentionHeads > 1 ? 's' : ''}`
      : '';
  byId('model-info').textContent =
    `${model.task} · ${model.architecture} · ${parameters} parameters${shape} · ${where}`;
  byId('text-label').textContent = model.task === 'translate' ? 'Sentence to translate' : 'Text to classify';
}

function setupLayerHeadSelectors(model: PredictorInfo): void {
  layerSelect.replaceChildren();
  headSelect.replaceChildren();
  for (let l = 0; l < model.attentionLayers; l++) layerSelect.append(option(String(l), `${l + 1}`));
  layerSelect.value = String(model.attentionLayers - 1); // the last layer: closest to the output
  byId('layer-controls').hidden = model.attentionLayers <= 1;
  if (model.attentionHeads > 1) headSelect.append(option('mean', 'mean of heads'));
  for (let h = 0; h < model.attentionHeads; h++) headSelect.append(option(String(h), `${h + 1}`));
  byId('head-controls').hidden = model.attentionHeads <= 1;
  layerSelect.onchange = drawHeatmap;
  headSelect.onchange = drawHeatmap;
}

/** The matrix [output][source] of the selected layer and head (or the mean of the layer's heads). */
function selectedMatrix(hypothesis: TranslationHypothesis): number[][] {
  const layers = hypothesis.attention.layers;
  const layer = layers[Math.min(Number(layerSelect.value) || 0, layers.length - 1)] ?? [];
  if (headSelect.value !== 'mean') return layer[Number(headSelect.value) || 0] ?? [];
  const heads = layer.length;
  return (layer[0] ?? []).map((row, t) =>
    row.map((_, s) => layer.reduce((sum, head) => sum + (head[t]?.[s] ?? 0), 0) / heads),
  );
}

function drawHeatmap(): void {
  if (!shown) return;
  const { result, hypothesis } = shown;
  const weights = selectedMatrix(hypothesis);
  // The last row is the step that produced <eos> when the hypothesis ended there.
  const rows =
    weights.length > hypothesis.tokens.length ? [...hypothesis.tokens, '<eos>'] : hypothesis.tokens;
  renderHeatmap(byId('heatmap'), byId('legend'), byId('readout'), {
    rows,
    cols: result.sourceTokens,
    weights,
  });
}

function showTranslation(result: TranslationResult): void {
  const list = byId('hypotheses');
  list.replaceChildren(
    ...result.hypotheses.map((hypothesis, i) => {
      const item = element('li');
      const label = element('label');
      if (result.hypotheses.length > 1) {
        const radio = element('input');
        radio.type = 'radio';
        radio.name = 'hypothesis';
        radio.checked = i === 0;
        radio.onchange = () => {
          shown = { result, hypothesis };
          drawHeatmap();
        };
        label.append(radio, ' ');
      }
      label.append(
        element('span', 'translation-text', hypothesis.text || '(empty)'),
        element(
          'span',
          'score',
          `log p ${hypothesis.logProb.toFixed(3)} · score ${hypothesis.score.toFixed(3)}`,
        ),
      );
      item.append(label);
      return item;
    }),
  );
  byId('translation').hidden = false;
  byId('classification').hidden = true;
  shown = { result, hypothesis: result.hypotheses[0]! };
  drawHeatmap();
}

/** The sampling fields filled in (an empty one is left to the server's default; no seed: a new draw each time). */
function samplingSettings(): { temperature?: number; topK?: number; topP?: number; seed?: number } {
  const read = (id: string): number | undefined => {
    const value = byId<HTMLInputElement>(id).value.trim();
    return value === '' ? undefined : Number(value);
  };
  const settings = {
    temperature: read('temperature'),
    topK: read('top-k'),
    topP: read('top-p'),
    seed: read('seed'),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
}

form.onsubmit = async (event) => {
  event.preventDefault();
  if (!info || !source || !text.value.trim()) return;
  submit.disabled = true;
  status.textContent = info.task === 'translate' ? 'Translating…' : 'Classifying…';
  showError(undefined);
  try {
    if (info.task === 'translate') {
      const k = Number(beamSize.value) || 1;
      showTranslation(
        await source.translate(
          sample.checked
            ? { text: text.value, sample: true, ...samplingSettings() }
            : { text: text.value, beamSize: k, nBest: Math.min(k, MAX_SHOWN_HYPOTHESES) },
        ),
      );
    } else {
      renderClassification(
        {
          label: byId('label'),
          probabilities: byId('probabilities'),
          tokens: byId('tokens'),
          readout: byId('token-readout'),
        },
        await source.classify(text.value),
      );
      byId('classification').hidden = false;
      byId('translation').hidden = true;
    }
    status.textContent = '';
  } catch (error) {
    status.textContent = '';
    showError((error as Error).message);
  } finally {
    submit.disabled = false;
  }
};

// Enter sends; Shift+Enter adds a line.
text.onkeydown = (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
};

// The model in this tab.

const trainButton = byId<HTMLButtonElement>('train-here');
const stopButton = byId<HTMLButtonElement>('stop-training');
const folder = byId<HTMLInputElement>('folder');
const trainStatus = byId('train-status');
const progress = byId<HTMLProgressElement>('train-progress');

byId<HTMLDetailsElement>('in-tab').ontoggle = async () => {
  const backend = await tabBackend();
  byId('tab-backend').textContent =
    `Backend: ${backend.name}, ${backend.simd}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}.`;
};

folder.onchange = async () => {
  const files = Array.from(folder.files ?? []);
  if (files.length === 0) return;
  showError(undefined);
  status.textContent = 'Loading the checkpoint into this tab…';
  try {
    const { predictor, where } = await predictorFromFolder(files);
    await useSource(tabSource(predictor, `${where}, in this tab`));
    status.textContent = '';
  } catch (error) {
    status.textContent = '';
    showError(`Could not load the checkpoint: ${(error as Error).message}`);
  }
};

byId('use-server').onclick = () => void useSource(serverSource).catch((e: Error) => showError(e.message));

trainButton.onclick = async () => {
  const stop = new AbortController();
  trainButton.disabled = true;
  stopButton.hidden = false;
  stopButton.onclick = () => stop.abort();
  byId('training').hidden = false;
  trainStatus.textContent = 'Loading the backend…';
  showError(undefined);
  try {
    const result = await trainDateModel({
      signal: stop.signal,
      onStep: (step, steps, loss) => {
        progress.max = steps;
        progress.value = step;
        trainStatus.textContent = `step ${step} of at most ${steps} · loss ${loss.toFixed(3)}`;
      },
      onPreview: (step, answer) => {
        const best = answer.hypotheses[0]!;
        const weights = best.attention.layers[0]?.[0] ?? [];
        const rows = weights.length > best.tokens.length ? [...best.tokens, '<eos>'] : best.tokens;
        byId('train-preview').textContent =
          `after ${step} steps: "${answer.sourceTokens.join('')}" → ${best.text}`;
        renderHeatmap(byId('train-heatmap'), byId('train-legend'), byId('train-readout'), {
          rows,
          cols: answer.sourceTokens,
          weights,
        });
      },
    });
    const percent = (100 * result.heldOutExactMatch).toFixed(1);
    progress.value = progress.max;
    trainStatus.textContent =
      `trained: ${result.steps} steps in ${result.seconds.toFixed(0)} s; held-out exact match ${percent}% ` +
      `(${Math.round(result.heldOutExactMatch * result.heldOut)} of ${result.heldOut} dates not seen in training)`;
    byId('training').dataset.exactMatch = String(result.heldOutExactMatch);
    await useSource(tabSource(result.predictor, 'the date model trained in this tab'));
  } catch (error) {
    trainStatus.textContent = '';
    showError(`Training stopped: ${(error as Error).message}`);
  } finally {
    trainButton.disabled = false;
    stopButton.hidden = true;
  }
};

void start();
