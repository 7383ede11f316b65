using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>Logits rows against a float64 reference case (max abs error 1e-3, tests/fixtures/README.md).</summary>
internal static class ReferenceRows
{
    public const float Tolerance = 1e-3f;

    /// <summary>Models whose references the msv_model tests use (tiny-a-original is tiny-a's weights again).</summary>
    public static readonly string[] Models = ["tiny-a", "tiny-b", "demo", "falcon-tiny"];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var model in Models)
            foreach (var c in ReferenceSet.Cases(model))
                data.Add(model, c.Index);
        return data;
    }

    public static RefModel Load(string model, int slots = 8) =>
        RefModel.FromCheckpoint(Checkpoints.Load(ReferenceSet.ModelDir(model)), slots);

    /// <summary>rows of <paramref name="logits"/> (width wide) equal the case's rows from firstRow on.</summary>
    public static void AssertMatch(ReferenceCase c, ReadOnlySpan<float> logits, int width, int firstRow, int rows) =>
        c.AssertRowsWithin(logits, width, firstRow, rows, Tolerance);
}
