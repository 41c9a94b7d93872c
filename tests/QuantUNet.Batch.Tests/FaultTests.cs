using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuantUNet.Data;

namespace QuantUNet.Batch.Tests;

[TestClass]
public sealed class FaultTests
{
    private const int Scans = 2000;

    /// <summary>
    /// 2,000 scans through 3 worker processes while one is killed with SIGKILL and replaced, five scans vanish from the
    /// shared folder until their first attempt has failed, and three scans cannot be decoded: every good scan ends with
    /// exactly one result and predict's mask, the bad ones fail with their reason, and no temporary file is left.
    /// </summary>
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public async Task WorkersKilledAndTransientFailuresLoseNothingAndScoreNothingTwice()
    {
        const string database = "faults";
        var run = BatchFixture.RunFolder;
        var folder = Directory.CreateTempSubdirectory("quantunet-batch-faults").FullName;
        var workers = new List<Process>();
        try
        {
            string input = Path.Combine(folder, "in"), output = Path.Combine(folder, "out"), away = Path.Combine(folder, "away");
            BatchFixture.WriteScans(Path.Combine(input, "square"), Scans - 200, seed: 11, ImageSize.Square(32));
            BatchFixture.WriteScans(Path.Combine(input, "wide"), 200, seed: 12, new ImageSize(40, 56)); // not the model's side: masks come back at this size
            var corrupt = Enumerable.Range(0, 3).Select(i => Path.Combine("corrupt", $"broken{i}.png")).ToList();
            foreach (var (path, i) in corrupt.Select((p, i) => (p, i)))
            {
                Directory.CreateDirectory(Path.Combine(input, "corrupt"));
                File.WriteAllBytes(Path.Combine(input, path), [0x89, (byte)'P', (byte)'N', (byte)'G', (byte)i, 1, 2, 3]);
            }

            await using var services = BatchFixture.Services(database);
            var client = services.GetRequiredService<BatchClient>();
            var submission = await client.SubmitAsync(run, input, output);
            Assert.AreEqual((Scans + 3, 0), (submission.Enqueued, submission.Skipped));

            // Shared storage hiccup: five scans are missing when the workers first reach them.
            var vanished = Directory.GetFiles(Path.Combine(input, "square")).Order(StringComparer.Ordinal).Take(5).Select(f => Path.GetRelativePath(input, f)).ToList();
            Directory.CreateDirectory(Path.Combine(away, "square"));
            foreach (var path in vanished) File.Move(Path.Combine(input, path), Path.Combine(away, path));

            for (int i = 0; i < 3; i++) workers.Add(BatchFixture.Start(database, "batch", "worker", "--threads", "1"));
            var clock = Stopwatch.StartNew();
            bool killed = false, restored = false;
            while (true)
            {
                var status = await client.StatusAsync(submission.BatchId);
                if (!killed && status.Done >= Scans / 4)
                {
                    workers[0].Kill(); // SIGKILL: whatever it had fetched stays invisible until the invisibility timeout
                    await workers[0].WaitForExitAsync();
                    workers.Add(BatchFixture.Start(database, "batch", "worker", "--threads", "1"));
                    killed = true;
                }
                if (!restored && RetriesScheduled(database, submission.BatchId, vanished) == vanished.Count)
                {
                    foreach (var path in vanished) File.Move(Path.Combine(away, path), Path.Combine(input, path));
                    restored = true;
                }
                if (status.Finished && restored) break;
                Assert.IsLessThan(TimeSpan.FromMinutes(12), clock.Elapsed, $"batch not finished: {status}");
                foreach (var worker in workers.Skip(1)) Assert.IsFalse(worker.HasExited, $"worker {worker.Id} exited: {worker.StandardError.ReadToEnd()}");
                await Task.Delay(200);
            }
            Assert.IsTrue(killed, "the batch finished before a worker could be killed");

            var final = await client.StatusAsync(submission.BatchId);
            Assert.AreEqual((0, 0, Scans, 3), (final.Queued, final.Running, final.Done, final.Failed));
            CollectionAssert.AreEqual(corrupt, final.Failures.Select(f => f.ScanPath).ToList());
            foreach (var failure in final.Failures)
                StringAssert.Contains(failure.Reason, Path.Combine(input, failure.ScanPath), "the reason names the file");

            // Exactly one result a scan (the key forbids more; none may be missing), each pointing at its mask.
            var results = await services.GetRequiredService<BatchDatabase>().ResultsAsync(submission.BatchId);
            Assert.AreEqual(Scans, results.Count);
            Assert.AreEqual(Scans, results.Select(r => r.ScanPath).Distinct().Count());
            Assert.AreEqual(Scans, CountRows(database, "select count(*) from quantunet.scan_result"));

            // Every mask equals predict's for the same model, byte for byte; nothing else is in the output folder.
            var predicted = Path.Combine(folder, "predicted");
            foreach (var subfolder in new[] { "square", "wide" })
            {
                var predict = BatchFixture.Run(null, "predict", "--model", run, "--input", Path.Combine(input, subfolder), "--out", Path.Combine(predicted, subfolder), "--threads", "2");
                Assert.AreEqual(0, predict.ExitCode, predict.Output + predict.Error);
            }
            foreach (var result in results)
            {
                var expected = PredictedMask.PathFor(predicted, result.ScanPath);
                CollectionAssert.AreEqual(File.ReadAllBytes(expected), File.ReadAllBytes(result.MaskPath), result.ScanPath);
                var mask = ImageFile.ReadMask(result.MaskPath);
                Assert.AreEqual(mask.Pixels.Count(p => p != 0), result.ForegroundPixels, result.ScanPath);
                Assert.AreEqual((double)result.ForegroundPixels / mask.Pixels.Length, result.ForegroundFraction, 1e-12, result.ScanPath);
            }
            var written = Directory.GetFiles(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)).Order(StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(results.Select(r => Path.GetRelativePath(output, r.MaskPath)).Order(StringComparer.Ordinal).ToList(), written,
                "one mask a scored scan, no temporary or partial file, nothing for the failed scans");
            Assert.IsGreaterThanOrEqualTo(3, results.Select(r => r.Worker).Distinct().Count(), "the work was shared between the workers");

            // Submitting the same input again enqueues only the scans without a result.
            var again = await client.SubmitAsync(run, input, output);
            Assert.AreEqual((3, Scans), (again.Enqueued, again.Skipped));
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

    /// <summary>How many of <paramref name="scans"/> have had a failed attempt that Hangfire scheduled for a retry.</summary>
    private static int RetriesScheduled(string database, Guid batchId, IReadOnlyList<string> scans) => CountRows(database, $"""
        select count(distinct s.scan_path) from quantunet.batch_scan s join hangfire.state h on h.jobid = s.job_id
        where s.batch_id = '{batchId}' and h.name = 'Scheduled' and s.scan_path in ({string.Join(", ", scans.Select(p => $"'{p}'"))})
        """);

    private static int CountRows(string database, string sql)
    {
        using var connection = new NpgsqlConnection(BatchFixture.ConnectionString(database));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
