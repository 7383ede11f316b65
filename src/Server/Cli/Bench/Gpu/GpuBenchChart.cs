using ScottPlot;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// The seed's figure redrawn (ScottPlot): seconds for a 1024-token prompt and 1024 generated tokens against the
/// batch size, ours (per state dtype) beside the peers: the recorded Hugging Face runs (Mamba-2.8b and GPT-Neo-2.7B
/// shapes, with their dates) and the estimate from this call's PyTorch decode peer. Log-2 batch axis.
/// </summary>
public static class GpuBenchChart
{
    public const string RecordedDates = "recorded on the H200 2026-11-28 and 2026-12-01";

    public static void Save(GpuBenchReport report, PeerResults peers, string path)
    {
        var plot = new Plot();
        foreach (var run in report.Runs)
        {
            var points = run.Seed.Where(f => f.Seconds is not null).ToList();
            Line(plot, points.Select(f => (f.Batch, f.Seconds!.Value)), $"MambaServe GPU, {run.State} state (this call)", MarkerShape.FilledCircle, LinePattern.Solid);
        }

        var failures = new List<PeerLine>();
        foreach (var group in peers.Of("generate").GroupBy(l => l.Peer))
        {
            Line(plot, group.Where(l => l.Seconds is not null).Select(l => (l.Batch, l.Seconds!.Value)), $"{group.Key}, {RecordedDates}", MarkerShape.OpenSquare, LinePattern.Dashed);
            failures.AddRange(group.Where(l => l.Error is not null));
        }

        var estimate = peers.SeedEstimate(report.Runs.FirstOrDefault()?.Seed.FirstOrDefault()?.GeneratedTokens ?? 1024);
        Line(plot, estimate, "PyTorch + CUDA graph peer: 1024 x its decode step + its HF prefill (estimate, this call)", MarkerShape.OpenTriangleUp, LinePattern.Dotted);

        plot.Title("Mamba-2.8b shape, 1024-token prompt + 1024 generated tokens (top_p 0.9, T 0.7)");
        plot.XLabel("batch size (concurrent requests)");
        plot.YLabel("seconds");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, 8).Select(i => new Tick(i, $"{1 << i}"))]);
        plot.Axes.AutoScale();
        double top = Math.Max(10, plot.Axes.GetLimits().Top * 1.05);
        plot.Axes.SetLimits(-0.4, 7.4, 0, top);
        for (int i = 0; i < failures.Count; i++)
        {
            // A run that failed (out of memory) has no time: say so where its point would be.
            var text = plot.Add.Text($"{ShortName(failures[i].Peer)} HF: {failures[i].Error} at batch {failures[i].Batch}", Math.Log2(failures[i].Batch) - 1.6, top * (0.95 - 0.05 * i));
            text.LabelFontSize = 12;
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1200, 700);
    }

    private static void Line(Plot plot, IEnumerable<(int Batch, double Seconds)> points, string label, MarkerShape marker, LinePattern pattern)
    {
        var list = points.OrderBy(p => p.Batch).ToList();
        if (list.Count == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(list.Select(p => Math.Log2(p.Batch)).ToArray(), list.Select(p => p.Seconds).ToArray());
        scatter.LegendText = label;
        scatter.MarkerShape = marker;
        scatter.MarkerSize = 8;
        scatter.LinePattern = pattern;
    }

    private static string ShortName(string peer) => peer.Split(' ')[0];
}
