/**
 * Everyday requests, for tests that need a run ending at EOS on the built-in model. Which of them stops within
 * gen_length depends on the weights (retraining changes it), so such tests take the first that does, not one fixed
 * prompt; a model for which none stops fails them with that reason.
 */
export const EOS_PROMPTS = [
  'Write a Python function that returns the sum of a list.',
  'Write a Python function that reverses a string.',
  'Write a Python function `is_even(n)` that does this: Return True if n is even.',
  'Write a Python function `add(a, b)` that does this: Return the sum of a and b.',
  'Write a Python function `first(items)` that does this: Return the first item of a list.',
  'Write a Python function `square(x)` that does this: Return x squared.',
  'Write a Python function `greet(name)` that does this: Return a greeting for name.',
  'Write a Python function `is_empty(s)` that does this: Return True if the string is empty.',
];

/** The first result for which `stops` holds, trying each prompt in turn. */
export async function firstThatStops<T>(run: (prompt: string) => Promise<T>, stops: (r: T) => boolean): Promise<T> {
  for (const prompt of EOS_PROMPTS) {
    const r = await run(prompt);
    if (stops(r)) return r;
  }
  throw new Error(`none of the ${EOS_PROMPTS.length} test prompts ends at EOS on this model`);
}
