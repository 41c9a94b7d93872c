using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using QuantUNet.Batch;
using QuantUNet.Cli.Commands;

namespace QuantUNet.Cli.Batch;

/// <summary><c>quantunet batch</c>: scoring on a durable queue (Hangfire on PostgreSQL) that workers on any number of machines drain.</summary>
internal static class BatchCommand
{
    /// <summary>The exit code of <c>status</c> when any scan failed (1 stays the code of bad input).</summary>
    public const int FailedScansExitCode = 2;

    public static Command Create() => new("batch", "Batch scoring on a durable queue (Hangfire, PostgreSQL): submit scans, run workers on any machine that reaches the database and the shared folders, follow progress.")
    {
        Submit(), Worker(), Status(), DashboardCommand.Create(),
    };

    private static Command Submit()
    {
        var connection = BatchHost.ConnectionOption();
        var model = new Option<string>("--model") { Description = "The folder train wrote, its model.zip, a .qunet package or a .qint integer model (QuantU-Net: batch scoring runs the integer engine).", Required = true };
        var input = new Option<string>("--input") { Description = "An image file, a folder searched as predict searches it, or a text file listing scans (one a line, relative to its folder).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for NAME_mask.png (0/255, each scan's own size), mirroring the input's subfolders.", Required = true };
        var command = new Command("submit", "Enqueue one scoring job a scan, skipping scans that already have a result for this model; print the batch id.") { connection, model, input, output };
        command.SetAction(parse => BatchHost.Run(async () =>
        {
            using var host = BatchHost.Builder(parse.GetValue(connection)).Build();
            var submission = await host.Services.GetRequiredService<BatchClient>().SubmitAsync(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(output)!);
            Console.Error.WriteLine($"enqueued {submission.Enqueued} scans, skipped {submission.Skipped} already scored with this model");
            Console.WriteLine(submission.BatchId);
            return 0;
        }));
        return command;
    }

    private static Command Worker()
    {
        var connection = BatchHost.ConnectionOption();
        var threads = new Option<int>("--threads") { Description = "Scans scored at once (0: one per core).", DefaultValueFactory = _ => 0 };
        var command = new Command("worker", "Score queued scans until stopped; SIGTERM or Ctrl-C lets running scans finish (or returns them to the queue) before exiting.") { connection, threads };
        command.SetAction(parse => BatchHost.Run(async () =>
        {
            var builder = BatchHost.Builder(parse.GetValue(connection), options =>
            {
                if (parse.GetValue(threads) > 0) options.WorkerThreads = parse.GetValue(threads);
            });
            builder.Services.AddQuantUNetBatchWorker();
            using var host = builder.Build();
            await host.Services.GetRequiredService<BatchDatabase>().CreateTablesAsync();
            Console.Error.WriteLine($"worker {ScanJob.WorkerName}: scoring queued scans until stopped");
            await host.RunAsync();
            return 0;
        }));
        return command;
    }

    private static Command Status()
    {
        var connection = BatchHost.ConnectionOption();
        var batch = new Option<Guid?>("--batch") { Description = "The batch id submit printed (default: every batch)." };
        var wait = new Option<bool>("--wait") { Description = "Wait until no scan is queued or running, with a progress bar." };
        var command = new Command("status", $"Count the scans queued, running, done and failed, and list the failed ones with their reason; exit code {FailedScansExitCode} if any failed.") { connection, batch, wait };
        command.SetAction(parse => BatchHost.Run(async () =>
        {
            using var host = BatchHost.Builder(parse.GetValue(connection)).Build();
            var client = host.Services.GetRequiredService<BatchClient>();
            var batchId = parse.GetValue(batch);
            var status = await client.StatusAsync(batchId);
            if (parse.GetValue(wait) && !status.Finished)
                status = ConsoleProgress.Run("scoring", "scans", status.Total, progress =>
                {
                    int reported = 0;
                    while (true)
                    {
                        progress.Advance(status.Done + status.Failed - reported);
                        reported = status.Done + status.Failed;
                        if (status.Finished) return status;
                        Thread.Sleep(TimeSpan.FromSeconds(1));
                        status = client.StatusAsync(batchId).GetAwaiter().GetResult();
                    }
                });
            foreach (var failure in status.Failures) Console.WriteLine($"failed {failure.ScanPath}: {failure.Reason}");
            Console.WriteLine($"queued {status.Queued}, running {status.Running}, done {status.Done}, failed {status.Failed}");
            return status.Failed > 0 ? FailedScansExitCode : 0;
        }));
        return command;
    }
}
