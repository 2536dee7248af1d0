/**
 * The web page of `attn serve`: asks the server what model it runs, then sends the typed text to
 * /api/translate or /api/classify and draws the answer with its attention. Bundled into dist/serve/public/app.js
 * by scripts/build-page.mjs; it loads nothing but that file, style.css and the API.
 */
import type { PredictorInfo, TranslationHypothesis, TranslationResult } from '../../inference/types.js';
import * as api from './api.js';
import { byId, element, option } from './dom.js';
import { renderHeatmap } from './heatmap.js';
import { renderClassification } from './highlight.js';

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

let info: PredictorInfo | undefined;
let shown: { result: TranslationResult; hypothesis: TranslationHypothesis } | undefined;

function showError(message: string | undefined): void {
  errorBox.hidden = message === undefined;
  errorBox.textContent = message ?? '';
}

async function start(): Promise<void> {
  try {
    const [modelInfo, limits] = await Promise.all([api.getInfo(), api.getLimits()]);
    info = modelInfo;
    describeModel(modelInfo);
    text.maxLength = limits.maxChars;
    if (modelInfo.task === 'translate') {
      for (let k = 1; k <= limits.maxBeamSize; k++)
        beamSize.append(option(String(k), k === 1 ? '1 (greedy)' : String(k)));
      byId('beam-controls').hidden = false;
      byId('sample-controls').hidden = false;
      // Sampling draws one translation: the beam size does not apply while it is on.
      sample.onchange = () => {
        byId('sampling').hidden = !sample.checked;
        beamSize.disabled = sample.checked;
      };
      setupLayerHeadSelectors(modelInfo);
    }
    submit.textContent = modelInfo.task === 'translate' ? 'Translate' : 'Classify';
    submit.disabled = false;
  } catch (error) {
    showError(`Could not reach the model: ${(error as Error).message}`);
  }
}

function describeModel(model: PredictorInfo): void {
  const parameters =
    model.parameters >= 1e6
      ? `${(model.parameters / 1e6).toFixed(2)} M`
      : model.parameters.toLocaleString('en');
  const shape =
    model.attentionLayers > 1 || model.attentionHeads > 1
      ? ` · attention: ${model.attentionLayers} layer${model.attentionLayers > 1 ? 's' : ''} × ${model.attentionHeads} head${model.attentionHeads > 1 ? 's' : ''}`
      : '';
  byId('model-info').textContent = `${model.task} · ${model.architecture} · ${parameters} parameters${shape}`;
  byId('text-label').textContent = model.task === 'translate' ? 'Sentence to translate' : 'Text to classify';
}

function setupLayerHeadSelectors(model: PredictorInfo): void {
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
  if (!info || !text.value.trim()) return;
  submit.disabled = true;
  status.textContent = info.task === 'translate' ? 'Translating…' : 'Classifying…';
  showError(undefined);
  try {
    if (info.task === 'translate') {
      const k = Number(beamSize.value) || 1;
      showTranslation(
        await api.translate(
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
        await api.classify(text.value),
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

void start();
