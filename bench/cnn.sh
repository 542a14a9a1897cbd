#!/usr/bin/env bash
# The Keras "simple MNIST convnet" beside its TorchSharp twin in one session, alternating A B A B, then medians.
#   bench/cnn.sh [rounds=2] [epochs=2] [praxis threads=cores]
# Praxis: examples/MnistCnn --bench (all 60,000 training images, batch 128, Adam, no per-epoch evaluation; kernel
# threads = cores). TorchSharp: ../shared/bench/run-peer.sh torchsharp cnn, the same network, batch and optimizer, with
# glibc malloc tuned as the peer README says, in both its configurations (1 and 2 threads); the faster median is its
# "best". Prints every run, then median seconds per epoch, the ratio to the best peer, test accuracy and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}; epochs=${2:-2}; threads=${3:-$(nproc)}
peer=../shared/bench/run-peer.sh
[ -x "$peer" ] || peer=/work/shared/bench/run-peer.sh
out=$(mktemp -d /tmp/praxis-cnn-bench.XXXXXX)
dotnet build examples/MnistCnn -c Release -nologo -v q > /dev/null
tuned() { MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456 "$@"; }
date -u
for r in $(seq "$rounds"); do
  echo "--- round $r ($(date -u +%H:%M:%S), $(head -1 /proc/pressure/cpu 2>/dev/null || uptime))"
  dotnet examples/MnistCnn/bin/Release/net10.0/MnistCnn.dll --bench --epochs "$epochs" --threads "$threads" | tee "$out/praxis_$r.log" | grep -E "per_epoch|test_acc|rss"
  tuned "$peer" torchsharp cnn --epochs "$epochs" --threads 1 2>/dev/null | tee "$out/torchsharp1_$r.log" | grep -E "per_epoch|test_acc|rss"
  tuned "$peer" torchsharp cnn --epochs "$epochs" --threads 2 2>/dev/null | tee "$out/torchsharp2_$r.log" | grep -E "per_epoch|test_acc|rss"
done
python3 - "$out" <<'PY'
import glob, os, re, statistics, sys
out = sys.argv[1]
def collect(name):
    per, later, acc, rss = [], [], [], []
    for f in sorted(glob.glob(os.path.join(out, f"{name}_*.log"))):
        t = open(f).read()
        e = [float(v) for v in re.search(r"per_epoch_s=\[([^\]]*)\]", t).group(1).split(",")]
        per += e; later += e[1:]
        acc.append(float(re.search(r"cnn_test_acc=([0-9.]+)", t).group(1)))
        rss.append(float(re.search(r"peak_rss_mib=([0-9.]+)", t).group(1)))
    return per, later, acc, rss
med = statistics.median
runs = {"Praxis": collect("praxis"), "TorchSharp 1 thread": collect("torchsharp1"), "TorchSharp 2 threads": collect("torchsharp2")}
for name, (per, later, acc, rss) in runs.items():
    print(f"{name:22} s/epoch {per}  median {med(per):.2f} (after epoch 1: {med(later) if later else float('nan'):.2f})  "
          f"test acc {acc}  peak RSS MiB {rss}")
p = med(runs["Praxis"][0])
best = min(("TorchSharp 1 thread", "TorchSharp 2 threads"), key=lambda n: med(runs[n][0]))
print(f"best peer: {best}, median {med(runs[best][0]):.2f} s/epoch; Praxis {p:.2f} s/epoch; "
      f"Praxis / best peer = {p / med(runs[best][0]):.3f} (target <= 1)")
PY
