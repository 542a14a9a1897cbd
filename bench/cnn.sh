#!/usr/bin/env bash
# The Keras "simple MNIST convnet" beside its TorchSharp twin, alternating A B A B in one session.
#   bench/cnn.sh [rounds=2] [epochs=2]
# Praxis: examples/MnistCnn --bench (all 60,000 training images, batch 128, Adam, no per-epoch evaluation).
# TorchSharp: ../shared/bench/run-peer.sh torchsharp cnn, the same network and batch, with glibc malloc tuned as the
# peer README says (its best configuration on these VMs; without it page faults dominate).
# Prints each run, then medians of the per-epoch training seconds, the ratio, test accuracy and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
epochs=${2:-2}
out=$(mktemp -d /tmp/praxis-cnn-bench.XXXXXX)
dotnet build examples/MnistCnn -c Release -nologo -v q > /dev/null
date
for r in $(seq 1 "$rounds"); do
  dotnet examples/MnistCnn/bin/Release/net10.0/MnistCnn.dll --bench --epochs "$epochs" | tee "$out/praxis_$r.log"
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456 \
    ../shared/bench/run-peer.sh torchsharp cnn --epochs "$epochs" | tee "$out/torchsharp_$r.log"
done
python3 - "$out" <<'PY'
import re, statistics, sys, glob, os
out = sys.argv[1]
def collect(name):
    epochs, steady, acc, rss = [], [], [], []
    for f in sorted(glob.glob(os.path.join(out, f"{name}_*.log"))):
        t = open(f).read()
        per = [float(v) for v in re.search(r"per_epoch_s=\[([^\]]*)\]", t).group(1).split(",")]
        epochs += per
        steady += per[1:]
        acc.append(float(re.search(r"cnn_test_acc=([0-9.]+)", t).group(1)))
        rss.append(float(re.search(r"peak_rss_mib=([0-9.]+)", t).group(1)))
    return epochs, steady, acc, rss
p, t = collect("praxis"), collect("torchsharp")
med = statistics.median
print(f"\nper-epoch seconds, all epochs:   Praxis {p[0]}  TorchSharp {t[0]}")
print(f"median s/epoch (all epochs):     Praxis {med(p[0]):.2f}  TorchSharp {med(t[0]):.2f}  ratio Praxis/TorchSharp {med(p[0]) / med(t[0]):.2f}")
if p[1] and t[1]:
    print(f"median s/epoch (after epoch 1): Praxis {med(p[1]):.2f}  TorchSharp {med(t[1]):.2f}  ratio {med(p[1]) / med(t[1]):.2f}")
print(f"test accuracy after {len(p[0]) // len(p[2])} epochs: Praxis {p[2]}  TorchSharp {t[2]}")
print(f"peak RSS MiB: Praxis {p[3]}  TorchSharp {t[3]}")
PY
