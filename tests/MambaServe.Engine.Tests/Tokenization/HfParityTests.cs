using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Engine.Tests.Sampling;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Tokenization;

/// <summary>Agreement with HF tokenizers on ids that HF itself produced (the demo references' prompts).</summary>
public sealed class HfParityTests
{
    [Fact]
    public void Encode_DecodedReferencePrompts_ReproducesHfIds()
    {
        var tokenizer = MambaTokenizer.TryLoad(TestPaths.DemoModel)!;
        var reference = DemoReference.Load();

        var cases = DemoReference.Cases().ToArray();
        foreach (var (c, promptLength, _) in cases)
        {
            var prompt = reference.InputIds(c)[..promptLength];

            Assert.Equal(prompt, tokenizer.Encode(tokenizer.Decode(prompt)));
        }
        Assert.True(cases.Length >= 3);
    }
}
