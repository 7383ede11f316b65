using MambaServe.Engine.Hosting;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Hosting;

/// <summary>The engine's text stream honours the request's skip_special_tokens and include_stop_str_in_output.</summary>
public sealed class DetokenizingTextStreamFactoryTests
{
    private static readonly MambaTokenizer Demo = MambaTokenizer.TryLoad(TestPaths.DemoModel)!;

    [Theory]
    [InlineData(false, "Hello<|endoftext|> world<|padding|>")]
    [InlineData(true, "Hello world")]
    public void Create_SkipSpecialTokens_LeavesSpecialTokensOutOfTheText(bool skip, string expected)
    {
        var ids = Demo.Encode("Hello<|endoftext|> world<|padding|>");
        Assert.Contains(0, ids);
        Assert.Contains(1, ids);
        var stream = new DetokenizingTextStreamFactory(Demo).Create(new SamplingParams { SkipSpecialTokens = skip });

        var text = string.Concat(ids.Select(id => stream.Push(id, mayStop: true).Delta)) + stream.Flush();

        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData(false, "The jury said ")]
    [InlineData(true, "The jury said that")]
    public void Create_IncludeStopStrInOutput_KeepsTheStopString(bool include, string expected)
    {
        var ids = Demo.Encode("The jury said that the dog ran");
        var stream = new DetokenizingTextStreamFactory(Demo).Create(new SamplingParams { Stop = ["that"], IncludeStopStrInOutput = include });

        var text = string.Empty;
        bool stopped = false;
        foreach (var id in ids)
        {
            var step = stream.Push(id, mayStop: true);
            text += step.Delta;
            if (step.Stopped)
            {
                stopped = true;
                break;
            }
        }

        Assert.True(stopped);
        Assert.Equal(expected, text);
    }
}
