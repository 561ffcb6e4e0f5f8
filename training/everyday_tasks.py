"""Held-out everyday-task evaluation set for the built-in model (issue 12).

Written fresh for this project (not taken from the training sources or the standard library).
TASKS: 45 small everyday functions. Each has the function name, its argument list, a one-line
summary (the request is built in the exact training format by `request()`), a reference solution
(used only to check the tests and to decontaminate the training data) and assert-based tests.
INFILL: 12 short functions with exactly one line removed; `lines` is the whole function and
`hole` the index of the removed line.
"""

TASKS = [
    dict(name="count_vowels", args="s", summary="Return the number of vowels (a, e, i, o, u, either case) in the string s.",
         reference="def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')",
         tests=["assert count_vowels('hello') == 2", "assert count_vowels('') == 0", "assert count_vowels('AEIOUxyz') == 5"]),
    dict(name="is_palindrome", args="s", summary="Return True if the string s reads the same forwards and backwards.",
         reference="def is_palindrome(s):\n    return s == s[::-1]",
         tests=["assert is_palindrome('racecar') is True", "assert is_palindrome('abca') is False", "assert is_palindrome('') is True"]),
    dict(name="chunk", args="lst, n", summary="Split the list lst into consecutive chunks of length n (the last one may be shorter).",
         reference="def chunk(lst, n):\n    return [lst[i:i + n] for i in range(0, len(lst), n)]",
         tests=["assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]", "assert chunk([], 3) == []", "assert chunk([1, 2, 3], 3) == [[1, 2, 3]]"]),
    dict(name="merge_dicts", args="a, b", summary="Return a new dict with the items of a updated by the items of b.",
         reference="def merge_dicts(a, b):\n    out = dict(a)\n    out.update(b)\n    return out",
         tests=["assert merge_dicts({'x': 1}, {'y': 2}) == {'x': 1, 'y': 2}", "assert merge_dicts({'x': 1}, {'x': 3}) == {'x': 3}",
                "d = {'a': 1}\nmerge_dicts(d, {'b': 2})\nassert d == {'a': 1}"]),
    dict(name="rle_encode", args="s", summary="Run-length encode the string s, e.g. 'aaab' becomes 'a3b1'.",
         reference="def rle_encode(s):\n    out = []\n    i = 0\n    while i < len(s):\n        j = i\n        while j < len(s) and s[j] == s[i]:\n            j += 1\n        out.append(s[i] + str(j - i))\n        i = j\n    return ''.join(out)",
         tests=["assert rle_encode('aaab') == 'a3b1'", "assert rle_encode('') == ''", "assert rle_encode('abcc') == 'a1b1c2'"]),
    dict(name="reverse_words", args="sentence", summary="Return the sentence with the order of its words reversed.",
         reference="def reverse_words(sentence):\n    return ' '.join(reversed(sentence.split()))",
         tests=["assert reverse_words('hello big world') == 'world big hello'", "assert reverse_words('one') == 'one'"]),
    dict(name="flatten", args="nested", summary="Flatten a list of lists into a single list.",
         reference="def flatten(nested):\n    return [x for sub in nested for x in sub]",
         tests=["assert flatten([[1, 2], [3], []]) == [1, 2, 3]", "assert flatten([]) == []"]),
    dict(name="clamp", args="x, lo, hi", summary="Limit the number x to the range from lo to hi.",
         reference="def clamp(x, lo, hi):\n    return max(lo, min(x, hi))",
         tests=["assert clamp(5, 0, 3) == 3", "assert clamp(-1, 0, 3) == 0", "assert clamp(2, 0, 3) == 2"]),
    dict(name="word_count", args="text", summary="Return a dict mapping each word of text to the number of times it occurs.",
         reference="def word_count(text):\n    counts = {}\n    for w in text.split():\n        counts[w] = counts.get(w, 0) + 1\n    return counts",
         tests=["assert word_count('a b a') == {'a': 2, 'b': 1}", "assert word_count('') == {}"]),
    dict(name="fizzbuzz", args="n", summary="Return 'Fizz' if n is divisible by 3, 'Buzz' if by 5, 'FizzBuzz' if by both, else str(n).",
         reference="def fizzbuzz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n    if n % 3 == 0:\n        return 'Fizz'\n    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)",
         tests=["assert fizzbuzz(9) == 'Fizz'", "assert fizzbuzz(10) == 'Buzz'", "assert fizzbuzz(30) == 'FizzBuzz'", "assert fizzbuzz(7) == '7'"]),
    dict(name="factorial", args="n", summary="Return n factorial for a non-negative integer n.",
         reference="def factorial(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result",
         tests=["assert factorial(0) == 1", "assert factorial(5) == 120"]),
    dict(name="is_even", args="n", summary="Return True if the integer n is even.",
         reference="def is_even(n):\n    return n % 2 == 0",
         tests=["assert is_even(4) is True", "assert is_even(7) is False", "assert is_even(0) is True"]),
    dict(name="sum_of_squares", args="numbers", summary="Return the sum of the squares of the numbers in the list.",
         reference="def sum_of_squares(numbers):\n    return sum(x * x for x in numbers)",
         tests=["assert sum_of_squares([1, 2, 3]) == 14", "assert sum_of_squares([]) == 0"]),
    dict(name="unique_in_order", args="items", summary="Return the items without duplicates, keeping the order of first appearance.",
         reference="def unique_in_order(items):\n    seen = set()\n    out = []\n    for x in items:\n        if x not in seen:\n            seen.add(x)\n            out.append(x)\n    return out",
         tests=["assert unique_in_order([3, 1, 3, 2, 1]) == [3, 1, 2]", "assert unique_in_order([]) == []"]),
    dict(name="max_of_list", args="numbers", summary="Return the largest number in the list, or None if the list is empty.",
         reference="def max_of_list(numbers):\n    if not numbers:\n        return None\n    return max(numbers)",
         tests=["assert max_of_list([3, 9, 2]) == 9", "assert max_of_list([]) is None", "assert max_of_list([-5, -2]) == -2"]),
    dict(name="capitalize_words", args="text", summary="Return text with the first letter of every word in upper case.",
         reference="def capitalize_words(text):\n    return ' '.join(w[:1].upper() + w[1:] for w in text.split(' '))",
         tests=["assert capitalize_words('hello world') == 'Hello World'", "assert capitalize_words('a') == 'A'"]),
    dict(name="invert_dict", args="d", summary="Return a new dict with the keys and values of d swapped.",
         reference="def invert_dict(d):\n    return {v: k for k, v in d.items()}",
         tests=["assert invert_dict({'a': 1, 'b': 2}) == {1: 'a', 2: 'b'}", "assert invert_dict({}) == {}"]),
    dict(name="count_char", args="s, ch", summary="Return how many times the character ch appears in the string s.",
         reference="def count_char(s, ch):\n    return s.count(ch)",
         tests=["assert count_char('banana', 'a') == 3", "assert count_char('abc', 'z') == 0"]),
    dict(name="average", args="numbers", summary="Return the arithmetic mean of the numbers, or 0 for an empty list.",
         reference="def average(numbers):\n    if not numbers:\n        return 0\n    return sum(numbers) / len(numbers)",
         tests=["assert average([1, 2, 3, 4]) == 2.5", "assert average([]) == 0"]),
    dict(name="is_prime", args="n", summary="Return True if n is a prime number.",
         reference="def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n        i += 1\n    return True",
         tests=["assert is_prime(2) is True", "assert is_prime(15) is False", "assert is_prime(13) is True", "assert is_prime(1) is False"]),
    dict(name="fibonacci", args="n", summary="Return the n-th Fibonacci number, with fibonacci(0) == 0 and fibonacci(1) == 1.",
         reference="def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a",
         tests=["assert fibonacci(0) == 0", "assert fibonacci(1) == 1", "assert fibonacci(10) == 55"]),
    dict(name="remove_spaces", args="s", summary="Return the string s with all space characters removed.",
         reference="def remove_spaces(s):\n    return s.replace(' ', '')",
         tests=["assert remove_spaces(' a b  c ') == 'abc'", "assert remove_spaces('') == ''"]),
    dict(name="starts_with_vowel", args="word", summary="Return True if word starts with a vowel, ignoring case.",
         reference="def starts_with_vowel(word):\n    return bool(word) and word[0].lower() in 'aeiou'",
         tests=["assert starts_with_vowel('Apple') is True", "assert starts_with_vowel('pear') is False", "assert starts_with_vowel('') is False"]),
    dict(name="pairwise_sums", args="a, b", summary="Return a list with the element-wise sums of the lists a and b.",
         reference="def pairwise_sums(a, b):\n    return [x + y for x, y in zip(a, b)]",
         tests=["assert pairwise_sums([1, 2], [10, 20]) == [11, 22]", "assert pairwise_sums([], []) == []"]),
    dict(name="filter_even", args="numbers", summary="Return a list of the even numbers in numbers.",
         reference="def filter_even(numbers):\n    return [x for x in numbers if x % 2 == 0]",
         tests=["assert filter_even([1, 2, 3, 4]) == [2, 4]", "assert filter_even([1, 3]) == []"]),
    dict(name="celsius_to_fahrenheit", args="c", summary="Convert a temperature from degrees Celsius to degrees Fahrenheit.",
         reference="def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32",
         tests=["assert celsius_to_fahrenheit(0) == 32", "assert celsius_to_fahrenheit(100) == 212"]),
    dict(name="longest_word", args="sentence", summary="Return the longest word in the sentence (the first one if there is a tie).",
         reference="def longest_word(sentence):\n    best = ''\n    for w in sentence.split():\n        if len(w) > len(best):\n            best = w\n    return best",
         tests=["assert longest_word('a quick brown fox') == 'quick'", "assert longest_word('hi') == 'hi'"]),
    dict(name="digit_sum", args="n", summary="Return the sum of the decimal digits of the non-negative integer n.",
         reference="def digit_sum(n):\n    return sum(int(d) for d in str(n))",
         tests=["assert digit_sum(1234) == 10", "assert digit_sum(0) == 0"]),
    dict(name="swap_case", args="s", summary="Return s with upper-case letters made lower case and lower-case letters made upper case.",
         reference="def swap_case(s):\n    return s.swapcase()",
         tests=["assert swap_case('Hello') == 'hELLO'", "assert swap_case('123') == '123'"]),
    dict(name="second_largest", args="numbers", summary="Return the second largest distinct value in the list numbers.",
         reference="def second_largest(numbers):\n    values = sorted(set(numbers))\n    return values[-2]",
         tests=["assert second_largest([4, 1, 9, 9, 7]) == 7", "assert second_largest([1, 2]) == 1"]),
    dict(name="rotate_list", args="lst, k", summary="Rotate the list lst to the left by k positions.",
         reference="def rotate_list(lst, k):\n    if not lst:\n        return []\n    k %= len(lst)\n    return lst[k:] + lst[:k]",
         tests=["assert rotate_list([1, 2, 3, 4], 1) == [2, 3, 4, 1]", "assert rotate_list([1, 2, 3], 3) == [1, 2, 3]", "assert rotate_list([], 2) == []"]),
    dict(name="count_words", args="text", summary="Return the number of words in text, where words are separated by whitespace.",
         reference="def count_words(text):\n    return len(text.split())",
         tests=["assert count_words('one two  three') == 3", "assert count_words('   ') == 0"]),
    dict(name="is_anagram", args="a, b", summary="Return True if the strings a and b are anagrams of each other.",
         reference="def is_anagram(a, b):\n    return sorted(a) == sorted(b)",
         tests=["assert is_anagram('listen', 'silent') is True", "assert is_anagram('abc', 'abd') is False"]),
    dict(name="group_by_length", args="words", summary="Return a dict mapping each word length to the list of words of that length.",
         reference="def group_by_length(words):\n    groups = {}\n    for w in words:\n        groups.setdefault(len(w), []).append(w)\n    return groups",
         tests=["assert group_by_length(['a', 'bb', 'c']) == {1: ['a', 'c'], 2: ['bb']}", "assert group_by_length([]) == {}"]),
    dict(name="running_total", args="numbers", summary="Return the list of running totals (cumulative sums) of numbers.",
         reference="def running_total(numbers):\n    out = []\n    total = 0\n    for x in numbers:\n        total += x\n        out.append(total)\n    return out",
         tests=["assert running_total([1, 2, 3]) == [1, 3, 6]", "assert running_total([]) == []"]),
    dict(name="truncate", args="s, n", summary="Return s cut to at most n characters, ending with '...' when it was cut.",
         reference="def truncate(s, n):\n    if len(s) <= n:\n        return s\n    return s[:n] + '...'",
         tests=["assert truncate('hello world', 5) == 'hello...'", "assert truncate('hi', 5) == 'hi'"]),
    dict(name="min_max", args="numbers", summary="Return a tuple with the smallest and the largest value in numbers.",
         reference="def min_max(numbers):\n    return (min(numbers), max(numbers))",
         tests=["assert min_max([3, 1, 2]) == (1, 3)", "assert min_max([5]) == (5, 5)"]),
    dict(name="dict_from_lists", args="keys, values", summary="Return a dict that maps each key in keys to the value at the same position in values.",
         reference="def dict_from_lists(keys, values):\n    return dict(zip(keys, values))",
         tests=["assert dict_from_lists(['a', 'b'], [1, 2]) == {'a': 1, 'b': 2}", "assert dict_from_lists([], []) == {}"]),
    dict(name="count_positive", args="numbers", summary="Return how many numbers in the list are greater than zero.",
         reference="def count_positive(numbers):\n    return sum(1 for x in numbers if x > 0)",
         tests=["assert count_positive([-1, 0, 2, 5]) == 2", "assert count_positive([]) == 0"]),
    dict(name="repeat_string", args="s, n", summary="Return the string s repeated n times, separated by single spaces.",
         reference="def repeat_string(s, n):\n    return ' '.join([s] * n)",
         tests=["assert repeat_string('ab', 3) == 'ab ab ab'", "assert repeat_string('x', 0) == ''"]),
    dict(name="safe_divide", args="a, b", summary="Return a divided by b, or None when b is zero.",
         reference="def safe_divide(a, b):\n    if b == 0:\n        return None\n    return a / b",
         tests=["assert safe_divide(6, 3) == 2", "assert safe_divide(1, 0) is None"]),
    dict(name="last_n", args="lst, n", summary="Return the last n items of the list lst.",
         reference="def last_n(lst, n):\n    if n <= 0:\n        return []\n    return lst[-n:]",
         tests=["assert last_n([1, 2, 3, 4], 2) == [3, 4]", "assert last_n([1, 2], 0) == []", "assert last_n([1], 5) == [1]"]),
    dict(name="is_sorted", args="lst", summary="Return True if the list lst is sorted in non-decreasing order.",
         reference="def is_sorted(lst):\n    return all(lst[i] <= lst[i + 1] for i in range(len(lst) - 1))",
         tests=["assert is_sorted([1, 2, 2, 5]) is True", "assert is_sorted([3, 1]) is False", "assert is_sorted([]) is True"]),
    dict(name="title_to_snake", args="name", summary="Convert a CamelCase name to snake_case, e.g. 'MyValue' to 'my_value'.",
         reference="def title_to_snake(name):\n    out = ''\n    for i, c in enumerate(name):\n        if c.isupper() and i > 0:\n            out += '_'\n        out += c.lower()\n    return out",
         tests=["assert title_to_snake('MyValue') == 'my_value'", "assert title_to_snake('HTTPCode') == 'h_t_t_p_code'", "assert title_to_snake('x') == 'x'"]),
    dict(name="zip_to_pairs", args="a, b", summary="Return a list of (x, y) tuples pairing the items of a and b by position.",
         reference="def zip_to_pairs(a, b):\n    return list(zip(a, b))",
         tests=["assert zip_to_pairs([1, 2], 'ab') == [(1, 'a'), (2, 'b')]", "assert zip_to_pairs([], []) == []"]),
    dict(name="product", args="numbers", summary="Return the product of all the numbers in the list (1 for an empty list).",
         reference="def product(numbers):\n    result = 1\n    for x in numbers:\n        result *= x\n    return result",
         tests=["assert product([2, 3, 4]) == 24", "assert product([]) == 1"]),
    dict(name="keys_with_value", args="d, value", summary="Return a list of the keys of d whose value equals value.",
         reference="def keys_with_value(d, value):\n    return [k for k, v in d.items() if v == value]",
         tests=["assert keys_with_value({'a': 1, 'b': 2, 'c': 1}, 1) == ['a', 'c']", "assert keys_with_value({}, 1) == []"]),
]

INFILL = [
    dict(name="count_vowels_loop", lines=["def count_vowels_loop(s):", "    n = 0", "    for c in s:", "        if c in 'aeiou':", "            n += 1", "    return n"], hole=4),
    dict(name="sum_list", lines=["def sum_list(numbers):", "    total = 0", "    for x in numbers:", "        total += x", "    return total"], hole=1),
    dict(name="find_index", lines=["def find_index(items, target):", "    for i, x in enumerate(items):", "        if x == target:", "            return i", "    return -1"], hole=2),
    dict(name="reverse_string", lines=["def reverse_string(s):", "    out = ''", "    for c in s:", "        out = c + out", "    return out"], hole=2),
    dict(name="max_value", lines=["def max_value(numbers):", "    best = numbers[0]", "    for x in numbers[1:]:", "        if x > best:", "            best = x", "    return best"], hole=3),
    dict(name="squares", lines=["def squares(n):", "    result = []", "    for i in range(n):", "        result.append(i * i)", "    return result"], hole=3),
    dict(name="count_words_dict", lines=["def count_words_dict(words):", "    counts = {}", "    for w in words:", "        counts[w] = counts.get(w, 0) + 1", "    return counts"], hole=1),
    dict(name="only_positive", lines=["def only_positive(numbers):", "    out = []", "    for x in numbers:", "        if x > 0:", "            out.append(x)", "    return out"], hole=4),
    dict(name="read_lines", lines=["def read_lines(path):", "    with open(path) as f:", "        lines = f.read().splitlines()", "    return lines"], hole=1),
    dict(name="join_names", lines=["def join_names(first, last):", "    first = first.strip()", "    last = last.strip()", "    return first + ' ' + last"], hole=2),
    dict(name="is_adult", lines=["def is_adult(age):", "    if age >= 18:", "        return True", "    return False"], hole=1),
    dict(name="average_len", lines=["def average_len(words):", "    if not words:", "        return 0", "    total = sum(len(w) for w in words)", "    return total / len(words)"], hole=3),
]

FORMAT = "Write a Python function `{name}({args})` that does this: {summary}"


def request(t):
    return FORMAT.format(**t)


def normalise_code(src):
    """Whitespace-free form used for decontamination (bodies compared without the def line)."""
    return "".join(src.split())


def decontam_names():
    return {t["name"] for t in TASKS} | {t["name"] for t in INFILL}


def decontam_bodies():
    out = set()
    for t in TASKS:
        body = t["reference"].split("\n", 1)[1]
        out.add(normalise_code(body))
    for t in INFILL:
        out.add(normalise_code("\n".join(t["lines"][1:])))
    return out
