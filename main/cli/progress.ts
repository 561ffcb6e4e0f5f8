/** A one-line progress bar on stderr, redrawn in place when stderr is a terminal. */
export function progressBar(label: string): (done: number, total: number, detail?: string) => void {
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  return (done, total, detail = '') => {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    if (!tty && pct === lastPct) return;
    lastPct = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)} ${detail}`;
    process.stderr.write(tty ? `\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}` : `${line}\n`);
    if (tty && done >= total) process.stderr.write('\n');
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
