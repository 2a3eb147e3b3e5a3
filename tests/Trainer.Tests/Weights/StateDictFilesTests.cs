using System.Collections;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Weights;

public sealed class StateDictFilesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-weights-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData(".pth")]
    [InlineData(".safetensors")]
    public void TorchvisionResNet50FileLoadsIntoTheBackboneAndFcIsIgnored(string extension)
    {
        var path = Path.Combine(folder, "resnet50" + extension);
        var saved = TorchvisionStyleResNet50(seed: 5);
        Write(path, saved);

        using var encoder = ImageNetInitialisation.ResNet50FromFile(path, seed: 9);
        var loaded = encoder.state_dict();

        foreach (var key in new[] { "conv1.weight", "layer3.5.bn2.running_var", "layer4.0.downsample.0.weight", "layer4.2.conv3.weight" })
        {
            Assert.True(loaded[key].allclose(saved[key], rtol: 0, atol: 0), $"{key} differs after loading");
        }

        Assert.Equal(new long[] { 512, 2048 }, loaded["fc.0.weight"].shape); // the neck, not ImageNet's 1000-way fc
    }

    [Fact]
    public void MissingKeyIsAClearError()
    {
        var path = Path.Combine(folder, "missing.safetensors");
        var state = TorchvisionStyleResNet50(seed: 1);
        state.Remove("layer2.1.bn3.weight");
        Write(path, state);

        var error = Assert.Throws<WeightsFormatException>(() => ImageNetInitialisation.ResNet50FromFile(path));

        Assert.Contains("missing 1 key(s): layer2.1.bn3.weight", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void UnexpectedKeyIsAClearError()
    {
        var path = Path.Combine(folder, "unexpected.pth");
        var state = TorchvisionStyleResNet50(seed: 1);
        state["layer5.0.conv1.weight"] = zeros(3);
        Write(path, state);

        var error = Assert.Throws<WeightsFormatException>(() => ImageNetInitialisation.ResNet50FromFile(path));

        Assert.Contains("unexpected 1 key(s): layer5.0.conv1.weight", error.Message);
    }

    [Fact]
    public void ResNet18WeightsAreRefusedForResNet50()
    {
        var path = Path.Combine(folder, "resnet18.safetensors");
        using (var r18 = new SaEncoder(Backbone.ResNet18))
        {
            r18.save_safetensors(path);
        }

        var error = Assert.Throws<WeightsFormatException>(() => ImageNetInitialisation.ResNet50FromFile(path));

        Assert.Contains("not a resnet50 state_dict", error.Message);
    }

    [Fact]
    public void UnknownExtensionIsRefused()
    {
        var path = Path.Combine(folder, "weights.onnx");
        File.WriteAllBytes(path, [1, 2, 3]);

        var error = Assert.Throws<WeightsFormatException>(() => StateDictFiles.Read(path));

        Assert.Contains("unknown weights format", error.Message);
    }

    [Theory]
    [InlineData(".pth")]
    [InlineData(".safetensors")]
    public void ABackboneWithAnInfIsRefusedNamingTheFileAndTheKey(string extension)
    {
        var path = Path.Combine(folder, "inf" + extension);
        var state = TorchvisionStyleResNet50(seed: 2);
        state["layer3.2.bn1.running_var"][7] = float.PositiveInfinity;
        Write(path, state);

        var error = Assert.Throws<WeightsFormatException>(() => ImageNetInitialisation.ResNet50FromFile(path));

        Assert.StartsWith(path, error.Message);
        Assert.Contains("'layer3.2.bn1.running_var' holds 1 non-finite value(s)", error.Message);
    }

    [Fact]
    public void ALegacyOrForeignPthIsNotBlamedOnTheOldPyTorchFormat()
    {
        var path = Path.Combine(folder, "notes.pth");
        File.WriteAllText(path, "{\"not\": \"a checkpoint\"}");

        var error = Assert.Throws<WeightsFormatException>(() => StateDictFiles.Read(path));

        Assert.Contains("not a readable state_dict", error.Message);
        Assert.DoesNotContain("old PyTorch format", error.Message);
    }

    [Fact]
    public void ASafetensorsHeaderLongerThanTheFileIsRefusedBeforeLibtorch()
    {
        var path = Path.Combine(folder, "truncated.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(1_000_000UL), .. "{}"u8.ToArray()]);

        var error = Assert.Throws<WeightsFormatException>(() => StateDictFiles.Read(path));

        Assert.Contains("header length 1000000 does not fit", error.Message);
    }

    // What torchvision's resnet50().state_dict() holds: backbone keys plus fc.weight [1000, 2048] and fc.bias.
    private static Dictionary<string, Tensor> TorchvisionStyleResNet50(long seed)
    {
        manual_seed(seed);
        using var encoder = new SaEncoder(Backbone.ResNet50);
        var state = encoder.state_dict()
            .Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value.detach().clone());
        state["fc.weight"] = randn(1000, 2048);
        state["fc.bias"] = randn(1000);
        return state;
    }

    private static void Write(string path, Dictionary<string, Tensor> state)
    {
        if (path.EndsWith(".pth", StringComparison.Ordinal))
        {
            PyTorchPickler.PickleStateDict(path, new Hashtable(state));
        }
        else
        {
            Safetensors.SaveStateDict(path, state);
        }
    }
}
