namespace MambaServe.Engine.Loading.PyTorch;

/// <summary>
/// A storage that a <c>torch.save</c> pickle names by persistent id: the archive entry <c>data/{Key}</c> holding
/// <paramref name="ElementCount"/> little-endian values. <paramref name="DType"/> is null for storage types a Mamba
/// checkpoint never needs (anything but float, half and bfloat16); <paramref name="TypeName"/> names it for errors.
/// </summary>
internal sealed record PickledStorage(string Key, string TypeName, TensorDType? DType, long ElementCount);
