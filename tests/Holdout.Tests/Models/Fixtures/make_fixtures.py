#!/usr/bin/python3
"""Generates the PyTorch parity fixtures for tests/Holdout.Tests/Models (not run in CI).

Run with Debian's PyTorch (apt-get install -y python3-torch python3-torchvision):
    /usr/bin/python3 tests/Holdout.Tests/Models/Fixtures/make_fixtures.py

Weights are not stored: both sides derive every backbone tensor from a formula over its name and element index
(see formula_value; FormulaWeights.cs is the C# twin). Stored: PyTorch's features for a formula input, in eval and
in train mode, plus a few BatchNorm running statistics after the train-mode pass, and a small module's state dict
as a real safetensors file. The safetensors format is written by hand (8-byte little-endian header length, JSON
header, raw little-endian bytes) because Debian has no python3-safetensors.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))


def name_hash(name):
    return sum((k + 1) * ord(c) for k, c in enumerate(name)) % 1009


def uniform(count, salt):
    """Exact integer hash of (index, salt) mapped to [-0.5, 0.5): identical in every language, no libm involved."""
    i = np.arange(count, dtype=np.uint64)
    bits = (i * np.uint64(2654435761) + np.uint64(salt) * np.uint64(40503)) & np.uint64(0xFFFFFFFF)
    bits = bits ^ (bits >> np.uint64(15))
    bits = (bits * np.uint64(2246822519)) & np.uint64(0xFFFFFFFF)
    bits = bits ^ (bits >> np.uint64(13))
    return bits.astype(np.float64) / 4294967296.0 - 0.5


def formula_value(name, shape):
    """The value of every element of tensor `name` with `shape`, as float32."""
    count = int(np.prod(shape)) if len(shape) > 0 else 1
    base = uniform(count, name_hash(name))
    if name.endswith("running_var"):
        v = 1.0 + base
    elif name.endswith("running_mean"):
        v = 0.2 * base
    elif len(shape) == 1 and name.endswith("weight"):
        v = 0.5 + 0.2 * base
    elif len(shape) == 1:
        v = 0.1 * base
    else:
        fan_in = int(np.prod(shape[1:]))
        v = base * math.sqrt(24.0 / fan_in)
    return v.astype(np.float32).reshape(shape)


def formula_input(shape):
    count = int(np.prod(shape))
    return (3.0 * uniform(count, 7)).astype(np.float32).reshape(shape)


def fill(module):
    state = module.state_dict()
    for name, tensor in state.items():
        if name.endswith("num_batches_tracked"):
            continue
        tensor.copy_(torch.from_numpy(formula_value(name, tuple(tensor.shape))))


DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64"}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, numpy array or ('BF16', uint16 array))."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, array in tensors:
        if isinstance(array, tuple):
            dtype, array = array
        else:
            dtype = DTYPES[array.dtype]
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def features(model, x):
    m = model
    x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
    x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
    return torch.flatten(m.avgpool(x), 1)


def resnet_fixture(name, factory):
    torch.manual_seed(0)
    model = factory()
    with torch.no_grad():
        fill(model)
        x = torch.from_numpy(formula_input((2, 3, 96, 96)))
        model.eval()
        eval_features = features(model, x).numpy()
        model.train()
        train_features = features(model, x).numpy()
        state = model.state_dict()
    last_bn = [k for k in state if k.endswith("running_mean")][-1]
    tensors = [
        ("eval_features", eval_features),
        ("train_features", train_features),
        ("after_train.bn1.running_mean", state["bn1.running_mean"].numpy()),
        ("after_train.bn1.running_var", state["bn1.running_var"].numpy()),
        ("after_train.last.running_mean", state[last_bn].numpy()),
    ]
    write_safetensors(os.path.join(HERE, f"{name}-parity.safetensors"), tensors,
                      {"written_by": f"torch {torch.__version__} torchvision {torchvision.__version__}", "last_bn": last_bn,
                       "state_dict_keys": ",".join(k for k in state if not k.startswith("fc."))})
    print(name, "eval max", float(np.abs(eval_features).max()), "train max", float(np.abs(train_features).max()), last_bn)


def small_module_fixture():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        fill(module)
        module.state_dict()["1.num_batches_tracked"].fill_(7)
    tensors = [(k, v.numpy()) for k, v in module.state_dict().items()]
    tensors.append(("extra.f64", formula_value("extra.f64", (3, 2)).astype(np.float64)))
    tensors.append(("extra.f16", formula_value("extra.f16", (5,)).astype(np.float16)))
    bf16 = torch.from_numpy(formula_value("extra.bf16", (4,))).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    tensors.append(("extra.bf16", ("BF16", bf16)))
    write_safetensors(os.path.join(HERE, "small-module.safetensors"), tensors, {"written_by": f"torch {torch.__version__}"})


if __name__ == "__main__":
    resnet_fixture("resnet18", lambda: torchvision.models.resnet18(weights=None))
    resnet_fixture("resnet50", lambda: torchvision.models.resnet50(weights=None))
    small_module_fixture()
