namespace MambaServe.Server.OpenAi.Chat.Templates;

/// <summary>
/// The template itself refused to render (transformers' <c>raise_exception(msg)</c> global): <see cref="TemplateException.Detail"/>
/// is the template author's message, shown to the client as is.
/// </summary>
public sealed class TemplateRaisedException(string detail, int line = 0, Exception? inner = null) : TemplateException(detail, line, inner)
{
    public override TemplateException AtLine(int line) => new TemplateRaisedException(Detail, line, this);
}
