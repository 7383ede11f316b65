using Wire = MambaServe.Server.Grpc.V1;

namespace MambaServe.Server.Grpc;

/// <summary>The engine's token logprobs as the gRPC messages carry them (-9999 for a probability of 0, as REST writes it).</summary>
public static class GrpcLogprobs
{
    private const float Floor = -9999f;

    public static IEnumerable<Wire.TokenLogprob> Of(IReadOnlyList<Engine.Generation.TokenLogprob>? logprobs) =>
        (logprobs ?? []).Select(lp =>
        {
            var entry = new Wire.TokenLogprob { TokenId = lp.TokenId, Logprob = Finite(lp.Logprob ?? Floor) };
            entry.Top.AddRange(lp.Top.Select(t => new Wire.TopLogprob { TokenId = t.TokenId, Logprob = Finite(t.Logprob) }));
            return entry;
        });

    private static float Finite(float logprob) => float.IsFinite(logprob) ? Math.Max(logprob, Floor) : Floor;
}
