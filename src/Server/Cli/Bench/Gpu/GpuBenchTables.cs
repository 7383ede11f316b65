using Spectre.Console;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>The report as tables, with the peer's figures and the targets beside ours.</summary>
public static class GpuBenchTables
{
    public static void Write(GpuBenchReport report, PeerResults peers)
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 180);
        var peerStep = peers.Of("decode_step").Where(d => d.MsPerStep is not null).ToDictionary(d => d.Batch, d => d.MsPerStep!.Value);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(report.Checkpoint)}[/]: {report.Parameters / 1e9:F2} B parameters, {report.Bf16WeightBytes / 1e9:F2} GB in bf16" +
            (peers.FloorMs is { } floor ? $"; weight-read floor {floor:F3} ms per step (peer's device copy {peers.CopyGBps:F0} GB/s)" : ""));
        foreach (var run in report.Runs)
        {
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(run.Device)}[/]: loaded in {run.LoadSeconds:F1} s; host peak {run.HostPeakBytesAfterLoad / 1e9:F2} GB " +
                $"({run.HostPeakBytesAfterLoad / (double)report.Bf16WeightBytes:F2}x the bf16 weights; limit 1.5x); device in use {run.DeviceBytesInUseAfterLoad / 1e9:F2} GB");
            var decode = new Table().AddColumns("decode batch", "ms/step (median)", "mean", "tokens/s", "ms/step run ahead", "peer ms/step", "peer / ours");
            foreach (var d in run.Decode)
            {
                bool has = peerStep.TryGetValue(d.Batch, out var p);
                decode.AddRow($"{d.Batch}", $"{d.MsMedian:F3}", $"{d.MsMean:F3}", $"{d.TokensPerSecond:F0}", d.MsAhead is { } a ? $"{a:F3}" : "",
                    has ? $"{p:F3}" : "", has ? $"{p / d.MsMedian:F2}x" : "");
            }

            AnsiConsole.Write(decode);
            var prefill = new Table().AddColumns("prefill batch", "tokens each", "ms (median)");
            foreach (var p in run.Prefill)
            {
                prefill.AddRow($"{p.Batch}", $"{p.Tokens}", $"{p.MsMedian:F1}");
            }

            AnsiConsole.Write(prefill);
            var seed = new Table().AddColumns("seed experiment batch", "seconds", "peak device GB", "steps", "runner ms/step", "host ms/step", "note");
            foreach (var s in run.Seed)
            {
                seed.AddRow($"{s.Batch}", s.Seconds is { } sec ? $"{sec:F2}" : "", s.PeakDeviceBytes is { } b ? $"{b / 1e9:F2}" : "", $"{s.Steps}",
                    s.RunnerMsPerStep is { } r ? $"{r:F3}" : "", s.HostMsPerStep is { } h ? $"{h:F3}" : "", Markup.Escape(s.Note ?? ""));
            }

            AnsiConsole.Write(seed);
        }

        AnsiConsole.MarkupLine("Targets (issue 9): batch-1 decode <= 1.25x the floor; >= 40k tok/s at batch 256 (fp32 state), 50k (bf16); >= 5x the peer; " +
            "prefill 1024 < 20 ms (b1), < 250 ms (b16); seed experiment < 2 s (b1), 3 s (b32), 6 s (b128).");
    }
}
