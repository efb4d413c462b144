// Human output: aligned tables, relative times, sizes, and colour that is on only for a terminal
// (and off whenever NO_COLOR is set, https://no-color.org).
import { stripVTControlCharacters } from 'node:util';

export interface Style {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** Columns padded to their widest cell (colour codes do not count); the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], style?: Style): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => visibleLength(row[i] ?? ''))));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  const head = line(headers);
  return [style ? style.bold(head) : head, ...rows.map(line)].join('\n') + '\n';
}

function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length;
}

/** "just now", "3 min ago", "2 h ago", "5 d ago" (or "in 3 min" for a future time); "-" for none. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const diff = now - Date.parse(iso);
  if (Number.isNaN(diff)) return iso;
  const abs = Math.abs(diff) / 1000;
  let text: string;
  if (abs < 10) return 'just now';
  else if (abs < 60) text = `${Math.round(abs)} s`;
  else if (abs < 3600) text = `${Math.round(abs / 60)} min`;
  else if (abs < 86_400) text = `${Math.round(abs / 3600)} h`;
  else text = `${Math.round(abs / 86_400)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The first characters of a public key: enough to recognise it in a table. */
export function shortKey(key: string): string {
  return key.length > 12 ? `${key.slice(0, 10)}…` : key;
}
