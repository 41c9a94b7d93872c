using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using QuantUNet.Data;
using QuantUNet.Integer.Format;

namespace QuantUNet.Batch;

/// <summary>
/// The Hangfire job: scores one scan of a batch with the integer engine, writes its mask (atomically, at the scan's own
/// size, named as <c>quantunet predict</c> names it) and then its result row. Hangfire runs a job at least once; the
/// result's key (model hash, scan hash, scan path) makes every further run a no-op or a rewrite of the same bytes.
/// </summary>
public sealed class ScanJob(BatchDatabase database, ScanModelCache models)
{
    /// <summary>Who scored a result: host and process, as the results table shows it.</summary>
    public static string WorkerName { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>Scores one scan and stores its mask and result; a no-op when the result is already stored.</summary>
    /// <param name="batchId">The batch the scan was submitted in.</param>
    /// <param name="scanPath">The scan's path relative to the batch's input root.</param>
    /// <param name="scanHash">SHA-256 of the scan as submitted; a scan changed since is refused.</param>
    /// <param name="cancellation">Hangfire's cancellation (server shutdown or job deletion).</param>
    /// <exception cref="InvalidDataException">The scan or the model changed since submission, or cannot be read.</exception>
    [DisplayName("score {1}")]
    public async Task ScoreAsync(Guid batchId, string scanPath, string scanHash, CancellationToken cancellation)
    {
        var batch = await models.BatchAsync(batchId, cancellation);
        if (await database.HasResultAsync(batch.ModelHash, scanHash, scanPath, cancellation)) return;

        var file = Path.Combine(batch.InputRoot, scanPath);
        var bytes = await File.ReadAllBytesAsync(file, cancellation);
        if (ContentHash.Of(bytes) != scanHash)
            throw new InvalidDataException($"{file}: changed since the batch was submitted (its SHA-256 differs); submit it again.");
        var model = models.Model(batch);
        cancellation.ThrowIfCancellationRequested();

        var clock = Stopwatch.StartNew();
        var pixels = ImageFile.ReadImage(file, model.InputChannels, ImageSize.Square(model.Side)).Pixels;
        var mask = new byte[model.Side * model.Side];
        model.Engine.Predict(pixels, model.Side, model.Side, mask);
        var original = ImageFile.ReadImage(file, channels: 1);
        var maskPath = PredictedMask.PathFor(batch.OutDirectory, scanPath);
        // A worker killed mid-write leaves a temporary sibling; this run of its job clears it.
        AtomicFile.DeleteUnfinishedWrites(maskPath);
        var fullSize = PredictedMask.Write(maskPath, mask, model.Side, original.Height, original.Width);
        clock.Stop();

        long foreground = fullSize.Count(pixel => pixel != 0);
        await database.InsertResultAsync(new ScanResult(scanPath, scanHash, batch.ModelHash, maskPath, foreground,
            (double)foreground / fullSize.Length, clock.Elapsed.TotalMilliseconds, WorkerName), cancellation);
    }
}

/// <summary>A worker's batches and models, each read once and kept: a model is loaded on its first scan and checked against the hash its batch was submitted with.</summary>
public sealed class ScanModelCache(BatchDatabase database)
{
    private readonly ConcurrentDictionary<Guid, BatchRecord> _batches = new();
    private readonly ConcurrentDictionary<string, Lazy<ScanModel>> _models = new();

    /// <summary>The batch with id <paramref name="id"/>, read from the database once and then kept.</summary>
    /// <param name="id">The batch id.</param>
    /// <param name="cancellation">Cancels the database call.</param>
    /// <exception cref="InvalidOperationException">No such batch in the batch table.</exception>
    public async Task<BatchRecord> BatchAsync(Guid id, CancellationToken cancellation)
    {
        if (_batches.TryGetValue(id, out var known)) return known;
        var batch = await database.FindBatchAsync(id, cancellation) ?? throw new InvalidOperationException($"batch {id}: not in the batch table.");
        return _batches.GetOrAdd(id, batch);
    }

    /// <summary>The batch's model, loaded on first use and kept.</summary>
    /// <param name="batch">The batch whose model to return.</param>
    /// <exception cref="InvalidDataException">The model file changed since the batch was submitted (its SHA-256 differs).</exception>
    public ScanModel Model(BatchRecord batch)
    {
        var model = _models.GetOrAdd(batch.ModelHash, _ => new Lazy<ScanModel>(() => ScanModel.Load(batch.ModelPath), LazyThreadSafetyMode.PublicationOnly)).Value;
        if (model.Hash == batch.ModelHash) return model;
        _models.TryRemove(batch.ModelHash, out _);
        throw new InvalidDataException($"{batch.ModelPath}: changed since batch {batch.Id} was submitted (its SHA-256 differs).");
    }
}
