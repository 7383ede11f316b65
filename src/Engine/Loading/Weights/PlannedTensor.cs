namespace MambaServe.Engine.Loading.Weights;

/// <summary>
/// One tensor of a checkpoint as the model uses it: its role, its layer (-1 for the model-level ones), its name in
/// the checkpoint and the shape the model sees (a conv weight stored [d_inner, 1, d_conv] is [d_inner, d_conv]).
/// <paramref name="PadVocabRows"/>: stored with the unpadded vocab's rows, zero rows to be appended.
/// </summary>
internal sealed record PlannedTensor(TensorRole Role, int Layer, string Name, long[] Shape, bool PadVocabRows);
