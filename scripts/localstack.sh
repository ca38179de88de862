#!/usr/bin/env bash
# LocalStack in host mode (no Docker) on 127.0.0.1:4566 (or LOCALSTACK_PORT) with SQS, SNS, S3 and
# Secrets Manager, for the integration suite (DESIGN §6, issue 4).
#
#   scripts/localstack.sh start    install on first use, start, wait until healthy (no-op if up)
#   scripts/localstack.sh stop     stop it and everything it spawned, wait until the port is free
#   scripts/localstack.sh status   exit 0 if it answers healthy, 1 if not
#   scripts/localstack.sh logs     the last lines of its log
#
# LocalStack gets a venv of its own, .venv-localstack/, made with Python 3.13 (LOCALSTACK_PYTHON,
# else pyenv's newest 3.13.x, else python3.13 on PATH) from requirements-localstack.lock with
# plain pip. Its log, pid file and file system live under .localstack/. Tunables (environment):
#   LOCALSTACK_PYTHON           path of a Python 3.13 interpreter to build the venv with
#   LOCALSTACK_PORT             its port on 127.0.0.1 (default 4566)
#   LOCALSTACK_START_TIMEOUT    seconds to wait for a healthy start (default 120)
#   LOCALSTACK_STOP_TIMEOUT     seconds to wait for a clean stop before SIGKILL (default 20)
# Any other LocalStack setting exported by the caller (DEBUG=1, SQS_ENDPOINT_STRATEGY=path, ...)
# reaches LocalStack unchanged.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-localstack"
LOCKFILE="$ROOT/requirements-localstack.lock"
LAUNCHER="$ROOT/scripts/localstack_host.py"
PROBE="$ROOT/scripts/localstack_probe.py"
STATE="$ROOT/.localstack"
PIDFILE="$STATE/localstack.pid"
LOG="$STATE/localstack.log"
INSTALL_LOG="$STATE/install.log"
STAMP="$VENV/.installed"

HOST=127.0.0.1
PORT="${LOCALSTACK_PORT:-4566}"
SERVICES=sqs,sns,s3,secretsmanager
START_TIMEOUT="${LOCALSTACK_START_TIMEOUT:-120}"
STOP_TIMEOUT="${LOCALSTACK_STOP_TIMEOUT:-20}"

say() { printf '==> localstack: %s\n' "$*"; }
die() { printf 'localstack: error: %s\n' "$*" >&2; exit 1; }

log_tail() {
    local file="${1:-$LOG}"
    if [[ -s "$file" ]]; then
        printf -- '--- last 40 lines of %s ---\n' "${file#"$ROOT"/}" >&2
        tail -n 40 "$file" >&2
        printf -- '--- end of log ---\n' >&2
    fi
}

# --- finding Python 3.13 --------------------------------------------------------------------

is_py313() {
    # A working CPython 3.13 that can make a venv with pip in it (pyenv shims that point
    # nowhere, or a distro python without ensurepip, fail here).
    [[ -n "$1" && -x "$1" ]] || command -v "$1" >/dev/null 2>&1 || return 1
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 13))' \
        >/dev/null 2>&1
}

find_python() {
    if [[ -n "${LOCALSTACK_PYTHON:-}" ]]; then
        is_py313 "$LOCALSTACK_PYTHON" && { printf '%s\n' "$LOCALSTACK_PYTHON"; return 0; }
        die "LOCALSTACK_PYTHON=$LOCALSTACK_PYTHON is not a working Python 3.13 with venv and ensurepip"
    fi
    local pyenv_root candidate
    pyenv_root="${PYENV_ROOT:-}"
    if [[ -z "$pyenv_root" ]] && command -v pyenv >/dev/null 2>&1; then
        pyenv_root="$(pyenv root 2>/dev/null || true)"
    fi
    pyenv_root="${pyenv_root:-$HOME/.pyenv}"
    if [[ -d "$pyenv_root/versions" ]]; then
        # Newest plain 3.13.x first (not 3.13t free-threaded builds, not virtualenvs).
        while IFS= read -r candidate; do
            is_py313 "$candidate" && { printf '%s\n' "$candidate"; return 0; }
        done < <(find "$pyenv_root/versions" -mindepth 3 -maxdepth 3 -path '*/bin/python3.13' \
                     2>/dev/null | grep -E '/versions/3\.13\.[0-9]+/bin/' | sort -rV)
    fi
    for candidate in python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
        if is_py313 "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    die "no Python 3.13 found. LocalStack 2026.3 in host mode needs one: install it \
(pyenv install 3.13, or your distribution's python3.13 with venv) or point LOCALSTACK_PYTHON \
at its interpreter."
}

# --- the venv -------------------------------------------------------------------------------

lock_digest() {
    # What the venv was built from: the lock's requirements (not its comments) and the interpreter.
    { grep -v '^[[:space:]]*#' "$LOCKFILE" || true; printf '%s\n' "$1"; } | cksum | cut -d' ' -f1
}

ensure_venv() {
    [[ -f "$LOCKFILE" ]] || die "missing ${LOCKFILE#"$ROOT"/}"
    if [[ -x "$VENV/bin/python" && -f "$STAMP" ]]; then
        local built_with
        built_with="$(sed -n 2p "$STAMP")"
        if [[ -n "$built_with" && "$(sed -n 1p "$STAMP")" == "$(lock_digest "$built_with")" ]] \
            && "$VENV/bin/python" -c '' 2>/dev/null; then
            return 0
        fi
        say "requirements-localstack.lock (or its Python) changed: rebuilding .venv-localstack"
    fi
    local py total started
    py="$(find_python)"
    total="$(grep -cE '^[A-Za-z0-9._-]+==' "$LOCKFILE" || true)"
    started=$SECONDS
    say "creating .venv-localstack with $py ($("$py" -V 2>&1)), first use only"
    rm -rf "$VENV"
    "$py" -m venv "$VENV" || die "could not create $VENV with $py"
    say "installing $total pinned packages from requirements-localstack.lock" \
        "(about a minute; full log: .localstack/install.log)"
    if ! "$VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
            --progress-bar off --require-hashes -r "$LOCKFILE" 2>&1 \
        | tee "$INSTALL_LOG" \
        | awk -v total="$total" '
            /^(Collecting|Processing) / { n++; if (n % 20 == 0) { printf "    %d/%d collected\n", n, total; fflush() } }
            /^Installing collected packages/ { print "    installing..."; fflush() }
            /^Successfully installed/ { print "    done"; fflush() }'; then
        log_tail "$INSTALL_LOG"
        rm -rf "$VENV"
        die "pip could not install requirements-localstack.lock (see .localstack/install.log)"
    fi
    printf '%s\n%s\n' "$(lock_digest "$py")" "$py" >"$STAMP"
    say "installed in $((SECONDS - started))s"
}

# --- process and health -----------------------------------------------------------------------

read_pid() {
    local pid
    [[ -f "$PIDFILE" ]] || return 1
    pid="$(tr -dc '0-9' <"$PIDFILE")"
    [[ -n "$pid" ]] || return 1
    printf '%s\n' "$pid"
}

cmdline_of() {
    if [[ -r "/proc/$1/cmdline" ]]; then
        tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true
    else
        ps -o args= -p "$1" 2>/dev/null || true
    fi
}

ours_alive() {
    # The pid file names a live process that is our launcher (not a recycled pid, not a zombie:
    # a zombie's command line is empty).
    kill -0 "$1" 2>/dev/null || return 1
    [[ "$(cmdline_of "$1")" == *localstack_host.py* ]]
}

group_members() {
    # Live (non-zombie) processes of process group $1, one pid a line.
    if [[ -d /proc/self ]]; then
        cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '{
            pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
            if (f[3] == g && f[1] != "Z") print pid }'
    else
        ps -e -o pid=,pgid=,stat= | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'
    fi
}

group_alive() { [[ -n "$(group_members "$1")" ]]; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

health_python() {
    if [[ -x "$VENV/bin/python" ]]; then
        printf '%s\n' "$VENV/bin/python"
    else
        command -v python3 || command -v python || die "no python to query the health endpoint"
    fi
}

# `probe check`: prints the state and returns non-zero unless every service we need is available
# or running. `probe warm`: sends each of them one harmless request, which makes LocalStack load
# it (it loads services lazily: the first call to SQS takes about 3 s), then checks they all run.
probe() {
    "$(health_python)" "$PROBE" "$1" "http://$HOST:$PORT" "$SERVICES"
}

check_health() { probe check; }

wait_healthy() {
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT)) last=""
    while ((SECONDS < deadline)); do
        if last="$(check_health)"; then
            if ! last="$(probe warm)"; then
                log_tail
                die "LocalStack answers but its services did not load ($last)"
            fi
            say "healthy on http://$HOST:$PORT ($last)"
            return 0
        fi
        if ! ours_alive "$pid"; then
            log_tail
            rm -f "$PIDFILE"
            die "LocalStack exited during start-up (last health check: $last); log: .localstack/localstack.log"
        fi
        sleep 0.5
    done
    log_tail
    stop_group "$pid" >/dev/null 2>&1 || true
    rm -f "$PIDFILE"
    die "LocalStack did not become healthy within ${START_TIMEOUT}s (last health check: $last); \
log: .localstack/localstack.log"
}

stop_group() {
    local pid="$1" deadline
    group_alive "$pid" || return 0
    kill -TERM -- "-$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while group_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if group_alive "$pid"; then
        say "still running after ${STOP_TIMEOUT}s: SIGKILL to process group $pid"
        kill -KILL -- "-$pid" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while group_alive "$pid"; do
            ((SECONDS < deadline)) || die "process group $pid survives SIGKILL: $(group_members "$pid" | xargs)"
            sleep 0.1
        done
    fi
}

wait_port_free() {
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while port_open; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# --- commands --------------------------------------------------------------------------------

with_lock() {
    # One start or stop at a time (parallel test sessions may all ask for a start).
    mkdir -p "$STATE"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$STATE/.lock"
        flock -w "$((START_TIMEOUT + 600))" 9 || die "timed out waiting for another localstack.sh"
    fi
}

cmd_start() {
    with_lock
    local pid started status_line
    if pid="$(read_pid)" && ours_alive "$pid"; then
        if check_health >/dev/null; then
            say "already running (pid $pid): $(check_health)"
            return 0
        fi
        say "running (pid $pid) but not healthy yet: waiting"
        wait_healthy "$pid"
        return 0
    fi
    rm -f "$PIDFILE"
    if port_open; then
        if status_line="$(check_health)"; then
            say "something already serves a healthy LocalStack on $HOST:$PORT, not started by" \
                "this script (Docker?): using it. $status_line"
            return 0
        fi
        die "port $PORT on $HOST is in use by something that is not a healthy LocalStack"
    fi

    ensure_venv

    mkdir -p "$STATE/filesystem"
    : >"$LOG"
    say "starting LocalStack (log: .localstack/localstack.log)"
    started=$SECONDS
    # Endpoint overrides meant for the code under test must not steer LocalStack's own clients.
    local -a unset_env=()
    local name
    while IFS= read -r name; do unset_env+=(-u "$name"); done \
        < <(compgen -e | grep -E '^AWS_ENDPOINT_URL' || true)
    (
        exec 9>&- # the lock stays with this script, not with LocalStack
        cd "$STATE"
        exec env "${unset_env[@]}" \
            DISABLE_EVENTS=1 \
            GATEWAY_LISTEN="$HOST:$PORT" \
            SERVICES="$SERVICES" \
            OVERRIDE_IN_DOCKER=0 \
            FILESYSTEM_ROOT="$STATE/filesystem" \
            DNS_ADDRESS=0 \
            SKIP_SSL_CERT_DOWNLOAD=1 \
            PYTHONUNBUFFERED=1 \
            "$VENV/bin/python" "$LAUNCHER" </dev/null >>"$LOG" 2>&1
    ) &
    pid=$!
    printf '%s\n' "$pid" >"$PIDFILE"
    wait_healthy "$pid"
    say "started in $((SECONDS - started))s (pid $pid)"
}

cmd_stop() {
    with_lock
    local pid
    if pid="$(read_pid)"; then
        if group_alive "$pid"; then
            say "stopping LocalStack (process group $pid)"
            stop_group "$pid"
        fi
        rm -f "$PIDFILE"
    fi
    if ! wait_port_free; then
        if check_health >/dev/null 2>&1; then
            say "a LocalStack on $HOST:$PORT was not started by this script: leaving it alone"
            return 0
        fi
        die "port $PORT on $HOST is still in use, by a process this script did not start"
    fi
    rm -rf "$STATE/filesystem"
    say "stopped"
}

cmd_status() {
    local pid line
    if line="$(check_health 2>&1)"; then
        if pid="$(read_pid)" && ours_alive "$pid"; then
            say "running (pid $pid): $line"
        else
            say "running, not started by this script: $line"
        fi
        return 0
    fi
    if pid="$(read_pid)" && ours_alive "$pid"; then
        say "process $pid is up but not healthy: $line"
    else
        say "not running"
    fi
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    logs) tail -n "${2:-100}" "$LOG" ;;
    *)
        printf 'usage: %s start|stop|status|logs [N]\n' "$0" >&2
        exit 2
        ;;
esac
