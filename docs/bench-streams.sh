#!/bin/bash
# three SqueezeNet video streams in one process against each alone, alternating; exact effort, 370 frames each
cd "$(dirname "$0")/.."
SHARED=${DYVE_SHARED:-../shared}
export DYVE_MODEL_HOME=${DYVE_MODEL_HOME:-$SHARED/models}; V=$SHARED/videos
rm -f /tmp/singles.*
M=squeezenet_v1.0_deep_compression
for round in 1 2 3; do
  tf=0; tt=0
  for v in car-detection bottle-detection one-by-one-person-detection; do
    ./dyve stream -m $M --source video:$V/$v.mp4 --effort exact --limit 370 -q --sink jsonl:/tmp/single.jsonl?truncate=1 2>/dev/null
    tail -1 /tmp/single.jsonl > /tmp/s.json
    python3 -c "import json;d=json.load(open('/tmp/s.json'));print(d['frames_in'],d['duration_s'])" >> /tmp/singles.$round
  done
  ./dyve stream -m $M --source video:$V/car-detection.mp4 --source video:$V/bottle-detection.mp4 --source video:$V/one-by-one-person-detection.mp4 --effort exact --limit 370 -q --sink jsonl:/tmp/multi.jsonl?truncate=1 2>/dev/null
  python3 - $round <<'PY'
import json,sys
r=sys.argv[1]
fr=0;sec=0
for l in open('/tmp/singles.'+r):
    a,b=l.split(); fr+=int(a); sec+=float(b)
single=fr/sec
lines=[json.loads(l) for l in open('/tmp/multi.jsonl') if '"summary"' in l or '"total"' in l]
per=[l['throughput_fps'] for l in lines if l.get('summary')]
tot=[l for l in lines if l.get('total')][0]
print(f"round {r}: single-stream {single:.1f} frames/s (3 videos one after another); three at once {tot['throughput_fps']:.1f} frames/s total, ratio {tot['throughput_fps']/single:.2f}; per stream {', '.join(f'{p:.1f}' for p in per)} (spread {(max(per)-min(per))/max(per)*100:.0f}%); in {tot['frames_in']}, computed {tot['computed']}, dropped {tot['dropped']}")
PY
done
