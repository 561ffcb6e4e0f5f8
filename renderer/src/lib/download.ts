/** Saves text as a file through the browser's download (the conversation's Markdown, a trace's JSON). */
export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked a moment later: the download reads the object URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
