#!/bin/sh
# The container's start (the Dockerfile's CMD): seed an empty data volume with the sample
# glossary and corpus, bring the index up to date with them (on PostgreSQL: build it only into a
# fresh database, which the hosts share), then run gunicorn with nginx in front.
set -eu
sample=/srv/glossary/sample
glossary_path="$GLOSSARY_SERVICE_GLOSSARY_PATH"
corpus_dir="$GLOSSARY_SERVICE_CORPUS_DIR"
[ -e "$glossary_path" ] || cp "$sample/glossary.yaml" "$glossary_path"
[ -d "$corpus_dir" ] || cp -r "$sample/corpus" "$corpus_dir"

if [ -n "${DATABASE_URL:-}${GLOSSARY_SERVICE_DATABASE_URL:-}" ]; then
    # Several containers may start at once: one builds, the others find it built (or wait).
    tries=0
    until glossary build --quiet --if-missing --glossary "$glossary_path" --corpus "$corpus_dir"; do
        tries=$((tries + 1))
        [ "$tries" -lt 30 ] || exit 1
        sleep 2
    done
else
    glossary build --quiet --glossary "$glossary_path" --corpus "$corpus_dir" --index "$GLOSSARY_SERVICE_INDEX_DIR"
fi
exec gunicorn -c service/gunicorn_conf.py 'service:create_app()'
