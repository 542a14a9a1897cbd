using Praxis.IO;

namespace Praxis.Callbacks;

/// <summary>
/// Makes <c>Fit</c> survive interruptions, as Keras <c>BackupAndRestore</c>: at the end of every epoch it saves the
/// weights, the optimizer state, the global random generator's state and the epoch number to
/// <c>{backupDir}/backup.praxis</c> (crash-safely); when <c>Fit</c> starts and a backup exists, it restores all of that
/// and training continues from the epoch after the last finished one, exactly as if it had not stopped (same
/// shuffles, same optimizer moments). When training completes the backup is deleted (unless
/// <c>deleteCheckpoint</c> is false).
/// </summary>
/// <remarks>
/// Backups are taken per epoch (Keras' default <c>save_freq="epoch"</c>); an interruption loses at most the current
/// epoch. The model passed to the resumed <c>Fit</c> must have the same architecture and be compiled with the same
/// optimizer type.
/// </remarks>
public sealed class BackupAndRestore : Callback
{
    /// <summary>Creates the callback.</summary>
    public BackupAndRestore(string backupDir, bool deleteCheckpoint = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(backupDir);
        BackupDir = backupDir;
        DeleteCheckpoint = deleteCheckpoint;
    }

    /// <summary>The folder holding the backup.</summary>
    public string BackupDir { get; }

    /// <summary>Whether the backup is deleted when training completes.</summary>
    public bool DeleteCheckpoint { get; }

    /// <summary>The backup file.</summary>
    public string BackupPath => Path.Combine(BackupDir, "backup.praxis");

    /// <summary>The epoch training resumed from at the last <c>OnTrainBegin</c> (null when it started afresh).</summary>
    public int? ResumedFromEpoch { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        ResumedFromEpoch = null;
        if (!File.Exists(BackupPath)) return;
        int finished = ModelFile.RestoreCheckpoint(Model, BackupPath);
        ResumedFromEpoch = finished + 1;
        Model.ResumeEpoch = finished + 1;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Directory.CreateDirectory(BackupDir);
        ModelFile.SaveCheckpoint(Model, BackupPath, epoch);
    }

    /// <inheritdoc />
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        if (DeleteCheckpoint && File.Exists(BackupPath)) File.Delete(BackupPath);
    }
}
