/**
 * Training progress for people. On a terminal (a stream with `isTTY`), one line rewritten in place
 * (`\r` … erase-to-end-of-line) with a bar, the step, loss, learning rate, tokens/s and ETA, at most every
 * `refreshMs`; evaluation results and other messages are printed above it. On anything else (a file, a CI log),
 * a plain line every `every` steps, so the log stays readable and greppable. The stream is injected, so any
 * object with `write` works (tests pass fakes; in Node, `process.stderr`).
 */

/** Where progress goes: `process.stdout`/`process.stderr` in Node, or any object with `write`. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** True on a terminal: one updating line instead of log lines. */
  isTTY?: boolean;
  /** Terminal width; lines are cut to fit (default 80). */
  columns?: number;
}

export interface ProgressOptions {
  /** Plain streams: a line every this many steps (default 10). */
  every?: number;
  /** Terminals: redraw at most this often, in milliseconds (default 100; 0 redraws every step). */
  refreshMs?: number;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** What one progress update shows. */
export interface ProgressUpdate {
  step: number;
  /** The step the run ends at, when a step bound (or epochs) ends it (for the bar and the step count). */
  totalSteps?: number;
  /**
   * The part of the run done, in [0, 1], when something other than the step count measures it (a time budget:
   * elapsed / budget); otherwise the bar shows step / totalSteps.
   */
  fraction?: number;
  /** 0-based epoch under way. */
  epoch: number;
  /** Number of epochs, when the run is bounded by epochs. */
  epochs?: number;
  /** Mean loss of the recent steps. */
  loss: number;
  lr: number;
  tokensPerSecond: number;
  /** Seconds left, when known. */
  etaSeconds?: number;
}

const BAR_WIDTH = 20;

export class ProgressReporter {
  private readonly tty: boolean;
  private readonly every: number;
  private readonly refreshMs: number;
  private readonly now: () => number;
  /** Whether the updating line is on screen (and must be cleared before printing a message). */
  private lineShown = false;
  private lastDraw = -Infinity;
  private last: ProgressUpdate | null = null;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressOptions = {},
  ) {
    this.tty = stream.isTTY === true;
    this.every = options.every ?? 10;
    this.refreshMs = options.refreshMs ?? 100;
    this.now = options.now ?? (() => performance.now());
  }

  /** Reports the state after a step. */
  update(u: ProgressUpdate): void {
    this.last = u;
    if (this.tty) {
      const t = this.now();
      if (t - this.lastDraw >= this.refreshMs || u.step === u.totalSteps) this.draw(u, t);
    } else if (u.step % this.every === 0) {
      this.stream.write(`${plainLine(u)}\n`);
    }
  }

  /** Prints a line of its own (evaluation results, checkpoints), above the progress line on a terminal. */
  message(line: string): void {
    if (this.tty && this.lineShown) {
      this.stream.write(`\r\x1b[K${line}\n`);
      this.lineShown = false;
      if (this.last) this.draw(this.last, this.now());
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the display: the last progress line is left on screen, followed by `summary`. */
  finish(summary: string): void {
    if (this.tty) {
      if (this.last) this.draw(this.last, this.now());
      if (this.lineShown) this.stream.write('\n');
      this.lineShown = false;
    }
    this.stream.write(`${summary}\n`);
  }

  private draw(u: ProgressUpdate, t: number): void {
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    this.stream.write(`\r${ttyLine(u).slice(0, width)}\x1b[K`);
    this.lineShown = true;
    this.lastDraw = t;
  }
}

function epochText(u: ProgressUpdate): string {
  return u.epochs !== undefined ? `epoch ${u.epoch + 1}/${u.epochs}` : `epoch ${u.epoch + 1}`;
}

function stepText(u: ProgressUpdate): string {
  return u.totalSteps !== undefined ? `step ${u.step}/${u.totalSteps}` : `step ${u.step}`;
}

function statsText(u: ProgressUpdate): string {
  const eta = u.etaSeconds !== undefined ? ` ETA ${formatDuration(u.etaSeconds)}` : '';
  return `loss ${formatLoss(u.loss)} lr ${u.lr.toExponential(2)} ${formatRate(u.tokensPerSecond)} tok/s${eta}`;
}

/** `epoch 2/5 [========>           ] 45% step 90/200 loss 1.2345 lr 1.00e-3 1.2k tok/s ETA 0:42` */
export function ttyLine(u: ProgressUpdate): string {
  let bar = '';
  const part =
    u.fraction ?? (u.totalSteps !== undefined && u.totalSteps > 0 ? u.step / u.totalSteps : undefined);
  if (part !== undefined) {
    const fraction = Math.min(1, Math.max(0, part));
    const filled = Math.floor(fraction * BAR_WIDTH);
    const head = filled < BAR_WIDTH ? '>' : '';
    const body = '='.repeat(filled) + head;
    bar = ` [${body.padEnd(BAR_WIDTH)}] ${Math.floor(fraction * 100)
      .toString()
      .padStart(3)}%`;
  }
  return `${epochText(u)}${bar} ${stepText(u)} ${statsText(u)}`;
}

/** `epoch 2/5 step 90/200 loss 1.2345 lr 1.00e-3 1.2k tok/s ETA 0:42` */
export function plainLine(u: ProgressUpdate): string {
  return `${epochText(u)} ${stepText(u)} ${statsText(u)}`;
}

function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : String(loss);
}

/** 950 → '950', 12345 → '12.3k', 2.5e6 → '2.50M'. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return '-';
  if (rate < 1000) return rate.toFixed(rate < 10 ? 1 : 0);
  if (rate < 1e6) return `${(rate / 1000).toFixed(rate < 1e4 ? 2 : 1)}k`;
  return `${(rate / 1e6).toFixed(2)}M`;
}

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = (s % 60).toString().padStart(2, '0');
  return h > 0 ? `${h}:${m.toString().padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
