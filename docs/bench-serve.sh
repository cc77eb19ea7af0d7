#!/bin/bash
# dyve serve measured with a stock HTTP load tool (hey) against the engine's own batch throughput, side by side:
# for each model, three rounds of (engine alone: dyve eval at batch 8 on the same decoded images) then (classify over
# HTTP at concurrency 8, and at concurrency 1 for latency); resident memory idle and under load, two models served.
# Needs ../shared (or DYVE_SHARED) and `hey` (Debian package hey). Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${DYVE_SHARED:-../shared}
export DYVE_MODEL_HOME=${DYVE_MODEL_HOME:-$SHARED/models}
PORT=${PORT:-18080}
IMAGES=$SHARED/data/imagenet-samples/images
./dyve serve --models squeezenet_v1.0_deep_compression,cifar10_full --port $PORT > /tmp/dyve-serve-bench.log 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:$PORT/v2/health/ready > /dev/null; do sleep 1; done
JAVA_PID=$(pgrep -f "org.dyve.cli.Main serve.*--port $PORT" | head -1)
rss() { echo $(( $(ps -o rss= -p "$JAVA_PID") / 1024 )); }
echo "resident memory idle, two models loaded and warm: $(rss) MB"
# a CIFAR-10 test image as PNG for cifar10_full (32x32), a shared JPEG for SqueezeNet
python3 - "$SHARED" <<'PY'
import sys, struct, zlib
raw = open(sys.argv[1] + "/data/cifar10/test_batch.bin", "rb").read(3073)
px = raw[1:]
rows = b"".join(b"\x00" + bytes(v for x in range(32) for v in (px[y*32+x], px[1024+y*32+x], px[2048+y*32+x])) for y in range(32))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open("/tmp/cifar.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
for spec in "squeezenet_v1.0_deep_compression $IMAGES/n01440764.jpg image/jpeg images:$IMAGES" \
            "cifar10_full /tmp/cifar.png image/png cifar10:$SHARED/data/cifar10/test_batch.bin"; do
  set -- $spec
  model=$1 file=$2 type=$3 data=$4
  for round in 1 2 3; do
    ms=$(./dyve eval -m $model -d $data --batch 8 --limit 512 -q 2>&1 | sed -n 's/.*, \([0-9.]*\) ms\/image (engine, batch 8).*/\1/p')
    engine=$(python3 -c "print(round(1000/$ms, 1))")
    hey -n 800 -c 8 -m POST -T $type -D $file http://127.0.0.1:$PORT/v1/models/$model/classify > /tmp/hey8.txt &
    HEY=$!; sleep 2; load_rss=$(rss); wait $HEY
    http=$(sed -n 's/ *Requests\/sec: *\([0-9.]*\)/\1/p' /tmp/hey8.txt)
    hey -n 300 -c 1 -m POST -T $type -D $file http://127.0.0.1:$PORT/v1/models/$model/classify > /tmp/hey1.txt
    p50=$(awk '/50% in/ {print $3*1000}' /tmp/hey1.txt); p99=$(awk '/99% in/ {print $3*1000}' /tmp/hey1.txt)
    codes=$(sed -n '/Status code distribution/,$p' /tmp/hey8.txt | tr -s ' ' | tr '\n' ' ')
    echo "$model round $round: engine alone (batch 8) $engine images/s; HTTP classify at concurrency 8 $http requests/s, ratio $(python3 -c "print(round($http/$engine, 2))"); concurrency 1 p50 $p50 ms, p99 $p99 ms; resident under load $load_rss MB; $codes"
  done
done
curl -s http://127.0.0.1:$PORT/metrics | grep -E '^dyve_request_batch_size_(sum|count)'
