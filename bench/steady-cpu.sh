#!/bin/bash
# Steady-state CPU per operation of a long-running `kvs cluster --servers 5` (docs/performance.md,
# issue 10): two warm-up rounds, then CPU per thread (/proc/PID/task/*/stat) of server 0 (the
# origin) and server 1 (a peer) around 200,000 SETs and GETs of 100 B and 20,000 SETs of 8 KB.
# usage: bench/steady-cpu.sh JAR LABEL [PORT] [extra JVM flags for the servers]
jar=$1; label=$2; port=${3:-7700}
out=${TMPDIR:-/tmp}/kvs-steady-$label
rm -rf $out; mkdir -p $out
KVS_CHILD_JAVA_OPTS="$4" java -XX:+UseSerialGC -cp $jar kvs.cli.Main cluster --servers 5 --port $port > $out/cluster.out 2>&1 &
cpid=$!
for i in $(seq 90); do grep -q "ready" $out/cluster.out && break; sleep 1; done
p0=$(pgrep -f "kvs.cli.Main server.*--port $port( |$)" | head -1); p1=$(pgrep -f "kvs.cli.Main server.*--port $((port+1))( |$)" | head -1)
threads() { for t in /proc/$1/task/*; do echo "$(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat)"; done | awk '{a[$1]+=$2} END {for (k in a) print k, a[k]}' | sort; }
for w in 1 2; do redis-benchmark -p $port -c 10 -n 200000 -t set,get -d 100 -r 100000 -q > /dev/null 2>&1; done
sleep 2
l0=$(cut -d' ' -f1 /proc/loadavg)
threads $p0 > $out/t0.a; threads $p1 > $out/t1.a
redis-benchmark -p $port -c 10 -n 200000 -t set -d 100 -r 100000 -q > $out/set.txt 2>&1
sleep 1
threads $p0 > $out/t0.b; threads $p1 > $out/t1.b
redis-benchmark -p $port -c 10 -n 200000 -t get -d 100 -r 100000 -q > $out/get.txt 2>&1
threads $p0 > $out/t0.c
redis-benchmark -p $port -c 10 -n 20000 -t set,get -d 8192 -r 10000 -q > /dev/null 2>&1
sleep 1
threads $p0 > $out/t0.d; threads $p1 > $out/t1.d
redis-benchmark -p $port -c 10 -n 20000 -t set -d 8192 -r 10000 -q > $out/set8.txt 2>&1
sleep 1
threads $p0 > $out/t0.e; threads $p1 > $out/t1.e
l1=$(cut -d' ' -f1 /proc/loadavg)
kill $cpid; wait $cpid 2>/dev/null
per() { join $1 $2 | awk -v n=${3:-200000} '{d=$3-$2; tot+=d; if (d>0) s=s sprintf("%s %.1f ", $1, d*1e4/n)} END {printf "total %.1f us [%s]", tot*1e4/n, s}'; }
echo "$label load $l0->$l1"
echo "  origin per SET: $(per $out/t0.a $out/t0.b)"
echo "  peer per write: $(per $out/t1.a $out/t1.b)"
echo "  origin per GET: $(per $out/t0.b $out/t0.c)"
echo "  8 KB origin per SET: $(per $out/t0.d $out/t0.e 20000)"
echo "  8 KB peer per write: $(per $out/t1.d $out/t1.e 20000)"
