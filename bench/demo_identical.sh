#!/usr/bin/env bash
# Snapshot every file `xlflag demo` writes for each preset, with the key and every clock fixed,
# so two trees (before and after a refactor) can be compared byte for byte:
#   bash bench/demo_identical.sh before   # on the old commit
#   bash bench/demo_identical.sh after    # on the new one
#   for p in s1 s2 s3 s4 s5; do diff /tmp/xlflag-snap_before_$p.sha /tmp/xlflag-snap_after_$p.sha; done
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for p in s1 s2 s3 s4 s5; do
  d=$(mktemp -d)/demo
  python "$here/demo_fixed.py" demo "$d" --preset "$p" >/dev/null
  (cd "$d" && find . -type f | sort | xargs sha256sum) > "/tmp/xlflag-snap_${1}_$p.sha"
done
