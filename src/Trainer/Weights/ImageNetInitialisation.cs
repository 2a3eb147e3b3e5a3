using SanReid.Trainer.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SanReid.Trainer.Weights;

/// <summary>Builds SA-Encs initialised from ImageNet weights (the packaged ResNet-18, or a user's ResNet-50 file).</summary>
public static class ImageNetInitialisation
{
    /// <summary>
    /// SA-Enc resnet18 with the packaged ImageNet weights, rewritten for SanReid's RGB ImageNet mean/std input
    /// (<see cref="ImageNetInputFold"/>); the neck is initialised from <paramref name="seed"/>.
    /// </summary>
    /// <param name="onnxPath">ResNet18.onnx; null resolves it with <see cref="PackagedImageNetModel.ResolveResNet18"/>.</param>
    /// <param name="seed">Seed of torch's generator for the neck (and classifier) initialisation.</param>
    /// <param name="numClasses">Classifier identities; 0 for none.</param>
    /// <param name="lastStride">1 for SAN; 2 reproduces the original ImageNet network.</param>
    public static SaEncoder ResNet18FromPackage(string? onnxPath = null, long seed = 0, int numClasses = 0, int lastStride = 1)
    {
        var path = PackagedImageNetModel.ResolveResNet18(onnxPath);
        // The given file first: a broken ResNet18.onnx is reported as such, not as a missing preprocessing graph.
        var state = ResNet18OnnxImporter.ReadStateDict(path);
        try
        {
            var means = ImageNetInputFold.ReadChannelMeansBgr(PackagedImageNetModel.ResolvePreprocess(path));
            ImageNetInputFold.Apply(state, means);
            manual_seed(seed);
            var encoder = new SaEncoder(Backbone.ResNet18, numClasses, lastStride);
            StateDictFiles.LoadBackbone(encoder, state, path);
            return encoder;
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>
    /// SA-Enc resnet50 with a user's torchvision ImageNet ResNet-50 state_dict (<c>.pth</c> or <c>.safetensors</c>, RGB
    /// input with ImageNet mean/std as torchvision trains it); <c>fc.*</c> is ignored; the neck is initialised from
    /// <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="WeightsFormatException">Missing/unexpected keys or shapes; the message lists them.</exception>
    public static SaEncoder ResNet50FromFile(string path, long seed = 0, int numClasses = 0)
    {
        var state = StateDictFiles.Read(path);
        try
        {
            manual_seed(seed);
            var encoder = new SaEncoder(Backbone.ResNet50, numClasses);
            try
            {
                StateDictFiles.LoadBackbone(encoder, state, path);
            }
            catch
            {
                encoder.Dispose();
                throw;
            }

            return encoder;
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Saves every parameter and buffer of <paramref name="encoder"/> as safetensors with PyTorch keys.</summary>
    public static void SaveSafetensors(SaEncoder encoder, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        encoder.save_safetensors(path);
    }
}
