#!/bin/sh
# Golden tests: for each CASE.kapla in this folder, runs
#   kaplac [$(cat CASE.args)] CASE.kapla
# from this folder and compares stdout with CASE.out, stderr with CASE.err
# and the exit status with CASE.code (each file optional: a missing .out or
# .err means empty output, a missing .code means 0).
# KPL_UPDATE_GOLDEN=1 rewrites the expectations from the current output.
kaplac=$1
dir=$2
cd "$dir" || exit 2
pass=0
fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
for input in *.kapla; do
    [ -e "$input" ] || continue
    case=${input%.kapla}
    args=""
    [ -f "$case.args" ] && args=$(cat "$case.args")
    # shellcheck disable=SC2086
    "$kaplac" $args "$input" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/code"
    if [ "${KPL_UPDATE_GOLDEN:-}" = 1 ]; then
        cp "$tmp/out" "$case.out"; cp "$tmp/err" "$case.err"
        cp "$tmp/code" "$case.code"
        [ -s "$case.out" ] || rm -f "$case.out"
        [ -s "$case.err" ] || rm -f "$case.err"
        [ "$(cat "$case.code")" = 0 ] && rm -f "$case.code"
        continue
    fi
    [ -f "$case.out" ] && cp "$case.out" "$tmp/want.out" || : >"$tmp/want.out"
    [ -f "$case.err" ] && cp "$case.err" "$tmp/want.err" || : >"$tmp/want.err"
    [ -f "$case.code" ] && cp "$case.code" "$tmp/want.code" || echo 0 >"$tmp/want.code"
    ok=1
    for part in out err code; do
        if ! diff -u "$tmp/want.$part" "$tmp/$part" >"$tmp/diff" 2>&1; then
            echo "FAIL $case ($part)"
            cat "$tmp/diff"
            ok=0
        fi
    done
    if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
