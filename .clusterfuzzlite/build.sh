#!/bin/bash -eu
# ClusterFuzzLite runs the OSS-Fuzz build.
exec "$SRC/mmstack/ci/oss-fuzz/build.sh"
