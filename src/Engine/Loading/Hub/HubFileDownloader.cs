using System.Net;
using System.Net.Http.Headers;

namespace MambaServe.Engine.Loading.Hub;

/// <summary>
/// Fetches one file into the cache's blob folder through a <c>.incomplete</c> file, resuming with an HTTP Range
/// request from whatever an earlier (failed or interrupted) attempt left, and renaming only when complete.
/// </summary>
internal sealed class HubFileDownloader
{
    private const int BufferSize = 1 << 20;

    private readonly HubHttp _http;

    public HubFileDownloader(HubHttp http)
    {
        _http = http;
    }

    public async Task DownloadAsync(Uri url, string blobPath, string file, long? size,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blobPath)!);
        var incomplete = blobPath + ".incomplete";
        try
        {
            await _http.Retry.ExecuteAsync(
                async token => await DownloadOnceAsync(url, blobPath, file, size, progress, token).ConfigureAwait(false),
                ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (HubHttp.IsUnreachable(ex, ct))
        {
            throw new HubException(
                $"Downloading '{file}' from {url} failed after retries ({ex.Message}); the partial file " +
                $"'{incomplete}' is kept and the next attempt resumes it.", ex);
        }

        if (File.Exists(incomplete))
        {
            File.Move(incomplete, blobPath, overwrite: true);
        }
    }

    private async Task DownloadOnceAsync(Uri url, string blobPath, string file, long? size,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        // Another process may have finished the blob while this one waited to retry (its .incomplete was locked).
        if (File.Exists(blobPath))
        {
            return;
        }

        var incomplete = blobPath + ".incomplete";
        var done = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (size is { } expected && done == expected)
        {
            return;
        }

        if (size is { } limit && done > limit)
        {
            done = 0;
        }

        using var response = await _http.SendAsync(url, done > 0 ? new RangeHeaderValue(done, null) : null,
            $"File '{file}'", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The partial file is as long as (or longer than) the server's copy: start over on the next attempt.
            File.Delete(incomplete);
            throw new IOException($"Server refused to resume '{file}' at byte {done}; restarting it.");
        }

        var resumed = response.StatusCode == HttpStatusCode.PartialContent && done > 0;
        if (!resumed)
        {
            done = 0;
        }

        var total = size ?? (response.Content.Headers.ContentLength is { } length ? length + done : null);
        progress?.Report(new DownloadProgress(file, done, total));
        await using (var output = new FileStream(incomplete, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write,
                         FileShare.None, BufferSize, useAsync: true))
        {
            await using var input = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[BufferSize];
            int read;
            while ((read = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                done += read;
                progress?.Report(new DownloadProgress(file, done, total));
            }
        }

        if (total is { } want && done != want)
        {
            // A dropped connection can end the body early without an error; the retry resumes from here.
            throw new IOException($"Download of '{file}' ended at {done} of {want} bytes.");
        }
    }
}
