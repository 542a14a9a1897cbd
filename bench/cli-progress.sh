#!/usr/bin/env bash
# What the praxis command's live progress costs: `praxis train seed-mlp` in a terminal (a pseudo-terminal from `script`)
# with the live bar (redrawn up to 8 times a second) beside the same run with TERM=dumb, which makes it print one plain
# line per epoch instead, alternating A B A B; both go through the same pseudo-terminal. Prints each run's per-epoch
# seconds, then the medians of the epochs after the first (JIT warm-up) and their ratio.
#   bench/cli-progress.sh [rounds=3] [epochs=3]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
epochs=${2:-3}
out=$(mktemp -d /tmp/praxis-cli-bench.XXXXXX)
dotnet build src/Praxis.Cli -c Release -nologo -v q > /dev/null
praxis=src/Praxis.Cli/bin/Release/net10.0/praxis
date
for r in $(seq 1 "$rounds"); do
  TERM=dumb script -qc "$praxis train seed-mlp --epochs $epochs --validation-split 0 --runs-dir $out/plain" /dev/null > /dev/null
  script -qc "$praxis train seed-mlp --epochs $epochs --validation-split 0 --runs-dir $out/live" /dev/null > /dev/null
done
python3 - "$out" <<'PY'
import json, glob, os, statistics, sys
out = sys.argv[1]
med = {}
for mode in ("plain", "live"):
    steady = []
    for d in sorted(glob.glob(os.path.join(out, mode, "*"))):
        per = json.load(open(os.path.join(d, "result.json")))["epoch_seconds"]
        print(f"{mode}: epochs {per}")
        steady += per[1:]
    med[mode] = statistics.median(steady)
    print(f"{mode}: median epoch after the first {med[mode]:.3f} s over {len(steady)} epochs")
print(f"live / plain = {med['live'] / med['plain']:.2f}")
PY
rm -rf "$out"
