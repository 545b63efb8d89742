#!/usr/bin/env bash
# Runs one libFuzzer target for a time budget:
#
#     Tests/Fuzz/run.sh TARGET SECONDS [libFuzzer options...]
#
# TARGET is one of: json config safetensors idx png jpeg pgm search npz cifar csv. The target is built in release
# mode with libFuzzer and AddressSanitizer (this package's own .build folder; the first build
# takes a few minutes), its corpus starts from Seeds/TARGET and the repository's own files, and
# grows in .work/TARGET/corpus between runs. Findings (crashes, timeouts, out-of-memory inputs)
# land in .work/TARGET/findings; reproduce one with
#
#     Tests/Fuzz/.build/release/FuzzJSON Tests/Fuzz/.work/json/findings/crash-...
#
# Leak detection is off: Swift's lazily initialised globals and runtime caches look like leaks to
# LeakSanitizer, and a leak is not what these targets look for (crashes, traps, hangs, memory).
#
# The last line says `fuzz TARGET: N executions in S s, K findings`; the exit status is non-zero
# when there is a finding.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET SECONDS [libFuzzer options...] (TARGET: json config safetensors idx png jpeg pgm search npz cifar csv)" >&2
    exit 2
fi
target="$1" seconds="$2"
shift 2
case "$target" in
    json) product=FuzzJSON ;;
    config) product=FuzzConfig ;;
    safetensors) product=FuzzSafetensors ;;
    idx) product=FuzzIDX ;;
    png) product=FuzzPNG ;;
    jpeg) product=FuzzJPEG ;;
    pgm) product=FuzzPGM ;;
    search) product=FuzzSearch ;;
    npz) product=FuzzNPZ ;;
    cifar) product=FuzzCIFAR ;;
    csv) product=FuzzCSV ;;
    *) echo "$0: unknown target '$target'; use json, config, safetensors, idx, png, jpeg, pgm, search, npz, cifar or csv" >&2; exit 2 ;;
esac

# SwiftPM's --sanitize=fuzzer makes libFuzzer supply main(); the combined -sanitize=fuzzer,address
# passed to swiftc comes last and wins (two separate -sanitize flags keep only the last one, which
# would drop the coverage instrumentation).
swift build --package-path "$here" -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
    --product "$product" >&2

work="$here/.work/$target"
mkdir -p "$work/corpus" "$work/findings"
seed() { [ -f "$1" ] && [ "$(stat -c %s "$1")" -le 16384 ] && cp -n "$1" "$work/corpus/seed-$(basename "$1")" || true; }
for file in "$here/Seeds/$target"/*; do seed "$file"; done
case "$target" in
    json) for file in "$root"/Configs/*.json "$root"/Tests/Fixtures/*/*.json "$here"/Seeds/search/*; do seed "$file"; done ;;
    config) for file in "$root"/Configs/*.json "$root"/Tests/Fixtures/GradientCaseA/config.json; do seed "$file"; done ;;
    safetensors) for file in "$root"/Tests/Fixtures/*/*.safetensors; do seed "$file"; done ;;
    png) for file in "$root"/Tests/Fixtures/Images/*.png; do seed "$file"; done ;;
    jpeg) for file in "$root"/Tests/Fixtures/Images/*.jpg; do seed "$file"; done ;;
    npz) for file in "$root"/Tests/Fixtures/Arrays/*.np[yz] "$root"/Tests/Fixtures/Arrays/damaged/*.np[yz]; do seed "$file"; done ;;
    cifar) for file in "$root"/Tests/Fixtures/Arrays/cifar*/* "$root"/Tests/Fixtures/Arrays/damaged/*.bin; do seed "$file"; done ;;
    csv) for file in "$root"/Tests/Fixtures/Datasets/csv/*.csv; do seed "$file"; done ;;
esac

log="$work/last-run.log"
status=0
ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" "$here/.build/release/$product" "$work/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -detect_leaks=0 -artifact_prefix="$work/findings/" -print_final_stats=1 "$@" >"$log" 2>&1 || status=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
elapsed=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "$seconds")
findings=$(find "$work/findings" -type f | wc -l)
coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
echo "fuzz $target: $runs executions in ${elapsed} s, $findings findings ($coverage, corpus $(ls "$work/corpus" | wc -l) inputs; log $log)"
if [ "$status" -ne 0 ] || [ "$findings" -ne 0 ]; then
    grep -E 'ERROR|Fatal error|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    exit 1
fi
