namespace MambaServe.Server.OpenAi.Chat.Templates;

/// <summary>
/// How a template is lexed and rendered. <see cref="TrimBlocks"/> and <see cref="LstripBlocks"/> are Jinja's
/// environment flags of the same names (transformers sets both for chat templates); <see cref="MaxOutputChars"/>
/// bounds what one render may produce, so a template (or a hostile conversation fed to it) cannot exhaust memory.
/// </summary>
public sealed record TemplateOptions(bool TrimBlocks = false, bool LstripBlocks = false, int MaxOutputChars = 1 << 25)
{
    /// <summary>The environment transformers' apply_chat_template compiles chat templates in.</summary>
    public static TemplateOptions HuggingFace { get; } = new(TrimBlocks: true, LstripBlocks: true);
}
