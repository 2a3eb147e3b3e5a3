namespace SanReid.Trainer.Weights;

/// <summary>A weights file (ONNX, .pth, .safetensors) cannot be used: unreadable, unexpected structure, or keys/shapes
/// that do not match the module. The message names the file and the offending keys.</summary>
public sealed class WeightsFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="source"/> (a file path or description).</summary>
    public WeightsFormatException(string source, string message, Exception? inner = null)
        : base($"{source}: {message}", inner)
    {
        Source = source;
    }

    /// <summary>The file (or description) the weights came from.</summary>
    public new string Source { get; }
}
