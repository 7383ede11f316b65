using System.Globalization;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>Reads samples out of a Prometheus text exposition.</summary>
public static class Prometheus
{
    /// <summary>
    /// Scrapes <c>/metrics</c> until <paramref name="done"/> holds of the text, at most <paramref name="attempts"/> times
    /// more, 25 ms apart (the exporter caches a scrape briefly, and a request's metrics land once it has ended); returns
    /// the last text.
    /// </summary>
    public static async Task<string> ScrapeUntilAsync(HttpClient client, Func<string, bool> done, int attempts = 200)
    {
        var text = await client.GetStringAsync("/metrics");
        for (int i = 0; i < attempts && !done(text); i++)
        {
            await Task.Delay(25);
            text = await client.GetStringAsync("/metrics");
        }

        return text;
    }

    /// <summary>The sum of every sample of <paramref name="metric"/> whose labels include all of <paramref name="labels"/> (0 when none).</summary>
    public static double Sum(string exposition, string metric, params (string Name, string Value)[] labels)
    {
        double sum = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue;
            }

            int close = rest.StartsWith('{') ? rest.IndexOf('}', StringComparison.Ordinal) : -1;
            var labelText = close > 0 ? rest[..(close + 1)] : string.Empty;
            if (labels.All(l => labelText.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                var value = rest[(close + 1)..].Trim().Split(' ')[0];
                sum += double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}
