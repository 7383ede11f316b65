using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu.Tests.Interop;

/// <summary>
/// The kernels' math written plainly with torch ops in float64, one batch entry at a time, as mambaserve.h states it.
/// </summary>
internal static class TorchReference
{
    public static Tensor Softplus(Tensor x) => torch.where(x > 20, x, x.exp().log1p());

    public static Tensor Silu(Tensor x) => x / (1 + (-x).exp());

    /// <summary>Sequential selective scan. u, delta, z: [L, D]; b, c: [L, N]; a, h0: [D, N]. Returns (y [L, D], h).</summary>
    public static (Tensor Y, Tensor H) Scan(
        Tensor u, Tensor delta, Tensor b, Tensor c, Tensor? z, Tensor a, Tensor? dSkip, Tensor? dtBias, bool softplus,
        Tensor h0)
    {
        var h = h0.clone();
        var ys = new List<Tensor>();
        for (long t = 0; t < u.shape[0]; t++)
        {
            var dt = dtBias is null ? delta[t] : delta[t] + dtBias;
            if (softplus)
            {
                dt = Softplus(dt);
            }

            h = ((dt.unsqueeze(1) * a).exp() * h) + ((dt * u[t]).unsqueeze(1) * b[t].unsqueeze(0));
            var y = (h * c[t].unsqueeze(0)).sum(1);
            if (dSkip is not null)
            {
                y = y + (dSkip * u[t]);
            }

            if (z is not null)
            {
                y = y * Silu(z[t]);
            }

            ys.Add(y);
        }

        return (torch.stack(ys), h);
    }

    /// <summary>Causal depthwise conv over [state, x]. x: [L, D]; state: [D, W-1]; weight [D, W]. Returns (out, state).</summary>
    public static (Tensor Out, Tensor State) Conv(Tensor x, Tensor state, Tensor weight, Tensor? bias, bool silu)
    {
        var width = weight.shape[1];
        var seq = torch.cat([state, x.t()], 1); // [D, W-1+L]
        var dim = weight.shape[0];
        var outT = torch.nn.functional.conv1d(seq.unsqueeze(0), weight.unsqueeze(1), bias, groups: dim)[0]; // [D, L]
        var result = outT.t();
        if (silu)
        {
            result = Silu(result);
        }

        return (result, seq.narrow(1, seq.shape[1] - (width - 1), width - 1));
    }

    /// <summary>residual += x; out = residual * rsqrt(mean(residual^2) + eps) * w. Rows [R, D].</summary>
    public static (Tensor Out, Tensor Residual) RmsNorm(Tensor? x, Tensor residual, Tensor weight, double eps)
    {
        var r = x is null ? residual : residual + x;
        var outT = r * (r.pow(2).mean([1], keepdim: true) + eps).rsqrt() * weight;
        return (outT, r);
    }
}
