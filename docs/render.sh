#!/usr/bin/env bash
# Regenerates docs/architecture.svg from docs/architecture.dot (needs Graphviz: apt-get install graphviz).
set -euo pipefail
cd "$(dirname "$0")"
dot -Tsvg architecture.dot -o architecture.svg
dot -Tpng -Gdpi=110 architecture.dot -o /tmp/ml-rest-api-architecture.png
echo "wrote docs/architecture.svg (preview: /tmp/ml-rest-api-architecture.png)"
