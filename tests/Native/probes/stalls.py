#!/usr/bin/env python3
"""Where a kernel's warps stall, from ncu's per-instruction source page (profile.sh writes it as <probe>.sass.csv).

Prints the sampled stall reasons over the whole kernel, then the instructions that hold the most warp samples, each
with its three largest reasons and a window of the code around it, so that a loop's chain can be read in place.
    python3 tests/Native/probes/stalls.py <probe>.sass.csv [top instructions, 25] [window, 0]
"""
import csv
import sys


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Address")
    header = rows[header_at]
    body = [dict(zip(header, r)) for r in rows[header_at + 1:] if len(r) == len(header)]
    return header, body


def number(text):
    try:
        return float(text.replace(",", "")) if text else 0.0
    except ValueError:
        return 0.0


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    window = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    header, body = load(path)
    reasons = [h for h in header if h.startswith("stall_") and "(Not Issued)" not in h]
    samples = [number(r["Warp Stall Sampling (All Samples)"]) for r in body]
    total = sum(samples) or 1.0
    by_reason = {k: sum(number(r[k]) for r in body) for k in reasons}
    print(f"{len(body)} instructions, {total:.0f} warp samples")
    print("reasons: " + ", ".join(f"{k[6:]} {v / total:.1%}" for k, v in
                                    sorted(by_reason.items(), key=lambda kv: -kv[1]) if v / total >= 0.005))
    order = sorted(range(len(body)), key=lambda i: -samples[i])[:top]
    for i in sorted(order) if window else order:
        r = body[i]
        why = sorted(((number(r[k]), k[6:]) for k in reasons), reverse=True)[:3]
        why_text = ", ".join(f"{k} {v / samples[i]:.0%}" for v, k in why if v > 0)
        if window:
            print("--")
            for j in range(max(0, i - window), i):
                print(f"       {body[j]['Address']:>6} {body[j]['Source']}")
        print(f"{samples[i] / total:6.1%} {r['Address']:>6} {r['Source']:<60} execs {number(r['Instructions Executed']):.0f}"
              f"  [{why_text}]")


if __name__ == "__main__":
    main()
