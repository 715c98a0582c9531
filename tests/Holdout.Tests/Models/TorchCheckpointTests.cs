using Holdout.Models;
using Holdout.Models.Weights;
using Holdout.Native;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Holdout.Tests.Models.TorchvisionFixture;

namespace Holdout.Tests.Models;

/// <summary>
/// --weights FILE.pth: torch.save checkpoints (torchvision, timm, training-script wrappers) are read without running
/// their pickle; files that would run code are refused, and nothing in them runs.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class TorchCheckpointTests(ITestOutputHelper output)
{
    /// <summary>
    /// Files that run `touch MARKER` when Python's torch.load or pickle.load reads them, each with its own marker:
    /// the variant's name, the file, and the function the message must name.
    /// </summary>
    private static readonly (string Name, string File, string Function)[] Malicious =
    [
        ("os.system in a state dict", "os-system.pth", "os.system"),
        ("builtins.exec", "exec.pth", "builtins.exec"),
        ("subprocess.call (pickled as commands.call)", "subprocess.pth", "subprocess.call"),
        ("os.system in the optimizer entry of a wrapper", "hidden-in-optimizer.pth", "os.system"),
        ("torch.storage._load_from_bytes", "load-from-bytes.pth", "torch.storage._load_from_bytes"),
        ("protocol 4: STACK_GLOBAL", "stack-global.pth", "os.system"),
        ("STACK_GLOBAL whose strings come from the memo", "stack-global-memo.pth", "os.system"),
        ("a plain pickle, not a zip", "raw.pkl", "os.system"),
    ];

    /// <summary>Writes the malicious files; a control file is loaded by torch.load to show the payloads run.</summary>
    private const string MakeMalicious = """
        import collections, io, os, pickle, pickletools, subprocess, sys, zipfile
        import torch

        out = sys.argv[1]
        def marker(name): return os.path.join(out, name + '.ran')

        class System:
            def __init__(self, m): self.m = m
            def __reduce__(self): return (os.system, ('touch ' + self.m,))
        class Exec:
            def __init__(self, m): self.m = m
            def __reduce__(self): return (exec, ("import os; os.system('touch %s')" % self.m,))
        class Call:
            def __init__(self, m): self.m = m
            def __reduce__(self): return (subprocess.call, (['touch', self.m],))
        class FromBytes:
            def __init__(self, m):
                buffer = io.BytesIO()
                torch.save(System(m), buffer)
                self.payload = buffer.getvalue()
            def __reduce__(self): return (torch.storage._load_from_bytes, (self.payload,))

        def path(name): return os.path.join(out, name)
        torch.save(collections.OrderedDict(w=torch.ones(2), x=System(marker('os-system'))), path('os-system.pth'))
        torch.save({'x': Exec(marker('exec'))}, path('exec.pth'))
        torch.save({'x': Call(marker('subprocess'))}, path('subprocess.pth'))
        torch.save({'state_dict': collections.OrderedDict(w=torch.ones(2)), 'epoch': 3,
                    'optimizer': {'state': {}, 'param_groups': [System(marker('hidden-in-optimizer'))]}},
                   path('hidden-in-optimizer.pth'))
        torch.save({'x': FromBytes(marker('load-from-bytes'))}, path('load-from-bytes.pth'))
        torch.save({'x': System(marker('stack-global'))}, path('stack-global.pth'), pickle_protocol=4)

        # Protocol 4 by hand: the module and name are memoised, popped, and fetched back with BINGET for STACK_GLOBAL.
        command = ('touch ' + marker('stack-global-memo')).encode()
        data = (b'\x80\x04' + b'\x8c\x05posix\x94' + b'\x8c\x06system\x94' + b'00' + b'h\x00h\x01' + b'\x93'
                + b'\x8c' + bytes([len(command)]) + command + b'\x85R.')
        pickletools.dis(data, out=io.StringIO())  # well-formed (disassembled, not run)
        with zipfile.ZipFile(path('stack-global-memo.pth'), 'w', zipfile.ZIP_STORED) as z:
            z.writestr('archive/data.pkl', data)
            z.writestr('archive/version', '3\n')

        with open(path('raw.pkl'), 'wb') as f:
            pickle.dump(System(marker('raw')), f, protocol=2)

        torch.save(System(marker('control')), path('control.pth'))
        torch.load(path('control.pth'))
        """;

    /// <summary>
    /// A small state dict with what trips simple readers: a channels-last conv weight, a transposed view and a row view
    /// at an offset of the same storage, an nn.Parameter, an int64 scalar; saved plain, wrapped, with DataParallel's
    /// prefix, with protocol 4, in half and bfloat16; and its contiguous float32 twin as safetensors.
    /// </summary>
    private const string MakeSmall = """
        import argparse, collections, os, sys
        import torch

        sys.path.insert(0, os.path.dirname(sys.argv[1]))
        from make_torchvision_fixture import save_safetensors

        out = sys.argv[2]
        def path(name): return os.path.join(out, name)
        torch.manual_seed(0)
        conv = torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(conv.parameters(), lr=0.1, momentum=0.9)  # stepped first: sd shares conv's tensors
        conv(torch.randn(1, 3, 5, 5).to(memory_format=torch.channels_last)).sum().backward()
        optimizer.step()
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 30)
        base = torch.randn(3, 4)
        sd = collections.OrderedDict()
        sd['conv.weight'] = conv.weight.detach()
        sd['conv.bias'] = conv.bias.detach()
        sd['fc.weight'] = base.t()
        sd['fc.row'] = base[1]
        sd['scale'] = torch.nn.Parameter(torch.rand(5))
        sd['bn.num_batches_tracked'] = torch.tensor(7)
        assert not sd['conv.weight'].is_contiguous() and sd['fc.row'].storage_offset() == 4
        save_safetensors(path('small.safetensors'), collections.OrderedDict((k, v.detach().contiguous()) for k, v in sd.items()))

        torch.save(sd, path('plain.pth'))
        torch.save({'state_dict': sd, 'epoch': 3, 'best_acc1': 0.5}, path('state_dict.pth'))
        # torchvision's references/classification/train.py checkpoint
        torch.save({'model': sd, 'optimizer': optimizer.state_dict(), 'lr_scheduler': scheduler.state_dict(), 'epoch': 3,
                    'args': argparse.Namespace(model='resnet50', lr=0.1, epochs=90, weights=None)}, path('model.pth'))
        torch.save({'model_state_dict': sd, 'optimizer_state_dict': optimizer.state_dict()}, path('model_state_dict.pth'))
        torch.save(collections.OrderedDict(('module.' + k, v) for k, v in sd.items()), path('module.pth'))
        torch.save(sd, path('protocol4.pth'), pickle_protocol=4)

        floats = collections.OrderedDict((k, v.detach()) for k, v in sd.items() if v.is_floating_point())
        for name, dtype in [('half', torch.float16), ('bfloat16', torch.bfloat16)]:
            torch.save(collections.OrderedDict((k, v.to(dtype)) for k, v in floats.items()), path(name + '.pth'))
            save_safetensors(path(name + '-as-float32.safetensors'),
                             collections.OrderedDict((k, v.to(dtype).float().contiguous()) for k, v in floats.items()))

        torch.save(torch.ones(3), path('bare-tensor.pth'))
        torch.save({'epoch': 3, 'net': sd}, path('unknown-wrapper.pth'))
        torch.save(sd, path('legacy.pth'), _use_new_zipfile_serialization=False)
        """;

    /// <summary>The folder of malicious files (made once per test process).</summary>
    internal static readonly Lazy<string> MaliciousFolder = new(() => Make("malicious", MakeMalicious));

    /// <summary>The folder of small state dicts and their twins (made once per test process).</summary>
    internal static readonly Lazy<string> SmallFolder = new(() => Make("small", MakeSmall, TorchvisionFixture.Script));

    private static string Make(string name, string script, params string[] args)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"holdout-torch-checkpoints-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        var result = Python.Run(script, [.. args, folder]);
        if (result.ExitCode != 0) throw new InvalidOperationException($"making the {name} checkpoints failed ({result.ExitCode}):\n{result.Output}\n{result.Errors}");
        return folder;
    }

    [PythonModuleFact("torch")]
    public void Should_refuse_checkpoints_whose_pickle_would_run_code_and_run_nothing()
    {
        // Given files whose pickle runs `touch MARKER` when Python loads them (the control shows that torch.load does)
        NativeRuntime.EnsureInitialized();
        var folder = MaliciousFolder.Value;
        Assert.True(File.Exists(Path.Combine(folder, "control.ran")), "the control payload did not run in Python; the fixture proves nothing");

        foreach (var (name, file, function) in Malicious)
        {
            // When Holdout reads each
            var path = Path.Combine(folder, file);
            var error = Assert.Throws<HoldoutException>(() => TorchCheckpoint.Read(path));
            output.WriteLine($"{name}: {error.Message}");

            // Then it is refused with the file, the function it would run, that nothing ran, and the fix
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains(function, error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing in the file was executed", error.Message, StringComparison.Ordinal);
            Assert.Contains("torch.save(model.state_dict()", error.Message, StringComparison.Ordinal);
            Assert.Contains(".safetensors", error.Message, StringComparison.Ordinal);
        }

        // And no payload ran
        Assert.DoesNotContain(Directory.GetFiles(folder, "*.ran"), f => !f.EndsWith("control.ran", StringComparison.Ordinal));
    }

    [PythonModuleFact("torch")]
    public void Should_read_plain_wrapped_and_data_parallel_state_dicts_as_their_safetensors_twin()
    {
        // Given one state dict (channels-last, transposed and offset views of one storage, a Parameter, an int64
        // scalar) saved plain, in training-checkpoint wrappers, with DataParallel's prefix, and with protocol 4
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var folder = SmallFolder.Value;
        var twin = SafeTensorsFile.Open(Path.Combine(folder, "small.safetensors"));

        foreach (var file in new[] { "plain.pth", "state_dict.pth", "model.pth", "model_state_dict.pth", "module.pth", "protocol4.pth" })
        {
            // When each is read
            var tensors = TorchCheckpoint.Read(Path.Combine(folder, file));

            // Then it has the twin's names, in the file's order, and its tensors exactly (contiguous, dtype kept)
            Assert.Equal(twin.Entries.Select(e => e.Name), tensors.Keys);
            foreach (var entry in twin.Entries)
            {
                var expected = twin.ReadTensor(entry);
                var actual = tensors[entry.Name];
                Assert.Equal(expected.dtype, actual.dtype);
                Assert.Equal(expected.shape, actual.shape);
                Assert.True(actual.is_contiguous(), $"{file}: {entry.Name} is not contiguous");
                Assert.True(Same(expected, actual), $"{file}: {entry.Name} differs from the safetensors twin");
            }
            output.WriteLine($"{file}: {tensors.Count} tensors as in the twin");
        }
    }

    [PythonModuleFact("torch")]
    public void Should_keep_float16_and_bfloat16_tensors_as_stored()
    {
        // Given the state dict's floating tensors saved as float16 and as bfloat16
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var folder = SmallFolder.Value;

        foreach (var (name, dtype) in new[] { ("half", ScalarType.Float16), ("bfloat16", ScalarType.BFloat16) })
        {
            // When each is read
            var tensors = TorchCheckpoint.Read(Path.Combine(folder, name + ".pth"));

            // Then the tensors keep that dtype and hold the values PyTorch stored (compared in float32)
            var twin = SafeTensorsFile.Open(Path.Combine(folder, name + "-as-float32.safetensors"));
            Assert.Equal(twin.Entries.Select(e => e.Name), tensors.Keys);
            foreach (var entry in twin.Entries)
            {
                Assert.Equal(dtype, tensors[entry.Name].dtype);
                Assert.True(Same(twin.ReadTensor(entry), tensors[entry.Name].to(ScalarType.Float32)), $"{name}: {entry.Name} differs");
            }
        }
    }

    [PythonModuleFact("torchvision")]
    public void Should_compute_torchvision_resnet50_features_and_logits_from_a_pth_file()
    {
        foreach (var wrap in new[] { null, "state_dict" })
        {
            // Given torchvision's ResNet-50 with random weights saved by torch.save (plain, or wrapped as training
            // checkpoints are), and what torchvision computes with them
            NativeRuntime.EnsureInitialized();
            using var scope = NewDisposeScope();
            var files = TorchvisionFixture.Get("resnet50", wrap: wrap);
            var reference = files.OpenReference();

            // When the .pth is read into Holdout's ResNet-50 backbone
            var tensors = TorchCheckpoint.Read(files.Pth);
            using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet50, ["a", "b"], 64, ModelOptions.NoWeights));
            StateDictLoader.Load(model.Backbone, tensors, $"'{files.Pth}'", name => name.StartsWith("fc.", StringComparison.Ordinal),
                "Expected a torchvision resnet50 state dict.");
            model.eval();

            // Then its tensors are the .safetensors twin's, and features and logits match torchvision's
            var twin = SafeTensorsFile.Open(files.SafeTensors);
            Assert.Equal(twin.Entries.Select(e => e.Name).Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
            foreach (var entry in twin.Entries)
                Assert.True(Same(twin.ReadTensor(entry), tensors[entry.Name]), $"{entry.Name} differs from the safetensors twin");
            using var input = Read(reference, "input");
            using var noGrad = no_grad();
            var features = model.Features(input);
            var logits = features.matmul(tensors["fc.weight"].t()) + tensors["fc.bias"];
            output.WriteLine($"wrap {wrap ?? "none"}: features relative difference {RelativeDifference(reference, "features", features):E2}, " +
                             $"logits {RelativeDifference(reference, "logits", logits):E2}");
            Assert.True(RelativeDifference(reference, "features", features) <= 1e-4);
            Assert.True(RelativeDifference(reference, "logits", logits) <= 1e-4);
        }
    }

    [PythonModuleFact("torch")]
    public void Should_refuse_files_that_hold_no_state_dict_with_what_they_hold()
    {
        // Given a bare tensor, a wrapper under an unknown key, and PyTorch's legacy (pre-1.6) format
        NativeRuntime.EnsureInitialized();
        var folder = SmallFolder.Value;
        (string File, string Expected)[] cases =
        [
            ("bare-tensor.pth", "holds a single tensor, not a state dict"),
            ("unknown-wrapper.pth", "holds a dict with 2 entries ('epoch', 'net')"),
            ("legacy.pth", "PyTorch's legacy format"),
        ];
        foreach (var (file, expected) in cases)
        {
            // When each is read
            var path = Path.Combine(folder, file);
            var error = Assert.Throws<HoldoutException>(() => TorchCheckpoint.Read(path));
            output.WriteLine(error.Message);

            // Then the message names the file, what it holds, and the fix
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing in the file was executed", error.Message, StringComparison.Ordinal);
            Assert.Contains(".safetensors", error.Message, StringComparison.Ordinal);
        }
    }

    [PythonModuleFact("torch")]
    public void Should_refuse_a_damaged_checkpoint_with_a_message_not_a_crash()
    {
        // Given a valid checkpoint cut short, and one whose storage is shorter than data.pkl says
        NativeRuntime.EnsureInitialized();
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(Path.Combine(SmallFolder.Value, "plain.pth"));
        var truncated = folder.Write("truncated.pth", bytes[..(bytes.Length / 2)]);
        var shortStorage = Path.Combine(folder.Path, "short-storage.pth");
        var made = Python.Run("""
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as source, zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_STORED) as target:
                for item in source.infolist():
                    data = source.read(item)
                    target.writestr(item.filename, data[:-4] if item.filename.endswith('/data/0') else data)
            """, Path.Combine(SmallFolder.Value, "plain.pth"), shortStorage);
        Assert.True(made.ExitCode == 0, made.Errors);

        foreach (var path in new[] { truncated, shortStorage })
        {
            // When each is read, Then it is a HoldoutException naming the file
            var error = Assert.Throws<HoldoutException>(() => TorchCheckpoint.Read(path));
            output.WriteLine(error.Message);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing in the file was executed", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_read_a_hand_made_checkpoint_without_python()
    {
        // Given a zip like torch.save's holding {'w': tensor([1., 2., 3.])}, written byte by byte
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        var path = Zip(folder, "w.pth", Pickle(
            "\u0080\u0002}", Unicode("w"), "ctorch._utils\n_rebuild_tensor_v2\n((", Unicode("storage"), "ctorch\nFloatStorage\n",
            Unicode("0"), Unicode("cpu"), "K\u0003tQK\u0000K\u0003\u0085K\u0001\u0085\u0089ccollections\nOrderedDict\n)RtRs."),
            ("data/0", [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40]));

        // When it is read, Then it holds that tensor
        var tensors = TorchCheckpoint.Read(path);
        Assert.Equal(["w"], tensors.Keys);
        Assert.Equal([1f, 2f, 3f], tensors["w"].data<float>().ToArray());
    }

    [Fact]
    public void Should_refuse_globals_off_the_allow_list_however_the_pickle_spells_them()
    {
        // Given pickles that name code through GLOBAL, STACK_GLOBAL with memoised strings, INST and the extension
        // registry, and malformed ones, each in a zip like torch.save's
        NativeRuntime.EnsureInitialized();
        using var folder = new TempFolder();
        (string Name, byte[] Pickle, string Expected)[] cases =
        [
            ("GLOBAL", Pickle("\u0080\u0002cposix\nsystem\n", Unicode("true"), "\u0085R."), "imports posix.system (os.system)"),
            ("STACK_GLOBAL from LONG_BINGET", Pickle("\u0080\u0004\u008c\u000asubprocess\u0094\u008c\u0004call\u0094" + "00" +
                "j\u0000\u0000\u0000\u0000h\u0001\u0093]R."), "imports subprocess.call"),
            ("INST", Pickle("\u0080\u0002(", Unicode("true"), "isubprocess\ncall\n."), "imports subprocess.call"),
            ("EXT1", Pickle("\u0080\u0002\u0082\u0001)R."), "copyreg extension registry"),
            ("an allowed module, another name", Pickle("\u0080\u0002ctorch.storage\n_load_from_bytes\n)R."), "imports torch.storage._load_from_bytes"),
            ("STACK_GLOBAL on numbers", Pickle("\u0080\u0004K\u0001K\u0002\u0093."), "not strings"),
            ("an unknown opcode", Pickle("\u0080\u0002\u00ff."), "not a pickle opcode"),
            ("no STOP", Pickle("\u0080\u0002}"), "without a STOP"),
            ("a memo entry never stored", Pickle("\u0080\u0002h\u0007."), "never stored"),
        ];
        foreach (var (name, pickle, expected) in cases)
        {
            // When each is read
            var path = Zip(folder, name.Replace(' ', '-') + ".pth", pickle);
            var error = Assert.Throws<HoldoutException>(() => TorchCheckpoint.Read(path));
            output.WriteLine($"{name}: {error.Message}");

            // Then it is refused naming what was found, and nothing ran
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing in the file was executed", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Pickle bytes from pieces: strings are taken byte for byte (each char below 256), arrays as they are.</summary>
    private static byte[] Pickle(params object[] parts) =>
        [.. parts.SelectMany(p => p is string s ? s.Select(c => checked((byte)c)) : (byte[])p)];

    /// <summary>BINUNICODE: a 4-byte length and UTF-8 text.</summary>
    private static byte[] Unicode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return [(byte)'X', .. BitConverter.GetBytes(bytes.Length), .. bytes];
    }

    /// <summary>A zip as torch.save writes it: archive/data.pkl, archive/version, the storages, uncompressed.</summary>
    private static string Zip(TempFolder folder, string name, byte[] pickle, params (string Name, byte[] Bytes)[] records)
    {
        var path = Path.Combine(folder.Path, name);
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
        {
            foreach (var (record, bytes) in new[] { ("data.pkl", pickle), ("version", "3\n"u8.ToArray()) }.Concat(records))
            {
                using var stream = zip.CreateEntry("archive/" + record, System.IO.Compression.CompressionLevel.NoCompression).Open();
                stream.Write(bytes);
            }
        }
        return path;
    }

    [Fact]
    public void Should_name_the_missing_file()
    {
        NativeRuntime.EnsureInitialized();
        var path = Path.Combine(Path.GetTempPath(), $"holdout-missing-{Guid.NewGuid():N}.pth");
        var error = Assert.Throws<HoldoutException>(() => TorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    private static bool Same(Tensor expected, Tensor actual) =>
        expected.dtype == actual.dtype && expected.shape.SequenceEqual(actual.shape) && (expected == actual).all().item<bool>();


    private static double RelativeDifference(SafeTensorsFile file, string name, Tensor actual)
    {
        using var expected = Read(file, name);
        Assert.Equal(expected.shape, actual.shape);
        return (expected - actual).abs().max().item<float>() / expected.abs().max().item<float>();
    }
}
