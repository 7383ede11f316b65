using System.Text;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>One generated request: what it is (for a reproducible failure message) and its raw bytes.</summary>
public sealed record HostileRequest(string Kind, string Method, string Path, string? ContentType, byte[] Body)
{
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Body);
        var preview = text.Length > 600 ? $"{text[..600]}… ({Body.Length} bytes)" : text;
        return $"{Kind}: {Method} {Path} [{ContentType ?? "no Content-Type"}] {preview}";
    }
}
