/** Node-only pictures: PNG rendering (resvg) and atomic writes of SVG or PNG files chosen by extension. */
export { svgToPng, type PngOptions } from './png.js';
export { heatmapPng, attentionGridPng, curvesPng, highlightTokensPng } from './pictures-png.js';
export { writeHeatmap, writeAttentionGrid, writeCurves, writeHighlight } from './write-picture.js';
