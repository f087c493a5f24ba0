#!/bin/bash
# CPU per 100 B and 8 KB SET of server 0 (origin) and server 1 (a peer) of `kvs cluster --servers 3`
# with extra JVM flags for the servers (docs/performance.md, issue 10, memory): a warm-up, then
# /proc/PID/stat around redis-benchmark -c 10 SETs; appends one line to $TMPDIR/kvs-cpu-ab.txt.
# usage: bench/cpu-ab.sh JAR LABEL PORT "extra JVM flags"
jar=$1; label=$2; port=$3; flags=$4
out=${TMPDIR:-/tmp}/kvs-cpu-ab-$label; rm -rf $out; mkdir -p $out
KVS_CHILD_JAVA_OPTS="$flags" java -XX:+UseSerialGC -cp $jar kvs.cli.Main cluster --servers 3 --port $port > $out/cluster.out 2>&1 &
cpid=$!
for i in $(seq 90); do grep -q "ready" $out/cluster.out && break; sleep 1; done
p=(); for k in 0 1 2; do p[$k]=$(pgrep -f "kvs.cli.Main server.*--port $((port+k))( |$)" | head -1); done
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
rss() { awk '/VmRSS/{print $2}' /proc/$1/status; }
redis-benchmark -p $port -c 10 -n 200000 -t set -d 100 -r 100000 -q > /dev/null 2>&1
redis-benchmark -p $port -c 10 -n 20000 -t set -d 8192 -r 10000 -q > /dev/null 2>&1
sleep 2
l0=$(cut -d' ' -f1 /proc/loadavg)
a0=$(cpu ${p[0]}); a1=$(cpu ${p[1]})
redis-benchmark -p $port -c 10 -n 200000 -t set -d 100 -r 100000 -q > $out/set.txt 2>&1
sleep 2
b0=$(cpu ${p[0]}); b1=$(cpu ${p[1]})
redis-benchmark -p $port -c 10 -n 20000 -t set -d 8192 -r 10000 -q > $out/set8.txt 2>&1
sleep 2
c0=$(cpu ${p[0]}); c1=$(cpu ${p[1]})
l1=$(cut -d' ' -f1 /proc/loadavg)
r="$(rss ${p[0]}) $(rss ${p[1]}) $(rss ${p[2]})"
kill $cpid; wait $cpid 2>/dev/null
awk -v L="$label" -v l0=$l0 -v l1=$l1 -v a0=$a0 -v b0=$b0 -v c0=$c0 -v a1=$a1 -v b1=$b1 -v c1=$c1 -v r="$r" 'BEGIN{printf "%-10s load %s->%s 100B SET origin %.1f us peer %.1f us | 8KB SET origin %.1f us peer %.1f us | RSS KB %s\n", L, l0, l1, (b0-a0)*1e4/200000, (b1-a1)*1e4/200000, (c0-b0)*1e4/20000, (c1-b1)*1e4/20000, r}' | tee -a ${TMPDIR:-/tmp}/kvs-cpu-ab.txt
