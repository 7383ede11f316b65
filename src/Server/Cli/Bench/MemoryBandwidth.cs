using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// Measures the machine's sustained memory read bandwidth: a vectorised sum over a buffer far larger than the caches,
/// on every core, best of several passes. Decode at batch 1 is bound by reading the weights once per token, so this
/// is the yardstick for the decode benchmark.
/// </summary>
public static class MemoryBandwidth
{
    public static double MeasureReadGBps(long bytes = 1L << 30, int passes = 5)
    {
        var count = bytes / sizeof(float);
        var buffer = GC.AllocateUninitializedArray<float>(checked((int)count), pinned: true);
        for (long i = 0; i < count; i++) buffer[i] = i & 7;
        var threads = Environment.ProcessorCount;
        var best = double.MaxValue;
        var sink = 0f;
        for (var pass = 0; pass < passes; pass++)
        {
            var sw = Stopwatch.StartNew();
            var partial = new float[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var chunk = count / threads;
                var span = buffer.AsSpan((int)(t * chunk), (int)chunk);
                partial[t] = Sum(span);
            });
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            sink += partial.Sum();
        }
        GC.KeepAlive(sink);
        return bytes / best / 1e9;
    }

    private static float Sum(ReadOnlySpan<float> span)
    {
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(span);
        Vector<float> a = default, b = default, c = default, d = default;
        var i = 0;
        for (; i + 3 < vectors.Length; i += 4)
        {
            a += vectors[i];
            b += vectors[i + 1];
            c += vectors[i + 2];
            d += vectors[i + 3];
        }
        for (; i < vectors.Length; i++) a += vectors[i];
        return Vector.Sum(a + b + c + d);
    }
}
