#!/usr/bin/env python3
"""Builds the clothing sets of docs/defaults-study.md from Alexey Grigorev's CC0 "Clothing dataset".

Usage: /usr/bin/python3 scripts/make_clothing.py SOURCE OUT [LABEL ...]
  SOURCE  a checkout of github.com/alexeygrigorev/clothing-dataset (commit 7ed86a9c...) holding images/ and images.csv
  OUT     the folder to write, one subfolder per class
  LABEL   the labels to keep (default: T-Shirt Pants Shoes Hat, the 2,305-photo "clothing4" set)

Every image of a kept label is converted to RGB and, when its shorter side is above 256 px, downscaled so that it is
256 px (PIL LANCZOS, JPEG quality 90). Needs Debian's python3-pil.
"""
import csv
import os
import sys

from PIL import Image

source, out = sys.argv[1], sys.argv[2]
labels = sys.argv[3:] or ["T-Shirt", "Pants", "Shoes", "Hat"]
counts = {}
for row in csv.DictReader(open(os.path.join(source, "images.csv"))):
    if row["label"] not in labels:
        continue
    path = os.path.join(source, "images", row["image"] + ".jpg")
    if not os.path.exists(path):
        continue
    image = Image.open(path).convert("RGB")
    w, h = image.size
    scale = 256 / min(w, h)
    if scale < 1:
        image = image.resize((round(w * scale), round(h * scale)), Image.LANCZOS)
    name = row["label"].lower().replace("-", "")
    os.makedirs(os.path.join(out, name), exist_ok=True)
    image.save(os.path.join(out, name, row["image"] + ".jpg"), quality=90)
    counts[name] = counts.get(name, 0) + 1
print(counts, sum(counts.values()))
