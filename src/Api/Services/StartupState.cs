namespace SanReid.Api.Services;

/// <summary>
/// Where background start-up is: <c>loading model</c>, <c>opening gallery</c> (<c>waiting for the gallery database</c>
/// while a shared PostgreSQL gallery cannot be reached), <c>warming up</c>, <c>ready</c> or <c>failed</c>. Until ready, <c>/health/ready</c> answers 503 and <c>/api/v1</c> endpoints 503 <c>not_ready</c>.
/// </summary>
public sealed class StartupState
{
    private volatile string _stage = "loading model";
    private volatile string? _failure;

    /// <summary>What clients are told after a failed start-up (the reason, which may name server paths, is only logged).</summary>
    public string PublicFailure => $"Start-up failed while {FailedStage}; see the server log.";

    /// <summary>The current stage.</summary>
    public string Stage => _stage;

    /// <summary>True once the model, model card and gallery are loaded and warmed up.</summary>
    public bool IsReady => _stage == "ready";

    /// <summary>Why start-up failed (for the log; may name server paths, so never sent to clients), or null.</summary>
    public string? Failure => _failure;

    /// <summary>The stage start-up failed in (<c>loading model</c>, <c>opening gallery</c>, <c>warming up</c>), or null.</summary>
    public string? FailedStage { get; private set; }

    /// <summary>Seconds from process start-up to ready (null until then).</summary>
    public double? SecondsToReady { get; private set; }

    internal void Enter(string stage) => _stage = stage;

    internal void SetReady(double seconds)
    {
        SecondsToReady = seconds;
        _stage = "ready";
    }

    internal void Fail(string reason)
    {
        FailedStage = _stage;
        _failure = reason;
        _stage = "failed";
    }
}
