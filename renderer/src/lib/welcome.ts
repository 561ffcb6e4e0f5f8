/** What the first-start welcome offers: example prompts, the infill example, and what to say about the model. */

/** Chat prompts in the form the built-in model was trained on (a Python function from a one-line description). */
export const CHAT_EXAMPLES: readonly string[] = [
  'Write a Python function `is_even(n)` that does this: Return True if n is even.',
  'Write a Python function `reverse_words(s)` that does this: Reverse the order of the words in s.',
  'Write a Python function `count_vowels(s)` that does this: Count the vowels in s.',
];

/** Infill: the code before and after a gap; the cursor goes on the empty line (Ctrl/Cmd+I fills it). */
export const INFILL_EXAMPLE = {
  title: 'infill-example.py',
  language: 'python',
  text: [
    '# Put the cursor on the empty line below, then press Ctrl+I (Cmd+I on a Mac):',
    '# the model writes the missing code from what comes before and after it.',
    'def mean(xs):',
    '    total = sum(xs)',
    '',
    '    return result',
    '',
  ].join('\n'),
};

export interface ModelNote {
  builtin: boolean;
  text: string;
}

/**
 * What the welcome says about the model: the built-in one is a demo (about 5 M parameters: Python-shaped answers that
 * are rarely right), with where to get a real one; another model is named.
 */
export function modelNote(model: { builtin: boolean; name: string } | null | undefined): ModelNote {
  if (!model || model.builtin)
    return {
      builtin: true,
      text: 'The built-in model is a demo of about 5 M parameters: its answers are Python-shaped but rarely right. For real answers, import Stable-DiffCoder-8B: Settings → Model → Import checkpoint…',
    };
  return { builtin: false, text: `Model: ${model.name}.` };
}
