/** Random ids that satisfy the contract's id rule (letters, digits, - and _). */
export function randomId(prefix = ''): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return prefix + hex;
}

/** A request id: letters and digits only. */
export function requestId(): string {
  return randomId('r');
}
