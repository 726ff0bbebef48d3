#!/bin/sh
# Every required bundled network on every bundled preset at batch 64 and 1:
# the solved scheme is written, parsed back, linted clean and proved.
#   solve_all.sh KAPLAC [NETWORKS]
kaplac=$1
networks=${2:-"alexnet vgg16 googlenet resnet50 mobilenet mlp-l lstm-gnmt"}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for net in $networks; do
    for arch in multinode multinode-4x4 edge eyeriss; do
        for batch in 64 1; do
            case="$net on $arch at batch $batch"
            out="$tmp/$net-$arch-$batch.kapla"
            if ! "$kaplac" --solve -q --network "$net" --arch "$arch" \
                --batch "$batch" -o "$out" 2>"$tmp/err"; then
                fail=$((fail + 1))
                echo "FAIL solve $case"
                head -5 "$tmp/err"
                continue
            fi
            if "$kaplac" -q "$out" 2>"$tmp/err" &&
                "$kaplac" --prove -q "$out" 2>>"$tmp/err"; then
                pass=$((pass + 1))
            else
                fail=$((fail + 1))
                echo "FAIL lint or prove of $case"
                head -5 "$tmp/err"
            fi
        done
    done
done
echo "solve-all: $pass passed, $fail failed"
[ "$fail" = 0 ]
