#!/usr/bin/env python3
"""Where a decode step's time goes, block by block: reads the file a -DMSV_TIMELINE=1 build writes
(MSV_TIMELINE_FILE, src/Native/model/model_gpu_timeline.h) and prints, per kernel of a layer (averaged over the
middle layers), when its blocks started, when their PDL wait returned and when they finished, relative to the
release of the layer's first kernel; the hand-offs between kernels; and how the ends of in_proj spread over SMs.

    python3 timeline.py <file> [--layer N] [--per-sm]

--per-sm adds, for each kernel of the fused path, an SM's last block end from the kernel's release by how many of
the kernel's blocks that SM ran (over the middle layers): whether the uneven share of early-launched blocks sets a
kernel's end (docs/gpu-model.md, "Session 2026-12-05, twelfth": it did not).

Times are on one axis: the global timer where it ticks finely (32 ns on the H200), the wait's return placed by the
block's clock64 between its start and end; where the global timer is coarse, each SM's clock64 fitted to it.
"""
import statistics
import sys

TAGS = {0: "head/store", 1: "in_proj+conv", 2: "out_proj", 3: "x_proj", 4: "dt_ssu", 5: "sample:prepare",
        6: "sample:threshold", 7: "sample:collect", 8: "sample:draw", 9: "sample:plain"}
SAMPLER = (5, 6, 7, 8)


def read(path):
    recs = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            v = list(map(int, line.split())) + [0, 0]
            tag, sm, blocks, block, gt0, c0, c1, c2, gt2, ca, cb = v[:11]
            recs.append(dict(tag=tag, sm=sm, blocks=blocks, block=block, gt0=gt0, c0=c0, c1=c1, c2=c2, gt2=gt2,
                             ca=ca or c1, cb=cb or ca or c1))
    return recs


def fit_clocks(recs):
    """ns = (clock - off[sm]) / f + base: one slope for every SM (one clock domain), an offset per SM."""
    by_sm = {}
    for r in recs:
        by_sm.setdefault(r["sm"], []).extend([(r["c0"], r["gt0"]), (r["c2"], r["gt2"])])
    slopes = []
    for pts in by_sm.values():
        if len(pts) < 8:
            continue
        mc = statistics.fmean(c for c, _ in pts)
        mg = statistics.fmean(g for _, g in pts)
        sxx = sum((c - mc) ** 2 for c, _ in pts)
        if sxx > 0:
            slopes.append(sum((c - mc) * (g - mg) for c, g in pts) / sxx)  # ns per cycle
    k = statistics.median(slopes)
    off = {sm: statistics.fmean(g - c * k for c, g in pts) for sm, pts in by_sm.items()}
    resid = [g - (c * k + off[sm]) for sm, pts in by_sm.items() for c, g in pts]
    gts = sorted({r["gt0"] for r in recs} | {r["gt2"] for r in recs})
    steps = [b - a for a, b in zip(gts, gts[1:]) if b > a]
    step = min(steps) if steps else 0
    print(f"clock: {1 / k:.3f} GHz (median over {len(slopes)} SMs); global timer step >= {step} ns; "
          f"fit residual rms {statistics.pstdev(resid):.0f} ns")
    t_base = min(r["gt0"] for r in recs)
    fine = 0 < step < 200
    for r in recs:
        if fine:
            # The H200's global timer ticks every 32 ns, finer than the fit (SM clocks move during a step): start and
            # end from it, the wait's return placed between them by the block's own clock.
            span = max(1, r["c2"] - r["c0"])
            at = lambda c: (r["gt0"] + (c - r["c0"]) / span * (r["gt2"] - r["gt0"]) - t_base) / 1e3
            r["t0"], r["t1"], r["t2"] = (r["gt0"] - t_base) / 1e3, at(r["c1"]), (r["gt2"] - t_base) / 1e3
            r["ta"], r["tb"] = at(r["ca"]), at(r["cb"])
        else:
            o = off[r["sm"]] - t_base
            r["t0"], r["t1"], r["t2"] = (r["c0"] * k + o) / 1e3, (r["c1"] * k + o) / 1e3, (r["c2"] * k + o) / 1e3  # us
            r["ta"], r["tb"] = (r["ca"] * k + o) / 1e3, (r["cb"] * k + o) / 1e3


def instances(recs):
    """Launches in start order: a kernel's launches never overlap each other, so each tag's records sorted by
    start split into consecutive runs of `blocks` records."""
    out = []
    by_tag = {}
    for r in recs:
        by_tag.setdefault(r["tag"], []).append(r)
    for tag, rs in by_tag.items():
        rs.sort(key=lambda r: r["t0"])
        i = 0
        while i < len(rs):
            n = rs[i]["blocks"]
            out.append((tag, rs[i:i + n]))
            i += n
    out.sort(key=lambda x: min(r["t0"] for r in x[1]))
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * (len(xs) - 1) + 0.5))]


def stats(rs):
    t0 = [r["t0"] for r in rs]
    t1 = [r["t1"] for r in rs]
    t2 = [r["t2"] for r in rs]
    return dict(s0=min(t0), s1=max(t0), w0=min(t1), w1=max(t1), e10=pct(t2, 0.1), e50=pct(t2, 0.5), e90=pct(t2, 0.9),
                e1=max(t2), n=len(rs))


def main():
    path = sys.argv[1]
    show = int(sys.argv[sys.argv.index("--layer") + 1]) if "--layer" in sys.argv else None
    recs = read(path)
    if not recs:
        print("no records (kernels built without -DMSV_TIMELINE=1?)")
        return
    fit_clocks(recs)
    inst = instances(recs)
    seq = [(tag, stats(rs), rs) for tag, rs in inst]
    # Layers: runs of in_proj, x_proj, dt_ssu, out_proj (the fused path).
    layers = []
    i = 0
    while i + 3 < len(seq):
        if [s[0] for s in seq[i:i + 4]] == [1, 3, 4, 2]:
            layers.append(seq[i:i + 4])
            i += 4
        else:
            i += 1
    print(f"{len(recs)} records, {len(seq)} launches, {len(layers)} layers of the fused path")
    if len(layers) < 3:
        for tag, s, _ in seq[:12]:
            print(TAGS.get(tag, tag), {k: round(v, 2) for k, v in s.items()})
        return
    mid = layers[1:-1]
    per_layer = [b[0][1]["w0"] - a[0][1]["w0"] for a, b in zip(layers, layers[1:])]
    print(f"layer period (in_proj release to the next's): mean {statistics.fmean(per_layer):.2f} us, "
          f"min {min(per_layer):.2f}, max {max(per_layer):.2f}")
    cols = ["s0", "s1", "w0", "w1", "e10", "e50", "e90", "e1"]
    print("us from the layer's in_proj release; s: block starts (first, last), w: wait returns, e: block ends")
    print(f"{'kernel':14} {'blocks':>6} " + " ".join(f"{c:>7}" for c in cols) + f" {'handoff':>8} {'run':>7}")
    for k in range(4):
        tag = mid[0][k][0]
        vals = {c: statistics.fmean(L[k][1][c] - L[0][1]["w0"] for L in mid) for c in cols}
        hand = statistics.fmean(L[k][1]["w0"] - (L[k - 1][1]["e1"] if k else prev_end(layers, L)) for L in mid)
        run = statistics.fmean(L[k][1]["e1"] - L[k][1]["w0"] for L in mid)
        print(f"{TAGS[tag]:14} {mid[0][k][1]['n']:6d} " + " ".join(f"{vals[c]:7.2f}" for c in cols) +
              f" {hand:8.2f} {run:7.2f}")
    # Inside the blocks: the marks a and b (GEMV: main loop done, warp sums reduced; dt_ssu: x_proj's partials
    # summed, dt done), medians over a launch's blocks, and the launch's last block at each.
    print("inside the blocks (us; median block: wait->a, a->b, b->end; last block at a, b from the release):")
    for k in range(4):
        med = lambda f: statistics.fmean(statistics.median(f(r) for r in L[k][2]) for L in mid)
        last = lambda key: statistics.fmean(max(r[key] for r in L[k][2]) - L[k][1]["w0"] for L in mid)
        print(f"  {TAGS[mid[0][k][0]]:14} {med(lambda r: r['ta'] - r['t1']):6.2f} {med(lambda r: r['tb'] - r['ta']):6.2f} "
              f"{med(lambda r: r['t2'] - r['tb']):6.2f}   last a {last('ta'):6.2f}, b {last('tb'):6.2f}")
    # Per kernel: when each SM's last block ended, from the kernel's release (in_proj: also its blocks per SM).
    for k in range(4):
        ends, counts = [], []
        for L in mid:
            w0 = L[k][1]["w0"]
            by_sm = {}
            for r in L[k][2]:
                by_sm.setdefault(r["sm"], []).append(r["t2"] - w0)
            ends.append(sorted(max(v) for v in by_sm.values()))
            counts.append(sorted(len(v) for v in by_sm.values()))
        spread = f" ({len(ends[0])} SMs, {counts[0][0]}-{counts[0][-1]} blocks each)" if k == 0 else ""
        print(f"  {TAGS[mid[0][k][0]]:14} per-SM last end from its release{spread}: "
              + ", ".join(f"p{int(p * 100)} {statistics.fmean(pct(x, p) for x in ends):.2f}" for p in (0, 0.1, 0.5, 0.9, 1)))
    if "--per-sm" in sys.argv:
        print_per_sm(mid)
    if show is not None and show < len(layers):
        print(f"layer {show}, absolute us:")
        for tag, s, _ in layers[show]:
            print(f"  {TAGS[tag]:14} " + " ".join(f"{c} {s[c]:9.2f}" for c in cols))
    tail = [x for x in seq if x[0] == 0]
    if tail:
        s = tail[-1][1]
        print(f"LM head: {s['n']} blocks, run {s['e1'] - s['w0']:.2f} us, handoff {s['w0'] - layers[-1][3][1]['e1']:.2f} us")
        print_sampler(seq, s["e1"])


def print_sampler(seq, head_end):
    """The sampler's kernels after the LM head: per launch, its hand-off from the previous end, the blocks' chunk
    work (wait -> mark a, median), the ticket (a -> b of the last block) and the last block's finishing work."""
    launches = [x for x in seq if x[0] in SAMPLER][-4:]  # the step's last sampler launches (blocks start early: PDL)
    if not launches:
        print("no sampler records (the buffer full? MSV_TIMELINE_RECORDS)")
        return
    print("sampler (us): handoff = wait return after the previous end; chunk = median wait -> a; "
          "last a = the launch's last chunk done; finish = last block b -> end")
    prev = head_end
    for tag, s, rs in launches[:4]:
        chunk = statistics.median(r["ta"] - r["t1"] for r in rs)
        fin = [r for r in rs if r["cb"] != r["ca"]]
        fin_run = fin[0]["t2"] - fin[0]["tb"] if fin else 0.0
        last_a = max(r["ta"] for r in rs) - s["w0"]
        print(f"  {TAGS[tag]:17} {s['n']:4d} blocks, handoff {s['w0'] - prev:6.2f}, chunk {chunk:6.2f}, "
              f"last a {last_a:6.2f}, finish {fin_run:6.2f}, run {s['e1'] - s['w0']:6.2f}")
        prev = s["e1"]
    print(f"  LM head end -> sampler end: {prev - head_end:.2f} us")


def print_per_sm(mid):
    """Per kernel of a layer: SMs that ran n of its blocks -> how many such SMs a layer, their mean last end (us from
    the kernel's release)."""
    print("per SM (blocks an SM: SMs a layer, mean last end from the release in us):")
    for k in range(4):
        ends = {}
        for L in mid:
            w0 = L[k][1]["w0"]
            by_sm = {}
            for r in L[k][2]:
                by_sm.setdefault(r["sm"], []).append(r["t2"] - w0)
            for v in by_sm.values():
                ends.setdefault(len(v), []).append(max(v))
        print(f"  {TAGS[mid[0][k][0]]:14} " + ", ".join(
            f"{n}: {len(v) / len(mid):.0f} SMs {statistics.fmean(v):.2f}" for n, v in sorted(ends.items())))


def prev_end(layers, L):
    i = layers.index(L)
    return layers[i - 1][3][1]["e1"]


if __name__ == "__main__":
    main()
