using Npgsql;
using NpgsqlTypes;

namespace QuantUNet.Batch;

/// <summary>A submitted batch: the model (path and hash), the input root its scan paths are relative to, and the output folder.</summary>
public sealed record BatchRecord(Guid Id, string ModelPath, string ModelHash, string InputRoot, string OutDirectory);

/// <summary>A scan's result: its mask file and figures. The key is (model hash, scan hash, scan path).</summary>
public sealed record ScanResult(string ScanPath, string ScanHash, string ModelHash, string MaskPath, long ForegroundPixels, double ForegroundFraction, double ScoringMilliseconds, string Worker);

/// <summary>
/// The tables batch scoring keeps beside Hangfire's, in the schema <see cref="Schema"/>: batches, their scans with the
/// Hangfire job of each, and the results. A result's key makes a retried or duplicated job's second insert a no-op.
/// </summary>
public sealed class BatchDatabase(NpgsqlDataSource dataSource)
{
    /// <summary>The schema of these tables.</summary>
    public const string Schema = "quantunet";

    /// <summary>The schema Hangfire.PostgreSql keeps its jobs in (its own default, set explicitly so that <see cref="ScanStatesAsync"/> can join it).</summary>
    public const string HangfireSchema = "hangfire";

    private const long SchemaLockKey = 0x5155_4e45_5442_4154; // "QUNETBAT": serialises table creation between processes

    /// <summary>Creates the schema and tables if they are missing; safe to call from several processes at once (an advisory lock serialises it).</summary>
    /// <param name="cancellation">Cancels the database calls.</param>
    public async Task CreateTablesAsync(CancellationToken cancellation = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        await Execute(connection, $"""
            select pg_advisory_xact_lock({SchemaLockKey});
            create schema if not exists {Schema};
            create table if not exists {Schema}.batch (
                id uuid primary key, model_path text not null, model_hash text not null,
                input_root text not null, out_dir text not null, submitted_utc timestamptz not null default now());
            create table if not exists {Schema}.batch_scan (
                batch_id uuid not null references {Schema}.batch (id), scan_path text not null, scan_hash text not null,
                job_id bigint not null, primary key (batch_id, scan_path));
            create table if not exists {Schema}.scan_result (
                model_hash text not null, scan_hash text not null, scan_path text not null, mask_path text not null,
                foreground_pixels bigint not null, foreground_fraction double precision not null,
                scoring_ms double precision not null, worker text not null, scored_utc timestamptz not null default now(),
                primary key (model_hash, scan_hash, scan_path));
            """, cancellation);
        await transaction.CommitAsync(cancellation);
    }

    /// <summary>Records a submitted batch: id, model path and hash, input root and output folder.</summary>
    /// <param name="batch">The batch to record.</param>
    /// <param name="cancellation">Cancels the database call.</param>
    public async Task InsertBatchAsync(BatchRecord batch, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand(
            $"insert into {Schema}.batch (id, model_path, model_hash, input_root, out_dir) values ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new() { Value = batch.Id });
        command.Parameters.Add(new() { Value = batch.ModelPath });
        command.Parameters.Add(new() { Value = batch.ModelHash });
        command.Parameters.Add(new() { Value = batch.InputRoot });
        command.Parameters.Add(new() { Value = batch.OutDirectory });
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>The batch with id <paramref name="id"/>, or null when there is none.</summary>
    /// <param name="id">The batch id <see cref="BatchClient.SubmitAsync"/> returned.</param>
    /// <param name="cancellation">Cancels the database call.</param>
    public async Task<BatchRecord?> FindBatchAsync(Guid id, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand($"select model_path, model_hash, input_root, out_dir from {Schema}.batch where id = $1");
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        return await reader.ReadAsync(cancellation) ? new BatchRecord(id, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)) : null;
    }

    /// <summary>Records the scans of a batch with their Hangfire job ids, in one statement.</summary>
    public async Task InsertScansAsync(Guid batchId, IReadOnlyList<(string Path, string Hash, long JobId)> scans, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand(
            $"insert into {Schema}.batch_scan (batch_id, scan_path, scan_hash, job_id) select $1, * from unnest($2::text[], $3::text[], $4::bigint[])");
        command.Parameters.Add(new() { Value = batchId });
        command.Parameters.Add(new() { Value = scans.Select(s => s.Path).ToArray() });
        command.Parameters.Add(new() { Value = scans.Select(s => s.Hash).ToArray() });
        command.Parameters.Add(new() { Value = scans.Select(s => s.JobId).ToArray() });
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>The (scan hash, scan path) pairs that already have a result for the model.</summary>
    public async Task<HashSet<(string Hash, string Path)>> ScoredScansAsync(string modelHash, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand($"select scan_hash, scan_path from {Schema}.scan_result where model_hash = $1");
        command.Parameters.Add(new() { Value = modelHash });
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var scored = new HashSet<(string, string)>();
        while (await reader.ReadAsync(cancellation)) scored.Add((reader.GetString(0), reader.GetString(1)));
        return scored;
    }

    /// <summary>Whether a result with this key (model hash, scan hash, scan path) is already stored.</summary>
    /// <param name="modelHash">SHA-256 of the model file, lower-case hex.</param>
    /// <param name="scanHash">SHA-256 of the scan file, lower-case hex.</param>
    /// <param name="scanPath">The scan's path relative to the batch's input root.</param>
    /// <param name="cancellation">Cancels the database call.</param>
    public async Task<bool> HasResultAsync(string modelHash, string scanHash, string scanPath, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand($"select 1 from {Schema}.scan_result where model_hash = $1 and scan_hash = $2 and scan_path = $3");
        command.Parameters.Add(new() { Value = modelHash });
        command.Parameters.Add(new() { Value = scanHash });
        command.Parameters.Add(new() { Value = scanPath });
        return await command.ExecuteScalarAsync(cancellation) is not null;
    }

    /// <summary>Inserts a result unless its key already has one (a duplicated job's result is the same mask).</summary>
    public async Task InsertResultAsync(ScanResult result, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand($"""
            insert into {Schema}.scan_result (model_hash, scan_hash, scan_path, mask_path, foreground_pixels, foreground_fraction, scoring_ms, worker)
            values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing
            """);
        command.Parameters.Add(new() { Value = result.ModelHash });
        command.Parameters.Add(new() { Value = result.ScanHash });
        command.Parameters.Add(new() { Value = result.ScanPath });
        command.Parameters.Add(new() { Value = result.MaskPath });
        command.Parameters.Add(new() { Value = result.ForegroundPixels });
        command.Parameters.Add(new() { Value = result.ForegroundFraction });
        command.Parameters.Add(new() { Value = result.ScoringMilliseconds });
        command.Parameters.Add(new() { Value = result.Worker });
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>The results of a batch's scans, by scan path.</summary>
    public async Task<IReadOnlyList<ScanResult>> ResultsAsync(Guid batchId, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand($"""
            select r.scan_path, r.scan_hash, r.model_hash, r.mask_path, r.foreground_pixels, r.foreground_fraction, r.scoring_ms, r.worker
            from {Schema}.batch_scan s join {Schema}.batch b on b.id = s.batch_id
            join {Schema}.scan_result r on r.model_hash = b.model_hash and r.scan_hash = s.scan_hash and r.scan_path = s.scan_path
            where s.batch_id = $1 order by r.scan_path
            """);
        command.Parameters.Add(new() { Value = batchId });
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var results = new List<ScanResult>();
        while (await reader.ReadAsync(cancellation))
            results.Add(new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetDouble(5), reader.GetDouble(6), reader.GetString(7)));
        return results;
    }

    /// <summary>
    /// Each scan of the batch (all batches when null) with its state: done when it has a result, otherwise its Hangfire
    /// job's state name (null if Hangfire has expired the job).
    /// </summary>
    public async Task<IReadOnlyList<(Guid BatchId, string ScanPath, long JobId, bool Done, string? JobState)>> ScanStatesAsync(Guid? batchId, CancellationToken cancellation = default)
    {
        await using var command = dataSource.CreateCommand($"""
            select s.batch_id, s.scan_path, s.job_id, r.scan_path is not null, j.statename
            from {Schema}.batch_scan s join {Schema}.batch b on b.id = s.batch_id
            left join {Schema}.scan_result r on r.model_hash = b.model_hash and r.scan_hash = s.scan_hash and r.scan_path = s.scan_path
            left join {HangfireSchema}.job j on j.id = s.job_id
            where $1::uuid is null or s.batch_id = $1
            """);
        command.Parameters.Add(new() { Value = (object?)batchId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var states = new List<(Guid, string, long, bool, string?)>();
        while (await reader.ReadAsync(cancellation))
            states.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetBoolean(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        return states;
    }

    /// <summary>Closes the pooled connections (after a server restart they are dead).</summary>
    public void ClearPool() => dataSource.Clear();

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellation);
    }
}
