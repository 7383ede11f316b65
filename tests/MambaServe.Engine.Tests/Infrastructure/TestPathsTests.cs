namespace MambaServe.Engine.Tests.Infrastructure;

public class TestPathsTests
{
    [Fact]
    public void Fixtures_CopiedBesideTestBinary_Exist()
    {
        Assert.True(File.Exists(Path.Combine(TestPaths.Fixture("tiny-a"), "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(TestPaths.DemoModel, "tokenizer.json")));
    }
}
