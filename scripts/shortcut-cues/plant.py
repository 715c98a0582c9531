#!/usr/bin/env python3
"""Plants a shortcut cue in one class of a photo dataset, for calibrating `holdout doctor --deep`'s shortcut-cue check.

Usage: /usr/bin/python3 scripts/shortcut-cues/plant.py SOURCE OUT CUE MODE [CLASS ...]
  SOURCE  a folder of class folders, or of split folders (train/, test/, validation/, ...) holding class folders;
          all its images are pooled and split anew
  OUT     the folder to write: train/, val/ and test/ (70/15/15, seeded), one subfolder per class
  CUE     none | patch (a solid red square, 15 % of the side, in the bottom-right corner) | text (a semi-transparent
          white "(c) STOCK PHOTO" watermark along the bottom-left) | border (a blue frame, 12 % of the side: thinner frames fall outside evaluation's centre crop)
  MODE    real: CLASS ... are real classes (default: all) and the cue goes on the first one;
          pure: the images of CLASS ... (default: all) are dealt at random into two classes A and B, so only the
          cue separates them, and it goes on A
The cue is planted in the training and validation images of that class only, never in test. Images are converted to
RGB, cropped to their centre square (so evaluation's centre crop keeps the cue) and downscaled to at most 256 x 256
(JPEG quality 90). Seeded: the same arguments give the
same files. Needs Debian's python3-pil.
"""
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
EXTENSIONS = (".jpg", ".jpeg", ".png")


def images_of(source):
    """(path, class) for every image under SOURCE/<class>/ or SOURCE/<split>/<class>/."""
    found = []
    for root, _, files in os.walk(source):
        for name in sorted(files):
            if name.lower().endswith(EXTENSIONS):
                found.append((os.path.join(root, name), os.path.basename(root)))
    return sorted(found)


def plant(image, cue):
    w, h = image.size
    draw = ImageDraw.Draw(image, "RGBA")
    if cue == "patch":
        side = int(round(0.15 * min(w, h)))
        draw.rectangle([w - side - 1, h - side - 1, w - 1, h - 1], fill=(230, 30, 30, 255))
    elif cue == "text":
        font = ImageFont.truetype(FONT, max(8, int(0.09 * h)))
        draw.text((int(0.04 * w), int(0.84 * h)), "(c) STOCK PHOTO", fill=(255, 255, 255, 160), font=font)
    elif cue == "border":
        width = max(2, int(round(0.12 * min(w, h))))
        for k in range(width):
            draw.rectangle([k, k, w - 1 - k, h - 1 - k], outline=(40, 90, 230, 255))
    return image


def main():
    source, out, cue, mode = sys.argv[1:5]
    wanted = sys.argv[5:]
    assert cue in ("none", "patch", "text", "border"), cue
    assert mode in ("real", "pure"), mode
    rng = random.Random(2026)
    items = [(p, c) for p, c in images_of(source) if not wanted or c in wanted]
    if not items:
        sys.exit(f"no images of {wanted or 'any class'} under {source}")
    rng.shuffle(items)
    if mode == "pure":
        items = [(p, "A" if i % 2 == 0 else "B") for i, (p, _) in enumerate(items)]
        target = "A"
    else:
        target = wanted[0] if wanted else sorted({c for _, c in items})[0]
    n = len(items)
    for i, (path, label) in enumerate(items):
        split = "train" if i < 0.70 * n else "val" if i < 0.85 * n else "test"
        folder = os.path.join(out, split, label)
        os.makedirs(folder, exist_ok=True)
        image = Image.open(path).convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
        scale = 256 / side
        if scale < 1:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        if cue != "none" and label == target and split != "test":
            image = plant(image, cue)
        image.save(os.path.join(folder, f"{i:05d}.jpg"), quality=90)
    print(f"{out}: {n} images, cue {cue} on {target} ({mode})")


if __name__ == "__main__":
    main()
