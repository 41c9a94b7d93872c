using System.Security.Cryptography;
using System.Text;
using QuantUNet.Integer.Format;

namespace QuantUNet.Integer.Tests;

[TestClass]
public sealed class IntegerModelFileTests
{
    [TestMethod]
    public void RoundTripsEveryFieldAndScoresTheSame()
    {
        var model = RandomModels.MiniUNet(2, i => 2 + i, i => 8 - i);
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.qint");
        IntegerModelFile.Save(model, path);
        IntegerModelFile.Save(model, path); // replacing an existing file
        var loaded = IntegerModelFile.Load(path);

        Assert.AreEqual(model.Header, loaded.Header);
        Assert.AreEqual(model.Metadata.Seed, loaded.Metadata.Seed);
        Assert.AreEqual(model.Metadata.Source, loaded.Metadata.Source);
        CollectionAssert.AreEquivalent(model.Metadata.Metrics.ToList(), loaded.Metadata.Metrics.ToList());
        foreach (var (expected, actual) in model.Layers.Zip(loaded.Layers))
        {
            Assert.AreEqual((expected.Name, expected.Kind, expected.InputChannels, expected.OutputChannels, expected.WeightBits, expected.ActivationBits, expected.InputScale),
                (actual.Name, actual.Kind, actual.InputChannels, actual.OutputChannels, actual.WeightBits, actual.ActivationBits, actual.InputScale));
            CollectionAssert.AreEqual(expected.Weights, actual.Weights);
            CollectionAssert.AreEqual(expected.Biases, actual.Biases);
            CollectionAssert.AreEqual(expected.WeightScales, actual.WeightScales);
            foreach (var (o, p) in expected.Outputs.Zip(actual.Outputs))
            {
                Assert.AreEqual((o.Target, o.ChannelOffset, o.Pooled), (p.Target, p.ChannelOffset, p.Pooled));
                CollectionAssert.AreEqual(o.Multipliers.ToList(), p.Multipliers.ToList());
            }
        }
        Assert.HasCount(1, Directory.GetFiles(folder.Path), "no temporary file is left behind");

        var pixels = RandomModels.Pixels(3, 3 * 8 * 8);
        var (before, after) = (new int[64], new int[64]);
        new IntegerEngine(model).Predict(pixels, 8, 8, default, before);
        IntegerEngine.Load(path).Predict(pixels, 8, 8, default, after);
        CollectionAssert.AreEqual(before, after);
    }

    [TestMethod]
    public void PacksEachLayersWeightsAtItsOwnWidth()
    {
        var narrow = IntegerModelFile.Serialize(RandomModels.MiniUNet(4, 2, 4));
        var wide = IntegerModelFile.Serialize(RandomModels.MiniUNet(4, 8, 4));
        int weights = RandomModels.MiniUNet(4, 2, 4).Layers.Sum(l => l.WeightCount);
        // Header, biases, scales and multipliers are the same size; only the packed weights differ, by 6 bits a weight.
        Assert.AreEqual(weights * 6 / 8, wide.Length - narrow.Length, 5);
    }

    [TestMethod]
    public void RefusesAnAlteredByteOrATruncatedFileNamingIt()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.qint");
        var bytes = IntegerModelFile.Serialize(RandomModels.MiniUNet(5, 3, 3));
        foreach (var damaged in new[] { Flip(bytes, bytes.Length / 2), Flip(bytes, 20), Flip(bytes, bytes.Length - 1), bytes[..^1], bytes[..(bytes.Length / 3)] })
        {
            File.WriteAllBytes(path, damaged);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => IntegerModelFile.Load(path));
            StringAssert.StartsWith(error.Message, path + ": ");
            StringAssert.Contains(error.Message, "checksum mismatch: the file is truncated or corrupted");
        }
    }

    [TestMethod]
    public void RefusesForeignFilesOtherVersionsAndMissingFiles()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.qint");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes("QUNETPT1 this is a TorchSharp model file, not an integer one"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IntegerModelFile.Load(path)).Message, "not a QuantU-Net integer model");
        var bytes = IntegerModelFile.Serialize(RandomModels.MiniUNet(6, 3, 3));
        bytes[8] = 3;
        File.WriteAllBytes(path, bytes);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IntegerModelFile.Load(path)).Message, "integer model version 3; this build reads versions 1 to 2");
        var missing = Path.Combine(folder.Path, "missing.qint");
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => IntegerModelFile.Load(missing)).Message, missing);
    }

    [TestMethod]
    public void RefusesAFileWhoseChecksumIsRightButWhoseLayerCouldOverflow()
    {
        // A layer accepted at 2-bit inputs, then its table entry edited to 8-bit inputs and the checksum recomputed.
        var model = new IntegerModel(new IntegerModelHeader(8000, PixelNormalization.UnitRange),
        [
            new IntegerLayer
            {
                Name = "wide", Kind = LayerKind.Conv3x3, InputChannels = 8000, OutputChannels = 1, WeightBits = 8, ActivationBits = 2,
                InputScale = 1, WeightScales = [1], Weights = Enumerable.Repeat((sbyte)127, 72000).ToArray(), Biases = [0],
            },
        ]);
        var bytes = IntegerModelFile.Serialize(model);
        int entry = bytes.AsSpan().IndexOf("wide"u8) + 4; // name, then kind, weight bits, activation bits
        Assert.AreEqual(2, bytes[entry + 2]);
        bytes[entry + 2] = 8;
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => IntegerModelFile.Deserialize(bytes, "crafted.qint"));
        StringAssert.StartsWith(error.Message, "crafted.qint: layer wide: output channel 0 could overflow");
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x10;
        return copy;
    }
}
