// Batch scoring from code: a generic host with the batch queue and workers as a hosted service.
// Usage: QuantUNet.Examples.BatchScoring MODEL INPUT OUT
// The connection string comes from ConnectionStrings:QuantUNetBatch (appsettings.json or ConnectionStrings__QuantUNetBatch).
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using QuantUNet.Batch;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: QuantUNet.Examples.BatchScoring MODEL INPUT OUT   (MODEL: a train folder, model.zip, .qunet package or .qint file that carries an integer model)");
    return 1;
}

var builder = Host.CreateApplicationBuilder();
builder.Services.AddQuantUNetBatch();       // Hangfire on PostgreSQL, the batch tables, BatchClient
builder.Services.AddQuantUNetBatchWorker(); // this process scores too; leave it out in an app that only submits
using var host = builder.Build();
await host.StartAsync();

var client = host.Services.GetRequiredService<BatchClient>();
var submission = await client.SubmitAsync(args[0], args[1], args[2]);
Console.WriteLine($"batch {submission.BatchId}: {submission.Enqueued} scans enqueued, {submission.Skipped} already scored");

BatchStatus status;
while (!(status = await client.StatusAsync(submission.BatchId)).Finished)
    await Task.Delay(TimeSpan.FromSeconds(1));
foreach (var failure in status.Failures) Console.WriteLine($"failed {failure.ScanPath}: {failure.Reason}");
Console.WriteLine($"done {status.Done}, failed {status.Failed}");

await host.StopAsync(); // running scans finish or return to the queue
return status.Failed > 0 ? 2 : 0;
