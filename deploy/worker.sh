#!/usr/bin/env bash
# A Celery worker for one pool of queues (config/queues.py WORKER_POOLS):
#   deploy/worker.sh realtime   ingest follow-up + e-mail/webhook delivery
#   deploy/worker.sh batch      default (maintenance), segments, experiments
#   deploy/worker.sh training   recommender training, alone
#   deploy/worker.sh all        every queue in one worker (development only)
# Further arguments go to `celery worker` (e.g. --concurrency=2 --logfile=...).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${PZ_BIN:-.venv/bin}"
[ -x "$bin/python" ] || bin="$(dirname "$(command -v python3)")"
pool="${1:-all}"
shift || true
queues="$("$bin/python" -c 'import sys; from config.queues import main; sys.exit(main(sys.argv))' "$pool")"
exec "$bin/celery" -A config worker -Q "$queues" -n "${pool}.${PZ_CELERY_QUEUE:-pz}@%h" "$@"
