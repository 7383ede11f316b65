#!/usr/bin/env python3
"""Throughput of structured outputs against free text on a running MambaServe (docs/benchmarks.md, "Structured outputs").

Usage: python3 bench/structured_outputs.py [--url http://127.0.0.1:8000] [--rounds 3] [--n 8]
Each case is one /v1/completions request of n samples (8 by default), 128 tokens at most, temperature 0.8, a fixed
seed per round; it prints the best completion tokens per second over the rounds. Only the Python standard library.
"""
import argparse
import json
import time
import urllib.request

CASES = [
    ("free text, ignore_eos", {"ignore_eos": True}),
    ("free text", {}),
    ("JSON mode", {"response_format": {"type": "json_object"}}),
    ("JSON schema", {"response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": {
        "type": "object", "properties": {"name": {"type": "string"},
                                         "tags": {"type": "array", "items": {"type": "string", "maxLength": 40}}},
        "required": ["name", "tags"]}}}}),
    ("regex", {"guided_regex": "([A-Z][a-z]+ ){1,60}[a-z]+\\."}),
    ("GBNF grammar", {"guided_grammar": 'root ::= item (", " item){1,40} "."\nitem ::= [A-Z] [a-z]{1,12} | [0-9]{1,4}'}),
]


def rate(url, extra, seed, n):
    body = {"prompt": "The jury said", "max_tokens": 128, "temperature": 0.8, "seed": seed, "n": n, **extra}
    request = urllib.request.Request(f"{url}/v1/completions", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
    start = time.time()
    response = json.load(urllib.request.urlopen(request))
    elapsed = time.time() - start
    tokens = response["usage"]["completion_tokens"]
    return tokens / elapsed, tokens / n, elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=8, help="samples per request (the rows a step decodes together)")
    args = parser.parse_args()
    for label, extra in CASES:
        best = max((rate(args.url, extra, 7 + r, args.n) for r in range(args.rounds)), key=lambda r: r[0])
        # The tokens each sample wrote and the request's time beside the rate: a constrained output ends when complete,
        # so a lower rate can be shorter outputs (more prefill per token) as much as the cost of its masks.
        print(json.dumps({"case": label, "n": args.n, "tokens_per_s": round(best[0], 1),
                          "tokens_per_sample": round(best[1], 1), "request_s": round(best[2], 3), "rounds": args.rounds}))


if __name__ == "__main__":
    main()
