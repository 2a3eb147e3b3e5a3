using TorchSharp;
using static TorchSharp.torch;

namespace SanReid.Trainer.Training;

/// <summary>The <c>--device cpu|cuda</c> option.</summary>
public static class DeviceOption
{
    /// <summary>Parses the device name.</summary>
    /// <exception cref="TrainingConfigException">Unknown name, or cuda without a CUDA build of libtorch (the message says how to get one).</exception>
    public static Device Parse(string name)
    {
        switch (name.ToLowerInvariant())
        {
            case "cpu":
                return CPU;
            case "cuda":
                if (!cuda.is_available())
                {
                    throw new TrainingConfigException(
                        "--device cuda: libtorch reports no CUDA device. This build references TorchSharp-cpu; reference " +
                        "TorchSharp-cuda-linux instead (docs/training.md) on a machine with an NVIDIA GPU and driver.");
                }

                return CUDA;
            default:
                throw new TrainingConfigException($"--device must be cpu or cuda, got '{name}'.");
        }
    }
}
