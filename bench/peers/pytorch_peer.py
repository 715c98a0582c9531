#!/usr/bin/python3
"""PyTorch peer: the ML.NET/CNTK ResNet18 ONNX backbone re-built as a PyTorch nn.Module,
checked for parity against the ONNX graph, then used for the two standard transfer-learning
recipes a PyTorch user would write, and a DataLoader throughput benchmark.

What it measures (the baseline Holdout's bench compares against, in the same session, as ratios):
  train --recipe finetune   train img/s end to end and per phase (head epoch, all-layers epochs),
                            eval img/s, val/test accuracy, wall time   <- Holdout.Bench train
  train --recipe frozen     the same for a frozen backbone + linear head <- Holdout.Bench eval (eval_img_s)
  loader                    DataLoader img/s alone (decode + transform + normalised float batches)
                                                                          <- Holdout.Bench loader
  parity                    this module's features vs the ONNX graph (numpy float64), onnxruntime, ML.NET
  backbone --arch NAME      a torchvision model's training step and evaluation img/s on one fixed random
                            batch (Adam, cross-entropy, all layers; eval: no_grad)  <- Holdout.Bench backbones
How it is run: the bench (bench/Holdout.Bench, see bench/README.md) starts it with Debian's
/usr/bin/python3 and passes --splits <its work folder> with the split it made (the committed sample
samples/beans split by Holdout, or the reference beans lists in bench/peers/splits/ for --data
../shared/datasets/beans). Needs: apt-get install python3-torch python3-torchvision python3-onnx
python3-pil (torch 1.13, torchvision 0.14; there is no PyPI here), and the ONNX files of the NuGet
package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, which building Holdout restores.
Brought into the repository from the team's shared/peers (issue 26) unchanged apart from this header.

Run with Debian's python (torch 1.13 / torchvision 0.14), not a pyenv/venv python without torch:
    /usr/bin/python3 pytorch_peer.py parity [--n 6] [--datasets A,B]
    /usr/bin/python3 pytorch_peer.py train --dataset NAME --recipe frozen|finetune [--epochs 5]
    /usr/bin/python3 pytorch_peer.py loader (--folder DIR | --dataset NAME [--part train|val|test|all])
                                            [--workers 2] [--passes 6] [--transform both|train|eval]
A dataset NAME is any that has splits/NAME.{train,val,test}.txt and splits/NAME.root (see
make_splits.py); a root may be relative to the splits folder.

Paths (nothing machine-specific is built in):
  --splits DIR / $PEERS_SPLITS     split lists (default: splits/ next to this script: the reference beans
                                   lists, whose beans.root points at ../shared/datasets/beans beside the clone)
  $PEERS_RESULTS                   where JSON results go (default: <tmp>/peers-results, <tmp> = $TMPDIR
                                   or /tmp); --out FILE overrides the file for one command
  $DNN_IMAGE_MODELS                folder holding ResNet18Onnx/ and ResNetPrepOnnx/; default: the
                                   NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 in
                                   $NUGET_PACKAGES (or ~/.nuget/packages), else a built mlnet-peer's copy
  $PEERS_WORK                      scratch files of the parity check (default: <tmp>/<folder>-work)

Model notes (read from the ONNX file, not assumed):
  * input of ResNet18.onnx: 1x3x224x224 BGR, 0..255 minus a 1x3x224x224 mean image
    (ResNetPreprocess.onnx: Split RGB -> Concat BGR -> Sub MeanImage);
  * convs with asymmetric ONNX pads [top,left,bottom,right]: stem 7x7/s2 [3,3,2,2],
    3x3/s2 convs and the 3x3/s2 max-pool [1,1,0,0]; they are reproduced with F.pad;
  * BN eps from the graph (float32(1e-5)); final 7x7 AveragePool (count_include_pad=0) -> 512-d;
  * the CNTK graph has 9 BasicBlocks, not 8: stages of [2,2,2,3] blocks (layer4 has an
    extra 512-channel block). The block layout is parsed from the graph.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image
from torchvision import transforms
from torchvision.datasets.folder import IMG_EXTENSIONS, default_loader

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURIZER_PACKAGE = ("microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1")
SPLITS = os.environ.get("PEERS_SPLITS") or os.path.join(HERE, "splits")
RESULTS = os.environ.get("PEERS_RESULTS") or os.path.join(tempfile.gettempdir(), "peers-results")
WORK = os.environ.get("PEERS_WORK") or os.path.join(tempfile.gettempdir(), os.path.basename(HERE) + "-work")
SEED = 0
THREADS = 2


def model_dir_candidates():
    cands = []
    if os.environ.get("DNN_IMAGE_MODELS"):
        cands.append(os.environ["DNN_IMAGE_MODELS"])
    nuget = os.environ.get("NUGET_PACKAGES") or os.path.join(os.path.expanduser("~"), ".nuget", "packages")
    cands.append(os.path.join(nuget, *FEATURIZER_PACKAGE, "tools", "DnnImageModels"))
    cands.append(os.path.join(HERE, "mlnet-peer", "bin", "Release", "net10.0", "DnnImageModels"))
    return cands


def model_file(*rel):
    """Path of a file of the DnnImageModels folder (ResNet18Onnx/ResNet18.onnx, ...)."""
    for d in model_dir_candidates():
        p = os.path.join(d, *rel)
        if os.path.isfile(p):
            return p
    sys.exit(f"pytorch_peer: {os.path.join(*rel)} not found under any of {model_dir_candidates()}. "
             f"Restore the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 {FEATURIZER_PACKAGE[1]} "
             f"(e.g. `dotnet restore mlnet-peer`), or set DNN_IMAGE_MODELS to the folder holding "
             f"ResNet18Onnx/ and ResNetPrepOnnx/.")


def onnx_backbone_path():
    return model_file("ResNet18Onnx", "ResNet18.onnx")


def onnx_prep_path():
    return model_file("ResNetPrepOnnx", "ResNetPreprocess.onnx")


# ----------------------------------------------------------------------------------------
# ONNX -> nn.Module
# ----------------------------------------------------------------------------------------
def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _torch_pad(onnx_pads):
    """ONNX [h_begin, w_begin, h_end, w_end] -> F.pad (w_left, w_right, h_top, h_bottom)."""
    hb, wb, he, we = onnx_pads
    return (wb, we, hb, he)


class PadConv(nn.Module):
    """Conv2d (no bias, as in the graph) with ONNX padding, asymmetric pads via F.pad."""

    def __init__(self, weight, stride, pads):
        super().__init__()
        o, i, kh, kw = weight.shape
        hb, wb, he, we = pads
        self.sym = (hb == he and wb == we)
        self.conv = nn.Conv2d(i, o, (kh, kw), stride=stride,
                              padding=(hb, wb) if self.sym else 0, bias=False)
        self.pad = None if self.sym else _torch_pad(pads)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(weight))

    def forward(self, x):
        if self.pad is not None:
            x = F.pad(x, self.pad)
        return self.conv(x)


def _bn(scale, bias, mean, var, eps):
    bn = nn.BatchNorm2d(scale.shape[0], eps=eps)  # momentum: PyTorch default 0.1 for training
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(scale))
        bn.bias.copy_(torch.from_numpy(bias))
        bn.running_mean.copy_(torch.from_numpy(mean))
        bn.running_var.copy_(torch.from_numpy(var))
    return bn


class BasicBlock(nn.Module):
    def __init__(self, conv1, bn1, conv2, bn2, ds_conv=None, ds_bn=None):
        super().__init__()
        self.conv1, self.bn1, self.conv2, self.bn2 = conv1, bn1, conv2, bn2
        self.downsample = nn.Sequential(ds_conv, ds_bn) if ds_conv is not None else None

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + idt)


class OnnxResNet(nn.Module):
    """Backbone: preprocessed BGR 224x224 -> 512-d features (== Pooling395_Output_0)."""

    def __init__(self, path=None):
        super().__init__()
        m = onnx.load(path or onnx_backbone_path())
        w = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in m.graph.initializer}
        nodes = list(m.graph.node)
        pos = 0

        def take(op):
            nonlocal pos
            n = nodes[pos]
            assert n.op_type == op, (pos, n.op_type, op)
            pos += 1
            return n

        def conv(n):
            a = _attrs(n)
            assert a.get("group", 1) == 1 and list(a.get("dilations", [1, 1])) == [1, 1]
            assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET") and len(n.input) == 2
            return PadConv(w[n.input[1]], tuple(a["strides"]), list(a["pads"]))

        def bn(n):
            a = _attrs(n)
            return _bn(*(w[i] for i in n.input[1:5]), eps=float(a["epsilon"]))

        c = take("Conv"); self.stem_conv = conv(c)
        b = take("BatchNormalization"); self.stem_bn = bn(b)
        take("Relu")
        mp = take("MaxPool"); a = _attrs(mp)
        assert list(a["kernel_shape"]) == [3, 3] and list(a["strides"]) == [2, 2]
        self.pool_pad = _torch_pad(list(a["pads"]))
        cur = mp.output[0]
        stages, blocks = [], []
        while nodes[pos].op_type != "AveragePool":
            n0 = nodes[pos]
            ds_conv = ds_bn = None
            if (n0.op_type == "Conv" and nodes[pos + 2].op_type == "Conv"
                    and nodes[pos + 2].input[0] == n0.input[0]):   # projection shortcut first
                dc = take("Conv"); assert dc.input[0] == cur
                ds_conv = conv(dc); db = take("BatchNormalization"); ds_bn = bn(db)
                short = db.output[0]
            else:
                short = cur
            c1 = take("Conv"); assert c1.input[0] == cur
            b1 = take("BatchNormalization"); take("Relu")
            c2 = take("Conv"); b2 = take("BatchNormalization")
            add = take("Add"); assert set(add.input) == {b2.output[0], short}, add.input
            r = take("Relu"); cur = r.output[0]
            if ds_conv is not None and blocks:
                stages.append(nn.Sequential(*blocks)); blocks = []
            blocks.append(BasicBlock(conv(c1), bn(b1), conv(c2), bn(b2), ds_conv, ds_bn))
        stages.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*stages)
        ap = take("AveragePool"); a = _attrs(ap)
        assert ap.input[0] == cur and pos == len(nodes)
        self.avg_kernel = tuple(a["kernel_shape"])
        self.blocks_per_stage = [len(s) for s in stages]

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem_conv(x)))
        x = F.max_pool2d(F.pad(x, self.pool_pad, value=float("-inf")), 3, 2)
        x = self.layers(x)
        x = F.avg_pool2d(x, self.avg_kernel, stride=1)
        return torch.flatten(x, 1)


def load_mean_image(path=None):
    m = onnx.load(path or onnx_prep_path())
    (init,) = m.graph.initializer
    return numpy_helper.to_array(init).astype(np.float32)  # 1x3x224x224, BGR order


class Prep(nn.Module):
    """uint8/float RGB 0..255 NCHW -> BGR minus mean.
    mode='image': the full 224x224 mean image (exactly ResNetPreprocess.onnx);
    mode='channel': its per-channel means (what the recipes use, per the brief)."""

    def __init__(self, mode="channel"):
        super().__init__()
        mean = torch.from_numpy(load_mean_image())
        if mode == "channel":
            mean = mean.mean(dim=(2, 3), keepdim=True)
        self.mode = mode
        self.register_buffer("mean", mean)

    def forward(self, x):
        return x.float().flip(1) - self.mean


class Classifier(nn.Module):
    def __init__(self, n_classes, mean_mode="channel"):
        super().__init__()
        self.prep = Prep(mean_mode)
        self.backbone = OnnxResNet()
        self.head = nn.Linear(512, n_classes)

    def forward(self, x):
        return self.head(self.backbone(self.prep(x)))


# ----------------------------------------------------------------------------------------
# numpy reference interpreter for the two ONNX graphs (float64), for the parity check
# ----------------------------------------------------------------------------------------
def _np_window(x, kh, kw, sh, sw):
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw]  # N,C,Ho,Wo,kh,kw


def run_onnx_numpy(path, feeds):
    m = onnx.load(path)
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    env.update({k: v.astype(np.float64) for k, v in feeds.items()})
    for n in m.graph.node:
        a = _attrs(n)
        x = [env[i] for i in n.input]
        if n.op_type == "Split":
            ax = a["axis"]; idx = np.cumsum(a["split"])[:-1]
            outs = np.split(x[0], idx, axis=ax)
        elif n.op_type == "Concat":
            outs = [np.concatenate(x, axis=a["axis"])]
        elif n.op_type in ("Sub", "Add"):
            outs = [x[0] - x[1] if n.op_type == "Sub" else x[0] + x[1]]
        elif n.op_type == "Relu":
            outs = [np.maximum(x[0], 0)]
        elif n.op_type == "BatchNormalization":
            s, b, mu, var = (t.reshape(1, -1, 1, 1) for t in x[1:5])
            outs = [(x[0] - mu) / np.sqrt(var + a["epsilon"]) * s + b]
        elif n.op_type in ("Conv", "MaxPool", "AveragePool"):
            hb, wb, he, we = a.get("pads", [0, 0, 0, 0])
            fill = -np.inf if n.op_type == "MaxPool" else 0.0
            xp = np.pad(x[0], ((0, 0), (0, 0), (hb, he), (wb, we)), constant_values=fill)
            sh, sw = a["strides"]
            if n.op_type == "Conv":
                wt = x[1]; kh, kw = wt.shape[2:]
                win = _np_window(xp, kh, kw, sh, sw)
                outs = [np.einsum("nchwij,ocij->nohw", win, wt, optimize=True)]
            else:
                kh, kw = a["kernel_shape"]
                win = _np_window(xp, kh, kw, sh, sw)
                if n.op_type == "MaxPool":
                    outs = [win.max(axis=(4, 5))]
                else:
                    assert (hb, wb, he, we) == (0, 0, 0, 0)
                    outs = [win.mean(axis=(4, 5))]
        else:
            raise NotImplementedError(n.op_type)
        for name, val in zip(n.output, outs):
            env[name] = val
    return [env[o.name] for o in m.graph.output]


# ----------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------
def available_datasets(splits=None):
    splits = splits or SPLITS
    if not os.path.isdir(splits):
        return []
    return sorted(f[:-5] for f in os.listdir(splits) if f.endswith(".root")
                  and all(os.path.isfile(os.path.join(splits, f"{f[:-5]}.{p}.txt")) for p in ("train", "val", "test")))


def read_split(dataset, part, splits=None):
    """(absolute dataset root, [[relative path, label], ...]) of splits/<dataset>.<part>.txt.
    The root in <dataset>.root may be absolute or relative to the splits folder."""
    splits = splits or SPLITS
    root_file = os.path.join(splits, f"{dataset}.root")
    list_file = os.path.join(splits, f"{dataset}.{part}.txt")
    for f in (root_file, list_file):
        if not os.path.isfile(f):
            sys.exit(f"pytorch_peer: {f} not found. Datasets with splits in {splits}: "
                     f"{', '.join(available_datasets(splits)) or 'none'}. Create them with make_splits.py.")
    root = open(root_file).read().strip()
    root = os.path.normpath(os.path.join(os.path.abspath(splits), root))  # no-op when absolute
    rows = [l.rstrip("\n").split("\t") for l in open(list_file) if l.strip()]
    return root, rows


def list_folder(folder):
    """Every image under folder (recursively, sorted); the label is its parent folder's name."""
    rows = []
    for d, subs, files in os.walk(folder):
        subs.sort()
        for f in sorted(files):
            if f.lower().endswith(IMG_EXTENSIONS):
                p = os.path.join(d, f)
                rows.append([os.path.relpath(p, folder), os.path.basename(d)])
    if not rows:
        sys.exit(f"pytorch_peer: no images ({', '.join(IMG_EXTENSIONS)}) found under {folder!r}")
    return sorted(rows)


class ImageList(torch.utils.data.Dataset):
    """ImageFolder-style dataset over a list of (root, [relative path, label] rows); same loader as
    ImageFolder: PIL open + convert('RGB'), i.e. decode by content."""

    def __init__(self, root, rows, classes, transform):
        self.classes = classes
        self.class_to_idx = {c: i for i, c in enumerate(classes)}
        self.samples = [(os.path.join(root, p), self.class_to_idx[l]) for p, l in rows]
        self.targets = [t for _, t in self.samples]
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, target = self.samples[i]
        return self.transform(default_loader(path)), target


class SplitImageFolder(ImageList):
    """ImageList over one part of a shared split list."""

    def __init__(self, dataset, part, classes, transform, splits=None):
        super().__init__(*read_split(dataset, part, splits), classes, transform)


# tensors stay uint8 RGB 0..255 until the model's Prep module (cheaper worker->main IPC)
TRAIN_TF = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                               transforms.PILToTensor()])
EVAL_TF = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                              transforms.PILToTensor()])


class NormalizeBGR:
    """Per-sample uint8 RGB CHW -> float BGR minus the per-channel means (Prep('channel') of one
    image); used by `loader --normalize worker`, i.e. normalising in the DataLoader workers."""

    def __init__(self, mean_bgr):
        self.mean = mean_bgr.reshape(3, 1, 1)

    def __call__(self, x):
        return x.float().flip(0) - self.mean


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------
class TreeRssSampler:
    """Samples, once a second, this process's RSS and the summed PSS (proportional set size, so
    copy-on-write pages shared with the forked DataLoader workers are not double counted) of
    this process and its children. Reports the peaks."""

    def __init__(self, interval=1.0):
        import psutil
        self.p = psutil.Process()
        self.interval = interval
        self.peak_rss = 0
        self.peak_tree_pss = 0
        self._stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, self.p.memory_info().rss)
                tot = self.p.memory_full_info().pss
                for c in self.p.children(recursive=True):
                    try:
                        tot += c.memory_full_info().pss
                    except Exception:  # noqa: BLE001
                        pass
                self.peak_tree_pss = max(self.peak_tree_pss, tot)
            except Exception:  # noqa: BLE001
                pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self.t.join()


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def evaluate(model, loader):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x).argmax(1)
            correct += (pred == y).sum().item()
            n += y.numel()
    return correct / n, n


# ----------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------
def cmd_parity(args):
    torch.set_num_threads(THREADS)
    os.makedirs(WORK, exist_ok=True)
    datasets = args.datasets.split(",") if args.datasets else available_datasets(args.splits)
    if not datasets:
        sys.exit(f"pytorch_peer: no datasets with splits in {args.splits or SPLITS}; create some with make_splits.py")
    # n images spread evenly over the datasets' test lists (the last dataset takes the remainder)
    paths, names = [], []
    for i, ds_name in enumerate(datasets):
        k = args.n // len(datasets) if i < len(datasets) - 1 else args.n - (len(datasets) - 1) * (args.n // len(datasets))
        root, rows = read_split(ds_name, "test", args.splits)
        picked = [r[0] for r in rows[:: max(1, len(rows) // max(1, k))][:k]]
        paths += [os.path.join(root, p) for p in picked]
        names += [f"{ds_name}/{p}" for p in picked]
    x = torch.stack([EVAL_TF(default_loader(p)) for p in paths]).float()  # N,3,224,224 RGB 0..255
    xn = x.numpy()

    t0 = time.time()
    backbone = OnnxResNet().eval()
    print(f"converted DnnImageModels/ResNet18Onnx/ResNet18.onnx: blocks per stage {backbone.blocks_per_stage}, "
          f"{sum(p.numel() for p in backbone.parameters())} params ({time.time() - t0:.2f}s)")
    with torch.no_grad():
        f_img = backbone(Prep("image")(x)).numpy()
        f_chan = backbone(Prep("channel")(x)).numpy()
        # same weights with plain symmetric padding (torchvision-style): identical at 224x224?
        import copy
        sym = copy.deepcopy(backbone)
        for mod in sym.modules():
            if isinstance(mod, PadConv) and mod.pad is not None:
                l, r, t, b = mod.pad
                mod.conv.padding, mod.pad = (t, l), None
        sym.pool_pad = (1, 1, 1, 1)
        f_sym = sym(Prep("image")(x)).numpy()

    ref = []
    t0 = time.time()
    for i in range(len(paths)):
        (pre,) = run_onnx_numpy(onnx_prep_path(), {"OriginalInput": xn[i:i + 1]})
        (feat,) = run_onnx_numpy(onnx_backbone_path(), {"Input247": pre})
        ref.append(feat.reshape(-1))
    ref = np.stack(ref)
    t_ref = time.time() - t0
    res = {"images": names,
           "feature_abs_max": float(np.abs(ref).max()), "feature_abs_mean": float(np.abs(ref).mean()),
           "torch_vs_numpy_f64_reference_max_abs_diff": float(np.abs(f_img - ref).max()),
           "torch_vs_numpy_f64_reference_max_rel_diff": float((np.abs(f_img - ref).max(1) / np.abs(ref).max(1)).max()),
           "channel_mean_prep_vs_reference_max_abs_diff": float(np.abs(f_chan - ref).max()),
           "channel_mean_prep_vs_reference_mean_abs_diff": float(np.abs(f_chan - ref).mean()),
           "channel_mean_prep_cosine_min": float(min(
               np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b) for a, b in zip(f_chan, ref))),
           "mean_image_bgr_channel_means": load_mean_image().mean(axis=(0, 2, 3)).tolist(),
           "mean_image_bgr_channel_min_max": [[float(load_mean_image()[0, c].min()),
                                               float(load_mean_image()[0, c].max())] for c in range(3)],
           "symmetric_padding_variant_vs_faithful_max_abs_diff_at_224": float(np.abs(f_sym - f_img).max()),
           "blocks_per_stage": backbone.blocks_per_stage,
           "backbone_params": sum(p.numel() for p in backbone.parameters()),
           "numpy_reference_seconds": t_ref}
    # onnxruntime (C#, Microsoft.ML.OnnxRuntime 1.31.1) on the very same input tensors
    exe = os.environ.get("MLNET_PEER") or os.path.join(HERE, "mlnet-peer/bin/Release/net10.0/mlnet-peer")
    if os.path.exists(exe):
        inp = os.path.join(WORK, "parity_in.f32"); out = os.path.join(WORK, "parity_ort.f32")
        xn.astype(np.float32).tofile(inp)
        subprocess.run([exe, "ort-features", inp, out, str(len(paths))], check=True)
        ort = np.fromfile(out, dtype=np.float32).reshape(len(paths), 512)
        res["torch_vs_onnxruntime_max_abs_diff"] = float(np.abs(f_img - ort).max())
        res["onnxruntime_vs_numpy_f64_reference_max_abs_diff"] = float(np.abs(ort - ref).max())
        # ML.NET DnnFeaturizeImage pipeline on lossless 224x224 PNGs of the same pixels
        lst = os.path.join(WORK, "parity_png.txt"); out2 = os.path.join(WORK, "parity_mlnet.f32")
        with open(lst, "w") as f:
            for i in range(len(paths)):
                p = os.path.join(WORK, f"parity_{i}.png")
                Image.fromarray(xn[i].transpose(1, 2, 0).astype(np.uint8)).save(p)
                f.write(p + "\n")
        subprocess.run([exe, "mlnet-features", lst, out2], check=True)
        ml = np.fromfile(out2, dtype=np.float32).reshape(len(paths), 512)
        res["mlnet_dnnfeaturizer_on_224png_vs_torch_max_abs_diff"] = float(np.abs(f_img - ml).max())
    else:
        res["onnxruntime"] = f"skipped: build {exe} first, or point $MLNET_PEER at a built mlnet-peer (see README)"
    print(json.dumps(res, indent=1))
    write_json(res, args.out or os.path.join(RESULTS, "parity.json"))


def write_json(obj, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
    print(f"wrote {path}", file=sys.stderr)


def cmd_train(args):
    torch.set_num_threads(THREADS)
    seed_all(args.seed)
    t_start = time.time()
    classes = sorted({l for _, l in read_split(args.dataset, "train", args.splits)[1]})
    ds = {p: SplitImageFolder(args.dataset, p, classes, TRAIN_TF if p == "train" else EVAL_TF, args.splits)
          for p in ("train", "val", "test")}
    g = torch.Generator(); g.manual_seed(args.seed)
    dl_train = torch.utils.data.DataLoader(ds["train"], batch_size=args.batch_size, shuffle=True,
                                           num_workers=args.workers, generator=g)
    dl_val = torch.utils.data.DataLoader(ds["val"], batch_size=args.batch_size, num_workers=args.workers)
    dl_test = torch.utils.data.DataLoader(ds["test"], batch_size=args.batch_size, num_workers=args.workers)
    model = Classifier(len(classes), args.mean)
    crit = nn.CrossEntropyLoss()
    t_setup = time.time() - t_start

    def set_phase(full):
        for p in model.backbone.parameters():
            p.requires_grad_(full)
        params = model.parameters() if full else model.head.parameters()
        return torch.optim.Adam([p for p in params if p.requires_grad], lr=1e-4 if full else 1e-3)

    epochs = []
    with TreeRssSampler() as rss:
        full = None
        for ep in range(1, args.epochs + 1):
            want_full = args.recipe == "finetune" and ep >= 2
            if want_full != full:
                full = want_full
                opt = set_phase(full)
            model.train()
            if not full:
                model.backbone.eval()  # frozen backbone: BN uses running stats
            t0 = time.time(); t_wait = 0.0; correct = n = 0; loss_sum = 0.0
            it = iter(dl_train)
            while True:
                tw = time.time()
                try:
                    x, y = next(it)
                except StopIteration:
                    break
                t_wait += time.time() - tw
                if full:
                    logits = model(x)
                else:
                    with torch.no_grad():
                        f = model.backbone(model.prep(x))
                    logits = model.head(f)
                loss = crit(logits, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += loss.item() * y.numel()
                correct += (logits.argmax(1) == y).sum().item(); n += y.numel()
            t_train = time.time() - t0
            t0 = time.time()
            val_acc, nv = evaluate(model, dl_val)
            test_acc, nt = evaluate(model, dl_test)
            t_eval = time.time() - t0
            e = {"epoch": ep, "phase": "full" if full else "head", "train_loss": loss_sum / n,
                 "train_acc": correct / n, "val_acc": val_acc, "test_acc": test_acc,
                 "train_s": t_train, "train_data_wait_s": t_wait, "train_img_s": n / t_train,
                 "eval_s": t_eval, "eval_img_s": (nv + nt) / t_eval}
            epochs.append(e)
            print(json.dumps(e), flush=True)
    wall = time.time() - t_start
    n_train = len(ds["train"])
    tot_train_s = sum(e["train_s"] for e in epochs)
    tot_eval_s = sum(e["eval_s"] for e in epochs)
    res = {"system": "pytorch", "torch": torch.__version__, "torchvision": __import__("torchvision").__version__,
           "dataset": args.dataset, "recipe": args.recipe, "epochs": args.epochs, "seed": args.seed,
           "batch_size": args.batch_size, "workers": args.workers, "threads": torch.get_num_threads(),
           "mean_mode": args.mean, "classes": classes,
           "n": {p: len(d) for p, d in ds.items()},
           "final": {k: epochs[-1][k] for k in ("train_acc", "val_acc", "test_acc")},
           "best_val_epoch": max(epochs, key=lambda e: e["val_acc"])["epoch"],
           "wall_s": wall, "setup_s": t_setup,
           "train_img_s": n_train * args.epochs / tot_train_s,
           "train_img_s_head_phase": (lambda es: n_train * len(es) / sum(e["train_s"] for e in es) if es else None)(
               [e for e in epochs if e["phase"] == "head"]),
           "train_img_s_full_phase": (lambda es: n_train * len(es) / sum(e["train_s"] for e in es) if es else None)(
               [e for e in epochs if e["phase"] == "full"]),
           "eval_img_s": sum(e["eval_img_s"] * e["eval_s"] for e in epochs) / tot_eval_s,
           "peak_main_rss_mb_sampled": rss.peak_rss / 2**20,
           "peak_tree_pss_mb_sampled": rss.peak_tree_pss / 2**20,
           "epochs_detail": epochs}
    print(json.dumps({k: v for k, v in res.items() if k != "epochs_detail"}, indent=1))
    write_json(res, args.out or os.path.join(RESULTS, f"pytorch_{args.dataset}_{args.recipe}.json"))


def loader_source(args):
    """(label, root, rows) of the images the loader benchmark reads."""
    if args.folder:
        folder = os.path.abspath(args.folder)
        return os.path.basename(os.path.normpath(folder)), folder, list_folder(folder)
    parts = ("train", "val", "test") if args.part == "all" else (args.part,)
    root, rows = None, []
    for p in parts:
        root, r = read_split(args.dataset, p, args.splits)
        rows += r
    return f"{args.dataset}_{args.part}", root, rows


def cmd_loader(args):
    """DataLoader throughput only: decode + transform + collate into a batch, then conversion to the
    normalised float batch tensor the model takes (BGR minus the per-channel means, float32
    Bx3x224x224). No model. Each pass iterates a freshly created DataLoader iterator (workers are
    forked again, as in every epoch of the training recipes, unless --persistent-workers)."""
    if args.transform == "both":  # each transform in its own fresh process, so both first passes are cold
        out = None
        for t in ("train", "eval"):
            child = [sys.executable, os.path.abspath(__file__), "loader", "--transform", t, "--print-only",
                     "--workers", str(args.workers), "--passes", str(args.passes),
                     "--batch-size", str(args.batch_size), "--seed", str(args.seed), "--normalize", args.normalize]
            child += ["--folder", args.folder] if args.folder else ["--dataset", args.dataset, "--part", args.part]
            child += ["--splits", args.splits] if args.splits else []
            child += ["--persistent-workers"] if args.persistent_workers else []
            child += ["--no-preread"] if args.no_preread else []
            p = subprocess.run(child, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"pytorch_peer: loader child for transform {t} failed:\n{p.stdout}{p.stderr}")
            sys.stdout.write("".join(l + "\n" for l in p.stdout.splitlines() if not l.startswith("RESULT ")))
            r = json.loads([l for l in p.stdout.splitlines() if l.startswith("RESULT ")][0][7:])
            if out is None:
                out = {k: v for k, v in r.items() if k != "transforms"}
                out["transforms"] = {}
            out["transforms"].update(r["transforms"])
        print(json.dumps({t: {k: v for k, v in r.items() if k != "passes"} for t, r in out["transforms"].items()},
                         indent=1))
        write_json(out, args.out or os.path.join(RESULTS, f"loader_{out['source']}_{loader_suffix(args)}.json"))
        return

    torch.set_num_threads(THREADS)
    seed_all(args.seed)
    label, root, rows = loader_source(args)
    classes = sorted({l for _, l in rows})
    preread_s = None
    if not args.no_preread:  # same start for every run: all files in the OS page cache
        t0 = time.perf_counter()
        for p, _ in rows:
            with open(os.path.join(root, p), "rb") as f:
                f.read()
        preread_s = time.perf_counter() - t0
    prep = Prep("channel")
    tf = {"train": TRAIN_TF, "eval": EVAL_TF}[args.transform]
    if args.normalize == "worker":
        tf = transforms.Compose([tf, NormalizeBGR(prep.mean.reshape(3))])
    ds = ImageList(root, rows, classes, tf)
    g = torch.Generator(); g.manual_seed(args.seed)
    dl = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=args.transform == "train",
                                     num_workers=args.workers, generator=g,
                                     persistent_workers=args.persistent_workers and args.workers > 0)
    passes = []
    for i in range(args.passes):
        n = nb = 0
        t0 = time.perf_counter(); t_first = None
        for x, y in dl:
            if args.normalize == "main":
                x = prep(x)  # uint8 RGB -> float32 BGR minus means, as the recipes' model input
            assert x.dtype == torch.float32 and tuple(x.shape[1:]) == (3, 224, 224), (x.dtype, x.shape)
            n += x.shape[0]; nb += 1
            if t_first is None:
                t_first = time.perf_counter() - t0
        dt = time.perf_counter() - t0
        e = {"pass": i + 1, "images": n, "batches": nb, "seconds": dt, "img_s": n / dt, "first_batch_s": t_first}
        passes.append(e)
        print(json.dumps({"transform": args.transform, **e}), flush=True)
    warm = passes[1:]
    r = {"first_pass_img_s": passes[0]["img_s"],
         "warm_img_s": sum(p["images"] for p in warm) / sum(p["seconds"] for p in warm) if warm else None,
         "warm_img_s_median": sorted(p["img_s"] for p in warm)[len(warm) // 2] if warm else None,
         "passes": passes}
    res = {"system": "pytorch-dataloader", "torch": torch.__version__,
           "torchvision": __import__("torchvision").__version__, "source": label,
           "source_arg": args.folder or f"{args.dataset}:{args.part}",
           "images": len(rows), "classes": classes, "workers": args.workers, "batch_size": args.batch_size,
           "main_threads": torch.get_num_threads(), "normalize_in": args.normalize,
           "persistent_workers": args.persistent_workers, "preread_s": preread_s, "seed": args.seed,
           "transforms": {args.transform: r}}
    if args.print_only:
        print("RESULT " + json.dumps(res), flush=True)
    else:
        write_json(res, args.out or os.path.join(RESULTS, f"loader_{label}_{args.transform}_{loader_suffix(args)}.json"))


def loader_suffix(args):
    return (f"w{args.workers}" + ("_persistent" if args.persistent_workers else "")
            + ("_normworker" if args.normalize == "worker" else ""))


def cmd_backbone(args):
    """Model compute alone, as Holdout.Bench backbones measures Holdout: no data loading."""
    import torchvision
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads or os.cpu_count())
    model = getattr(torchvision.models, args.arch)(weights=None, num_classes=args.classes)
    x = torch.randn(args.batch_size, 3, args.size, args.size, generator=torch.Generator().manual_seed(args.seed))
    y = torch.arange(args.batch_size) % args.classes
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()

    def train_step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    def eval_step():
        model.eval()
        with torch.no_grad():
            model(x)

    def timed(step, count):
        step()  # warm-up: oneDNN primitives, allocator
        times = []
        for _ in range(count):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        times.sort()
        return args.batch_size / times[len(times) // 2]

    result = {
        "arch": args.arch, "size": args.size, "batch_size": args.batch_size, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "train_img_s": timed(train_step, args.steps), "eval_img_s": timed(eval_step, args.steps),
    }
    write_json(result, args.out or os.path.join(RESULTS, f"backbone-{args.arch}.json"))
    print(json.dumps(result))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("parity", help="ONNX graph vs PyTorch module (and onnxruntime / ML.NET if built)")
    p.add_argument("--n", type=int, default=6)
    p.add_argument("--datasets", help="comma-separated; default: every dataset with splits")
    p.add_argument("--splits", help=f"split lists folder (default {SPLITS})")
    p.add_argument("--out")
    p = sp.add_parser("train", help="frozen-backbone or fine-tune recipe on a dataset's splits")
    p.add_argument("--dataset", required=True, help="NAME of splits/NAME.{train,val,test}.txt + NAME.root")
    p.add_argument("--splits", help=f"split lists folder (default {SPLITS})")
    p.add_argument("--recipe", required=True, choices=["frozen", "finetune"])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--mean", choices=["channel", "image"], default="channel")
    p.add_argument("--out")
    p = sp.add_parser("loader", help="DataLoader throughput (decode + transform + normalised float batch)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--folder", help="every image under DIR, recursively (label = parent folder)")
    src.add_argument("--dataset", help="NAME of a split list")
    p.add_argument("--part", choices=["train", "val", "test", "all"], default="all")
    p.add_argument("--splits", help=f"split lists folder (default {SPLITS})")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--passes", type=int, default=6,
                   help="passes over the images per transform: the first, then warm ones (default 6)")
    p.add_argument("--transform", choices=["both", "train", "eval"], default="both",
                   help="train = RandomResizedCrop(224)+flip, eval = Resize(256)+CenterCrop(224); "
                        "both (default) runs each in its own fresh process")
    p.add_argument("--normalize", choices=["main", "worker"], default="main",
                   help="where uint8 -> normalised float happens: main process on the batch (as the "
                        "recipes do, default) or per sample in the workers")
    p.add_argument("--persistent-workers", action="store_true")
    p.add_argument("--no-preread", action="store_true", help="do not read every file once first")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--out")
    p.add_argument("--print-only", action="store_true", help=argparse.SUPPRESS)
    p = sp.add_parser("backbone", help="a torchvision model's training-step and evaluation img/s on a fixed random batch")
    p.add_argument("--arch", required=True, help="torchvision model function, e.g. efficientnet_b0, mobilenet_v3_large, convnext_tiny")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up; the median counts")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--out")
    args = ap.parse_args()
    {"parity": cmd_parity, "train": cmd_train, "loader": cmd_loader, "backbone": cmd_backbone}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
