using Microsoft.ML.OnnxRuntime;

namespace SanReid.Trainer.Tests;

/// <summary>Runs one float32 input through an ONNX file on ONNX Runtime's CPU provider (the reference side of parity tests).</summary>
internal static class OrtReference
{
    public static float[] Run(string modelPath, float[] input, long[] shape)
    {
        using var session = new InferenceSession(modelPath);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        var inputName = session.InputNames[0];
        using var outputs = session.Run(runOptions, [inputName], [value], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
