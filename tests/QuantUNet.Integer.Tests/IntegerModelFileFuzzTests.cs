using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using QuantUNet.Integer.Format;

namespace QuantUNet.Integer.Tests;

/// <summary>
/// Seeded random mutations of a valid <c>.qint</c> file. Raw mutations leave the checksum stale, so the checksum must
/// catch them; content mutations recompute it, so the parsers behind it (header, metadata JSON, layer table, payload
/// lengths, the model's own checks) meet every kind of damage. Either way the only exception allowed is the documented
/// <see cref="InvalidDataException"/> naming the file, each case must finish quickly, and a damaged length or shape
/// must not make the reader allocate more than a small multiple of the file's size.
/// </summary>
[TestClass]
public sealed class IntegerModelFileFuzzTests
{
    private const string Name = "fuzzed.qint";
    private const int MetadataLengthOffset = 28; // magic 8, version 4, header length 4, channels 2, normalisation 1, reserved 1, height 4, width 4
    private const int ChecksumLength = 32;
    private static readonly TimeSpan CaseBudget = TimeSpan.FromSeconds(1);

    private static readonly long[] InterestingValues =
        [0, 1, -1, 2, 7, 8, 9, 16, 23, 127, 128, 255, 256, 65535, 65536, int.MaxValue, int.MinValue, 1L << 40, long.MaxValue];

    private static readonly string[] OddMetadata =
    [
        "null", "[]", "{}", "\"text\"", "{\"Metrics\":null}", "{\"Source\":null}", "{\"Metrics\":{\"dice\":\"high\"}}",
        "{\"Seed\":1e40}", "{\"TrainedUtc\":\"yesterday\"}", "{\"Metrics\":{\"a\":1,\"a\":2}}", new string('[', 5000), "{\"Seed\":",
    ];

    [TestMethod]
    public void RawMutationsAreCaughtByTheChecksumOrTheHeaderChecks()
    {
        var original = IntegerModelFile.Serialize(RandomModels.MiniUNet(11, i => 2 + i, i => 8 - i));
        var random = new Random(101);
        const int Cases = 5000;
        for (int i = 0; i < Cases; i++)
        {
            var damaged = RawMutation(original, random);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => IntegerModelFile.Deserialize(damaged, Name), $"case {i}");
            StringAssert.StartsWith(error.Message, Name + ": ");
        }
    }

    [TestMethod]
    public void ContentMutationsBehindAValidChecksumOnlyEverRaiseTheDocumentedError()
    {
        var original = IntegerModelFile.Serialize(RandomModels.MiniUNet(12, i => 2 + i, i => 8 - i));
        var random = new Random(202);
        var pixels = RandomModels.Pixels(13, 3 * 4 * 4);
        const int Cases = 20000;
        int loaded = 0;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            var mutated = WithChecksum(ContentMutation(original, random));
            var watch = Stopwatch.StartNew();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            IntegerModel? model = null;
            try
            {
                model = IntegerModelFile.Deserialize(mutated, Name);
            }
            catch (InvalidDataException e)
            {
                StringAssert.StartsWith(e.Message, Name + ": ", $"case {i}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Assert.IsLessThan(16L * mutated.Length + (1 << 20), allocated, $"case {i}: {allocated} bytes allocated for a {mutated.Length}-byte file");
            if (model is not null)
            {
                loaded++;
                // A model that passes every check must also run: the engine trusts what the loader accepted.
                if (model.SizeMultiple <= 4 && model.Header.InputChannels == 3)
                    new IntegerEngine(model, new IntegerEngineOptions { Threads = 1 }).Predict(pixels, 4, 4, new byte[16]);
            }
            Assert.IsLessThan(CaseBudget, watch.Elapsed, $"case {i} took {watch.Elapsed}");
        }
        Console.WriteLine($"{Cases} content mutations in {total.Elapsed.TotalSeconds:F1} s; {loaded} still formed a valid model.");
        Assert.IsGreaterThan(0, loaded, "some mutations (a weight, a bias) leave a valid model: the fuzzer must reach the end of the parser");
        Assert.IsLessThan(Cases, loaded);
    }

    [TestMethod]
    public void DamagedLengthsAreRefusedBeforeAllocatingWhatTheyClaim()
    {
        var body = IntegerModelFile.Serialize(RandomModels.MiniUNet(14, 4, 4))[..^ChecksumLength];
        var hugeMetadata = (byte[])body.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(hugeMetadata.AsSpan(MetadataLengthOffset), int.MaxValue);
        StringAssert.Contains(Load(hugeMetadata).Message, "the metadata claims 2147483647 bytes");

        // The first layer's output channels (after name, kind, widths, output count and input channels) set to 2^30.
        var hugeLayer = (byte[])body.Clone();
        int entry = hugeLayer.AsSpan().IndexOf("\u0003enc"u8) + 4;
        BinaryPrimitives.WriteInt32LittleEndian(hugeLayer.AsSpan(entry + 8), 1 << 30);
        StringAssert.Contains(Load(hugeLayer).Message, "layer enc: its table entry (3x1073741824 channels, 4-bit weights) needs");
    }

    private static InvalidDataException Load(byte[] bytes)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsExactly<InvalidDataException>(() => IntegerModelFile.Deserialize(WithChecksum(bytes), Name));
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
        return error;
    }

    private static byte[] RawMutation(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0: // one flipped bit anywhere, checksum included
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // a run of random bytes past the version field
                int start = random.Next(12, bytes.Length), length = Math.Min(random.Next(1, 64), bytes.Length - start);
                random.NextBytes(bytes.AsSpan(start, length));
                return bytes[start..(start + length)].SequenceEqual(original[start..(start + length)]) ? bytes[..^1] : bytes;
            case 2: // truncated
                return bytes[..random.Next(bytes.Length)];
            default: // extra bytes appended
                return [.. bytes, .. RandomBytes(random, random.Next(1, 100))];
        }
    }

    /// <summary>A change to the content before the checksum, biased to the header, where most fields are.</summary>
    private static byte[] ContentMutation(byte[] original, Random random)
    {
        var body = original[..^ChecksumLength];
        int headerEnd = 16 + BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(12));
        int position = random.Next(2) == 0 ? random.Next(16, headerEnd) : random.Next(16, body.Length);
        switch (random.Next(7))
        {
            case 0:
                body[position] ^= (byte)(1 << random.Next(8));
                return body;
            case 1:
                body[position] = (byte)random.Next(256);
                return body;
            case 2: // an interesting value at a field width
                int width = new[] { 1, 2, 4, 8 }[random.Next(4)];
                Span<byte> value = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(value, InterestingValues[random.Next(InterestingValues.Length)]);
                value[..Math.Min(width, body.Length - position)].CopyTo(body.AsSpan(position));
                return body;
            case 3: // bytes removed
                return [.. body[..position], .. body[Math.Min(body.Length, position + random.Next(1, 40))..]];
            case 4: // bytes inserted
                return [.. body[..position], .. RandomBytes(random, random.Next(1, 40)), .. body[position..]];
            case 5: // truncated body, still checksummed
                return body[..random.Next(16, body.Length)];
            default:
                return WithMetadata(body, OddMetadata[random.Next(OddMetadata.Length)]);
        }
    }

    /// <summary>The metadata JSON replaced, with the metadata and header lengths updated to match.</summary>
    private static byte[] WithMetadata(byte[] body, string json)
    {
        int oldLength = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(MetadataLengthOffset));
        var metadata = Encoding.UTF8.GetBytes(json);
        byte[] result = [.. body[..(MetadataLengthOffset + 4)], .. metadata, .. body[(MetadataLengthOffset + 4 + oldLength)..]];
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(MetadataLengthOffset), metadata.Length);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(12), BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(12)) + metadata.Length - oldLength);
        return result;
    }

    private static byte[] WithChecksum(byte[] body) => [.. body, .. SHA256.HashData(body)];

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
