using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuantUNet.Data;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.Torch.Tests;

/// <summary>
/// The <c>.qunet</c> model package, loaded through <see cref="ModelFile"/>, refuses a truncated, bit-flipped, other-version
/// or foreign file with an <see cref="InvalidDataException"/> whose message starts with the file's path and says what is wrong.
/// </summary>
[TestClass]
public sealed class ModelFileIntegrityTests
{
    private static string _folder = "";
    private static byte[] _bytes = [];

    [ClassInitialize]
    public static void SaveTinyModel(TestContext context)
    {
        _folder = Directory.CreateTempSubdirectory("quantunet-modelfile").FullName;
        var path = Path.Combine(_folder, "model.qunet");
        using var model = TestModels.Create();
        ModelFile.Save(model, path, ImageSize.Square(16), new TrainingRecord { Seed = 7 });
        _bytes = File.ReadAllBytes(path);
    }

    [ClassCleanup]
    public static void CleanUp() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void TheSavedFileLoads() => Assert.AreEqual(7, Load(_bytes).Seed);

    [TestMethod]
    public void AFileWrittenBeforeBatchNormExistedLoadsAsANetworkWithout()
    {
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny() with { BatchNorm = false }, 7);
        var path = Path.Combine(_folder, "before-batchnorm.qunet");
        // A TorchSharp model file as versions before BatchNorm wrote it: architecture and metadata, no BatchNorm field.
        var json = new JsonObject
        {
            ["Model"] = JsonSerializer.SerializeToNode(model.Options with { Quantize = true }),
            ["Metadata"] = new JsonObject { ["Seed"] = 7, ["Metrics"] = new JsonObject { ["imageSize"] = 16 } },
        };
        Assert.IsTrue(json["Model"]!.AsObject().Remove(nameof(ArchitectureOptions.BatchNorm)));
        ChecksummedFrame.Save(path, new ChecksummedFrame.Kind("QUNETPT1"u8.ToArray(), 1, "model file"), JsonSerializer.SerializeToUtf8Bytes(json), [ModelFile.SaveState(model)]);

        var (loaded, _) = ModelFile.Load(path);
        using (loaded)
        {
            Assert.IsFalse(loaded.Options.BatchNorm);
            Assert.IsTrue(loaded.Layers.All(l => l.Norm is null));
            using var input = TorchSharp.torch.rand(1, 1, 16, 16);
            model.eval();
            Assert.IsTrue(model.forward(input).equal(loaded.forward(input)).all().item<bool>(), "the old file's weights come back as they were");
        }
    }

    [TestMethod]
    public void TruncatedFilesAreRefused()
    {
        foreach (int length in new[] { _bytes.Length - 1, _bytes.Length - 33, _bytes.Length / 2, 100 })
            Assert.AreEqual("checksum mismatch: the file is truncated or corrupted.", Refuse(_bytes[..length]), $"cut at {length}");
        Assert.AreEqual(NotAModel, Refuse([]), "empty");
        foreach (int length in new[] { 10, 40 })
            Assert.AreEqual("not a QuantU-Net model package (wrong magic or too short).", Refuse(_bytes[..length]), $"cut at {length}");
    }

    [TestMethod]
    public void BitFlipsAnywhereAfterTheVersionAreRefused()
    {
        var random = new Random(9);
        // The header length and JSON, the state (spread over it), and the checksum itself.
        var positions = new[] { 12, 20, _bytes.Length - 1, _bytes.Length - 32 }.Concat(Enumerable.Range(0, 40).Select(_ => random.Next(12, _bytes.Length)));
        foreach (int position in positions)
        {
            var flipped = (byte[])_bytes.Clone();
            flipped[position] ^= (byte)(1 << random.Next(8));
            Assert.AreEqual("checksum mismatch: the file is truncated or corrupted.", Refuse(flipped), $"bit flipped at byte {position}");
        }
    }

    [TestMethod]
    public void AnotherVersionIsRefusedNamingBothVersions()
    {
        var future = (byte[])_bytes.Clone();
        future[8] = 3;
        // A future build would write a valid checksum over its own bytes.
        SHA256.HashData(future.AsSpan(0, future.Length - 32)).CopyTo(future, future.Length - 32);
        Assert.AreEqual("model package version 3; this build reads versions 1 to 2.", Refuse(future));
    }

    [TestMethod]
    public void AHeaderThatPassesTheChecksumButIsNotAModelIsRefused()
    {
        // Hand-made files carry a valid checksum over wrong content: the header must still be checked.
        StringAssert.StartsWith(Refuse(WithHeader("{not json"u8.ToArray())), "the model package header is not valid JSON");
        StringAssert.StartsWith(Refuse(WithHeader("{}"u8.ToArray())), "the model package header is not valid JSON", "required parts missing");
        Assert.AreEqual("the model package header is incomplete.", Refuse(WithHeader("null"u8.ToArray())));
    }

    [TestMethod]
    public void ForeignFilesAreRefused()
    {
        var integer = IntegerModelFile.Serialize(new Integer.IntegerModel(new Integer.IntegerModelHeader(1, Integer.PixelNormalization.UnitRange),
        [
            new Integer.IntegerLayer
            {
                Name = "final", Kind = Integer.LayerKind.Conv1x1, InputChannels = 1, OutputChannels = 1, WeightBits = 2, ActivationBits = 8,
                InputScale = 1, WeightScales = [1], Weights = [1], Biases = [0],
            },
        ]));
        Assert.AreEqual("the integer model does not record the image size it was trained at; export it with one.", Refuse(integer));
        StringAssert.StartsWith(Refuse("PK\u0003\u0004 a zip, maybe an ML.NET model, but not ours"u8.ToArray()), "not a readable zip");
        Assert.AreEqual(NotAModel, Refuse("GIF89a, an image"u8.ToArray()));
    }

    /// <summary>The saved file with its JSON header replaced by <paramref name="header"/> and the checksum recomputed.</summary>
    private static byte[] WithHeader(byte[] header)
    {
        int oldLength = BitConverter.ToInt32(_bytes, 12);
        var file = new List<byte>(_bytes.AsSpan(0, 12).ToArray());
        file.AddRange(BitConverter.GetBytes(header.Length));
        file.AddRange(header);
        file.AddRange(_bytes.AsSpan(16 + oldLength, _bytes.Length - 16 - oldLength - 32).ToArray());
        var bytes = file.ToArray();
        return [.. bytes, .. SHA256.HashData(bytes)];
    }

    /// <summary>The problem after "path: " in the refusal of <paramref name="bytes"/> written to the model file's path.</summary>
    private static string Refuse(byte[] bytes)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Load(bytes));
        StringAssert.StartsWith(error.Message, DamagedPath + ": ");
        return error.Message[(DamagedPath.Length + 2)..];
    }

    private static string DamagedPath => Path.Combine(_folder, "damaged.qunet");

    private const string NotAModel = "not a QuantU-Net model (a .qunet package, an ML.NET model.zip or a .qint integer model).";

    private static TrainingRecord Load(byte[] bytes)
    {
        File.WriteAllBytes(DamagedPath, bytes);
        var (model, package) = ModelFile.Load(DamagedPath);
        model.Dispose();
        return package.Description.Training;
    }
}
