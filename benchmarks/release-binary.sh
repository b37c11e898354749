#!/bin/bash
# Builds the release binary as for a server and prints its path: `--static-swift-stdlib` links the Swift
# runtime and Foundation into the one file (nothing of the toolchain is needed where it runs, and it starts
# on 8 ms of CPU rather than 13). Every benchmark script measures this binary. Run from the project root.
set -euo pipefail
swift build -c release --static-swift-stdlib --product merkisto >/dev/null 2>&1 || swift build -c release --static-swift-stdlib --product merkisto >&2
echo "$(swift build -c release --static-swift-stdlib --show-bin-path)/merkisto"
