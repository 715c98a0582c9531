#!/usr/bin/python3
"""Derive samples/beans candidate 'beans-900-128' from the team's shared beans copy (deterministic).

For each class of shared/datasets/beans/train (never test/), take the first 300 files in byte-wise sorted
name order (same as `ls | LC_ALL=C sort | head -300`), resize 256x256 -> 128x128 (PIL LANCZOS), save as
baseline JPEG quality 85 (4:2:0 chroma subsampling, no EXIF/ICC/metadata) under the same file name.

Usage: /usr/bin/python3 make.py [SRC_TRAIN_DIR] [OUT_DIR]
  defaults: /work/shared/datasets/beans/train and the folder this script is in.
"""
import os
import sys
from PIL import Image

N, SIZE, QUALITY = 300, 128, 85
CLASSES = ["angular_leaf_spot", "bean_rust", "healthy"]

src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/datasets/beans/train"
out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
if os.path.basename(os.path.normpath(src)) != "train":
    sys.exit("SRC must be the train/ folder of the shared beans copy (never test/)")

for c in CLASSES:
    names = sorted((f for f in os.listdir(os.path.join(src, c)) if f.lower().endswith(".jpg")),
                   key=lambda s: s.encode("utf-8"))[:N]
    if len(names) < N:
        sys.exit(f"{c}: only {len(names)} images, need {N}")
    os.makedirs(os.path.join(out, c), exist_ok=True)
    for f in names:
        with Image.open(os.path.join(src, c, f)) as im:
            im = im.convert("RGB").resize((SIZE, SIZE), Image.LANCZOS)
            im.save(os.path.join(out, c, f), "JPEG", quality=QUALITY, subsampling=2, optimize=False)
    print(f"{c}: {len(names)} images ({names[0]} .. {names[-1]}) -> {SIZE}x{SIZE} q{QUALITY}")
