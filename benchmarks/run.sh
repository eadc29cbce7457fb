#!/usr/bin/env bash
# The codec benchmark of issue 2: hoft's spool codec (JMH) against what a user would do by
# hand, `zstd -L | age`, on the same 64 MiB of bytes, in the same run. Prints Markdown tables;
# keeps everything it measured in benchmarks/target/results/<UTC time>/. See RESULTS.md.
#
#   benchmarks/run.sh                 # the full run, about 14 minutes on 2 cores
#   benchmarks/run.sh --quick         # a smoke run of the script itself (numbers meaningless)
#   benchmarks/run.sh --primitives    # also SHA-256, AES-GCM, zstd and file I/O alone
#
# Environment: JAVA (default: java on PATH; JMH forks the same JVM), RUNS (baseline runs per
# case, default 5), JMH_OPTS (replaces the default JMH options below).
# Needs zstd and age (Debian: apt-get install zstd age); uses hyperfine if present
# (apt-get install hyperfine), else times the runs itself. Installs nothing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar=$here/target/benchmarks.jar
java=${JAVA:-java}
runs=${RUNS:-5}
jmh_opts=${JMH_OPTS:--f 1 -wi 6 -w 1s -i 5 -r 1s}
primitives=false

for arg in "$@"; do
    case $arg in
        --quick) jmh_opts="-f 1 -wi 1 -w 200ms -i 1 -r 200ms -p level=1"; runs=1 ;;
        --primitives) primitives=true ;;
        *) echo "unknown option $arg (see the top of $0)" >&2; exit 2 ;;
    esac
done

missing=""
command -v zstd >/dev/null || missing="$missing zstd"
command -v age >/dev/null || missing="$missing age"
command -v age-keygen >/dev/null || missing="$missing age"
if [ -n "$missing" ]; then
    echo "missing:$missing. On Debian 12: apt-get install$missing" >&2
    exit 1
fi
have_hyperfine=false
command -v hyperfine >/dev/null && have_hyperfine=true

# Build the jar if it is missing or older than any source it is made of.
if [ ! -f "$jar" ] || [ -n "$(find "$here/src" "$here/pom.xml" "$root/pom.xml" \
        "$root/transport-core/src/main" "$root/transport-core/pom.xml" -newer "$jar" -type f | head -n 1)" ]; then
    echo "building $jar"
    (cd "$root" && ./mvnw -B -q -pl benchmarks -am package -DskipTests)
fi

if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    base=/dev/shm
else
    base=${TMPDIR:-/tmp}
fi
work=$(mktemp -d "$base/hoft-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$here/target/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out/baseline"

{
    echo "command: benchmarks/run.sh $*"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "source: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- transport-core/src/main benchmarks 2>/dev/null || echo ' with uncommitted changes in transport-core or benchmarks')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "cpu family/model/stepping: $(awk -F': ' '/^cpu family/ {f=$2} /^model\t/ {m=$2} /^stepping/ {s=$2; exit} END {print f "/" m "/" s}' /proc/cpuinfo)"
    echo "cpu flags: $(grep -m 1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(aes|pclmulqdq|avx2|avx512f|sha_ni|vaes|vpclmulqdq)$' | tr '\n' ' ')"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "java: $("$java" -version 2>&1 | sed -n 2p)"
    echo "zstd: $(zstd --version)"
    echo "age: $(age --version)"
    echo "hyperfine: $($have_hyperfine && hyperfine --version || echo 'absent, timed by this script')"
    echo "files: $work ($(stat -f -c %T "$work"))"
    echo "jmh options: $jmh_opts"
    echo "load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg)"
} | tee "$out/machine.txt"
if awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg; then
    echo "WARNING: the machine is already busy (load above half its cores): the numbers will say more about the neighbours than about hoft" >&2
fi
echo

echo "== inputs (identical bytes for hoft and the pipeline)"
"$java" -cp "$jar" io.hoft.benchmarks.BenchmarkData "$work/in" | tee "$out/inputs.txt"
age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")
echo

# measure NAME COMMAND: RUNS timed runs after one warm-up, as a hyperfine JSON export.
measure() {
    local name=$1 command=$2
    if $have_hyperfine; then
        hyperfine --style none --warmup 1 --runs "$runs" --export-json "$out/baseline/$name.json" "$command" >/dev/null
    else
        local times=() i start end
        sh -c "$command"
        for ((i = 0; i < runs; i++)); do
            start=$(date +%s%N)
            sh -c "$command"
            end=$(date +%s%N)
            times+=("$(awk -v ns=$((end - start)) 'BEGIN { printf "%.6f", ns / 1e9 }')")
        done
        local median
        median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
        printf '{"results":[{"command":"%s","median":%s,"times":[%s]}]}\n' \
            "${command//\"/\\\"}" "$median" "$(IFS=,; echo "${times[*]}")" >"$out/baseline/$name.json"
    fi
    printf '%-16s %.3f s (median of %s)\n' "$name" \
        "$(grep -o '"median": *[0-9.e-]*' "$out/baseline/$name.json" | head -n 1 | sed 's/.*: *//')" "$runs"
}

echo "== baseline: zstd -L | age -e, then age -d | zstd -d (seconds for 64 MiB)"
: >"$out/baseline-sizes.tsv"
for data in random text; do
    for level in 1 3; do
        in=$work/in/$data.bin
        sealed=$work/$data-$level.age
        measure "encode-$data-$level" "zstd -$level -q -c $in | age -e -r $recipient > $sealed"
        measure "decode-$data-$level" "age -d -i $work/key.txt $sealed | zstd -d -q -c > /dev/null"
        echo "$data $level single $(head -c 1024 "$in" | zstd -"$level" -q -c | age -e -r "$recipient" | wc -c)" >>"$out/baseline-sizes.tsv"
        echo "$data $level collated $(head -c 1024000 "$in" | zstd -"$level" -q -c | age -e -r "$recipient" | wc -c)" >>"$out/baseline-sizes.tsv"
    done
done
rm -f "$work"/*.age
echo

echo "== JMH: CodecBenchmark $jmh_opts (log: $out/jmh.log)"
# shellcheck disable=SC2086 # jmh_opts is a list of options
"$java" -jar "$jar" CodecBenchmark $jmh_opts -jvmArgsAppend "-Dhoft.bench.dir=$work/jmh" \
    -rf json -rff "$out/jmh.json" >"$out/jmh.log" 2>&1 &
jmh=$!
while kill -0 "$jmh" 2>/dev/null; do
    sleep 30
    grep -o 'Run progress: [0-9.]*% complete, ETA [0-9:]*' "$out/jmh.log" | tail -n 1 || true
done
wait "$jmh" || { tail -n 40 "$out/jmh.log"; exit 1; }

if $primitives; then
    echo "== JMH: PrimitivesBenchmark (log: $out/primitives.log)"
    # shellcheck disable=SC2086
    "$java" -jar "$jar" PrimitivesBenchmark $jmh_opts -jvmArgsAppend "-Dhoft.bench.dir=$work/jmh" \
        -rf json -rff "$out/primitives.json" >"$out/primitives.log" 2>&1
fi
echo

echo "== bytes per 1 KiB message"
"$java" -Dhoft.bench.dir="$work/overhead" -cp "$jar" io.hoft.benchmarks.Overhead "$out/baseline-sizes.tsv" \
    >"$out/overhead.md"
echo

{
    "$java" -cp "$jar" io.hoft.benchmarks.Report "$out/jmh.json" "$out/baseline" \
        $($primitives && echo "$out/primitives.json")
    cat "$out/overhead.md"
    echo
    echo "Load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg) (at the start: see machine.txt)."
} | tee "$out/report.md"
echo "results in $out"
