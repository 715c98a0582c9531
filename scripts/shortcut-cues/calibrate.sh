#!/usr/bin/env bash
# Calibrates holdout doctor --deep's shortcut-cue check: plants cues (plant.py) in two public photo datasets, trains
# each variant with holdout train, runs holdout doctor --deep on it, and prints one markdown row per variant
# (docs/doctor.md's calibration table).
# Usage: scripts/shortcut-cues/calibrate.sh BEANS CLOTHING WORK
#   BEANS     the iBean images (../shared/datasets/beans: train/ and test/ with 3 class folders; MIT)
#   CLOTHING  a checkout of github.com/alexeygrigorev/clothing-dataset-small (CC0; commit 1196151)
#   WORK      a scratch folder for the datasets and runs
# Extra holdout train options can be given in TRAIN_OPTIONS (default: --epochs 3 --image-size 128).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
beans="$1"; clothing="$2"; work="$3"
train_options=${TRAIN_OPTIONS:---epochs 3 --image-size 128}
mkdir -p "$work"
dotnet build "$repo/src/Holdout.Cli" -c Release -v q -nologo >/dev/null
holdout() { dotnet "$repo/src/Holdout.Cli/bin/Release/net10.0/Holdout.Cli.dll" "$@"; }
echo "| dataset | classes | cue (train+val only) | val acc | test acc | shortcut-cue finding | what the check measured | doctor --deep s |"
echo "|---|---|---|---|---|---|---|---|"
variant() { # name source cue mode classes...
  local name="$1" source="$2" cue="$3" mode="$4"; shift 4
  local data="$work/data/$name" run="$work/runs/$name"
  [ -d "$data" ] || /usr/bin/python3 "$here/plant.py" "$source" "$data" "$cue" "$mode" "$@" >/dev/null
  [ -f "$run/summary.json" ] || { rm -rf "$run"; holdout train "$data" $train_options --out "$run" >"$work/$name.train.log" 2>&1; }
  local start=$SECONDS
  holdout doctor "$data" --run "$run" --deep --json >"$work/$name.doctor.json" 2>"$work/$name.doctor.err" || true
  local took=$((SECONDS - start))
  /usr/bin/python3 "$here/row.py" "$name" "$cue" "$mode" "$run/summary.json" "$work/$name.doctor.json" "$took" "$@"
}
for dataset in beans clothing; do
  if [ "$dataset" = beans ]; then source="$beans"; real=(angular_leaf_spot bean_rust healthy); pure=(); else
    source="$clothing"; real=(pants shorts skirt); pure=(t-shirt); fi
  variant "$dataset-clean" "$source" none real "${real[@]}"
  variant "$dataset-pure-clean" "$source" none pure "${pure[@]}"
  for cue in patch text border; do
    variant "$dataset-pure-$cue" "$source" "$cue" pure "${pure[@]}"
    variant "$dataset-real-$cue" "$source" "$cue" real "${real[@]}"
  done
done
