#!/usr/bin/env bash
# Provides the Pulumi CLI v3.250.0 for the offline rehearsal and prints the directory that holds
# bin/pulumi. The rehearsal supports exactly v3.250.0, the version of the Automation API and SDK
# this module pins (its assertions read that CLI's output). In order:
#   1. $ML_REST_API_PULUMI_ROOT or the cache, when it holds v3.250.0;
#   2. a `pulumi` on PATH that reports v3.250.0 (linked into the cache; nothing is built);
#   3. otherwise it builds v3.250.0 from the Go module proxy into the cache (about 7 minutes on
#      2 cores): a wrapper module requiring pkg/v3 and sdk/v3 v3.250.0, restating pkg's
#      non-local replace of github.com/atotto/clipboard. ML_REST_API_PULUMI_NO_BUILD=1 refuses
#      this step (and says why) instead.
set -euo pipefail
version=v3.250.0
cache="$HOME/.cache/ml-rest-api"
root="${ML_REST_API_PULUMI_ROOT:-$cache/pulumi-$version}"
if [[ -x "$root/bin/pulumi" ]] && "$root/bin/pulumi" version 2>/dev/null | grep -qx "$version"; then
  echo "$root"
  exit 0
fi
if [[ -z "${ML_REST_API_PULUMI_ROOT:-}" ]] && onpath="$(command -v pulumi)"; then
  have="$("$onpath" version 2>/dev/null || true)"
  if [[ "$have" == "$version" ]]; then
    linked="$cache/pulumi-on-path"
    mkdir -p "$linked/bin"
    ln -sf "$onpath" "$linked/bin/pulumi"
    echo "using the Pulumi CLI on PATH ($onpath, $version)" >&2
    echo "$linked"
    exit 0
  fi
  echo "the Pulumi CLI on PATH ($onpath) is ${have:-of unknown version}, not $version, which the rehearsal supports" >&2
fi
if [[ -n "${ML_REST_API_PULUMI_NO_BUILD:-}" ]]; then
  echo "no Pulumi CLI $version found, and ML_REST_API_PULUMI_NO_BUILD is set: not building it" >&2
  exit 1
fi
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
cat > "$src/go.mod" <<MOD
module example.com/pulumicli

go 1.25

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
start=$(date +%s)
(
  cd "$src"
  go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$version" "github.com/pulumi/pulumi/sdk/v3@$version" >&2
  mkdir -p "$root/bin"
  # -s -w: no symbol table or DWARF (a faster link of a large binary; nothing debugs it here).
  go build -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$root/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
)
echo "built the Pulumi CLI $version in $(( $(date +%s) - start ))s" >&2
echo "$root"
