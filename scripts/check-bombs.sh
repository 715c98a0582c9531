#!/usr/bin/env bash
# Bounded-memory check, run by hand (not part of the test suite): 60 real photos plus a 30000x30000 PNG (875 KB)
# and a 20000x20000 JPEG (1.5 MB). Every image command must finish, name both files with their dimensions, and
# peak under 1.5 GB resident. Needs a Release build (dotnet build -c Release), python3 and /usr/bin/time.
#
#   scripts/check-bombs.sh [BEANS_TRAIN_FOLDER]      # default: ../shared/datasets/beans/train
#
# Then split and predict run again with --max-pixels 1000000000, which lets both files in: they must be decoded
# (reduced while decoding, so memory follows the size needed, not the file's) and still peak under 1.5 GB.
# The measurement cache is emptied before each command, so every command really decodes the images.
set -uo pipefail
cd "$(dirname "$0")/.."
CLI=src/Holdout.Cli/bin/Release/net10.0/Holdout.Cli.dll
BEANS=${1:-../shared/datasets/beans/train}
LIMIT_KB=$((1536 * 1024))
[[ -f $CLI ]] || { echo "build first: dotnet build -c Release" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DATA=$WORK/data
export HOLDOUT_CACHE_DIR=$WORK/cache
for class in angular_leaf_spot bean_rust healthy; do
    mkdir -p "$DATA/$class"
    find "$BEANS/$class" -maxdepth 1 -type f | sort | head -20 | xargs -I{} cp {} "$DATA/$class/"
done
python3 scripts/make_bombs.py "$WORK/bombs" 30000 20000
cp "$WORK/bombs/bomb-30000.png" "$DATA/healthy/"
cp "$WORK/bombs/bomb-20000.jpg" "$DATA/bean_rust/"
echo "data: $(find "$DATA" -type f | wc -l) files ($(du -sh "$DATA" | cut -f1)) in $DATA"

failed=0
# check NAME EXPECT ARGS...: EXPECT is "refused" (both bombs named with their dimensions) or "decoded" (neither refused).
check() {
    local name=$1 expect=$2; shift 2
    rm -rf "$HOLDOUT_CACHE_DIR/fingerprints"
    local start=$SECONDS
    /usr/bin/time -v dotnet "$CLI" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    local rc=$?
    local peak
    peak=$(grep "Maximum resident set size" "$WORK/$name.err" | awk '{print $6}')
    local text
    text=$(tr -s ' \n' ' ' < "$WORK/$name.out"; tr -s ' \n' ' ' < "$WORK/$name.err")
    local png=no jpeg=no
    grep -q "30000x30000 = 900.0 megapixels" <<< "$text" && png=yes
    grep -q "20000x20000 = 400.0 megapixels" <<< "$text" && jpeg=yes
    local verdict=ok named=yes
    if [[ $expect == refused ]]; then
        [[ $png == yes && $jpeg == yes ]] || named=no
    else
        grep -q "too large" <<< "$text" && named=no
    fi
    if grep -q "Unhandled exception\|   at " <<< "$text" || [[ $peak -ge $LIMIT_KB || $named != yes ]] || (( rc > 1 )); then
        verdict=FAILED
        failed=1
    fi
    printf '%-16s exit %d  %4d s  peak %5d MB  bombs %s; 30000x30000 named: %-3s 20000x20000 named: %-3s %s\n' \
        "$name" "$rc" $((SECONDS - start)) $((peak / 1024)) "$expect" "$png" "$jpeg" "$verdict"
    echo "  holdout $*"
}

check split            refused split "$DATA" --out "$WORK/split.csv"
check doctor           refused doctor "$DATA"
check preview          refused preview "$DATA" --out "$WORK/grid.png"
check train            refused train "$DATA" --epochs 1 --image-size 64 --out "$WORK/run"
check predict          refused predict "$WORK/run" "$DATA"
check evaluate         refused evaluate "$WORK/run" --data "$DATA"
check split-allowed    decoded split "$DATA" --out "$WORK/split-allowed.csv" --max-pixels 1000000000
check predict-allowed  decoded predict "$WORK/run" "$DATA" --max-pixels 1000000000
if (( failed )); then
    echo "FAILED: see above (outputs in $WORK, kept)"; trap - EXIT; exit 1
fi
echo "all commands finished under $((LIMIT_KB / 1024)) MB; both bombs named with their dimensions, or decoded when allowed"
