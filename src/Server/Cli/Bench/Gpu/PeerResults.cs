using System.Text.Json;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>One JSON line of bench/peers/peer_pytorch.py (or the recorded seed_experiment_peers_h200.jsonl).</summary>
public sealed record PeerLine(string What, string Peer, int Batch, double? MsPerStep, double? Seconds, double? PeakGiB, string? Error);

/// <summary>The peer figures a chart or table shows: the recorded Hugging Face runs and this call's peer decode.</summary>
public sealed record PeerResults(IReadOnlyList<PeerLine> Lines, double? FloorMs, double? CopyGBps)
{
    public static PeerResults Empty { get; } = new([], null, null);

    /// <summary>Every line of the given files that parses (other output of the scripts is skipped).</summary>
    public static PeerResults Read(IEnumerable<string?> files)
    {
        var lines = new List<PeerLine>();
        double? floor = null, copy = null;
        foreach (var file in files)
        {
            if (file is null || !File.Exists(file))
            {
                continue;
            }

            foreach (var text in File.ReadLines(file))
            {
                if (!text.TrimStart().StartsWith('{'))
                {
                    continue;
                }

                using var doc = JsonDocument.Parse(text);
                var o = doc.RootElement;
                string what = Str(o, "what") ?? "";
                if (what == "floor")
                {
                    floor = Num(o, "floor_ms_per_step_batch1");
                    copy = Num(o, "copy_GBps");
                    continue;
                }

                lines.Add(new PeerLine(what, Str(o, "peer") ?? "", (int)(Num(o, "batch") ?? 0), Num(o, "ms_per_step"), Num(o, "seconds"),
                    Num(o, "peak_GiB"), Str(o, "error")));
            }
        }

        return new PeerResults(lines, floor, copy);
    }

    public IEnumerable<PeerLine> Of(string what) => Lines.Where(l => l.What == what);

    /// <summary>
    /// The peer's time for the seed's experiment at the batch sizes where both its decode step and its prefill were
    /// measured: 1024 x ms/step + the prompt's forward. An estimate (its decode graph never ran 1024 steps end to end).
    /// </summary>
    public IReadOnlyList<(int Batch, double Seconds)> SeedEstimate(int generated)
    {
        var prefill = Of("prefill").Where(p => p.Seconds is not null).ToDictionary(p => p.Batch, p => p.Seconds!.Value);
        return [.. Of("decode_step").Where(d => d.MsPerStep is not null && prefill.ContainsKey(d.Batch))
            .Select(d => (d.Batch, generated * d.MsPerStep!.Value / 1000 + prefill[d.Batch])).OrderBy(p => p.Batch)];
    }

    private static string? Str(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Num(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
