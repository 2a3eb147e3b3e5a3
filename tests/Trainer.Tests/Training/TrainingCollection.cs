namespace SanReid.Trainer.Tests.Training;

/// <summary>
/// Training tests seed torch's global generator before building models; run in parallel with other tests, another
/// thread's draws would change the initial weights between seeding and use. This collection runs on its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "Training (torch global seed)";
}
