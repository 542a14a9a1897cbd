#!/usr/bin/env bash
# CharGPT training speed and validation loss: Praxis beside its PyTorch twin, in one session, alternating A B C A B C.
#   bench/chargpt.sh [rounds=2] [extra Praxis args...]
# A = Praxis examples/CharGpt (Release, default threads).
# B = the twin (../shared/bench/pytorch/chargpt.py) at its best here: one torch thread, OPENBLAS_NUM_THREADS=1, and
#     OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (the machine presets them to Haswell kernels; see ../shared/bench/README).
# C = the twin as the issue quotes it: OPENBLAS_NUM_THREADS=1, environment otherwise as it is (two torch threads).
#     Under load its two threads collapse (~1,000 tokens/s, 20+ minutes a run); CHARGPT_WITH_C=0 skips it.
# Needs `apt-get install -y python3-torch libopenblas0-pthread`. Same model, data split, schedule, batch sampling and
# final 200-batch validation estimate. Prints each run's tokens/s, train seconds and validation loss, then medians
# and ratios. Logs go to ${CHARGPT_LOGS:-/tmp/chargpt-bench}.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}; shift || true
twin=${CHARGPT_TWIN:-../shared/bench/pytorch/chargpt.py}
logs=${CHARGPT_LOGS:-/tmp/chargpt-bench}
mkdir -p "$logs"; rm -f "$logs"/[ABC]-*.log   # stale logs from an earlier run would join the medians
dotnet build examples/CharGpt -c Release -nologo -v q >/dev/null
date -u
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; }
for r in $(seq 1 "$rounds"); do
  echo "round $r A (Praxis), $(load)"
  dotnet run -c Release --project examples/CharGpt --no-build -- "$@" > "$logs/A-$r.log" 2>&1
  grep -E "chargpt_(val_loss|train_s|tokens_per_s)" "$logs/A-$r.log" | tr '\n' ' '; echo
  echo "round $r B (twin, 1 thread, OpenBLAS presets unset), $(load)"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$twin" --seed 1337 --threads 1 > "$logs/B-$r.log" 2>&1
  grep -E "chargpt_twin_(val_loss|train_s|tokens_per_s)" "$logs/B-$r.log" | tr '\n' ' '; echo
  if [ "${CHARGPT_WITH_C:-1}" != 0 ]; then
    echo "round $r C (twin, OPENBLAS_NUM_THREADS=1, environment as is), $(load)"
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$twin" --seed 1337 > "$logs/C-$r.log" 2>&1
    grep -E "chargpt_twin_(val_loss|train_s|tokens_per_s)" "$logs/C-$r.log" | tr '\n' ' '; echo
  fi
done
echo "end: $(date -u), $(load)"
python3 - "$logs" "$rounds" <<'PY'
import re, statistics, sys
logs, rounds = sys.argv[1], int(sys.argv[2])
def grab(path, key):
    return float(re.search(key + r"=([0-9.]+)", open(path).read()).group(1))
names = {"A": ("Praxis CharGpt", "chargpt"), "B": ("PyTorch twin, best (1 thread, presets unset)", "chargpt_twin"),
         "C": ("PyTorch twin, OPENBLAS_NUM_THREADS=1, env as is", "chargpt_twin")}
med = {}
print("| run | tokens/s median | train s median | tokens/s per run | val loss per run |")
print("|---|---|---|---|---|")
for tag, (name, key) in names.items():
    import os
    if not os.path.exists(f"{logs}/{tag}-1.log"):
        continue
    tps = [grab(f"{logs}/{tag}-{r}.log", key + "_tokens_per_s") for r in range(1, rounds + 1)]
    ts = [grab(f"{logs}/{tag}-{r}.log", key + "_train_s") for r in range(1, rounds + 1)]
    vl = [grab(f"{logs}/{tag}-{r}.log", key + "_val_loss") for r in range(1, rounds + 1)]
    med[tag] = statistics.median(tps)
    print(f"| {name} | {med[tag]:,.0f} | {statistics.median(ts):.1f} | {', '.join(f'{v:,.0f}' for v in tps)} | {', '.join(f'{v:.4f}' for v in vl)} |")
print(f"ratio Praxis / twin best: {med['A'] / med['B']:.2f}" + (f"; Praxis / twin (env as is): {med['A'] / med['C']:.2f}" if "C" in med else ""))
PY
