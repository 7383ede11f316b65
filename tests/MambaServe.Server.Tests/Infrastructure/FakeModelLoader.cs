using MambaServe.Server.Hosting;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>Hands the server a prepared model, optionally only once <see cref="Release"/> is called (the "still loading" window).</summary>
public sealed class FakeModelLoader(IServedModel model, bool waitForRelease = false) : IModelLoader
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _release.TrySetResult();

    public async Task<IServedModel> LoadAsync(CancellationToken cancellationToken)
    {
        if (waitForRelease)
        {
            await _release.Task.WaitAsync(cancellationToken);
        }

        return model;
    }
}
