import { describe, expect, it } from 'vitest';
import { answerAsMarkdown, looksLikeBareCode } from '../renderer/src/lib/answer-format.js';

describe('answers that are bare code', () => {
  it('are fenced so they render as code with an editor button', () => {
    expect(answerAsMarkdown('def f(x):\n    return x\n')).toBe('```python\ndef f(x):\n    return x\n```');
    expect(answerAsMarkdown('function f() {}')).toBe('```javascript\nfunction f() {}\n```');
  });
  it('prose and already-fenced answers are left alone', () => {
    expect(looksLikeBareCode('Here is the function:\n```python\ndef f(): pass\n```')).toBe(false);
    expect(looksLikeBareCode('The definition of a class is...')).toBe(false);
    expect(answerAsMarkdown('Sure.')).toBe('Sure.');
  });
});
