#!/usr/bin/env bash
# The test command (README and .ci/run): the whole suite once, then the kernel and op tests again under each narrower
# instruction set, so every SIMD path (AVX-512, AVX2, 128-bit SSE/NEON, scalar) is exercised on every commit.
# .NET 10 reads DOTNET_EnableAVX512 (it ignores the older DOTNET_EnableAVX512F); SimdTests fails if a run does not
# get the path its variables ask for.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Praxis.sln -c Release "$@"
ops='FullyQualifiedName~Praxis.Tests.Kernels|FullyQualifiedName~Praxis.Tests.Ops'
for isa in DOTNET_EnableAVX512=0 DOTNET_EnableAVX=0; do
  echo "== kernels and ops with $isa"
  env "$isa" dotnet test tests/Praxis.Tests --no-build -c Release --filter "$ops"
done
echo "== kernels with DOTNET_EnableHWIntrinsic=0 (scalar)"
DOTNET_EnableHWIntrinsic=0 dotnet test tests/Praxis.Tests --no-build -c Release --filter "FullyQualifiedName~Praxis.Tests.Kernels"
