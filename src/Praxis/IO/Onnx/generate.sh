#!/usr/bin/env bash
# Regenerates Generated/Onnx.cs from onnx.proto with protoc from the Google.Protobuf.Tools NuGet package
# (restored into a throw-away project so the library itself does not depend on the tools package).
# Types are generated internal: the ONNX messages are an implementation detail of Model.ExportOnnx.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=3.36.2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/tools.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="Google.Protobuf.Tools" Version="$version" /></ItemGroup>
</Project>
XML
dotnet restore "$tmp/tools.csproj" --packages "$tmp/packages" >/dev/null
protoc="$tmp/packages/google.protobuf.tools/$version/tools/linux_x64/protoc"
chmod +x "$protoc"
mkdir -p "$here/Generated"
"$protoc" --proto_path="$here" --csharp_out="$here/Generated" --csharp_opt=internal_access "$here/onnx.proto"
echo "wrote $here/Generated/Onnx.cs"
