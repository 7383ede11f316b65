namespace MambaServe.Server.OpenAi.Chat.Templates;

/// <summary>
/// A template that cannot be parsed or failed while rendering. <see cref="Detail"/> is the bare reason,
/// <see cref="Line"/> the template line it happened on (0 while not yet known: evaluation helpers throw without a
/// line and the node that called them adds its own).
/// </summary>
public class TemplateException(string detail, int line = 0, Exception? inner = null)
    : Exception(line > 0 ? $"line {line}: {detail}" : detail, inner)
{
    public string Detail { get; } = detail;

    public int Line { get; } = line;

    /// <summary>The same error placed on <paramref name="line"/>.</summary>
    public virtual TemplateException AtLine(int line) => new(Detail, line, this);
}
