using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using QuantUNet.Data;

namespace QuantUNet.Batch.Tests;

[TestClass]
public sealed class RestartTests
{
    /// <summary>PostgreSQL stopped and started under two running workers: they reconnect, and the batch completes with one result a scan.</summary>
    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public async Task WorkersRideOutAPostgresRestartAndASecondSubmitIsANoOp()
    {
        const string database = "restart";
        const int scans = 300;
        var folder = Directory.CreateTempSubdirectory("quantunet-batch-restart").FullName;
        var workers = new List<Process>();
        try
        {
            string input = Path.Combine(folder, "in"), output = Path.Combine(folder, "out");
            BatchFixture.WriteScans(input, scans, seed: 21, ImageSize.Square(32));
            await using var services = BatchFixture.Services(database);
            var client = services.GetRequiredService<BatchClient>();
            var submission = await client.SubmitAsync(BatchFixture.RunFolder, input, output);
            for (int i = 0; i < 2; i++) workers.Add(BatchFixture.Start(database, "batch", "worker", "--threads", "1"));

            var clock = Stopwatch.StartNew();
            while ((await client.StatusAsync(submission.BatchId)).Done < scans / 5)
            {
                Assert.IsLessThan(TimeSpan.FromMinutes(8), clock.Elapsed, "the workers did not start scoring");
                await Task.Delay(200);
            }
            BatchFixture.Postgres.Restart();

            BatchStatus status;
            while (!(status = await client.StatusAsync(submission.BatchId)).Finished)
            {
                Assert.IsLessThan(TimeSpan.FromMinutes(12), clock.Elapsed, $"batch not finished after the restart: {status}");
                foreach (var worker in workers) Assert.IsFalse(worker.HasExited, $"worker {worker.Id} exited after the restart");
                await Task.Delay(200);
            }
            Assert.AreEqual((scans, 0), (status.Done, status.Failed));
            Assert.AreEqual(scans, (await services.GetRequiredService<BatchDatabase>().ResultsAsync(submission.BatchId)).Count);
            Assert.AreEqual(scans, Directory.GetFiles(output).Length, "one mask a scan and no temporary file");

            var again = BatchFixture.Run(database, "batch", "submit", "--model", BatchFixture.RunFolder, "--input", input, "--out", output);
            Assert.AreEqual(0, again.ExitCode, again.Error);
            StringAssert.Contains(again.Error, $"enqueued 0 scans, skipped {scans} already scored");
        }
        finally
        {
            foreach (var worker in workers)
            {
                BatchFixture.Terminate(worker);
                worker.Dispose();
            }
            Directory.Delete(folder, recursive: true);
        }
    }
}
