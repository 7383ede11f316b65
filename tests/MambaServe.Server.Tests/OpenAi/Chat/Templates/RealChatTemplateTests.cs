using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.OpenAi.Chat.Templates;
using static MambaServe.Server.Tests.OpenAi.Chat.Templates.ChatMessages;

namespace MambaServe.Server.Tests.OpenAi.Chat.Templates;

/// <summary>
/// Chat templates of public chat models (tests/fixtures/chat-templates, see its README) rendered through the same
/// path as the server (<see cref="ModelChatTemplate"/>), against prompts written out by hand from each template's
/// semantics and the models' documented prompt formats.
/// </summary>
public sealed class RealChatTemplateTests
{
    private static readonly Dictionary<string, string> s_llamaTokens = new() { ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>" };

    private static string Render(string fixture, IReadOnlyList<ChatMessage?> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, string>? tokens = null) =>
        ModelChatTemplate.Parse(Fixture(fixture), tokens ?? new Dictionary<string, string>()).Render(messages, addGenerationPrompt);

    private static string Raised(string fixture, IReadOnlyList<ChatMessage?> messages, IReadOnlyDictionary<string, string>? tokens = null)
    {
        var error = Assert.Throws<ApiException>(() => Render(fixture, messages, addGenerationPrompt: true, tokens));
        Assert.Equal(400, error.Status);
        Assert.Equal("messages", error.Param);
        return error.Message;
    }

    [Fact]
    public void Zephyr_WithSystem_OneBlockPerMessageThenAssistantTag()
    {
        const string turns = "<|system|>\nYou are a pirate.</s>\n<|user|>\nHello!</s>\n<|assistant|>\nAhoy there.</s>\n<|user|>\nWhat is 2+2?</s>\n";

        Assert.Equal(turns + "<|assistant|>\n", Render("zephyr.jinja", WithSystem(), true, s_llamaTokens));
        Assert.Equal(turns, Render("zephyr.jinja", WithSystem(), false, s_llamaTokens));
    }

    [Fact]
    public void ChatMlHermes_RandomUserText_WrappedInImStartImEnd()
    {
        var text = $"question {Random.Shared.Next()} with\nnewline";

        var prompt = Render("chatml-hermes.jinja", [Msg("user", text)], true);

        Assert.Equal($"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void ChatMlHermes_WithoutSystem_KeepsContentAsIs()
    {
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n Hello <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
            Render("chatml-hermes.jinja", WithoutSystem(), true));
    }

    [Fact]
    public void Qwen2ChatMl_SystemDefaultOnlyWhenNoSystemMessage()
    {
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n Hello <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
            Render("qwen2-chatml.jinja", WithoutSystem(), true));
        Assert.Equal("<|im_start|>system\nYou are a pirate.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nAhoy there.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n",
            Render("qwen2-chatml.jinja", WithSystem(), false));
    }

    [Fact]
    public void Qwen25_NoTools_DefaultOrGivenSystemThenChatMl()
    {
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\n Hello <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
            Render("qwen2.5.jinja", WithoutSystem(), true));
        Assert.Equal("<|im_start|>system\nYou are a pirate.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nAhoy there.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            Render("qwen2.5.jinja", WithSystem(), true));
    }

    [Fact]
    public void Qwen25_ToolsAndToolCalls_JsonAndToolResponseBlocks()
    {
        var city = Jinja.Map(("type", "string"));
        var parameters = Jinja.Map(("type", "object"), ("properties", Jinja.Map(("city", city))), ("required", new List<object?> { "city" }));
        var function = Jinja.Map(("name", "get_weather"), ("description", "Get weather"), ("parameters", parameters));
        var tool = Jinja.Map(("type", "function"), ("function", function));
        var call = Jinja.Map(("type", "function"), ("function", Jinja.Map(("name", "get_weather"), ("arguments", Jinja.Map(("city", "Paris"))))));
        var messages = new List<object?>
        {
            Jinja.Map(("role", "user"), ("content", "Weather in Paris?")),
            Jinja.Map(("role", "assistant"), ("content", ""), ("tool_calls", new List<object?> { call })),
            Jinja.Map(("role", "tool"), ("content", "22C")),
        };

        var prompt = Jinja.RenderHf(Fixture("qwen2.5.jinja"), Jinja.Vars(("messages", messages), ("tools", new List<object?> { tool }), ("add_generation_prompt", true)));

        Assert.Equal(
            ChatMessages.QwenToolConversation,
            prompt);
    }

    [Fact]
    public void Qwen3_EarlierThinking_IsDroppedAndGenerationPromptAdded()
    {
        List<ChatMessage?> messages = [Msg("user", "Hi"), Msg("assistant", "<think>\nplan\n</think>\n\nHello!"), Msg("user", "Bye")];

        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
            Render("qwen3.jinja", messages, true));
    }

    [Fact]
    public void Qwen3_LastAssistantAfterTheLastQuery_KeepsItsThinking()
    {
        List<ChatMessage?> messages = [Msg("system", "Be brief."), Msg("user", "2+2?"), Msg("assistant", "<think>\nadd\n</think>\n\n4")];

        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\nadd\n</think>\n\n4<|im_end|>\n",
            Render("qwen3.jinja", messages, false));
    }

    [Fact]
    public void Qwen3_EnableThinkingFalse_AddsAnEmptyThinkBlock()
    {
        var messages = new List<object?> { Jinja.Map(("role", "user"), ("content", "Hi")) };

        var prompt = Jinja.RenderHf(Fixture("qwen3.jinja"), Jinja.Vars(("messages", messages), ("add_generation_prompt", true), ("enable_thinking", false)));

        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", prompt);
    }

    [Fact]
    public void Llama2_SystemFoldedIntoTheFirstInstruction()
    {
        Assert.Equal("<s>[INST] <<SYS>>\nYou are a pirate.\n<</SYS>>\n\nHello! [/INST] Ahoy there. </s><s>[INST] What is 2+2? [/INST]",
            Render("llama-2-chat.jinja", WithSystem(), true, s_llamaTokens));
        Assert.Equal("<s>[INST] Hi [/INST] Hello </s><s>[INST] Bye [/INST]", Render("llama-2-chat.jinja", WithoutSystem(), true, s_llamaTokens));
    }

    [Fact]
    public void Llama2_RolesNotAlternating_RaiseIsA400WithTheTemplatesMessage()
    {
        var message = Raised("llama-2-chat.jinja", [Msg("user", "a"), Msg("user", "b")], s_llamaTokens);

        Assert.Equal("chat template error: Conversation roles must alternate user/assistant/user/assistant/...", message);
    }

    [Fact]
    public void Llama3_HeadersTrimmedContentAndBosOnce()
    {
        var tokens = new Dictionary<string, string> { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|end_of_text|>" };

        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            Render("llama-3-instruct.jinja", WithoutSystem(), true, tokens));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a pirate.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nAhoy there.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>",
            Render("llama-3-instruct.jinja", WithSystem(), false, tokens));
    }

    [Fact]
    public void MistralV01_InstBlocksAndRoleErrors()
    {
        Assert.Equal("<s>[INST] Hi [/INST] Hello </s> [INST] Bye [/INST]", Render("mistral-instruct-v0.1.jinja", WithoutSystem(), true, s_llamaTokens));
        Assert.Equal("chat template error: Conversation roles must alternate user/assistant/user/assistant/...",
            Raised("mistral-instruct-v0.1.jinja", WithSystem(), s_llamaTokens));
        Assert.Equal("chat template error: Only user and assistant roles are supported!",
            Raised("mistral-instruct-v0.1.jinja", [Msg("user", "a"), Msg("tool", "b")], s_llamaTokens));
    }

    [Fact]
    public void Gemma_AssistantBecomesModelAndSystemIsRefused()
    {
        var tokens = new Dictionary<string, string> { ["bos_token"] = "<bos>", ["eos_token"] = "<eos>" };

        Assert.Equal("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n",
            Render("gemma-it.jinja", WithoutSystem(), true, tokens));
        Assert.Equal("chat template error: System role not supported", Raised("gemma-it.jinja", WithSystem(), tokens));
    }

    [Theory]
    [InlineData("zephyr.jinja")]
    [InlineData("chatml-hermes.jinja")]
    [InlineData("qwen2-chatml.jinja")]
    [InlineData("qwen2.5.jinja")]
    [InlineData("qwen3.jinja")]
    [InlineData("llama-2-chat.jinja")]
    [InlineData("llama-3-instruct.jinja")]
    [InlineData("mistral-instruct-v0.1.jinja")]
    [InlineData("gemma-it.jinja")]
    public void Parse_EveryFixture_ParsesWithTransformersOptions(string fixture)
    {
        Assert.NotNull(JinjaTemplate.Parse(Fixture(fixture), TemplateOptions.HuggingFace));
    }
}
