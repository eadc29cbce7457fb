#!/usr/bin/env bash
# End-to-end load benchmark of a real hoft pair (see LOAD.md): small sync calls through the front
# against the same calls sent directly to a fast callee (nginx returning a small JSON) and
# through a one-hop nginx reverse proxy with upstream keepalive, at several concurrencies; then
# a large body up and down through the whole chain with time, MB/s and each proxy's peak RSS and
# heap. Per concurrency it also prints what noise cannot move: CPU per call (front + back),
# fsyncs per call (every FileChannel.force, counted by a JFR recording in each node), spool
# files per call and calls per data file. Not part of ./mvnw verify.
#
#   benchmarks/load.sh              # 30 s JVM warm-up, 5 rounds of 5 s per target and concurrency, 1 GiB bodies (~12 min)
#   benchmarks/load.sh --quick      # 10 s warm-up, 3 rounds of 2 s, 1 GiB bodies (~4 min)
#   options: --rounds N --duration S --concurrency 1,8,32 --big SIZE (e.g. 256MiB, 0 = skip)
#            --jvm-warmup S (calls through each hoft pair at c=8 before the rounds, so the JIT has
#            compiled the hot paths: a proxy runs for days, and its first minute is not what it does)
#            --no-load (only the large bodies) --heap 256m --port-base N (default 18180) --keep (leave the work folder)
#            --compare DIR  also run another build of hoft (DIR holds its hoft.jar and lib/, a copy
#                           of spool-tools/target) as target "hoft-base", side by side in the same
#                           rounds: before/after numbers on a machine whose load varies
#
# NODE_JAVA_OPTS in the environment adds JVM options to every node, {node} standing for its name
# (e.g. NODE_JAVA_OPTS='-XX:StartFlightRecording=filename=/tmp/{node}.jfr,settings=profile').
# Needs: a JDK 17+ (java, jcmd and jfr on PATH or in JAVA_HOME), curl, nginx (installs nginx-light with apt-get
# when it is missing and we are root). Everything it starts it stops on exit, by process id.
# The hoft state and link folders live under ${LOAD_TMP:-/var/tmp}, on disk, so fsyncs cost
# what they cost on this machine (a tmpfs would make them free).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rounds=5
duration=5
warmup=2
concurrency=1,8,32
big=1GiB
heap=256m
port_base=18180
keep=false
load=true
jvm_warmup=30
compare=

while [ $# -gt 0 ]; do
    case $1 in
        --quick) rounds=3; duration=2; warmup=1; jvm_warmup=10 ;;
        --jvm-warmup) jvm_warmup=$2; shift ;;
        --rounds) rounds=$2; shift ;;
        --duration) duration=$2; shift ;;
        --concurrency) concurrency=$2; shift ;;
        --big) big=$2; shift ;;
        --heap) heap=$2; shift ;;
        --port-base) port_base=$2; shift ;;
        --keep) keep=true ;;
        --no-load) load=false ;;
        --compare) compare=$(cd "$2" && pwd); shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see the top of $0)" >&2; exit 2 ;;
    esac
    shift
done

front_port=$port_base
callee_port=$((port_base + 1))
proxy_port=$((port_base + 2))
sample_port=$((port_base + 3))
base_port=$((port_base + 4))

java=java
[ -n "${JAVA_HOME:-}" ] && java=$JAVA_HOME/bin/java

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing nginx-light" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light >/dev/null \
            || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light >/dev/null; }
        # the package may start the system nginx on port 80; leave it, it is not ours to stop
    else
        echo "nginx is missing: apt-get install nginx-light" >&2
        exit 2
    fi
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)

# Build what is missing or stale (tests skipped; nothing is installed into ~/.m2).
hoft_jar=$root/spool-tools/target/hoft.jar
driver_jar=$here/target/benchmarks.jar
stale() {
    [ ! -f "$1" ] && return 0
    [ -n "$(find "$root" -path "$root/.git" -prune -o \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$1" -print | head -n 1)" ]
}
if stale "$hoft_jar" || stale "$driver_jar"; then
    echo "building hoft and the load driver" >&2
    (cd "$root" && ./mvnw -B -q -pl spool-tools,benchmarks -am package -DskipTests) >&2
fi
hoft_cp="$hoft_jar:$root/spool-tools/target/lib/*"
driver() { "$java" -Xmx512m -cp "$driver_jar" io.hoft.benchmarks.LoadDriver "$@"; }

work=$(mktemp -d "${LOAD_TMP:-/var/tmp}/hoft-load.XXXXXX")
out=$here/target/load/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ "$keep" = true ]; then
        echo "work folder kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # port, what
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.2
    done
    echo "$2 did not come up on port $1" >&2
    return 1
}

# ---------------------------------------------------------------- nginx: callee and proxy
mkdir -p "$work/nginx/callee" "$work/nginx/proxy"
common="worker_processes auto; error_log %s/error.log warn; pid %s/nginx.pid;
events { worker_connections 1024; }"
nginx_http="access_log off; client_body_temp_path %s/body; proxy_temp_path %s/proxy;
fastcgi_temp_path %s/fcgi; uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;
keepalive_requests 1000000; keepalive_timeout 120s;"
for name in callee proxy; do
    d=$work/nginx/$name
    # shellcheck disable=SC2059
    printf "$common\n" "$d" "$d" > "$d/nginx.conf"
    # shellcheck disable=SC2059
    printf "http { $nginx_http\n" "$d" "$d" "$d" "$d" "$d" >> "$d/nginx.conf"
done
cat >> "$work/nginx/callee/nginx.conf" <<EOF
  server {
    listen 127.0.0.1:$callee_port;
    location / { default_type application/json; return 200 '{"ok":true,"service":"callee","n":42}'; }
  }
}
EOF
cat >> "$work/nginx/proxy/nginx.conf" <<EOF
  upstream callee { server 127.0.0.1:$callee_port; keepalive 64; }
  server {
    listen 127.0.0.1:$proxy_port;
    location / {
      proxy_pass http://callee;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
for name in callee proxy; do
    "$nginx" -p "$work/nginx/$name" -c "$work/nginx/$name/nginx.conf" -g 'daemon off;' \
        >"$out/nginx-$name.log" 2>&1 &
    pids+=($!)
done
wait_port "$callee_port" "nginx callee"
wait_port "$proxy_port" "nginx proxy"

# ---------------------------------------------------------------- hoft pairs
# Started as bin/hoft starts them (java $JAVA_OPTS -cp hoft.jar:lib/* io.hoft.tools.Main), with
# the class path given, so another build can run beside this one.
init_setup() { # folder, class path, front port
    "$java" -cp "$2" io.hoft.tools.Main init "$1" --upstream "http://127.0.0.1:$callee_port" --front-port "$3" >/dev/null
}
init_setup "$work/setup" "$hoft_cp" "$front_port"
[ -n "$compare" ] && init_setup "$work/setup-base" "$compare/hoft.jar:$compare/lib/*" "$base_port"

declare -A node_pid
start_node() { # name (front|back), label, class path, setup folder, extra environment...
    local name=$1 label=$2 cp=$3 setup=$4
    shift 4
    # shellcheck disable=SC2086 # NODE_JAVA_OPTS: extra JVM options for the nodes, e.g. a JFR recording
    local opts=${NODE_JAVA_OPTS:-}
    env "$@" "$java" "-Xmx$heap" ${opts//\{node\}/$name-$label} -XX:+ExitOnOutOfMemoryError "-Xlog:gc:file=$out/$name-$label-gc.log" \
        -cp "$cp" io.hoft.tools.Main "$name" --config "$setup/$name.yaml" >"$out/$name-$label.log" 2>&1 &
    node_pid[$name-$label]=$!
    pids+=($!)
}
start_pair() { # label, class path, setup folder, front port, extra environment for the back...
    local label=$1 cp=$2 setup=$3 port=$4
    shift 4
    start_node back "$label" "$cp" "$setup" "$@"
    start_node front "$label" "$cp" "$setup" HOFT_FRONT_LIMITS_MAX_BODY=4GiB HOFT_FRONT_SYNC_MAX_WAIT=30m
    wait_port "$port" "hoft front ($label)"
    for _ in $(seq 1 300); do
        grep -q "running" "$out/back-$label.log" && break
        sleep 0.2
    done
}
forces() { # pid, name: starts (start) or stops and counts (stop) a JFR recording of FileChannel.force
    if [ "$2" = start ]; then
        jcmd "$1" JFR.start name=hoftforces settings="$here/forces.jfc" >/dev/null
    else
        jcmd "$1" JFR.stop name=hoftforces filename="$out/forces-$1.jfr" >/dev/null
        jfr summary "$out/forces-$1.jfr" | awk '$1 == "jdk.FileForce" {print $2; found = 1} END {if (!found) print 0}'
        rm -f "$out/forces-$1.jfr"
    fi
}
cpu_ticks() { # pid: user + system CPU time so far, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}
stop_pair() { # label: prints peak RSS and heap, then stops both nodes (SIGTERM drains)
    local label=$1 name pid
    for name in back front; do
        pid=${node_pid[$name-$label]}
        hwm=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
        heap_peak=$(grep -oE '[0-9]+M->[0-9]+M' "$out/$name-$label-gc.log" | cut -dM -f1 | sort -n | tail -n 1)
        printf 'PEAK\t%s\t%s\tVmHWM=%sMiB\theap-before-gc-max=%sMiB\n' "$label" "$name" "$hwm" "${heap_peak:-?}"
        kill -TERM "$pid"
    done
    for name in back front; do # not `wait`: this may run in a subshell of a pipeline
        for _ in $(seq 1 300); do
            kill -0 "${node_pid[$name-$label]}" 2>/dev/null || break
            sleep 0.1
        done
    done
}

echo "# hoft load benchmark $(date -u +%FT%TZ), commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo +changes)"
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$java" -version 2>&1 | head -n 1), $("$nginx" -v 2>&1)"
echo "# hoft state and link folders on $(df -T "$work" | awk 'NR==2 {print $2}') ($work), nodes at -Xmx$heap"
echo "# results kept in $out"

if [ "$load" = true ]; then
start_pair load "$hoft_cp" "$work/setup" "$front_port"
targets=(--target "direct=http://127.0.0.1:$callee_port/api/items"
    --target "nginx=http://127.0.0.1:$proxy_port/api/items"
    --target "hoft=http://127.0.0.1:$front_port/api/items")
if [ -n "$compare" ]; then
    start_pair base "$compare/hoft.jar:$compare/lib/*" "$work/setup-base" "$base_port"
    targets+=(--target "hoft-base=http://127.0.0.1:$base_port/api/items")
fi
if [ "$jvm_warmup" != 0 ]; then
    echo "# JVM warm-up: ${jvm_warmup}s of calls at c=8 through each hoft pair (not measured)"
    warm=(--target "hoft=http://127.0.0.1:$front_port/api/items")
    [ -n "$compare" ] && warm+=(--target "hoft-base=http://127.0.0.1:$base_port/api/items")
    driver load "${warm[@]}" --header "Prefer: wait=30" --concurrency 8 --rounds 1 --duration "$jvm_warmup" \
        --warmup 1 >"$out/jvm-warmup.txt" 2>&1
fi
# Per concurrency, besides rps and latency, what noise cannot move: CPU per call of front and
# back together, fsyncs per call (every FileChannel.force, counted by JFR in each node), spool
# files per call (both directions, data and control) and calls per data file the front wrote.
labels=(load)
[ -n "$compare" ] && labels+=(base)
declare -A label_target=([load]=hoft [base]=hoft-base)
declare -A label_port=([load]=$front_port [base]=$base_port)
metric() { # port, metric name: the sum over its label sets in the front's /_hoft/metrics
    curl -s "http://127.0.0.1:$1/_hoft/metrics" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%d", s}'
}
data_files() { # port: data files the front sent
    curl -s "http://127.0.0.1:$1/_hoft/metrics" | awk '/^hoft_files_sent_total\{/ && /kind="data"/ {s += $2} END {printf "%d", s}'
}
{
    IFS=, read -r -a levels <<<"$concurrency"
    for c in "${levels[@]}"; do
        declare -A before=()
        for label in "${labels[@]}"; do
            fp=${node_pid[front-$label]}; bp=${node_pid[back-$label]}
            before[$label-cpu]=$(( $(cpu_ticks "$fp") + $(cpu_ticks "$bp") ))
            before[$label-sent]=$(metric "${label_port[$label]}" hoft_files_sent_total)
            before[$label-received]=$(metric "${label_port[$label]}" hoft_files_received_total)
            before[$label-data]=$(data_files "${label_port[$label]}")
            forces "$fp" start; forces "$bp" start
        done
        driver load "${targets[@]}" --header "Prefer: wait=30" --baseline nginx \
            --concurrency "$c" --rounds "$rounds" --duration "$duration" --warmup "$warmup" | tee "$out/driver-c$c.txt"
        hz=$(getconf CLK_TCK)
        for label in "${labels[@]}"; do
            fp=${node_pid[front-$label]}; bp=${node_pid[back-$label]}
            f_forces=$(forces "$fp" stop); b_forces=$(forces "$bp" stop)
            cpu=$(( $(cpu_ticks "$fp") + $(cpu_ticks "$bp") - before[$label-cpu] ))
            sent=$(( $(metric "${label_port[$label]}" hoft_files_sent_total) - before[$label-sent] ))
            received=$(( $(metric "${label_port[$label]}" hoft_files_received_total) - before[$label-received] ))
            data=$(( $(data_files "${label_port[$label]}") - before[$label-data] ))
            calls=$(awk -v t="${label_target[$label]}" '$1 == "CALLS" && $2 == t {print $3}' "$out/driver-c$c.txt")
            awk -v t="${label_target[$label]}" -v c="$c" -v n="$calls" -v cpu="$cpu" -v hz="$hz" -v ff="$f_forces" \
                -v bf="$b_forces" -v sent="$sent" -v rec="$received" -v data="$data" 'BEGIN {
                if (n == 0) exit
                printf "PERCALL\t%s\t%d\tcpu_ms=%.3f\tfsyncs=%.2f\tfront_fsyncs=%.2f\tback_fsyncs=%.2f\tfiles=%.2f\tcalls_per_data_file=%.1f\tcalls=%d\n",
                    t, c, cpu / hz * 1000 / n, (ff + bf) / n, ff / n, bf / n, (sent + rec) / n, (data > 0 ? n / data : 0), n }'
        done
    done
    echo "# load average after the load phase: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| target | c | rps | p50 ms | p99 ms | errors | rps vs nginx | added p50 ms vs nginx |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    cat "$out"/driver-c*.txt | awk -F'\t' '$1 == "RESULT" {
        key = $2 SUBSEP $3; rps[key] = $4; p50[key] = $5; p99[key] = $6; err[key] = $7
        if (!($3 in seen)) { seen[$3] = 1; cs[++nc] = $3 }
        if (!($2 in tseen)) { tseen[$2] = 1; ts[++nt] = $2 } }
        END { for (i = 1; i <= nc; i++) for (j = 1; j <= nt; j++) { k = ts[j] SUBSEP cs[i]; b = "nginx" SUBSEP cs[i]
            printf "| %s | %s | %.1f | %.2f | %.2f | %d | %.3f | %+.2f |\n", ts[j], cs[i], rps[k], p50[k], p99[k], err[k],
                rps[k] / rps[b], p50[k] - p50[b] } }'
    echo
    echo "| target | c | CPU ms per call (front + back) | fsyncs per call (front + back) | spool files per call | calls per data file |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
} 2>&1 | tee "$out/load.txt"
awk -F'\t' '$1 == "PERCALL" { split($4, a, "="); split($5, b, "="); split($8, f, "="); split($9, d, "=")
    printf "| %s | %s | %s | %s | %s | %s |\n", $2, $3, a[2], b[2], f[2], d[2] }' "$out/load.txt" | tee -a "$out/load.txt"
for label in "${labels[@]}"; do
    stop_pair "$label"
done 2>&1 | tee -a "$out/load.txt"
fi

if [ "$big" != 0 ]; then
    big_bytes=$(driver size "$big")
    "$java" -cp "$hoft_cp" io.hoft.samples.SampleCallee --port "$sample_port" >"$out/sample-callee.log" 2>&1 &
    pids+=($!)
    wait_port "$sample_port" "sample callee"
    tag() { sed "s/^RESULT\t/RESULT\t$1\t/"; }
    # What noise cannot move, per node and direction: CPU seconds, bytes handed to write() (wchar)
    # and bytes the kernel sent to the disk (write_bytes, both from /proc/PID/io), and forces
    # (JFR jdk.FileForce), each per MB of body.
    declare -A cost_at
    costs() { # label, start | up | down
        local label=$1 phase=$2 name pid cpu wchar wbytes forced
        for name in front back; do
            pid=${node_pid[$name-$label]}
            cpu=$(cpu_ticks "$pid")
            wchar=$(awk '$1 == "wchar:" {print $2}' "/proc/$pid/io")
            wbytes=$(awk '$1 == "write_bytes:" {print $2}' "/proc/$pid/io")
            if [ "$phase" = start ]; then
                forces "$pid" start
            else
                forced=$(forces "$pid" stop)
                awk -v l="$label" -v p="$phase" -v n="$name" -v mb="$((big_bytes / 1000000))" -v hz="$(getconf CLK_TCK)" \
                    -v cpu="$((cpu - cost_at[$name-cpu]))" -v wc="$((wchar - cost_at[$name-wchar]))" \
                    -v wb="$((wbytes - cost_at[$name-wbytes]))" -v f="$forced" 'BEGIN {
                    printf "COST\t%s\t%s\t%s\tcpu_s=%.1f\tcpu_ms_per_MB=%.2f\twritten_per_body_byte=%.2f\tto_disk_per_body_byte=%.2f\tforces=%d\n",
                        l, p, n, cpu / hz, cpu / hz * 1000 / mb, wc / (mb * 1e6), wb / (mb * 1e6), f }'
                forces "$pid" start
            fi
            cost_at[$name-cpu]=$cpu; cost_at[$name-wchar]=$wchar; cost_at[$name-wbytes]=$wbytes
        done
        if [ "$phase" = down ]; then
            for name in front back; do jcmd "${node_pid[$name-$label]}" JFR.stop name=hoftforces >/dev/null; done
        fi
    }
    big_run() { # label, class path, setup folder, front port
        local label=$1 port=$4
        start_pair "$label" "$2" "$3" "$port" HOFT_BACK_UPSTREAMS_DEFAULT_URL="http://127.0.0.1:$sample_port"
        echo "# $label: $big up (random bytes, checked by the callee's echo) and down (/bytes), sync, through front and back"
        costs "$label" start
        driver upload "http://127.0.0.1:$port/echo" "$big" --header "Prefer: wait=1800" | tag "$label"
        costs "$label" up
        driver download "http://127.0.0.1:$port/bytes?size=$big_bytes&seed=3" "$big" --header "Prefer: wait=1800" | tag "$label"
        costs "$label" down
        stop_pair "$label"
    }
    {
        big_run big "$hoft_cp" "$work/setup" "$front_port"
        [ -n "$compare" ] && big_run big-base "$compare/hoft.jar:$compare/lib/*" "$work/setup-base" "$base_port"
        echo "# the same, directly to the sample callee"
        driver upload "http://127.0.0.1:$sample_port/echo" "$big" | tag direct
        driver download "http://127.0.0.1:$sample_port/bytes?size=$big_bytes&seed=3" "$big" | tag direct
        echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    } 2>&1 | tee "$out/big.txt"
fi
