#!/usr/bin/env bash
# A local three-node MariaDB Galera cluster on 127.0.0.1, for make test-galera.
#
#   scripts/galera.sh start          # three nodes, utf8mb4; returns once wsrep_cluster_size = 3
#   scripts/galera.sh status         # each node's cluster size and state
#   scripts/galera.sh kill N         # SIGKILL node N (1-3)
#   scripts/galera.sh restart N      # start node N again; returns once it is Synced
#   scripts/galera.sh stop           # shut every node down and remove the data
#   scripts/galera.sh urls           # the nodes' mysql:// URLs, one per line
#
# Node N listens for SQL on 331N, for the group on 457N, for incremental state
# transfer on 458N and for full state transfer (rsync) on 459N. The data lives
# under $SHOPCORE_GALERA_DIR (default /tmp/shopcore-galera), owned by the mysql
# user: the rsync state transfer runs as that user. Node 1 bootstraps the
# cluster (--wsrep-new-cluster); nodes 2 and 3 join it by a full state transfer.
# Installs mariadb-server, galera-4 and rsync from Debian's packages if missing.
set -euo pipefail

DIR="${SHOPCORE_GALERA_DIR:-/tmp/shopcore-galera}"
PROVIDER=/usr/lib/galera/libgalera_smm.so
MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
NODES=(1 2 3)
CLUSTER="gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573"

log() { echo "galera: $*" >&2; }

install_packages() {
    if [[ -x "$MARIADBD" && -f "$PROVIDER" ]] && command -v rsync >/dev/null && command -v mariadb-install-db >/dev/null; then
        return
    fi
    log "installing mariadb-server, galera-4 and rsync"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends mariadb-server galera-4 rsync >/dev/null
    MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
}

sql() { # node, statement
    mysql --no-defaults -uroot -h127.0.0.1 -P "331$1" -N -B -e "$2"
}

status_of() { # node -> "size state", or nothing if it does not answer
    sql "$1" "SELECT (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'),
                     (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT')" 2>/dev/null | tr '\t' ' ' || true
}

start_node() { # node, extra args...
    local n="$1"; shift
    local data="$DIR/node$n"
    "$MARIADBD" --no-defaults --user=mysql --datadir="$data/data" --port="331$n" --bind-address=127.0.0.1 \
        --socket="$data/mysqld.sock" --pid-file="$data/mysqld.pid" --log-error="$data/error.log" \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --innodb-buffer-pool-size=64M --innodb-autoinc-lock-mode=2 --binlog-format=ROW \
        --default-storage-engine=InnoDB --skip-log-bin \
        --wsrep-on=ON --wsrep-provider="$PROVIDER" --wsrep-cluster-name=shopcore \
        --wsrep-cluster-address="$CLUSTER" --wsrep-node-address="127.0.0.1:457$n" \
        --wsrep-node-name="node$n" --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:459$n" \
        --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:457$n;ist.recv_addr=127.0.0.1:458$n" \
        "$@" >>"$data/stdout.log" 2>&1 &
    echo $! >"$data/launcher.pid"
}

wait_synced() { # node, seconds
    local n="$1" deadline=$((SECONDS + $2))
    while (( SECONDS < deadline )); do
        if [[ "$(status_of "$n")" == *" Synced" ]]; then return 0; fi
        sleep 0.5
    done
    log "node $n did not reach Synced within $2 s; its log:"
    tail -n 30 "$DIR/node$n/error.log" >&2 || true
    return 1
}

pid_of() { cat "$DIR/node$1/mysqld.pid" 2>/dev/null || true; }

cmd_start() {
    install_packages
    if [[ -d "$DIR" ]]; then cmd_stop; fi
    mkdir -p "$DIR"
    for n in "${NODES[@]}"; do
        mkdir -p "$DIR/node$n/data"
    done
    chown -R mysql:mysql "$DIR" 2>/dev/null || true
    mariadb-install-db --no-defaults --user=mysql --datadir="$DIR/node1/data" \
        --auth-root-authentication-method=normal --skip-test-db >/dev/null
    start_node 1 --wsrep-new-cluster
    wait_synced 1 60
    for n in 2 3; do
        start_node "$n"
        wait_synced "$n" 120
    done
    local size
    size="$(status_of 1 | cut -d' ' -f1)"
    [[ "$size" == 3 ]] || { log "cluster size is ${size:-unknown}, not 3"; exit 1; }
    log "three nodes synced on 127.0.0.1:3311-3313"
}

cmd_stop() {
    for n in "${NODES[@]}"; do
        local pid; pid="$(pid_of "$n")"
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for n in "${NODES[@]}"; do
        local pid; pid="$(pid_of "$n")"
        for _ in $(seq 1 120); do
            [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$DIR"
}

cmd_status() {
    for n in "${NODES[@]}"; do
        echo "node$n 127.0.0.1:331$n $(status_of "$n" || true)"
    done
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    urls) for n in "${NODES[@]}"; do echo "mysql://root@127.0.0.1:331$n"; done ;;
    kill) kill -KILL "$(pid_of "${2:?node}")" ;;
    restart) start_node "${2:?node}"; wait_synced "$2" 120 ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
