#!/usr/bin/env bash
# Runs the test suite (or the tests FILTER names) under AddressSanitizer and ThreadSanitizer,
# each in a build folder of its own (.build-address, .build-thread; the log is sanitizer.log in it), and says which found a
# report. Slow: each sanitizer builds the whole package again and runs 2-10x slower.
#
#     Tests/sanitizers.sh [address|thread|both] [FILTER]
#
# e.g. `Tests/sanitizers.sh thread WeftEngineTests` for the engine's parallel loops alone.
set -uo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
filter=${2:-}
case "$which" in
    address) sanitizers=(address) ;;
    thread) sanitizers=(thread) ;;
    both) sanitizers=(address thread) ;;
    *) echo "usage: $0 [address|thread|both] [FILTER]" >&2; exit 2 ;;
esac
failed=0
for sanitizer in "${sanitizers[@]}"; do
    mkdir -p ".build-$sanitizer"
    log=".build-$sanitizer/sanitizer.log"
    arguments=(swift test --sanitize="$sanitizer" --scratch-path ".build-$sanitizer")
    [ -z "$filter" ] || arguments+=(--filter "$filter")
    # Leak reports are off: Swift's lazily initialised globals look like leaks to LeakSanitizer.
    ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=halt_on_error=0 "${arguments[@]}" >"$log" 2>&1
    status=$?
    reports=$(grep -c "^WARNING: ThreadSanitizer\|^==[0-9]*==ERROR: AddressSanitizer" "$log")
    echo "$sanitizer: exit $status, $reports report(s); log $log"
    [ "$status" -eq 0 ] && [ "$reports" -eq 0 ] || failed=1
done
exit "$failed"
