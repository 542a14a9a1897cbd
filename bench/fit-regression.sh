#!/usr/bin/env bash
# Seed MLP and convnet training time of this checkout beside another commit's, alternating A B A B, then medians.
#   bench/fit-regression.sh BASE_WORKTREE [rounds=5] [cnn_rounds=2] [cnn_epochs=1]
# BASE_WORKTREE is a checkout of the commit to compare with (git worktree add /tmp/base <commit>); both are built here.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1; rounds=${2:-5}; cnn_rounds=${3:-2}; cnn_epochs=${4:-1}
for d in . "$base"; do
  dotnet build "$d/bench/Praxis.Bench.Seed" -c Release -nologo -v q > /dev/null
  dotnet build "$d/examples/MnistCnn" -c Release -nologo -v q > /dev/null
done
date -u; echo "base: $(git -C "$base" log --oneline -1)"; echo "head: $(git log --oneline -1)"
seed() { dotnet "$1/bench/Praxis.Bench.Seed/bin/Release/net10.0/Praxis.Bench.Seed.dll" | grep -oE "mlp_train_total_s=[0-9.]+" | cut -d= -f2; }
cnn() { dotnet "$1/examples/MnistCnn/bin/Release/net10.0/MnistCnn.dll" --bench --epochs "$cnn_epochs" | grep -oE "cnn_train_total_s=[0-9.]+" | cut -d= -f2; }
a=(); b=(); ca=(); cb=()
for r in $(seq "$rounds"); do a+=("$(seed "$base")"); b+=("$(seed .)"); echo "seed round $r: base ${a[-1]} s, head ${b[-1]} s"; done
for r in $(seq "$cnn_rounds"); do ca+=("$(cnn "$base")"); cb+=("$(cnn .)"); echo "cnn round $r: base ${ca[-1]} s, head ${cb[-1]} s"; done
python3 - "${a[*]}" "${b[*]}" "${ca[*]}" "${cb[*]}" <<'PY'
import statistics, sys
a, b, ca, cb = ([float(v) for v in s.split()] for s in sys.argv[1:])
print(f"seed median: base {statistics.median(a):.3f} s, head {statistics.median(b):.3f} s, head/base {statistics.median(b)/statistics.median(a):.3f}")
print(f"cnn median:  base {statistics.median(ca):.2f} s, head {statistics.median(cb):.2f} s, head/base {statistics.median(cb)/statistics.median(ca):.3f}")
PY
