using System.IO.Compression;
using System.Security.Cryptography;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;

namespace QuantUNet.Integer.Tests;

/// <summary>
/// The integer model file and the model package in the one framing (<see cref="ChecksummedFrame"/>, version 2 of
/// each): bit-identical round trips, one checksum per package, damage refused naming the file, and version 1 files
/// (the <c>.qint</c> framing of its own, the package nesting it) still loading and scoring the same.
/// </summary>
[TestClass]
public sealed class FileFormatVersionTests
{
    private const int Side = 8;
    private static readonly byte[] TorchState = [7, 0, 1, 2, 3, 4, 5, 6];

    [TestMethod]
    public void Version2FilesRoundTripBitIdentically()
    {
        var model = RandomModels.MiniUNet(21, i => 2 + i, i => 8 - i);
        var qint = IntegerModelFile.Serialize(model);
        CollectionAssert.AreEqual("QUNETINT"u8.ToArray(), qint[..8]);
        Assert.AreEqual(2, BitConverter.ToInt32(qint, 8));
        CollectionAssert.AreEqual(qint, IntegerModelFile.Serialize(IntegerModelFile.Deserialize(qint, "model.qint")));

        var package = Package(model).ToBytes();
        CollectionAssert.AreEqual("QUNETPKG"u8.ToArray(), package[..8]);
        Assert.AreEqual(2, BitConverter.ToInt32(package, 8));
        var reloaded = ModelPackage.FromPackageBytes(package, "model.qunet");
        CollectionAssert.AreEqual(package, reloaded.ToBytes());
        CollectionAssert.AreEqual(TorchState, reloaded.TorchState.ToArray());
        CollectionAssert.AreEqual(qint, IntegerModelFile.Serialize(reloaded.IntegerModel!));
    }

    [TestMethod]
    public void APackageHasOneChecksumAndNoNestedIntegerFile()
    {
        var model = RandomModels.MiniUNet(22, 4, 4);
        var package = Package(model).ToBytes();
        Assert.AreEqual(-1, package.AsSpan(8).IndexOf("QUNET"u8), "the integer model travels as header and payload, not as a framed .qint");
        CollectionAssert.AreEqual(new[] { package.Length - 32 }, ChecksumPositions(package));

        // The check sees nesting: a version 1 package holds the .qint's checksum as well as its own.
        var version1 = Version1Files.Package(Package(model).Description, TorchState, model);
        Assert.HasCount(2, ChecksumPositions(version1));
    }

    [TestMethod]
    public void AFlippedByteAnywhereInAVersion2PackageIsRefusedNamingTheFile()
    {
        var bytes = Package(RandomModels.MiniUNet(23, 3, 5)).ToBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => ModelPackage.Load(new MemoryStream(Flip(bytes, i)), "damaged.qunet"), $"byte {i}");
            StringAssert.StartsWith(error.Message, "damaged.qunet: ", $"byte {i}");
        }
        using var folder = new TempFolder();
        var path = folder.File("model.qunet");
        foreach (int i in new[] { 0, 9, 14, 20, bytes.Length / 2, bytes.Length - 40, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, Flip(bytes, i));
            StringAssert.StartsWith(Assert.ThrowsExactly<InvalidDataException>(() => ModelPackage.Load(path), $"byte {i}").Message, path + ": ");
        }
    }

    [TestMethod]
    public void AVersion1IntegerModelFileStillLoadsAndScoresTheSame()
    {
        var model = RandomModels.MiniUNet(24, i => 2 + i, i => 8 - i);
        var version1 = Version1Files.IntegerModel(model);
        Assert.AreEqual(1, BitConverter.ToInt32(version1, 8));
        var loaded = IntegerModelFile.Deserialize(version1, "old.qint");
        CollectionAssert.AreEqual(IntegerModelFile.Serialize(model), IntegerModelFile.Serialize(loaded), "read as written; saved again as version 2");
        CollectionAssert.AreEqual(Accumulators(model, 3), Accumulators(loaded, 3));

        var damaged = Flip(version1, version1.Length / 2);
        StringAssert.StartsWith(Assert.ThrowsExactly<InvalidDataException>(() => IntegerModelFile.Deserialize(damaged, "old.qint")).Message,
            "old.qint: checksum mismatch");
    }

    [TestMethod]
    public void TheVersion1FileThePreviousBuildWroteLoadsEverywhereAndScoresTheSame()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "PreviousFormat", "model.qint");
        var bytes = File.ReadAllBytes(path);
        Assert.AreEqual(1, BitConverter.ToInt32(bytes, 8));
        var model = IntegerModelFile.Load(path);
        CollectionAssert.AreEqual(bytes, Version1Files.IntegerModel(model), "the test's version 1 writer writes what the previous build wrote");

        var package = ModelPackage.Load(path);
        CollectionAssert.AreEqual(IntegerModelFile.Serialize(model), IntegerModelFile.Serialize(package.IntegerModel!));
        var again = IntegerModelFile.Deserialize(IntegerModelFile.Serialize(model), "v2.qint");
        CollectionAssert.AreEqual(Accumulators(model, 1, 16), Accumulators(again, 1, 16));
    }

    [TestMethod]
    public void AVersion1PackageStillLoadsThroughEveryDoorAndScoresTheSame()
    {
        var model = RandomModels.MiniUNet(25, 4, 3);
        var current = Package(model);
        var version1 = Version1Files.Package(current.Description, TorchState, model);
        using var folder = new TempFolder();
        var path = folder.File("old.qunet");
        File.WriteAllBytes(path, version1);
        var zip = folder.File("model.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        using (var entry = archive.CreateEntry($"TransformerChain/{MLNetPayload.EntryName}").Open())
            entry.Write(ChecksummedFrame.ToBytes(new ChecksummedFrame.Kind("QUNETMLN"u8.ToArray(), 2, "transformer payload"), "{}"u8.ToArray(), [version1]));

        foreach (var loaded in new[] { ModelPackage.Load(path), ModelPackage.Load(new MemoryStream(version1), "old package"), ModelPackage.Load(zip) })
        {
            CollectionAssert.AreEqual(current.ToBytes(), loaded.ToBytes(), "read as written; saved again as version 2");
            CollectionAssert.AreEqual(Accumulators(model, 3), Accumulators(loaded.IntegerModel!, 3));
        }
        StringAssert.StartsWith(Assert.ThrowsExactly<InvalidDataException>(() => ModelPackage.Load(new MemoryStream(Flip(version1, 100)), "old package")).Message,
            "old package: checksum mismatch");
    }

    private static ModelPackage Package(IntegerModel model) => new(new ModelDescription
    {
        ImageChannels = model.Header.InputChannels, ImageHeight = Side, ImageWidth = Side, Normalization = model.Header.Normalization,
        Quantized = true, BaseWidth = model.Layers[0].OutputChannels, Layers = model.Bitwidths.Layers,
        Training = new TrainingRecord { Seed = model.Metadata.Seed, SavedUtc = new DateTime(2026, 12, 3, 0, 0, 0, DateTimeKind.Utc), Metrics = model.Metadata.Metrics },
    }, TorchState, model);

    /// <summary>
    /// Every position where 32 bytes are the SHA-256 of the bytes from a QuantU-Net magic ("QUNET...") up to them: the
    /// checksum trailer of each frame in the file, nested ones included.
    /// </summary>
    private static List<int> ChecksumPositions(byte[] bytes)
    {
        var magics = Enumerable.Range(0, bytes.Length - 4).Where(s => bytes.AsSpan(s).StartsWith("QUNET"u8)).ToList();
        return [.. Enumerable.Range(0, bytes.Length - 31).Where(p => magics.Any(s => s < p && SHA256.HashData(bytes.AsSpan(s, p - s)).AsSpan().SequenceEqual(bytes.AsSpan(p, 32))))];
    }

    private static int[] Accumulators(IntegerModel model, int channels, int side = Side)
    {
        var accumulators = new int[side * side];
        new IntegerEngine(model).Predict(RandomModels.Pixels(26, channels * side * side), side, side, new byte[side * side], accumulators);
        return accumulators;
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x10;
        return copy;
    }
}
