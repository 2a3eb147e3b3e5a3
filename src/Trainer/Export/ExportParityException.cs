namespace SanReid.Trainer.Export;

/// <summary>
/// The exported model fails an export check: its embeddings differ from TorchSharp's by more than the tolerance (or by
/// NaN), or they are not finite, unit-length vectors. No model file is written.
/// </summary>
public sealed class ExportParityException(string message) : Exception(message);
