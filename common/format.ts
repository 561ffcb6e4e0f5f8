/** Human-readable figures shared by main (error messages) and the renderer (the import dialog). */

/** Bytes in decimal units, as disk sizes are sold and as file managers show them: "16.4 GB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1000) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit++;
    // 999.96 would print as "1000.0": move to the next unit where rounding would reach 1000.
  } while (value >= 999.95 && unit < units.length - 1);
  return `${value.toFixed(1)} ${units[unit]}`;
}
