#!/bin/sh
# The image's build steps (Dockerfile, stage `build`); .ci/image-build-check runs this same script
# outside a container, because no registry for base images is reachable where CI runs.
set -eu
npm ci --no-audit --no-fund
npm run build
# The image runs dist/ with the production dependencies only.
npm prune --omit=dev --no-audit --no-fund
