#!/usr/bin/env python3
"""The FalconMamba reference fixture (tests/fixtures/falcon-tiny): a random checkpoint and its float64 logits.

FalconMamba (FalconMambaForCausalLM, model_type "falcon_mamba") is Mamba-1 with one change in the mixer: the three
parts of x_proj's output, dt, B and C, are each RMS-normalised without a weight (eps mixer_rms_eps) before dt_proj
and the scan. The fixture has the layout of shared/reference (tests/fixtures/README.md):

    make OUT_DIR     needs only torch: random weights (fixed seed), the float64 reference of this file, the greedy
                     continuations; writes config.json, model.safetensors, reference.json, reference.safetensors.
    selftest DIR...  needs only torch: with the mixer's norms off, the reference below must give the logits that
                     transformers' MambaForCausalLM gave for the Mamba fixtures (tests/fixtures/tiny-a, tiny-b).
    check DIR        needs transformers: loads DIR with FalconMambaForCausalLM in float64 and prints the largest
                     difference between its logits and DIR's reference (run on the device machine, which has
                     transformers; scripts/reference/README.md). Exits 1 above 1e-5 or when a greedy token differs.

The reference below is written from the model's math (docs/ARCHITECTURE.md, "The model"), not from transformers, so
`check` is an independent test of it.
"""
import json
import math
import struct
import sys
from pathlib import Path

import torch

CONFIG = {
    "architectures": ["FalconMambaForCausalLM"],
    "model_type": "falcon_mamba",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 3,
    "state_size": 8,
    "conv_kernel": 4,
    "time_step_rank": 6,
    "vocab_size": 320,
    "expand": 2,
    "hidden_act": "silu",
    "layer_norm_epsilon": 1e-05,
    "mixer_rms_eps": 1e-06,
    "use_bias": False,
    "use_conv_bias": True,
    "tie_word_embeddings": False,
    "residual_in_fp32": True,
    "rescale_prenorm_residual": False,
    "bos_token_id": 0,
    "eos_token_id": 0,
    "pad_token_id": 0,
    "use_mambapy": False,
    "dtype": "float32",
}
CASES = [(1, 24), (7, 24), (64, 16), (200, 8)]  # (prompt tokens, greedy tokens asked for)
SEED = 20261206


def weights(config, seed):
    g = torch.Generator().manual_seed(seed)
    d, di, n = config["hidden_size"], config["intermediate_size"], config["state_size"]
    r, k, v = config["time_step_rank"], config["conv_kernel"], config["vocab_size"]

    def normal(*shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * std

    w = {"backbone.embeddings.weight": normal(v, d, std=1.0), "backbone.norm_f.weight": 1 + normal(d, std=0.1),
         "lm_head.weight": normal(v, d, std=0.2)}
    for layer in range(config["num_hidden_layers"]):
        p = f"backbone.layers.{layer}."
        dt = torch.exp(torch.rand(di, generator=g, dtype=torch.float64) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        w[p + "norm.weight"] = 1 + normal(d, std=0.1)
        w[p + "mixer.in_proj.weight"] = normal(2 * di, d, std=d ** -0.5)
        w[p + "mixer.conv1d.weight"] = normal(di, 1, k, std=k ** -0.5)
        w[p + "mixer.conv1d.bias"] = normal(di, std=0.1)
        w[p + "mixer.x_proj.weight"] = normal(r + 2 * n, di, std=di ** -0.5)
        w[p + "mixer.dt_proj.weight"] = normal(di, r, std=r ** -0.5)
        w[p + "mixer.dt_proj.bias"] = dt + torch.log(-torch.expm1(-dt))  # softplus^-1(dt)
        w[p + "mixer.A_log"] = torch.log(torch.arange(1, n + 1, dtype=torch.float64)).repeat(di, 1) + normal(di, n, std=0.1)
        w[p + "mixer.D"] = 1 + normal(di, std=0.1)
        w[p + "mixer.out_proj.weight"] = normal(d, di, std=di ** -0.5)
    # Stored as float32, and the reference computes on the stored values.
    return {name: t.to(torch.float32) for name, t in w.items()}


def rms(x, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def logits_of(config, w, ids):
    """Every position's logits, float64, from the zero state, one sequence (the whole prompt at once)."""
    f = {name: t.to(torch.float64) for name, t in w.items()}
    di, n, r, k = config["intermediate_size"], config["state_size"], config["time_step_rank"], config["conv_kernel"]
    eps, mixer_eps = config["layer_norm_epsilon"], config.get("mixer_rms_eps")
    length = len(ids)
    h = f["backbone.embeddings.weight"][torch.tensor(ids)]
    for layer in range(config["num_hidden_layers"]):
        p = f"backbone.layers.{layer}."
        u = rms(h, eps) * f[p + "norm.weight"]
        x, z = (u @ f[p + "mixer.in_proj.weight"].T + f.get(p + "mixer.in_proj.bias", 0)).split(di, dim=-1)
        padded = torch.cat([torch.zeros(k - 1, di, dtype=torch.float64), x])
        conv = f[p + "mixer.conv1d.weight"][:, 0, :]  # [di, k], tap k-1 on the newest row
        x = torch.stack([(padded[t:t + k].T * conv).sum(-1) for t in range(length)]) + f.get(p + "mixer.conv1d.bias", 0)
        x = x * torch.sigmoid(x)
        dt, b, c = (x @ f[p + "mixer.x_proj.weight"].T).split([r, n, n], dim=-1)
        if mixer_eps is not None:  # FalconMamba's one change
            dt, b, c = rms(dt, mixer_eps), rms(b, mixer_eps), rms(c, mixer_eps)
        delta = torch.nn.functional.softplus(dt @ f[p + "mixer.dt_proj.weight"].T + f[p + "mixer.dt_proj.bias"])
        a = -torch.exp(f[p + "mixer.A_log"])
        state = torch.zeros(di, n, dtype=torch.float64)
        ys = []
        for t in range(length):
            state = torch.exp(delta[t, :, None] * a) * state + delta[t, :, None] * b[t][None, :] * x[t, :, None]
            ys.append(state @ c[t] + f[p + "mixer.D"] * x[t])
        y = torch.stack(ys) * (z * torch.sigmoid(z))
        h = h + y @ f[p + "mixer.out_proj.weight"].T + f.get(p + "mixer.out_proj.bias", 0)
    head = f.get("lm_head.weight", f["backbone.embeddings.weight"])
    return (rms(h, eps) * f["backbone.norm_f.weight"]) @ head.T


def greedy(config, w, prompt, count):
    ids = list(prompt)
    for _ in range(count):
        nxt = int(logits_of(config, w, ids)[-1].argmax())
        ids.append(nxt)
        if nxt == config["eos_token_id"]:
            break
    return ids


def write_safetensors(path, tensors):
    codes = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    raw = Path(path).read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    types = {"F32": torch.float32, "I64": torch.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + size + a:8 + size + b]), dtype=types[info["dtype"]]).reshape(info["shape"])
    return out


def make(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    w = weights(CONFIG, SEED)
    (out / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    write_safetensors(out / "model.safetensors", w)
    g = torch.Generator().manual_seed(SEED + 1)
    tensors, cases, margin = {}, [], math.inf
    for i, (prompt_len, count) in enumerate(CASES):
        # Prompts avoid the EOS id, as the shared references' do.
        prompt = (torch.randint(1, CONFIG["vocab_size"], (prompt_len,), generator=g)).tolist()
        ids = greedy(CONFIG, w, prompt, count)
        logits = logits_of(CONFIG, w, ids)
        top2 = logits[prompt_len - 1:].topk(2, dim=-1).values
        margin = min(margin, float((top2[:, 0] - top2[:, 1]).min()))
        tensors[f"case{i}.input_ids"] = torch.tensor(ids, dtype=torch.int64)
        tensors[f"case{i}.logits"] = logits.to(torch.float32)
        cases.append({"case": i, "prompt_len": prompt_len, "generated": count, "total_len": len(ids)})
    write_safetensors(out / "reference.safetensors", tensors)
    (out / "reference.json").write_text(json.dumps({
        "model": out.name,
        "dtype_of_reference": "float64 compute, stored float32",
        "producer": f"scripts/reference/falcon_mamba_fixture.py (its own float64 FalconMamba), torch {torch.__version__}",
        "logits_cover": "every position of input_ids (prompt followed by the greedy continuation)",
        "smallest_greedy_margin": margin,
        "cases": cases,
    }, indent=1) + "\n")
    print(f"wrote {out}: {len(cases)} cases, smallest greedy top-1 margin {margin:.3g}")


def check(fixture_dir):
    from transformers import FalconMambaForCausalLM
    import transformers

    d = Path(fixture_dir)
    model = FalconMambaForCausalLM.from_pretrained(d, dtype=torch.float64).eval()
    ref = read_safetensors(d / "reference.safetensors")
    cases = json.loads((d / "reference.json").read_text())["cases"]
    worst, ok = 0.0, True
    with torch.no_grad():
        for c in cases:
            ids = ref[f"case{c['case']}.input_ids"]
            theirs = model(ids[None, :]).logits[0]
            diff = float((theirs - ref[f"case{c['case']}.logits"].to(torch.float64)).abs().max())
            same = bool((theirs[c["prompt_len"] - 1:-1].argmax(-1) == ids[c["prompt_len"]:]).all())
            print(f"case {c['case']}: {len(ids)} tokens, max |transformers - reference| {diff:.3g}, greedy tokens {'equal' if same else 'DIFFER'}")
            worst, ok = max(worst, diff), ok and same
    print(f"transformers {transformers.__version__}, torch {torch.__version__}: worst {worst:.3g}")
    return 0 if ok and worst <= 1e-5 else 1


def selftest(dirs):
    worst = 0.0
    for d in map(Path, dirs):
        config = json.loads((d / "config.json").read_text())
        w = read_safetensors(d / "model.safetensors")
        ref = read_safetensors(d / "reference.safetensors")
        for c in json.loads((d / "reference.json").read_text())["cases"]:
            ids = ref[f"case{c['case']}.input_ids"].tolist()
            diff = float((logits_of(config, w, ids) - ref[f"case{c['case']}.logits"].to(torch.float64)).abs().max())
            print(f"{d.name} case {c['case']}: {len(ids)} tokens, max |reference - transformers| {diff:.3g}")
            worst = max(worst, diff)
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    modes = {"make": lambda a: make(a[0]), "check": lambda a: check(a[0]), "selftest": selftest}
    if len(sys.argv) < 3 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    sys.exit(modes[sys.argv[1]](sys.argv[2:]))
