#!/usr/bin/env bash
# File share download through a dial-out pair against curl straight from a local HTTP server,
# in the same run: a 200 MiB random file uncached (first byte and total), then cached, a
# 1 MiB uncached file for first-byte latency, and the last MiB of another uncached file of the
# same size as a Range (answered as soon as its own bytes are here). Both nodes run with
# -Xmx256m. Prints curl's time_starttransfer, time_total and size_download per line, the CPU
# seconds each node spent on the uncached download (Linux /proc; steadier than MB/s on a busy
# machine), then the front's share metrics.
#
#   benchmarks/share.sh                 # about 30 s
#   SIZE_MIB=1024 benchmarks/share.sh   # another size
#
# Uses ports 18580-18582 on 127.0.0.1 and a temporary folder under /var/tmp (on disk).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hoft="$root/bin/hoft"
size_mib=${SIZE_MIB:-200}
work=$(mktemp -d /var/tmp/hoft-share.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
cd "$work"

mkdir pub
head -c $((size_mib * 1024 * 1024)) /dev/urandom > pub/large.bin
head -c 1048576 /dev/urandom > pub/small.bin
head -c $((size_mib * 1024 * 1024)) /dev/urandom > pub/other.bin
"$hoft" init setup --link dialout --share pub --front-port 18580 --upstream http://127.0.0.1:18581 >/dev/null
JAVA_OPTS=-Xmx256m "$hoft" back --config setup/back.yaml > back.log 2>&1 & back_pid=$!; pids+=($back_pid)
JAVA_OPTS=-Xmx256m "$hoft" front --config setup/front.yaml > front.log 2>&1 & front_pid=$!; pids+=($front_pid)
python3 -m http.server 18582 --bind 127.0.0.1 --directory pub > /dev/null 2>&1 & pids+=($!)

for _ in $(seq 120); do
    curl -sf -H 'Accept: application/json' http://127.0.0.1:18580/_hoft/files 2>/dev/null | grep -q other.bin && break
    sleep 1
done

fetch() { curl -sS -o /dev/null -w "first byte %{time_starttransfer} s, total %{time_total} s, %{size_download} bytes" "$1"; }
share=http://127.0.0.1:18580/_hoft/files/pub
plain=http://127.0.0.1:18582
echo "curl from python3 http.server, ${size_mib} MiB: $(fetch $plain/large.bin)"
echo "share, 1 MiB, not cached:       $(fetch $share/small.bin)"
# CPU ticks of a node's JVM (bin/hoft execs java, so the shell's pid is the JVM's), summed over its threads
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
b0=$(ticks $back_pid); f0=$(ticks $front_pid)
echo "share, ${size_mib} MiB, not cached:  $(fetch $share/large.bin)"
b1=$(ticks $back_pid); f1=$(ticks $front_pid); hz=$(getconf CLK_TCK)
echo "  cpu for it: back $(( (b1 - b0) * 1000 / hz )) ms, front $(( (f1 - f0) * 1000 / hz )) ms"
echo "share, ${size_mib} MiB, cached:      $(fetch $share/large.bin)"
echo "share, last MiB of ${size_mib} MiB, not cached (Range): $(curl -sS -o /dev/null -r -1048576 \
    -w "first byte %{time_starttransfer} s, total %{time_total} s, %{size_download} bytes" $share/other.bin)"
echo "curl from python3 http.server, ${size_mib} MiB: $(fetch $plain/large.bin)"
curl -s http://127.0.0.1:18580/_hoft/metrics | grep '^hoft_front_share_' || true
