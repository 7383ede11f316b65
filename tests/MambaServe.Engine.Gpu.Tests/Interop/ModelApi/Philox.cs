namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>Philox-4x32-10 (Random123), written from the paper for the tests: the sampler's expected draws.</summary>
internal static class Philox
{
    public static uint[] Generate(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (var round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += 0x9E3779B9u;
                k1 += 0xBB67AE85u;
            }
            var p0 = 0xD2511F53ul * c0;
            var p1 = 0xCD9E8D57ul * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        return [c0, c1, c2, c3];
    }

    /// <summary>The documented Gumbel noise of (seed, position, token): counter (position, token / 4), word token % 4.</summary>
    public static float Gumbel(ulong seed, int position, int token)
    {
        var word = Generate((uint)position, (uint)token >> 2, 0, 0, (uint)seed, (uint)(seed >> 32))[token & 3];
        var u = ((word >> 9) + 0.5f) * (1f / 8388608f);
        return (float)-Math.Log(-Math.Log(u));
    }
}
