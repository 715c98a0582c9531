#!/usr/bin/python3
"""Makes a torchvision parity fixture for one architecture: random-weight weights as .pth and .safetensors, and
torchvision's pooled features and logits for a few random images.

Run with Debian's PyTorch (apt-get install -y python3-torch python3-torchvision); the tests run it at test time:
    /usr/bin/python3 make_torchvision_fixture.py ARCH OUT_DIR [--size 64] [--images 2] [--seed 1] [--wrap state_dict|model]

ARCH is torchvision's model function: resnet50, efficientnet_b0, mobilenet_v3_large, convnext_tiny, ...
Writes, in OUT_DIR:
    ARCH.pth                 torch.save(model.state_dict()) (or {WRAP: state_dict, "epoch": 3} with --wrap)
    ARCH.safetensors         the same tensors as safetensors (written by hand: Debian has no python3-safetensors)
    ARCH-reference.safetensors   input (N x 3 x S x S), features (the pooled features the classifier reads), logits
torchvision's initialisation leaves BatchNorm at mean 0, variance 1, weight 1, bias 0 and ConvNeXt's layer scale at
1e-6, which would hide mistakes in how they are applied; they are redrawn from the seed, so every tensor matters.
"""
import argparse
import collections
import json
import os
import struct

import numpy as np
import torch
import torchvision


def features_of(arch, model, x):
    """The vector torchvision's last linear layer (or classifier block) reads."""
    if arch.startswith("resnet"):
        m = model
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
        return torch.flatten(m.avgpool(x), 1)
    if arch.startswith("convnext"):
        x = model.avgpool(model.features(x))
        return torch.flatten(model.classifier[0](x), 1)  # classifier = LayerNorm2d, Flatten, Linear
    return torch.flatten(model.avgpool(model.features(x)), 1)  # efficientnet, mobilenet_v3


def perturb(model, generator):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=generator))
                module.weight.copy_(0.75 + 0.5 * torch.rand(module.weight.shape, generator=generator))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=generator))
            elif isinstance(module, torch.nn.LayerNorm):
                module.weight.copy_(0.75 + 0.5 * torch.rand(module.weight.shape, generator=generator))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=generator))
        for name, parameter in model.named_parameters():
            if name.endswith("layer_scale"):
                parameter.copy_(0.1 + 0.4 * torch.rand(parameter.shape, generator=generator))


def save_safetensors(path, tensors, metadata=None):
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    header = {"__metadata__": metadata or {}}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("arch")
    parser.add_argument("out")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wrap", choices=["state_dict", "model"])
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    model = getattr(torchvision.models, args.arch)(weights=None)
    perturb(model, torch.Generator().manual_seed(args.seed + 1))
    model.eval()
    x = torch.randn(args.images, 3, args.size, args.size, generator=torch.Generator().manual_seed(args.seed + 2))
    with torch.no_grad():
        features = features_of(args.arch, model, x)
        logits = model(x)
    os.makedirs(args.out, exist_ok=True)
    state = collections.OrderedDict((k, v) for k, v in model.state_dict().items())
    pth = os.path.join(args.out, args.arch + ".pth")
    torch.save({args.wrap: state, "epoch": 3} if args.wrap else state, pth + ".tmp")
    os.replace(pth + ".tmp", pth)
    save_safetensors(os.path.join(args.out, args.arch + ".safetensors"), state,
                     {"format": "pt", "torchvision": torchvision.__version__})
    save_safetensors(os.path.join(args.out, args.arch + "-reference.safetensors"),
                     {"input": x, "features": features, "logits": logits},
                     {"arch": args.arch, "torch": torch.__version__, "torchvision": torchvision.__version__,
                      "state_dict_keys": ",".join(state.keys())})


if __name__ == "__main__":
    main()
