using System.Text;
using System.Text.Json;
using QuantUNet.Integer.Package;

namespace QuantUNet.Integer.Format;

/// <summary>
/// The integer model file (<c>.qint</c>), specified in docs/integer-model-format.md: a <see cref="ChecksummedFrame"/>
/// (magic "QUNETINT", version 2) whose header is the model's binary header (input, metadata, the layer table and the
/// graph) and whose one section is the payload of bit-packed weights, int32 biases, scales and requantisation
/// multipliers per layer. All numbers are little-endian. Files are replaced atomically; a truncated, altered or foreign
/// file is refused with an <see cref="InvalidDataException"/> naming it. Version 1 files (the same header and payload in
/// a framing of their own) still load, through <see cref="LegacyFormats"/>.
/// </summary>
public static class IntegerModelFile
{
    /// <summary>The version this build writes; it also reads version 1.</summary>
    public const int FormatVersion = 2;

    /// <summary>The extension of an integer model file.</summary>
    public const string Extension = ".qint";

    internal static readonly ChecksummedFrame.Kind Kind = new("QUNETINT"u8.ToArray(), FormatVersion, "integer model") { OldestReadVersion = 1 };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>, replacing any file there atomically.</summary>
    /// <param name="model">The model to write.</param>
    /// <param name="path">The file to create or replace; ".qint" by convention.</param>
    public static void Save(IntegerModel model, string path)
    {
        var (header, payload) = Encode(model);
        ChecksummedFrame.Save(path, Kind, header, [payload]);
    }

    /// <summary>Reads the integer model file at <paramref name="path"/> (this version or version 1).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not an integer model, another version, truncated, altered or inconsistent; the message names the file.</exception>
    public static IntegerModel Load(string path) => Deserialize(ChecksummedFrame.ReadFile(path, "integer model file"), path);

    /// <summary>The bytes of the file <see cref="Save"/> writes, checksum included.</summary>
    /// <param name="model">The model to serialise.</param>
    public static byte[] Serialize(IntegerModel model)
    {
        var (header, payload) = Encode(model);
        return ChecksummedFrame.ToBytes(Kind, header, [payload]);
    }

    /// <summary>Reads an integer model file of this version or version 1.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="name">The file name to put in error messages.</param>
    /// <exception cref="InvalidDataException">Not an integer model, another version, truncated, altered or inconsistent; the message starts with <paramref name="name"/>.</exception>
    public static IntegerModel Deserialize(ReadOnlyMemory<byte> bytes, string name)
    {
        if (LegacyFormats.IsVersion1IntegerModel(bytes.Span)) return LegacyFormats.ReadVersion1IntegerModel(bytes, name);
        var (header, sections) = ChecksummedFrame.Read(bytes, name, Kind, sectionCount: 1);
        return Decode(header, sections[0], name);
    }

    /// <summary>
    /// The model's two parts, as every framing that carries it holds them: the header (input, metadata, layer table and
    /// graph) and the payload (each layer's weights, biases, scales and multipliers).
    /// </summary>
    internal static (byte[] Header, byte[] Payload) Encode(IntegerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var header = new MemoryStream();
        using (var writer = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true)) WriteHeader(writer, model);
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
            foreach (var layer in model.Layers) WritePayload(writer, layer);
        return (header.ToArray(), payload.ToArray());
    }

    /// <summary>The model <see cref="Encode"/>'s parts make, refusing inconsistent or damaged parts with a message starting with <paramref name="name"/>.</summary>
    internal static IntegerModel Decode(ReadOnlyMemory<byte> headerBytes, ReadOnlyMemory<byte> payloadBytes, string name)
    {
        InvalidDataException Bad(string problem, Exception? inner = null) => new($"{name}: {problem}", inner);
        try
        {
            using var headerReader = new BinaryReader(new MemoryStream(headerBytes.ToArray(), writable: false), Encoding.UTF8);
            var (header, metadata, layers) = ReadHeader(headerReader);
            if (headerReader.BaseStream.Position != headerBytes.Length) throw Bad("the header length does not match its content.");
            using var reader = new BinaryReader(new MemoryStream(payloadBytes.ToArray(), writable: false), Encoding.UTF8);
            var complete = layers.Select(layer => ReadPayload(reader, layer)).ToList();
            if (reader.BaseStream.Position != payloadBytes.Length) throw Bad($"{payloadBytes.Length - reader.BaseStream.Position} unexpected bytes after the last layer.");
            return new IntegerModel(header, complete, metadata);
        }
        catch (EndOfStreamException e) { throw Bad("ends before its last layer (inconsistent layer table).", e); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal)) { throw Bad(e.Message, e); }
        catch (Exception e) when (e is JsonException or ArgumentException or OverflowException) { throw Bad($"malformed content: {e.Message}", e); }
    }

    private static void WriteHeader(BinaryWriter writer, IntegerModel model)
    {
        var header = model.Header;
        writer.Write(checked((ushort)header.InputChannels));
        writer.Write((byte)header.Normalization);
        writer.Write((byte)0);
        writer.Write(header.NominalHeight);
        writer.Write(header.NominalWidth);
        var metadata = JsonSerializer.SerializeToUtf8Bytes(model.Metadata, Json);
        writer.Write(metadata.Length);
        writer.Write(metadata);
        writer.Write(checked((ushort)model.Layers.Count));
        foreach (var layer in model.Layers)
        {
            var name = Encoding.UTF8.GetBytes(layer.Name);
            writer.Write(checked((byte)name.Length));
            writer.Write(name);
            writer.Write((byte)layer.Kind);
            writer.Write((byte)layer.WeightBits);
            writer.Write((byte)layer.ActivationBits);
            writer.Write(checked((byte)layer.Outputs.Count));
            writer.Write(layer.InputChannels);
            writer.Write(layer.OutputChannels);
            writer.Write(layer.InputScale);
            foreach (var output in layer.Outputs)
            {
                writer.Write(checked((ushort)output.Target));
                writer.Write((byte)(output.Pooled ? 1 : 0));
                writer.Write((byte)0);
                writer.Write(output.ChannelOffset);
            }
        }
    }

    /// <summary>A layer as the table describes it; the payload fills in the arrays.</summary>
    private sealed record LayerEntry(string Name, LayerKind Kind, int WeightBits, int ActivationBits,
        int InputChannels, int OutputChannels, double InputScale, (int Target, bool Pooled, int Offset)[] Outputs);

    private static (IntegerModelHeader, IntegerModelMetadata, List<LayerEntry>) ReadHeader(BinaryReader reader)
    {
        int channels = reader.ReadUInt16();
        var normalization = (PixelNormalization)reader.ReadByte();
        if (!Enum.IsDefined(normalization)) throw new InvalidDataException($"unknown pixel normalisation {(int)normalization}.");
        reader.ReadByte();
        var header = new IntegerModelHeader(channels, normalization, reader.ReadInt32(), reader.ReadInt32());
        var metadata = JsonSerializer.Deserialize<IntegerModelMetadata>(ReadBlock(reader, reader.ReadInt32(), "the metadata"), Json)
            ?? throw new InvalidDataException("empty metadata.");
        if (metadata.Source is null || metadata.Metrics is null) throw new InvalidDataException("the metadata has a null Source or Metrics.");
        int count = reader.ReadUInt16();
        var layers = new List<LayerEntry>(count);
        for (int i = 0; i < count; i++)
        {
            string name = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadByte()));
            var kind = (LayerKind)reader.ReadByte();
            int weightBits = reader.ReadByte(), activationBits = reader.ReadByte(), outputs = reader.ReadByte();
            int inputs = reader.ReadInt32(), outputChannels = reader.ReadInt32();
            if (!Enum.IsDefined(kind) || !BitwidthBounds.Weight.Contains(weightBits) || !BitwidthBounds.Activation.Contains(activationBits) || inputs < 1 || outputChannels < 1)
                throw new InvalidDataException($"layer {name}: malformed table entry (kind {(int)kind}, {weightBits}-bit weights, {inputs}x{outputChannels} channels).");
            double inputScale = reader.ReadDouble();
            var wiring = new (int, bool, int)[outputs];
            for (int o = 0; o < outputs; o++)
            {
                int target = reader.ReadUInt16();
                bool pooled = (reader.ReadByte() & 1) != 0;
                reader.ReadByte();
                wiring[o] = (target, pooled, reader.ReadInt32());
            }
            layers.Add(new LayerEntry(name, kind, weightBits, activationBits, inputs, outputChannels, inputScale, wiring));
        }
        return (header, metadata, layers);
    }

    private static void WritePayload(BinaryWriter writer, IntegerLayer layer)
    {
        var packed = new byte[BitPacking.PackedLength(layer.Weights.Length, layer.WeightBits)];
        BitPacking.Pack(layer.Weights, layer.WeightBits, packed);
        writer.Write(packed);
        foreach (int bias in layer.Biases) writer.Write(bias);
        foreach (double scale in layer.WeightScales) writer.Write(scale);
        foreach (var multiplier in layer.Outputs.SelectMany(o => o.Multipliers))
        {
            writer.Write(multiplier.Mantissa);
            writer.Write((byte)multiplier.Shift);
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> bytes after checking that the file holds them, so a damaged length cannot make
    /// the reader allocate more than the file's size.
    /// </summary>
    private static byte[] ReadBlock(BinaryReader reader, long count, string what)
    {
        long remaining = reader.BaseStream.Length - reader.BaseStream.Position;
        if (count < 0 || count > remaining) throw new InvalidDataException($"{what} claims {count} bytes, but only {remaining} remain.");
        return reader.ReadBytes((int)count);
    }

    private static IntegerLayer ReadPayload(BinaryReader reader, LayerEntry entry)
    {
        int k = entry.Kind.KernelSize();
        long weightCount = (long)entry.OutputChannels * entry.InputChannels * k * k;
        long packedLength = (weightCount * entry.WeightBits + 7) / 8;
        // Biases, scales and each output's multipliers follow the weights: check them all before allocating any.
        long tableLength = (long)entry.OutputChannels * (sizeof(int) + sizeof(double) + entry.Outputs.Length * (sizeof(long) + 1));
        long remaining = reader.BaseStream.Length - reader.BaseStream.Position;
        if (packedLength + tableLength > remaining)
            throw new InvalidDataException($"layer {entry.Name}: its table entry ({entry.InputChannels}x{entry.OutputChannels} channels, {entry.WeightBits}-bit weights) "
                + $"needs {packedLength + tableLength} payload bytes, but only {remaining} remain.");
        var weights = new sbyte[weightCount];
        BitPacking.Unpack(ReadBlock(reader, packedLength, $"layer {entry.Name}'s weights"), entry.WeightBits, weights);
        var biases = new int[entry.OutputChannels];
        for (int c = 0; c < biases.Length; c++) biases[c] = reader.ReadInt32();
        var scales = new double[entry.OutputChannels];
        for (int c = 0; c < scales.Length; c++) scales[c] = reader.ReadDouble();
        var outputs = entry.Outputs.Select(o =>
        {
            var multipliers = new FixedPointMultiplier[entry.OutputChannels];
            for (int c = 0; c < multipliers.Length; c++) multipliers[c] = new FixedPointMultiplier(reader.ReadInt64(), reader.ReadByte());
            return new LayerOutput(o.Target, o.Offset, o.Pooled, multipliers);
        }).ToList();
        return new IntegerLayer
        {
            Name = entry.Name, Kind = entry.Kind, InputChannels = entry.InputChannels, OutputChannels = entry.OutputChannels,
            WeightBits = entry.WeightBits, ActivationBits = entry.ActivationBits, InputScale = entry.InputScale,
            WeightScales = scales, Weights = weights, Biases = biases, Outputs = outputs,
        };
    }
}
