// A hand-written SVG of latency distributions: one row per series, a box from p25 to p75, whiskers
// from p1 to p99, a tick at the median, on a logarithmic millisecond axis.
import { percentile } from "./statistics.ts";

export interface Series {
  readonly label: string;
  readonly samplesMs: readonly number[];
  readonly color: string;
}

const WIDTH = 1100;
const LEFT = 300;
const RIGHT = 250;
const ROW = 34;
const TOP = 40;

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function axisRange(series: readonly Series[]): [number, number] {
  const all = series.flatMap((s) => [percentile(s.samplesMs, 1), percentile(s.samplesMs, 100)]).filter((v) => Number.isFinite(v) && v > 0);
  // Below 0.1 ms is timer noise here (an answer already waiting); such points sit on the axis.
  const low = Math.max(0.1, 10 ** Math.floor(Math.log10(Math.min(...all, 1))));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...all, 10)));
  return [low, high];
}

export function latencyChart(title: string, series: readonly Series[]): string {
  const visible = series.filter((s) => s.samplesMs.length > 0);
  const [low, high] = axisRange(visible);
  const x = (ms: number) => LEFT + ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (WIDTH - LEFT - RIGHT);
  const height = TOP + visible.length * ROW + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let decade = low; decade <= high; decade *= 10) {
    const at = x(decade);
    parts.push(`<line x1="${at}" y1="${TOP - 8}" x2="${at}" y2="${height - 32}" stroke="#ddd"/>`);
    parts.push(`<text x="${at}" y="${height - 18}" text-anchor="middle">${decade >= 1 ? decade.toFixed(0) : decade} ms</text>`);
  }
  visible.forEach((s, i) => {
    const y = TOP + i * ROW + ROW / 2;
    const [p1, p25, p50, p75, p99] = [1, 25, 50, 75, 99].map((p) => percentile(s.samplesMs, p)) as [number, number, number, number, number];
    parts.push(`<text x="${LEFT - 10}" y="${y + 4}" text-anchor="end">${escape(s.label)}</text>`);
    parts.push(`<line x1="${x(p1)}" y1="${y}" x2="${x(p99)}" y2="${y}" stroke="${s.color}" stroke-width="1.5"/>`);
    for (const end of [p1, p99]) parts.push(`<line x1="${x(end)}" y1="${y - 6}" x2="${x(end)}" y2="${y + 6}" stroke="${s.color}" stroke-width="1.5"/>`);
    parts.push(`<rect x="${x(p25)}" y="${y - 9}" width="${Math.max(1, x(p75) - x(p25))}" height="18" fill="${s.color}" fill-opacity="0.35" stroke="${s.color}"/>`);
    parts.push(`<line x1="${x(p50)}" y1="${y - 11}" x2="${x(p50)}" y2="${y + 11}" stroke="black" stroke-width="2"/>`);
    parts.push(`<text x="${x(p99) + 6}" y="${y + 4}" fill="#555">p50 ${p50.toFixed(p50 < 10 ? 2 : 0)} · p99 ${p99.toFixed(p99 < 10 ? 2 : 0)} ms (n=${s.samplesMs.length})</text>`);
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}
