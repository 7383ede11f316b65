using MambaServe.Engine.Tokenization;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>The demo model's tokenizer, loaded once for all tests (it is immutable and thread-safe).</summary>
public static class DemoTokenizer
{
    private static readonly Lazy<MambaTokenizer> s_instance = new(() => MambaTokenizer.TryLoad(TestPaths.DemoModel)!);

    public static MambaTokenizer Instance => s_instance.Value;
}
