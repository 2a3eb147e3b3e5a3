namespace SanReid.Trainer.Export;

/// <summary>The exported graph's embeddings differ from TorchSharp's by more than the tolerance; no model file is left.</summary>
public sealed class ExportParityException(string message) : Exception(message);
