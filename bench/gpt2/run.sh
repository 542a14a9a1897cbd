#!/usr/bin/env bash
# GPT-2 124M shapes, random weights: checkpoint load time and greedy KV-cache generation tokens/s, Praxis beside its
# PyTorch twin (bench/gpt2/twin.py, same forward, same file), alternating A B C per round; medians at the end.
#   bench/gpt2/run.sh [rounds=3] [new_tokens=128]
# A = Praxis (bench/gpt2, Release, default threads = all cores).
# B = the twin, one torch thread, OpenBLAS's own threads as they come (2 here), OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
#     unset (the machine presets them to Haswell kernels): its best configuration in the first runs.
# C = the twin, one torch thread and OPENBLAS_NUM_THREADS=1, presets unset.
# (Two torch threads collapse under the shared machine's load: 4-8 tokens/s in the first runs; not repeated.)
# Both sides generate the same ids (checked below): the twin is an independent check of Praxis' 124M forward.
# Needs `apt-get install -y python3-torch`. The checkpoint (~500 MB, HF layout, F32) goes to ${GPT2_BENCH_DIR:-/tmp/gpt2-bench-124m}.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}; new=${2:-128}
dir=${GPT2_BENCH_DIR:-/tmp/gpt2-bench-124m}
logs=${GPT2_BENCH_LOGS:-/tmp/gpt2-bench-logs}
mkdir -p "$logs"; rm -f "$logs"/[ABC]-*.log
dotnet build bench/gpt2 -c Release -nologo -v q >/dev/null
[ -f "$dir/model.safetensors" ] || dotnet run -c Release --project bench/gpt2 --no-build -- make "$dir"
date -u
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), avx512f: $(grep -qm1 avx512f /proc/cpuinfo && echo yes || echo no)"
load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; }
twin() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@" /usr/bin/python3 bench/gpt2/twin.py "$dir" "$new" 1; }
for r in $(seq 1 "$rounds"); do
  echo "round $r A (Praxis), $(load)";        dotnet run -c Release --project bench/gpt2 --no-build -- run "$dir" "$new" > "$logs/A-$r.log"
  grep -E "_(load_s|tokens_per_s)" "$logs/A-$r.log" | tr '\n' ' '; echo
  echo "round $r B (twin, 1 torch thread), $(load)"; twin > "$logs/B-$r.log"
  grep -E "_(load_s|tokens_per_s)" "$logs/B-$r.log" | tr '\n' ' '; echo
  echo "round $r C (twin, 1 torch thread, OPENBLAS_NUM_THREADS=1), $(load)"; twin OPENBLAS_NUM_THREADS=1 > "$logs/C-$r.log"
  grep -E "_(load_s|tokens_per_s)" "$logs/C-$r.log" | tr '\n' ' '; echo
done
echo "end: $(date -u), $(load)"
python3 - "$logs" "$rounds" <<'PY'
import re, statistics, sys
logs, rounds = sys.argv[1], int(sys.argv[2])
def grab(path, key):
    return re.search(key + r"=([0-9.,]+)", open(path).read()).group(1)
res = {}
for tag, pre in (("A", "praxis"), ("B", "twin"), ("C", "twin")):
    res[tag] = {k: statistics.median(float(grab(f"{logs}/{tag}-{r}.log", f"{pre}_{k}")) for r in range(1, rounds + 1))
                for k in ("load_s", "tokens_per_s", "prompt_s")}
    print(f"{tag} median: load_s={res[tag]['load_s']:.2f} prompt_s={res[tag]['prompt_s']:.3f} tokens_per_s={res[tag]['tokens_per_s']:.2f}")
same = all(grab(f"{logs}/A-{r}.log", "praxis_ids") == grab(f"{logs}/{t}-{r}.log", "twin_ids") for r in range(1, rounds + 1) for t in "BC")
print(f"same greedy ids on both sides: {same}")
print(f"tokens/s Praxis / twin B = {res['A']['tokens_per_s'] / res['B']['tokens_per_s']:.2f}, / twin C = {res['A']['tokens_per_s'] / res['C']['tokens_per_s']:.2f}")
PY
