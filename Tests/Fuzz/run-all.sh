#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after another (Tests/Fuzz/run.sh), and prints one
# summary line per target; the exit status is non-zero when any target has a finding.
#
#     Tests/Fuzz/run-all.sh SECONDS
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ $# -ne 1 ]; then
    echo "usage: $0 SECONDS (per target)" >&2
    exit 2
fi
failed=0
summaries=()
for target in json config safetensors idx png jpeg pgm search npz cifar csv; do
    summary=$("$here/run.sh" "$target" "$1" 2>/dev/null | tail -1) || failed=1
    summaries+=("$summary")
    echo "$summary"
done
exit "$failed"
