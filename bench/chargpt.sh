#!/usr/bin/env bash
# CharGPT training speed and validation loss, Praxis beside its PyTorch twin, in one session, alternating A B A B.
#   bench/chargpt.sh [rounds=2] [extra Praxis args...]
# A = Praxis examples/CharGpt (Release), B = ../shared/bench/pytorch/chargpt.py with OPENBLAS_NUM_THREADS=1 (the twin's
# best configuration here; `apt-get install -y python3-torch libopenblas0-pthread`). Same model, data split, schedule,
# batch sampling and final 200-batch validation estimate. Prints each run's tokens/s, train seconds and validation
# loss, then medians and the ratio. Logs go to ${CHARGPT_LOGS:-/tmp/chargpt-bench}.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}; shift || true
twin=${CHARGPT_TWIN:-../shared/bench/pytorch/chargpt.py}
logs=${CHARGPT_LOGS:-/tmp/chargpt-bench}
mkdir -p "$logs"
dotnet build examples/CharGpt -c Release -nologo -v q >/dev/null
date
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  echo "round $r: A (Praxis)"
  dotnet run -c Release --project examples/CharGpt --no-build -- "$@" > "$logs/praxis-$r.log" 2>&1
  grep -E "chargpt_(val_loss|train_s|tokens_per_s)" "$logs/praxis-$r.log" | tr '\n' ' '; echo
  echo "round $r: B (PyTorch twin, OPENBLAS_NUM_THREADS=1)"
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$twin" --seed 1337 > "$logs/twin-$r.log" 2>&1
  grep -E "chargpt_twin_(val_loss|train_s|tokens_per_s)" "$logs/twin-$r.log" | tr '\n' ' '; echo
done
python3 - "$logs" "$rounds" <<'PY'
import re, statistics, sys
logs, rounds = sys.argv[1], int(sys.argv[2])
def grab(path, key):
    m = re.search(key + r"=([0-9.]+)", open(path).read())
    return float(m.group(1))
rows = {}
for name, prefix, key in (("Praxis", "praxis", "chargpt"), ("PyTorch twin (1 BLAS thread)", "twin", "chargpt_twin")):
    tps = [grab(f"{logs}/{prefix}-{r}.log", key + "_tokens_per_s") for r in range(1, rounds + 1)]
    ts = [grab(f"{logs}/{prefix}-{r}.log", key + "_train_s") for r in range(1, rounds + 1)]
    vl = [grab(f"{logs}/{prefix}-{r}.log", key + "_val_loss") for r in range(1, rounds + 1)]
    rows[name] = (statistics.median(tps), statistics.median(ts), vl, tps)
print("| run | tokens/s (median) | train s (median) | val loss per run | tokens/s per run |")
print("|---|---|---|---|---|")
for k, (tps, ts, vl, all_tps) in rows.items():
    print(f"| {k} | {tps:,.0f} | {ts:.1f} | {', '.join(f'{v:.4f}' for v in vl)} | {', '.join(f'{v:,.0f}' for v in all_tps)} |")
a, b = list(rows.values())
print(f"ratio Praxis / twin tokens per second: {a[0] / b[0]:.2f}")
PY
