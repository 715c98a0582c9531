#!/usr/bin/env python3
"""One markdown row of calibrate.sh's table from a run's summary.json and holdout doctor --json's output."""
import json
import sys

name, cue, mode, summary_path, doctor_path, seconds = sys.argv[1:7]
classes = sys.argv[7:]
summary = json.load(open(summary_path))
def accuracy(split):
    node = summary.get(split)
    return node.get("accuracy") if isinstance(node, dict) else None
try:
    doctor = json.load(open(doctor_path))
except (OSError, json.JSONDecodeError):
    doctor = {"findings": [], "timings": []}
cues = [f for f in doctor["findings"] if f["code"] == "shortcut-cue"]
observed = next((t.get("observed") or "" for t in doctor["timings"] if t["check"] == "shortcut-cue"), "not run")
dataset = name.split("-")[0]
described = ("A vs B (random halves of " + (", ".join(classes) or "all classes") + ")") if mode == "pure" else ", ".join(classes)
target = "A" if mode == "pure" else (classes[0] if classes else "?")
cue_text = "none" if cue == "none" else f"{cue} on {target}"
if cues:
    finding = "; ".join(f"**{f['severity']}**: {f['message'].split(':')[0]}" for f in cues)
else:
    finding = "none"
def fmt(v):
    return "-" if v is None else f"{v:.2f}"
print(f"| {dataset} | {described} | {cue_text} | {fmt(accuracy('val'))} | {fmt(accuracy('test'))} | {finding} | {observed} | {seconds} |")
