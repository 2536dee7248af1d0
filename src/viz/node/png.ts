/**
 * SVG to PNG for Node.js with resvg (`@resvg/resvg-js`, a Rust SVG renderer shipped as prebuilt binaries in npm
 * packages). Text is set in DejaVu Sans from the `dejavu-fonts-ttf` package, so a PNG looks the same on every
 * machine, fonts installed or not.
 */
import { createRequire } from 'node:module';
import type { Resvg as ResvgClass, ResvgRenderOptions } from '@resvg/resvg-js';
import { fail, numberOption } from '../../tensor/errors.js';

export interface PngOptions {
  /** Pixels per SVG unit (default 2: sharp text on high-density screens and in documents). */
  scale?: number;
  /**
   * Also load the system's fonts (default false). DejaVu covers Latin, Greek, Cyrillic and more; turn this on
   * for scripts it lacks (CJK, for one), at the cost of a scan of the font directories and of output that
   * depends on the machine.
   */
  systemFonts?: boolean;
}

const require = createRequire(import.meta.url);
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf'];

let resvg: { Resvg: typeof ResvgClass } | undefined;
let fontFiles: string[] | undefined;

/** Loads resvg on first use, so importing `attn/node` works where its binary is missing (SVG still does). */
function loadResvg(op: string): { Resvg: typeof ResvgClass } {
  if (!resvg) {
    try {
      resvg = require('@resvg/resvg-js') as { Resvg: typeof ResvgClass };
    } catch (err) {
      fail(
        op,
        `PNG output needs @resvg/resvg-js with a prebuilt binary for ${process.platform}-${process.arch}, ` +
          `which did not load (${(err as Error).message}); SVG output works without it`,
      );
    }
  }
  return resvg;
}

/** Paths of the bundled fonts (an empty list if the font package is missing: resvg then uses system fonts). */
function bundledFonts(): string[] {
  if (!fontFiles) {
    try {
      fontFiles = FONT_FILES.map((file) => require.resolve(`dejavu-fonts-ttf/ttf/${file}`));
    } catch {
      fontFiles = [];
    }
  }
  return fontFiles;
}

/** Renders an SVG document to PNG bytes. */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  const op = 'svgToPng';
  if (typeof svg !== 'string') fail(op, 'svg must be a string');
  const scale = numberOption(op, 'scale', options.scale, 2, { min: 0.1, max: 16 });
  const { Resvg } = loadResvg(op);
  const fonts = bundledFonts();
  const renderOptions: ResvgRenderOptions = {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles: fonts,
      loadSystemFonts: (options.systemFonts ?? false) || fonts.length === 0,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
    logLevel: 'off',
  };
  let png: Buffer;
  try {
    png = new Resvg(svg, renderOptions).render().asPng();
  } catch (err) {
    fail(op, `resvg could not render the SVG: ${(err as Error).message}`);
  }
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
