namespace SanReid.Trainer.Training;

/// <summary>Progress of one training step, for the console.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="Steps">Steps in the epoch.</param>
/// <param name="Lr">Encoder learning rate.</param>
/// <param name="Losses">Loss terms of this step.</param>
/// <param name="ImagesPerSecond">Throughput of the epoch so far.</param>
public sealed record StepReport(int Epoch, int Epochs, int Step, int Steps, double Lr, IReadOnlyDictionary<string, double> Losses, double ImagesPerSecond);
