#!/usr/bin/env bash
# Scoring throughput of several source trees, one after another on one machine, with this
# checkout's benchmark script (v2, (d) rows at B x T = 1024 x 45 and 4096 x 120, 20 timed
# calls each):
#
#   benchmarks/throughput_ab.sh OUT_DIR NAME=TREE [NAME=TREE ...]
#
# Each TREE holds `physics_jax/` and `bridge/`, e.g. `git archive REV physics_jax bridge | tar
# -x -C TREE`. Writes OUT_DIR/NAME.json and NAME.log and prints each run's table.
set -u
out=$1
shift
for spec in "$@"; do
  name=${spec%%=*}
  tree=${spec#*=}
  start=$(date +%s)
  XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONPATH="$tree${PYTHONPATH:+:$PYTHONPATH}" \
    timeout "${RUN_TIMEOUT:-180}" python3 benchmarks/score_throughput.py --preset v2 \
    --pairs "${PAIRS:-1024x45,4096x120}" --repeats 20 --skip a,b,b1,c,checks \
    --out "$out/$name.json" >"$out/$name.log" 2>&1
  echo "== $name ($tree): rc $? in $(($(date +%s) - start)) s"
  grep '^| (d)' "$out/$name.log" || tail -5 "$out/$name.log"
done
