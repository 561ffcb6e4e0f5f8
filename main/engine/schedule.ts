/** Splits `masks` over `steps` as evenly as possible, the remainder going to the first steps. */
export function transferSchedule(masks: number, steps: number): number[] {
  const base = Math.floor(masks / steps);
  const extra = masks % steps;
  return Array.from({ length: steps }, (_, i) => base + (i < extra ? 1 : 0));
}
