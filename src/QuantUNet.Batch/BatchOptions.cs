namespace QuantUNet.Batch;

/// <summary>Where the batch queue lives and how its storage behaves; bound from the configuration section <see cref="Section"/>.</summary>
public sealed class BatchOptions
{
    /// <summary>The configuration section these options are read from (<c>Batch__InvisibilityTimeout</c> as an environment variable).</summary>
    public const string Section = "Batch";

    /// <summary>The name of the connection string in <c>ConnectionStrings</c> (<c>ConnectionStrings__QuantUNetBatch</c> as an environment variable).</summary>
    public const string ConnectionStringName = "QuantUNetBatch";

    /// <summary>The PostgreSQL connection string (never logged). Default empty: read from the connection string <c>QuantUNetBatch</c> when registered from configuration.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// How long a job fetched by a worker stays invisible to others: a worker killed mid-job has its job picked up by
    /// another after this long. Hangfire.PostgreSql's default, 30 minutes; a scan takes well under a second.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often an idle worker polls the queue. Default 1 second.</summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts after the first before a job is marked failed (Hangfire's automatic retries). Default 3.</summary>
    public int RetryAttempts { get; set; } = 3;

    /// <summary>The wait before each retry. Default 30 seconds.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Scans a worker process scores at once (Hangfire worker threads; 0: one per core).</summary>
    public int WorkerThreads { get; set; }
}
