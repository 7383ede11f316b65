#!/usr/bin/env python3
"""Checks tests/MambaServe.Engine.Tests/Tokenization/PreTokenizerStepsTests.cs against HF tokenizers.

Needs the `tokenizers` package (the device machine has it with transformers; scripts/reference/README.md). For
Falcon's pre-tokenizer (FalconMamba's tokenizer), ByteLevel without its regex and the split behaviours, prints HF's
pieces of each test string beside the pieces the C# test expects, and exits 1 when any differ.
"""
import json
import sys

from tokenizers import Tokenizer

FALCON = {"type": "Sequence", "pretokenizers": [
    {"type": "Punctuation", "behavior": "Contiguous"},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    {"type": "Digits", "individual_digits": False},
    {"type": "Split", "pattern": {"Regex": "[0-9][0-9][0-9]"}, "behavior": "Isolated", "invert": False}]}

# (pre-tokenizer, text, the C# test's expected pieces joined by "|")
CASES = [(FALCON, t, e) for t, e in [
    ("Hello world", "Hello|Ġworld"),
    ("hello, world!! ...ok", "hello|,|Ġworld|!!|Ġ|...|ok"),
    ("price: 12,345.67", "price|:|Ġ|12|,|345|.|67"),
    ("abc 1234567", "abc|Ġ|123|456|7"),
    ("a  12", "a|Ġ|Ġ|12"),
    ("Don't stop at 3.14159265!", "Don|'|t|Ġstop|Ġat|Ġ|3|.|141|592|65|!"),
    ("мир 999", "Ð|¼|Ð¸ÑĢ|Ġ|999"),
]] + [({"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}, "a b  c", "aĠbĠĠc")] + [({"type": "Split", "pattern": {"String": "-"}, "behavior": b, "invert": False}, "the-final--countdown", e) for b, e in [
    ("Removed", "the|final|countdown"),
    ("Isolated", "the|-|final|-|-|countdown"),
    ("MergedWithPrevious", "the-|final-|-|countdown"),
    ("MergedWithNext", "the|-final|-|-countdown"),
    ("Contiguous", "the|-|final|--|countdown"),
]] + [({"type": "Split", "pattern": {"Regex": "[a-z]+"}, "behavior": "Removed", "invert": True}, "the-final--countdown", "the|final|countdown")]


def main():
    failed = 0
    for config, text, expected in CASES:
        # A tokenizer.json with only this pre-tokenizer, read as transformers reads a checkpoint's.
        document = {"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": config}
        pre = Tokenizer.from_str(json.dumps(document)).pre_tokenizer
        # The pieces as HF hands them to the model (byte-level characters after a ByteLevel step).
        pieces = "|".join(piece for piece, _ in pre.pre_tokenize_str(text))
        ok = pieces == expected
        failed += not ok
        print(f"{'ok  ' if ok else 'DIFF'} {text!r}: HF {pieces!r}" + ("" if ok else f", C# test {expected!r}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
