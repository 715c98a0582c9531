using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace Holdout.Models.Weights;

/// <summary>
/// A pickle reader for what <c>torch.save</c> writes, that runs nothing: it walks the opcode stream (Python's
/// <c>pickletools</c> table, protocols 2 to 5 and the few protocol 0/1 opcodes that have no string payload) and
/// builds plain values only: <see langword="null"/>, <see cref="bool"/>, <see cref="long"/>, <see cref="BigInteger"/>,
/// <see cref="double"/>, <see cref="string"/>, <c>byte[]</c>, tuples (<c>object?[]</c>), lists
/// (<see cref="List{T}"/>), <see cref="Dict"/>, and descriptions of tensors (<see cref="TensorRef"/>, nothing is
/// read or allocated for them here). A reference to any Python global outside <see cref="Allowed"/> (GLOBAL,
/// STACK_GLOBAL, INST) is refused where it appears, as are the extension registry (EXT1/2/4) and out-of-band buffers;
/// STACK_GLOBAL takes its module and name from the simulated stack and memo, so they are the strings Python would
/// see. Malformed or unexpected input is refused too: nothing is guessed.
/// </summary>
internal static class TorchPickle
{
    /// <summary>The most values the stack (and the marks) may hold; torch.save's pickles stay far below.</summary>
    public const int MaxStack = 1 << 20;

    /// <summary>A Python global on the allow-list (a callable or class; never resolved to anything).</summary>
    internal sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    /// <summary>A tensor storage named by a persistent id: the archive record <c>data/KEY</c> holds its bytes.</summary>
    internal sealed record StorageRef(string Key, string TypeName, ScalarType DType, long Elements);

    /// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a strided view of a storage.</summary>
    internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

    /// <summary>An instance of an allowed plain class (<c>argparse.Namespace</c>), with its BUILD state.</summary>
    internal sealed class Instance(Global type)
    {
        public Global Type { get; } = type;
        public object? State { get; set; }
    }

    /// <summary>A dict or OrderedDict: entries in insertion order; setting an existing key replaces its value.</summary>
    internal sealed class Dict
    {
        private readonly List<KeyValuePair<object?, object?>> _items = [];
        private readonly Dictionary<object, int> _index = [];

        public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

        public int Count => _items.Count;

        public void Set(object? key, object? value)
        {
            if (key is not null && _index.TryGetValue(key, out var at))
            {
                _items[at] = new(key, value);
                return;
            }
            if (key is not null) _index[key] = _items.Count;
            _items.Add(new(key, value));
        }

        public bool TryGet(string key, out object? value)
        {
            value = null;
            if (!_index.TryGetValue(key, out var at)) return false;
            value = _items[at].Value;
            return true;
        }
    }

    /// <summary>The input was refused: <see cref="IsUnsafe"/> when it asks for code, otherwise it is malformed.</summary>
    internal sealed class RefusedException(string what, bool isUnsafe) : Exception(what)
    {
        /// <summary>The pickle refers to code (a global off the allow-list, the extension registry).</summary>
        public bool IsUnsafe { get; } = isUnsafe;
    }

    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32,
        ["DoubleStorage"] = ScalarType.Float64,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
    };

    /// <summary>
    /// The Python globals a checkpoint may name: what torch.save (PyTorch 1.6 to 2.x, checked against 1.13's output)
    /// writes for tensors, parameters and OrderedDicts, the tensor storage classes, and <c>argparse.Namespace</c>
    /// (the <c>args</c> entry of torchvision's and timm's training checkpoints: a bag of attributes). Nothing here is
    /// ever called: each is recognised by name and rebuilt as a plain value.
    /// </summary>
    public static readonly IReadOnlySet<string> Allowed = new HashSet<string>(
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "argparse.Namespace",
        .. StorageTypes.Keys.Select(name => "torch." + name),
    ], StringComparer.Ordinal);

    /// <summary>The bytes per element of a storage dtype.</summary>
    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>Reads one pickle from the start of <paramref name="data"/>.</summary>
    /// <param name="data">The pickle bytes (more may follow it).</param>
    /// <param name="consumed">How many bytes the pickle took, its STOP opcode included.</param>
    /// <returns>The pickled value.</returns>
    /// <exception cref="RefusedException">The pickle refers to code, or is malformed.</exception>
    public static object? Load(ReadOnlySpan<byte> data, out int consumed) => new Machine().Run(data, out consumed);

    /// <summary>
    /// How a global reads in a message: as written, and as Python 3 knows it where that differs (<c>posix.system</c>
    /// is <c>os.system</c>; protocol 2 writes Python 2 module names, which Python 3 maps back when it loads).
    /// </summary>
    internal static string Describe(string module, string name)
    {
        var known = module switch
        {
            "posix" or "nt" => "os",
            "__builtin__" => "builtins",
            "commands" => "subprocess",
            "copy_reg" => "copyreg",
            _ => null,
        };
        return known is null ? $"{module}.{name}" : $"{module}.{name} ({known}.{name})";
    }

    private sealed class Machine
    {
        private readonly List<object?> _stack = [];
        private readonly Stack<int> _marks = new();
        private readonly Dictionary<long, object?> _memo = [];
        private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);

        public object? Run(ReadOnlySpan<byte> data, out int consumed)
        {
            var reader = new Reader(data);
            while (true)
            {
                if (reader.AtEnd) throw Malformed("the pickle ends without a STOP opcode (the data is truncated)");
                var at = reader.Position;
                var op = reader.Byte();
                switch (op)
                {
                    case 0x80: // PROTO
                        var protocol = reader.Byte();
                        if (protocol > 5) throw Malformed($"it uses pickle protocol {protocol}; protocols up to 5 are known");
                        break;
                    case 0x95: // FRAME: a length hint only
                        reader.Bytes(8);
                        break;
                    case (byte)'.': // STOP
                        if (_marks.Count != 0 || _stack.Count != 1)
                            throw Malformed($"the pickle stops with {_stack.Count} values and {_marks.Count} open marks on its stack (expected one value)");
                        consumed = reader.Position;
                        return _stack[0];
                    case (byte)'(': // MARK
                        if (_marks.Count >= MaxStack) throw Malformed("the pickle opens too many marks");
                        _marks.Push(_stack.Count);
                        break;
                    case (byte)'0': // POP
                        Pop();
                        break;
                    case (byte)'1': // POP_MARK
                        PopMark();
                        break;
                    case (byte)'2': // DUP
                        Push(Peek());
                        break;
                    case (byte)'N': // NONE
                        Push(null);
                        break;
                    case 0x88: // NEWTRUE
                        Push(true);
                        break;
                    case 0x89: // NEWFALSE
                        Push(false);
                        break;
                    case (byte)'J': // BININT
                        Push((long)BinaryPrimitives.ReadInt32LittleEndian(reader.Bytes(4)));
                        break;
                    case (byte)'K': // BININT1
                        Push((long)reader.Byte());
                        break;
                    case (byte)'M': // BININT2
                        Push((long)BinaryPrimitives.ReadUInt16LittleEndian(reader.Bytes(2)));
                        break;
                    case 0x8a: // LONG1
                        Push(Integer(reader.Bytes(reader.Byte())));
                        break;
                    case 0x8b: // LONG4
                        Push(Integer(reader.Bytes(reader.Length(4))));
                        break;
                    case (byte)'I': // INT (text; 00 and 01 are False and True)
                        var intText = reader.Line();
                        Push(intText switch
                        {
                            "00" => false,
                            "01" => true,
                            _ => ParseInteger(intText),
                        });
                        break;
                    case (byte)'L': // LONG (text)
                        Push(ParseInteger(reader.Line().TrimEnd('L')));
                        break;
                    case (byte)'F': // FLOAT (text)
                        if (!double.TryParse(reader.Line(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
                            throw Malformed($"FLOAT at byte {at} is not a number");
                        Push(parsed);
                        break;
                    case (byte)'G': // BINFLOAT
                        Push(BinaryPrimitives.ReadDoubleBigEndian(reader.Bytes(8)));
                        break;
                    case (byte)'X': // BINUNICODE
                        Push(Text(reader.Bytes(reader.Length(4)), at));
                        break;
                    case 0x8c: // SHORT_BINUNICODE
                        Push(Text(reader.Bytes(reader.Byte()), at));
                        break;
                    case 0x8d: // BINUNICODE8
                        Push(Text(reader.Bytes(reader.Length(8)), at));
                        break;
                    case (byte)'B': // BINBYTES
                        Push(reader.Bytes(reader.Length(4)).ToArray());
                        break;
                    case (byte)'C': // SHORT_BINBYTES
                        Push(reader.Bytes(reader.Byte()).ToArray());
                        break;
                    case 0x8e: // BINBYTES8
                    case 0x96: // BYTEARRAY8
                        Push(reader.Bytes(reader.Length(8)).ToArray());
                        break;
                    case (byte)')': // EMPTY_TUPLE
                        Push(Array.Empty<object?>());
                        break;
                    case (byte)'t': // TUPLE
                        Push(PopMark().ToArray());
                        break;
                    case 0x85: // TUPLE1
                        Push(new[] { Pop() });
                        break;
                    case 0x86: // TUPLE2
                        {
                            var second = Pop();
                            Push(new[] { Pop(), second });
                            break;
                        }
                    case 0x87: // TUPLE3
                        {
                            var third = Pop();
                            var second = Pop();
                            Push(new[] { Pop(), second, third });
                            break;
                        }
                    case (byte)']': // EMPTY_LIST
                        Push(new List<object?>());
                        break;
                    case (byte)'l': // LIST
                        Push(PopMark());
                        break;
                    case (byte)'a': // APPEND
                        {
                            var item = Pop();
                            Target<List<object?>>("APPEND").Add(item);
                            break;
                        }
                    case (byte)'e': // APPENDS
                        {
                            var items = PopMark();
                            Target<List<object?>>("APPENDS").AddRange(items);
                            break;
                        }
                    case 0x8f: // EMPTY_SET (kept as a list: nothing here needs set semantics)
                        Push(new List<object?>());
                        break;
                    case 0x90: // ADDITEMS
                        {
                            var items = PopMark();
                            Target<List<object?>>("ADDITEMS").AddRange(items);
                            break;
                        }
                    case 0x91: // FROZENSET
                        Push(PopMark());
                        break;
                    case (byte)'}': // EMPTY_DICT
                        Push(new Dict());
                        break;
                    case (byte)'d': // DICT
                        {
                            var dict = new Dict();
                            SetItems(dict, PopMark(), "DICT");
                            Push(dict);
                            break;
                        }
                    case (byte)'s': // SETITEM
                        {
                            var value = Pop();
                            var key = Pop();
                            Target<Dict>("SETITEM").Set(key, value);
                            break;
                        }
                    case (byte)'u': // SETITEMS
                        {
                            var items = PopMark();
                            SetItems(Target<Dict>("SETITEMS"), items, "SETITEMS");
                            break;
                        }
                    case (byte)'q': // BINPUT
                        _memo[reader.Byte()] = Peek();
                        break;
                    case (byte)'r': // LONG_BINPUT
                        _memo[BinaryPrimitives.ReadUInt32LittleEndian(reader.Bytes(4))] = Peek();
                        break;
                    case 0x94: // MEMOIZE
                        _memo[_memo.Count] = Peek();
                        break;
                    case (byte)'p': // PUT (text)
                        _memo[MemoIndex(reader.Line(), at)] = Peek();
                        break;
                    case (byte)'h': // BINGET
                        Push(Memo(reader.Byte(), at));
                        break;
                    case (byte)'j': // LONG_BINGET
                        Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(reader.Bytes(4)), at));
                        break;
                    case (byte)'g': // GET (text)
                        Push(Memo(MemoIndex(reader.Line(), at), at));
                        break;
                    case (byte)'c': // GLOBAL
                        {
                            var module = reader.Line();
                            var name = reader.Line();
                            Push(Resolve(module, name));
                            break;
                        }
                    case 0x93: // STACK_GLOBAL: module and name are the two strings on top of the stack
                        {
                            var name = Pop();
                            var module = Pop();
                            if (module is not string m || name is not string n)
                                throw Malformed($"STACK_GLOBAL at byte {at} takes its module and name from values of type {TypeName(module)} and {TypeName(name)}, not strings");
                            Push(Resolve(m, n));
                            break;
                        }
                    case (byte)'i': // INST: module and class inline, arguments since the mark
                        {
                            var module = reader.Line();
                            var name = reader.Line();
                            var type = Resolve(module, name);
                            Push(Construct(type, [.. PopMark()], "INST"));
                            break;
                        }
                    case (byte)'o': // OBJ: class and arguments since the mark
                        {
                            var items = PopMark();
                            if (items.Count == 0 || items[0] is not Global type)
                                throw Malformed($"OBJ at byte {at} has no allowed class to build");
                            Push(Construct(type, [.. items.Skip(1)], "OBJ"));
                            break;
                        }
                    case (byte)'R': // REDUCE: callable(*args)
                        {
                            var args = Pop();
                            var callable = Pop();
                            Push(Call(callable, args, at));
                            break;
                        }
                    case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                        {
                            var args = Pop();
                            var type = Pop();
                            if (type is not Global g || args is not object?[] tuple)
                                throw Malformed($"NEWOBJ at byte {at} is not applied to an allowed class and a tuple");
                            Push(Construct(g, tuple, "NEWOBJ"));
                            break;
                        }
                    case 0x92: // NEWOBJ_EX
                        {
                            var kwargs = Pop();
                            var args = Pop();
                            var type = Pop();
                            if (type is not Global g || args is not object?[] tuple || kwargs is not Dict { Count: 0 })
                                throw Malformed($"NEWOBJ_EX at byte {at} is not applied to an allowed class, a tuple and no keyword arguments");
                            Push(Construct(g, tuple, "NEWOBJ_EX"));
                            break;
                        }
                    case (byte)'b': // BUILD: set an object's state
                        {
                            var state = Pop();
                            Build(Peek(), state, at);
                            break;
                        }
                    case (byte)'Q': // BINPERSID: torch.save's reference to a tensor storage
                        Push(Persistent(Pop(), at));
                        break;
                    case 0x82: // EXT1
                    case 0x83: // EXT2
                    case 0x84: // EXT4
                        throw Unsafe($"the pickle names an object through the copyreg extension registry (opcode EXT at byte {at}), which can stand for any Python function");
                    case 0x97: // NEXT_BUFFER
                    case 0x98: // READONLY_BUFFER
                        throw Malformed($"it uses out-of-band buffers (pickle protocol 5, byte {at}), which torch.save does not write");
                    case (byte)'P': // PERSID (text)
                    case (byte)'S': // STRING
                    case (byte)'T': // BINSTRING
                    case (byte)'U': // SHORT_BINSTRING
                    case (byte)'V': // UNICODE
                        throw Malformed($"it uses the protocol 0/1 opcode '{(char)op}' (byte {at}), which torch.save does not write");
                    default:
                        throw Malformed($"byte {at} holds 0x{op:x2}, which is not a pickle opcode");
                }
            }
        }

        private static RefusedException Malformed(string what) => new(what, isUnsafe: false);

        private static RefusedException Unsafe(string what) => new(what, isUnsafe: true);

        private void Push(object? value)
        {
            if (_stack.Count >= MaxStack) throw Malformed($"the pickle puts more than {MaxStack} values on its stack");
            _stack.Add(value);
        }

        private object? Pop()
        {
            var floor = _marks.Count > 0 ? _marks.Peek() : 0;
            if (_stack.Count <= floor) throw Malformed("an opcode takes a value from an empty stack (or across a mark)");
            var value = _stack[^1];
            _stack.RemoveAt(_stack.Count - 1);
            return value;
        }

        private object? Peek()
        {
            var floor = _marks.Count > 0 ? _marks.Peek() : 0;
            if (_stack.Count <= floor) throw Malformed("an opcode reads a value from an empty stack (or across a mark)");
            return _stack[^1];
        }

        private List<object?> PopMark()
        {
            if (_marks.Count == 0) throw Malformed("an opcode needs a MARK that was never set");
            var mark = _marks.Pop();
            var items = _stack.GetRange(mark, _stack.Count - mark);
            _stack.RemoveRange(mark, _stack.Count - mark);
            return items;
        }

        private T Target<T>(string opcode) where T : class =>
            Peek() as T ?? throw Malformed($"{opcode} is applied to a {TypeName(Peek())}");

        private static void SetItems(Dict dict, List<object?> items, string opcode)
        {
            if (items.Count % 2 != 0) throw Malformed($"{opcode} has an odd number of keys and values");
            for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
        }

        private object? Memo(long index, int at) =>
            _memo.TryGetValue(index, out var value) ? value : throw Malformed($"byte {at} reads memo entry {index}, which was never stored");

        private static long MemoIndex(string text, int at) =>
            long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : throw Malformed($"byte {at} has an invalid memo index");

        private static string Text(ReadOnlySpan<byte> bytes, int at)
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Malformed($"the string at byte {at} is not valid UTF-8");
            }
        }

        private static object Integer(ReadOnlySpan<byte> littleEndian)
        {
            var value = new BigInteger(littleEndian, isUnsigned: false, isBigEndian: false);
            return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
        }

        private static object ParseInteger(string text) =>
            BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value >= long.MinValue && value <= long.MaxValue ? (long)value : value
                : throw Malformed($"'{text}' is not an integer");

        private static Global Resolve(string module, string name)
        {
            var full = $"{module}.{name}";
            if (!Allowed.Contains(full)) throw Unsafe($"the pickle imports {Describe(module, name)}");
            return new Global(module, name);
        }

        /// <summary>REDUCE: the allowed callables, rebuilt by what they mean, never called.</summary>
        private object? Call(object? callable, object? args, int at)
        {
            if (callable is not Global g) throw Malformed($"REDUCE at byte {at} calls a {TypeName(callable)}, not an allowed function");
            if (args is not object?[] a) throw Malformed($"REDUCE at byte {at} passes a {TypeName(args)} as the arguments of {g}");
            switch (g.ToString())
            {
                case "collections.OrderedDict":
                    return Construct(g, a, "REDUCE");
                case "torch._utils._rebuild_tensor_v2" when a.Length is 6 or 7: // storage, offset, size, stride, requires_grad, hooks[, metadata]
                case "torch._utils._rebuild_tensor" when a.Length == 4: // storage, offset, size, stride
                    return Tensor(a, g, at);
                case "torch._utils._rebuild_parameter" when a.Length == 3 && a[0] is TensorRef: // data, requires_grad, hooks
                case "torch._utils._rebuild_parameter_with_state" when a.Length == 4 && a[0] is TensorRef: // ... state
                    return a[0];
                default:
                    throw Malformed($"REDUCE at byte {at} calls {g} with {a.Length} arguments, which torch.save does not write");
            }
        }

        /// <summary>NEWOBJ, INST, OBJ and OrderedDict(): the allowed classes built with no arguments.</summary>
        private static object Construct(Global type, object?[] args, string opcode)
        {
            if (args.Length != 0) throw Malformed($"{opcode} builds {type} with {args.Length} arguments; torch.save writes none");
            return type.ToString() switch
            {
                "collections.OrderedDict" => new Dict(),
                "argparse.Namespace" => new Instance(type),
                _ => throw Malformed($"{opcode} builds {type}, which is not a class torch.save instantiates"),
            };
        }

        private static void Build(object? target, object? state, int at)
        {
            switch (target)
            {
                case Dict when state is null or Dict: // an OrderedDict's attributes (a state dict's _metadata): not entries
                    return;
                case Instance instance when state is Dict:
                    instance.State = state;
                    return;
                default:
                    throw Malformed($"BUILD at byte {at} sets the state of a {TypeName(target)} to a {TypeName(state)}");
            }
        }

        /// <summary>torch.save's persistent id: ('storage', torch.XStorage, key, location, elements).</summary>
        private StorageRef Persistent(object? pid, int at)
        {
            // PyTorch before 1.6 adds a sixth item (view metadata); the zip format never does. Accepting it lets a
            // legacy file be scanned for what it imports before it is refused.
            if (pid is not object?[] { Length: 5 or 6 } t || t[0] is not "storage" || t[1] is not Global type ||
                t[2] is not string key || t[3] is not string || t[4] is not long elements || elements < 0)
                throw Malformed($"the persistent id at byte {at} is not torch.save's ('storage', type, key, location, size)");
            if (type.Module != "torch" || !StorageTypes.TryGetValue(type.Name, out var dtype))
                throw Malformed($"the persistent id at byte {at} names {type}, not a tensor storage type");
            var storage = new StorageRef(key, type.Name, dtype, elements);
            if (_storages.TryGetValue(key, out var known))
            {
                if (known != storage)
                    throw Malformed($"storage '{key}' is described twice, as {known.Elements} {known.TypeName} and as {elements} {type.Name}");
                return known;
            }
            _storages[key] = storage;
            return storage;
        }

        private static TensorRef Tensor(object?[] args, Global function, int at)
        {
            if (args[0] is not StorageRef storage || args[1] is not long offset || args[2] is not object?[] size || args[3] is not object?[] stride)
                throw Malformed($"{function} at byte {at} is not given a storage, an offset, a size and a stride");
            if (size.Length != stride.Length || size.Length > 64 || offset < 0)
                throw Malformed($"{function} at byte {at} has {size.Length} sizes, {stride.Length} strides and offset {offset}");
            var shape = new long[size.Length];
            var strides = new long[size.Length];
            try
            {
                long elements = 1, last = offset;
                for (int i = 0; i < shape.Length; i++)
                {
                    if (size[i] is not long s || s < 0 || stride[i] is not long d || d < 0)
                        throw Malformed($"{function} at byte {at} has a size or stride that is not a whole number >= 0");
                    shape[i] = s;
                    strides[i] = d;
                    elements = checked(elements * s);
                    if (s > 0) last = checked(last + (s - 1) * d);
                }
                if (elements > 0 && last >= storage.Elements)
                    throw Malformed($"a tensor of shape [{string.Join(',', shape)}] (stride [{string.Join(',', strides)}], offset {offset}) reaches element {last} of storage '{storage.Key}', which has {storage.Elements}");
            }
            catch (OverflowException)
            {
                throw Malformed($"a tensor at byte {at} declares a size too large to exist");
            }
            return new TensorRef(storage, offset, shape, strides);
        }

        internal static string TypeName(object? value) => value switch
        {
            null => "None",
            bool => "bool",
            long or BigInteger => "int",
            double => "float",
            string => "str",
            byte[] => "bytes",
            object?[] => "tuple",
            List<object?> => "list",
            Dict => "dict",
            Global g => g.ToString(),
            Instance i => i.Type.ToString(),
            StorageRef => "storage",
            TensorRef => "tensor",
            _ => value.GetType().Name,
        };
    }

    /// <summary>The Python type name of a value built by <see cref="Load"/>, for messages.</summary>
    public static string TypeName(object? value) => Machine.TypeName(value);

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position >= _data.Length;

        public byte Byte() => Bytes(1)[0];

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > _data.Length - Position)
                throw new RefusedException($"an opcode reads {count} bytes at byte {Position} but the pickle has {_data.Length - Position} left (the data is truncated)", isUnsafe: false);
            var span = _data.Slice(Position, count);
            Position += count;
            return span;
        }

        /// <summary>A little-endian unsigned length of <paramref name="width"/> bytes, which must fit what is left.</summary>
        public int Length(int width)
        {
            var bytes = Bytes(width);
            var value = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            if (value > (ulong)(_data.Length - Position))
                throw new RefusedException($"a value at byte {Position - width - 1} declares {value} bytes but the pickle has {_data.Length - Position} left", isUnsafe: false);
            return (int)value;
        }

        /// <summary>A text argument up to the next newline (protocol 0 style, e.g. GLOBAL's module and name).</summary>
        public string Line()
        {
            var rest = _data[Position..];
            var end = rest.IndexOf((byte)'\n');
            if (end < 0) throw new RefusedException($"the text argument at byte {Position} has no end of line (the data is truncated)", isUnsafe: false);
            var bytes = rest[..end];
            Position += end + 1;
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new RefusedException($"the text argument before byte {Position} is not valid UTF-8", isUnsafe: false);
            }
        }
    }
}
