/** Timing, percentiles and the small tables every benchmark prints. */

export interface Row {
  readonly case: string;
  readonly measured: string;
  readonly baseline: string;
  readonly ratio: string;
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = now();
  const value = await fn();
  return { value, ms: now() - started };
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const ms = (value: number): string =>
  value >= 100 ? `${Math.round(value).toLocaleString('en-US')} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
export const count = (value: number): string => Math.round(value).toLocaleString('en-US');

/** measured ÷ baseline, e.g. "0.27× (3.7× faster)" for times, where lower is better. */
export function timeRatio(measured: number, baseline: number): string {
  const ratio = measured / baseline;
  if (!Number.isFinite(ratio)) return 'n/a';
  const speed = baseline / measured;
  if (Math.abs(ratio - 1) < 0.1) return `${ratio.toFixed(2)}× (about the same)`;
  return `${ratio.toFixed(2)}× (${speed >= 1 ? `${speed.toFixed(1)}× faster` : `${(1 / speed).toFixed(1)}× slower`})`;
}

/** measured ÷ baseline for throughputs, where higher is better. */
export function rateRatio(measured: number, baseline: number): string {
  const ratio = measured / baseline;
  return Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'n/a';
}

export function printTable(title: string, rows: readonly Row[], headers: Row, notes: readonly string[] = []): void {
  const columns: (keyof Row)[] = ['case', 'measured', 'baseline', 'ratio'];
  const widths = columns.map((c) => Math.max(headers[c].length, ...rows.map((r) => r[c].length)));
  const line = (r: Row): string => columns.map((c, i) => r[c].padEnd(widths[i] ?? 0)).join(' | ');
  const out = [`\n${title}`, line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line), ...notes.map((n) => `  ${n}`)];
  console.log(out.join('\n'));
}
