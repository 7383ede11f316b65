# Emits Wgmma<N> specializations (m64nNk16, bf16 in, fp32 accumulators, both operands K-major from shared memory)
# for probe_wgmma_wide.cuh:  python3 gen_wgmma.py 24 40 48 80 96 128 160 168 (after the header's first 7 lines).
import sys
Ns = [int(x) for x in sys.argv[1:]]
out = []
for n in Ns:
    r = n // 2
    regs = ",".join(f"%{i}" for i in range(r))
    cons = ", ".join(f'"+f"(d[{i}])' for i in range(r))
    out.append(f"""template <> struct Wgmma<{n}> {{
    __device__ static void run(float (&d)[{r}], uint64_t a, uint64_t b) {{
        asm volatile(MSV_WGMMA_HEAD({n}) "{{{regs}}}, %{r}, %{r+1}, p, 1, 1, 0, 0;\\n}}\\n"
                     : {cons}
                     : "l"(a), "l"(b));
    }}
}};""")
print("\n".join(out))
