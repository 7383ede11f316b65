namespace MambaServe.Engine.Loading;

/// <summary>Receives the tensors of <see cref="IWeightSource.Stream"/>, one call per tensor.</summary>
public delegate void CheckpointTensorVisitor(CheckpointTensor tensor);
