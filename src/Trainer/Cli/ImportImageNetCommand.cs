using System.CommandLine;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Cli;

/// <summary><c>import-imagenet</c>: the packaged ImageNet ResNet-18 (ONNX) as SA-Enc resnet18 safetensors.</summary>
internal static class ImportImageNetCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out")
        {
            Description = "Safetensors file to write (PyTorch keys: conv1.weight, layer4.2.bn2.running_var, fc.0.weight, ...).",
            Required = true,
        };
        var onnx = new Option<FileInfo?>("--onnx")
        {
            Description = $"ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18 (default: the restored package, or ${PackagedImageNetModel.EnvironmentVariable}).",
        };
        var seed = new Option<long>("--seed") { Description = "Seed for the randomly initialised 512-d neck.", DefaultValueFactory = _ => 0 };

        var command = new Command("import-imagenet",
            "Map every initializer of the packaged ImageNet ResNet-18 ONNX onto the SA-Enc (resnet18, last stride 1), fold its BGR/mean-image input into conv1/bn1 for RGB ImageNet mean/std input, and save safetensors.");
        command.Options.Add(output);
        command.Options.Add(onnx);
        command.Options.Add(seed);
        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            var outPath = OutputPaths.RequireFile(parseResult.GetValue(output)!.FullName, "--out");
            var onnxPath = PackagedImageNetModel.ResolveResNet18(parseResult.GetValue(onnx)?.FullName);
            using var encoder = ImageNetInitialisation.ResNet18FromPackage(onnxPath, parseResult.GetValue(seed));
            ImageNetInitialisation.SaveSafetensors(encoder, outPath);
            Console.WriteLine($"Imported {onnxPath}");
            Console.WriteLine($"Saved SA-Enc {encoder.Backbone.Name()} ({encoder.state_dict().Count} tensors, neck seed {parseResult.GetValue(seed)}) to {outPath}");
            return 0;
        }));
        return command;
    }
}
