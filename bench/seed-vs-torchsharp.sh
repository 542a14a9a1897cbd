#!/usr/bin/env bash
# The seed workload, Praxis beside TorchSharp in one session, alternating A B A B, then medians and the ratio.
#   bench/seed-vs-torchsharp.sh [rounds=3] [praxis threads=2]
# TorchSharp runs in both its configurations (1 and 2 threads) and the faster median is its "best".
# SEED_BENCH_PEER_2T=0 skips the 2-thread peer: when another process shares the 2 cores its OpenMP threads collapse
# (minutes per run instead of ~5 s), and 1 thread is its best configuration here anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; threads=${2:-2}
peer=../shared/bench/run-peer.sh
[ -x "$peer" ] || peer=/work/shared/bench/run-peer.sh
dotnet build bench/Praxis.Bench.Seed -c Release -nologo -v q >/dev/null
praxis() { dotnet bench/Praxis.Bench.Seed/bin/Release/net10.0/Praxis.Bench.Seed.dll --threads "$threads"; }
field() { sed -n "s/^$1=\([0-9.]*\).*/\1/p" | head -1; }
declare -a P T1 T2 PA PR
for r in $(seq "$rounds"); do
  out=$(praxis); P+=("$(echo "$out" | field mlp_train_total_s)"); PA+=("$(echo "$out" | field mlp_test_acc)"); PR+=("$(echo "$out" | field peak_rss_mib)")
  T1+=("$("$peer" torchsharp mlp --threads 1 2>/dev/null | field mlp_train_total_s)")
  if [ "${SEED_BENCH_PEER_2T:-1}" != 0 ]; then T2+=("$("$peer" torchsharp mlp --threads 2 2>/dev/null | field mlp_train_total_s)"); else T2+=(inf); fi
  echo "round $r: praxis ${P[-1]} s (acc ${PA[-1]}, rss ${PR[-1]} MiB) | torchsharp 1t ${T1[-1]} s | torchsharp 2t ${T2[-1]} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mp=$(median "${P[@]}"); m1=$(median "${T1[@]}"); m2=$(median "${T2[@]}")
best=$(awk -v a="$m1" -v b="$m2" 'BEGIN{print (a<b)?a:b}')
echo "median: praxis $mp s | torchsharp 1 thread $m1 s, 2 threads $m2 s | best peer $best s | praxis/peer = $(awk -v p="$mp" -v b="$best" 'BEGIN{printf "%.3f", p/b}') (target <= 0.333)"
