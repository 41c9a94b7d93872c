#!/usr/bin/env bash
# Packs every package of the solution into one folder (default artifacts/packages) with one version for all:
# VersionPrefix from Directory.Build.props plus a UTC-timestamp prerelease suffix, so a repack never reuses a
# version that a NuGet cache already holds. Writes the version to VERSION in that folder and prints it last.
#   scripts/pack.sh [OUT_DIR]        VersionSuffix=rc.1 scripts/pack.sh   (choose the suffix; CI exports its own)
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mkdir -p "${1:-artifacts/packages}" && cd "${1:-artifacts/packages}" && pwd)"
suffix="${VersionSuffix:-dev.$(date -u +%Y%m%d%H%M%S)}"
rm -f "$out"/QuantUNet.*.nupkg "$out"/QuantUNet.*.snupkg "$out/VERSION"
dotnet pack QuantUNet.MLNet.sln -c Release -o "$out" --nologo -p:VersionSuffix="$suffix"
version="$(dotnet msbuild src/QuantUNet.Integer/QuantUNet.Integer.csproj -nologo -getProperty:PackageVersion -p:VersionSuffix="$suffix")"
echo "$version" > "$out/VERSION"
ls -l "$out"
echo "$version"
