#!/usr/bin/env bash
# Fuzzes Merkisto's readers with libFuzzer and AddressSanitizer: each target for SECONDS (default 60),
# from a corpus seeded with the test fixtures, shipped files and credentials issued at start.
#
#   Fuzz/run.sh [-t SECONDS] [TARGET...]     targets: definitions client-record jws jsonld nquads unbaker request
#
# The mutations start from seed 1 (MERKISTO_FUZZ_SEED=0 for a random one), so that CI's runs repeat.
#
# The corpus grows in .build-fuzz/work/corpus/TARGET and is reused by the next run. When a target finds an
# input that crashes, trips the sanitizer or breaks one of the target's checks, the run stops with the
# input saved in .build-fuzz/work/findings/TARGET/; see Fuzz/README.md for making it a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
if [ "${1:-}" = "-t" ]; then seconds=$2; shift 2; fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(definitions client-record jws jsonld nquads unbaker request); fi

# FUZZ_CONFIGURATION=debug builds in about half the time (CI), release fuzzes faster (longer runs).
configuration="${FUZZ_CONFIGURATION:-release}"
echo "fuzz: building merkisto-fuzz ($configuration) with -sanitize=fuzzer,address (.build-fuzz)"
MERKISTO_LIBFUZZER=1 swift build -c "$configuration" --product merkisto-fuzz --build-path .build-fuzz
binary="$(MERKISTO_LIBFUZZER=1 swift build -c "$configuration" --build-path .build-fuzz --show-bin-path)/merkisto-fuzz"
work="${MERKISTO_FUZZ_WORK:-.build-fuzz/work}"

# Swift's runtime keeps some allocations for the life of the process: leaks are not what is looked for.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export MERKISTO_REPOSITORY="$PWD"

failed=()
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    findings="$work/findings/$target"
    mkdir -p "$corpus" "$findings"
    echo "== fuzz $target for $seconds s"
    if MERKISTO_FUZZ_TARGET="$target" MERKISTO_FUZZ_SEEDS="$corpus" "$binary" "$corpus" \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=6144 -max_len=131072 -detect_leaks=0 \
        -seed="${MERKISTO_FUZZ_SEED:-1}" -artifact_prefix="$findings/" -print_final_stats=1 2>"$work/$target.log"; then
        grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/$target.log" || true
    else
        failed+=("$target")
        tail -n 60 "$work/$target.log"
        for file in "$findings"/*; do
            [ -f "$file" ] || continue
            echo "fuzz: $target found $file ($(wc -c <"$file") bytes); the first bytes in hex:"
            head -c 512 "$file" | od -An -tx1 | head -n 8
        done
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in: ${failed[*]} (see Fuzz/README.md: each becomes a file in Fuzz/regressions/TARGET/)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} target(s), $seconds s each, no finding"
