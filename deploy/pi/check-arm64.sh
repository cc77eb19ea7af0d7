#!/usr/bin/env bash
# The Raspberry Pi's build, run for real: builds DyVE with the linux-arm64 natives, runs it under qemu-user
# emulation (Debian's arm64 OpenJDK 17) with the default settings, and compares its answers with this machine's
# own build on the same images: the same top-1 on every image, top probabilities within 1e-4.
#
#   bash deploy/pi/check-arm64.sh          # as root on Debian/Ubuntu x86-64 (installs what it lacks)
#
# Environment: DYVE_SHARED (the shared models and data; the cifar10_full check is skipped without them),
# DYVE_ARM64_IMAGES (images per eval, default 300), DYVE_ARM64_WORK (build folder, default target/arm64).
# Ends with 'check-arm64: PASS' or one line 'check-arm64: FAIL: ...' and exit code 1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${DYVE_ARM64_WORK:-$root/target/arm64}"
shared="${DYVE_SHARED:-$root/../shared}"
images="${DYVE_ARM64_IMAGES:-300}"
arm_java=/usr/lib/jvm/java-17-openjdk-arm64/bin/java

fail() {
  echo "check-arm64: FAIL: $*"
  exit 1
}
step() {
  echo "check-arm64: $*"
}

# binfmt is not registered on every machine (not on CI's), so qemu is called explicitly
if ! command -v qemu-aarch64-static >/dev/null || [ ! -x "$arm_java" ] \
    || ! dpkg -s libgomp1:arm64 >/dev/null 2>&1; then
  step "installing qemu-user-static, openjdk-17-jre-headless:arm64, libgomp1:arm64"
  export DEBIAN_FRONTEND=noninteractive
  dpkg --add-architecture arm64
  apt-get update -qq
  apt-get install -y -qq qemu-user-static openjdk-17-jre-headless:arm64 libgomp1:arm64 >/dev/null
fi

# The arm64 build in a copy of the sources, so the checkout's own target/ stays this machine's build. Both
# switches are needed: the profile alone leaves JavaCPP and OpenBLAS at x86-64, the property alone leaves
# nd4j-native, dnnl and ffmpeg.
step "building the linux-arm64 jar"
rm -rf "$work" && mkdir -p "$work/src"
(cd "$root" && tar -cf - pom.xml dyve conf models src/main) | tar -xf - -C "$work/src"
(cd "$work/src" && mvn -q -B -DskipTests -Plinux-arm64 -Djavacpp.platform=linux-arm64 package) \
  || fail "the linux-arm64 build failed"
touch "$work/src/target/.dyve-build-stamp"
for lib in nd4j-native openblas javacpp dnnl ffmpeg; do
  ls "$work/src/target/lib/" | grep -q "^$lib-.*linux-arm64.jar$" || fail "no linux-arm64 $lib native in the build"
done

# every command through the project's own launcher, with its default settings (no -D switch)
arm() {
  DYVE_JAVA="qemu-aarch64-static -L / $arm_java" "$work/src/dyve" "$@"
}
x86() {
  "$root/dyve" "$@"
}
# runs an arm64 command; a native that does not load, a crash or a stack trace fails the check with one line
checked() {
  local name="$1" log="$work/$1.log"
  shift
  local rc=0
  arm "$@" >"$log" 2>&1 || rc=$?
  local bad
  bad="$(grep -m1 -E 'UnsatisfiedLinkError|NoClassDefFoundError|SIGILL|SIGSEGV|fatal error|^\s+at [a-z]' "$log" || true)"
  if [ "$rc" -ne 0 ] || [ -n "$bad" ]; then
    fail "$name exited $rc under arm64 emulation: ${bad:-$(tail -1 "$log")} (log: $log)"
  fi
}
# same top-1 on every line and top probabilities within 1e-4 (predictions TSV: id label top1 top5 maxprob)
same() {
  local what="$1" a="$2" b="$3"
  [ "$(wc -l <"$a")" -eq "$(wc -l <"$b")" ] || fail "$what: $(wc -l <"$a") predictions on arm64, $(wc -l <"$b") on x86-64"
  local diff
  diff="$(paste "$a" "$b" | awk -F'\t' 'NR > 1 {
      if ($1 != $6 || $3 != $8) { n++; if (!first) first = $1 ": top-1 " $3 " on arm64, " $8 " on x86-64" }
      d = $5 - $10; if (d < 0) d = -d; if (d > m) m = d
      if (d > 1e-4) { n++; if (!first) first = $1 ": probability " $5 " on arm64, " $10 " on x86-64" } }
      END { printf "%d\t%.2g\t%s\n", n, m, first }')"
  local n max first
  IFS=$'\t' read -r n max first <<<"$diff"
  [ "$n" -eq 0 ] || fail "$what: $n of $(($(wc -l <"$a") - 1)) images differ ($first)"
  step "$what: $(($(wc -l <"$a") - 1)) images, same top-1 on every one, largest probability difference $max"
}

step "dyve info (arm64)"
checked info info
grep -q "oneDNN does not load" "$work/info.log" && step "$(grep -m1 -o 'oneDNN does not load.*' "$work/info.log")"
step "dyve demo --limit $images (arm64)"
checked demo demo --limit "$images" -q
grep -E '^(frames in|throughput)' "$work/demo.log" | sed 's/^/check-arm64:   /'

step "dyve eval, embedded Fashion-MNIST model, $images images (arm64 and x86-64)"
checked eval-fashion eval --limit "$images" -q --predictions "$work/fashion-arm64.tsv"
x86 eval --limit "$images" -q --predictions "$work/fashion-x86.tsv" >"$work/eval-fashion-x86.log" 2>&1 \
  || fail "eval on x86-64 failed: $(tail -1 "$work/eval-fashion-x86.log")"
same "fashion_cnn" "$work/fashion-arm64.tsv" "$work/fashion-x86.tsv"

if [ -f "$shared/models/cifar10_full/deploy.prototxt" ] && [ -f "$shared/data/cifar10/test_batch.bin" ]; then
  step "dyve eval cifar10_full, $images CIFAR-10 test images (arm64 and x86-64)"
  args=(eval --model cifar10_full --model-home "$shared/models" --data "cifar10:$shared/data/cifar10/test_batch.bin"
    --limit "$images" -q)
  checked eval-cifar10 "${args[@]}" --predictions "$work/cifar10-arm64.tsv"
  x86 "${args[@]}" --predictions "$work/cifar10-x86.tsv" >"$work/eval-cifar10-x86.log" 2>&1 \
    || fail "eval cifar10_full on x86-64 failed: $(tail -1 "$work/eval-cifar10-x86.log")"
  same "cifar10_full" "$work/cifar10-arm64.tsv" "$work/cifar10-x86.tsv"
else
  step "cifar10_full skipped: no shared models at $shared (set DYVE_SHARED)"
fi
echo "check-arm64: PASS"
