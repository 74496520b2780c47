// Shared by the benchmarks: timing a command, medians, and the side-by-side line.
import { spawnSync } from 'node:child_process';

export function time(file, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return ms;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function report(label, ours, baseline, baselineName, target) {
  const ratio = median(ours) / median(baseline);
  const verdict = target === undefined ? '' : ratio <= target ? `  (target <= ${target}: met)` : `  (target <= ${target}: NOT met)`;
  console.log(
    `${label.padEnd(28)} ours ${median(ours).toFixed(0).padStart(6)} ms   ${baselineName} ${median(baseline).toFixed(0).padStart(6)} ms   ratio ${ratio.toFixed(2)}${verdict}`,
  );
  return ratio;
}
