#!/usr/bin/env bash
# Renders AWS's pet-store listing mapping template (petstore-listing.vm, from the API Gateway developer
# guide's mapping-template example) with Sluice.Vtl and with Apache Velocity 1.7 (Debian's velocity.jar),
# one after the other in the same run, each on one thread, and prints renders/s and the ratio.
# Usage: tests/Benchmarks/Vtl/run.sh [seconds per engine, default 10]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-10}"
cp=/usr/share/java/velocity.jar:/usr/share/java/commons-collections3.jar:/usr/share/java/commons-lang.jar
runner="$here/../../conformance/vtl/VelocityRunner.java"

echo "load before: $(uptime)"
dotnet build "$here/Sluice.Benchmarks.Vtl/Sluice.Benchmarks.Vtl.csproj" -c Release -nologo -v quiet >/dev/null
velocity="$(java -cp "$cp" "$runner" bench "$here/petstore-listing.vm" "$here/petstore.json" "$seconds")"
sluice="$(dotnet "$here/Sluice.Benchmarks.Vtl/bin/Release/net10.0/Sluice.Benchmarks.Vtl.dll" "$here/petstore-listing.vm" "$here/petstore.json" "$seconds")"
echo "load after:  $(uptime)"
echo
echo "$velocity"
echo "$sluice"
# Field 3 is renders per wall-clock second, field 5 renders per CPU-second of the rendering thread.
v="$(echo "$velocity" | awk '{print $3}')"; vc="$(echo "$velocity" | awk '{print $5}')"
s="$(echo "$sluice" | awk '{print $3}')"; sc="$(echo "$sluice" | awk '{print $5}')"
awk -v s="$s" -v v="$v" -v sc="$sc" -v vc="$vc" 'BEGIN {
  printf "ratio sluice/velocity: %.2fx wall-clock, %.2fx per CPU-second\n", s / v, sc / vc
  printf "goal 200000 renders/s on one core: %s (wall-clock %s, per CPU-second %s)\n", (sc >= 200000 ? "met" : "NOT met"), s, sc
}'
