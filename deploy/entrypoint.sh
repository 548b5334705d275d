#!/usr/bin/env bash
# The one entrypoint of the pz image (deploy/Dockerfile, deploy/compose.yaml):
#   entrypoint.sh web                 migrations applied? then gunicorn (observability/gunicorn_conf.py)
#   entrypoint.sh worker <pool>       a Celery worker of a pool: realtime, batch, training (deploy/worker.sh)
#   entrypoint.sh beat                the Celery beat scheduler (exactly one per install)
#   entrypoint.sh migrate             apply migrations (a one-off job before web starts)
#   entrypoint.sh collectstatic       collect static files into STATIC_ROOT (image build)
# CI runs these on the machine instead of building the image (tests/test_deploy.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${PZ_BIN:-.venv/bin}"
[ -x "$bin/python" ] || bin="$(dirname "$(command -v python3)")"
role="${1:-web}"
shift || true
case "$role" in
  web)
    # Refuse to serve a schema older than the code (the migrate job has not run yet).
    "$bin/python" manage.py migrate --check --noinput >/dev/null || {
      echo "unapplied migrations: run the migrate job first" >&2
      exit 3
    }
    export GUNICORN_BIND="${GUNICORN_BIND:-0.0.0.0:8000}"
    exec "$bin/gunicorn" -c observability/gunicorn_conf.py "$@" config.wsgi
    ;;
  worker)
    exec deploy/worker.sh "${1:-all}" "${@:2}"
    ;;
  beat)
    exec "$bin/celery" -A config beat --loglevel=INFO \
      --schedule="${PZ_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" "$@"
    ;;
  migrate)
    exec "$bin/python" manage.py migrate --noinput "$@"
    ;;
  collectstatic)
    exec "$bin/python" manage.py collectstatic --noinput "$@"
    ;;
  *)
    echo "unknown role $role: web, worker <pool>, beat, migrate, collectstatic" >&2
    exit 2
    ;;
esac
