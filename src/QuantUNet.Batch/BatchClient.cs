using Hangfire;
using Hangfire.States;
using Hangfire.Storage;
using Npgsql;

namespace QuantUNet.Batch;

/// <summary>What <see cref="BatchClient.SubmitAsync"/> did: the batch, the scans it enqueued and those it skipped because they already have a result for the model.</summary>
public sealed record BatchSubmission(Guid BatchId, int Enqueued, int Skipped);

/// <summary>A failed scan and Hangfire's reason (the last attempt's exception message).</summary>
public sealed record ScanFailure(Guid BatchId, string ScanPath, string Reason);

/// <summary>Counts of a batch's scans (or all batches') by state; <see cref="Failures"/> lists the failed ones.</summary>
public sealed record BatchStatus(int Queued, int Running, int Done, int Failed, IReadOnlyList<ScanFailure> Failures)
{
    /// <summary>All scans counted: queued, running, done and failed.</summary>
    public int Total => Queued + Running + Done + Failed;

    /// <summary>Nothing left to run: every scan is done or failed.</summary>
    public bool Finished => Queued == 0 && Running == 0;
}

/// <summary>Submits batches (one Hangfire job a scan) and reports their progress.</summary>
public sealed class BatchClient(BatchDatabase database, IBackgroundJobClient jobs, JobStorage storage)
{
    /// <summary>Jobs enqueued before their scans are recorded: a submit that dies leaves at most this many jobs outside the batch's status.</summary>
    private const int Chunk = 256;

    /// <summary>
    /// Enqueues one job a scan of <paramref name="input"/> (see <see cref="BatchInputs"/>), skipping the scans that already
    /// have a result for the model (same model hash, scan hash and path relative to the input root).
    /// </summary>
    public async Task<BatchSubmission> SubmitAsync(string model, string input, string outDirectory, CancellationToken cancellation = default)
    {
        var scanModel = ScanModel.Load(model);
        var inputs = BatchInputs.Find(input, outDirectory);
        await database.CreateTablesAsync(cancellation);
        var scored = await database.ScoredScansAsync(scanModel.Hash, cancellation);
        var batch = new BatchRecord(Guid.NewGuid(), scanModel.Path, scanModel.Hash, inputs.Root, Path.GetFullPath(outDirectory));
        await database.InsertBatchAsync(batch, cancellation);
        int enqueued = 0, skipped = 0;
        foreach (var chunk in inputs.RelativePaths.Chunk(Chunk))
        {
            var scans = new List<(string Path, string Hash, long JobId)>(chunk.Length);
            foreach (var scanPath in chunk)
            {
                var hash = ContentHash.Of(await File.ReadAllBytesAsync(Path.Combine(inputs.Root, scanPath), cancellation));
                if (scored.Contains((hash, scanPath)))
                {
                    skipped++;
                    continue;
                }
                var jobId = jobs.Enqueue<ScanJob>(job => job.ScoreAsync(batch.Id, scanPath, hash, CancellationToken.None));
                scans.Add((scanPath, hash, long.Parse(jobId, System.Globalization.CultureInfo.InvariantCulture)));
            }
            if (scans.Count > 0) await database.InsertScansAsync(batch.Id, scans, cancellation);
            enqueued += scans.Count;
        }
        return new BatchSubmission(batch.Id, enqueued, skipped);
    }

    /// <summary>The batch's counts (all batches' when <paramref name="batchId"/> is null), with the reasons of the failed scans.</summary>
    public async Task<BatchStatus> StatusAsync(Guid? batchId = null, CancellationToken cancellation = default)
    {
        try
        {
            return await ReadStatusAsync(batchId, cancellation);
        }
        catch (NpgsqlException)
        {
            // A restarted server leaves dead connections in the pool, which fail on first use: drop them and ask once more.
            database.ClearPool();
            return await ReadStatusAsync(batchId, cancellation);
        }
    }

    private async Task<BatchStatus> ReadStatusAsync(Guid? batchId, CancellationToken cancellation)
    {
        await database.CreateTablesAsync(cancellation);
        int queued = 0, running = 0, done = 0;
        var failed = new List<(Guid BatchId, string ScanPath, long JobId)>();
        foreach (var scan in await database.ScanStatesAsync(batchId, cancellation))
        {
            if (scan.Done) done++;
            else if (scan.JobState == ProcessingState.StateName) running++;
            else if (scan.JobState == FailedState.StateName || scan.JobState == DeletedState.StateName) failed.Add((scan.BatchId, scan.ScanPath, scan.JobId));
            else queued++; // enqueued, or scheduled for a retry
        }
        using var connection = storage.GetConnection();
        var failures = failed.Select(f => new ScanFailure(f.BatchId, f.ScanPath, Reason(connection, f.JobId))).OrderBy(f => f.ScanPath, StringComparer.Ordinal).ToList();
        return new BatchStatus(queued, running, done, failed.Count, failures);
    }

    private static string Reason(IStorageConnection connection, long jobId)
    {
        var state = connection.GetStateData(jobId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (state is null) return "no state recorded";
        return state.Data.TryGetValue("ExceptionMessage", out var message) ? message : state.Reason ?? state.Name;
    }
}
