namespace SanReid.Trainer.Export.Quantization;

/// <summary>The quantized model does not agree with its fp32 source well enough (<see cref="QuantizationAgreement"/>);
/// no model file is written. The message names every failed check with its figure.</summary>
public sealed class QuantizationAgreementException(string message) : Exception(message);
