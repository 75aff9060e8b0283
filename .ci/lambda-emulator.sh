#!/usr/bin/env bash
# examples/lambda end to end against cargo-lambda's Lambda Runtime API emulator
# (`cargo lambda watch --only-lambda-apis`), on loopback only:
#   1. cargo-lambda from PyPI (a binary wheel) into target/venv;
#   2. the release `lambda` example binary;
#   3. the emulator on a free 127.0.0.1 port, started from a throwaway bin crate under
#      target/ (it refuses a project whose only binaries are examples, like this one);
#   4. the function, with AWS_LAMBDA_RUNTIME_API pointing at it, the variables Lambda sets
#      and an LMMS_HEAT_PROFILE to preload from;
#   5. `cargo lambda invoke`: a call, an unknown operation, bad arguments, a second call and
#      the heat export, each checked for its exact response or errorType;
#   6. one EMF line per invocation from lmms::lambda's boundary extension, and no fault.
# Both processes are stopped by pid on exit, whatever happened. Every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION=1.9.2
VENV=target/venv
WORK=target/lambda-emulator
CARGO_LAMBDA="$PWD/$VENV/bin/cargo-lambda"
mkdir -p "$WORK"

say() { printf '    %s\n' "$*"; }
fail() {
    printf 'lambda-emulator: FAILED: %s\n' "$*" >&2
    for log in watch function; do
        [ -f "$WORK/$log.log" ] && { echo "--- $log.log" >&2; tail -n 40 "$WORK/$log.log" >&2; }
    done
    exit 1
}

# 1. `--no-deps`: the wheel's one dependency, ziglang (~100 MB), is only for
# cross-compiling (`cargo lambda build`); `watch` and `invoke` do not use it.
if ! "$CARGO_LAMBDA" lambda --version 2>/dev/null | grep -q "cargo-lambda $CARGO_LAMBDA_VERSION"; then
    timeout 60 python3 -m venv "$VENV"
    timeout 300 "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
        "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
say "$("$CARGO_LAMBDA" lambda --version)"

# 2.
timeout 1800 cargo build --quiet --release --features lambda --example lambda
FUNCTION="$PWD/target/release/examples/lambda"

# 3.
mkdir -p "$WORK/stub/src"
cat >"$WORK/stub/Cargo.toml" <<'EOF'
# Throwaway: `cargo lambda watch` needs a bin target to agree to start; it never builds it.
[package]
name = "lambda-emulator-stub"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]
EOF
echo 'fn main() {}' >"$WORK/stub/src/main.rs"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

WATCH_PID=""
FUNCTION_PID=""
stop() {
    for pid in $FUNCTION_PID $WATCH_PID; do
        kill "$pid" 2>/dev/null || true
        # Bounded: a process that ignores SIGTERM gets SIGKILL after 5 s.
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop EXIT

(cd "$WORK/stub" && exec "$CARGO_LAMBDA" lambda watch --only-lambda-apis \
    --invoke-address 127.0.0.1 --invoke-port "$PORT") >"$WORK/watch.log" 2>&1 &
WATCH_PID=$!
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
for _ in $(seq 300); do listening && break; sleep 0.1; done
listening || fail "the emulator is not listening on 127.0.0.1:$PORT after 30 s"
say "emulator (pid $WATCH_PID) on 127.0.0.1:$PORT"

# 4. The variables Lambda sets (the memory size is also lmms' memory budget), and a heat
# profile naming one module of the binary and one it does not have.
PROFILE='{"version": 1, "heat_window_s": 3600, "modules": [
  {"module": "units_core", "calls_in_window": 3}, {"module": "gone_core", "calls_in_window": 2}]}'
env AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$PORT/.rt" \
    AWS_LAMBDA_FUNCTION_NAME=_ \
    AWS_LAMBDA_FUNCTION_VERSION=1 \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
    AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/lmms-smart-home \
    AWS_LAMBDA_LOG_STREAM_NAME=emulator \
    AWS_REGION=eu-west-1 \
    LMMS_HEAT_PROFILE="$PROFILE" \
    "$FUNCTION" >"$WORK/function.log" 2>&1 &
FUNCTION_PID=$!
for _ in $(seq 100); do grep -q '^\[LMMS_PRELOAD\]' "$WORK/function.log" && break; sleep 0.1; done
kill -0 "$FUNCTION_PID" 2>/dev/null || fail "the function exited at start"
preload=$(grep -m1 '^\[LMMS_PRELOAD\]' "$WORK/function.log") || fail "no [LMMS_PRELOAD] line"
python3 - "${preload#\[LMMS_PRELOAD\] }" <<'EOF' || fail "preload: $preload"
import json, sys
r = json.loads(sys.argv[1])
assert r["built"] == ["units_core"], r
assert r["skipped"] == [{"module": "gone_core", "reason": "unknown_module"}], r
EOF
say "function (pid $FUNCTION_PID) preloaded units_core from LMMS_HEAT_PROFILE"

# 5.
invoke() { # event → $OUT, $ERR, $RC
    RC=0
    timeout 60 "$CARGO_LAMBDA" lambda invoke --color never --invoke-address 127.0.0.1 \
        --invoke-port "$PORT" --data-ascii "$1" >"$WORK/out" 2>"$WORK/err" || RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
    [ "$RC" -ne 124 ] || fail "no answer within 60 s to $1"
}
expect_response() { # event, exact response
    invoke "$1"
    [ "$RC" -eq 0 ] && [ "$OUT" = "$2" ] ||
        fail "$1: expected response $2, got (exit $RC) $OUT $ERR"
    say "ok  $1 -> $OUT"
}
expect_error() { # event, errorType, part of errorMessage
    invoke "$1"
    # The message is printed wrapped and indented: compare it with whitespace squeezed.
    [ "$RC" -ne 0 ] && [ "$(head -n1 <<<"$ERR")" = "Error: $2" ] &&
        tr -s ' \n' ' ' <<<"$ERR" | grep -qF "$3" ||
        fail "$1: expected error $2 ($3), got (exit $RC) $OUT $ERR"
    say "ok  $1 -> $2"
}

expect_response '{"interface": "timers", "op": "start", "params": {"name": "tea", "seconds": 240}}' \
    '"timer tea set for 240 s"'
expect_error '{"interface": "timers", "op": "explode"}' UnknownOperation \
    'unknown operation `explode` on interface `timers` (its operations: start)'
expect_error '{"interface": "timers", "op": "start", "params": {"name": "tea"}}' InvalidArguments \
    'missing argument `seconds` for `timers.start`'
expect_response '{"interface": "timers", "op": "start", "params": {"name": "egg", "seconds": 300}}' \
    '"timer egg set for 300 s"'
# The heat this instance would hand the next one: the two calls, as of the last boundary.
invoke '{"interface": "lmms", "op": "heat"}'
[ "$RC" -eq 0 ] || fail "lmms.heat: (exit $RC) $OUT $ERR"
python3 - "$OUT" <<'EOF' || fail "lmms.heat: $OUT"
import json, sys
p = json.loads(sys.argv[1])
assert p["version"] == 1, p
calls = {m["module"]: m["calls_in_window"] for m in p["modules"]}
assert calls == {"homeassistant_timers": 2}, calls
EOF
say "ok  lmms.heat -> homeassistant_timers: 2 calls"
# lmms::lambda's boundary: after each response its extension sweeps and writes one EMF
# line (5 invocations, 5 lines); an [LMMS_FAULT] would mean an end mark was missed.
for _ in $(seq 100); do [ "$(grep -c '"_aws"' "$WORK/function.log")" -ge 5 ] && break; sleep 0.1; done
python3 - "$WORK/function.log" <<'EOF' || fail "the EMF lines"
import json, sys
lines = [l for l in open(sys.argv[1]) if '"_aws"' in l]
assert len(lines) == 5, f"{len(lines)} EMF lines"
for line in lines:
    v = json.loads(line)
    d = v["_aws"]["CloudWatchMetrics"][0]
    assert d["Namespace"] == "lmms/smart-home", d
    assert all(isinstance(v[m["Name"]], (int, float)) for m in d["Metrics"]), v
    assert v["sweeps"] >= 1 and "sweep_us" in v, v
EOF
if grep -q '^\[LMMS_FAULT\]' "$WORK/function.log"; then fail "$(grep '^\[LMMS_FAULT\]' "$WORK/function.log")"; fi
say "ok  5 EMF lines from the boundary extension, no fault"
kill -0 "$FUNCTION_PID" 2>/dev/null || fail "the function died"
say "lambda-emulator: all checks passed"
