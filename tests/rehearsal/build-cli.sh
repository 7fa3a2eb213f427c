#!/usr/bin/env bash
# Builds the Pulumi CLI v3.250.0 from the Go module proxy into a cache directory (once) for the
# offline rehearsal: a wrapper module requiring pkg/v3 and sdk/v3 v3.250.0, restating pkg's
# non-local replace of github.com/atotto/clipboard. Prints the directory that holds bin/pulumi.
set -euo pipefail
version=v3.250.0
root="${ML_REST_API_PULUMI_ROOT:-$HOME/.cache/ml-rest-api/pulumi-$version}"
if [[ -x "$root/bin/pulumi" ]] && "$root/bin/pulumi" version 2>/dev/null | grep -qx "$version"; then
  echo "$root"
  exit 0
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
  go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$root/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
)
echo "built the Pulumi CLI $version in $(( $(date +%s) - start ))s" >&2
echo "$root"
