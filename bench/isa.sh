#!/usr/bin/env bash
# The per-ISA comparison in one command: prints the CPU and the SIMD paths in use, then alternates A B A B
#   SGEMM n=1024,2048 (2 threads)  Praxis  vs  numpy/OpenBLAS
#   seed MLP (5 epochs)            Praxis  vs  TorchSharp, 1 thread (its best configuration on 2 cores)
# and prints medians and ratios. The ISA is the current one, or the one the environment narrows it to:
#   bench/isa.sh                               # the machine's best (AVX-512 or AVX2; NEON on Arm64)
#   DOTNET_EnableAVX512=0 bench/isa.sh         # AVX2 (.NET 10 ignores the older DOTNET_EnableAVX512F)
#   DOTNET_EnableAVX=0 bench/isa.sh            # 128-bit SSE; OpenBLAS then runs its SSE kernel (core Nehalem)
# Only Praxis runs under the narrowed ISA: the peers get the machine's (DOTNET_Enable* unset for TorchSharp), and
# OpenBLAS is pinned to the matching core (Haswell for AVX2, Nehalem for 128-bit; ISA_OPENBLAS_CORE=X overrides),
# else it picks its own (OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for that command).
#   bench/isa.sh [rounds=3] [--no-seed] [--no-peer] [--profile]
# --profile adds the seed step's time per op (Praxis.Bench.Kernels --seed-profile) at the end: run it under two ISA
# variables one after the other to see which op a narrower path loses time in.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3; seed=1; peers=1; profile=0
for a in "$@"; do case "$a" in --no-seed) seed=0 ;; --no-peer) peers=0 ;; --profile) profile=1 ;; *) rounds=$a ;; esac; done
peer=../shared/bench/run-peer.sh; [ -x "$peer" ] || peer=/work/shared/bench/run-peer.sh
dotnet build bench/Praxis.Bench.Kernels -c Release -nologo -v q >/dev/null
[ "$seed" = 1 ] && dotnet build bench/Praxis.Bench.Seed -c Release -nologo -v q >/dev/null
kern=bench/Praxis.Bench.Kernels/bin/Release/net10.0/Praxis.Bench.Kernels.dll
core=${ISA_OPENBLAS_CORE:-}  # OPENBLAS_CORETYPE is often preset (Haswell) on these machines, so it is not read
if [ -z "$core" ]; then
  if [ "${DOTNET_EnableAVX:-1}" = 0 ] || [ "${DOTNET_EnableHWIntrinsic:-1}" = 0 ]; then core=Nehalem
  elif [ "${DOTNET_EnableAVX512:-1}" = 0 ] || [ "${DOTNET_EnableAVX2:-1}" = 0 ]; then core=Haswell; fi
fi
echo "# $(date -u +%F' '%H:%M) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)\" cores=$(nproc) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
echo "# env: $(env | grep -E '^DOTNET_Enable' | tr '\n' ' ')openblas_core=${core:-auto}"
echo "# praxis: $(dotnet "$kern" --isa-info)"
# A missing peer is reported and skipped, so the Praxis figures still come out (e.g. on a machine without numpy).
npeer=$peers; tpeer=$peers
if [ "$peers" = 1 ] && ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then echo "# numpy (OpenBLAS) not found: SGEMM peer skipped"; npeer=0; fi
if [ "$peers" = 1 ] && [ ! -x "$peer" ]; then echo "# $peer not found: TorchSharp peer skipped"; tpeer=0; fi
field() { sed -n "s/.*$1=[[:space:]]*\([0-9.]*\).*/\1/p" | head -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b>0)?a/b:0}'; }
clean() { env -u DOTNET_EnableAVX512 -u DOTNET_EnableAVX512F -u DOTNET_EnableAVX -u DOTNET_EnableAVX2 -u DOTNET_EnableHWIntrinsic "$@"; }
numpy() { if [ -n "$core" ]; then env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$core" "$@"; else env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; fi; }
P1=(); P2=(); N1=(); N2=(); S=(); T=()
for r in $(seq "$rounds"); do
  out=$(dotnet "$kern" --quick --sizes 1024,2048 --threads 2 --samples 5)
  P1+=("$(echo "$out" | grep 'sgemm 1024' | field median_gflops)"); P2+=("$(echo "$out" | grep 'sgemm 2048' | field median_gflops)")
  line="round $r: praxis sgemm ${P1[-1]} / ${P2[-1]} GFLOP/s"
  if [ "$npeer" = 1 ]; then
    out=$(numpy /usr/bin/python3 bench/Praxis.Bench.Kernels/numpy_sgemm.py --sizes 1024,2048 --samples 5)
    [ "$r" = 1 ] && echo "$out" | head -1
    N1+=("$(echo "$out" | grep -E '^(sgemm|numpy)? *1024' | field median_gflops)"); N2+=("$(echo "$out" | grep -E '^(sgemm|numpy)? *2048' | field median_gflops)")
    line+=" | openblas ${N1[-1]} / ${N2[-1]}"
  fi
  if [ "$seed" = 1 ]; then
    S+=("$(dotnet bench/Praxis.Bench.Seed/bin/Release/net10.0/Praxis.Bench.Seed.dll --threads 2 | field mlp_train_total_s)")
    line+=" | praxis seed ${S[-1]} s"
    if [ "$tpeer" = 1 ]; then
      ts=$(clean "$peer" torchsharp mlp --threads 1 2>/dev/null | field mlp_train_total_s || true)
      if [ -n "$ts" ]; then T+=("$ts"); line+=" | torchsharp 1t $ts s"; else line+=" | torchsharp failed"; fi
    fi
  fi
  echo "$line"
done
p1=$(median "${P1[@]}"); p2=$(median "${P2[@]}")
summary="median: praxis sgemm n=1024 $p1, n=2048 $p2 GFLOP/s"
[ "$npeer" = 1 ] && { n1=$(median "${N1[@]}"); n2=$(median "${N2[@]}"); summary+=" | openblas $n1, $n2 | ratio $(ratio "$p1" "$n1"), $(ratio "$p2" "$n2")"; }
if [ "$seed" = 1 ]; then
  s=$(median "${S[@]}"); summary+=" | seed $s s"
  [ "${#T[@]}" -gt 0 ] && { t=$(median "${T[@]}"); summary+=" vs torchsharp $t s: $(ratio "$s" "$t")"; }
fi
echo "$summary"
[ "$profile" = 1 ] && dotnet "$kern" --seed-profile --threads 2
exit 0
