using System.Text.Json;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;
using static MambaServe.Server.Tests.OpenAi.Chat.Templates.ChatMessages;

namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>What the server hands a model's template (transformers' apply_chat_template globals) and how failures surface.</summary>
public sealed class ModelChatTemplateTests
{
    private static readonly Dictionary<string, string> s_tokens = new() { ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>", ["pad_token"] = "<pad>" };

    private static string Render(string template, IReadOnlyList<ChatMessage?> messages, bool addGenerationPrompt = true, TimeProvider? time = null) =>
        ModelChatTemplate.Parse(template, s_tokens, time).Render(messages, addGenerationPrompt);

    [Fact]
    public void Render_Globals_SpecialTokensFlagAndNoTools()
    {
        var text = Render("{{ bos_token }}|{{ eos_token }}|{{ unk_token }}|{{ pad_token }}|{{ sep_token is defined }}|{{ add_generation_prompt }}|{{ tools is none }}|{{ documents is none }}",
            [Msg("user", "x")], addGenerationPrompt: false);

        Assert.Equal("<s>|</s>|<unk>|<pad>|False|False|True|True", text);
    }

    [Fact]
    public void Render_Messages_RoleContentAndNameOnlyWhenGiven()
    {
        var name = $"ann{Random.Shared.Next(1000)}";

        var text = Render("{% for m in messages %}{{ m.role }}:{{ m.content }}:{{ m.name is defined }}:{{ m.name }};{% endfor %}{{ messages[0] | tojson }}",
            [Msg("user", "hi", name), Msg("assistant", null), Msg("user", "x")]);

        Assert.Equal($"user:hi:True:{name};assistant::False:;user:x:False:;{{\"role\": \"user\", \"content\": \"hi\", \"name\": \"{name}\"}}", text);
    }

    [Fact]
    public void Render_ContentParts_JoinedAsForTheDefaultTemplate()
    {
        var parts = JsonSerializer.SerializeToElement(new[] { new { type = "text", text = "Hello " }, new { type = "text", text = "world" } });

        Assert.Equal("[Hello world]", Render("{% for m in messages %}[{{ m.content }}]{% endfor %}", [new ChatMessage { Role = "user", Content = parts }]));
    }

    [Fact]
    public void Render_AnyRole_IsLeftToTheTemplate()
    {
        Assert.Equal("ipython", Render("{{ messages[0].role }}", [Msg("ipython", "out")]));
    }

    [Theory]
    [InlineData(false, "messages must be a non-empty array.")]
    [InlineData(true, "messages[1] must be an object with a role and content.")]
    public void Render_EmptyOrNullMessage_Is400(bool withNull, string expected)
    {
        List<ChatMessage?> messages = withNull ? [Msg("user", "a"), null] : [];

        var error = Assert.Throws<ApiException>(() => Render("{{ messages }}", messages));

        Assert.Equal(400, error.Status);
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Render_RuntimeError_Is400NamingTheTemplateLine()
    {
        var error = Assert.Throws<ApiException>(() => Render("{% for m in messages %}\n{{ m.content + 1 }}{% endfor %}", [Msg("user", "a")]));

        Assert.Equal(400, error.Status);
        Assert.Equal("messages", error.Param);
        Assert.Equal("chat template error: line 2: can only concatenate str (not \"int\") to str", error.Message);
    }

    [Fact]
    public void Render_RaiseException_Is400WithTheTemplatesWords()
    {
        var error = Assert.Throws<ApiException>(() => Render("{{ raise_exception('Only ' ~ messages | length ~ ' message') }}", [Msg("user", "a")]));

        Assert.Equal(400, error.Status);
        Assert.Equal("chat template error: Only 1 message", error.Message);
    }

    [Fact]
    public void Render_StrftimeNow_UsesTheClock()
    {
        var time = new FixedTime(new DateTimeOffset(2024, 7, 6, 9, 5, 3, TimeSpan.Zero));

        var text = Render("{{ strftime_now('%d %b %Y, %A %-d %B %H:%M:%S %y %j %p %%') }}", [Msg("user", "a")], time: time);

        Assert.Equal("06 Jul 2024, Saturday 6 July 09:05:03 24 188 AM %", text);
    }

    [Fact]
    public void Parse_BrokenTemplate_OneLineNamingTheTemplateLine()
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelChatTemplate.Parse("{% for m in messages %}\n{{ m.content }}\n{% endif %}", s_tokens));

        Assert.Equal("The model's chat_template is not a template this server can run: line 3: unexpected 'endif' inside the 'for' tag on line 1", error.Message);
    }

    [Fact]
    public void FromTokenizer_NoTemplate_IsNull()
    {
        Assert.Null(ModelChatTemplate.FromTokenizer(null));
        Assert.Null(ModelChatTemplate.FromTokenizer(Infrastructure.DemoTokenizer.Instance));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
