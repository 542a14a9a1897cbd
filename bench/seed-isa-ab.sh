#!/usr/bin/env bash
# The seed MLP of two builds (e.g. main and a branch), each at the default ISA and with DOTNET_EnableAVX=0,
# alternating in one run, so the 128-bit/default ratio of both is measured in the same minutes:
#   bench/seed-isa-ab.sh BASE_SEED_DLL NEW_SEED_DLL [rounds=3]
# where each DLL is a built bench/Praxis.Bench.Seed/bin/Release/net10.0/Praxis.Bench.Seed.dll (build the base in a
# `git worktree` of main).
set -euo pipefail
base=$1; new=$2; rounds=${3:-3}
t() { env "$@" --threads 2 | sed -n 's/.*mlp_train_total_s=\([0-9.]*\).*/\1/p'; }
r() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b/a}'; }
echo "# $(date -u +%F' '%H:%M) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)\" load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
for i in $(seq "$rounds"); do
  bd=$(t DOTNET_EnableAVX=1 dotnet "$base"); nd=$(t DOTNET_EnableAVX=1 dotnet "$new")
  bs=$(t DOTNET_EnableAVX=0 dotnet "$base"); ns=$(t DOTNET_EnableAVX=0 dotnet "$new")
  echo "round $i: base default $bd s, 128-bit $bs s (ratio $(r "$bd" "$bs")) | new default $nd s, 128-bit $ns s (ratio $(r "$nd" "$ns")) | load $(cut -d' ' -f1 /proc/loadavg)"
done
