#!/usr/bin/python3
"""Write the train/val/test split lists that every peer reads, for a folder-per-class dataset.

How the reference beans lists in bench/peers/splits/ were made (kept to reproduce them; the bench itself
does not run this script: for any other data it writes the lists from Holdout's own splitter, see
bench/Holdout.Bench/BenchData.cs). Needs Debian's python3-sklearn and python3-pil:
    cd bench/peers && /usr/bin/python3 make_splits.py --name beans --root ../../../shared/datasets/beans/train \
        --test-dir ../../../shared/datasets/beans/test --splits /tmp/beans-splits   # then diff with splits/

    /usr/bin/python3 make_splits.py --name NAME --root DIR [--test-dir DIR] [options]

  --root DIR       folder with one sub-folder per class (the class name is the label).
  --test-dir DIR   optional separate folder-per-class test set. Without it, --root is split
                   70/15/15 into train/val/test; with it, --root is split 85/15 into train/val
                   and every image of --test-dir is the test set.
  --base DIR       the folder the listed paths are relative to (and that NAME.root names);
                   default: --root, or the common parent of --root and --test-dir
                   (e.g. --root X/train --test-dir X/test -> base X, lines "train/<class>/<file>").
  --relative-root  write NAME.root relative to the splits folder instead of absolute,
                   so that the splits folder and the datasets can move together.
  --label-map A=x,B=y  relabel class folders (the split stays stratified by folder).
  --splits DIR     where to write (default: the splits/ folder next to this script).
  --seed N         default 0. --val-frac / --test-frac: default 0.15 each.

Output: splits/NAME.{train,val,test}.txt, one line per image:
    <path relative to the dataset root><TAB><label>
splits/NAME.root (the dataset root: absolute, or relative to the splits folder) and
splits/NAME.skipped.txt (files that PIL cannot decode, with the error; they are left out).
Stratified by class folder with scikit-learn's train_test_split (seed 0); without --test-dir the
test and validation sizes are round(0.15 * n) each. Every file with an image extension is
decoded with PIL (by content, not by extension). Lines are sorted by path. Deterministic:
re-running produces byte-identical files.
"""
import argparse
import os
import sys
from collections import Counter

from PIL import Image
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
EXTS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def list_images(base, folder):
    """(path relative to base, class folder) for every image in folder/<class>/, sorted."""
    items = []
    for cls in sorted(os.listdir(folder)):
        d = os.path.join(folder, cls)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.lower().endswith(EXTS):
                items.append((os.path.relpath(os.path.join(d, f), base).replace(os.sep, "/"), cls))
    if not items:
        sys.exit(f"make_splits: no images found in class sub-folders of {folder!r} "
                 f"(expected {folder}/<class>/<image>{'|'.join(EXTS)})")
    return items


def decodable(base, items, skipped):
    ok = []
    for rel, cls in items:
        try:
            with Image.open(os.path.join(base, rel)) as im:
                im.convert("RGB").load()
            ok.append((rel, cls))
        except Exception as e:  # noqa: BLE001
            skipped.append(f"{rel}\t{e!r}")
    return ok


def parse_label_map(text):
    if not text:
        return {}
    out = {}
    for pair in text.split(","):
        k, sep, v = pair.partition("=")
        if not sep or not k or not v:
            sys.exit(f"make_splits: --label-map expects FOLDER=LABEL[,FOLDER=LABEL...], got {pair!r}")
        out[k] = v
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--test-dir")
    ap.add_argument("--base")
    ap.add_argument("--relative-root", action="store_true")
    ap.add_argument("--label-map")
    ap.add_argument("--splits", default=os.path.join(HERE, "splits"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val-frac", type=float, default=0.15)
    ap.add_argument("--test-frac", type=float, default=0.15)
    args = ap.parse_args()

    root = os.path.abspath(args.root)
    test_dir = os.path.abspath(args.test_dir) if args.test_dir else None
    for d in filter(None, (root, test_dir)):
        if not os.path.isdir(d):
            sys.exit(f"make_splits: {d!r} is not a folder")
    base = os.path.abspath(args.base) if args.base else (
        os.path.commonpath([root, test_dir]) if test_dir else root)
    label = parse_label_map(args.label_map)
    skipped = []
    pool = decodable(base, list_images(base, root), skipped)
    if test_dir:
        test = decodable(base, list_images(base, test_dir), skipped)
        train, val = train_test_split(pool, test_size=args.val_frac, random_state=args.seed,
                                      stratify=[c for _, c in pool])
    else:
        n = len(pool)
        rest, test = train_test_split(pool, test_size=round(args.test_frac * n), random_state=args.seed,
                                      stratify=[c for _, c in pool])
        train, val = train_test_split(rest, test_size=round(args.val_frac * n), random_state=args.seed,
                                      stratify=[c for _, c in rest])
    parts = {p: sorted((rel, label.get(c, c)) for rel, c in rows)
             for p, rows in (("train", train), ("val", val), ("test", test))}

    os.makedirs(args.splits, exist_ok=True)
    out = lambda suffix: os.path.join(args.splits, f"{args.name}.{suffix}")  # noqa: E731
    for p, rows in parts.items():
        with open(out(f"{p}.txt"), "w") as f:
            f.writelines(f"{rel}\t{lab}\n" for rel, lab in rows)
    root_txt = os.path.relpath(base, os.path.abspath(args.splits)) if args.relative_root else base
    with open(out("root"), "w") as f:
        f.write(root_txt + "\n")
    with open(out("skipped.txt"), "w") as f:
        f.writelines(s + "\n" for s in skipped)
    for p, rows in parts.items():
        print(f"{args.name}.{p}: {len(rows)} {dict(sorted(Counter(l for _, l in rows).items()))}")
    print(f"{args.name}.root: {root_txt}   skipped (undecodable): {len(skipped)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
